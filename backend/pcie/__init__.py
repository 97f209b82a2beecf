"""PCIe host runtime: the `Device` protocol a card offers its driver, a simulated card, and the
`Session` that keeps a compiled model resident on a card and runs inferences."""

from backend.pcie.device import Device, DevicePtr
from backend.pcie.session import InferenceSession, Session
from backend.pcie.simcard import SimCard

__all__ = ["Device", "DevicePtr", "InferenceSession", "Session", "SimCard"]
