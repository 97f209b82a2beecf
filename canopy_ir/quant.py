"""Quantization arithmetic, shared by the interpreters, the quantization passes, `graph-to-tile`
and the runtime (numpy only).

Number formats:
- Activations: int8, real value = scale · (q − zero point), one scale and zero point per tensor
  (uint8 tensors become int8 by subtracting 128 from values and zero point, which is exact).
- Weights: symmetric int8 in [−127, 127], one scale per tensor or per output channel (axis 0).
- Biases: int32 at the accumulator's scale, s_x · s_w (per output channel when s_w is).
- Accumulators: int32, wrapping on overflow like the accelerator's.
- Requantization (int32 → int8, `graph.requantize`): an optional rounding pre-shift, an integer
  multiplier M (one, or one per output channel), then a rounding shift, the zero point and a clip:
  y = clip(((t · M) + 2^(shift−1)) >> shift + zero point), t = (x + 2^(pre−1)) >> pre. Shifts round
  half up. With power-of-two scale ratios M is 1 and only the shift remains; otherwise M is a
  fixed-point number, M / 2^(pre + shift) ≈ s_x · s_w / s_y, at most FIXED_POINT_BITS wide
  (QDQ_MULTIPLIER_BITS for imported QDQ models), its trailing zero bits dropped. graph-quantize
  raises weight scales slightly so that the ratio is exactly M / 2^k with M 7 bits wide
  (`exact_weight_scales`).

The accelerator's ALU multiplies by at most ALU_MUL_BITS signed bits, so it applies M in pieces of
p bits by Horner's scheme (`Requant.steps`); pre-shifting keeps |t| < 2^PRE_SHIFT_LIMIT, so every
intermediate stays inside 32 bits and the result is exactly the formula above. With no pre-shift
and one piece, a bias can be added after the multiply, together with the rounding constant
(`Requant.folded_bias`).

Ops on int8 tensors with zero points (graph.qadd, graph.rescale) multiply x − zero point
(|·| <= 255) by multipliers below 2^22 (`rescale_multipliers`): the products are exact in 31
bits, and the ALU forms them exactly (`qadd_steps`, `rescale_steps`) before graph.requantize's
rounding shift. graph.qavg_pool requantizes a window sum like graph.requantize
(`bounded_fixed_point`), with the multiplier of the window's element count.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from canopy_ir.errors import QuantizationError

# Multiplier precision for graph-quantize's own scales: ~5e-7 relative. (Its convolutions'
# ratios are exact 7-bit fixed-point numbers, `exact_weight_scales`; this is for the others.)
FIXED_POINT_BITS = 21
# Imported QDQ models define their requantization by float32 scales, which their reference
# computes in float32 (relative error ~6e-8). 21 bits rounded ~0.02 % of a layer's outputs the
# other way from it (onnxruntime, at float32 precision: ~0.003 %), and such single differences
# grow through deep networks; 28 bits (four 7-bit ALU pieces instead of three) are finer than
# float32, wherever graph.requantize's shift range (<= 31) leaves room for them.
QDQ_MULTIPLIER_BITS = 28
PRE_SHIFT_LIMIT = 23  # |acc >> pre_shift| < 2^23 ...
MAX_PIECE_BITS = 7  # ... times a multiplier piece < 2^7 stays below 2^30; Horner's sums below 2^31
ALU_IMM_SHIFT_MAX = 15  # the largest shift whose rounding constant 2^(s-1) fits the ALU immediate


# --- the host's and the interpreters' arithmetic ------------------------------------------------


def wrap_i32(x: np.ndarray) -> np.ndarray:
    """Integers wrapped to int32, as the accelerator's accumulators wrap."""
    return x.astype(np.int64).astype(np.int32)


def quantize(x: np.ndarray, scale: float, zero_point: int, dtype=np.int8) -> np.ndarray:
    """ONNX QuantizeLinear: round half to even, saturate to `dtype` (computed in float32)."""
    q = np.rint(x.astype(np.float32) / np.float32(scale)) + zero_point
    info = np.iinfo(dtype)
    return np.clip(q, info.min, info.max).astype(dtype)


def dequantize(x: np.ndarray, scale: float, zero_point: int) -> np.ndarray:
    """ONNX DequantizeLinear (computed in float32)."""
    return ((x.astype(np.int64) - zero_point).astype(np.float32) * np.float32(scale)).astype(
        np.float32
    )


