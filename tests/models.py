"""Random QDQ ONNX models (int8, power-of-two scales) and random hardware configs for tests."""

from __future__ import annotations

import numpy as np
import onnx
from hypothesis import strategies as st
from onnx import TensorProto, helper, numpy_helper

from canopy_ir.hw.config import HwConfig


def build_qdq_model(input_shape, layers, seed: int = 0, in_shift: int = 6) -> onnx.ModelProto:
    """layers: ("conv", out_ch, kernel, stride, pad, dilation, relu, bias) | ("flatten",) |
    ("dense", out, relu, bias). Every activation is int8 with scale 2^-k; weights int8 2^-7."""
    rng = np.random.default_rng(seed)
    inits, nodes = [], []
    count = [0]

    def const(array):
        count[0] += 1
        name = f"c{count[0]}"
        inits.append(numpy_helper.from_array(np.asarray(array), name))
        return name

    def qdq(x, scale):
        sc, zp = const(np.float32(scale)), const(np.int8(0))
        q, dq = f"{x}.q", f"{x}.dq"
        nodes.append(helper.make_node("QuantizeLinear", [x, sc, zp], [q], name=f"{x}_Q"))
        nodes.append(helper.make_node("DequantizeLinear", [q, sc, zp], [dq], name=f"{x}_DQ"))
        return dq

    def dq_const(values, scale, zp_dtype):
        out = f"w{len(nodes)}"
        nodes.append(
            helper.make_node(
                "DequantizeLinear",
                [const(values), const(np.float32(scale)), const(zp_dtype(0))],
                [out],
                name=f"{out}_DQ",
            )
        )
        return out

    shape = list(input_shape)
    s_x = 2.0**-in_shift
    x = qdq("input", s_x)
    for i, layer in enumerate(layers):
        name = f"l{i}"
        if layer[0] == "flatten":
            nodes.append(helper.make_node("Flatten", [x], [name], name=name))
            shape = [shape[0], int(np.prod(shape[1:]))]
            x = name
            continue
        s_w = 2.0**-7
        if layer[0] == "conv":
            _, o, k, stride, pad, dil, relu, bias = layer
            w = rng.integers(-127, 128, (o, shape[1], k, k)).astype(np.int8)
            inputs = [x, dq_const(w, s_w, np.int8)]
            attrs = dict(
                kernel_shape=[k, k], strides=[stride, stride], pads=[pad] * 4, dilations=[dil, dil]
            )
            op = "Conv"
            oh = (shape[2] + 2 * pad - dil * (k - 1) - 1) // stride + 1
            ow = (shape[3] + 2 * pad - dil * (k - 1) - 1) // stride + 1
            new_shape = [shape[0], o, oh, ow]
            fan_in = shape[1] * k * k
        else:
            _, o, relu, bias = layer
            w = rng.integers(-127, 128, (o, shape[1])).astype(np.int8)
            inputs = [x, dq_const(w, s_w, np.int8)]
            attrs = dict(transB=1)
            op = "Gemm"
            new_shape = [shape[0], o]
            fan_in = shape[1]
        if bias:
            inputs.append(
                dq_const(rng.integers(-3000, 3000, o).astype(np.int32), s_x * s_w, np.int32)
            )
        nodes.append(helper.make_node(op, inputs, [name], name=name, **attrs))
        if relu:
            nodes.append(helper.make_node("Relu", [name], [f"{name}.relu"], name=f"{name}_relu"))
            name = f"{name}.relu"
        # output scale: keep typical magnitudes inside int8 (power of two)
        shift = int(np.clip(np.round(np.log2(np.sqrt(fan_in) * 127 * 127 / 64)), 1, 20))
        s_y = s_x * s_w * 2.0**shift
        x, s_x, shape = qdq(name, s_y), s_y, new_shape
    nodes.append(helper.make_node("Identity", [x], ["output"], name="output"))
    g = helper.make_graph(
        nodes,
        "random_qdq",
        [helper.make_tensor_value_info("input", TensorProto.FLOAT, list(input_shape))],
        [helper.make_tensor_value_info("output", TensorProto.FLOAT, shape)],
        inits,
    )
    model = helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)])
    onnx.checker.check_model(model)
    return model


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


def random_input(shape, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).uniform(-2, 2, shape).astype(np.float32)


def initializer(model: onnx.ModelProto, name: str) -> np.ndarray:
    return next(numpy_helper.to_array(i) for i in model.graph.initializer if i.name == name)


def output_scale(model: onnx.ModelProto) -> float:
    """Scale of the last QuantizeLinear: one step of the model's int8 output."""
    last_q = [n for n in model.graph.node if n.op_type == "QuantizeLinear"][-1]
    return float(initializer(model, last_q.input[1]))


def set_initializer(model: onnx.ModelProto, name: str, value: np.ndarray) -> None:
    for init in model.graph.initializer:
        if init.name == name:
            init.CopyFrom(numpy_helper.from_array(np.asarray(value), name))
