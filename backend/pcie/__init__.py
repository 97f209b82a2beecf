"""PCIe host runtime: the `Device` protocol a card offers its driver, the simulated card (in the
caller's process, `SimCard`, or in its own, `ProcessCard`), fault injection for tests
(`faults`), and the `Session` that keeps a compiled model resident on a card and runs
inferences. docs/runtime.md describes them."""

from canopy_ir.backend.pcie.device import (
    Device,
    DeviceIntegrityError,
    DeviceMemoryError,
    DevicePtr,
    DeviceResetError,
    OffsetAllocator,
)
from canopy_ir.backend.pcie.process_card import ProcessCard
from canopy_ir.backend.pcie.session import InferenceSession, Session
from canopy_ir.backend.pcie.simcard import SimCard

__all__ = [
    "Device",
    "DeviceIntegrityError",
    "DeviceMemoryError",
    "DevicePtr",
    "DeviceResetError",
    "InferenceSession",
    "OffsetAllocator",
    "ProcessCard",
    "Session",
    "SimCard",
]