def rounding_shift(v: np.ndarray, shift: int) -> np.ndarray:
    """(v + 2^(shift-1)) >> shift for shift > 0 (round half up); v << -shift otherwise."""
    return (v + (1 << (shift - 1))) >> shift if shift > 0 else v << -shift


def requantize(
    x: np.ndarray,
    shift: int,
    zero_point: int,
    lo: int,
    hi: int,
    multipliers=(1,),
    pre_shift: int = 0,
) -> np.ndarray:
    """graph.requantize (multipliers along axis 1), computed in int64."""
    v = x.astype(np.int64)
    if pre_shift:
        v = rounding_shift(v, pre_shift)
    m = np.asarray(multipliers, np.int64)
    if m.size > 1:
        v = v * m.reshape((1, -1) + (1,) * (x.ndim - 2))
    elif m[0] != 1:
        v = v * m[0]
    v = rounding_shift(v, shift)
    return np.clip(v + zero_point, lo, hi).astype(np.int8)


def qadd(a, b, a_zero_point, b_zero_point, a_multiplier, b_multiplier, shift, zero_point, lo, hi):
    """graph.qadd: clip(rounding_shift(Ma·(a − za) + Mb·(b − zb), shift) + zero point), in int64
    (exact: the sum stays inside 31 bits for multipliers below 2^22)."""
    u = a_multiplier * (a.astype(np.int64) - a_zero_point)
    u = u + b_multiplier * (b.astype(np.int64) - b_zero_point)
    return np.clip(rounding_shift(u, shift) + zero_point, lo, hi).astype(np.int8)


def rescale(x, x_zero_point, multiplier, shift, zero_point, lo, hi):
    """graph.rescale: graph.requantize of x − x_zero_point by one multiplier."""
    return requantize(x.astype(np.int64) - x_zero_point, shift, zero_point, lo, hi, (multiplier,))


# --- choosing scales and requantization parameters -----------------------------------------------


def symmetric_scale(amax: float, pow2: bool) -> float:
    """The int8 scale that maps ±amax to ±127, rounded up to a power of two if `pow2`."""
    amax = max(float(amax), 1e-12)
    scale = amax / 127.0
    return 2.0 ** math.ceil(math.log2(scale)) if pow2 else scale


def symmetric_weight_scales(w: np.ndarray, per_channel: bool, pow2: bool) -> np.ndarray:
    """The scales that map float weights onto symmetric int8 [-127, 127]: one per output channel
    (axis 0; never rounded to powers of two) or a single one."""
    if per_channel:
        amax = np.abs(w).max(axis=tuple(range(1, w.ndim)))
        return np.array([symmetric_scale(a, False) for a in amax])
    return np.array([symmetric_scale(np.abs(w).max(), pow2)])


def weights_at_scales(w: np.ndarray, scales: np.ndarray) -> np.ndarray:
    """Float weights as symmetric int8 in [-127, 127] at the given scales (one, or one per
    output channel along axis 0), rounded half to even (the quotient in float64)."""
    s = np.asarray(scales, np.float64)
    s = s.reshape((-1,) + (1,) * (w.ndim - 1)) if s.size > 1 else s.reshape(())
    q = np.divide(w, s, dtype=np.float64)  # one float64 temporary, rounded and clipped in place
    np.rint(q, out=q)
    np.clip(q, -127, 127, out=q)
    return q.astype(np.int8)


def quantize_bias(values: np.ndarray, acc_scales: np.ndarray, where: str) -> np.ndarray:
    """Float biases as int32 at the accumulator's scales (rounded half to even)."""
    q = np.rint(values / acc_scales)
    if np.abs(q).max(initial=0) >= 2**31:
        raise QuantizationError("the bias does not fit int32 at the accumulator scale", where)
    return q.astype(np.int32)


def accumulator_bound(weights: np.ndarray, bias: np.ndarray | None = None) -> int:
    """The largest |accumulator| any int8 input can produce: per output channel (axis 0),
    128 · Σ|w| + |bias|."""
    channels = weights.shape[0]
    b = np.zeros(channels) if bias is None else bias
    w = weights.reshape(channels, -1)
    magnitudes = np.abs(w.astype(np.int16 if w.dtype.itemsize == 1 else np.int64))  # |-128| fits
    per_channel = magnitudes.sum(1, dtype=np.int64) * 128
    return int((per_channel + np.abs(b.astype(np.int64))).max())


def power_of_two_shift(ratios: np.ndarray) -> int | None:
    """k when every ratio (accumulator scale / output scale) is the same 2^-k, else None."""
    k = -math.log2(ratios[0])
    if np.allclose(ratios, ratios[0], rtol=1e-9) and abs(k - round(k)) < 1e-6:
        return int(round(k))
    return None


