"""Grouped and depthwise convolution (`graph.conv2d` with group > 1, int8, requantized) on the
accelerator. Takes the convolution and its `graph.requantize`; produces one `tile.kernel`.

The GEMM core multiplies a pixel's BI input channels by a BO × BI weight matrix, so output block
ob needs only the input blocks its groups read: a band of R consecutive input blocks from
start(ob) (R = 1 for depthwise convolutions and for groups that tile the blocks). The weights are
packed as that band only, [O/BO, R, KH, KW, BO, BI] (a depthwise layer's matrices are diagonal:
the core does 1/BI of its multiply-accumulates usefully, but one micro-op per output pixel, tap and
block is the fewest cycles any form takes: the ALU would need a MUL and an ADD reading a second
accumulator per tap, 5 cycles instead of 1, and a dense block-diagonal weight BI× more GEMMs).

Per tile (window.py: channel blocks × rows × columns, kernel-row chunks) the kernel emits:

    GEMM  reset of the tile
    per chunk: LOAD INP of the band's input blocks (the window, padded at the image border),
               LOAD WGT of the tile's band weights, one GEMM over the tile with
               tob × R × taps micro-ops (all-zero band blocks left out)
    LOAD ACC biases → slots, ALU ADD broadcasting each block's bias
    the requantization (canopy_ir.quant.Requant; per-channel multiplier pieces broadcast from
    slots, as for dense convolutions), STORE.

Consecutive tiles (or channel chunks of tiles) whose ops differ only in DRAM offsets and in the
copy of the buffers they use — the rows of a tall layer away from the image border, the channel
chunks of a deep one — are emitted once and repeated by a `tile.repeat` with a table of DRAM
offsets, as `KernelEmitter` (emitter.py, runs.py) does for dense convolutions: each tile's
`_TilePlan.key` holds everything its ops depend on besides those."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import numpy as np
from xdsl.builder import ImplicitBuilder
from xdsl.dialects.builtin import DictionaryAttr, IntegerAttr, i8, i32, i64
from xdsl.ir import Block, Operation

from canopy_ir.dialects import graph, tile
from canopy_ir.dialects.kvformat import KeyValueFormat
from canopy_ir.errors import LoweringError
from canopy_ir.hw.isa import AluOp
from canopy_ir.hw.layout import activation_grid, ceil_div, pack_bias
from canopy_ir.passes.graph_to_tile.fields import fit_transfer
from canopy_ir.passes.graph_to_tile.kit import (
    Rect,
    TileRegions,
    alu,
    check_rounding,
    gemm,
    kv,
    reset,
    run_steps,
)
from canopy_ir.passes.graph_to_tile.support import PAD_MAX
from canopy_ir.passes.graph_to_tile.tiling import ConvGeometry
from canopy_ir.passes.graph_to_tile.window import (
    Chunk,
    Need,
    Tile,
    WindowTiling,
    alu_step_cycles,
    choose_window_tiling,
    chunks,
    overhead,
    rows_in,
    tiles,
)
from canopy_ir.quant import Requant, piece_bits


def band(w: np.ndarray, group: int, bo: int, bi: int) -> tuple[np.ndarray, list[int]]:
    """The band weights [O/BO, R, KH, KW, BO, BI] of a grouped weight [O, C/group, KH, KW] and
    each output block's first input block."""
    o_count, cg, kh, kw = w.shape
    og = o_count // group
    cob, cib = ceil_div(o_count, bo), ceil_div(cg * group, bi)
    lo, hi = [], []
    for ob in range(cob):
        g0, g1 = ob * bo // og, (min(o_count, (ob + 1) * bo) - 1) // og
        lo.append(g0 * cg // bi)
        hi.append(ceil_div((g1 + 1) * cg, bi))
    r = max(b - a for a, b in zip(lo, hi, strict=True))
    start = [min(a, cib - r) for a in lo]
    packed = np.zeros((cob, r, kh, kw, bo, bi), np.int8)
    oo, cc = np.meshgrid(np.arange(o_count), np.arange(cg), indexing="ij")
    c = (oo // og) * cg + cc
    ob = oo // bo
    rr = c // bi - np.asarray(start)[ob]
    packed[ob, rr, :, :, oo % bo, c % bi] = w[oo, cc]
    return packed, start


def grouped_geometry(op: graph.Conv2dOp, cfg) -> ConvGeometry:
    nb, cib, h, wd = activation_grid(graph.shape_of(op.input), cfg)
    o, _, kh, kw = graph.shape_of(op.weight)
    _, _, oh, ow = graph.shape_of(op.output)
    (sh, sw), (pt, pl, _, _), (dh, dw) = (
        op.strides.get_values(),
        op.pads.get_values(),
        op.dilations.get_values(),
    )
    return ConvGeometry(
        nb, cib, h, wd, ceil_div(o, cfg.block_out), oh, ow, kh, kw, sh, sw, pt, pl, dh, dw
    )


def lower_grouped(low, op: graph.Conv2dOp, rq: graph.RequantizeOp) -> None:
    cfg, layer = low.cfg, op.node_name
    where = f"node '{layer}'"
    if max(op.pads.get_values()) > PAD_MAX:
        raise LoweringError(f"padding over {PAD_MAX} does not fit LOAD's pad fields", where)
    g = grouped_geometry(op, cfg)
    w = low.pool[op.weight.owner.weight.data]
    packed, start = band(w, op.group.value.data, cfg.block_out, cfg.block_in)
    r = packed.shape[1]
    nonzero = packed.reshape(g.cob, r, g.kh, -1).any(axis=3)  # [ob, r, kh]
    requant = Requant(*rq.params, piece_bits(cfg.ALU_MUL_BITS))
    check_rounding(requant, f"layer '{layer}'")
    has_bias = op.bias is not None
    steps = requant.steps()
    pieces_of = range(requant.pieces if requant.per_channel else 0)
    e_inp, e_wgt, e_out = (cfg.elem_bytes(b) for b in ("inp", "wgt", "out"))

    @cache  # the tiling search asks for every candidate tile
    def span(tob: int) -> int:
        """Input blocks the widest tile of `tob` output blocks reads."""
        return max(start[min(b0 + tob, g.cob) - 1] + r - start[b0] for b0 in range(0, g.cob, tob))

    def size(tob, toh, tow, kr) -> Need:
        out, taps = tob * toh * tow, kr * g.kw
        n_chunks = ceil_div(g.kh, kr)
        window = span(tob) * rows_in(g, toh, kr)
        return Need(
            inp=window * g.in_width(tow),
            acc=out * (1 + requant.scratch_tiles) + tob * (1 + requant.pieces),
            wgt=tob * r * taps,
            uop=max(tob * r * taps, tob),
            dram_bytes=n_chunks * (window * g.data_width(tow) * e_inp + tob * r * taps * e_wgt)
            + out * e_out,
            transfers=n_chunks * (span(tob) + 1) + 2 + requant.pieces,
            compute=out * (1 + r * g.taps + 2 * has_bias + alu_step_cycles(steps))
            + overhead(
                cfg,
                1 + n_chunks,
                len(steps) + has_bias,
                (has_bias + len(pieces_of)) / (ceil_div(g.oh, toh) * ceil_div(g.ow, tow)),
            ),
        )

    t = choose_window_tiling(g, cfg, size, layer)
    source = low.activation(op.input, f"{layer}.in")
    dest = low.activation(rq.output, f"{layer}.out")
    weights = low.weight(op.weight.owner.weight.data, packed, i8)
    bias = None
    if has_bias:
        bias = low.weight(
            op.bias.owner.weight.data, pack_bias(low.pool[op.bias.owner.weight.data], cfg), i32
        )
    pieces = []
    if requant.per_channel:
        for j in range(requant.pieces):
            piece = np.asarray(requant.piece(j), np.int32)
            pieces.append(low.weight(f"{layer}.multipliers{j}", pack_bias(piece, cfg), i32))
    kernel = tile.KernelOp(layer)
    kernel.attributes["tiling"] = DictionaryAttr(
        {k: IntegerAttr(v, i64) for k, v in {**t.attrs(), "band": r}.items()}
    )
    out_max = t.tob * t.toh * t.tow
    slots = out_max * (1 + requant.scratch_tiles)
    body = _Body(g, t, start, nonzero, slots, steps, source, dest, weights, bias, pieces)
    with ImplicitBuilder(kernel.body):
        bufs = [
            (
                tile.AllocOp("acc", slots + t.tob * (1 + requant.pieces)).buf,
                tile.AllocOp("inp", span(t.tob) * rows_in(g, t.toh, t.kr) * g.in_width(t.tow)).buf,
                tile.AllocOp("wgt", t.tob * r * t.kr * g.kw).buf,
            )
            for _ in range(t.buffers)
        ]
        plans = body.plan(bufs)
        per_chunk = ceil_div(g.oh, t.toh) * ceil_div(g.ow, t.tow)  # tiles per channel chunk
        for run in _runs([p.key for p in plans], per_chunk, t.buffers):
            body.emit_run(kernel.body.block, [[plans[i] for i in block] for block in run], bufs)
    low.kernels.append(kernel)


@dataclass(frozen=True)
class _TilePlan:
    """One output tile: its position in the tile order (`k`: the copy of the buffers it uses),
    its kernel-row chunks, whether its accumulator copy must first load this tile's biases and
    multiplier pieces (`fresh`), and `key`: what its ops depend on besides DRAM offsets and the
    buffer copy (sizes, the chunks' padding, the band's offsets and non-zero blocks)."""

    out: Tile
    k: int
    chunks: list[Chunk]
    fresh: bool
    key: tuple


def _runs(keys: list, per_chunk: int, buffers: int) -> list[list[range]]:
    """The tiles in order (as index ranges), cut into blocks of one tile or of one channel
    chunk's tiles, and the blocks into runs of equal keys; whichever leaves fewer tiles to emit
    as ops (runs.runs, for the dense convolution's tiles)."""
    sizes = [1] + ([per_chunk] if per_chunk > 1 and per_chunk % buffers in (0, 1) else [])
    best: list[list[range]] = []
    for size in sizes:
        found: list[list[range]] = []
        for i in range(0, len(keys), size):
            block, last = range(i, min(i + size, len(keys))), found[-1][0] if found else None
            if last is not None and keys[i : block.stop] == keys[last.start : last.stop]:
                found[-1].append(block)
            else:
                found.append([block])
        if not best or sum(len(run[0]) for run in found) < sum(len(run[0]) for run in best):
            best = found
    return best


class _Template:
    """The ops emitted into `block` after construction (a run's first block of tiles) and, per
    load or store among them, its DRAM offset over the run where that varies."""

    def __init__(self, block: Block):
        self.block, self.before = block, block.last_op
        self.varying: dict[int, np.ndarray] = {}  # id(op) -> DRAM offsets over the run

    def op(self, op_cls, operands, **fields) -> None:
        offsets = np.asarray(fields["dram_offset"], np.int64).reshape(-1)
        op = kv(op_cls, operands, **{**fields, "dram_offset": int(offsets[0])})
        if len(offsets) > 1 and (offsets != offsets[0]).any():
            self.varying[id(op)] = offsets

    def transfer(self, op_cls, buf, **fields) -> None:
        """kit.transfer: cut where a 16-bit field would overflow (the cut depends on sizes and
        strides only, so it is the same for the whole run)."""
        fields.setdefault("x_stride", fields["x_size"])
        for piece in fit_transfer(fields, load=op_cls is tile.LoadOp):
            self.op(op_cls, [buf], **piece)

    def ops(self) -> list[Operation]:
        op = self.block.first_op if self.before is None else self.before.next_op
        out = []
        while op is not None:
            out.append(op)
            op = op.next_op
        return out


class _Body:
    """The ops of a grouped convolution's tiles (see the module docstring)."""

    def __init__(self, g, t: WindowTiling, start, nonzero, slots, steps, *tensors):
        self.g, self.t, self.start, self.nonzero = g, t, start, nonzero
        self.r, self.slots, self.steps = nonzero.shape[1], slots, steps
        self.source, self.dest, self.weights, self.bias, self.pieces = tensors
        self.first_block = np.asarray(start, np.int64)

    def plan(self, bufs: list[tuple]) -> list[_TilePlan]:
        g, start, plans = self.g, self.start, []
        slots_of: dict = {}  # the channel blocks whose biases and pieces each acc copy holds
        for k, out in enumerate(tiles(g, self.t, bufs)):
            acc = out.bufs[0]
            fresh = slots_of.get(acc) != (out.b0, out.tob)
            slots_of[acc] = (out.b0, out.tob)
            chs = chunks(g, self.t, out)
            key = (
                out.tob,
                out.toh,
                out.tow,
                fresh,
                tuple(s - start[out.b0] for s in start[out.b0 : out.b0 + out.tob]),
                self.nonzero[out.b0 : out.b0 + out.tob].tobytes(),
                tuple(
                    (c.ys.pad_0, c.ys.data, c.ys.pad_1, c.xs.pad_0, c.xs.data, c.xs.pad_1)
                    for c in chs
                ),
            )
            plans.append(_TilePlan(out, k, chs, fresh, key))
        return plans

    def emit_run(self, block: Block, run: list[list[_TilePlan]], bufs: list[tuple]) -> None:
        """The ops of the run's first block of tiles, then a `tile.repeat` for the others
        (emitter.KernelEmitter.emit_run)."""
        sink = _Template(block)
        for j in range(len(run[0])):
            self.emit_tile([b[j] for b in run], sink)
        if len(run) == 1:
            return
        ops = sink.ops()
        vary = [i for i, op in enumerate(ops) if id(op) in sink.varying]
        deltas = [sink.varying[id(ops[i])][1:] - sink.varying[id(ops[i])][0] for i in vary]
        # tile k uses buffer copy k mod len(bufs): a block of an odd number of tiles starts on
        # the other copy each time
        k0, rotate = run[0][0].k, len(run[0]) % len(bufs)
        sets = [bufs[(k0 + i) % len(bufs)] for i in range(len(bufs))] if rotate else []
        tile.RepeatOp.create(
            operands=[b for s in sets for b in s],
            properties=KeyValueFormat.kv_properties(
                tile.RepeatOp.KV_FIELDS,
                {
                    "ops": len(ops),
                    "count": len(run) - 1,
                    "sets": max(len(sets), 1),
                    "vary": vary,
                    "deltas": np.stack(deltas, 1).reshape(-1) if vary else [],
                },
            ),
        )

    def emit_tile(self, same: list[_TilePlan], sink: _Template) -> None:
        """The ops of same[0], with each DRAM offset an array over `same` (tiles of one key)."""
        g, r, start, nonzero = self.g, self.r, self.start, self.nonzero
        first = same[0]
        out = first.out
        nb = np.array([p.out.nb for p in same], np.int64)
        b0 = np.array([p.out.b0 for p in same], np.int64)
        acc, inp, wgt = out.bufs
        planes = [k * out.plane for k in range(out.tob)]
        whole = Rect(0, out.toh, 0, out.tow)
        reset(acc, inp, wgt, planes, out.toh, out.tow)
        ib_lo = start[out.b0]
        blocks = start[out.b0 + out.tob - 1] + r - ib_lo
        for c, ch in enumerate(first.chunks):
            kr = ch.i1 - ch.i0
            if ch.empty or not nonzero[out.b0 : out.b0 + out.tob, :, ch.i0 : ch.i1].any():
                continue  # all padding, or all-zero weights: nothing to add
            ys = np.array([p.chunks[c].ys.first for p in same], np.int64)
            xs = np.array([p.chunks[c].xs.first for p in same], np.int64)
            for k in range(blocks):  # window.load_window, over the run
                sink.transfer(
                    tile.LoadOp,
                    inp,
                    offset=k * ch.plane,
                    tensor=self.source,
                    dram_offset=((nb * g.cib + self.first_block[b0] + k) * g.h + ys) * g.w + xs,
                    y_size=ch.ys.data,
                    x_size=ch.xs.data,
                    x_stride=g.w,
                    y_pad_0=ch.ys.pad_0,
                    y_pad_1=ch.ys.pad_1,
                    x_pad_0=ch.xs.pad_0,
                    x_pad_1=ch.xs.pad_1,
                )
            sink.op(
                tile.LoadOp,
                [wgt],
                tensor=self.weights,
                dram_offset=(b0 * r * g.kh + ch.i0) * g.kw,
                y_size=out.tob * r,
                x_size=kr * g.kw,
                x_stride=g.kh * g.kw,
            )
            uops = [
                v
                for k in range(out.tob)
                for b in range(r)
                if nonzero[out.b0 + k, b, ch.i0 : ch.i1].any()
                for i in range(kr)
                for j in range(g.kw)
                for v in (
                    planes[k],
                    (start[out.b0 + k] - ib_lo + b) * ch.plane + i * g.dh * ch.width + j * g.dw,
                    ((k * r + b) * kr + i) * g.kw + j,
                )
            ]
            gemm(
                acc,
                inp,
                wgt,
                uops,
                iter_out=out.toh,
                iter_in=out.tow,
                dst_factor_out=out.tow,
                dst_factor_in=1,
                src_factor_out=g.sh * ch.width,
                src_factor_in=g.sw,
            )
        if self.bias is not None:
            if first.fresh:
                _per_block(sink, acc, self.bias, self.slots, b0, out.tob)
            srcs = [self.slots + k for k in range(out.tob)]
            alu(acc, AluOp.ADD, whole, out.tow, planes, srcs=srcs, broadcast=True)
        base = self.slots + self.t.tob
        for j, name in enumerate(self.pieces if first.fresh else []):
            _per_block(sink, acc, name, base + j * out.tob, b0, out.tob)
        regions = TileRegions(acc, 0, out.tob, out.plane, out.tow, slot=base)
        run_steps(regions, [(whole, self.steps)])
        # window.store_tile, over the run: one 2-D store when the tile spans the width (or one
        # row), else one per channel block
        oh0 = np.array([p.out.oh0 for p in same], np.int64)
        ow0 = np.array([p.out.ow0 for p in same], np.int64)
        at = ((nb * g.cob + b0) * g.oh + oh0) * g.ow + ow0
        planes_2d = out.tow == g.ow or out.toh == 1
        for k in range(1 if planes_2d else out.tob):
            sink.transfer(
                tile.StoreOp,
                acc,
                offset=k * out.plane,
                tensor=self.dest,
                dram_offset=at + k * g.oh * g.ow,
                y_size=out.tob if planes_2d else out.toh,
                x_size=out.plane if planes_2d else out.tow,
                x_stride=g.oh * g.ow if planes_2d else g.ow,
            )


def _per_block(sink: _Template, acc, tensor: str, slot: int, b0, tob: int) -> None:
    """One accumulator element per block (biases, multiplier pieces) into acc[slot:slot+tob]."""
    sink.op(
        tile.LoadOp,
        [acc],
        offset=slot,
        tensor=tensor,
        dram_offset=b0,
        y_size=1,
        x_size=tob,
        x_stride=tob,
    )
