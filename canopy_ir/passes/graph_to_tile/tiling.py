"""The tiling search of `graph-to-tile`: a convolution's geometry over packed element grids, and
the tile sizes (output-channel blocks, output rows, reduction chunk) that fit the buffers of an
`HwConfig` with the fewest estimated cycles (costs from `canopy_ir.hw.cycles`)."""

from __future__ import annotations

from dataclasses import dataclass

from canopy_ir.errors import LoweringError
from canopy_ir.hw.config import HwConfig
from canopy_ir.hw.cycles import dma_estimate, gemm_cycles, tiles_cycles
from canopy_ir.hw.layout import ceil_div
from canopy_ir.quant import Requant

DOUBLE_BUFFER_GAIN = 0.9  # two buffer copies only for an estimate at most 90% of one copy's
REQUANT_ALU_UOPS = 12  # micro-ops of the requantization's ALU steps besides 3 per multiplier piece


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

    @property
    def x_pad_1(self) -> int:
        need = (self.ow - 1) * self.sw + (self.kw - 1) * self.dw + 1
        return max(0, need - self.pl - self.w)

    @property
    def wp(self) -> int:
        """Width of an input tile row in the buffer, padding included."""
        return self.pl + self.w + self.x_pad_1


@dataclass(frozen=True)
class Tiling:
    tob: int  # output-channel blocks per tile
    toh: int  # output rows per tile
    tib: int  # input-channel blocks per reduction chunk
    dram_bytes: int
    tiles: int = 1
    buffers: int = 1  # 2: tiles alternate between two copies of every buffer (double buffering)


def choose_tiling(
    g: ConvGeometry,
    cfg: HwConfig,
    layer: str,
    requant: Requant | None = None,
) -> Tiling:
    """The tiling with the fewest estimated cycles (DRAM transfers at the bus width plus a
    latency per load, GEMM micro-ops at one per cycle; inputs re-read per output-channel chunk,
    weights per row chunk), then the least DRAM traffic. Double buffering — half-size tiles that
    alternate between two copies of the buffers, so the next tile's loads overlap this tile's
    GEMMs — is taken when the estimate saves at least 10% of the cycles."""
    requant = requant or Requant(0, 0, -128, 127)
    single = _best_tiling(g, cfg, requant, 1)
    if single is None:
        raise LoweringError(
            f"one output row ({g.ow} elements, input rows of {g.wp} elements × {g.rows_in(1)}) "
            f"does not fit the on-chip buffers (inp {cfg.depth('inp')}, acc "
            f"{cfg.depth('acc')}); width tiling is not implemented yet",
            f"layer '{layer}'",
        )
    double = _best_tiling(g, cfg, requant, 2)
    # smaller tiles cost instructions and DRAM traffic: take them for a clear gain only
    if (
        double is not None
        and double[1].tiles >= 2
        and double[0][0] < DOUBLE_BUFFER_GAIN * single[0][0]
    ):
        return double[1]
    return single[1]


def accumulator_elements(g: ConvGeometry, tob: int, toh: int, requant: Requant) -> int:
    """Accumulator elements of a tile: the tile, the requantization's scratch copies of it, then
    per-block slots for the biases and the multiplier pieces."""
    return tob * toh * g.ow * (1 + requant.scratch_tiles) + tob * (1 + requant.pieces)


def _best_tiling(g: ConvGeometry, cfg: HwConfig, requant: Requant, buffers: int):
    """((estimated cycles, DRAM bytes), Tiling) of the fastest tiling with `buffers` copies of
    every buffer, or None if not even one output row fits."""
    taps = g.taps
    copies = 1 + requant.scratch_tiles  # accumulator copies of the tile the requantization needs
    slots = 1 + requant.pieces  # per-block accumulator slots: bias, multiplier pieces
    alu_uops = 3 * requant.pieces + REQUANT_ALU_UOPS
    d_inp, d_wgt, d_acc, d_uop = (cfg.depth(b) // buffers for b in ("inp", "wgt", "acc", "uop"))
    e_inp, e_wgt = cfg.elem_bytes("inp"), cfg.elem_bytes("wgt")
    tib = next(
        (
            t
            for t in range(g.cib, 0, -1)
            if t * g.rows_in(1) * g.wp <= d_inp and t * taps <= d_wgt and t * taps + 2 <= d_uop
        ),
        None,
    )
    if tib is None or g.ow * copies + slots > d_acc:
        return None
    best = None
    for tob in range(1, g.cob + 1):
        if tob * tib * taps > d_wgt or tob * tib * taps + (2 + slots) * tob + alu_uops > d_uop:
            break
        for toh in range(1, g.oh + 1):
            if (
                accumulator_elements(g, tob, toh, requant) > d_acc
                or tib * g.rows_in(toh) * g.wp > d_inp
            ):
                break
            tiles = g.nb * ceil_div(g.cob, tob) * ceil_div(g.oh, toh)
            load_bytes = g.cib * g.rows_in(toh) * g.w * e_inp + tob * g.cib * taps * e_wgt
            # a tile's loads (one per input-channel block, one for the weights) and GEMMs
            load = dma_estimate(load_bytes, g.cib + 1, cfg)
            compute = gemm_cycles(tob * g.cib * taps * toh * g.ow)
            key = (tiles_cycles(load, compute, tiles, buffers), tiles * load_bytes)
            if best is None or key < best[0]:
                best = (key, Tiling(tob, toh, tib, tiles * load_bytes, tiles, buffers))
    return best
