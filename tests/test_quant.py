"""canopy_ir.quant: the accelerator's requantization steps (run with the tile interpreter's ALU)
equal graph.requantize's arithmetic; scales, weights, biases and fixed-point parameters."""

import numpy as np
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from canopy_ir.errors import QuantizationError
from canopy_ir.hw.isa import AluOp
from canopy_ir.interpreters.tile import alu
from canopy_ir.quant import (
    MAX_PIECE_BITS,
    PRE_SHIFT_LIMIT,
    Requant,
    accumulator_bound,
    exact_weight_scales,
    fixed_point,
    power_of_two_shift,
    quantize_bias,
    ratio_bits,
    requantize,
    symmetric_scale,
    symmetric_weight_scales,
    weights_at_scales,
    without_trailing_zeros,
)


def run_steps(rq: Requant, acc: np.ndarray, bias: np.ndarray | None = None) -> np.ndarray:
    """rq.steps() on int32 accumulators shaped [channels, n], with VTA's ALU semantics; with
    `bias` (one per channel), the steps that add it folded (`Requant.folded_bias`)."""
    regions = [acc.astype(np.int32), np.zeros_like(acc, np.int32), np.zeros_like(acc, np.int32)]
    for step in rq.steps(folded_bias=bias is not None):
        if step.bias:
            operand = rq.folded_bias(bias).astype(np.int64)[:, None]
        elif step.piece is not None:
            operand = np.asarray(rq.piece(step.piece), np.int64)[:, None]
        elif step.imm is not None:
            operand = step.imm
        else:
            operand = regions[step.src].astype(np.int64)
        regions[step.dst] = alu(AluOp[step.op], regions[step.dst], operand).astype(np.int32)
    return regions[0]


@given(
    st.integers(0, 2**16),
    st.integers(1, 6),
    st.booleans(),
    st.integers(7, 21),
    st.integers(2, MAX_PIECE_BITS),
    st.integers(10, 31),
    st.integers(-3, 3),
)
def test_fixed_point_steps_equal_requantize(seed, channels, per_channel, bits, p, bound_bits, zp):
    """The Horner multiply in p-bit pieces, the rounding shifts split to fit the immediate, the
    zero point and the clip give exactly graph.requantize's result."""
    rng = np.random.default_rng(seed)
    ratios = 2.0 ** rng.uniform(-16, -2, channels if per_channel else 1)
    bound = int(rng.integers(2 ** (bound_bits - 1), 2**bound_bits))
    m, pre, shift = fixed_point(ratios, bound, bits, "test")
    multipliers = tuple(int(v) for v in m)
    rq = Requant(shift, zp, -128 + max(zp, 0), 127, pre, multipliers, p)
    # Exact only while the multiply shifts out fewer bits than the requantization does: at
    # shift == (k-1)p the product is truncated, never rounded, and below it the rest of the shift
    # is a left shift of the truncated product (with 7-bit pieces of 21-bit multipliers this
    # needs shift <= 14, i.e. a scale ratio near 1 and a pre-shift over 6).
    assume(rq.pieces <= 1 or rq.shift > rq.multiply_shift)
    acc = rng.integers(-bound, bound + 1, (channels, 64))
    acc[:, :2] = [-bound, bound]
    expected = requantize(acc[None], shift, zp, rq.lo, rq.hi, multipliers, pre)[0]
    np.testing.assert_array_equal(run_steps(rq, acc), expected)


