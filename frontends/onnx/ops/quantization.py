"""Converters of quantized ops: QuantizeLinear, DequantizeLinear (per tensor or per axis), the
QLinear ops and onnxruntime's contrib ops (com.microsoft QGemm, QLinearAdd, QLinearMul,
QLinearGlobalAveragePool, QLinearAveragePool, QLinearConcat, QLinearSigmoid) as
quantize(op(dequantize...)) (the QDQ form that the import-qdq pass maps onto integer arithmetic, or
leaves as a float island), and ConvInteger / MatMulInteger."""

from __future__ import annotations

import numpy as np
import onnx
from xdsl.dialects.builtin import TensorType, f32, i32
from xdsl.ir import SSAValue

from canopy_ir.dialects import graph
from canopy_ir.errors import FrontendError, QuantizationError
from canopy_ir.frontends.onnx.importer import CONTRIB_SHAPES, _Importer, register
from canopy_ir.frontends.onnx.nodes import attributes, opt_input, unsupported, where
from canopy_ir.frontends.onnx.ops.common import binary, fresh_const
from canopy_ir.frontends.onnx.ops.nn import conv_pads
from canopy_ir.ir import elem_of_numpy


def _quant_params(imp, node, scale_i: int, zp_i: int) -> tuple[float, int, np.dtype]:
    scale = imp.const(node.input[scale_i], node, "the scale")
    zp = imp.consts.get(node.input[zp_i]) if opt_input(node, zp_i) else np.zeros((), np.uint8)
    if zp is None:
        raise unsupported(node, "the zero point must be a constant")
    if scale.size != 1 or zp.size != 1:
        raise unsupported(node, "per-axis quantization")
    s = float(scale.reshape(-1)[0])
    if not s > 0:
        raise FrontendError(f"scale must be > 0, got {s}", where(node))
    if zp.dtype not in (np.int8, np.uint8, np.int32):
        raise unsupported(node, f"{zp.dtype} quantization")
    return s, int(zp.reshape(-1)[0]), zp.dtype


def _asymmetric(node: onnx.NodeProto, tensor: str) -> QuantizationError:
    """Per-axis zero points other than 0 (asymmetric per-channel weights): the error to raise."""
    return QuantizationError(
        f"weights '{tensor}' must be symmetric int8 (per-channel zero points other than 0)",
        where(node),
    )


def _quantize(imp: _Importer, node: onnx.NodeProto) -> None:
    scale, zp, dtype = _quant_params(imp, node, 1, 2)
    x = imp.value(node.input[0], node)
    out = TensorType(elem_of_numpy(dtype), graph.shape_of(x))
    imp.set(node, graph.QuantizeOp(x, scale, zp, out))


def _dequantize(imp: _Importer, node: onnx.NodeProto) -> None:
    scale_arr = imp.const(node.input[1], node, "the scale")
    if scale_arr.size > 1:  # per-axis (per-channel) weights or biases, as onnxruntime emits
        x = imp.value(node.input[0], node)
        zp = imp.consts.get(node.input[2]) if opt_input(node, 2) else None
        if zp is not None and np.any(zp != 0):
            raise _asymmetric(node, node.input[0])
        if attributes(node).get("block_size", 0):
            raise unsupported(node, "blocked quantization")
        axis = attributes(node).get("axis", 1) % len(graph.shape_of(x))
        if scale_arr.ndim != 1 or scale_arr.size != graph.shape_of(x)[axis]:
            raise unsupported(node, "per-axis scales that do not match the axis")
        imp.set(node, graph.DequantizeChannelsOp(x, scale_arr.astype(np.float64), axis))
        return
    scale, zp, _ = _quant_params(imp, node, 1, 2)
    x = imp.value(node.input[0], node)
    imp.set(node, graph.DequantizeOp(x, scale, zp, TensorType(f32, graph.shape_of(x))))


def _dq(imp, node, name: str, scale_i: int, zp_i: int) -> SSAValue:
    scale, zp, _ = _quant_params(imp, node, scale_i, zp_i)
    x = imp.value(name, node)
    return imp.emit(
        graph.DequantizeOp(x, scale, zp, TensorType(f32, graph.shape_of(x))), node
    ).output


def _dq_weight(imp, node, name: str, scale_i: int, zp_i: int, axis: int) -> SSAValue:
    """Dequantized weights: per tensor, or per channel along `axis` (zero points 0)."""
    scale = imp.const(node.input[scale_i], node, "the weight scale")
    if scale.size == 1:
        return _dq(imp, node, name, scale_i, zp_i)
    zp = imp.consts.get(node.input[zp_i]) if opt_input(node, zp_i) else None
    if zp is not None and np.any(zp != 0):
        raise _asymmetric(node, name)
    value = imp.value(name, node)
    return imp.emit(graph.DequantizeChannelsOp(value, scale.reshape(-1), axis), node).output


