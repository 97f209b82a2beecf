"""Hypothesis strategies shared by the property tests and `canopy-fuzz`: small conv nets and
hardware configs with tiny buffers (so every layer must be tiled). Their ranges are parameters;
`wide_conv_nets` and `narrow_hw_configs` pair wide images with input and accumulator buffers too
small for one full output row, so layers must be tiled in width too."""

from __future__ import annotations

from hypothesis import strategies as st

from canopy_ir.hw.config import HwConfig


@st.composite
def conv_nets(
    draw, heights=(3, 9), widths=(3, 9), kernels=(1, 3), strides=(1, 2), channels=(1, 20)
):
    """(input shape, layers) of a small conv net, optionally ending in flatten + dense. Image
    sizes, square kernel sizes, strides and channel counts are drawn from the given ranges."""
    n = draw(st.integers(1, 2))
    c = draw(st.integers(*channels))
    h, w = draw(st.integers(*heights)), draw(st.integers(*widths))
    layers, shape = [], (n, c, h, w)
    for _ in range(draw(st.integers(1, 2))):
        k = draw(st.sampled_from(list(kernels)))
        pad = draw(st.integers(0, k // 2 + 1))
        stride = draw(st.integers(*strides))
        dil = draw(st.integers(1, 2)) if k > 1 else 1
        oh = (shape[2] + 2 * pad - dil * (k - 1) - 1) // stride + 1
        ow = (shape[3] + 2 * pad - dil * (k - 1) - 1) // stride + 1
        if oh < 1 or ow < 1:
            break
        o = draw(st.integers(*channels))
        layers.append(("conv", o, k, stride, pad, dil, draw(st.booleans()), draw(st.booleans())))
        shape = (n, o, oh, ow)
    if draw(st.booleans()) or not layers:
        layers += [
            ("flatten",),
            ("dense", draw(st.integers(*channels)), draw(st.booleans()), draw(st.booleans())),
        ]
    return (n, c, h, w), layers


@st.composite
def hw_configs(draw, inp_depths=(6, 11), acc_depths=(5, 11)):
    """Valid configs with small buffers, so that layers must be tiled; the input and accumulator
    buffers hold 2^k elements for k in `inp_depths` / `acc_depths`."""
    log_block = draw(st.sampled_from([2, 3, 4]))
    log_batch = draw(st.sampled_from([0, 0, 1]))
    inp_bits = log_batch + log_block + 3
    wgt_bits = 2 * log_block + 3
    acc_bits = log_batch + log_block + 5
    inp_depth = draw(st.integers(*inp_depths))
    wgt_depth = draw(st.integers(4, 10))
    acc_depth = draw(st.integers(*acc_depths))
    uop_depth = draw(st.integers(8, 13))
    return HwConfig(
        LOG_BATCH=log_batch,
        LOG_BLOCK_IN=log_block,
        LOG_BLOCK_OUT=log_block,
        LOG_INP_BUFF_SIZE=inp_depth + inp_bits - 3,
        LOG_WGT_BUFF_SIZE=wgt_depth + wgt_bits - 3,
        LOG_ACC_BUFF_SIZE=acc_depth + acc_bits - 3,
        LOG_UOP_BUFF_SIZE=uop_depth + 2,
    )


def wide_conv_nets():
    """Conv nets on short, wide images (up to 40 columns), kernels up to 5 and strides up to 3:
    with `narrow_hw_configs`, one output row rarely fits, so tiles cover column ranges."""
    return conv_nets(heights=(1, 6), widths=(8, 40), kernels=(1, 3, 5), strides=(1, 3))


def narrow_hw_configs():
    """Configs whose input and accumulator buffers hold 16 to 128 elements."""
    return hw_configs(inp_depths=(4, 7), acc_depths=(4, 7))
