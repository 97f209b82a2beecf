"""Random QDQ ONNX models (int8, power-of-two scales) for fuzzing and tests: a chain of convs
and dense layers described by a short tuple list, with seeded weights."""

from __future__ import annotations

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper


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


def random_input(shape, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).uniform(-2, 2, shape).astype(np.float32)
