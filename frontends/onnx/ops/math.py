"""Converters of math ops: matrix products (Gemm, MatMul: constant weights become `graph.dense`),
elementwise arithmetic and functions, Cast, and reductions."""

from __future__ import annotations

import numpy as np
import onnx
from xdsl.dialects.builtin import TensorType, f32
from xdsl.ir import SSAValue

from canopy_ir.dialects import graph
from canopy_ir.frontends.onnx.importer import _Importer, register
from canopy_ir.frontends.onnx.nodes import attributes, opt_input
from canopy_ir.frontends.onnx.ops.common import binary, fresh_const, ints_input, scalar, unary


# ---- matrix products ------------------------------------------------------------------------
def _constant_matrix(imp: _Importer, node, name: str, transpose: bool, scale: float = 1.0):
    """A constant operand as a `graph.dense` weight/bias (transposed/scaled at import), or None.
    Handles plain constants and DequantizeLinear(constant) of QDQ models (the integer constant
    is transposed; a scale other than 1 is only folded into float constants)."""
    if name in imp.consts:
        array = imp.consts[name]
        if array.dtype != np.float32:
            return None
        array = (array.T if transpose else array) * np.float32(scale)
        return imp.value(fresh_const(imp, name, array), node)
    owner = imp.values[name].owner if name in imp.values else None
    dequantize_ops = graph.DequantizeOp | graph.DequantizeChannelsOp
    if (
        scale != 1.0
        or not isinstance(owner, dequantize_ops)
        or not isinstance(owner.input.owner, graph.ConstOp)
    ):
        return None
    if not transpose:
        return imp.values[name]
    const = owner.input.owner
    array = imp.pool[const.weight.data].T
    key = imp.pool.add(f"{const.weight.data}.T", np.ascontiguousarray(array))
    new_const = graph.ConstOp(key, TensorType(graph.elem_of(const.output), array.shape))
    if isinstance(owner, graph.DequantizeOp):
        deq = graph.DequantizeOp(
            new_const.output,
            owner.scale.value.data,
            owner.zero_point.value.data,
            TensorType(f32, array.shape),
        )
    else:  # the channel axis moves with the transpose
        deq = graph.DequantizeChannelsOp(
            new_const.output, owner.scales.get_values(), 1 - owner.axis.value.data
        )
    deq.attributes.update(owner.attributes)
    return deq.output


def _dense_bias(imp: _Importer, node, name: str, n: int, beta: float):
    """Gemm's C as a dense bias [N] when it is a (broadcastable) constant, else None."""
    if name in imp.consts:
        c = imp.consts[name]
        if c.dtype != np.float32 or c.size not in (1, n) or (c.ndim == 2 and c.shape[0] != 1):
            return None
        return imp.value(
            fresh_const(imp, name, np.broadcast_to(c.reshape(-1) * np.float32(beta), (n,))), node
        )
    owner = imp.values[name].owner if name in imp.values else None
    if (
        beta == 1.0
        and isinstance(owner, graph.DequantizeOp | graph.DequantizeChannelsOp)
        and graph.shape_of(owner.output) == (n,)
    ):
        return imp.values[name]
    return None


def _gemm(imp: _Importer, node: onnx.NodeProto) -> None:
    a = attributes(node)
    alpha, beta = float(a.get("alpha", 1.0)), float(a.get("beta", 1.0))
    out = imp.out_type(node)
    c_name = opt_input(node, 2)
    x = imp.value(node.input[0], node)
    if a.get("transA", 0):
        x = imp.emit(graph.TransposeOp(x, _transposed_type(x), perm=[1, 0]), node).output
    if graph.elem_of(x) == f32:
        w = _constant_matrix(imp, node, node.input[1], not a.get("transB", 0), alpha)
        if w is not None:
            bias = _dense_bias(imp, node, c_name, out.get_shape()[1], beta) if c_name else None
            y = imp.emit(graph.DenseOp(x, w, bias, out), node).output
            if c_name is not None and bias is None:
                y = _add_scaled(imp, node, y, c_name, beta, out)
            imp.values[node.output[0]] = y
            return
    b = imp.value(node.input[1], node)
    if a.get("transB", 0):
        b = imp.emit(graph.TransposeOp(b, _transposed_type(b), perm=[1, 0]), node).output
    y = binary(imp, node, graph.MatmulOp, x, b, out)
    if alpha != 1.0:
        y = binary(imp, node, graph.MulOp, y, scalar(imp, alpha, y, node), out)
    if c_name is not None:
        y = _add_scaled(imp, node, y, c_name, beta, out)
    imp.values[node.output[0]] = y


