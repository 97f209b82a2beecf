"""`canopy_ir.kernels.conv2d` against its definition written out: a dense or grouped convolution
gives, bit for bit, what the kernel gave before depthwise convolutions went tap by tap (per group
one BLAS product of float64 im2col rows: the memory order of the rows decides the BLAS call and
so the order of the sums); a depthwise one adds its taps' float64 products in kernel order, from
+0.0, bit for bit; integer convolutions are exact and wrap to int32. The floats include ±2^30,
whose products cancel exactly: a different order of additions shows in float32."""

from __future__ import annotations

import numpy as np
from hypothesis import example, given, settings
from hypothesis import strategies as st

from canopy_ir.kernels import conv2d, conv_output_hw

PROPERTY = settings(max_examples=max(100, settings.default.max_examples))


@st.composite
def convolutions(draw, depthwise: bool):
    """(x shape, w shape, group, strides, pads, dilations): depthwise (one input channel per
    group, one to three outputs each) or not (dense, or groups of two input channels or more)."""
    group = draw(st.integers(2, 6)) if depthwise else draw(st.sampled_from([1, 1, 2, 3]))
    cg = 1 if depthwise else draw(st.integers(1 if group == 1 else 2, 5))
    og = draw(st.integers(1, 3))
    kh, kw = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    strides = [draw(st.integers(1, 2)), draw(st.integers(1, 2))]
    dilations = [draw(st.integers(1, 2)), draw(st.integers(1, 2))]
    pads = [draw(st.integers(0, 2)) for _ in range(4)]
    h = draw(st.integers((kh - 1) * dilations[0] + 1, 9))
    w = draw(st.integers((kw - 1) * dilations[1] + 1, 9))
    x_shape = (draw(st.integers(1, 3)), cg * group, h, w)
    return x_shape, (og * group, cg, kh, kw), group, strides, pads, dilations


def floats(shape, rng) -> np.ndarray:
    """float32 values, a third of them ±2^30."""
    big = rng.choice([-(2.0**30), 2.0**30], shape)
    return np.where(rng.random(shape) < 1 / 3, big, rng.standard_normal(shape)).astype(np.float32)


def windows(x, w_shape, strides, pads, dilations) -> np.ndarray:
    """x padded and cut into every output position's window: [n, c, oh, ow, kh, kw]."""
    _, _, kh, kw = w_shape
    pt, pl, pb, pr = pads
    oh, ow = conv_output_hw(*x.shape[2:], kh, kw, strides, pads, dilations)
    xp = np.pad(x, [(0, 0), (0, 0), (pt, pb), (pl, pr)])
    view = np.lib.stride_tricks.sliding_window_view(
        xp, ((kh - 1) * dilations[0] + 1, (kw - 1) * dilations[1] + 1), axis=(2, 3)
    )
    return view[:, :, :: strides[0], :: strides[1], :: dilations[0], :: dilations[1]][
        :, :, :oh, :ow
    ]


def per_group_blas(x, w, b, strides, pads, dilations, group) -> np.ndarray:
    """The kernel as it was before depthwise convolutions went tap by tap: a loop over the
    groups, one BLAS product of float64 im2col rows each (rows of a pointwise layer as a view
    of the padded input where the reshape allows one)."""
    n, c, h, wd = x.shape
    o, cg, kh, kw = w.shape
    (pt, pl, pb, pr), (sh, sw), (dh, dw) = pads, strides, dilations
    oh, ow = conv_output_hw(h, wd, kh, kw, strides, pads, dilations)
    xp = np.zeros((n, c, h + pt + pb, wd + pl + pr))
    xp[:, :, pt : pt + h, pl : pl + wd] = x
    og = o // group
    out = np.empty((n, o, oh, ow))
    for g in range(group):
        xg = xp[:, g * cg : (g + 1) * cg]
        if kh == kw == 1:
            cols = xg[:, :, : sh * (oh - 1) + 1 : sh, : sw * (ow - 1) + 1 : sw]
            cols = cols.transpose(0, 2, 3, 1).reshape(-1, cg)
        else:
            win = np.lib.stride_tricks.sliding_window_view(
                xg, ((kh - 1) * dh + 1, (kw - 1) * dw + 1), axis=(2, 3)
            )[:, :, ::sh, ::sw, ::dh, ::dw][:, :, :oh, :ow]
            cols = win.transpose(0, 2, 3, 1, 4, 5).reshape(n * oh * ow, cg * kh * kw)
        wg = w[g * og : (g + 1) * og].reshape(og, -1).astype(np.float64)
        out[:, g * og : (g + 1) * og] = (cols @ wg.T).reshape(n, oh, ow, og).transpose(0, 3, 1, 2)
    if b is not None:
        out += b.astype(np.float64).reshape(1, -1, 1, 1)
    return out.astype(x.dtype)


