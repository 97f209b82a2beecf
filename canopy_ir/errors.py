"""The one exception family users see. CLIs catch `CanopyError` and print one line."""

from __future__ import annotations


class CanopyError(Exception):
    """Base of every user-facing error; `where` names the ONNX node, IR op or file concerned."""

    def __init__(self, message: str, where: str | None = None):
        self.where = where
        super().__init__(f"{where}: {message}" if where else message)


class FrontendError(CanopyError):
    """The model file cannot be read or imported."""


class UnsupportedOpError(FrontendError):
    """One or more ONNX nodes use ops (or attributes) the importer does not support."""

    def __init__(self, nodes: list[tuple[str, str, str]]):
        # nodes: (node name, op type, reason)
        self.nodes = nodes
        parts = [f"{op} (node '{name}'{': ' + why if why else ''})" for name, op, why in nodes]
        super().__init__("unsupported ONNX op(s): " + "; ".join(parts))


class QuantizationError(CanopyError):
    """A model's quantization cannot be mapped to integer arithmetic."""


class LoweringError(CanopyError):
    """A pass cannot lower an op (shape, size or type outside what the target supports)."""


class HardwareConfigError(CanopyError):
    """A hardware configuration is invalid (e.g. a field does not fit the instruction word)."""


class IsaError(CanopyError):
    """An instruction or micro-op is illegal or its bytes cannot be decoded."""


class ArtefactError(CanopyError):
    """A compiled artefact is missing, corrupted or of an unknown format."""


class DeviceError(CanopyError):
    """The card reported an error or did not finish."""


class DeviceTimeout(DeviceError):
    """The card did not signal done in time."""


class DeadlockError(DeviceError):
    """The instruction stream waits for a dependency token that can never arrive."""


class VerificationError(IsaError):
    """An instruction stream would misbehave on hardware (out-of-range access, bad tokens)."""


class InternalError(CanopyError):
    """A pass or tool failed in a way no input should cause: a bug in canopy-ir. The original
    exception is chained (`__cause__`); CLIs print it with --debug."""
