"""canopy-ir: ONNX → graph → tile → accel (VTA ISA) → PCIe card, as a multi-level xDSL IR.

import canopy_ir
sess = canopy_ir.InferenceSession("model.canopy", device="sim")
(y,) = sess.run(None, {"input": x})
"""

from canopy_ir.errors import CanopyError

__version__ = "0.1.0"
__all__ = ["CanopyError", "InferenceSession", "__version__"]


def __getattr__(name: str):
    if name == "InferenceSession":  # imported lazily: the runtime pulls in the whole backend
        from canopy_ir.backend.pcie.session import InferenceSession

        return InferenceSession
    raise AttributeError(name)
