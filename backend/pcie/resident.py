"""What a `Session` keeps on its card: the model's arena (weights, micro-ops, activations), its
instruction stream relocated to where the arena lies in card memory, and, on a card that checks
its data (`verifies_checksums`), the check table: the crc32 of the weights, micro-ops and
instructions as uploaded, which the card verifies before each run.

`ResidentImage.upload` allocates and uploads it all, leaving nothing allocated if it fails;
`release` frees it; `valid` says whether it is still on the card: not after `release`, nor once
the card has restarted (its `generation` changed), which freed it already.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable

import numpy as np

from canopy_ir.artefact import Artefact
from canopy_ir.backend.pcie.device import (
    CHECK_CODES,
    CHECK_ENTRY,
    Device,
    DevicePtr,
    card_generation,
    verifies_checksums,
)
from canopy_ir.hw import isa
from canopy_ir.hw.config import HwConfig
from canopy_ir.hw.program import arena_alignment

DmaIn = Callable[[DevicePtr, bytes, int], None]


def relocate(insns: bytes, cfg: HwConfig, arena_addr: int) -> bytes:
    """Shift every LOAD/STORE's dram_base by the arena's card address (in its element size)."""
    out = []
    for insn in isa.decode_insns(insns, cfg):
        if isinstance(insn, isa.LoadInsn | isa.StoreInsn):
            eb = isa.dram_elem_bytes(insn.memory_type, cfg)
            insn.dram_base += arena_addr // eb
        out.append(insn)
    return isa.encode_insns(out, cfg)


def weight_spans(art: Artefact) -> list[tuple[int, int]]:
    """The arena's weight regions as few [start, end) spans as possible: neighbouring weights
    merge across a gap that no other region (nor the micro-op table) uses, since only the
    weights image ever writes there."""
    others = [(r.offset, r.offset + r.nbytes) for r in art.regions if r.role != "weight"]
    others.append((art.uop_offset, art.uop_offset + len(art.uops)))
    spans: list[tuple[int, int]] = []
    for r in sorted((r for r in art.regions if r.role == "weight"), key=lambda r: r.offset):
        lo, hi = r.offset, r.offset + r.nbytes
        if spans and all(e <= spans[-1][1] or s >= lo for s, e in others):
            spans[-1] = (spans[-1][0], max(spans[-1][1], hi))
        elif hi > lo:
            spans.append((lo, hi))
    return spans


class ResidentImage:
    """A compiled model as it lies on `device`; `verify`: record checksums for the card to
    check (ignored by a card that cannot)."""

    def __init__(self, artefact: Artefact, device: Device, verify: bool = True):
        self.artefact, self.device = artefact, device
        self.verify = verify and verifies_checksums(device)
        self.arena: DevicePtr | None = None
        self.insn_buf: DevicePtr | None = None
        self.check_table: DevicePtr | None = None
        self.generation: int | None = None
        art = artefact
        weights = memoryview(art.weights)
        # checksums of what never changes, taken once (the stream's depends on the arena address)
        self._constant_checks = [
            ("weights", lo, hi - lo, zlib.crc32(weights[lo:hi])) for lo, hi in weight_spans(art)
        ]
        if art.uops:
            self._constant_checks.append(
                ("micro-ops", art.uop_offset, len(art.uops), zlib.crc32(art.uops))
            )
        self._stream: tuple[int, bytes, int] | None = None  # (arena address, stream, crc32)

    @property
    def valid(self) -> bool:
        return self.arena is not None and self.generation == card_generation(self.device)

    def upload(self, dma_in: DmaIn) -> None:
        """Allocate the arena, instruction buffer and check table, and upload them (through
        `dma_in`, which counts the bytes). On failure nothing stays allocated."""
        self.release()
        art, device = self.artefact, self.device
        self.generation = card_generation(device)
        try:
            self.arena = device.alloc(art.arena_bytes, align=max(4096, arena_alignment(art.config)))
            self.insn_buf = device.alloc(len(art.insns), align=64)
            dma_in(self.arena, art.weights, 0)
            dma_in(self.arena, art.uops, art.uop_offset)
            dma_in(self.insn_buf, self._relocated()[1], 0)
            if self.verify:
                table = self._check_table()
                self.check_table = device.alloc(table.nbytes, align=64)
                dma_in(self.check_table, table.tobytes(), 0)
        except BaseException:
            self.release()
            raise

    def _relocated(self) -> tuple[int, bytes, int]:
        if self._stream is None or self._stream[0] != self.arena.addr:
            stream = relocate(self.artefact.insns, self.artefact.config, self.arena.addr)
            self._stream = (self.arena.addr, stream, zlib.crc32(stream))
        return self._stream

    def spans(self) -> list[tuple[str, int, int]]:
        """(what, card address, bytes) of everything checked: weights, micro-ops, instructions."""
        base = self.arena.addr
        out = [(what, base + offset, n) for what, offset, n, _ in self._constant_checks]
        return [*out, ("instructions", self.insn_buf.addr, len(self.artefact.insns))]

    def _check_table(self) -> np.ndarray:
        crcs = [crc for *_, crc in self._constant_checks] + [self._relocated()[2]]
        table = np.zeros(len(crcs), CHECK_ENTRY)
        for entry, (what, addr, n), crc in zip(table, self.spans(), crcs, strict=True):
            entry["addr"], entry["nbytes"], entry["crc32"] = addr, n, crc
            entry["what"] = CHECK_CODES[what]
        return table

    def release(self) -> None:
        """Free what the image holds on the card (nothing if the card restarted since)."""
        held = [p for p in (self.check_table, self.insn_buf, self.arena) if p is not None]
        self.arena = self.insn_buf = self.check_table = None
        if self.generation == card_generation(self.device):
            for ptr in held:
                self.device.free(ptr)
