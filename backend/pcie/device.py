"""What a PCIe accelerator card offers its driver (after Canopy's PCIe driver for VTA).

The card has its own memory. The host never shares a pointer with it: data crosses only through
`dma_to_device` / `dma_from_device`. The card is programmed through memory-mapped registers: the
instruction stream's address and length, a start bit, and a status word; a card that checks what
was uploaded to it (`verifies_checksums`) also takes the address and length of a check table.

Also here: `OffsetAllocator`, the driver's allocator over a card's one memory pool, and
`MappedCard`, the memory side of the simulated cards (allocation, bounds-checked DMA, injected
DMA faults, restarts).
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass
from typing import Protocol

import numpy as np

from canopy_ir.backend.pcie.faults import FaultPlan
from canopy_ir.errors import DeviceError

# Register map (byte offsets in the card's MMIO window)
REG_INSN_ADDR = 0x00  # card address of the first instruction
REG_INSN_COUNT = 0x04  # number of 16-byte instructions
REG_CTRL = 0x08  # write CTRL_START to run
REG_STATUS = 0x0C  # STATUS_* bits
REG_CHECK_ADDR = 0x10  # card address of the check table (CHECK_ENTRY records)
REG_CHECK_COUNT = 0x14  # number of entries in it
CTRL_START = 1
CTRL_VERIFY = 2  # with CTRL_START: check every entry of the check table before running
STATUS_IDLE, STATUS_BUSY, STATUS_DONE, STATUS_ERROR = 0, 1, 2, 4

# One entry of the check table: a span of card memory and the crc32 of what the host uploaded
# there; `what` (a CHECKED key) names the span in the card's error message.
CHECK_ENTRY = np.dtype([("addr", "<u8"), ("nbytes", "<u8"), ("crc32", "<u4"), ("what", "<u4")])
CHECKED = {1: "weights", 2: "micro-ops", 3: "instructions"}
CHECK_CODES = {name: code for code, name in CHECKED.items()}


class DeviceMemoryError(DeviceError):
    """An allocation does not fit in the card's free memory."""

    def __init__(self, message: str, requested: int, largest_free: int, free: int, size: int):
        self.requested, self.largest_free = requested, largest_free
        self.free, self.size = free, size
        super().__init__(message)


class DeviceIntegrityError(DeviceError):
    """Data on the card changed after it was uploaded (its checksum no longer matches)."""


class DeviceResetError(DeviceError):
    """The card reset (or was restarted) during a run: its memory and allocations are lost."""


@dataclass(frozen=True)
class DevicePtr:
    """An allocation in card memory; `generation`: the card's restart count when it was made."""

    addr: int
    nbytes: int
    generation: int = 0


class Device(Protocol):
    """A card. Optional parts, read with `getattr` and a default (the OpenCL card has none):
    `generation` (int, default 0), incremented whenever the card loses its memory (a restart
    after a hang, a reset); `verifies_checksums` (bool, default False), whether the card honours
    CTRL_VERIFY and the REG_CHECK_* registers; `close()`, release the card's resources."""

    name: str

    def alloc(self, nbytes: int, align: int = 64) -> DevicePtr: ...

    def free(self, ptr: DevicePtr) -> None: ...

    def dma_to_device(self, ptr: DevicePtr, data: bytes, offset: int = 0) -> None: ...

    def dma_from_device(self, ptr: DevicePtr, nbytes: int, offset: int = 0) -> bytes: ...

    def write_reg(self, reg: int, value: int) -> None: ...

    def read_reg(self, reg: int) -> int: ...

    def wait(self, timeout: float) -> None: ...

    def reset(self) -> None: ...


def card_generation(device: Device) -> int:
    return getattr(device, "generation", 0)


def verifies_checksums(device: Device) -> bool:
    return bool(getattr(device, "verifies_checksums", False))