def fixed_point(multipliers: np.ndarray, acc_bound: int, bits: int, where: str):
    """Integer multipliers M (the largest `bits` wide), pre-shift and shift with
    M / 2^(pre + shift) ≈ multipliers, and |acc| >> pre < 2^PRE_SHIFT_LIMIT for |acc| <= acc_bound
    (so the accelerator's multiplication in pieces stays inside 32 bits)."""
    total = int(math.floor(math.log2((2**bits - 1) / multipliers.max())))
    m = np.maximum(np.rint(multipliers * 2.0**total), 1).astype(np.int64)
    pre = max(0, acc_bound.bit_length() - PRE_SHIFT_LIMIT)
    if total - pre < 0:
        raise QuantizationError(
            f"requantization multiplier {multipliers.max():.4g} is too large "
            "for fixed-point arithmetic",
            where,
        )
    m, shift = without_trailing_zeros(m, total - pre)
    return m, pre, shift


def without_trailing_zeros(m: np.ndarray, shift: int) -> tuple[np.ndarray, int]:
    """M / 2^shift with the trailing zero bits that every multiplier shares (at most `shift`)
    dropped: the same ratio and the same rounding, in fewer ALU multiplier pieces."""
    common = np.bitwise_or.reduce(np.asarray(m, np.int64))
    zeros = (int(common) & -int(common)).bit_length() - 1 if common else 0
    zeros = min(zeros, shift)
    return np.asarray(m, np.int64) >> zeros, shift - zeros


def exact_weight_scales(sx: float, sw: np.ndarray, sy: float, bits: int) -> np.ndarray:
    """Weight scales, each at least `sw` (so weights quantized with them stay in [-127, 127]),
    for which every requantization ratio sx · sw' / sy is M / 2^k exactly, with one k for all
    channels and M at most `bits` wide: requantization then multiplies by a `bits`-wide integer
    and rounds exactly as the scales say. Each scale grows by less than 2^(1-bits) relative to
    the largest ratio (below 1/64 for 7 bits: a single ALU multiplier piece)."""
    ratios = sx * np.asarray(sw, np.float64) / sy
    k = math.floor(math.log2((2**bits - 1) / ratios.max()))
    m = np.ceil(ratios * 2.0**k * (1 - 1e-12))
    return m * 2.0**-k * sy / sx


def ratio_bits(ratios: np.ndarray) -> int:
    """Multiplier bits for `exact_weight_scales`: one ALU piece (MAX_PIECE_BITS) for one ratio,
    else whole pieces (at most three) enough for the smallest ratio to keep a piece's bits."""
    r = np.asarray(ratios, np.float64)
    spread = math.log2(r.max() / r.min()) if r.size > 1 else 0.0
    pieces = min(3, math.ceil((MAX_PIECE_BITS + spread) / MAX_PIECE_BITS))
    return pieces * MAX_PIECE_BITS


def rescale_multipliers(ratios: np.ndarray, bits: int, where: str) -> tuple[np.ndarray, int]:
    """Multipliers M and one shift, M / 2^shift ≈ ratios, for operands x − zero point of int8
    (|·| <= 255, no pre-shift): the largest M `bits` (at most 22) wide, the shift at most 31 (tiny
    ratios then keep fewer bits)."""
    largest = float(np.max(ratios))
    shift = min(31, math.floor(math.log2((2 ** min(bits, 22) - 1) / largest)))
    if shift < 0:
        raise QuantizationError(
            f"rescaling ratio {largest:.4g} is too large for fixed-point arithmetic", where
        )
    return np.rint(np.asarray(ratios, np.float64) * 2.0**shift).astype(np.int64), shift


def bounded_fixed_point(ratios: np.ndarray, acc_bound: int, bits: int, where: str):
    """fixed_point() with the shift kept within 31, the range of graph.requantize and
    graph.qavg_pool: tiny ratios keep fewer multiplier bits. (multipliers, pre_shift, shift)."""
    m, pre, shift = fixed_point(ratios, acc_bound, bits, where)
    if shift > 31:
        m = np.maximum(np.rint(ratios * 2.0 ** (pre + 31)), 0).astype(np.int64)
        m, shift = without_trailing_zeros(m, 31)
    return m, pre, shift


# --- the accelerator's arithmetic: ALU steps ------------------------------------------------------


