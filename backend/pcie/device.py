"""What a PCIe accelerator card offers its driver (after Canopy's PCIe driver for VTA).

The card has its own memory. The host never shares a pointer with it: data crosses only through
`dma_to_device` / `dma_from_device`. The card is programmed through memory-mapped registers: the
instruction stream's address and length, a start bit, and a status word.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from canopy_ir.errors import DeviceError

# Register map (byte offsets in the card's MMIO window)
REG_INSN_ADDR = 0x00  # card address of the first instruction
REG_INSN_COUNT = 0x04  # number of 16-byte instructions
REG_CTRL = 0x08  # write CTRL_START to run
REG_STATUS = 0x0C  # STATUS_* bits
CTRL_START = 1
STATUS_IDLE, STATUS_BUSY, STATUS_DONE, STATUS_ERROR = 0, 1, 2, 4


@dataclass(frozen=True)
class DevicePtr:
    """An allocation in card memory."""

    addr: int
    nbytes: int


class Device(Protocol):
    name: str

    def alloc(self, nbytes: int, align: int = 64) -> DevicePtr: ...

    def free(self, ptr: DevicePtr) -> None: ...

    def dma_to_device(self, ptr: DevicePtr, data: bytes, offset: int = 0) -> None: ...

    def dma_from_device(self, ptr: DevicePtr, nbytes: int, offset: int = 0) -> bytes: ...

    def write_reg(self, reg: int, value: int) -> None: ...

    def read_reg(self, reg: int) -> int: ...

    def wait(self, timeout: float) -> None: ...

    def reset(self) -> None: ...


class OffsetAllocator:
    """First-fit allocator over a card's memory, as Canopy's driver manages its one pool."""

    def __init__(self, size: int):
        self.size = size
        self.free_list: list[tuple[int, int]] = [(0, size)]  # (start, end), sorted

    def alloc(self, nbytes: int, align: int) -> int:
        for i, (start, end) in enumerate(self.free_list):
            addr = -(-start // align) * align
            if addr + nbytes <= end:
                pieces = [(s, e) for s, e in ((start, addr), (addr + nbytes, end)) if e > s]
                self.free_list[i : i + 1] = pieces
                return addr
        raise DeviceError(
            f"card memory exhausted: cannot allocate {nbytes} bytes (card has {self.size} bytes)"
        )

    def free(self, addr: int, nbytes: int) -> None:
        spans = sorted([*self.free_list, (addr, addr + nbytes)])
        merged: list[tuple[int, int]] = []
        for s, e in spans:
            if merged and s <= merged[-1][1]:
                merged[-1] = (merged[-1][0], max(merged[-1][1], e))
            else:
                merged.append((s, e))
        self.free_list = merged
