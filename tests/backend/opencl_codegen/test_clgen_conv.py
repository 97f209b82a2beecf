"""Generated int8 convolutions (tiled implicit GEMM and direct) equal graph.conv2d
(canopy_ir.kernels) with graph.requantize fused, bit for bit: groups, depthwise, strides,
asymmetric pads, dilations."""

import numpy as np
import pytest
from clgen_support import apply, int8, int32, requants, unoptimized
from hypothesis import assume, given
from hypothesis import strategies as st

from canopy_ir.backend.opencl.codegen import GemmTiles, conv2d
from canopy_ir.backend.opencl.codegen.conv import choose_variant, output_hw
from canopy_ir.errors import CanopyError
from canopy_ir.kernels import conv2d as conv_ref
from canopy_ir.quant import Requant


def check_conv(rt, x_shape, w_shape, strides, pads, dilations, groups, bias, rq, variant, seed,
               tiles=None, optimize=True):  # fmt: skip
    rng = np.random.default_rng(seed)
    x, w = int8(rng, x_shape), int8(rng, w_shape)
    b = int32(rng, (w_shape[0],), 24) if bias else None
    kernel = conv2d(x_shape, w_shape, strides, pads, dilations, groups, bias, rq, variant, tiles)
    y = rt.run(kernel if optimize else unoptimized(kernel), *([x, w, b] if bias else [x, w]))
    expected = apply(rq, conv_ref(x, w, b, strides, pads, dilations, groups))
    assert y.shape == expected.shape and y.dtype == expected.dtype
    np.testing.assert_array_equal(y, expected)


@st.composite
def convs(draw):
    groups = draw(st.integers(1, 3))
    cg, og = draw(st.integers(1, 5)), draw(st.integers(1, 6))
    h, w = draw(st.integers(1, 9)), draw(st.integers(1, 9))
    kh, kw = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    strides = (draw(st.integers(1, 3)), draw(st.integers(1, 2)))
    dilations = (draw(st.integers(1, 2)), draw(st.integers(1, 2)))
    pads = tuple(draw(st.integers(0, 2)) for _ in range(4))
    oh, ow = output_hw(h, w, kh, kw, strides, pads, dilations)
    assume(oh >= 1 and ow >= 1)
    n = draw(st.integers(1, 2))
    return (n, cg * groups, h, w), (og * groups, cg, kh, kw), strides, pads, dilations, groups


TILES = [None, GemmTiles(16, 16, 16, 4, 4), GemmTiles(16, 32, 32, 4, 8)]


@given(convs(), st.sampled_from(["tiled", "direct"]), st.sampled_from(TILES), st.booleans(),
       st.data(), st.integers(0, 2**16))  # fmt: skip
def test_conv2d_equals_reference(rt, conv, variant, tiles, bias, data, seed):
    x_shape, w_shape, strides, pads, dilations, groups = conv
    rq = data.draw(requants(w_shape[0]))
    check_conv(rt, x_shape, w_shape, strides, pads, dilations, groups, bias, rq, variant, seed,
               tiles, optimize=False)  # fmt: skip


@pytest.mark.parametrize(
    "x_shape, w_shape, strides, pads, dilations, groups, variant",
    [
        ((1, 16, 12, 12), (32, 16, 3, 3), (1, 1), (1, 1, 1, 1), (1, 1), 1, "tiled"),
        ((2, 8, 9, 7), (16, 4, 3, 2), (2, 1), (0, 1, 2, 0), (1, 2), 2, "tiled"),
        ((1, 24, 10, 10), (48, 24, 1, 1), (2, 2), (0, 0, 0, 0), (1, 1), 1, "auto"),
        ((1, 12, 11, 9), (12, 1, 3, 3), (1, 1), (1, 1, 1, 1), (1, 1), 12, "auto"),  # depthwise
        ((1, 6, 8, 8), (12, 1, 5, 5), (2, 2), (2, 2, 2, 2), (1, 1), 6, "direct"),  # multiplier 2
    ],
)
def test_conv2d_layers(rt, x_shape, w_shape, strides, pads, dilations, groups, variant):
    rq = Requant(12, 4, -128, 127, 1, tuple(range(3000, 3000 + w_shape[0])))
    check_conv(rt, x_shape, w_shape, strides, pads, dilations, groups, True, rq, variant, 5)


def test_depthwise_goes_direct_and_wide_layers_tiled():
    assert choose_variant(cg=1, og=1, kh=3, kw=3) == "direct"
    assert choose_variant(cg=64, og=64, kh=3, kw=3) == "tiled"
    assert conv2d((1, 8, 6, 6), (8, 1, 3, 3), groups=8).local_size == (8, 8, 1)
    assert conv2d((1, 8, 6, 6), (16, 8, 3, 3)).global_size[2] == 1  # one group


def test_conv2d_rejects_inconsistent_shapes():
    with pytest.raises(CanopyError, match="do not agree"):
        conv2d((1, 6, 5, 5), (4, 4, 3, 3), groups=2)
    with pytest.raises(CanopyError, match="output would be"):
        conv2d((1, 1, 2, 2), (1, 1, 3, 3))
    with pytest.raises(CanopyError, match="unknown conv2d variant"):
        conv2d((1, 8, 6, 6), (16, 8, 3, 3), variant="winograd")
