"""The tiling search of `graph-to-tile`: a convolution's geometry over packed element grids, and
the tile sizes (output-channel blocks, output rows, output columns, reduction chunk) that fit the
buffers of an `HwConfig` with the fewest estimated cycles (costs from `canopy_ir.hw.cycles`).

A tile spans the full output width when that fits; narrower tiles (width tiling) read an input
window of their own columns, padded only where it touches the image border."""

from __future__ import annotations

from dataclasses import dataclass

from canopy_ir.errors import LoweringError
from canopy_ir.hw.config import HwConfig
from canopy_ir.hw.cycles import dma_estimate, gemm_cycles, tiles_cycles
from canopy_ir.hw.layout import ceil_div
from canopy_ir.quant import Requant

DOUBLE_BUFFER_GAIN = 0.9  # two buffer copies only for an estimate at most 90% of one copy's
REQUANT_ALU_UOPS = 12  # micro-ops of the requantization's ALU steps besides 3 per multiplier piece
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
    tob: int  # output-channel blocks per tile
    toh: int  # output rows per tile
    tib: int  # input-channel blocks per reduction chunk
    dram_bytes: int
    tiles: int = 1
    buffers: int = 1  # 2: tiles alternate between two copies of every buffer (double buffering)
    tow: int = 0  # output columns per tile; 0: the full output width
    inp_depth: int = 1 << 16  # input-buffer elements: GEMM src factors must stay below it

    def width(self, g: ConvGeometry) -> int:
        """Output columns per tile."""
        return min(self.tow, g.ow) if self.tow else g.ow


def choose_tiling(
    g: ConvGeometry,
    cfg: HwConfig,
    layer: str,
    requant: Requant | None = None,
) -> Tiling:
    """The tiling with the fewest estimated cycles (DRAM transfers at the bus width plus a
    latency per load, GEMM micro-ops at one per cycle; inputs re-read per output-channel chunk,
    weights per row and column chunk), then the least DRAM traffic. Double buffering — half-size
    tiles that alternate between two copies of the buffers, so the next tile's loads overlap
    this tile's GEMMs — is taken when the estimate saves at least 10% of the cycles.

    Tiles span the full output width whenever one full-width output row fits (so layers that
    fit compile as they did before width tiling); otherwise the tile width is searched together
    with the other sizes, widest first on equal estimates. Narrower tiles are not taken where
    full width fits because the estimate leaves out costs that grow with the number of tiles
    (ALU instructions, bias loads, micro-op loads): on a 3×3 convolution at 56×56×64 on
    vta-default, the narrower tiles it estimated cheaper ran 1% slower."""
    requant = requant or Requant(0, 0, -128, 127)
    widths = [g.ow] if g.ow <= ITER_MAX else []
    single = _best_tiling(g, cfg, requant, 1, widths)
    if single is None:
        widths = width_candidates(g)
        single = _best_tiling(g, cfg, requant, 1, widths)
    if single is None:
        raise LoweringError(
            f"one output element ({g.rows_in(1)} × {g.cols_in(1)} input elements per "
            f"input-channel block, {g.taps} weight elements per block pair) does not fit the "
            f"on-chip buffers (inp {cfg.depth('inp')}, wgt {cfg.depth('wgt')}, acc "
            f"{cfg.depth('acc')}, uop {cfg.depth('uop')})",
            f"layer '{layer}'",
        )
    double = _best_tiling(g, cfg, requant, 2, widths)
    # smaller tiles cost instructions and DRAM traffic: take them for a clear gain only
    if (
        double is not None
        and double[1].tiles >= 2
        and double[0][0] < DOUBLE_BUFFER_GAIN * single[0][0]
    ):
        return double[1]
    return single[1]


def width_candidates(g: ConvGeometry) -> list[int]:
    """Tile widths to try, widest first: the full output width (unless the 14-bit loop counters
    cannot walk it), then, for each number of column tiles, the narrowest width giving it
    (ceil(OW / n) for every n; a wider one would only compute more columns)."""
    ow = g.ow
    root = int(ow**0.5) + 1  # ceil(OW / n) for n > root is at most root: found via the width
    widths = {ceil_div(ow, n) for n in range(1, root + 1)}
    widths |= {ceil_div(ow, ceil_div(ow, t)) for t in range(1, min(ow, root) + 1)}
    return sorted((t for t in widths if t <= ITER_MAX), reverse=True)