def _qlinear(imp: _Importer, node: onnx.NodeProto) -> None:
    """QLinearConv / QLinearMatMul = quantize(op(dequantize(x), dequantize(w))): the QDQ form
    that import-qdq turns into integer arithmetic (weights per tensor or per output channel)."""
    conv = node.op_type == "QLinearConv"
    x = _dq(imp, node, node.input[0], 1, 2)
    b_const = imp.consts.get(node.input[3])
    if not conv and b_const is not None and b_const.ndim == 2 and len(graph.shape_of(x)) == 2:
        # x · B with constant B is a dense layer over Bᵀ (per-column scales become per-row)
        w = _dq_weight(imp, node, fresh_const(imp, node.input[3], b_const.T), 4, 5, axis=0)
        out = imp.out_type(node)
        y = imp.emit(graph.DenseOp(x, w, None, TensorType(f32, out.get_shape())), node).output
        return _quantized(imp, node, y, 6, 7)
    w = _dq_weight(imp, node, node.input[3], 4, 5, axis=0 if conv else 1)
    y_scale, y_zp, y_dtype = _quant_params(imp, node, 6, 7)
    out = imp.out_type(node)
    ftype = TensorType(f32, out.get_shape())
    if conv:
        b = None
        if opt_input(node, 8):
            bias = imp.const(node.input[8], node, "the bias")
            sx = float(imp.consts[node.input[1]].reshape(-1)[0])
            sw = imp.consts[node.input[4]].reshape(-1).astype(np.float64)
            scales = sx * np.broadcast_to(sw, bias.shape)
            b = imp.emit(
                graph.DequantizeChannelsOp(imp.value(node.input[8], node), scales, 0), node
            ).output
        a = attributes(node)
        strides, dil = list(a.get("strides", [1, 1])), list(a.get("dilations", [1, 1]))
        pads = conv_pads(
            a, graph.shape_of(x)[2:], graph.shape_of(w)[2:], strides, dil, out.get_shape()[2:]
        )
        y = imp.emit(
            graph.Conv2dOp(x, w, b, strides, pads, dil, a.get("group", 1), ftype), node
        ).output
    else:
        y = binary(imp, node, graph.MatmulOp, x, w, ftype)
    imp.set(node, graph.QuantizeOp(y, y_scale, y_zp, out))


def _qgemm(imp: _Importer, node: onnx.NodeProto) -> None:
    """onnxruntime's com.microsoft.QGemm = [quantize](alpha · dequantize(A) · dequantize(B)ᵀ?
    + dequantize(C)), C int32 at scale s_A · s_B: the QDQ form import-qdq folds."""
    a = attributes(node)
    if a.get("transA", 0) or float(a.get("alpha", 1.0)) != 1.0:
        raise unsupported(node, "transA or alpha other than 1")
    x = _dq(imp, node, node.input[0], 1, 2)
    b_name = node.input[3]
    b_scale = imp.const(node.input[4], node, "the B scale")
    b_const = imp.const(b_name, node, "B")
    w = b_const if a.get("transB", 0) else b_const.T  # dense weights are [N, K]
    w_val = imp.value(fresh_const(imp, b_name, np.ascontiguousarray(w)), node)
    if b_scale.size > 1:
        zp = imp.consts.get(node.input[5]) if opt_input(node, 5) else None
        if zp is not None and np.any(zp != 0):
            raise _asymmetric(node, b_name)
        w_dq = imp.emit(graph.DequantizeChannelsOp(w_val, b_scale.reshape(-1), 0), node).output
    else:
        scale, zp, _ = _quant_params(imp, node, 4, 5)
        w_dq = imp.emit(graph.DequantizeOp(w_val, scale, zp, TensorType(f32, w.shape)), node).output
    n = w.shape[0]
    bias = None
    if opt_input(node, 6):
        c = imp.const(node.input[6], node, "C").reshape(-1)
        sx = float(imp.consts[node.input[1]].reshape(-1)[0])
        scales = (sx * np.broadcast_to(b_scale.reshape(-1), (n,))).astype(np.float64)
        c_val = imp.value(
            fresh_const(imp, node.input[6], np.broadcast_to(c, (n,)).astype(np.int32)), node
        )
        bias = imp.emit(graph.DequantizeChannelsOp(c_val, scales, 0), node).output
    out = imp.out_type(node)
    y = imp.emit(graph.DenseOp(x, w_dq, bias, TensorType(f32, out.get_shape())), node).output
    if opt_input(node, 7):
        y_scale, y_zp, _ = _quant_params(imp, node, 7, 8)
        imp.set(node, graph.QuantizeOp(y, y_scale, y_zp, out))
    else:
        imp.values[node.output[0]] = y


