"""graph.qadd, graph.rescale and graph.qavg_pool: verifiers, print/parse round trips, and their
interpreter kernels against the integer formulas their docstrings state (computed here with
Python integers, independently of canopy_ir.kernels)."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from xdsl.dialects import func
from xdsl.dialects.builtin import ModuleOp, TensorType, i8, i32
from xdsl.ir import Block, Region
from xdsl.utils.exceptions import VerifyException

from canopy_ir.dialects import graph
from canopy_ir.interpreters.graph import run_graph
from canopy_ir.ir import WeightPool, attach_pool, parse_module

TAIL = dict(shift=20, zero_point=-5, clip_min=-128, clip_max=127)


def _module(arg_shapes, build) -> ModuleOp:
    """func @main over int8 arguments, whose body `build(block args)` returns the result op."""
    block = Block(arg_types=[TensorType(i8, s) for s in arg_shapes])
    op = build(*block.args)
    block.add_ops([op, func.ReturnOp(op.results[0])])
    main = func.FuncOp("main", ([a.type for a in block.args], [op.results[0].type]), Region(block))
    module = ModuleOp([main])
    attach_pool(module, WeightPool())
    return module


def _qadd(a, b, **params):
    return graph.QAddOp(a, b, TensorType(i8, graph.shape_of(a)), **params)


def test_qadd_prints_parses_back_and_verifies():
    params = dict(lhs_zero_point=3, rhs_zero_point=-128, lhs_multiplier=900_000, rhs_multiplier=1)
    module = _module([(1, 4, 2, 2)] * 2, lambda a, b: _qadd(a, b, **params, **TAIL))
    module.verify()
    text = str(module)
    assert "graph.qadd" in text and str(parse_module(text)) == text


@pytest.mark.parametrize(
    "change, message",
    [
        (dict(clip_min=-129), "clip range"),
        (dict(lhs_multiplier=1 << 22), "multipliers must be in"),
        (dict(rhs_zero_point=200), "rhs_zero_point must be an int8 value"),
        (dict(shift=32), "shift must be within 0..31"),
    ],
)
def test_qadd_verifier_refuses_out_of_range_parameters(change, message):
    params = dict(lhs_zero_point=0, rhs_zero_point=0, lhs_multiplier=1, rhs_multiplier=1)
    module = _module([(1, 4)] * 2, lambda a, b: _qadd(a, b, **(params | TAIL | change)))
    with pytest.raises(VerifyException, match=message):
        module.verify()


def test_integer_ops_take_int8_only():
    block = Block(arg_types=[TensorType(i32, (1, 4))])
    op = graph.RescaleOp(
        block.args[0], TensorType(i8, (1, 4)), input_zero_point=0, multiplier=1, **TAIL
    )
    block.add_op(op)
    with pytest.raises(VerifyException, match="takes and gives int8"):
        op.verify()


def _pool(x, out_hw, multipliers, **kw):
    n, c = graph.shape_of(x)[:2]
    props = dict(kernel=[2, 2], strides=[2, 2], pads=[0, 0, 0, 0], dilations=[1, 1])
    props |= dict(count_include_pad=0, input_zero_point=0, pre_shift=0) | TAIL | kw
    return graph.QAvgPoolOp(x, TensorType(i8, (n, c, *out_hw)), multipliers=multipliers, **props)


def test_qavg_pool_needs_one_multiplier_or_one_per_count():
    _module([(1, 2, 4, 4)], lambda x: _pool(x, (2, 2), [5])).verify()
    _module([(1, 2, 4, 4)], lambda x: _pool(x, (2, 2), [5, 6, 7, 8])).verify()
    text = str(_module([(1, 2, 4, 4)], lambda x: _pool(x, (2, 2), [5, 6, 7, 8])))
    assert str(parse_module(text)) == text
    with pytest.raises(VerifyException, match="one multiplier, or one per possible count"):
        _module([(1, 2, 4, 4)], lambda x: _pool(x, (2, 2), [5, 6])).verify()


def _round_shift(v: int, s: int) -> int:
    """(v + 2^(s-1)) >> s with Python integers (floor division), as the docstrings state."""
    return (v + (1 << (s - 1))) >> s if s > 0 else v << -s


int8s = st.integers(-128, 127)


@given(
    st.lists(st.tuples(int8s, int8s), min_size=1, max_size=12),
    int8s,
    int8s,
    st.integers(0, (1 << 22) - 1),
    st.integers(0, (1 << 22) - 1),
    st.integers(0, 31),
    int8s,
    st.tuples(int8s, int8s).map(sorted),
)
def test_qadd_kernel_is_its_formula(pairs, za, zb, ma, mb, shift, zy, clip):
    a = np.array([[p[0] for p in pairs]], np.int8)
    b = np.array([[p[1] for p in pairs]], np.int8)
    params = dict(lhs_zero_point=za, rhs_zero_point=zb, lhs_multiplier=ma, rhs_multiplier=mb)
    tail = dict(shift=shift, zero_point=zy, clip_min=clip[0], clip_max=clip[1])
    module = _module([a.shape] * 2, lambda x, y: _qadd(x, y, **params, **tail))
    (got,) = run_graph(module, a, b)
    for i, (x, y) in enumerate(pairs):
        u = ma * (x - za) + mb * (y - zb)
        assert abs(u) < 2**31  # the stated bound: the ALU forms u exactly
        assert got[0, i] == min(max(_round_shift(u, shift) + zy, clip[0]), clip[1])


@given(
    st.lists(int8s, min_size=1, max_size=12),
    int8s,
    st.integers(0, (1 << 22) - 1),
    st.integers(0, 31),
    int8s,
)
def test_rescale_kernel_is_its_formula(values, zx, m, shift, zy):
    x = np.array([values], np.int8)
    module = _module(
        [x.shape],
        lambda v: graph.RescaleOp(
            v,
            TensorType(i8, x.shape),
            input_zero_point=zx,
            multiplier=m,
            shift=shift,
            zero_point=zy,
            clip_min=-128,
            clip_max=127,
        ),
    )
    (got,) = run_graph(module, x)
    expected = [min(max(_round_shift((v - zx) * m, shift) + zy, -128), 127) for v in values]
    assert got[0].tolist() == expected


@given(
    st.integers(1, 6),
    st.integers(1, 6),
    st.integers(1, 3),
    st.integers(1, 3),
    st.integers(1, 2),
    st.integers(0, 1),
    st.booleans(),
    st.booleans(),
    int8s,
    st.integers(0, 2**16),
)
def test_qavg_pool_kernel_is_its_formula(h, w, k, stride, dil, pad, include, ceil, zx, seed):
    """Window sums and counts by explicit loops over the (dilated) window, ceil_mode overhang."""
    span = (k - 1) * dil + 1
    if h + 2 * pad < span or w + 2 * pad < span or pad >= span:
        return
    rng = np.random.default_rng(seed)
    x = rng.integers(-128, 128, (1, 2, h, w)).astype(np.int8)
    extra = stride - 1 if ceil else 0
    oh, ow = (
        (h + 2 * pad - span + extra) // stride + 1,
        (w + 2 * pad - span + extra) // stride + 1,
    )
    multipliers = [int(v) for v in rng.integers(1, 1 << 21, k * k)]
    shift, pre = 22, int(rng.integers(0, 3))
    module = _module(
        [x.shape],
        lambda v: _pool(
            v,
            (oh, ow),
            multipliers,
            kernel=[k, k],
            strides=[stride] * 2,
            pads=[pad] * 4,
            dilations=[dil] * 2,
            count_include_pad=int(include),
            input_zero_point=zx,
            pre_shift=pre,
            shift=shift,
        ),
    )
    (got,) = run_graph(module, x)
    for c in range(2):
        for i in range(oh):
            for j in range(ow):
                u, count = 0, 0
                for di in range(k):
                    for dj in range(k):
                        r, s = i * stride - pad + di * dil, j * stride - pad + dj * dil
                        inside = 0 <= r < h and 0 <= s < w
                        padded = -pad <= r < h + pad and -pad <= s < w + pad
                        if inside:
                            u += int(x[0, c, r, s]) - zx
                        count += inside or (include and padded)
                t = _round_shift(u, pre) if pre else u
                y = _round_shift(t * multipliers[count - 1], shift) + TAIL["zero_point"]
                assert got[0, c, i, j] == min(max(y, -128), 127)


def _run_alu(steps, regions: list[np.ndarray]) -> np.ndarray:
    """AluSteps with VTA's ALU semantics over int32 regions (region 0 is the result)."""
    from canopy_ir.hw.isa import AluOp
    from canopy_ir.interpreters.tile import alu

    for step in steps:
        operand = step.imm if step.imm is not None else regions[step.src].astype(np.int64)
        regions[step.dst] = alu(AluOp[step.op], regions[step.dst], operand).astype(np.int32)
    return regions[0]


