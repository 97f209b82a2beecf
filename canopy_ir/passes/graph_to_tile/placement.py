"""Ops that only place int8 data: channel concatenation (`graph.concat`, axis 1) and constant
padding of H and W (`graph.pad`, the zero point an asymmetric model pads with before a
convolution). Each becomes a copy `tile.kernel` through the accumulators, since the tile dialect
moves DRAM data into buffers and back only by LOAD INP → GEMM → STORE:

- concat: per output channel block and run of `n` pixels, LOAD INP of each input block that
  supplies lanes of it, GEMM reset, one GEMM micro-op per such input block by a 0/1 matrix that
  moves its lanes to their place in the output block (the identity when every input's channel
  count is a multiple of the block), STORE;
- pad: per tile of channel blocks × padded rows, LOAD INP of the image rows inside it, GEMM
  reset, a GEMM by the identity placing them inside the padded rows, ALU ADD of the pad value
  over the border rectangles, STORE of the whole padded rows.

A concatenation's input needs no copy at all when its producer can store it straight into its
slice of the concatenation (`plan_views`): one batch block (the channel slices are then contiguous
runs of elements), channels starting at a block boundary and filling whole blocks (but for the
last input), made by an accelerator kernel and read by no host op. Its producer and its readers
then address a *view*, a name that `apply_views` replaces by the concatenation's tensor and an
element offset. (Layout-only reshapes need no kernel either: `graph-to-tile` gives both sides the
same DRAM tensor.)"""

from __future__ import annotations

import numpy as np
from xdsl.builder import ImplicitBuilder
from xdsl.dialects.builtin import DictionaryAttr, IntegerAttr, StringAttr, i8, i64

from canopy_ir.dialects import graph, tile
from canopy_ir.errors import LoweringError
from canopy_ir.hw.isa import AluOp
from canopy_ir.hw.layout import activation_grid, as_nchw
from canopy_ir.passes.graph_to_tile.kit import Rect, alu, gemm, kv, reset, transfer
from canopy_ir.passes.graph_to_tile.tiling import FIELD_MAX, ITER_MAX


def _kernel(layer: str, **sizes: int) -> tile.KernelOp:
    kernel = tile.KernelOp(layer)
    kernel.attributes["tiling"] = DictionaryAttr({k: IntegerAttr(v, i64) for k, v in sizes.items()})
    return kernel


def _buffers(cfg, acc: int, inp: int, wgt: int, fits_twice: bool) -> list[tuple]:
    return [
        (
            tile.AllocOp("acc", acc).buf,
            tile.AllocOp("inp", inp).buf,
            tile.AllocOp("wgt", wgt).buf,
        )
        for _ in range(2 if fits_twice else 1)
    ]


# --- concat --------------------------------------------------------------------------------------

# ops whose result an accelerator kernel stores (a convolution's, through its requantization)
STORED_BY_A_KERNEL = (
    graph.RequantizeOp,
    graph.PoolOp,
    graph.QAvgPoolOp,
    graph.QAddOp,
    graph.RescaleOp,
    graph.QAffineOp,
    graph.PadOp,
    graph.ConcatOp,
)


