"""The tiling search of `graph-to-tile`: a convolution's geometry over packed element grids, and
the tile sizes (output-channel blocks, output rows, output columns, reduction chunk) and buffer
arrangement that fit the buffers of an `HwConfig` with the fewest modelled cycles.

The estimate (`estimate`) follows the cycle model (`canopy_ir.hw.cycles`): per tile, the compute
module's GEMMs, the requantization's ALU steps and the accumulators' initialisation, which run one
after the other; the load module's input (and weight) loads and the store, which overlap them as
far as the buffer copies allow; the read channel that the loads of both modules share. It weighs
keeping an output-channel chunk's weights resident for all its tiles against loading them with
every tile, one copy of the buffers against two, and biases loaded as stride-0 accumulator loads
against a reset and one broadcast ADD, or (one multiplier piece, no pre-shift) a reset and the
biases added after the multiply with the rounding constant (`Requant.folded_bias`).

A tile spans the full output width when that fits; narrower tiles (width tiling) read an input
window of their own columns, padded only where it touches the image border."""

from __future__ import annotations

from dataclasses import dataclass, replace
from functools import lru_cache

from canopy_ir.errors import LoweringError
from canopy_ir.hw.config import HwConfig
from canopy_ir.hw.cycles import (
    ALU_OVERHEAD,
    GEMM_PIPELINE_FILL,
    alu_cycles,
    beats,
    dma_cycles,
    gemm_cycles,
)
from canopy_ir.hw.layout import ceil_div
from canopy_ir.quant import Requant

DOUBLE_BUFFER_GAIN = 0.9  # two buffer copies only for an estimate at most 90% of one copy's
CYCLES_TOLERANCE = 0.02  # estimates this close count as equal (the least DRAM traffic wins)
WIDTH_GAIN = 0.01  # narrower tiles where full-width ones fit: for an estimate 1% faster
FIELD_MAX = (1 << 16) - 1  # LOAD/STORE y_size, x_size and x_stride are 16-bit fields
ITER_MAX = (1 << 14) - 1  # GEMM/ALU iter_out and iter_in are 14-bit fields


@dataclass(frozen=True)
class ConvGeometry:
    """A convolution over packed element grids (dense layers are 1×1 convolutions on 1×1 images):
    batch blocks, input-channel blocks, input height and width, output-channel blocks, output
    height and width, kernel, strides, top/left padding, dilations."""

    nb: int
    cib: int
    h: int
    w: int
    cob: int
    oh: int
    ow: int
    kh: int = 1
    kw: int = 1
    sh: int = 1
    sw: int = 1
    pt: int = 0
    pl: int = 0
    dh: int = 1
    dw: int = 1

    @property
    def taps(self) -> int:
        return self.kh * self.kw

    def rows_in(self, toh: int) -> int:
        """Input rows that `toh` output rows read."""
        return (toh - 1) * self.sh + (self.kh - 1) * self.dh + 1

    def cols_in(self, tow: int) -> int:
        """Input columns that `tow` output columns read."""
        return (tow - 1) * self.sw + (self.kw - 1) * self.dw + 1

    @property
    def x_pad_1(self) -> int:
        need = (self.ow - 1) * self.sw + (self.kw - 1) * self.dw + 1
        return max(0, need - self.pl - self.w)

    @property
    def wp(self) -> int:
        """Width of a full-width input tile row in the buffer, padding included."""
        return self.pl + self.w + self.x_pad_1

    def in_width(self, tow: int) -> int:
        """Width of the input tile row in the buffer for tiles of `tow` output columns: a
        full-width tile keeps the whole padded image row (`wp`, columns a stride skips
        included), a narrower one exactly the columns it reads."""
        return self.wp if tow >= self.ow else self.cols_in(tow)

    def data_width(self, tow: int) -> int:
        """Input columns read from DRAM per row of a tile of `tow` output columns (estimate for
        narrow tiles: a border tile reads fewer, its padding comes free)."""
        return self.w if tow >= self.ow else min(self.w, self.cols_in(tow))


@dataclass(frozen=True)
class Tiling:
    tob: int  # output-channel blocks per tile (and per chunk of output channels)
    toh: int  # output rows per tile
    tib: int  # input-channel blocks per reduction chunk
    dram_bytes: int  # bytes the layer reads (estimate)
    tiles: int = 1
    buffers: int = 1  # 2: tiles alternate between two copies of the accumulators and inputs
    tow: int = 0  # output columns per tile; 0: the full output width
    inp_depth: int = 1 << 16  # input-buffer elements: GEMM src factors must stay below it
    resident: int = 0  # copies of a chunk's weights loaded once for all its tiles (0: per tile)
    bias_loads: bool = False  # biases as stride-0 accumulator loads (else reset, then one ADD)
    folded_bias: bool = False  # biases added after the multiply (Requant.folded_bias)
    cycles: int = 0  # the estimate

    def width(self, g: ConvGeometry) -> int:
        """Output columns per tile."""
        return min(self.tow, g.ow) if self.tow else g.ow

    def reduction_steps(self, g: ConvGeometry) -> int:
        """Reduction chunks per tile."""
        return ceil_div(g.cib, self.tib)