def taps_in_order(x, w, b, strides, pads, dilations) -> np.ndarray:
    """Depthwise: from +0.0, each tap's float64 product added in kernel order, then the bias;
    one rounding to x's type."""
    win = windows(x, w.shape, strides, pads, dilations).astype(np.float64)
    o, _, kh, kw = w.shape
    win = np.repeat(win, o // x.shape[1], axis=1)  # output channel k reads input k // (o / c)
    total = np.zeros(win.shape[:4])
    for i in range(kh):
        for j in range(kw):
            total = total + win[..., i, j] * w[:, 0, i, j].astype(np.float64).reshape(1, -1, 1, 1)
    if b is not None:
        total = total + b.astype(np.float64).reshape(1, -1, 1, 1)
    return total.astype(x.dtype)


def exact(x, w, b, strides, pads, dilations, group) -> np.ndarray:
    """Integer convolution in int64, wrapped to int32."""
    win = windows(x.astype(np.int64), w.shape, strides, pads, dilations)
    o, cg = w.shape[:2]
    og = o // group
    out = np.stack(
        [
            np.einsum("ncyxij,cij->nyx", win[:, (k // og) * cg : (k // og + 1) * cg], w[k])
            for k in range(o)
        ],
        axis=1,
    )
    if b is not None:
        out = out + b.astype(np.int64).reshape(1, -1, 1, 1)
    return out.astype(np.int32)


@PROPERTY
@given(convolutions(depthwise=False), st.integers(0, 2**16), st.booleans())
# rows as a view in column order: a pointwise layer, and a window as tall as the input
@example(((1, 8, 5, 7), (1, 8, 1, 1), 1, [1, 1], [0, 0, 0, 0], [1, 1]), 1, False)
@example(((1, 3, 3, 6), (1, 3, 3, 1), 1, [1, 1], [0, 0, 0, 0], [1, 1]), 1, False)
def test_convolution_is_one_blas_product_per_group(conv, seed, bias):
    x_shape, w_shape, group, strides, pads, dilations = conv
    rng = np.random.default_rng(seed)
    x, w = floats(x_shape, rng), floats(w_shape, rng)
    b = floats((w_shape[0],), rng) if bias else None
    got = conv2d(x, w, b, strides, pads, dilations, group)
    expected = per_group_blas(x, w, b, strides, pads, dilations, group)
    assert got.dtype == np.float32 and got.tobytes() == expected.tobytes()


@PROPERTY
@given(convolutions(depthwise=True), st.integers(0, 2**16), st.booleans())
def test_depthwise_convolution_adds_its_taps_in_order(conv, seed, bias):
    x_shape, w_shape, group, strides, pads, dilations = conv
    rng = np.random.default_rng(seed)
    x, w = floats(x_shape, rng), floats(w_shape, rng)
    x[..., ::2] = 0.0  # zero products, negative ones among them: no -0.0 comes out
    b = floats((w_shape[0],), rng) if bias else None
    got = conv2d(x, w, b, strides, pads, dilations, group)
    expected = taps_in_order(x, w, b, strides, pads, dilations)
    assert got.dtype == np.float32 and got.tobytes() == expected.tobytes()


@PROPERTY
@given(st.booleans(), st.data(), st.integers(0, 2**16), st.booleans())
def test_integer_convolution_is_exact(depthwise, data, seed, bias):
    x_shape, w_shape, group, strides, pads, dilations = data.draw(convolutions(depthwise))
    rng = np.random.default_rng(seed)
    x = rng.integers(-128, 128, x_shape).astype(np.int8)
    w = rng.integers(-128, 128, w_shape).astype(np.int8)
    b = rng.integers(-(2**31), 2**31, w_shape[0]).astype(np.int32) if bias else None
    got = conv2d(x, w, b, strides, pads, dilations, group)
    assert got.dtype == np.int32
    np.testing.assert_array_equal(got, exact(x, w, b, strides, pads, dilations, group))