def piece_bits(alu_mul_bits: int) -> int:
    """Width of the multiplier pieces for an ALU multiplying by `alu_mul_bits` signed bits (a
    non-negative piece has one bit fewer)."""
    return min(MAX_PIECE_BITS, alu_mul_bits - 1)


@dataclass(frozen=True)
class AluStep:
    """dst := dst `op` operand, elementwise over a tile-sized accumulator region (0: the tile,
    1 and 2: scratch copies of it). The operand is the immediate `imm`, the region `src`,
    piece `piece` of the output channels' multipliers, or (`bias`) the output channels' folded
    biases (`Requant.folded_bias`). `op` names an ALU opcode (hw.isa.AluOp)."""

    op: str
    dst: int = 0
    imm: int | None = None
    src: int | None = None
    piece: int | None = None
    bias: bool = False


def rounding_shift_steps(shift: int) -> list[AluStep]:
    """ALU steps for (x + 2^(shift-1)) >> shift (x << -shift when shift < 0). Shifts over
    ALU_IMM_SHIFT_MAX first drop low bits, so that the rounding constant fits the 16-bit
    immediate: floor((x + 2^(s-1)) / 2^s) == floor((floor(x / 2^(s-15)) + 2^14) / 2^15)."""
    top = ALU_IMM_SHIFT_MAX
    if shift > top:
        return [
            AluStep("SHR", imm=shift - top),
            AluStep("ADD", imm=1 << (top - 1)),
            AluStep("SHR", imm=top),
        ]
    if shift > 0:
        return [AluStep("ADD", imm=1 << (shift - 1)), AluStep("SHR", imm=shift)]
    if shift < 0:
        return [AluStep("SHR", imm=shift)]
    return []