def accumulator_elements(
    g: ConvGeometry, tob: int, toh: int, requant: Requant, tow: int | None = None
) -> int:
    """Accumulator elements of a tile: the tile, the requantization's scratch copies of it, then
    per-block slots for the biases and the multiplier pieces."""
    tow = g.ow if tow is None else tow
    return tob * toh * tow * (1 + requant.scratch_tiles) + tob * (1 + requant.pieces)


def store_count(g: ConvGeometry, tob: int, toh: int, tow: int) -> int:
    """STOREs of one tile: a full-width tile (or one row) is one 2-D store; a narrower tile of
    several rows is one per output-channel block."""
    return 1 if tow >= g.ow or toh == 1 else tob


def _best_tiling(g: ConvGeometry, cfg: HwConfig, requant: Requant, buffers: int, widths):
    """((estimated cycles, DRAM bytes), Tiling) of the fastest tiling with `buffers` copies of
    every buffer over the tile widths `widths` (earlier ones win ties), or None if not even one
    output element fits."""
    best = None
    for tow in widths:
        found = _best_for_width(g, cfg, requant, buffers, tow)
        if found is not None and (best is None or found[0] < best[0]):
            best = found
    return best


def _best_for_width(g: ConvGeometry, cfg: HwConfig, requant: Requant, buffers: int, tow: int):
    """_best_tiling for tiles of `tow` output columns."""
    taps = g.taps
    copies = 1 + requant.scratch_tiles  # accumulator copies of the tile the requantization needs
    slots = 1 + requant.pieces  # per-block accumulator slots: bias, multiplier pieces
    alu_uops = 3 * requant.pieces + REQUANT_ALU_UOPS
    d_inp, d_wgt, d_acc, d_uop = (cfg.depth(b) // buffers for b in ("inp", "wgt", "acc", "uop"))
    e_inp, e_wgt = cfg.elem_bytes("inp"), cfg.elem_bytes("wgt")
    in_w, data_w = g.in_width(tow), g.data_width(tow)
    tib = next(
        (
            t
            for t in range(g.cib, 0, -1)
            if t * g.rows_in(1) * in_w <= d_inp and t * taps <= d_wgt and t * taps + 2 <= d_uop
        ),
        None,
    )
    if tib is None or tow * copies + slots > d_acc or in_w > FIELD_MAX:
        return None
    col_tiles = ceil_div(g.ow, tow)
    best = None
    for tob in range(1, g.cob + 1):
        if tob * tib * taps > d_wgt or tob * tib * taps + (2 + slots) * tob + alu_uops > d_uop:
            break
        for toh in range(1, g.oh + 1):
            if (
                accumulator_elements(g, tob, toh, requant, tow) > d_acc
                or tib * g.rows_in(toh) * in_w > d_inp
                or tob * toh > ITER_MAX  # the requantization walks the tile in one loop nest
                or g.rows_in(toh) > FIELD_MAX
            ):
                break
            tiles = g.nb * ceil_div(g.cob, tob) * ceil_div(g.oh, toh) * col_tiles
            load_bytes = g.cib * g.rows_in(toh) * data_w * e_inp + tob * g.cib * taps * e_wgt
            # a tile's loads (one per input-channel block, one for the weights), the stores
            # beyond the one of a full-width tile, and its GEMMs
            transfers = g.cib + 1 + store_count(g, tob, toh, tow) - 1
            load = dma_estimate(load_bytes, transfers, cfg)
            compute = gemm_cycles(tob * g.cib * taps * toh * tow)
            key = (tiles_cycles(load, compute, tiles, buffers), tiles * load_bytes)
            if best is None or key < best[0]:
                tiling = Tiling(
                    tob, toh, tib, tiles * load_bytes, tiles, buffers, tow, cfg.depth("inp")
                )
                best = (key, tiling)
    return best