class OffsetAllocator:
    """Allocator over one pool of card memory, as Canopy's driver manages its card's DRAM.

    The free space is a sorted list of disjoint blocks (start, end) of which no two touch: a
    freed block merges with its free neighbours. `policy` "first" takes the lowest block the
    aligned request fits in; "best" the smallest such block (the lowest of equals), which keeps
    large blocks whole for large requests. A failed allocation raises `DeviceMemoryError` with
    the sizes that explain it.
    """

    POLICIES = ("first", "best")

    def __init__(self, size: int, policy: str = "first"):
        if policy not in self.POLICIES:
            raise DeviceError(f"unknown allocation policy '{policy}' (policies: first, best)")
        if size < 1:
            raise DeviceError(f"card memory of {size} bytes cannot hold an allocation")
        self.size = size
        self.policy = policy
        self.reset()

    def reset(self) -> None:
        """Forget every allocation (the card lost its memory)."""
        self.free_list: list[tuple[int, int]] = [(0, self.size)]  # (start, end), sorted
        self.live: dict[int, int] = {}  # address -> bytes of each allocation

    @property
    def used_bytes(self) -> int:
        return sum(self.live.values())

    @property
    def free_bytes(self) -> int:
        return sum(e - s for s, e in self.free_list)

    @property
    def largest_free(self) -> int:
        return max((e - s for s, e in self.free_list), default=0)

    def alloc(self, nbytes: int, align: int) -> int:
        if nbytes < 1 or align < 1:
            raise DeviceError(f"cannot allocate {nbytes} bytes aligned to {align}")
        best = None  # (block size, index, address)
        for i, (start, end) in enumerate(self.free_list):
            addr = -(-start // align) * align
            if addr + nbytes <= end:
                if self.policy == "first":
                    best = (0, i, addr)
                    break
                if best is None or end - start < best[0]:
                    best = (end - start, i, addr)
        if best is None:
            largest, free = self.largest_free, self.free_bytes
            raise DeviceMemoryError(
                f"card memory exhausted: cannot allocate {nbytes} bytes (aligned to {align}); "
                f"the largest free block is {largest} bytes, {free} bytes free in "
                f"{len(self.free_list)} block(s), card memory {self.size} bytes",
                nbytes,
                largest,
                free,
                self.size,
            )
        _, i, addr = best
        start, end = self.free_list[i]
        pieces = [(s, e) for s, e in ((start, addr), (addr + nbytes, end)) if e > s]
        self.free_list[i : i + 1] = pieces
        self.live[addr] = nbytes
        return addr

    def free(self, addr: int, nbytes: int) -> None:
        if self.live.get(addr) != nbytes:
            raise DeviceError(
                f"free of {nbytes} bytes at card address {addr:#x}: no such allocation "
                "(freed twice, or made before the card was restarted)"
            )
        del self.live[addr]
        start, end = addr, addr + nbytes
        i = bisect.bisect_left(self.free_list, (start, end))
        if i < len(self.free_list) and self.free_list[i][0] == end:  # merge the next block
            end = self.free_list.pop(i)[1]
        if i > 0 and self.free_list[i - 1][1] == start:  # merge the previous block
            i -= 1
            start = self.free_list.pop(i)[0]
        self.free_list.insert(i, (start, end))


class MappedCard:
    """The memory side of a simulated card whose DRAM the driver reaches as a numpy array (in
    its own process, or mapped from a card process like a PCIe BAR): allocation, DMA as
    bounds-checked copies, the DMA faults of `faults.py`, and the restart count.

    Subclasses set `memory` (uint8 array) and call `_init_memory` first."""

    memory: np.ndarray

    def _init_memory(self, memory_bytes: int, policy: str) -> None:
        self.allocator = OffsetAllocator(memory_bytes, policy)
        self.faults = FaultPlan()
        self.generation = 0  # restarts so far: allocations of an earlier generation are gone

    def alloc(self, nbytes: int, align: int = 64) -> DevicePtr:
        return DevicePtr(self.allocator.alloc(nbytes, align), nbytes, self.generation)

    def free(self, ptr: DevicePtr) -> None:
        self._check_generation(ptr, "free")
        self.allocator.free(ptr.addr, ptr.nbytes)

    def _check_generation(self, ptr: DevicePtr, action: str) -> None:
        if ptr.generation != self.generation:
            raise DeviceError(
                f"cannot {action} card address {ptr.addr:#x}: it was allocated before the card "
                f"was restarted (generation {ptr.generation}, the card is at {self.generation})"
            )

    def _span(self, ptr: DevicePtr, offset: int, nbytes: int, action: str) -> int:
        """The card address of a transfer, checked against the allocation and the card."""
        self._check_generation(ptr, action)
        if offset < 0 or nbytes < 0 or offset + nbytes > ptr.nbytes:
            raise DeviceError(
                f"DMA of {nbytes} bytes at offset {offset} overruns a {ptr.nbytes}-byte allocation"
            )
        start = ptr.addr + offset
        if start < 0 or start + nbytes > self.memory.size:
            raise DeviceError(
                f"DMA of {nbytes} bytes at card address {start:#x} lies outside the card's "
                f"{self.memory.size} bytes of memory"
            )
        return start

    def dma_to_device(self, ptr: DevicePtr, data: bytes, offset: int = 0) -> None:
        start = self._span(ptr, offset, len(data), "write")
        if self.faults.fires("dma_to_device"):
            raise DeviceError(
                f"DMA to the card failed: {len(data)} bytes to card address {start:#x} were not "
                "written (injected fault)"
            )
        self.memory[start : start + len(data)] = np.frombuffer(data, np.uint8)

    def dma_from_device(self, ptr: DevicePtr, nbytes: int, offset: int = 0) -> bytes:
        start = self._span(ptr, offset, nbytes, "read")
        if self.faults.fires("dma_from_device"):
            raise DeviceError(
                f"DMA from the card failed: {nbytes} bytes at card address {start:#x} were not "
                "read (injected fault)"
            )
        return self.memory[start : start + nbytes].tobytes()
