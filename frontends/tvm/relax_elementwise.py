"""Elementwise Relax operators → graph ops: arithmetic (with the fusions that give the graph the
ONNX importer's shape), activations, the `call_tir` kernels TVM's ONNX importer emits, and numpy
folders for constant subexpressions.

Converters take the importer (`relax_import.RelaxImporter`), the Relax call and the variable it is
bound to, and return the graph value; result types come from the Relax variable's static type.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np
from xdsl.dialects.builtin import TensorType
from xdsl.ir import SSAValue

from canopy_ir.dialects import graph
from canopy_ir.frontends.tvm.common import RELAX_TO_UNARY, UnsupportedRelaxOpError
from canopy_ir.ir import elem_to_numpy

Converter = Callable[[Any, Any, Any], Any]


def unsupported(var, call, why: str) -> UnsupportedRelaxOpError:
    """The error for one binding whose operator cannot be converted as it is used."""
    return UnsupportedRelaxOpError([(var.name, call.op.name, why)])


def result_type(imp, var) -> TensorType:
    """The graph type of the Relax variable a converter binds."""
    return imp.tensor_type(var, var.name)


def _bound(expr) -> float | None:
    value = float(expr.value)
    return None if math.isinf(value) else value


# ---- operands: a Relax expression, or a numpy constant of a call_tir kernel ---------------------
def _const(imp, operand) -> np.ndarray | None:
    return operand if isinstance(operand, np.ndarray) else imp.const(operand)


def _value(imp, operand) -> SSAValue:
    if isinstance(operand, np.ndarray):
        return imp.weight(f"{imp.binding}.const", operand)
    return imp.value(operand)


def _sole_use(imp, operand) -> SSAValue | None:
    """The graph value of `operand` when it is a Relax variable used only once."""
    if isinstance(operand, imp.relax.Var) and imp.uses[operand] == 1 and operand in imp.values:
        v = imp.values[operand]
        return v if isinstance(v, SSAValue) else None
    return None


def _erase(op) -> None:
    op.detach()
    op.erase()


def binary(imp, cls, lhs, rhs, var) -> SSAValue:
    out = result_type(imp, var)
    fused = None
    if cls is graph.AddOp:
        fused = _bias(imp, lhs, rhs, out) or _bias(imp, rhs, lhs, out)
    elif cls in (graph.MaxOp, graph.MinOp):
        fused = _clip(imp, cls, lhs, rhs, out) or _clip(imp, cls, rhs, lhs, out)
    if fused is not None:
        return fused
    return imp.emit(cls(_value(imp, lhs), _value(imp, rhs), out))


def _bias(imp, lhs, rhs, out: TensorType) -> SSAValue | None:
    """conv/dense + per-output-channel vector → the same op with that bias."""
    y = _sole_use(imp, lhs)
    layer = y.owner if y is not None else None
    if not isinstance(layer, graph.Conv2dOp | graph.DenseOp) or layer.bias is not None:
        return None
    if y.type != out:
        return None
    n = graph.shape_of(layer.weight)[0]
    fits = {(n,), (1, n)} if isinstance(layer, graph.DenseOp) else {(1, n, 1, 1), (n, 1, 1)}
    c = _const(imp, rhs)
    if c is not None:
        if c.shape not in fits or np.dtype(c.dtype) != elem_to_numpy(graph.elem_of(y)):
            return None
        bias = imp.weight(f"{imp.binding}.bias", c.reshape(n))
    else:  # a computed vector (a dequantized bias), reshaped to broadcast or, for dense, not
        v = imp.value(rhs)
        if graph.shape_of(v) not in fits or graph.elem_of(v) != graph.elem_of(y):
            return None
        if graph.shape_of(v) == (n,):
            bias = v
        elif isinstance(v.owner, graph.ReshapeOp) and graph.shape_of(v.owner.input) == (n,):
            bias = v.owner.input
        else:
            return None
    new = layer.with_operands(layer.input, layer.weight, bias, out)
    _erase(layer)
    return imp.emit(new)


def _clip(imp, cls, x_operand, bound_operand, out: TensorType) -> SSAValue | None:
    """max/min with a scalar constant → graph.clip (merged with a clip on the other side)."""
    c = _const(imp, bound_operand)
    if c is None or c.size != 1 or math.isnan(float(c.reshape(()))):
        return None
    x = _value(imp, x_operand)
    if x.type != out:
        return None
    bound = float(c.reshape(()))
    lo = None if cls is graph.MinOp or bound == -math.inf else bound
    hi = None if cls is graph.MaxOp or bound == math.inf else bound
    inner = x.owner
    if (
        isinstance(inner, graph.ClipOp)
        and _sole_use(imp, x_operand) is not None
        and (inner.min is None if lo is not None else inner.max is None)
    ):
        lo = lo if lo is not None else (inner.min.value.data if inner.min else None)
        hi = hi if hi is not None else (inner.max.value.data if inner.max else None)
        x = inner.input
        _erase(inner)
    return imp.emit(graph.ClipOp(x, lo, hi))


def _binary(cls):
    return lambda imp, call, var: binary(imp, cls, call.args[0], call.args[1], var)


def _call_tir(imp, call, var):
    kernel = tir_kernel(imp, imp.mod[call.args[0]])
    args = list(call.args[1].fields)
    out = result_type(imp, var)
    if kernel[0] == "pad":
        _, before, fill = kernel
        x = imp.value(args[0])
        after = [
            o - i - b for o, i, b in zip(out.get_shape(), graph.shape_of(x), before, strict=True)
        ]
        if min(after) < 0:
            raise unsupported(var, call, "a pad kernel that crops")
        pad = graph.PadOp(x, out, pads=before + after, mode="constant", value=float(fill))
        return imp.emit(pad)
    _, cls, *operands = kernel
    dtype = elem_to_numpy(out.get_element_type())
    resolved = []
    for o in operands:
        if o[0] == "imm":
            resolved.append(np.asarray(o[1], dtype))
            continue
        shape = imp.tensor_type(args[o[1]]).get_shape()
        if any(zero and d != 1 for zero, d in zip(o[2], shape, strict=True)):
            raise unsupported(var, call, "a kernel that reads a fixed index")
        resolved.append(args[o[1]])
    return binary(imp, cls, resolved[0], resolved[1], var)


def _unary(fn: str):
    return lambda imp, call, var: imp.emit(graph.UnaryOp(imp.value(call.args[0]), fn))


def _rsqrt(imp, call, var):
    root = imp.emit(graph.UnaryOp(imp.value(call.args[0]), "sqrt"))
    return imp.emit(graph.UnaryOp(root, "reciprocal"))


def _relu(imp, call, var):
    return imp.emit(graph.ReluOp(imp.value(call.args[0])))


def _relu6(imp, call, var):
    return imp.emit(graph.ClipOp(imp.value(call.args[0]), 0.0, 6.0))


def _clip_op(imp, call, var):
    x, lo, hi = call.args
    return imp.emit(graph.ClipOp(imp.value(x), _bound(lo), _bound(hi)))


def _mul(imp, a: SSAValue, b: SSAValue) -> SSAValue:
    return imp.emit(graph.MulOp(a, b, a.type))


def _add(imp, a: SSAValue, b: SSAValue) -> SSAValue:
    return imp.emit(graph.AddOp(a, b, a.type))


def _leaky_relu(imp, call, var):
    """relu(x) + alpha * min(x, 0), as the ONNX importer decomposes LeakyRelu."""
    x = imp.value(call.args[0])
    neg = imp.emit(graph.MinOp(x, imp.scalar(0.0, x), x.type))
    scaled = _mul(imp, neg, imp.scalar(float(call.attrs.alpha), x))
    return _add(imp, imp.emit(graph.ReluOp(x)), scaled)


def _gelu(imp, call, var):
    """0.5 · x · (1 + erf(x / √2))."""
    x = imp.value(call.args[0])
    gate = imp.emit(graph.UnaryOp(_mul(imp, x, imp.scalar(1 / math.sqrt(2), x)), "erf"))
    one_plus = _add(imp, gate, imp.scalar(1.0, x))
    return _mul(imp, _mul(imp, x, imp.scalar(0.5, x)), one_plus)


def _silu(imp, call, var):
    x = imp.value(call.args[0])
    return _mul(imp, x, imp.emit(graph.UnaryOp(x, "sigmoid")))


ELEMENTWISE: dict[str, Converter] = {
    "relax.call_tir": _call_tir,
    "relax.add": _binary(graph.AddOp),
    "relax.subtract": _binary(graph.SubOp),
    "relax.multiply": _binary(graph.MulOp),
    "relax.divide": _binary(graph.DivOp),
    "relax.power": _binary(graph.PowOp),
    "relax.maximum": _binary(graph.MaxOp),
    "relax.minimum": _binary(graph.MinOp),
    **{f"relax.{name}": _unary(fn) for name, fn in RELAX_TO_UNARY.items()},
    "relax.rsqrt": _rsqrt,
    "relax.nn.relu": _relu,
    "relax.nn.relu6": _relu6,
    "relax.clip": _clip_op,
    "relax.nn.leakyrelu": _leaky_relu,
    "relax.nn.gelu": _gelu,
    "relax.nn.silu": _silu,
}


def _divide(a, b):
    if np.asarray(a).dtype.kind in "iu" and np.asarray(b).dtype.kind in "iu":
        return np.trunc(a / b)
    return np.divide(a, b)


def _shape_only(call, shape, x):
    return np.reshape(x, shape)


Folder = Callable[..., np.ndarray]
FOLDERS: dict[str, Folder] = {
    "relax.isnan": lambda call, shape, x: np.isnan(x),
    "relax.where": lambda call, shape, c, a, b: np.where(c, a, b),
    "relax.permute_dims": lambda call, shape, x: np.transpose(
        x, None if call.attrs.axes is None else [int(a) for a in call.attrs.axes]
    ),
    **{f"relax.{n}": _shape_only for n in ("reshape", "flatten", "squeeze", "expand_dims")},
    "relax.broadcast_to": lambda call, shape, x: np.broadcast_to(x, shape),
    "relax.astype": lambda call, shape, x: x,
    "relax.add": lambda call, shape, a, b: np.add(a, b),
    "relax.subtract": lambda call, shape, a, b: np.subtract(a, b),
    "relax.multiply": lambda call, shape, a, b: np.multiply(a, b),
    "relax.divide": lambda call, shape, a, b: _divide(a, b),
    "relax.negative": lambda call, shape, x: np.negative(x),
    "relax.sqrt": lambda call, shape, x: np.sqrt(x),
    "relax.maximum": lambda call, shape, a, b: np.maximum(a, b),
    "relax.minimum": lambda call, shape, a, b: np.minimum(a, b),
    "relax.floor_mod": lambda call, shape, a, b: np.mod(a, b),
    "relax.floor_divide": lambda call, shape, a, b: np.floor_divide(a, b),
    "relax.less": lambda call, shape, a, b: np.less(a, b),
    "relax.less_equal": lambda call, shape, a, b: np.less_equal(a, b),
    "relax.greater": lambda call, shape, a, b: np.greater(a, b),
    "relax.greater_equal": lambda call, shape, a, b: np.greater_equal(a, b),
    "relax.equal": lambda call, shape, a, b: np.equal(a, b),
    "relax.not_equal": lambda call, shape, a, b: np.not_equal(a, b),
    "relax.logical_not": lambda call, shape, x: np.logical_not(x),
    "relax.logical_and": lambda call, shape, a, b: np.logical_and(a, b),
    "relax.logical_or": lambda call, shape, a, b: np.logical_or(a, b),
    "relax.isfinite": lambda call, shape, x: np.isfinite(x),
    "relax.isinf": lambda call, shape, x: np.isinf(x),
    "relax.take": lambda call, shape, x, i: np.take(x, i, int(call.attrs.axis), mode="wrap"),
    "relax.shape_to_tensor": lambda call, shape, x: x,
}


# ---- call_tir kernels TVM's ONNX importer emits (recognised from their TIR) -----------------
# TIR expression classes of elementwise call_tir kernels, and the graph op of each.
TIR_BINARY = (
    ("Max", graph.MaxOp),
    ("Min", graph.MinOp),
    ("Add", graph.AddOp),
    ("Sub", graph.SubOp),
    ("Mul", graph.MulOp),
    ("Div", graph.DivOp),
)


def _stores(stmt, tirx, out: list) -> None:
    if isinstance(stmt, tirx.BufferStore):
        out.append(stmt)
    elif hasattr(stmt, "block"):  # a block realisation
        _stores(stmt.block, tirx, out)
    elif hasattr(stmt, "seq"):
        for s in stmt.seq:
            _stores(s, tirx, out)
    elif hasattr(stmt, "body") and getattr(stmt, "init", None) is None:  # loops, blocks
        _stores(stmt.body, tirx, out)
    else:  # a reduction, an allocation, a condition: not an elementwise kernel
        out.append(None)


def _operand(expr, params, out_indices, tirx):
    """('arg', i) for a broadcasting load of kernel parameter i, ('imm', x) for a literal."""
    if isinstance(expr, tirx.IntImm | tirx.FloatImm):
        return ("imm", expr.value)
    source = getattr(expr, "source", None)
    if source is None:
        return None
    index = next((i for i, p in enumerate(params[:-1]) if source.same_as(p)), None)
    indices = list(expr.indices)
    if len(indices) > len(out_indices):
        return None
    tail = list(out_indices)[len(out_indices) - len(indices) :]
    for idx, out_idx in zip(indices, tail, strict=True):
        is_zero = isinstance(idx, tirx.IntImm) and idx.value == 0
        if not (idx.same_as(out_idx) or is_zero):
            return None
    return None if index is None else ("arg", index, [isinstance(i, tirx.IntImm) for i in indices])


def tir_kernel(imp, prim_func) -> tuple | None:
    """What a `call_tir` kernel computes, when it is one the importer knows:
    ('binary', graph op class, operand, operand) or ('pad', before offsets, pad value)."""
    tirx = imp.tirx
    stores: list = []
    _stores(prim_func.body, tirx, stores)
    params = list(prim_func.params)
    if len(stores) != 1 or stores[0] is None or not stores[0].buffer.same_as(params[-1]):
        return None
    store, value = stores[0], stores[0].value
    for tir_cls, graph_cls in TIR_BINARY:
        if isinstance(value, getattr(tirx, tir_cls)):
            a = _operand(value.a, params, store.indices, tirx)
            b = _operand(value.b, params, store.indices, tirx)
            return None if a is None or b is None else ("binary", graph_cls, a, b)
    op = getattr(getattr(value, "op", None), "name", "")
    if op.endswith("if_then_else") and len(params) == 2:
        load, fill = value.args[1], value.args[2]
        if not isinstance(fill, tirx.IntImm | tirx.FloatImm) or not hasattr(load, "source"):
            return None
        if not load.source.same_as(params[0]) or len(load.indices) != len(store.indices):
            return None
        before = []
        for idx, out_idx in zip(load.indices, store.indices, strict=True):
            if idx.same_as(out_idx):
                before.append(0)
            elif (
                isinstance(idx, tirx.Sub)
                and idx.a.same_as(out_idx)
                and isinstance(idx.b, tirx.IntImm)
            ):
                before.append(int(idx.b.value))
            else:
                return None
        return ("pad", before, fill.value)
    return None
