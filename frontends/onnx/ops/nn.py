"""Converters of neural-network ops: convolution, pooling, normalisation (batch, layer, LRN),
softmax and the activations (Relu, LeakyRelu, PRelu, Clip, sigmoids, HardSwish, Gelu), the
latter decomposed into core graph ops where the graph dialect has no op of their own."""

from __future__ import annotations

import math

import numpy as np
import onnx
from xdsl.dialects.builtin import TensorType
from xdsl.ir import SSAValue

from canopy_ir.dialects import graph
from canopy_ir.frontends.onnx.importer import _Importer, register
from canopy_ir.frontends.onnx.nodes import attributes, opt_input, str_attr, unsupported
from canopy_ir.frontends.onnx.ops.common import binary, extra_outputs_used, scalar, unary


# ---- convolution and pooling ----------------------------------------------------------------
def _conv(imp: _Importer, node: onnx.NodeProto) -> None:
    a = attributes(node)
    x, w = imp.value(node.input[0], node), imp.value(node.input[1], node)
    b = imp.value(node.input[2], node) if opt_input(node, 2) else None
    xs, ws = graph.shape_of(x), graph.shape_of(w)
    if len(xs) != 4:
        raise unsupported(node, f"{len(xs) - 2}-D convolution (only 2-D)")
    out = imp.out_type(node)
    strides, dil = list(a.get("strides", [1, 1])), list(a.get("dilations", [1, 1]))
    pads = conv_pads(a, xs[2:], ws[2:], strides, dil, out.get_shape()[2:])
    imp.set(node, graph.Conv2dOp(x, w, b, strides, pads, dil, a.get("group", 1), out))


def conv_pads(a, in_hw, k_hw, strides, dil, out_hw) -> list[int]:
    """ONNX pads (top, left, bottom, right), resolving auto_pad."""
    auto_pad = str_attr(a.get("auto_pad"), "NOTSET")
    if auto_pad in ("SAME_UPPER", "SAME_LOWER"):
        pads = [0, 0, 0, 0]
        for d in range(2):
            total = max(0, (out_hw[d] - 1) * strides[d] + (k_hw[d] - 1) * dil[d] + 1 - in_hw[d])
            small, big = total // 2, total - total // 2
            pads[d], pads[d + 2] = (small, big) if auto_pad == "SAME_UPPER" else (big, small)
        return pads
    if auto_pad == "VALID":
        return [0, 0, 0, 0]
    p = list(a.get("pads", [0, 0, 0, 0]))
    return [p[0], p[1], p[2], p[3]]


def _pool(kind: str):
    def convert(imp: _Importer, node: onnx.NodeProto) -> None:
        if extra_outputs_used(imp, node):
            raise unsupported(node, "the Indices output")
        a = attributes(node)
        x = imp.value(node.input[0], node)
        if len(graph.shape_of(x)) != 4:
            raise unsupported(node, f"{len(graph.shape_of(x)) - 2}-D pooling (only 2-D)")
        kernel = list(a["kernel_shape"])
        strides, dil = list(a.get("strides", [1, 1])), list(a.get("dilations", [1, 1]))
        out = imp.out_type(node)
        pads = conv_pads(a, graph.shape_of(x)[2:], kernel, strides, dil, out.get_shape()[2:])
        imp.set(
            node,
            graph.PoolOp(
                x,
                out,
                kind=kind,
                kernel=kernel,
                strides=strides,
                pads=pads,
                dilations=dil,
                count_include_pad=a.get("count_include_pad", 0),
            ),
        )

    return convert


def _global_pool(fn: str):
    def convert(imp: _Importer, node: onnx.NodeProto) -> None:
        x = imp.value(node.input[0], node)
        axes = list(range(2, len(graph.shape_of(x))))
        imp.set(node, graph.ReduceOp(x, imp.out_type(node), fn=fn, axes=axes, keepdims=1))

    return convert