def _add_scaled(imp, node, y, c_name, beta, out) -> SSAValue:
    c = imp.value(c_name, node)
    if beta != 1.0:
        c = binary(imp, node, graph.MulOp, c, scalar(imp, beta, c, node))
    return binary(imp, node, graph.AddOp, y, c, out)


def _transposed_type(v: SSAValue) -> TensorType:
    return TensorType(graph.elem_of(v), graph.shape_of(v)[::-1])


def _matmul(imp: _Importer, node: onnx.NodeProto) -> None:
    out = imp.out_type(node)
    x = imp.value(node.input[0], node)
    b_const = imp.consts.get(node.input[1])
    b_val = imp.values.get(node.input[1])
    b_rank = b_const.ndim if b_const is not None else len(graph.shape_of(b_val)) if b_val else 0
    if len(graph.shape_of(x)) == 2 and b_rank == 2 and graph.elem_of(x) == f32:
        w = _constant_matrix(imp, node, node.input[1], transpose=True)  # dense weights: [N, K]
        if w is not None:
            imp.set(node, graph.DenseOp(x, w, None, out))
            return
    imp.values[node.output[0]] = binary(
        imp, node, graph.MatmulOp, x, imp.value(node.input[1], node), out
    )


# ---- elementwise ----------------------------------------------------------------------------
def _elementwise(cls):
    def convert(imp: _Importer, node: onnx.NodeProto) -> None:
        out = imp.out_type(node)
        acc = imp.value(node.input[0], node)
        for name in node.input[1:]:
            acc = binary(
                imp, node, cls, acc, imp.value(name, node), out if name == node.input[-1] else None
            )
        imp.values[node.output[0]] = acc

    return convert


def _mean(imp: _Importer, node: onnx.NodeProto) -> None:
    _elementwise(graph.AddOp)(imp, node)
    y = imp.values[node.output[0]]
    n = scalar(imp, len(node.input), y, node)
    imp.values[node.output[0]] = binary(imp, node, graph.DivOp, y, n, imp.out_type(node))


def _cast(imp: _Importer, node: onnx.NodeProto) -> None:
    imp.set(node, graph.CastOp(imp.value(node.input[0], node), imp.out_type(node)))


# ---- reductions -----------------------------------------------------------------------------
def _reduce(fn: str):
    def convert(imp: _Importer, node: onnx.NodeProto) -> None:
        a = attributes(node)
        x = imp.value(node.input[0], node)
        rank = len(graph.shape_of(x))
        axes = ints_input(imp, node, 1, "axes", "axes")
        if not axes:
            if a.get("noop_with_empty_axes", 0):
                imp.values[node.output[0]] = x
                return
            axes = list(range(rank))
        axes = sorted(ax % rank for ax in axes)
        imp.set(
            node,
            graph.ReduceOp(x, imp.out_type(node), fn=fn, axes=axes, keepdims=a.get("keepdims", 1)),
        )

    return convert


register(
    {
        "Gemm": _gemm,
        "MatMul": _matmul,
        "Add": _elementwise(graph.AddOp),
        "Sub": _elementwise(graph.SubOp),
        "Mul": _elementwise(graph.MulOp),
        "Div": _elementwise(graph.DivOp),
        "Pow": _elementwise(graph.PowOp),
        "Max": _elementwise(graph.MaxOp),
        "Min": _elementwise(graph.MinOp),
        "Sum": _elementwise(graph.AddOp),
        "Mean": _mean,
        "Erf": unary("erf"),
        "Sqrt": unary("sqrt"),
        "Reciprocal": unary("reciprocal"),
        "Exp": unary("exp"),
        "Log": unary("log"),
        "Abs": unary("abs"),
        "Neg": unary("neg"),
        "Floor": unary("floor"),
        "Ceil": unary("ceil"),
        "Sin": unary("sin"),
        "Cos": unary("cos"),
        "Cast": _cast,
        "ReduceMean": _reduce("mean"),
        "ReduceSum": _reduce("sum"),
        "ReduceMax": _reduce("max"),
        "ReduceMin": _reduce("min"),
        "ReduceProd": _reduce("prod"),
    }
)
