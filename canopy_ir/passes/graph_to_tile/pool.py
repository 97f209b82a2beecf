"""Max pooling (int8 `graph.pool` kind=max) and average pooling (`graph.qavg_pool`) on the
accelerator, tiled by window.py. Takes the graph op and the lowering's tensor declarations;
produces one `tile.kernel`.

Per tile (channel blocks × output rows × output columns) and kernel-row chunk, the input window is
loaded into the input buffer (LOAD INP, zero-padded where it leaves the image), then:

- max: a GEMM by the identity copies the window into the accumulators (after a reset GEMM); the
  output tile starts as a tap that every output position reads inside the image (reset + GEMM by
  the identity straight from the input buffer), or as -128, the minimum of int8; then one ALU MAX
  per kernel tap over the output positions where that tap lies inside the image (a rectangle:
  padding and ceil_mode overhang never take part, so they never win);
- average: one GEMM by the identity sums every tap into the output tile (the zero padding adds
  nothing), then per rectangle of output positions with the same window counts an ALU ADD of
  -input_zero_point × (positions inside the image) and the requantization (canopy_ir.quant.Requant)
  with that rectangle's multiplier M(count); steps that agree over the rectangles run once.

Then one STORE per tile (per block when the tile is narrower than the image)."""

from __future__ import annotations

import numpy as np
from xdsl.builder import ImplicitBuilder
from xdsl.dialects.builtin import DictionaryAttr, IntegerAttr, i64

from canopy_ir.dialects import graph, tile
from canopy_ir.hw.isa import AluOp
from canopy_ir.hw.layout import activation_grid
from canopy_ir.kernels import window_sums
from canopy_ir.passes.graph_to_tile.kit import (
    FixedPieces,
    Rect,
    TileRegions,
    add_constant,
    alu,
    check_rounding,
    gemm,
    kv,
    piece_count,
    reset,
    run_steps,
)
from canopy_ir.passes.graph_to_tile.tiling import ConvGeometry
from canopy_ir.passes.graph_to_tile.window import (
    Need,
    WindowTiling,
    alu_step_cycles,
    choose_window_tiling,
    chunks,
    load_window,
    overhead,
    rows_in,
    store_tile,
    tap_rect,
    tiles,
)
from canopy_ir.quant import piece_bits


def pool_geometry(op, cfg) -> ConvGeometry:
    nb, cb, h, w = activation_grid(graph.shape_of(op.input), cfg)
    _, _, oh, ow = graph.shape_of(op.output)
    kh, kw = op.kernel.get_values()
    sh, sw = op.strides.get_values()
    pt, pl, _, _ = op.pads.get_values()
    dh, dw = op.dilations.get_values()
    return ConvGeometry(nb, cb, h, w, cb, oh, ow, kh, kw, sh, sw, pt, pl, dh, dw)


def _kernel(layer: str, t: WindowTiling) -> tile.KernelOp:
    kernel = tile.KernelOp(layer)
    kernel.attributes["tiling"] = DictionaryAttr(
        {k: IntegerAttr(v, i64) for k, v in t.attrs().items()}
    )
    return kernel


# --- max pooling ---------------------------------------------------------------------------------