@dataclass(frozen=True)
class Requant:
    """graph.requantize's parameters, and the ALU steps that compute it on an accumulator tile."""

    shift: int
    zero_point: int
    lo: int
    hi: int
    pre_shift: int = 0
    multipliers: tuple[int, ...] = (1,)  # one, or one per output channel
    piece_bits: int = MAX_PIECE_BITS  # multipliers are applied in pieces this wide (ALU MUL)

    @property
    def per_channel(self) -> bool:
        return len(self.multipliers) > 1

    @property
    def pieces(self) -> int:
        """How many piece_bits-wide pieces the largest multiplier needs (0: no multiply)."""
        largest = max(self.multipliers)
        return 0 if largest == 1 else -(-largest.bit_length() // self.piece_bits)

    def piece(self, j: int) -> tuple[int, ...]:
        """Piece j (least significant first) of every multiplier."""
        mask = (1 << self.piece_bits) - 1
        return tuple((m >> (j * self.piece_bits)) & mask for m in self.multipliers)

    @property
    def scratch_tiles(self) -> int:
        """Tile-sized accumulator regions the multiply needs besides the tile itself."""
        return 0 if self.pieces <= 1 else (1 if self.pieces == 2 else 2)

    @property
    def multiply_shift(self) -> int:
        """Bits the multiply already shifts out, (k-1)p for k pieces of p bits."""
        return max(0, self.pieces - 1) * self.piece_bits

    @property
    def folds_bias(self) -> bool:
        """Whether a bias can join the requantization after the multiply (`folded_bias`): no
        pre-shift, and at most one multiplier piece (one multiply, nothing floored before it)."""
        return self.pre_shift == 0 and self.pieces <= 1

    def folded_bias(self, bias: np.ndarray) -> np.ndarray:
        """Per output channel, bias · M + 2^(shift-1): added after the multiply, it gives
        (acc + bias) · M + 2^(shift-1), the bias and the rounding in one ADD, for any shift. It
        fits int32 (no pre-shift: |bias| < 2^PRE_SHIFT_LIMIT, |bias · M| < 2^30), else wraps
        as the ALU's sums do, which gives the unfolded steps' result."""
        m = np.broadcast_to(np.asarray(self.multipliers, np.int64), np.shape(bias))
        folded = np.asarray(bias, np.int64) * m + (1 << (self.shift - 1) if self.shift > 0 else 0)
        return wrap_i32(folded)

    def steps(self, folded_bias: bool = False) -> list[AluStep]:
        """The whole requantization: the pre-shift, the multiply, the rest of the shift, the zero
        point, the clip. With `folded_bias` (only where `folds_bias`), the tile holds the
        accumulators without their biases: the multiply, one ADD of the folded biases (which
        carry the rounding constant), the shift, the zero point, the clip."""
        if folded_bias:
            assert self.folds_bias, "the bias folds only into a one-piece multiply"
            steps = self.multiply_steps() + [AluStep("ADD", bias=True)]
            steps += [AluStep("SHR", imm=self.shift)] if self.shift else []
        else:
            steps = rounding_shift_steps(self.pre_shift) + self.multiply_steps()
            steps += rounding_shift_steps(self.shift - self.multiply_shift)
        if self.zero_point:
            steps.append(AluStep("ADD", imm=self.zero_point))
        return steps + [AluStep("MAX", imm=self.lo), AluStep("MIN", imm=self.hi)]

    def multiply_steps(self) -> list[AluStep]:
        """tile := floor(t * M / 2^((k-1)p)) for multipliers M split into k pieces of p bits, by
        Horner's scheme: v = t*M0 >> p; v = (v + t*M1) >> p; ...; t*M(k-1) + v. Each floor shift
        composes exactly, every product stays inside 32 bits (|t| < 2^23, pieces < 2^p), and each
        operand fits the ALU's multiplier."""
        k, p = self.pieces, self.piece_bits
        if k == 0:
            return []
        if k == 1:
            return self._times_piece(0, 0)

        def copy_tile(region: int) -> list[AluStep]:  # region := tile (x * 0 = 0, then + tile)
            return [AluStep("MUL", region, imm=0), AluStep("ADD", region, src=0)]

        scratch, second = 1, 2
        steps = copy_tile(scratch) + self._times_piece(scratch, 0)
        steps.append(AluStep("SHR", scratch, imm=p))
        for j in range(1, k - 1):
            steps += copy_tile(second) + self._times_piece(second, j)
            steps += [AluStep("ADD", scratch, src=second), AluStep("SHR", scratch, imm=p)]
        return steps + self._times_piece(0, k - 1) + [AluStep("ADD", 0, src=scratch)]

    def _times_piece(self, region: int, j: int) -> list[AluStep]:
        if self.per_channel:  # piece j of each output channel's multiplier
            return [AluStep("MUL", region, piece=j)]
        factor = self.piece(j)[0]
        return [] if factor == 1 else [AluStep("MUL", region, imm=factor)]


# --- ALU steps of graph.qadd and graph.rescale: exact products, then graph.requantize's tail ---


def exact_multiply_steps(region: int, scratch: tuple[int, int], m: int, p: int) -> list[AluStep]:
    """region := region · m with no bit dropped (|region · m| < 2^31): Horner's scheme from the
    most significant p-bit piece, v = v · 2^p + t · m_j (SHR by −p is a left shift), with t kept
    in scratch[0] and each t · m_j formed in scratch[1]. Every intermediate is at most |t · m|."""
    if m in (0, 1):
        return [AluStep("MUL", region, imm=0)] if m == 0 else []
    k = -(-m.bit_length() // p)
    pieces = [(m >> (j * p)) & ((1 << p) - 1) for j in range(k)]
    if k == 1:
        return [AluStep("MUL", region, imm=m)]
    t, term = scratch
    steps = [AluStep("MUL", t, imm=0), AluStep("ADD", t, src=region)]
    steps.append(AluStep("MUL", region, imm=pieces[-1]))
    for j in reversed(range(k - 1)):
        steps.append(AluStep("SHR", region, imm=-p))
        if pieces[j]:
            steps += [AluStep("MUL", term, imm=0), AluStep("ADD", term, src=t)]
            steps += [AluStep("MUL", term, imm=pieces[j]), AluStep("ADD", region, src=term)]
    return steps


def qadd_steps(za, zb, ma, mb, shift, zero_point, lo, hi, p=MAX_PIECE_BITS) -> list[AluStep]:
    """graph.qadd on the ALU: lhs in region 0, rhs in region 1 (int8 loaded into accumulators),
    regions 2 and 3 scratch; the sum then takes graph.requantize's rounding shift and clip."""
    steps = [AluStep("ADD", 0, imm=-za)] + exact_multiply_steps(0, (2, 3), ma, p)
    steps += [AluStep("ADD", 1, imm=-zb)] + exact_multiply_steps(1, (2, 3), mb, p)
    steps.append(AluStep("ADD", 0, src=1))
    return steps + Requant(shift, zero_point, lo, hi).steps()


def rescale_steps(zx, m, shift, zero_point, lo, hi, p=MAX_PIECE_BITS) -> list[AluStep]:
    """graph.rescale on the ALU: x in region 0, regions 1 and 2 scratch."""
    steps = [AluStep("ADD", 0, imm=-zx)] + exact_multiply_steps(0, (1, 2), m, p)
    return steps + Requant(shift, zero_point, lo, hi).steps()
