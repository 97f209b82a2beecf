"""Hypothesis strategies shared by the property tests and `canopy-fuzz`: small conv nets and
hardware configs with tiny buffers (so every layer must be tiled)."""

from __future__ import annotations

from hypothesis import strategies as st

from canopy_ir.hw.config import HwConfig


@st.composite
def conv_nets(draw):
    """(input shape, layers) of a small conv net, optionally ending in flatten + dense."""
    n = draw(st.integers(1, 2))
    c = draw(st.integers(1, 20))
    h, w = draw(st.integers(3, 9)), draw(st.integers(3, 9))
    layers, shape = [], (n, c, h, w)
    for _ in range(draw(st.integers(1, 2))):
        k = draw(st.sampled_from([1, 3]))
        pad = draw(st.integers(0, k // 2 + 1))
        stride = draw(st.integers(1, 2))
        dil = draw(st.integers(1, 2)) if k > 1 else 1
        oh = (shape[2] + 2 * pad - dil * (k - 1) - 1) // stride + 1
        ow = (shape[3] + 2 * pad - dil * (k - 1) - 1) // stride + 1
        if oh < 1 or ow < 1:
            break
        o = draw(st.integers(1, 20))
        layers.append(("conv", o, k, stride, pad, dil, draw(st.booleans()), draw(st.booleans())))
        shape = (n, o, oh, ow)
    if draw(st.booleans()) or not layers:
        layers += [
            ("flatten",),
            ("dense", draw(st.integers(1, 20)), draw(st.booleans()), draw(st.booleans())),
        ]
    return (n, c, h, w), layers


@st.composite
def hw_configs(draw):
    """Valid configs with small buffers, so that layers must be tiled."""
    log_block = draw(st.sampled_from([2, 3, 4]))
    log_batch = draw(st.sampled_from([0, 0, 1]))
    inp_bits = log_batch + log_block + 3
    wgt_bits = 2 * log_block + 3
    acc_bits = log_batch + log_block + 5
    inp_depth = draw(st.integers(6, 11))
    wgt_depth = draw(st.integers(4, 10))
    acc_depth = draw(st.integers(5, 11))
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
