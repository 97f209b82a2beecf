"""Shared pieces of the accelerator lowerings besides convolution (pool.py, eltwise.py,
grouped.py, placement.py): emitting single tile ops, ALU instructions over rectangles of
accumulator tiles, the ALU steps of a requantization with one multiplier per rectangle or per
channel, and the constant weight elements (identity, digit-scaled identities) with which a GEMM
copies int8 data from the input buffer into the accumulators.

Why a GEMM copies: the tile dialect loads DRAM into the accumulators only as int32 (LOAD ACC), so
int8 activations reach them through the input buffer and a GEMM by the identity (LOAD INP in the
load module, overlapping compute; one GEMM micro-op per element in compute). A GEMM by d·I
multiplies while it copies, which the residual add and the rescale use for their multipliers.

Takes buffers and offsets; produces tile ops in the current ImplicitBuilder block."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from xdsl.ir import SSAValue

from canopy_ir.dialects import tile
from canopy_ir.dialects.kvformat import KeyValueFormat
from canopy_ir.errors import LoweringError
from canopy_ir.hw.config import HwConfig
from canopy_ir.hw.isa import AluOp
from canopy_ir.passes.graph_to_tile.fields import fit_transfer
from canopy_ir.quant import AluStep, Requant

IMM_MIN, IMM_MAX = -(1 << 15), (1 << 15) - 1  # the ALU immediate is 16 bits, signed


def kv(op_cls, operands, **values):
    """One tile op. A micro-op loop that runs once never uses its factors: they become 0, so
    that they fit their fields whatever the caller computed."""
    if op_cls in (tile.GemmOp, tile.AluOp):
        for side in ("out", "in"):
            if values.get(f"iter_{side}", 1) == 1:
                for f in ("dst", "src", "wgt"):
                    values.pop(f"{f}_factor_{side}", None)
    return op_cls.create(
        operands=operands, properties=KeyValueFormat.kv_properties(op_cls.KV_FIELDS, values)
    )


def transfer(op_cls, buf: SSAValue, **fields) -> None:
    """One tile.load / tile.store, cut where a field would not fit 16 bits."""
    fields.setdefault("x_stride", fields["x_size"])
    for piece in fit_transfer(fields, load=op_cls is tile.LoadOp):
        kv(op_cls, [buf], **piece)


def loop(**kw) -> dict:
    base = dict(
        iter_out=1, iter_in=1, dst_factor_out=0, dst_factor_in=0, src_factor_out=0, src_factor_in=0
    )
    base.update(kw)
    return base


@dataclass(frozen=True)
class Rect:
    """Rows r0 .. r0 + nr - 1 and columns c0 .. c0 + nc - 1 of a tile plane."""

    r0: int
    nr: int
    c0: int
    nc: int

    def offset(self, pitch: int) -> int:
        return self.r0 * pitch + self.c0

    def clip(self, rows: range, cols: range) -> Rect | None:
        r0, r1 = max(self.r0, rows.start), min(self.r0 + self.nr, rows.stop)
        c0, c1 = max(self.c0, cols.start), min(self.c0 + self.nc, cols.stop)
        if r0 >= r1 or c0 >= c1:
            return None
        return Rect(r0 - rows.start, r1 - r0, c0 - cols.start, c1 - c0)


def alu(
    acc: SSAValue,
    op: AluOp,
    rect: Rect,
    pitch: int,
    dsts: list[int],
    imm: int | None = None,
    srcs: list[int] | None = None,
    broadcast: bool = False,
) -> None:
    """One ALU instruction over `rect` (row pitch `pitch`) of each plane starting at dsts[k]:
    with the immediate `imm`, or with the same rectangle of the plane at srcs[k], or (broadcast)
    with the single element srcs[k]."""
    off = rect.offset(pitch)
    loops = loop(iter_out=rect.nr, iter_in=rect.nc, dst_factor_out=pitch, dst_factor_in=1)
    if imm is not None:
        if not IMM_MIN <= imm <= IMM_MAX:
            raise ValueError(f"ALU immediate {imm} does not fit 16 bits")
        uops = [v for d in dsts for v in (d + off, 0)]
        kv(tile.AluOp, [acc], op=int(op), use_imm=1, imm=imm, **loops, uops=uops)
        return
    assert srcs is not None and len(srcs) == len(dsts)
    if broadcast:
        uops = [v for d, s in zip(dsts, srcs, strict=True) for v in (d + off, s)]
    else:
        uops = [v for d, s in zip(dsts, srcs, strict=True) for v in (d + off, s + off)]
        loops.update(src_factor_out=pitch, src_factor_in=1)
    kv(tile.AluOp, [acc], op=int(op), **loops, uops=uops)


def add_constant(acc: SSAValue, value: int, rect: Rect, pitch: int, dsts: list[int]) -> None:
    """ADD `value` (any int32) as immediates that fit 16 bits."""
    while value:
        step = max(IMM_MIN, min(IMM_MAX, value))
        alu(acc, AluOp.ADD, rect, pitch, dsts, imm=step)
        value -= step


def gemm(acc, inp, wgt, uops: list[int], reset: bool = False, **loops) -> None:
    kv(tile.GemmOp, [acc, inp, wgt], reset=int(reset), **loop(**loops), uops=uops)


def reset(acc, inp, wgt, bases: list[int], rows: int, cols: int) -> None:
    """Zero rows × cols contiguous accumulator elements from each of `bases`."""
    uops = [v for b in bases for v in (b, 0, 0)]
    gemm(
        acc, inp, wgt, uops, True, iter_out=rows, iter_in=cols, dst_factor_out=cols, dst_factor_in=1
    )


# --- constant weight elements ------------------------------------------------------------------


def diagonal_elements(values: list[int], cfg: HwConfig) -> np.ndarray:
    """Weight elements d·I, one per value, packed [n, BO, BI] int8 (a GEMM by one multiplies
    every lane by d)."""
    assert cfg.block_in == cfg.block_out
    eye = np.eye(cfg.block_out, dtype=np.int64)
    out = np.stack([eye * int(v) for v in values]) if values else eye[None] * 0
    assert np.abs(out).max(initial=0) <= 127
    return out.astype(np.int8)


def digits(m: int, bits: int) -> list[int]:
    """m >= 0 in base 2^bits, most significant digit first (at least one digit)."""
    out = [(m >> s) & ((1 << bits) - 1) for s in range(0, max(m.bit_length(), 1), bits)]
    return out[::-1]


# --- requantization over rectangles -------------------------------------------------------------


@dataclass(frozen=True)
class FixedPieces(Requant):
    """A Requant whose multiply uses exactly `count` pieces (leading zero pieces allowed), so
    that rectangles with different multipliers run the same step sequence."""

    count: int = 0

    @property
    def pieces(self) -> int:
        return self.count

    def _times_piece(self, region: int, j: int) -> list[AluStep]:
        # one step even for a factor of 1, so that every multiplier gives the same sequence
        return [AluStep("MUL", region, imm=self.piece(j)[0])]


def piece_count(multipliers, piece_bits: int) -> int:
    """Pieces a multiply by every one of `multipliers` needs (0: they are all 1)."""
    largest = max(multipliers)
    if all(m == 1 for m in multipliers):
        return 0
    return max(1, -(-largest.bit_length() // piece_bits))


def check_rounding(requant: Requant, where: str) -> None:
    if requant.pieces > 1 and requant.shift <= requant.multiply_shift:
        raise LoweringError(
            f"its requantization (shift {requant.shift}) cannot be rounded exactly with "
            f"{requant.pieces} multiplier pieces of {requant.piece_bits} bits",
            where,
        )


@dataclass(frozen=True)
class TileRegions:
    """Where a requantization works in an accumulator buffer: the tile is `blocks` planes of
    rows × pitch elements from `base` (tile_elems in all, copies k of it at base + k·tile_elems
    for the multiply's scratch); per-channel multiplier pieces sit at slot + piece·blocks + b."""

    acc: SSAValue
    base: int
    blocks: int
    plane: int
    pitch: int
    slot: int = 0

    @property
    def tile_elems(self) -> int:
        return self.blocks * self.plane

    def planes(self, region: int) -> list[int]:
        return [self.base + region * self.tile_elems + b * self.plane for b in range(self.blocks)]


def _noop(step: AluStep) -> bool:
    return (step.op, step.imm) in (("MUL", 1), ("ADD", 0), ("SHR", 0))


def run_steps(regions: TileRegions, variants: list[tuple[Rect, list[AluStep]]]) -> None:
    """ALU steps per rectangle of the tile, step by step: where every rectangle runs the same
    step (and the rectangles cover the tile), one instruction over the whole tile does it.
    Steps that change nothing (MUL 1, ADD 0, SHR 0) are left out."""
    if not variants:
        return
    count = {len(steps) for _, steps in variants}
    assert len(count) == 1, "rectangles must run step sequences of one length"
    rows = max(r.r0 + r.nr for r, _ in variants)
    whole = Rect(0, rows, 0, regions.pitch)
    covered = sum(r.nr * r.nc for r, _ in variants) == rows * regions.pitch
    for k in range(count.pop()):
        forms = {steps[k] for _, steps in variants}
        if len(forms) == 1 and covered:
            step = next(iter(forms))
            if not _noop(step):
                _step(regions, whole, step)
            continue
        for rect, steps in variants:
            if not _noop(steps[k]):
                _step(regions, rect, steps[k])


def _step(t: TileRegions, rect: Rect, step: AluStep) -> None:
    op, dsts = AluOp[step.op], t.planes(step.dst)
    if step.piece is not None:
        srcs = [t.slot + step.piece * t.blocks + b for b in range(t.blocks)]
        alu(t.acc, op, rect, t.pitch, dsts, srcs=srcs, broadcast=True)
    elif step.imm is not None:
        alu(t.acc, op, rect, t.pitch, dsts, imm=step.imm)
    else:
        alu(t.acc, op, rect, t.pitch, dsts, srcs=t.planes(step.src))