@given(
    st.integers(0, 2**16),
    int8s,
    int8s,
    st.integers(0, (1 << 22) - 1),
    st.integers(0, (1 << 22) - 1),
    st.integers(0, 31),
    int8s,
    st.integers(2, 7),
)
def test_alu_steps_compute_qadd_and_rescale_exactly(seed, za, zb, ma, mb, shift, zy, p):
    """quant.qadd_steps / rescale_steps (exact products by Horner's scheme in p-bit pieces, then
    graph.requantize's rounding shift, zero point and clip) give the kernels' results, with
    every ALU operand an int32 and every immediate inside 16 bits."""
    from canopy_ir.quant import qadd, qadd_steps, rescale, rescale_steps

    rng = np.random.default_rng(seed)
    a, b = rng.integers(-128, 128, (2, 64)).astype(np.int8)
    a[:2], b[:2] = (-128, 127), (127, -128)
    steps = qadd_steps(za, zb, ma, mb, shift, zy, -128, 127, p)
    assert all(s.imm is None or -(2**15) <= s.imm < 2**15 for s in steps)
    assert all(s.imm is None or s.op != "MUL" or 0 <= s.imm < 2**p for s in steps)
    regions = [a.astype(np.int32), b.astype(np.int32), *np.zeros((2, 64), np.int32)]
    got = _run_alu(steps, regions)
    np.testing.assert_array_equal(got, qadd(a, b, za, zb, ma, mb, shift, zy, -128, 127))
    regions = [a.astype(np.int32), *np.zeros((2, 64), np.int32)]
    got = _run_alu(rescale_steps(za, ma, shift, zy, -128, 127, p), regions)
    np.testing.assert_array_equal(got, rescale(a, za, ma, shift, zy, -128, 127))
