"""Generated int8 dense kernels equal graph.dense (canopy_ir.kernels) and graph.requantize
(canopy_ir.quant) bit for bit, for every tile shape, operand alignment and dot-product mode."""

import dataclasses

import numpy as np
import pytest
from clgen_support import apply, int8, int32, requants, unoptimized
from hypothesis import example, given
from hypothesis import strategies as st

from canopy_ir.backend.opencl.codegen import GemmTiles, dense
from canopy_ir.backend.opencl.codegen.kernel import MAX_REDUCTION
from canopy_ir.errors import CanopyError
from canopy_ir.kernels import dense as dense_ref
from canopy_ir.quant import Requant

# Small work-groups keep PoCL's compile time low; they still cover 1 and 2 slabs of rows and
# columns per work-item (tm, tn = 4 or 8), k-tiles of one and two 16-byte chunks per row.
TILES = [
    GemmTiles(16, 16, 16, 4, 4),
    GemmTiles(32, 16, 16, 8, 4),
    GemmTiles(16, 32, 32, 4, 8),
    GemmTiles(32, 32, 32, 8, 8),
]


def check_dense(rt, m, n, k, tiles, bias, rq, seed, dot="mad", prefix="", optimize=True):
    rng = np.random.default_rng(seed)
    x, w = int8(rng, (m, k)), int8(rng, (n, k))
    b = int32(rng, (n,)) if bias else None  # the whole int32 range: the bias add must wrap
    kernel = dense(m, n, k, bias, rq, tiles, dot, layer="fc1")
    if prefix:
        kernel = dataclasses.replace(kernel, source=prefix + kernel.source)
    if not optimize:
        kernel = unoptimized(kernel)
    y = rt.run(kernel, *([x, w, b] if bias else [x, w]))
    expected = apply(rq, dense_ref(x, w, b))
    assert y.dtype == expected.dtype and y.shape == (m, n)
    np.testing.assert_array_equal(y, expected)


@given(
    st.integers(1, 40),
    st.integers(1, 40),
    st.integers(1, 72),
    st.sampled_from(TILES),
    st.booleans(),
    st.data(),
    st.integers(0, 2**16),
)
@example(32, 32, 64, TILES[3], True, None, 0).via("whole tiles: no bounds checks, vector stores")
@example(17, 12, 48, TILES[0], False, None, 1).via("k % 16 == 0: 16-byte loads, partial tiles")
@example(9, 7, 20, TILES[1], True, None, 2).via("k % 4 == 0: word loads")
@example(5, 3, 7, TILES[2], True, None, 3).via("k % 4 != 0: bytes packed into words")
def test_dense_equals_reference(rt, m, n, k, tiles, bias, data, seed):
    rq = data.draw(requants(n)) if data is not None else None  # examples pass no data
    check_dense(rt, m, n, k, tiles, bias, rq, seed, optimize=False)


# cl_khr_integer_dot_product's builtin is replaced by char multiply-adds where the device lacks
# it: what is checked is everything around the builtin (packing, accumulation, epilogue).
DOT_POLYFILL = """static inline int test_dot(uint a, uint b) {
    const char4 x = as_char4(a), y = as_char4(b);
    return x.x * y.x + x.y * y.y + x.z * y.z + x.w * y.w;
}
#define dot_4x8packed_ss_int(a, b) test_dot(a, b)
"""


@pytest.mark.parametrize("m, n, k", [(16, 16, 32), (13, 21, 30)])
def test_dense_with_the_dot_product_extension(rt, m, n, k):
    rq = Requant(10, -5, -128, 120, 3, tuple(range(1000, 1000 + n)))
    extension = "cl_khr_integer_dot_product" in rt.device.extensions
    check_dense(rt, m, n, k, TILES[1], True, rq, 7, "khr", "" if extension else DOT_POLYFILL)


def test_dense_source_uses_the_requested_dot_product():
    assert "dot_4x8packed_ss_int(as_uint" in dense(8, 8, 16, dot="khr").source
    assert "cl_khr_integer_dot_product : enable" in dense(8, 8, 16, dot="khr").source
    assert "dp4a.s32.s32" in dense(8, 8, 16, dot="ptx").source
    assert "dot_4x8" not in dense(8, 8, 16, dot="mad").source
    with pytest.raises(CanopyError, match="dot-product mode"):
        dense(8, 8, 16, dot="sse")


def test_dense_geometry():
    k = dense(100, 70, 64, tiles=GemmTiles(64, 32, 32, 8, 4))
    assert k.local_size == (8, 8, 1)
    assert k.global_size == (3 * 8, 2 * 8, 1)  # ceil(70 / 32) × ceil(100 / 64) work-groups
    assert k.ops == 2 * 100 * 70 * 64
    assert [b.name for b in k.inputs] == ["x", "w", "bias"]
    assert [(b.name, b.dtype, b.shape) for b in k.outputs] == [("y", "int32", (100, 70))]


def test_dense_rejects_what_it_cannot_compute_exactly():
    with pytest.raises(CanopyError, match="overflow the int32 accumulators"):
        dense(4, 4, MAX_REDUCTION + 1)
    with pytest.raises(CanopyError, match="multipliers for 4 channels"):
        dense(4, 4, 16, requant=Requant(8, 0, -128, 127, 0, (3, 4)))
    with pytest.raises(CanopyError, match="clip range"):
        dense(4, 4, 16, requant=Requant(8, 0, 5, 2))
    with pytest.raises(CanopyError, match=r"buffer y\[65536, 65536\] needs 64-bit indices"):
        dense(2**16, 2**16, 16)
    with pytest.raises(CanopyError, match="invalid GEMM tiles"):
        dense(4, 4, 16, tiles=GemmTiles(16, 16, 8, 4, 4))
