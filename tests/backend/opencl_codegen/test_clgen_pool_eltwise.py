"""Generated pooling and elementwise kernels against canopy_ir.kernels: max pooling, int8
averages and every elementwise op bit for bit, float averages within pool.py's stated bound."""

import numpy as np
import pytest
from clgen_support import int8, unoptimized
from hypothesis import assume, given
from hypothesis import strategies as st

from canopy_ir import kernels as ref
from canopy_ir.backend.opencl.codegen import binary, clip, pool2d, relu
from canopy_ir.backend.opencl.codegen.pool import pool_output_hw
from canopy_ir.errors import CanopyError


@st.composite
def pools(draw):
    kh, kw = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    strides = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    dilations = (draw(st.integers(1, 2)), draw(st.integers(1, 2)))
    pads = (draw(st.integers(0, kh - 1)), draw(st.integers(0, kw - 1)),
            draw(st.integers(0, kh - 1)), draw(st.integers(0, kw - 1)))  # fmt: skip
    h, w = draw(st.integers(1, 9)), draw(st.integers(1, 9))
    ceil_mode = draw(st.booleans())
    out_hw = pool_output_hw(h, w, (kh, kw), strides, pads, dilations, ceil_mode)
    assume(min(out_hw) >= 1)
    # Every window must see the input: an all-padding window has no int8 maximum.
    _, counts = ref.window_sums(np.ones((1, 1, h, w)), (kh, kw), strides, pads, dilations,
                                False, out_hw)  # fmt: skip
    assume(counts.min() >= 1)
    return (draw(st.integers(1, 2)), draw(st.integers(1, 3)), h, w), (kh, kw), strides, pads, \
        dilations, out_hw  # fmt: skip


@given(pools(), st.sampled_from(["max", "avg"]), st.sampled_from(["float32", "int8"]),
       st.booleans(), st.integers(0, 2**16))  # fmt: skip
def test_pool2d_equals_reference(rt, pool, kind, dtype, include_pad, seed):
    x_shape, kernel, strides, pads, dilations, out_hw = pool
    rng = np.random.default_rng(seed)
    x = int8(rng, x_shape) if dtype == "int8" else rng.standard_normal(x_shape, np.float32) * 8
    k = pool2d(x_shape, kind, kernel, strides, pads, dilations, include_pad, out_hw, dtype)
    y = rt.run(unoptimized(k), x)
    expected = ref.pool2d(x, kind, kernel, strides, pads, dilations, include_pad, out_hw)
    assert y.dtype == expected.dtype and y.shape == expected.shape
    if kind == "avg" and dtype == "float32":
        bound = kernel[0] * kernel[1] * 2.0**-24 * max(np.abs(x).max(), 1e-30)
        np.testing.assert_allclose(y, expected, rtol=0, atol=bound)
    else:
        np.testing.assert_array_equal(y, expected)


@st.composite
def broadcast_shapes(draw):
    """An output shape and two operand shapes that broadcast to it (numpy's rules)."""
    out = draw(st.lists(st.integers(1, 5), min_size=1, max_size=4))

    def operand():
        shape = [d if draw(st.booleans()) else 1 for d in out]
        return tuple(shape[draw(st.integers(0, len(shape) - 1)) :])

    return operand(), operand()


def _values(rng, shape, dtype):
    if dtype == "float32":
        return (rng.standard_normal(shape) * 100).astype(np.float32)
    info = np.iinfo(dtype)
    return rng.integers(info.min, info.max, shape, dtype=np.int64, endpoint=True).astype(dtype)


@given(broadcast_shapes(), st.sampled_from(["add", "sub", "mul"]),
       st.sampled_from([("float32", "float32"), ("int32", "int32"), ("int8", "int8"),
                        ("int8", "int32")]), st.integers(0, 2**16))  # fmt: skip
def test_binary_equals_reference(rt, shapes, op, types, seed):
    (a_shape, b_shape), (dtype, out_dtype) = shapes, types
    rng = np.random.default_rng(seed)
    a, b = _values(rng, a_shape, dtype), _values(rng, b_shape, dtype)
    out_shape = np.broadcast_shapes(a_shape, b_shape)
    y = rt.run(unoptimized(binary(op, a_shape, b_shape, dtype, out_dtype)), a, b)
    (expected,) = ref.run(f"graph.{op}", {}, [a, b], [(out_shape, out_dtype)])
    assert y.dtype == expected.dtype  # int32 results wrap, float32 ones round once: exact
    np.testing.assert_array_equal(y, expected)


@pytest.mark.parametrize("dtype", ["float32", "int8", "int32"])
def test_relu_and_clip_equal_reference(rt, dtype):
    rng = np.random.default_rng(3)
    x = _values(rng, (3, 5, 7), dtype)
    if dtype == "float32":
        x.flat[:6] = [np.nan, -0.0, 0.0, -np.inf, 2.5, -3.0]  # NaN, signed zeros, the bounds

    def same(y, expected):  # bit patterns, so that -0.0 and +0.0 differ
        assert y.dtype == expected.dtype
        np.testing.assert_array_equal(y.view(f"u{y.itemsize}"), expected.view(f"u{y.itemsize}"))

    same(rt.run(relu(x.shape, dtype), x), ref.run("graph.relu", {}, [x], [])[0])
    for lo, hi in [(-3, 6), (None, 0.0), (-100, None), (2.5, 2.5), (-0.0, 0.0)]:
        y = rt.run(clip(x.shape, dtype, lo, hi), x)
        same(y, ref.run("graph.clip", {"min": lo, "max": hi}, [x], [])[0])


def test_elementwise_rejects_what_it_does_not_generate():
    with pytest.raises(CanopyError, match="do not broadcast"):
        binary("add", (2, 3), (4,))
    with pytest.raises(CanopyError, match="unknown elementwise op"):
        binary("pow", (2,), (2,))
    with pytest.raises(CanopyError, match="integer results are int8 or int32"):
        binary("add", (2,), (2,), "int8", "float32")
    with pytest.raises(CanopyError, match="has no OpenCL kernel"):
        relu((2,), "float64")
    with pytest.raises(CanopyError, match="pooling of int32"):
        pool2d((1, 1, 4, 4), "max", (2, 2), dtype="int32")
