"""Channels-last convolutions (codegen/conv_nhwc.py) equal graph.conv2d + graph.requantize (+ a
residual graph.qadd) of canopy_ir.kernels bit for bit, on every engine: the portable tiled
implicit GEMM, the direct kernel (groups, depthwise) and the tensor-core kernel with its
instruction emulated (tile bookkeeping and split-K's atomic reduction run on any device); input
channels padded to words or 16-byte loads; results in NHWC or row-major; and the tile plan
splits the reduction only where output tiles are too few."""

import dataclasses

import numpy as np
import pytest
from clgen_support import apply, int8, int32, requants, unoptimized
from hypothesis import assume, given
from hypothesis import strategies as st

from canopy_ir.backend.opencl.codegen.conv import output_hw
from canopy_ir.backend.opencl.codegen.conv_nhwc import Residual, conv2d_nhwc, mma_plan
from canopy_ir.backend.opencl.codegen.layout import NCHW, nhwc
from canopy_ir.backend.opencl.codegen.mma import MmaTiles
from canopy_ir.errors import CanopyError
from canopy_ir.kernels import conv2d as conv_ref
from canopy_ir.quant import Requant


def qadd_ref(a: np.ndarray, b: np.ndarray, r: Residual) -> np.ndarray:
    u = r.ma * (a.astype(np.int64) - r.za) + r.mb * (b.astype(np.int64) - r.zb)
    v = (u + (1 << (r.shift - 1))) >> r.shift if r.shift > 0 else u << -r.shift
    return np.clip(v + r.zero_point, r.lo, r.hi).astype(np.int8)


def check(rt, x_shape, w_shape, strides, pads, dilations, groups, rq, res, out, engine, seed,
          tiles=None, split=1, optimize=False):  # fmt: skip
    rng = np.random.default_rng(seed)
    x, w, b = int8(rng, x_shape), int8(rng, w_shape), int32(rng, (w_shape[0],), 24)
    kernel = conv2d_nhwc(x_shape, w_shape, strides, pads, dilations, groups, True, rq, res, out,
                         engine, tiles, split, emulate=True)  # fmt: skip
    want = apply(rq, conv_ref(x, w, b, strides, pads, dilations, groups))
    args = [x, w, b]
    if res is not None:
        other = int8(rng, want.shape)
        args.append(other)
        want = qadd_ref(want, other, res)
    launch = rt.launch(kernel if optimize else unoptimized(kernel), *args)
    for _ in range(2):  # a second launch: split-K's workspace and counters start from zero
        launch.enqueue()
        got = launch.read()[0]
        assert got.dtype == want.dtype
        np.testing.assert_array_equal(got, want)


@st.composite
def convs(draw):
    groups = draw(st.integers(1, 3))
    cg, og = draw(st.integers(1, 19)), draw(st.integers(1, 9))
    h, w = draw(st.integers(1, 8)), draw(st.integers(1, 8))
    kh, kw = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    strides = (draw(st.integers(1, 2)), draw(st.integers(1, 2)))
    dilations = (draw(st.integers(1, 2)), draw(st.integers(1, 2)))
    pads = tuple(draw(st.integers(0, 2)) for _ in range(4))
    oh, ow = output_hw(h, w, kh, kw, strides, pads, dilations)
    assume(oh >= 1 and ow >= 1)
    n = draw(st.integers(1, 2))
    return (n, cg * groups, h, w), (og * groups, cg, kh, kw), strides, pads, dilations, groups


RESIDUALS = [None, Residual(3, 3 << 19, -2, 5 << 18, 20, -1, -128, 127),
             Residual(0, 1 << 20, 0, 1 << 20, 20, 0, 0, 127)]  # fmt: skip
MMA = [(MmaTiles(1, 2, 1, 2, 32), 1), (MmaTiles(1, 2, 1, 2, 32), 3), (MmaTiles(2, 1, 2, 1, 64), 2)]


@given(convs(), st.sampled_from(["tiled", "direct", "mma"]), st.sampled_from(RESIDUALS),
       st.booleans(), st.sampled_from(MMA), st.data(), st.integers(0, 2**16))  # fmt: skip
