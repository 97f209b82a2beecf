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
    slots, as for dense convolutions), STORE."""

from __future__ import annotations

import numpy as np
from xdsl.builder import ImplicitBuilder
from xdsl.dialects.builtin import DictionaryAttr, IntegerAttr, i8, i32, i64

from canopy_ir.dialects import graph, tile
from canopy_ir.errors import LoweringError
from canopy_ir.hw.isa import AluOp
from canopy_ir.hw.layout import activation_grid, ceil_div, pack_bias
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
    Need,
    alu_step_cycles,
    choose_window_tiling,
    chunks,
    load_window,
    overhead,
    rows_in,
    store_tile,
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
    with ImplicitBuilder(kernel.body):
        bufs = [
            (
                tile.AllocOp("acc", slots + t.tob * (1 + requant.pieces)).buf,
                tile.AllocOp("inp", span(t.tob) * rows_in(g, t.toh, t.kr) * g.in_width(t.tow)).buf,
                tile.AllocOp("wgt", t.tob * r * t.kr * g.kw).buf,
            )
            for _ in range(t.buffers)
        ]
        slots_of: dict = {}  # the channel blocks whose biases and pieces each acc copy holds
        for out in tiles(g, t, bufs):
            acc, inp, wgt = out.bufs
            planes = [k * out.plane for k in range(out.tob)]
            whole = Rect(0, out.toh, 0, out.tow)
            reset(acc, inp, wgt, planes, out.toh, out.tow)
            ib_lo = start[out.b0]
            blocks = range(ib_lo, start[out.b0 + out.tob - 1] + r)
            for ch in chunks(g, t, out):
                kr = ch.i1 - ch.i0
                if ch.empty or not nonzero[out.b0 : out.b0 + out.tob, :, ch.i0 : ch.i1].any():
                    continue  # all padding, or all-zero weights: nothing to add
                load_window(inp, source, g, g.cib, out.nb, blocks, ch)
                kv(
                    tile.LoadOp,
                    [wgt],
                    tensor=weights,
                    dram_offset=(out.b0 * r * g.kh + ch.i0) * g.kw,
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
            fresh = slots_of.get(acc) != (out.b0, out.tob)
            slots_of[acc] = (out.b0, out.tob)
            if bias is not None:
                if fresh:
                    _per_block(acc, bias, slots, out.b0, out.tob)
                srcs = [slots + k for k in range(out.tob)]
                alu(acc, AluOp.ADD, whole, out.tow, planes, srcs=srcs, broadcast=True)
            base = slots + t.tob
            for j, name in enumerate(pieces if fresh else []):
                _per_block(acc, name, base + j * out.tob, out.b0, out.tob)
            regions = TileRegions(acc, 0, out.tob, out.plane, out.tow, slot=base)
            run_steps(regions, [(whole, steps)])
            store_tile(g, out, acc, dest)
    low.kernels.append(kernel)


def _per_block(acc, tensor: str, slot: int, b0: int, tob: int) -> None:
    """One accumulator element per block (biases, multiplier pieces) into acc[slot:slot+tob]."""
    kv(
        tile.LoadOp,
        [acc],
        offset=slot,
        tensor=tensor,
        dram_offset=b0,
        y_size=1,
        x_size=tob,
        x_stride=tob,
    )
