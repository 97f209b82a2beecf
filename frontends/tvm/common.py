"""What the TVM importer and exporter share: the lazy `tvm` import, errors, element types.

Nothing here imports TVM at module import time; `require_tvm()` does, and turns its absence into
one line naming the extra that installs it.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from canopy_ir.errors import FrontendError, UnsupportedOpError

INSTALL_HINT = 'pip install "canopy-ir[tvm]"'


def require_tvm() -> Any:
    """The `tvm` package (apache-tvm 0.27), or a FrontendError saying how to install it."""
    try:
        import tvm
        from tvm import relax  # noqa: F401  (the part of TVM this package uses)
    except ImportError:
        raise FrontendError(
            f"TVM interoperation needs apache-tvm, which is not installed: {INSTALL_HINT}"
        ) from None
    return tvm


class UnsupportedRelaxOpError(UnsupportedOpError):
    """Relax operators (or attributes) the importer cannot map to graph ops, all in one line."""

    def __init__(self, bindings: list[tuple[str, str, str]]):
        # bindings: (Relax variable name, operator name, reason)
        self.nodes = bindings
        parts = [f"{op} (binding '{var}'{': ' + why if why else ''})" for var, op, why in bindings]
        FrontendError.__init__(self, "unsupported Relax op(s): " + "; ".join(parts))


class ExportError(FrontendError):
    """A graph op (or attribute) has no Relax equivalent in the exporter."""


def tvm_dtype(dtype: np.dtype) -> str:
    """TVM's name of a numpy dtype ("float32", "int8", "bool", ...)."""
    return "bool" if np.dtype(dtype) == np.bool_ else np.dtype(dtype).name


def numpy_dtype(dtype: Any) -> np.dtype:
    """The numpy dtype of a TVM dtype (a string, `tvm.DataType` or `PrimType`)."""
    name = str(getattr(dtype, "dtype", dtype))
    try:
        return np.dtype("bool" if name in ("bool", "uint1") else name)
    except TypeError:
        raise FrontendError(f"Relax dtype {name} has no numpy equivalent") from None


# graph.unary functions and the Relax operators that compute them, both directions of the interop.
UNARY_TO_RELAX = {
    "exp": "exp",
    "log": "log",
    "sqrt": "sqrt",
    "tanh": "tanh",
    "erf": "erf",
    "sigmoid": "sigmoid",
    "abs": "abs",
    "neg": "negative",
    "floor": "floor",
    "ceil": "ceil",
    "sin": "sin",
    "cos": "cos",
    "round": "round",  # TVM rounds half to even, as numpy's rint
    "sign": "sign",
}
RELAX_TO_UNARY = {relax: fn for fn, relax in UNARY_TO_RELAX.items()}
