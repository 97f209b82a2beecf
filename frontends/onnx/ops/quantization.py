"""Converters of quantized ops: QuantizeLinear, DequantizeLinear (per tensor or per axis), the
QLinear ops and onnxruntime's com.microsoft.QGemm as quantize(op(dequantize...)) (the QDQ form
that the import-qdq pass maps onto integer arithmetic), and ConvInteger / MatMulInteger."""

from __future__ import annotations

import numpy as np
import onnx
from xdsl.dialects.builtin import TensorType, f32, i32
from xdsl.ir import SSAValue

from canopy_ir.dialects import graph
from canopy_ir.errors import FrontendError
from canopy_ir.frontends.onnx.importer import _Importer, register
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
            raise unsupported(node, "per-axis quantization with non-zero zero points")
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
        raise unsupported(node, "per-channel weights with non-zero zero points")
    value = imp.value(name, node)
    return imp.emit(graph.DequantizeChannelsOp(value, scale.reshape(-1), axis), node).output


def _qlinear(imp: _Importer, node: onnx.NodeProto) -> None:
    """QLinearConv / QLinearMatMul = quantize(op(dequantize(x), dequantize(w))): the QDQ form
    that import-qdq turns into integer arithmetic (weights per tensor or per output channel)."""
    conv = node.op_type == "QLinearConv"
    x = _dq(imp, node, node.input[0], 1, 2)
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
            raise unsupported(node, "per-channel B with non-zero zero points")
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
register({"QGemm": _qgemm}, domain="com.microsoft")