def choose_tiling(
    g: ConvGeometry,
    cfg: HwConfig,
    layer: str,
    requant: Requant | None = None,
    has_bias: bool = True,
) -> Tiling:
    """The tiling with the fewest estimated cycles (`estimate`), then the least DRAM traffic.

    Tiles span the full output width whenever one full-width output row fits, unless narrower
    ones are estimated WIDTH_GAIN faster; otherwise the tile width is searched together with the
    other sizes. (Layers of the same shape take the same tiling: it is searched once.)"""
    best = _choose(g, cfg, RequantCost.of(requant or Requant(0, 0, -128, 127)), has_bias)
    if best is None:
        raise LoweringError(
            f"one output element ({g.rows_in(1)} × {g.cols_in(1)} input elements per "
            f"input-channel block, {g.taps} weight elements per block pair) does not fit the "
            f"on-chip buffers (inp {cfg.depth('inp')}, wgt {cfg.depth('wgt')}, acc "
            f"{cfg.depth('acc')}, uop {cfg.depth('uop')})",
            f"layer '{layer}'",
        )
    return best


@lru_cache(maxsize=256)
def _choose(g: ConvGeometry, cfg: HwConfig, requant: RequantCost, has_bias: bool) -> Tiling | None:
    best = _best_tiling(g, cfg, requant, has_bias, [g.ow] if g.ow <= ITER_MAX else [])
    narrow = _best_tiling(g, cfg, requant, has_bias, [w for w in width_candidates(g) if w < g.ow])
    if narrow is not None and (best is None or narrow.cycles < (1 - WIDTH_GAIN) * best.cycles):
        best = narrow
    return best


@lru_cache(maxsize=1024)
def _sizes(extent: int) -> list[int]:
    """Tile sizes worth trying along an axis of `extent`, smallest first: for each number of
    tiles, the smallest size giving it (a larger one only adds to the last tile)."""
    root = int(extent**0.5) + 1
    sizes = {ceil_div(extent, n) for n in range(1, root + 1)}
    sizes |= {ceil_div(extent, ceil_div(extent, t)) for t in range(1, min(extent, root) + 1)}
    return sorted(sizes)


def width_candidates(g: ConvGeometry) -> list[int]:
    """Tile widths to try, widest first: the full output width (unless the 14-bit loop counters
    cannot walk it), then, for each number of column tiles, the narrowest width giving it
    (ceil(OW / n) for every n; a wider one would only compute more columns)."""
    return [t for t in reversed(_sizes(g.ow)) if t <= ITER_MAX]


def accumulator_elements(
    g: ConvGeometry, tob: int, toh: int, requant: Requant | RequantCost, tow: int | None = None
) -> int:
    """Accumulator elements of one copy of a tile: the tile, the requantization's scratch copies
    of it, then per-block slots for the biases and the multiplier pieces."""
    tow = g.ow if tow is None else tow
    return tob * toh * tow * (1 + requant.scratch_tiles) + tob * (1 + requant.pieces)


def store_count(g: ConvGeometry, tob: int, toh: int, tow: int) -> int:
    """STOREs of one tile: a full-width tile (or one row) is one 2-D store; a narrower tile of
    several rows is one per output-channel block."""
    return 1 if tow >= g.ow or toh == 1 else tob


def _best_tiling(
    g: ConvGeometry, cfg: HwConfig, requant: RequantCost, has_bias: bool, widths
) -> Tiling | None:
    """The fastest fitting tiling over the tile widths `widths`, or None if not even one output
    element fits. Estimates within CYCLES_TOLERANCE of the fastest count as equal: of those, the
    one reading the least DRAM, then with the fewest tiles (fewer instructions), then the first
    found (wider tiles, fewer copies) is taken."""
    found = [
        t
        for tow in widths
        for buffers in (1, 2)
        for resident in (0, 1, 2)
        for t in _candidates(g, cfg, requant, has_bias, tow, buffers, resident)
    ]
    if not found:
        return None
    fastest = min(t.cycles for t in found)
    near = [t for t in found if t.cycles <= fastest * (1 + CYCLES_TOLERANCE)]
    return min(near, key=lambda t: (t.dram_bytes, t.tiles))