def plan_views(low, ops) -> None:
    """Make the inputs of accelerator concatenations that can be stored in place views of the
    concatenation (see the module docstring); outer concatenations first, so that a nested one
    can itself be a view."""
    shared = set(low.shares) | set(low.shares.values())
    for op in reversed(ops):
        if not isinstance(op, graph.ConcatOp) or op not in low.on_card:
            continue
        shapes = [as_nchw(graph.shape_of(x)) for x in op.inputs]
        if shapes[0][0] > low.cfg.batch:
            continue
        base = low.activation(op.output, f"{op.node_name}.out")
        c0 = 0
        for k, x in enumerate(op.inputs):
            c, bi = shapes[k][1], low.cfg.block_in
            if (
                c0 % bi == 0
                and (c % bi == 0 or k == len(shapes) - 1)
                and x not in low.tensor_of
                and x not in shared
                and isinstance(x.owner, STORED_BY_A_KERNEL)
                and x.owner in low.on_card
                and all(u.operation in low.on_card for u in x.uses)
                and list(op.inputs).count(x) == 1
            ):
                name = low.unique(f"{base}.part{k}")
                low.tensor_of[x] = name
                low.views[name] = (base, c0 // bi * shapes[k][2] * shapes[k][3])
            c0 += c


def _resolve(views: dict, name: str) -> tuple[str, int]:
    offset = 0
    while name in views:
        name, extra = views[name]
        offset += extra
    return name, offset


def apply_views(low) -> None:
    """Point every load and store of a view at its concatenation's tensor."""
    for kernel in low.kernels:
        if not isinstance(kernel, tile.KernelOp):
            continue
        for op in kernel.body.block.ops:
            if isinstance(op, tile.LoadOp | tile.StoreOp) and op.kv("tensor") in low.views:
                base, offset = _resolve(low.views, op.kv("tensor"))
                op.properties["tensor"] = StringAttr(base)
                op.properties["dram_offset"] = IntegerAttr(op.kv("dram_offset") + offset, i64)


def concat_sources(
    channels: list[int], bo: int, bi: int
) -> list[list[tuple[int, int, np.ndarray]]]:
    """Per output block: (input, input block, BO × BI 0/1 matrix) of each input block that
    supplies lanes of it."""
    total = sum(channels)
    blocks = -(-total // bo)
    out = [[] for _ in range(blocks)]
    c0 = 0
    for i, c in enumerate(channels):
        for ib in range(-(-c // bi)):
            first, last = c0 + ib * bi, c0 + min((ib + 1) * bi, c)  # output channels [first, last)
            for ob in range(first // bo, (last - 1) // bo + 1):
                m = np.zeros((bo, bi), np.int8)
                for ch in range(max(first, ob * bo), min(last, (ob + 1) * bo)):
                    m[ch - ob * bo, ch - first] = 1
                out[ob].append((i, ib, m))
        c0 += c
    return out


def lower_concat(low, op: graph.ConcatOp) -> None:
    cfg, layer = low.cfg, op.node_name
    shapes = [as_nchw(graph.shape_of(x)) for x in op.inputs]
    channels = [s[1] for s in shapes]
    nb, cob, h, w = activation_grid(graph.shape_of(op.output), cfg)
    spatial = h * w
    sources = concat_sources(channels, cfg.block_out, cfg.block_in)
    fan = max(len(s) for s in sources)
    eye = np.eye(cfg.block_out, dtype=np.int8)
    aligned = all(np.array_equal(m, eye) for s in sources for _, _, m in s)
    if aligned:
        weights = low.identity()
    else:
        table = np.zeros((cob, fan, cfg.block_out, cfg.block_in), np.int8)
        for ob, s in enumerate(sources):
            for k, (_, _, m) in enumerate(s):
                table[ob, k] = m
        weights = low.weight(f"{layer}.lanes", table, i8)
    names = [low.activation(x, f"{layer}.in{i}") for i, x in enumerate(op.inputs)]
    grids = [activation_grid(s, cfg) for s in shapes]
    dest = low.activation(op.output, f"{layer}.out")
    stored = {i for i, name in enumerate(names) if low.views.get(name, ("",))[0] == dest}
    sources = [s if any(i not in stored for i, _, _ in s) else [] for s in sources]
    if not any(sources):
        return  # every input is stored in place by its producer
    n, twice = _run_length(cfg, spatial, fan, 1 if aligned else fan)
    kernel = _kernel(layer, elements=n, buffers=2 if twice else 1)
    with ImplicitBuilder(kernel.body):
        bufs = _buffers(cfg, n, n * fan, 1 if aligned else fan, twice)
        if aligned:
            for _, _, wgt in bufs:
                kv(tile.LoadOp, [wgt], tensor=weights, y_size=1, x_size=1, x_stride=1)
        t = 0
        for b in range(nb):
            for ob, s in enumerate(sources):
                if not s:
                    continue  # this block's input is stored in place by its producer
                for e0 in range(0, spatial, n):
                    acc, inp, wgt = bufs[t % len(bufs)]
                    t += 1
                    size = min(n, spatial - e0)
                    for k, (i, ib, _) in enumerate(s):
                        transfer(
                            tile.LoadOp,
                            inp,
                            offset=k * n,
                            tensor=names[i],
                            dram_offset=((b * grids[i][1] + ib) * spatial) + e0,
                            y_size=1,
                            x_size=size,
                        )
                    if not aligned:
                        kv(
                            tile.LoadOp,
                            [wgt],
                            tensor=weights,
                            dram_offset=ob * fan,
                            y_size=1,
                            x_size=len(s),
                            x_stride=len(s),
                        )
                    reset(acc, inp, wgt, [0], 1, size)
                    uops = [v for k in range(len(s)) for v in (0, k * n, 0 if aligned else k)]
                    gemm(acc, inp, wgt, uops, iter_in=size, dst_factor_in=1, src_factor_in=1)
                    transfer(
                        tile.StoreOp,
                        acc,
                        offset=0,
                        tensor=dest,
                        dram_offset=(b * cob + ob) * spatial + e0,
                        y_size=1,
                        x_size=size,
                    )
    low.kernels.append(kernel)


def _run_length(cfg, total: int, inputs: int, weights: int) -> tuple[int, bool]:
    """Elements per tile and whether two buffer copies fit (and there are several tiles)."""

    def fit(copies: int) -> int:
        if weights > cfg.depth("wgt") // copies:
            return 0
        return min(
            total,
            cfg.depth("inp") // (copies * inputs),
            cfg.depth("acc") // copies,
            ITER_MAX,
            FIELD_MAX,
        )

    single = fit(1)
    if single < 1:
        raise LoweringError("one element per input does not fit the input buffer")
    double = fit(2)
    return (double, True) if double >= 1 and double < total else (single, False)


# --- pad -----------------------------------------------------------------------------------------


def pad_amounts(op: graph.PadOp) -> tuple[int, int, int, int]:
    """(top, left, bottom, right) of a pad of H and W only."""
    p = op.pads.get_values()
    return p[2], p[3], p[6], p[7]


def lower_pad(low, op: graph.PadOp) -> None:
    cfg, layer = low.cfg, op.node_name
    pt, pl, pb, pr = pad_amounts(op)
    value = int(op.value.value.data)
    nb, cb, h, w = activation_grid(graph.shape_of(op.input), cfg)
    hp, wp = h + pt + pb, w + pl + pr
    source, dest = (
        low.activation(op.input, f"{layer}.in"),
        low.activation(op.output, f"{layer}.out"),
    )
    if wp > ITER_MAX:
        raise LoweringError(
            f"a padded row of {wp} elements exceeds the loop counters", f"layer '{layer}'"
        )
    tob, tr, twice = _pad_tiling(cfg, cb, hp, w, wp)
    kernel = _kernel(layer, tob=tob, rows=tr, buffers=2 if twice else 1)
    identity = low.identity()
    with ImplicitBuilder(kernel.body):
        bufs = _buffers(cfg, tob * tr * wp, tob * tr * w, 1, twice)
        for _, _, wgt in bufs:
            kv(tile.LoadOp, [wgt], tensor=identity, y_size=1, x_size=1, x_stride=1)
        t = 0
        for b in range(nb):
            for b0 in range(0, cb, tob):
                nblk = min(tob, cb - b0)
                for r0 in range(0, hp, tr):
                    acc, inp, wgt = bufs[t % len(bufs)]
                    t += 1
                    rows = min(tr, hp - r0)
                    _pad_tile(
                        acc,
                        inp,
                        wgt,
                        source,
                        dest,
                        (b, cb, b0, nblk, r0, rows),
                        (h, w, hp, wp, pt, pl),
                        value,
                    )
    low.kernels.append(kernel)


def _pad_tile(acc, inp, wgt, source, dest, where, dims, value: int) -> None:
    b, cb, b0, nblk, r0, rows = where
    h, w, hp, wp, pt, pl = dims
    plane = rows * wp
    planes = [k * plane for k in range(nblk)]
    d0, d1 = max(0, r0 - pt), min(h, r0 + rows - pt)  # image rows inside the tile
    reset(acc, inp, wgt, planes, rows, wp)
    if d1 > d0:
        for k in range(nblk):
            transfer(
                tile.LoadOp,
                inp,
                offset=k * (d1 - d0) * w,
                tensor=source,
                dram_offset=((b * cb + b0 + k) * h + d0) * w,
                y_size=d1 - d0,
                x_size=w,
                x_stride=w,
            )
        top = (d0 + pt - r0) * wp + pl
        uops = [v for k in range(nblk) for v in (planes[k] + top, k * (d1 - d0) * w, 0)]
        gemm(
            acc,
            inp,
            wgt,
            uops,
            iter_out=d1 - d0,
            iter_in=w,
            dst_factor_out=wp,
            dst_factor_in=1,
            src_factor_out=w,
            src_factor_in=1,
        )
    if value:
        data = range(d0 + pt - r0, d1 + pt - r0) if d1 > d0 else range(0)
        border = [Rect(0, data.start, 0, wp), Rect(data.stop, rows - data.stop, 0, wp)]
        if d1 <= d0:
            border = [Rect(0, rows, 0, wp)]
        if data:
            border += [
                Rect(data.start, len(data), 0, pl),
                Rect(data.start, len(data), pl + w, wp - pl - w),
            ]
        for rect in border:
            if rect.nr > 0 and rect.nc > 0:
                alu(acc, AluOp.ADD, rect, wp, planes, imm=value)
    transfer(
        tile.StoreOp,
        acc,
        offset=0,
        tensor=dest,
        dram_offset=((b * cb + b0) * hp + r0) * wp,
        y_size=nblk,
        x_size=plane,
        x_stride=hp * wp,
    )


def _pad_tiling(cfg, cb: int, hp: int, w: int, wp: int) -> tuple[int, int, bool]:
    """(channel blocks, padded rows) per tile, and two buffer copies when there are several
    tiles: the most rows that fit, then the most blocks."""
    for copies in (2, 1):
        acc, inp = cfg.depth("acc") // copies, cfg.depth("inp") // copies
        tr = min(hp, acc // wp, inp // w, FIELD_MAX // wp)
        if tr < 1:
            continue
        tob = min(cb, acc // (tr * wp), inp // (tr * w)) if tr == hp else 1
        tiles = -(-cb // tob) * -(-hp // tr)
        if copies == 1 or tiles >= 2:
            return tob, tr, copies == 2
    raise LoweringError(f"one padded row of {wp} elements does not fit the buffers")
