"""The fused requantization equals canopy_ir.quant.requantize for every legal parameter set and
every int32 accumulator, including the extremes where the int64 arithmetic wraps (left shifts of
large products) and where the bias add wraps int32.

A 1-wide dense with weight 1 turns each bias into an accumulator of the test's choosing:
acc[m, n] = x[m] + bias[n], so one kernel checks a whole table of accumulators."""

import numpy as np
from clgen_support import apply, requants, unoptimized
from hypothesis import example, given
from hypothesis import strategies as st

from canopy_ir.backend.opencl.codegen import GemmTiles, dense
from canopy_ir.kernels import dense as dense_ref
from canopy_ir.quant import Requant

EDGES = np.array(
    [-(2**31), -(2**31) + 1, -(2**30), -1, 0, 1, 2**30 - 1, 2**31 - 1, 12345, -98765],
    np.int64,
)


@given(requants(24), st.integers(0, 2**16))
@example(Requant(-31, 0, -128, 127, 0, (2**31 - 1,)), 0).via("x·M << 31 wraps int64")
@example(Requant(31, 127, -128, 127, 31, tuple(range(2**31 - 24, 2**31))), 1)
@example(Requant(0, -128, -128, 127, 1, (1,)), 2)
def test_requantize_equals_reference_on_extreme_accumulators(rt, rq, seed):
    rng = np.random.default_rng(seed)
    n = 24
    bias = np.concatenate([EDGES, rng.integers(-(2**31), 2**31, n - EDGES.size)])
    bias = bias.astype(np.int32)
    x = np.array([[-128], [-1], [0], [1], [127]], np.int8)  # pushes the edges across ±2^31
    w = np.ones((n, 1), np.int8)
    kernel = dense(5, n, 1, True, rq, GemmTiles(16, 16, 16, 4, 4))
    y = rt.run(unoptimized(kernel), x, w, bias)
    np.testing.assert_array_equal(y, apply(rq, dense_ref(x, w, bias)))