# ---- onnxruntime's QOperator contrib ops (com.microsoft), as model-zoo int8 models use them ----
def _quantized(imp, node, y: SSAValue, scale_i: int, zp_i: int) -> None:
    """The node's output: quantize(y) with the scale and zero point of inputs scale_i, zp_i."""
    scale, zp, _ = _quant_params(imp, node, scale_i, zp_i)
    imp.set(node, graph.QuantizeOp(y, scale, zp, imp.out_type(node)))


def _float(t: TensorType) -> TensorType:
    return TensorType(f32, t.get_shape())


def _channels_first(node: onnx.NodeProto) -> None:
    if attributes(node).get("channels_last", 0):
        raise unsupported(node, "channels_last=1")


def _qlinear_binary(cls):
    """QLinearAdd / QLinearMul (A, A_scale, A_zp, B, B_scale, B_zp, C_scale, C_zp)."""

    def convert(imp: _Importer, node: onnx.NodeProto) -> None:
        a = _dq(imp, node, node.input[0], 1, 2)
        b = _dq(imp, node, node.input[3], 4, 5)
        _quantized(imp, node, binary(imp, node, cls, a, b, _float(imp.out_type(node))), 6, 7)

    return convert


def _qlinear_global_average_pool(imp: _Importer, node: onnx.NodeProto) -> None:
    _channels_first(node)
    x = _dq(imp, node, node.input[0], 1, 2)
    axes = list(range(2, len(graph.shape_of(x))))
    mean = graph.ReduceOp(x, _float(imp.out_type(node)), fn="mean", axes=axes, keepdims=1)
    _quantized(imp, node, imp.emit(mean, node).output, 3, 4)


def _qlinear_average_pool(imp: _Importer, node: onnx.NodeProto) -> None:
    _channels_first(node)
    a = attributes(node)
    x = _dq(imp, node, node.input[0], 1, 2)
    if len(graph.shape_of(x)) != 4:
        raise unsupported(node, f"{len(graph.shape_of(x)) - 2}-D pooling (only 2-D)")
    out = imp.out_type(node)
    kernel = list(a["kernel_shape"])
    strides, dil = list(a.get("strides", [1, 1])), list(a.get("dilations", [1, 1]))
    pads = conv_pads(a, graph.shape_of(x)[2:], kernel, strides, dil, out.get_shape()[2:])
    pool = graph.PoolOp(
        x,
        _float(out),
        kind="avg",
        kernel=kernel,
        strides=strides,
        pads=pads,
        dilations=dil,
        count_include_pad=a.get("count_include_pad", 0),
    )
    _quantized(imp, node, imp.emit(pool, node).output, 3, 4)


def _qlinear_concat(imp: _Importer, node: onnx.NodeProto) -> None:
    """QLinearConcat(Y_scale, Y_zp, X0, X0_scale, X0_zp, X1, ...)."""
    xs = [_dq(imp, node, node.input[i], i + 1, i + 2) for i in range(2, len(node.input), 3)]
    out = imp.out_type(node)
    axis = attributes(node)["axis"] % len(out.get_shape())
    _quantized(imp, node, imp.emit(graph.ConcatOp(xs, axis, _float(out)), node).output, 0, 1)


def _qlinear_sigmoid(imp: _Importer, node: onnx.NodeProto) -> None:
    x = _dq(imp, node, node.input[0], 1, 2)
    _quantized(imp, node, imp.emit(graph.UnaryOp(x, "sigmoid"), node).output, 3, 4)


# Output types of the contrib ops (ONNX shape inference does not know them): the shape from the
# inputs' and the element type of the output zero point (uint8 when it is absent).
def _out_elem(imp, node, zp_i: int):
    name = opt_input(node, zp_i)
    return elem_of_numpy(imp.consts[name].dtype if name in imp.consts else np.dtype(np.uint8))


def _shape_binary(imp: _Importer, node: onnx.NodeProto) -> TensorType | None:
    a, b = imp._type_or_const(node.input[0]), imp._type_or_const(node.input[3])
    if a is None or b is None:
        return None
    return TensorType(_out_elem(imp, node, 7), np.broadcast_shapes(a, b))


def _shape_unary(imp: _Importer, node: onnx.NodeProto) -> TensorType | None:
    x = imp._type_or_const(node.input[0])
    return None if x is None else TensorType(_out_elem(imp, node, 4), x)


def _shape_global_pool(imp: _Importer, node: onnx.NodeProto) -> TensorType | None:
    x = imp._type_or_const(node.input[0])
    if x is None:
        return None
    ones = [1] * (len(x) - 2)
    channels_last = attributes(node).get("channels_last", 0)
    shape = (x[0], *ones, x[-1]) if channels_last else (x[0], x[1], *ones)
    return TensorType(_out_elem(imp, node, 4), shape)


