"""Which devices run which target, and the card a device string names.

The artefact's target (manifest["target"]) says which devices may run it: `sim` the simulated
card, in the caller's process ("sim") or in a process of its own ("sim-process"); `accel-opencl`
an OpenCL device, the accelerator running as an OpenCL kernel (`backend/opencl/card.py`) and the
host ops as generated kernels; `opencl` an OpenCL device with no card at all, every op a
generated kernel (`backend/opencl/host_values.py`).
"""

from __future__ import annotations

from canopy_ir.artefact import Artefact
from canopy_ir.backend.pcie.device import Device
from canopy_ir.backend.pcie.process_card import ProcessCard
from canopy_ir.backend.pcie.simcard import SimCard
from canopy_ir.errors import ArtefactError, CanopyError
from canopy_ir.hw.config import HwConfig

# The kind of device each target runs on: the simulated card, or an OpenCL device (as the
# accelerator card plus generated kernels for the host ops, or generated kernels alone).
TARGET_KINDS = {"sim": "sim", "accel-opencl": "opencl", "opencl": "opencl"}
DEVICES = (
    "sim, sim-process, opencl, opencl:NAME or opencl:INDEX (an OpenCL device by name substring "
    "or index)"
)


def artefact_target(art: Artefact) -> str:
    """The target `art` was compiled for (artefacts from before targets: the simulated card's)."""
    target = art.manifest.get("target", "sim")
    if target not in TARGET_KINDS:
        raise ArtefactError(
            f"unknown target '{target}' (this build runs {', '.join(TARGET_KINDS)})"
        )
    return target


def device_kind(device: Device | str) -> tuple[str, str | None]:
    """("sim" | "opencl" | "card", the OpenCL device's name or index) of a device argument."""
    if not isinstance(device, str):
        if isinstance(device, SimCard | ProcessCard):
            return "sim", None
        module = type(device).__module__
        return ("opencl" if module.startswith("canopy_ir.backend.opencl") else "card"), None
    name, sep, spec = device.partition(":")
    if device in ("sim", "sim-process"):
        return "sim", None
    if name == "opencl" and (spec or not sep):
        return "opencl", spec or None
    raise CanopyError(f"device '{device}' is not available (this build offers: {DEVICES})")


def check_target(target: str, kind: str, device) -> None:
    """Refuse a device that cannot run the artefact's target, naming both. A card object runs
    any accelerator stream (sim and accel-opencl artefacts hold the same one), except that the
    simulated card is not an OpenCL device; a target-opencl artefact needs no card at all."""
    if isinstance(device, str):
        ok = TARGET_KINDS[target] == kind
    else:
        ok = target != "opencl" and not (kind == "sim" and target == "accel-opencl")
    if not ok:
        label = device if isinstance(device, str) else type(device).__name__
        want = "sim" if target == "sim" else "opencl (or opencl:NAME|INDEX)"
        raise CanopyError(
            f"the artefact was compiled for target '{target}' and cannot run on device "
            f"'{label}'; run it on device {want}, or recompile it with --target for this device"
        )


def opencl_host_values(spec: str | None):
    """The store factory that runs host ops as generated kernels on OpenCL device `spec`."""
    from canopy_ir.backend.opencl.host_values import OpenCLHost

    return OpenCLHost(spec)


def opencl_card(cfg: HwConfig, spec: str | None) -> Device:
    """The accelerator as an OpenCL kernel (backend/opencl/card.py) on device `spec`."""
    try:
        from canopy_ir.backend.opencl import OpenCLCard
    except (ImportError, AttributeError):
        raise CanopyError(
            "target accel-opencl needs the OpenCL accelerator card "
            "(canopy_ir.backend.opencl.OpenCLCard), which this build does not have"
        ) from None
    return OpenCLCard(cfg, device=spec)


def make_card(device: str, cfg: HwConfig, spec: str | None) -> Device:
    """The card device string `device` names (`spec`: its OpenCL device, from `device_kind`)."""
    if device == "sim":
        return SimCard(cfg)
    if device == "sim-process":
        return ProcessCard(cfg)
    return opencl_card(cfg, spec)
