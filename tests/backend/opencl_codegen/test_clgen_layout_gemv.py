"""Layouts (codegen/layout.py): packing and unpacking in numpy and the conversion kernels move
every element exactly; pooling, average pooling, quantize and per-channel requantize on NHWC
equal their row-major references; the one-work-group-per-feature dense layer and the
tensor-core dense with split-K (emulated) equal graph.dense bit for bit."""

import numpy as np
import pytest
from clgen_support import apply, int8, int32, requants, unoptimized
from hypothesis import given
from hypothesis import strategies as st

from canopy_ir import kernels as ref
from canopy_ir.backend.opencl import host_kernels
from canopy_ir.backend.opencl.codegen import pool2d
from canopy_ir.backend.opencl.codegen.gemv import dense_rows
from canopy_ir.backend.opencl.codegen.layout import NCHW, Layout, convert, nhwc, ohwi, pack, unpack
from canopy_ir.backend.opencl.codegen.mma import MmaTiles, dense_mma
from canopy_ir.errors import CanopyError
from canopy_ir.quant import Requant

RNG = np.random.default_rng(3)


@pytest.mark.parametrize("channels, cp", [(3, 4), (8, 8), (17, 32), (64, 64)])
def test_pack_unpack_and_padding(channels, cp):
    x = int8(RNG, (2, channels, 3, 5))
    layout = nhwc(channels)
    assert layout.cp == cp and layout.physical(x.shape) == (2, 3, 5, cp)
    packed = pack(layout, x)
    assert not packed[..., channels:].any()  # padding lanes zero
    np.testing.assert_array_equal(unpack(layout, packed, x.shape), x)
    w = int8(RNG, (6, channels, 3, 3))
    wl = ohwi(w.shape, cp)
    rows = pack(wl, w)
    assert rows.shape == (6, wl.k) and wl.k % 16 == 0
    np.testing.assert_array_equal(rows[:, : 9 * cp].reshape(6, 3, 3, cp)[..., :channels],
                                  w.transpose(0, 2, 3, 1))  # fmt: skip
    with pytest.raises(CanopyError, match="not read back"):
        unpack(wl, rows, w.shape)


@pytest.mark.parametrize("dtype", ["int8", "float32", "int32"])
def test_conversion_kernels_round_trip(rt, dtype):
    x = (RNG.normal(0, 50, (2, 20, 4, 3))).astype(dtype)
    wide = Layout("nhwc", 32)
    for src, dst in [(NCHW, nhwc(20)), (nhwc(20), NCHW), (nhwc(20), wide), (wide, nhwc(20))]:
        np.testing.assert_array_equal(rt.run(convert(x.shape, dtype, src, dst), x), x)
    with pytest.raises(CanopyError, match="no conversion"):
        convert(x.shape, dtype, NCHW, ohwi((4, 20, 3, 3), 32))


WINDOW = dict(kernel=[3, 3], strides=[2, 2], pads=[1, 0, 1, 1], dilations=[1, 1])
QAVG = dict(WINDOW, input_zero_point=-4, pre_shift=0, shift=20, zero_point=2, clip_min=-128,
            clip_max=127, count_include_pad=0,
            multipliers=[round(2**20 / c) for c in range(1, 10)])  # fmt: skip


@pytest.mark.parametrize("channels", [5, 16])
def test_nhwc_pooling_quantize_requantize(rt, channels):
    layout = nhwc(channels)
    x = int8(RNG, (2, channels, 9, 8))
    out = [((2, channels, 5, 4), "int8")]
    for kind in ("max", "avg"):
        a = dict(WINDOW, kind=kind, count_include_pad=0)
        want = ref.run("graph.pool", a, [x], out)[0]
        kernel = pool2d(x.shape, kind, (3, 3), (2, 2), (1, 0, 1, 1), (1, 1), False, (5, 4),
                        "int8", layout=layout)  # fmt: skip
        np.testing.assert_array_equal(rt.run(kernel, x), want)
    want = ref.run("graph.qavg_pool", QAVG, [x], out)[0]
    np.testing.assert_array_equal(rt.run(host_kernels.qavg_pool(x.shape, (5, 4), QAVG, None,
                                                                layout), x), want)  # fmt: skip
    f = RNG.normal(0, 3, x.shape).astype(np.float32)
    want = ref.run("graph.quantize", dict(scale=0.05, zero_point=-3), [f], [(x.shape, "int8")])[0]
    kernel = host_kernels.quantize(x.shape, 0.05, -3, "int8", out_layout=layout)
    np.testing.assert_array_equal(rt.run(kernel, f), want)
    acc = int32(RNG, x.shape, 22)
    rq = Requant(20, -3, -128, 127, 2, tuple(range(1000, 1000 + channels)))
    kernel = host_kernels.requantize(x.shape, rq, None, layout)
    np.testing.assert_array_equal(rt.run(kernel, acc), apply(rq, acc))


@given(st.integers(1, 9), st.integers(1, 40), st.sampled_from([16, 48, 20, 7]), st.booleans(),
       st.data())  # fmt: skip
def test_dense_rows_equals_reference(rt, m, n, k, bias, data):
    rq = data.draw(requants(n))
    x, w, b = int8(RNG, (m, k)), int8(RNG, (n, k)), int32(RNG, (n,), 24)
    y = rt.run(unoptimized(dense_rows(m, n, k, bias, rq)), *([x, w, b] if bias else [x, w]))
    np.testing.assert_array_equal(y, apply(rq, ref.dense(x, w, b if bias else None)))


def test_dense_rows_limits():
    with pytest.raises(CanopyError, match="1 to 32 rows"):
        dense_rows(33, 8, 16)


@pytest.mark.parametrize("split", [1, 2, 5])
def test_tensor_core_dense_split_k(rt, split):
    m, n, k = 20, 40, 320
    x, w, b = int8(RNG, (m, k)), int8(RNG, (n, k)), int32(RNG, (n,))
    rq = Requant(13, 2, -128, 127, 1, (5000,))
    kernel = dense_mma(m, n, k, True, rq, MmaTiles(1, 2, 1, 2, 32), emulate=True, split=split)
    assert kernel.global_size[2] == split
    launch = rt.launch(kernel, x, w, b)
    for _ in range(3):  # the last work-group of a tile leaves workspace and counter zeroed
        launch.enqueue()
        np.testing.assert_array_equal(launch.read()[0], apply(rq, ref.dense(x, w, b)))