# ---- normalisation and softmax --------------------------------------------------------------
def _batch_norm(imp: _Importer, node: onnx.NodeProto) -> None:
    if extra_outputs_used(imp, node):
        raise unsupported(node, "training-mode outputs")
    x, scale, bias, mean, var = (imp.value(n, node) for n in node.input[:5])
    imp.set(
        node, graph.BatchNormOp(x, scale, bias, mean, var, attributes(node).get("epsilon", 1e-5))
    )


def _layer_norm(imp: _Importer, node: onnx.NodeProto) -> None:
    a = attributes(node)
    x = imp.value(node.input[0], node)
    scale = imp.value(node.input[1], node)
    bias = imp.value(node.input[2], node) if opt_input(node, 2) else None
    axis, eps = a.get("axis", -1), float(a.get("epsilon", 1e-5))
    if not extra_outputs_used(imp, node):
        imp.set(node, graph.LayerNormOp(x, scale, bias, axis, eps))
        return
    # Mean / InvStdDev wanted too: spell the normalisation out in core ops
    shape = graph.shape_of(x)
    axes = list(range(axis % len(shape), len(shape)))
    stat_t = TensorType(graph.elem_of(x), [1 if d in axes else n for d, n in enumerate(shape)])
    mean = imp.emit(graph.ReduceOp(x, stat_t, fn="mean", axes=axes, keepdims=1), node).output
    diff = binary(imp, node, graph.SubOp, x, mean, x.type)
    sq = binary(imp, node, graph.MulOp, diff, diff, x.type)
    var = imp.emit(graph.ReduceOp(sq, stat_t, fn="mean", axes=axes, keepdims=1), node).output
    var = binary(imp, node, graph.AddOp, var, scalar(imp, eps, x, node), stat_t)
    inv = imp.emit(
        graph.UnaryOp(imp.emit(graph.UnaryOp(var, "sqrt"), node).output, "reciprocal"), node
    ).output
    y = binary(
        imp, node, graph.MulOp, binary(imp, node, graph.MulOp, diff, inv, x.type), scale, x.type
    )
    if bias is not None:
        y = binary(imp, node, graph.AddOp, y, bias, x.type)
    for name, value in zip(node.output, (y, mean, inv), strict=True):
        if name:
            imp.values[name] = value


def _lrn(imp: _Importer, node: onnx.NodeProto) -> None:
    a = attributes(node)
    x = imp.value(node.input[0], node)
    imp.set(
        node,
        graph.LrnOp(
            x,
            x.type,
            size=int(a["size"]),
            alpha=float(a.get("alpha", 1e-4)),
            beta=float(a.get("beta", 0.75)),
            bias=float(a.get("bias", 1.0)),
        ),
    )


def _softmax(imp: _Importer, node: onnx.NodeProto, log: bool = False) -> None:
    x = imp.value(node.input[0], node)
    shape = graph.shape_of(x)
    default = -1 if imp.opset >= 13 else 1
    axis = attributes(node).get("axis", default) % max(len(shape), 1)
    if imp.opset < 13 and axis != len(shape) - 1:
        # opset < 13: softmax over the flattened trailing dimensions
        flat = TensorType(
            graph.elem_of(x), (int(np.prod(shape[:axis])), int(np.prod(shape[axis:])))
        )
        y = imp.emit(graph.ReshapeOp(x, flat), node).output
        y = imp.emit(graph.SoftmaxOp(y, flat, axis=1), node).output
        y = imp.emit(graph.ReshapeOp(y, x.type), node).output
    else:
        y = imp.emit(graph.SoftmaxOp(x, x.type, axis=axis), node).output
    if log:
        y = imp.emit(graph.UnaryOp(y, "log"), node).output
    imp.values[node.output[0]] = y


# ---- activations ----------------------------------------------------------------------------
def _relu(imp: _Importer, node: onnx.NodeProto) -> None:
    imp.set(node, graph.ReluOp(imp.value(node.input[0], node)))