def _shape_concat(imp: _Importer, node: onnx.NodeProto) -> TensorType | None:
    shapes = [imp._type_or_const(n) for n in node.input[2::3]]
    if not shapes or any(s is None for s in shapes):
        return None
    axis = attributes(node)["axis"] % len(shapes[0])
    shape = list(shapes[0])
    shape[axis] = sum(s[axis] for s in shapes)
    return TensorType(_out_elem(imp, node, 1), shape)


def _shape_average_pool(imp: _Importer, node: onnx.NodeProto) -> TensorType | None:
    """ONNX's own AveragePool shape inference (pads, auto_pad, ceil_mode), channels first."""
    x = imp._type_or_const(node.input[0])
    if x is None:
        return None
    a = {k: v for k, v in attributes(node).items() if k != "channels_last"}
    pool = onnx.helper.make_node("AveragePool", ["x"], ["y"], **a)
    g = onnx.helper.make_graph(
        [pool],
        "shape",
        [onnx.helper.make_tensor_value_info("x", onnx.TensorProto.FLOAT, x)],
        [onnx.helper.make_empty_tensor_value_info("y")],
    )
    model = onnx.helper.make_model(g, opset_imports=[onnx.helper.make_opsetid("", 19)])
    try:
        inferred = onnx.shape_inference.infer_shapes(model, strict_mode=True)
    except Exception as exc:  # onnx raises InferenceError and friends
        raise FrontendError(f"cannot infer the output shape: {exc}", where(node)) from None
    dims = [d.dim_value for d in inferred.graph.output[0].type.tensor_type.shape.dim]
    return TensorType(_out_elem(imp, node, 4), dims)


def _integer(imp: _Importer, node: onnx.NodeProto) -> None:
    """ConvInteger / MatMulInteger: (x - x_zp) op (w - w_zp) accumulated in int32."""

    def centered(i: int, zp_i: int) -> SSAValue:
        v = imp.value(node.input[i], node)
        v = imp.emit(graph.CastOp(v, TensorType(i32, graph.shape_of(v))), node).output
        if opt_input(node, zp_i):
            zp = imp.value(node.input[zp_i], node)
            zp = imp.emit(graph.CastOp(zp, TensorType(i32, graph.shape_of(zp))), node).output
            if node.op_type == "MatMulInteger" and i == 1 and len(graph.shape_of(zp)) == 1:
                zp = imp.emit(
                    graph.ReshapeOp(zp, TensorType(i32, (1, graph.shape_of(zp)[0]))), node
                ).output
            elif node.op_type == "ConvInteger" and i == 1 and graph.shape_of(zp) not in ((), (1,)):
                zp = imp.emit(
                    graph.ReshapeOp(zp, TensorType(i32, (graph.shape_of(zp)[0], 1, 1, 1))), node
                ).output
            v = binary(imp, node, graph.SubOp, v, zp, v.type)
        return v

    x, w = centered(0, 2), centered(1, 3)
    out = imp.out_type(node)
    if node.op_type == "ConvInteger":
        a = attributes(node)
        strides, dil = list(a.get("strides", [1, 1])), list(a.get("dilations", [1, 1]))
        pads = conv_pads(
            a, graph.shape_of(x)[2:], graph.shape_of(w)[2:], strides, dil, out.get_shape()[2:]
        )
        imp.set(node, graph.Conv2dOp(x, w, None, strides, pads, dil, a.get("group", 1), out))
    else:
        imp.values[node.output[0]] = binary(imp, node, graph.MatmulOp, x, w, out)


register(
    {
        "QuantizeLinear": _quantize,
        "DequantizeLinear": _dequantize,
        "QLinearConv": _qlinear,
        "QLinearMatMul": _qlinear,
        "ConvInteger": _integer,
        "MatMulInteger": _integer,
    }
)
register(
    {
        "QGemm": _qgemm,
        "QLinearAdd": _qlinear_binary(graph.AddOp),
        "QLinearMul": _qlinear_binary(graph.MulOp),
        "QLinearGlobalAveragePool": _qlinear_global_average_pool,
        "QLinearAveragePool": _qlinear_average_pool,
        "QLinearConcat": _qlinear_concat,
        "QLinearSigmoid": _qlinear_sigmoid,
    },
    domain="com.microsoft",
)
CONTRIB_SHAPES.update(
    {
        ("com.microsoft", "QLinearAdd"): _shape_binary,
        ("com.microsoft", "QLinearMul"): _shape_binary,
        ("com.microsoft", "QLinearGlobalAveragePool"): _shape_global_pool,
        ("com.microsoft", "QLinearAveragePool"): _shape_average_pool,
        ("com.microsoft", "QLinearConcat"): _shape_concat,
        ("com.microsoft", "QLinearSigmoid"): _shape_unary,
    }
)
