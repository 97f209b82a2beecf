"""Windowed ops other than the dense convolution — max pooling, average pooling, grouped and
depthwise convolution — share their tiling here: output tiles of `tob` channel blocks × `toh`
rows × `tow` columns, and kernel-row chunks of `kr` rows (a window too tall for the input buffer
is reduced chunk by chunk into the same accumulators; GEMM and ALU MAX both accumulate).

`choose_window_tiling` takes a `ConvGeometry` (tiling.py) and a function giving the buffer
elements, micro-ops, DRAM bytes and compute cycles of one tile, and returns the sizes that fit an
`HwConfig` with the fewest estimated cycles (costs from canopy_ir.hw.cycles). `load_window` emits a
tile's input loads, `tap_rect` the output positions where a kernel tap reads the image (padding
and ceil_mode overhang excluded)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from xdsl.ir import SSAValue

from canopy_ir.dialects import tile
from canopy_ir.errors import LoweringError
from canopy_ir.hw.config import HwConfig
from canopy_ir.hw.cycles import ALU_OVERHEAD, GEMM_PIPELINE_FILL, dma_estimate, tiles_cycles
from canopy_ir.hw.layout import ceil_div
from canopy_ir.passes.graph_to_tile.fields import Window, window
from canopy_ir.passes.graph_to_tile.kit import Rect, transfer
from canopy_ir.passes.graph_to_tile.tiling import (
    DOUBLE_BUFFER_GAIN,
    FIELD_MAX,
    ITER_MAX,
    ConvGeometry,
    width_candidates,
)


@dataclass(frozen=True)
class Need:
    """What one tile needs: buffer elements, the longest micro-op list, DRAM bytes and transfers
    (loads and stores), and compute cycles (GEMM and ALU micro-op iterations, plus what each
    instruction and each accumulator load of the compute module costs on top: `overhead`)."""

    inp: int
    acc: int
    wgt: int
    uop: int
    dram_bytes: int
    transfers: int
    compute: float


@dataclass(frozen=True)
class WindowTiling:
    tob: int  # channel blocks per tile
    toh: int  # output rows per tile
    tow: int  # output columns per tile
    kr: int  # kernel rows per reduction chunk
    buffers: int  # 2: tiles alternate between two copies of the buffers
    tiles: int
    estimate: float  # estimated cycles

    def attrs(self) -> dict[str, int]:
        return {
            "tob": self.tob,
            "toh": self.toh,
            "tow": self.tow,
            "kr": self.kr,
            "buffers": self.buffers,
            "estimate": int(self.estimate),
        }


def overhead(cfg: HwConfig, gemms: int, alus: int, acc_loads: float = 0) -> float:
    """Compute-module cycles of a tile besides micro-op iterations: pipeline fills, ALU
    instruction overheads, accumulator loads (each pays the DRAM latency)."""
    return gemms * GEMM_PIPELINE_FILL + alus * ALU_OVERHEAD + acc_loads * cfg.DRAM_LATENCY_CYCLES


def alu_step_cycles(steps) -> int:
    """Cycles per element of ALU steps: 1 with an immediate, 2 reading a second accumulator."""
    return sum(1 if step.imm is not None else 2 for step in steps)


def rows_in(g: ConvGeometry, toh: int, kr: int) -> int:
    """Input rows that `toh` output rows read through `kr` kernel rows."""
    return (toh - 1) * g.sh + (kr - 1) * g.dh + 1


SizeFn = Callable[[int, int, int, int], Need]


def choose_window_tiling(g: ConvGeometry, cfg: HwConfig, size: SizeFn, layer: str) -> WindowTiling:
    """The fastest fitting tiling (full kernel height and full width preferred: narrower
    chunks and tiles are tried only when nothing fits), double-buffered for a clear gain."""
    for widths in ([g.ow] if g.ow <= ITER_MAX else [], width_candidates(g)):
        for kr in range(g.kh, 0, -1):
            single = _best(g, cfg, size, widths, kr, 1)
            if single is None:
                continue
            double = _best(g, cfg, size, widths, kr, 2)
            if (
                double is not None
                and double.tiles >= 2
                and double.estimate < DOUBLE_BUFFER_GAIN * single.estimate
            ):
                return double
            return single
    raise LoweringError(
        "one output element with one kernel row does not fit the on-chip buffers "
        f"(inp {cfg.depth('inp')}, wgt {cfg.depth('wgt')}, acc {cfg.depth('acc')}, "
        f"uop {cfg.depth('uop')})",
        f"layer '{layer}'",
    )


def _best(g, cfg, size: SizeFn, widths, kr: int, buffers: int) -> WindowTiling | None:
    depth = {b: cfg.depth(b) // buffers for b in ("inp", "wgt", "acc", "uop")}
    best = None
    for tow in widths:
        in_w = g.in_width(tow)
        if in_w > min(FIELD_MAX, ITER_MAX):
            continue
        for tob in range(1, g.cob + 1):
            fitted = False
            for toh in range(1, min(g.oh, ITER_MAX) + 1):
                if rows_in(g, toh, kr) > ITER_MAX or toh * tow > FIELD_MAX:
                    break
                need = size(tob, toh, tow, kr)
                if (
                    need.inp > depth["inp"]
                    or need.acc > depth["acc"]
                    or need.wgt > depth["wgt"]
                    or need.uop > depth["uop"]
                ):
                    break
                fitted = True
                tiles = g.nb * ceil_div(g.cob, tob) * ceil_div(g.oh, toh) * ceil_div(g.ow, tow)
                load = dma_estimate(need.dram_bytes, need.transfers, cfg)
                estimate = tiles_cycles(load, need.compute, tiles, buffers)
                if best is None or (estimate, tiles) < (best.estimate, best.tiles):
                    best = WindowTiling(tob, toh, tow, kr, buffers, tiles, estimate)
            if not fitted:
                break
    return best


@dataclass(frozen=True)
class Tile:
    """One output tile: batch block `nb`, channel blocks b0 .. b0 + tob - 1, output rows
    oh0 .. oh0 + toh - 1, output columns ow0 .. ow0 + tow - 1, and its buffers."""

    nb: int
    b0: int
    tob: int
    oh0: int
    toh: int
    ow0: int
    tow: int
    bufs: tuple

    @property
    def plane(self) -> int:
        return self.toh * self.tow

    @property
    def elems(self) -> int:
        return self.tob * self.plane


def tiles(g: ConvGeometry, t: WindowTiling, buffers: list[tuple]):
    """The output tiles in order, alternating between the copies of the buffers."""
    k = 0
    for nb in range(g.nb):
        for b0 in range(0, g.cob, t.tob):
            for oh0 in range(0, g.oh, t.toh):
                for ow0 in range(0, g.ow, t.tow):
                    tob, toh = min(t.tob, g.cob - b0), min(t.toh, g.oh - oh0)
                    tow = min(t.tow, g.ow - ow0)
                    yield Tile(nb, b0, tob, oh0, toh, ow0, tow, buffers[k % len(buffers)])
                    k += 1


@dataclass(frozen=True)
class Chunk:
    """Kernel rows i0 .. i1 - 1 of a tile, and the input window they read: buffer row r and
    column c hold image row y0 + r and column x0 + c (zero where outside the image)."""

    i0: int
    i1: int
    y0: int
    x0: int
    rows: int  # buffer rows per input block
    width: int  # buffer row width
    ys: Window
    xs: Window

    @property
    def plane(self) -> int:
        return self.rows * self.width

    @property
    def empty(self) -> bool:
        return self.ys.data == 0 or self.xs.data == 0


def chunks(g: ConvGeometry, t: WindowTiling, out: Tile) -> list[Chunk]:
    result = []
    for i0 in range(0, g.kh, t.kr):
        i1 = min(g.kh, i0 + t.kr)
        y0 = out.oh0 * g.sh - g.pt + i0 * g.dh
        x0 = out.ow0 * g.sw - g.pl
        rows, width = rows_in(g, out.toh, i1 - i0), g.in_width(out.tow)
        ys, xs = window(y0, rows, g.h), window(x0, width, g.w)
        result.append(Chunk(i0, i1, y0, x0, rows, width, ys, xs))
    return result


def load_window(
    inp: SSAValue, tensor: str, g: ConvGeometry, cb: int, nb: int, blocks: range, ch: Chunk
) -> None:
    """Load the chunk's input window of channel blocks `blocks` (of `cb` in the tensor), one
    block after the other from buffer element 0, zero-padded where it leaves the image."""
    for k, ib in enumerate(blocks):
        transfer(
            tile.LoadOp,
            inp,
            offset=k * ch.plane,
            tensor=tensor,
            dram_offset=((nb * cb + ib) * g.h + ch.ys.first) * g.w + ch.xs.first,
            y_size=ch.ys.data,
            x_size=ch.xs.data,
            x_stride=g.w,
            y_pad_0=ch.ys.pad_0,
            y_pad_1=ch.ys.pad_1,
            x_pad_0=ch.xs.pad_0,
            x_pad_1=ch.xs.pad_1,
        )


def _inside(first: int, count: int, step: int, offset: int, extent: int) -> range:
    """Indices k in [0, count) with 0 <= (first + k)·step + offset < extent."""
    lo = max(0, -(offset // step) - first)  # ceil(-offset / step) - first
    hi = min(count, (extent - 1 - offset) // step - first + 1)
    return range(lo, max(lo, hi))


def tap_rect(g: ConvGeometry, out: Tile, i: int, j: int) -> Rect | None:
    """The tile's output positions (tile-relative) where kernel tap (i, j) reads the image."""
    rows = _inside(out.oh0, out.toh, g.sh, i * g.dh - g.pt, g.h)
    cols = _inside(out.ow0, out.tow, g.sw, j * g.dw - g.pl, g.w)
    if not rows or not cols:
        return None
    return Rect(rows.start, len(rows), cols.start, len(cols))


def store_tile(g: ConvGeometry, out: Tile, acc: SSAValue, tensor: str) -> None:
    """The tile's output planes (from accumulator element 0) to DRAM: one 2-D store when the
    tile spans the width (or one row), else one per channel block."""
    base = ((out.nb * g.cob + out.b0) * g.oh + out.oh0) * g.ow + out.ow0
    if out.tow == g.ow or out.toh == 1:
        transfer(
            tile.StoreOp,
            acc,
            offset=0,
            tensor=tensor,
            dram_offset=base,
            y_size=out.tob,
            x_size=out.plane,
            x_stride=g.oh * g.ow,
        )
        return
    for k in range(out.tob):
        transfer(
            tile.StoreOp,
            acc,
            offset=k * out.plane,
            tensor=tensor,
            dram_offset=base + k * g.oh * g.ow,
            y_size=out.toh,
            x_size=out.tow,
            x_stride=g.ow,
        )