def lower_max_pool(low, op: graph.PoolOp) -> None:
    cfg, layer = low.cfg, op.node_name
    g = pool_geometry(op, cfg)
    e_inp, e_out = cfg.elem_bytes("inp"), cfg.elem_bytes("out")

    def size(tob, toh, tow, kr) -> Need:
        window = tob * rows_in(g, toh, kr) * g.in_width(tow)
        out = tob * toh * tow
        n_chunks = -(-g.kh // kr)
        return Need(
            inp=window,
            acc=out + window,
            wgt=1,
            uop=max(tob, 1),
            dram_bytes=n_chunks * tob * rows_in(g, toh, kr) * g.data_width(tow) * e_inp
            + out * e_out,
            transfers=n_chunks * tob + 1,
            compute=n_chunks * 2 * window
            + out * 2 * g.taps
            + overhead(cfg, 2 * n_chunks + 2, g.taps),
        )

    t = choose_window_tiling(g, cfg, size, layer)
    source, dest = (
        low.activation(op.input, f"{layer}.in"),
        low.activation(op.output, f"{layer}.out"),
    )
    identity = low.identity()
    kernel = _kernel(layer, t)
    with ImplicitBuilder(kernel.body):
        out_max = t.tob * t.toh * t.tow
        window_max = t.tob * rows_in(g, t.toh, t.kr) * g.in_width(t.tow)
        bufs = []
        for _ in range(t.buffers):
            acc = tile.AllocOp("acc", out_max + window_max).buf
            inp = tile.AllocOp("inp", window_max).buf
            wgt = tile.AllocOp("wgt", 1).buf
            kv(tile.LoadOp, [wgt], tensor=identity, y_size=1, x_size=1, x_stride=1)
            bufs.append((acc, inp, wgt))
        for out in tiles(g, t, bufs):
            acc, inp, wgt = out.bufs
            planes = [k * out.plane for k in range(out.tob)]
            started = False
            for ch in chunks(g, t, out):
                if ch.empty:
                    continue  # no tap of these kernel rows reads the image
                blocks = range(out.b0, out.b0 + out.tob)
                load_window(inp, source, g, g.cib, out.nb, blocks, ch)
                copies = [out_max + k * ch.plane for k in range(out.tob)]
                reset(acc, inp, wgt, copies, ch.rows, ch.width)
                gemm(
                    acc,
                    inp,
                    wgt,
                    [v for k in range(out.tob) for v in (copies[k], k * ch.plane, 0)],
                    iter_out=ch.rows,
                    iter_in=ch.width,
                    dst_factor_out=ch.width,
                    dst_factor_in=1,
                    src_factor_out=ch.width,
                    src_factor_in=1,
                )
                taps = []
                for i in range(ch.i0, ch.i1):
                    for j in range(g.kw):
                        rect = tap_rect(g, out, i, j)
                        if rect is not None:
                            taps.append((i, j, rect))
                if not started:
                    taps = _initialise(g, out, ch, taps, planes)
                    started = True
                for i, j, rect in taps:
                    src = ((rect.r0 * g.sh + (i - ch.i0) * g.dh) * ch.width) + (
                        rect.c0 * g.sw + j * g.dw
                    )
                    off = rect.offset(out.tow)
                    uops = [v for k in range(out.tob) for v in (planes[k] + off, copies[k] + src)]
                    kv(
                        tile.AluOp,
                        [acc],
                        op=int(AluOp.MAX),
                        iter_out=rect.nr,
                        iter_in=rect.nc,
                        dst_factor_out=out.tow,
                        dst_factor_in=1,
                        src_factor_out=g.sh * ch.width,
                        src_factor_in=g.sw,
                        uops=uops,
                    )
            if not started:  # windows wholly outside the image (not produced by ONNX models)
                reset(acc, inp, wgt, planes, out.toh, out.tow)
                alu(acc, AluOp.ADD, Rect(0, out.toh, 0, out.tow), out.tow, planes, imm=-128)
            store_tile(g, out, acc, dest)
    low.kernels.append(kernel)


def _initialise(g: ConvGeometry, out, ch, taps, planes):
    """Start the output tile: as a tap that lies inside the image for every output position
    (copied from the input buffer by a GEMM), else as -128. Returns the taps still to apply."""
    acc, inp, wgt = out.bufs
    reset(acc, inp, wgt, planes, out.toh, out.tow)
    full = Rect(0, out.toh, 0, out.tow)
    for n, (i, j, rect) in enumerate(taps):
        if rect == full:
            src = (i - ch.i0) * g.dh * ch.width + j * g.dw
            gemm(
                acc,
                inp,
                wgt,
                [v for k in range(out.tob) for v in (planes[k], k * ch.plane + src, 0)],
                iter_out=out.toh,
                iter_in=out.tow,
                dst_factor_out=out.tow,
                dst_factor_in=1,
                src_factor_out=g.sh * ch.width,
                src_factor_in=g.sw,
            )
            return taps[:n] + taps[n + 1 :]
    alu(acc, AluOp.ADD, full, out.tow, planes, imm=-128)
    return taps


# --- average pooling -----------------------------------------------------------------------------


def avg_rectangles(op: graph.QAvgPoolOp) -> list[tuple[Rect, int, int]]:
    """(rectangle of output positions, positions inside the image, window count) covering the
    output: rows (columns) with identical counts along them are merged into ranges."""
    _, _, h, w = graph.shape_of(op.input)
    _, _, oh, ow = graph.shape_of(op.output)
    inside, counts = window_sums(
        np.ones((1, 1, h, w), np.int64),
        op.kernel.get_values(),
        op.strides.get_values(),
        op.pads.get_values(),
        op.dilations.get_values(),
        op.count_include_pad.value.data,
        (oh, ow),
    )
    both = np.stack([inside[0, 0], counts])  # [2, oh, ow]

    def ranges(axis: int) -> list[tuple[int, int]]:
        n = both.shape[axis + 1]
        cut = [0] + [
            k
            for k in range(1, n)
            if not np.array_equal(both.take(k, axis + 1), both.take(k - 1, axis + 1))
        ]
        return [(a, b - a) for a, b in zip(cut, [*cut[1:], n], strict=True)]

    return [
        (Rect(r0, nr, c0, nc), int(inside[0, 0, r0, c0]), int(counts[r0, c0]))
        for r0, nr in ranges(0)
        for c0, nc in ranges(1)
    ]


def avg_requant(op: graph.QAvgPoolOp, alu_mul_bits: int, rects) -> dict[int, FixedPieces]:
    """The requantization of each window count that occurs, all with the same number of
    multiplier pieces."""
    table = op.multipliers.get_values()
    used = sorted({c for _, _, c in rects})
    m = {c: int(table[0] if len(table) == 1 else table[max(c, 1) - 1]) for c in used}
    bits = piece_bits(alu_mul_bits)
    k = piece_count(list(m.values()), bits)
    shift, zp = op.shift.value.data, op.zero_point.value.data
    lo, hi, pre = op.clip_min.value.data, op.clip_max.value.data, op.pre_shift.value.data
    return {c: FixedPieces(shift, zp, lo, hi, pre, (v,), bits, count=k) for c, v in m.items()}


def avg_reason(op: graph.QAvgPoolOp, alu_mul_bits: int) -> str | None:
    """Why the accelerator cannot average-pool `op` exactly (None: it can)."""
    requants = avg_requant(op, alu_mul_bits, avg_rectangles(op))
    some = next(iter(requants.values()))
    if some.pieces > 1 and some.shift <= some.multiply_shift:
        return (
            f"its requantization (shift {some.shift}) cannot be rounded exactly with "
            f"{some.pieces} multiplier pieces of {some.piece_bits} bits"
        )
    return None


def lower_avg_pool(low, op: graph.QAvgPoolOp) -> None:
    cfg, layer = low.cfg, op.node_name
    g = pool_geometry(op, cfg)
    rects = avg_rectangles(op)
    requants = avg_requant(op, cfg.ALU_MUL_BITS, rects)
    check_rounding(next(iter(requants.values())), f"layer '{layer}'")
    scratch = next(iter(requants.values())).scratch_tiles
    zx = op.input_zero_point.value.data
    steps = next(iter(requants.values())).steps()
    e_inp, e_out = cfg.elem_bytes("inp"), cfg.elem_bytes("out")

    def size(tob, toh, tow, kr) -> Need:
        window = tob * rows_in(g, toh, kr) * g.in_width(tow)
        out = tob * toh * tow
        n_chunks = -(-g.kh // kr)
        return Need(
            inp=window,
            acc=out * (1 + scratch),
            wgt=1,
            uop=max(min(tob * kr * g.kw, out), tob),
            dram_bytes=n_chunks * tob * rows_in(g, toh, kr) * g.data_width(tow) * e_inp
            + out * e_out,
            transfers=n_chunks * tob + 1,
            compute=out * (1 + g.taps + alu_step_cycles(steps) + 1)
            + overhead(cfg, 1 + n_chunks, len(rects) * (len(steps) + 1)),
        )

    t = choose_window_tiling(g, cfg, size, layer)
    source, dest = (
        low.activation(op.input, f"{layer}.in"),
        low.activation(op.output, f"{layer}.out"),
    )
    identity = low.identity()
    kernel = _kernel(layer, t)
    with ImplicitBuilder(kernel.body):
        out_max = t.tob * t.toh * t.tow
        bufs = []
        for _ in range(t.buffers):
            acc = tile.AllocOp("acc", out_max * (1 + scratch)).buf
            inp = tile.AllocOp("inp", t.tob * rows_in(g, t.toh, t.kr) * g.in_width(t.tow)).buf
            wgt = tile.AllocOp("wgt", 1).buf
            kv(tile.LoadOp, [wgt], tensor=identity, y_size=1, x_size=1, x_stride=1)
            bufs.append((acc, inp, wgt))
        for out in tiles(g, t, bufs):
            acc, inp, wgt = out.bufs
            planes = [k * out.plane for k in range(out.tob)]
            reset(acc, inp, wgt, planes, out.toh, out.tow)
            for ch in chunks(g, t, out):
                if ch.empty:
                    continue  # every tap of these rows reads padding: it adds nothing
                load_window(inp, source, g, g.cib, out.nb, range(out.b0, out.b0 + out.tob), ch)
                _window_sum(g, out, ch, planes)
            variants = []
            for rect, inside, count in rects:
                local = rect.clip(
                    range(out.oh0, out.oh0 + out.toh), range(out.ow0, out.ow0 + out.tow)
                )
                if local is not None:
                    variants.append((local, inside, requants[count]))
            regions = TileRegions(acc, 0, out.tob, out.plane, out.tow)
            for local, inside, _ in variants:
                add_constant(acc, -zx * inside, local, out.tow, planes)
            run_steps(regions, [(local, rq.steps()) for local, _, rq in variants])
            store_tile(g, out, acc, dest)
    low.kernels.append(kernel)


def _window_sum(g: ConvGeometry, out, ch, planes) -> None:
    """acc[position] += every tap of the chunk, by a GEMM by the identity: micro-ops per tap
    walking the positions, or per position walking the taps, whichever list is shorter."""
    acc, inp, wgt = out.bufs
    kr = ch.i1 - ch.i0
    if out.tob * kr * g.kw <= out.tob * out.plane:
        uops = [
            v
            for k in range(out.tob)
            for i in range(kr)
            for j in range(g.kw)
            for v in (planes[k], k * ch.plane + i * g.dh * ch.width + j * g.dw, 0)
        ]
        loops = dict(
            iter_out=out.toh,
            iter_in=out.tow,
            dst_factor_out=out.tow,
            dst_factor_in=1,
            src_factor_out=g.sh * ch.width,
            src_factor_in=g.sw,
        )
    else:
        uops = [
            v
            for k in range(out.tob)
            for y in range(out.toh)
            for x in range(out.tow)
            for v in (planes[k] + y * out.tow + x, k * ch.plane + y * g.sh * ch.width + x * g.sw, 0)
        ]
        loops = dict(iter_out=kr, iter_in=g.kw, src_factor_out=g.dh * ch.width, src_factor_in=g.dw)
    gemm(acc, inp, wgt, uops, **loops)