def _leaky(imp: _Importer, node: onnx.NodeProto, slope: SSAValue | None = None) -> None:
    """relu(x) + slope * min(x, 0)."""
    x = imp.value(node.input[0], node)
    if slope is None:
        slope = scalar(imp, attributes(node).get("alpha", 0.01), x, node)
    neg = binary(imp, node, graph.MinOp, x, scalar(imp, 0.0, x, node), x.type)
    pos = imp.emit(graph.ReluOp(x), node).output
    scaled = binary(imp, node, graph.MulOp, neg, slope)
    imp.values[node.output[0]] = binary(imp, node, graph.AddOp, pos, scaled, imp.out_type(node))


def _prelu(imp: _Importer, node: onnx.NodeProto) -> None:
    _leaky(imp, node, imp.value(node.input[1], node))


def _clip(imp: _Importer, node: onnx.NodeProto) -> None:
    a = attributes(node)
    lo, hi = a.get("min"), a.get("max")
    if opt_input(node, 1):
        lo = float(imp.const(node.input[1], node, "min"))
    if opt_input(node, 2):
        hi = float(imp.const(node.input[2], node, "max"))
    imp.set(node, graph.ClipOp(imp.value(node.input[0], node), lo, hi))


def _hard_sigmoid_of(imp, node, x, alpha, beta) -> SSAValue:
    y = binary(imp, node, graph.MulOp, x, scalar(imp, alpha, x, node), x.type)
    y = binary(imp, node, graph.AddOp, y, scalar(imp, beta, x, node), x.type)
    return imp.emit(graph.ClipOp(y, 0.0, 1.0), node).output


def _hard_sigmoid(imp: _Importer, node: onnx.NodeProto) -> None:
    a = attributes(node)
    imp.values[node.output[0]] = _hard_sigmoid_of(
        imp, node, imp.value(node.input[0], node), a.get("alpha", 0.2), a.get("beta", 0.5)
    )


def _hard_swish(imp: _Importer, node: onnx.NodeProto) -> None:
    x = imp.value(node.input[0], node)
    gate = _hard_sigmoid_of(imp, node, x, 1 / 6, 0.5)
    imp.values[node.output[0]] = binary(imp, node, graph.MulOp, x, gate, x.type)


def _gelu(imp: _Importer, node: onnx.NodeProto) -> None:
    x = imp.value(node.input[0], node)
    t = x.type
    if str_attr(attributes(node).get("approximate"), "none") == "tanh":
        cube = binary(imp, node, graph.MulOp, binary(imp, node, graph.MulOp, x, x, t), x, t)
        inner = binary(
            imp,
            node,
            graph.AddOp,
            x,
            binary(imp, node, graph.MulOp, cube, scalar(imp, 0.044715, x, node), t),
            t,
        )
        inner = binary(
            imp, node, graph.MulOp, inner, scalar(imp, math.sqrt(2 / math.pi), x, node), t
        )
        gate = imp.emit(graph.UnaryOp(inner, "tanh"), node).output
    else:
        scaled = binary(imp, node, graph.MulOp, x, scalar(imp, 1 / math.sqrt(2), x, node), t)
        gate = imp.emit(graph.UnaryOp(scaled, "erf"), node).output
    one_plus = binary(imp, node, graph.AddOp, gate, scalar(imp, 1.0, x, node), t)
    half_x = binary(imp, node, graph.MulOp, x, scalar(imp, 0.5, x, node), t)
    imp.values[node.output[0]] = binary(imp, node, graph.MulOp, half_x, one_plus, t)


register(
    {
        "Conv": _conv,
        "MaxPool": _pool("max"),
        "AveragePool": _pool("avg"),
        "GlobalAveragePool": _global_pool("mean"),
        "GlobalMaxPool": _global_pool("max"),
        "BatchNormalization": _batch_norm,
        "LayerNormalization": _layer_norm,
        "LRN": _lrn,
        "Softmax": _softmax,
        "LogSoftmax": lambda imp, node: _softmax(imp, node, log=True),
        "Relu": _relu,
        "LeakyRelu": _leaky,
        "PRelu": _prelu,
        "Clip": _clip,
        "Sigmoid": unary("sigmoid"),
        "Tanh": unary("tanh"),
        "HardSigmoid": _hard_sigmoid,
        "HardSwish": _hard_swish,
        "Gelu": _gelu,
    }
)