@given(
    st.integers(0, 2**16),
    st.integers(1, 6),
    st.booleans(),
    st.integers(1, MAX_PIECE_BITS),
    st.integers(4, PRE_SHIFT_LIMIT),
    st.integers(-3, 3),
    st.booleans(),
)
def test_folded_bias_steps_equal_requantize(
    seed, channels, per_channel, bits, bound_bits, zp, relu
):
    """With no pre-shift and one multiplier piece, the bias added after the multiply together
    with the rounding constant gives graph.requantize's result on the biased accumulators —
    whatever the shift (no immediate limits it)."""
    rng = np.random.default_rng(seed)
    ratios = 2.0 ** rng.uniform(-20, -1, channels if per_channel else 1)
    bound = int(rng.integers(2 ** (bound_bits - 1), 2**bound_bits))
    m, pre, shift = fixed_point(ratios, bound, bits, "test")
    rq = Requant(shift, zp, 0 if relu else -128, 127, pre, tuple(int(v) for v in m))
    assert rq.folds_bias
    bias = rng.integers(-bound // 2, bound // 2 + 1, channels)
    acc = rng.integers(-bound // 2, bound // 2 + 1, (channels, 64))
    acc[:, :2] = [-(bound // 2), bound // 2]
    expected = requantize((acc + bias[:, None])[None], shift, zp, rq.lo, rq.hi, rq.multipliers)
    np.testing.assert_array_equal(run_steps(rq, acc, bias), expected[0])
    assert len(rq.steps(folded_bias=True)) <= len(rq.steps())  # the rounding ADD is gone


@given(
    st.floats(1e-4, 1.0),
    st.lists(st.floats(1e-4, 1.0), min_size=1, max_size=8),
    st.floats(1e-3, 10.0),
)
def test_exact_weight_scales_make_short_exact_ratios(sx, sw, sy):
    """Raised weight scales (never lowered, by less than 2^(1-bits) of the largest ratio) give
    ratios M / 2^k with M `bits` wide; fixed_point finds them exactly, trailing zeros dropped."""
    sw = np.array(sw)
    bits = ratio_bits(sx * sw / sy)
    new = exact_weight_scales(sx, sw, sy, bits)
    assert np.all(new >= sw * (1 - 1e-12))
    largest = (sx * sw / sy).max()
    assert np.all((new - sw) * sx / sy <= largest * 2.0 ** (1 - bits))
    m, pre, shift = fixed_point(sx * new / sy, 2**20, 21, "test")
    if largest < 2**bits - 1:  # (a larger ratio keeps its zero bits: shifts stay >= 0)
        assert int(m.max()).bit_length() <= bits
    np.testing.assert_allclose(m / 2.0 ** (pre + shift), sx * new / sy, rtol=1e-12)


@given(st.integers(0, 2**16), st.integers(1, 21), st.integers(0, 12))
def test_trailing_zeros_leave_the_requantization_unchanged(seed, width, zeros):
    """M · 2^z / 2^(s+z) rounds exactly as M / 2^s."""
    rng = np.random.default_rng(seed)
    m = int(rng.integers(1, 2**width)) | 1
    shift = int(rng.integers(0, 31 - zeros)) + zeros
    m2, s2 = without_trailing_zeros(np.array([m << zeros]), shift)
    assert (int(m2[0]) << (shift - s2)) == m << zeros and s2 == shift - min(zeros, shift)
    acc = rng.integers(-(2**20), 2**20, 256)
    np.testing.assert_array_equal(
        requantize(acc, shift, 0, -128, 127, [m << zeros]),
        requantize(acc, s2, 0, -128, 127, [int(m2[0])]),
    )


@given(st.integers(0, 2**16), st.integers(-3, 31), st.integers(-5, 5))
def test_shift_only_steps_equal_requantize(seed, shift, zp):
    rng = np.random.default_rng(seed)
    limit = 2**30 if shift >= 0 else 2 ** (30 + shift)
    acc = rng.integers(-limit, limit, (1, 256))
    rq = Requant(shift, zp, -128, 127)
    assert rq.pieces == 0 and all(s.op != "MUL" for s in rq.steps())
    np.testing.assert_array_equal(run_steps(rq, acc), requantize(acc, shift, zp, -128, 127))


@given(st.integers(2, 2**21 - 1), st.integers(1, MAX_PIECE_BITS))
def test_pieces_reassemble_the_multiplier(m, p):
    rq = Requant(0, 0, -128, 127, multipliers=(m, 1), piece_bits=p)
    assert sum(rq.piece(j)[0] << (j * p) for j in range(rq.pieces)) == m
    assert all(0 <= rq.piece(j)[0] < 2**p for j in range(rq.pieces))
    assert rq.piece(rq.pieces - 1)[0] > 0  # no useless top piece


@given(st.floats(1e-5, 0.25), st.integers(1, 2**31 - 1), st.integers(7, 21))
def test_fixed_point_keeps_the_pre_shifted_accumulator_small(multiplier, bound, bits):
    m, pre, shift = fixed_point(np.array([multiplier]), bound, bits, "test")
    assert int(m[0]).bit_length() <= bits and shift >= 0
    assert bound >> pre < 2**PRE_SHIFT_LIMIT
    assert abs(m[0] / 2.0 ** (pre + shift) / multiplier - 1) < 2.0 ** (2 - bits)


def test_fixed_point_refuses_multipliers_too_large():
    with pytest.raises(QuantizationError, match="too large"):
        fixed_point(np.array([2.0**22]), 100, 21, "node 'x'")


def test_accumulator_bound_is_reached_by_the_worst_input():
    rng = np.random.default_rng(0)
    w = rng.integers(-127, 128, (5, 3, 3, 3)).astype(np.int8)
    b = -rng.integers(0, 3000, 5).astype(np.int32)
    x = -128 * np.sign(w.astype(np.int64))  # per output channel, the input that hurts most
    products = (w.astype(np.int64) * x).reshape(5, -1).sum(1)
    assert accumulator_bound(w, b) == np.abs(products + b).max()
    assert accumulator_bound(w) == np.abs(products).max()


def test_power_of_two_shift():
    assert power_of_two_shift(np.array([2.0**-9, 2.0**-9])) == 9
    assert power_of_two_shift(np.array([2.0**3])) == -3
    assert power_of_two_shift(np.array([2.0**-9, 2.0**-8])) is None
    assert power_of_two_shift(np.array([0.3])) is None


def test_symmetric_scales_and_weights():
    assert symmetric_scale(127.0, False) == 1.0
    assert symmetric_scale(100.0, True) == 1.0 and symmetric_scale(128.0, True) == 2.0
    w = np.array([[1.0, -0.3], [0.04, 0.01]])
    scales = symmetric_weight_scales(w, per_channel=True, pow2=False)
    q = weights_at_scales(w, scales)
    assert q.dtype == np.int8 and q.tolist() == [[127, -38], [127, 32]]
    np.testing.assert_allclose(scales, [1 / 127, 0.04 / 127])
    scales = symmetric_weight_scales(w, per_channel=False, pow2=True)
    q = weights_at_scales(w, scales)
    assert scales.tolist() == [2.0**-6] and q.tolist() == [[64, -19], [3, 1]]


def test_quantize_bias_rounds_to_the_accumulator_scale_and_checks_int32():
    q = quantize_bias(np.array([1.0, -0.26]), np.array([0.5, 0.1]), "x")
    assert q.dtype == np.int32 and q.tolist() == [2, -3]
    with pytest.raises(QuantizationError, match="node 'b'.*does not fit int32"):
        quantize_bias(np.array([1.0]), np.array([2.0**-32]), "node 'b'")