def test_nhwc_conv_equals_reference(rt, conv, engine, res, nhwc_out, mma, data, seed):
    x_shape, w_shape, strides, pads, dilations, groups = conv
    if groups > 1:
        engine = "direct"
    rq = data.draw(requants(w_shape[0]))
    if rq is None:
        res = None
    out = nhwc(w_shape[0]) if nhwc_out else NCHW
    tiles, split = mma if engine == "mma" else (None, 1)
    check(rt, x_shape, w_shape, strides, pads, dilations, groups, rq, res, out, engine, seed,
          tiles, split)  # fmt: skip


RQ = Requant(14, 3, 0, 127, 1, tuple(range(4000, 4064)))


@pytest.mark.parametrize(
    "x_shape, w_shape, strides, pads, engine, tiles, split",
    [
        # a stem: 3 channels padded to a word, 7x7 taps read word by word
        ((1, 3, 23, 21), (16, 3, 7, 7), (2, 2), (3, 3, 3, 3), "mma", MmaTiles(2, 2, 1, 1, 64), 1),
        ((1, 3, 23, 21), (16, 3, 7, 7), (2, 2), (3, 3, 3, 3), "tiled", None, 1),
        # a bottleneck's 1x1: the input rows are the A matrix, 16-byte loads
        ((2, 32, 7, 7), (48, 32, 1, 1), (1, 1), (0, 0, 0, 0), "mma", MmaTiles(1, 2, 2, 2, 32), 1),
        ((2, 32, 7, 7), (48, 32, 1, 1), (1, 1), (0, 0, 0, 0), "tiled", None, 1),
        # 3x3 over 32 channels, the reduction split four ways
        ((1, 32, 5, 5), (64, 32, 3, 3), (1, 1), (1, 1, 1, 1), "mma", MmaTiles(1, 2, 2, 2, 32), 4),
    ],
)
def test_nhwc_conv_layers(rt, x_shape, w_shape, strides, pads, engine, tiles, split):
    rq = dataclasses.replace(RQ, multipliers=RQ.multipliers[: w_shape[0]])
    for res in (None, RESIDUALS[1]):
        check(rt, x_shape, w_shape, strides, pads, (1, 1), 1, rq, res, nhwc(w_shape[0]),
              engine, 1, tiles, split, optimize=True)  # fmt: skip


def test_tile_plan_splits_only_where_tiles_are_few():
    big, split = mma_plan(100_352, 64, 576, 132)  # batch 32 at 56x56: tiles enough
    assert split == 1 and big.bm * big.bn >= 64 * 64
    small, split = mma_plan(49, 512, 4608, 132)  # batch 1 at 7x7: split the reduction
    tiles = -(-49 // small.bm) * -(-512 // small.bn)
    assert split > 1 and tiles * split >= 132
    assert mma_plan(49, 512, 64, 132)[1] == 1  # one k-tile: nothing to split


def test_tensor_core_source_and_errors():
    kernel = conv2d_nhwc((1, 64, 8, 8), (64, 64, 3, 3), pads=(1, 1, 1, 1), engine="mma",
                         tiles=MmaTiles(1, 2, 1, 2, 64), split=3)  # fmt: skip
    assert "mma.sync.aligned.m16n8k32" in kernel.source and "membar.gl" in kernel.source
    assert kernel.global_size[2] == 3 and [b.role for b in kernel.buffers][-2:] == [
        "scratch",
        "scratch",
    ]
    with pytest.raises(CanopyError, match="ungrouped"):
        conv2d_nhwc((1, 8, 6, 6), (8, 4, 3, 3), groups=2, engine="tiled")
    with pytest.raises(CanopyError, match="needs the requantization"):
        conv2d_nhwc((1, 8, 6, 6), (8, 8, 3, 3), residual=RESIDUALS[1])
    with pytest.raises(CanopyError, match="unknown conv2d engine"):
        conv2d_nhwc((1, 8, 6, 6), (8, 8, 3, 3), engine="winograd")