def _candidates(
    g, cfg, requant: RequantCost, has_bias: bool, tow: int, buffers: int, resident: int
) -> list[Tiling]:
    """The fitting tilings of tiles `tow` columns wide with `buffers` copies of the
    accumulators and inputs and `resident` copies of a chunk's weights (0: weights loaded per
    tile, with `buffers` copies), each with its estimate: for each number of output-channel
    blocks, the fastest number of rows."""
    taps = g.taps
    d_inp, d_wgt, d_acc, d_uop = (cfg.depth(b) for b in ("inp", "wgt", "acc", "uop"))
    in_w = g.in_width(tow)
    if in_w > FIELD_MAX:
        return []
    steps = requant.counts[0][1] + 3  # ALU micro-op lists besides the multiplier pieces
    lists = buffers * buffers * (resident or 1)  # GEMM micro-op lists: one per buffer pairing
    found = []
    for tob in _sizes(g.cob):
        # input-channel blocks per reduction chunk: as many as the weights and micro-ops allow
        if resident:
            most = g.cib if resident * tob * g.cib * taps <= d_wgt else 0
        else:
            most = min(g.cib, d_wgt // (buffers * tob * taps))
        most = min(most, (d_uop - buffers * steps * tob) // (lists * tob * taps))
        if most < 1:
            break
        best = None
        for toh in _sizes(g.oh):
            # ... and as the input buffer allows for these rows (resident: all of them)
            tib = min(most, d_inp // (buffers * g.rows_in(toh) * in_w))
            if (
                tib < 1
                or (resident and tib < g.cib)
                or buffers * accumulator_elements(g, tob, toh, requant, tow) > d_acc
                or tob * toh > ITER_MAX  # the requantization walks the tile in one loop nest
                or g.rows_in(toh) > FIELD_MAX
            ):
                break
            sizes = Tiling(tob, toh, tib, 0, 0, buffers, tow, d_inp, resident)
            numbers = _estimate(g, cfg, requant, sizes, has_bias)
            if best is None or numbers[:2] < best[0][:2]:
                best = numbers, sizes
        if best is not None:
            found.append(_completed(*best))
    return found


@lru_cache(maxsize=16)
def _element_bytes(cfg: HwConfig) -> tuple[int, int, int, int]:
    return tuple(cfg.elem_bytes(b) for b in ("inp", "wgt", "acc", "out"))


@dataclass(frozen=True)
class RequantCost:
    """What the tiling search needs of a requantization: layers whose requantizations differ only
    in their constants (multipliers, shifts) cost the same and share one search."""

    pieces: int
    per_channel: bool
    scratch_tiles: int
    folds_bias: bool
    # (steps with an immediate, all steps, steps reading a per-block slot), unfolded and folded
    counts: tuple[tuple[int, int, int], tuple[int, int, int]]

    @staticmethod
    @lru_cache(maxsize=256)
    def of(requant: Requant) -> RequantCost:
        def counts(folded: bool) -> tuple[int, int, int]:
            if folded and not requant.folds_bias:
                return (0, 0, 0)
            steps = requant.steps(folded)
            imm = sum(step.imm is not None for step in steps)
            return imm, len(steps), sum(step.piece is not None or step.bias for step in steps)

        return RequantCost(
            requant.pieces,
            requant.per_channel,
            requant.scratch_tiles,
            requant.folds_bias,
            (counts(False), counts(True)),
        )


def _tail_cycles(requant: RequantCost, elems: int, folded_bias: bool) -> int:
    """The requantization's ALU cycles over a tile of `elems` accumulator elements."""
    imm_steps, steps, _ = requant.counts[folded_bias]
    tail = alu_cycles(elems, True) * imm_steps + alu_cycles(elems, False) * (steps - imm_steps)
    return tail + steps * ALU_OVERHEAD


def estimate(
    g: ConvGeometry,
    cfg: HwConfig,
    requant: Requant | RequantCost,
    t: Tiling,
    has_bias: bool = True,
) -> Tiling:
    """`t` completed with its estimate (`_estimate`)."""
    if isinstance(requant, Requant):
        requant = RequantCost.of(requant)
    return _completed(_estimate(g, cfg, requant, t, has_bias), t)


def _completed(numbers: tuple, t: Tiling) -> Tiling:
    cycles, dram, tiles, bias_loads, folded = numbers
    return replace(
        t, dram_bytes=dram, tiles=tiles, bias_loads=bias_loads, folded_bias=folded, cycles=cycles
    )


def _estimate(
    g: ConvGeometry, cfg: HwConfig, requant: RequantCost, t: Tiling, has_bias: bool
) -> tuple[int, int, int, bool, bool]:
    """The estimate of tiling `t`: the modelled cycles of the layer, the DRAM bytes it reads,
    its number of tiles, and how the biases go in: stride-0 loads, a reset and a
    broadcast ADD, or (`Requant.folds_bias`) a reset and the ADD of folded biases after the
    multiply, which also rounds.

    Per tile, the compute module runs the initialisation, the GEMMs of every reduction chunk and
    the requantization, one after the other; loads and the store overlap them as far as the
    copies of the buffers allow: with two, the steady state is the busiest of compute, load
    module, read channel and store; with one, a tile's loads wait for the previous tile's GEMMs
    and overlap only its requantization, and its initialisation waits for the previous store."""
    tow, bus = t.width(g), cfg.bus_bytes
    e_inp, e_wgt, e_acc, e_out = _element_bytes(cfg)
    plane = t.toh * tow
    elems, red = t.tob * plane, t.reduction_steps(g)
    chunk_weights = t.tob * g.cib * g.taps * e_wgt
    tiles_per_chunk = g.nb * ceil_div(g.oh, t.toh) * ceil_div(g.ow, tow)
    chunks = ceil_div(g.cob, t.tob)
    slot_load = dma_cycles(t.tob * e_acc, t.tob, cfg)
    per_tile_slots = 0 if t.resident else slot_load
    # the accumulators' initialisation and the requantization, by the cheapest way in for the
    # biases: stride-0 bias loads, a reset and a broadcast ADD, or a reset and folded biases
    reset = gemm_cycles(elems) + GEMM_PIPELINE_FILL
    head, tail = reset, _tail_cycles(requant, elems, False)
    bias_loads = folded = False
    if has_bias:  # the first of the cheapest: loads, reset and ADD, folded
        by_alu = reset + alu_cycles(elems, False) + ALU_OVERHEAD + per_tile_slots
        head, bias_loads = t.tob * dma_cycles(plane * e_acc, plane, cfg), True
        if by_alu < head:
            head, bias_loads = by_alu, False
        if requant.folds_bias:
            folded_head = reset + per_tile_slots
            folded_tail = _tail_cycles(requant, elems, True)
            if folded_head + folded_tail < head + tail:
                head, tail, bias_loads, folded = folded_head, folded_tail, False, True
    slot_steps = requant.counts[folded][2]
    tail += 0 if t.resident else (slot_steps - folded) * slot_load
    gemm = gemm_cycles(t.tob * g.cib * g.taps * plane) + red * GEMM_PIPELINE_FILL
    # one reduction step's loads: tib input blocks (and the weights, unless resident)
    rows, data_w = g.rows_in(t.toh), g.data_width(tow)
    step_bytes = t.tib * rows * data_w * e_inp
    load = t.tib * dma_cycles(rows * data_w * e_inp, rows * g.in_width(tow), cfg)
    if not t.resident:
        step_bytes += t.tob * t.tib * g.taps * e_wgt
        load += dma_cycles(t.tob * t.tib * g.taps * e_wgt, t.tob * t.tib * g.taps, cfg)
    # the compute module's own reads: the bias loads, or the slots of each tile (unless resident)
    slot_loads = int(has_bias and not bias_loads) + (requant.pieces if requant.per_channel else 0)
    compute_reads = beats(elems * e_acc, cfg) if bias_loads else 0
    compute_reads += 0 if t.resident else slot_loads * beats(t.tob * e_acc, cfg)
    reads = red * -(-step_bytes // bus) + compute_reads
    store = store_count(g, t.tob, t.toh, tow) * cfg.DRAM_LATENCY_CYCLES + max(
        beats(elems * e_out, cfg), elems
    )
    compute = head + gemm + tail
    if t.buffers == 2:
        period = max(compute, red * load, reads, store)
        if red > 2:
            # two input copies: only a tile's first two steps load during the previous tile's
            # requantization, the others wait for the GEMM two steps back
            step = gemm / red
            period = max(period, head + tail + 2 * step + (red - 2) * max(load, step))
    else:
        around = head + tail + store  # the previous tile's tail and store, then this head
        period = max(gemm + red * load + around - min(load, around), reads)
    if t.resident:
        # per chunk: its weights, then its tiles; the first chunk's weights are always exposed,
        # the others load during the previous chunk's tiles when there are two copies
        weights = dma_cycles(chunk_weights, t.tob * g.cib * g.taps, cfg)
        tiles_time = tiles_per_chunk * period
        if t.resident == 2:
            later = max(tiles_time, tiles_per_chunk * red * load + weights)
        else:
            later = tiles_time + weights
        cycles = weights + tiles_time + (chunks - 1) * later + load + store
        cycles += chunks * t.buffers * slot_loads * slot_load  # into the slots of every copy
        dram = chunks * (tiles_per_chunk * red * step_bytes + chunk_weights)
    else:
        cycles = chunks * tiles_per_chunk * period + load + store
        dram = chunks * tiles_per_chunk * red * step_bytes
    dram += chunks * tiles_per_chunk * elems * e_acc if bias_loads else 0
    return int(cycles), dram, chunks * tiles_per_chunk, bias_loads, folded
