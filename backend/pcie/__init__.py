"""PCIe host runtime: the `Device` protocol a card offers its driver, a simulated card, and the
`Session` that keeps a compiled model resident on a card and runs inferences."""

from canopy_ir.backend.pcie.device import Device, DevicePtr
from canopy_ir.backend.pcie.session import InferenceSession, Session
from canopy_ir.backend.pcie.simcard import SimCard

__all__ = ["Device", "DevicePtr", "InferenceSession", "Session", "SimCard"]
