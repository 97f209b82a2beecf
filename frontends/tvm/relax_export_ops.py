"""The Relax form of each graph op, for `relax_export`.

Each exporter takes the exporter (`relax_export._Exporter`: Relax values of graph values, constants,
`emit`) and one graph op, emits the Relax bindings computing it and returns the variable holding
its result; `emit(expr, op.output, op)` checks that Relax infers the graph's shape and type.
Integer ops keep their exact semantics: int8 convolutions accumulate in int32 (`out_dtype`), and
`graph.requantize` runs in int64 with its rounding shifts.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
from xdsl.dialects.builtin import IntegerType
from xdsl.ir import SSAValue

from canopy_ir.dialects import graph
from canopy_ir.frontends.tvm.common import UNARY_TO_RELAX, ExportError, tvm_dtype
from canopy_ir.ir import elem_to_numpy

_BINARY = {
    graph.AddOp: "add",
    graph.SubOp: "subtract",
    graph.MulOp: "multiply",
    graph.DivOp: "divide",
    graph.PowOp: "power",
    graph.MaxOp: "maximum",
    graph.MinOp: "minimum",
}
_PAD_MODES = {"constant": "constant", "reflect": "reflect", "edge": "replicate"}


def dtype_name(value: SSAValue) -> str:
    """TVM's name of a graph value's element type."""
    return tvm_dtype(elem_to_numpy(graph.elem_of(value)))


def _vals(op, name: str) -> list[int]:
    return [int(v) for v in getattr(op, name).get_values()]


# ---- converters: each emits the Relax form of one graph op and returns its variable -------------
def _with_bias(ex: Any, y, op, bias_shape: tuple[int, ...]):
    if op.bias is None:
        return ex.emit(y, op.output, op)
    y = ex.emit(y)
    b = ex.emit(ex.R.reshape(ex.value(op.bias), bias_shape))
    return ex.emit(ex.R.add(y, b), op.output, op)


def _conv(ex: Any, op: graph.Conv2dOp):
    integer = isinstance(graph.elem_of(op.input), IntegerType)
    y = ex.R.nn.conv2d(
        ex.value(op.input),
        ex.value(op.weight),
        strides=_vals(op, "strides"),
        padding=_vals(op, "pads"),
        dilation=_vals(op, "dilations"),
        groups=op.group.value.data,
        out_dtype="int32" if integer else None,
    )
    return _with_bias(ex, y, op, (1, graph.shape_of(op.weight)[0], 1, 1))


def _dense(ex: Any, op: graph.DenseOp):
    integer = isinstance(graph.elem_of(op.input), IntegerType)
    w = op.weight
    if isinstance(w.owner, graph.ConstOp):
        wt = ex.const(ex.pool[w.owner.weight.data].reshape(graph.shape_of(w)).T)
    else:
        wt = ex.emit(ex.R.permute_dims(ex.value(w), [1, 0]))
    y = ex.R.matmul(ex.value(op.input), wt, out_dtype="int32" if integer else None)
    return _with_bias(ex, y, op, (1, graph.shape_of(w)[0]))


def _binary(ex: Any, op):
    out = dtype_name(op.output)
    a, b = ex.value(op.lhs), ex.value(op.rhs)
    if dtype_name(op.lhs) != out:
        a = ex.emit(ex.R.astype(a, out))
    if dtype_name(op.rhs) != out:
        b = ex.emit(ex.R.astype(b, out))
    if isinstance(op, graph.MatmulOp):
        return ex.emit(ex.R.matmul(a, b), op.output, op)
    return ex.emit(getattr(ex.R, _BINARY[type(op)])(a, b), op.output, op)


def _relu(ex: Any, op):
    return ex.emit(ex.R.nn.relu(ex.value(op.input)), op.output, op)


def _clip(ex: Any, op: graph.ClipOp):
    dtype = elem_to_numpy(graph.elem_of(op.input))
    info = np.finfo(dtype) if dtype.kind == "f" else np.iinfo(dtype)
    lo = op.min.value.data if op.min is not None else info.min
    hi = op.max.value.data if op.max is not None else info.max
    pv = ex.relax.prim_value
    if dtype.kind != "f":  # the bounds are cast to the tensor's type, as the interpreter does
        lo, hi = int(np.trunc(lo)), int(np.trunc(hi))
    return ex.emit(ex.R.clip(ex.value(op.input), pv(lo), pv(hi)), op.output, op)


def _unary(ex: Any, op: graph.UnaryOp):
    x = ex.value(op.input)
    if op.fn.data == "reciprocal":
        return ex.emit(ex.R.divide(ex.scalar(1, op.input), x), op.output, op)
    return ex.emit(getattr(ex.R, UNARY_TO_RELAX[op.fn.data])(x), op.output, op)


def _cast(ex: Any, op):
    return ex.emit(ex.R.astype(ex.value(op.input), dtype_name(op.output)), op.output, op)


def _reshape(ex: Any, op):
    return ex.emit(ex.R.reshape(ex.value(op.input), graph.shape_of(op.output)), op.output, op)


def _transpose(ex: Any, op):
    return ex.emit(ex.R.permute_dims(ex.value(op.input), _vals(op, "perm")), op.output, op)


def _slice(ex: Any, op):
    shape = graph.shape_of(op.input)
    starts, ends, steps = _vals(op, "starts"), _vals(op, "ends"), _vals(op, "steps")
    # the graph's "to the end" sentinel (negative steps); TVM clamps -dim-1 to before index 0
    ends = [-d - 1 if e == -(2**63) else e for e, d in zip(ends, shape, strict=True)]
    axes = list(range(len(shape)))
    y = ex.R.strided_slice(ex.value(op.input), axes, starts, ends, steps)
    return ex.emit(y, op.output, op)


def _pad(ex: Any, op):
    pads = _vals(op, "pads")
    rank = len(pads) // 2
    width = [p for d in range(rank) for p in (pads[d], pads[rank + d])]
    y = ex.R.nn.pad(ex.value(op.input), width, _PAD_MODES[op.mode.data], op.value.value.data)
    return ex.emit(y, op.output, op)


def _pool(ex: Any, op: graph.PoolOp):
    kernel, strides, pads, dil = (_vals(op, n) for n in ("kernel", "strides", "pads", "dilations"))
    h, w = graph.shape_of(op.input)[2:]
    floor_hw = graph.conv_output_hw(h, w, kernel[0], kernel[1], strides, pads, dil)
    fn = ex.R.nn.max_pool2d if op.kind.data == "max" else ex.R.nn.avg_pool2d
    y = fn(
        ex.value(op.input),
        kernel,
        strides,
        pads,
        dil,
        ceil_mode=floor_hw != graph.shape_of(op.output)[2:],
        count_include_pad=bool(op.count_include_pad.value.data),
    )
    return ex.emit(y, op.output, op)


def _reduce(ex: Any, op: graph.ReduceOp):
    fn = getattr(ex.R, op.fn.data)
    y = fn(ex.value(op.input), _vals(op, "axes"), bool(op.keepdims.value.data))
    return ex.emit(y, op.output, op)


def _softmax(ex: Any, op):
    return ex.emit(ex.R.nn.softmax(ex.value(op.input), op.axis.value.data), op.output, op)


def _lrn(ex: Any, op: graph.LrnOp):
    """x / (bias + alpha / size * Σ x² over `size` neighbouring channels) ** beta."""
    R, x = ex.R, ex.value(op.input)
    shape = graph.shape_of(op.input)
    size = op.size.value.data
    sq = ex.emit(R.multiply(x, x))
    width = [0, 0, (size - 1) // 2, size // 2] + [0, 0] * (len(shape) - 2)
    padded = ex.emit(R.nn.pad(sq, width, "constant", 0.0))
    window = None
    for i in range(size):
        part = ex.emit(R.strided_slice(padded, [1], [i], [i + shape[1]]))
        window = part if window is None else ex.emit(R.add(window, part))
    scaled = ex.emit(R.multiply(window, ex.scalar(op.alpha.value.data / size, op.input)))
    base = ex.emit(R.add(scaled, ex.scalar(op.bias.value.data, op.input)))
    denom = ex.emit(R.power(base, ex.scalar(op.beta.value.data, op.input)))
    return ex.emit(R.divide(x, denom), op.output, op)


def _resize(ex: Any, op: graph.ResizeOp):
    ins, outs = graph.shape_of(op.input), graph.shape_of(op.output)
    if len(ins) != 4 or ins[:2] != outs[:2]:
        raise ExportError("Relax resizes the two spatial axes of NCHW only", op.node_name)
    y = ex.R.image.resize2d(
        ex.value(op.input),
        outs[2:],
        method="nearest_neighbor",
        coordinate_transformation_mode=op.coord.data,
        rounding_method=op.nearest.data,
    )
    return ex.emit(y, op.output, op)


def _concat(ex: Any, op):
    xs = [ex.value(v) for v in op.inputs]
    return ex.emit(ex.R.concat(xs, op.axis.value.data), op.output, op)


def _gather(ex: Any, op):
    # mode "wrap": ONNX's negative indices count from the end
    y = ex.R.take(ex.value(op.data), ex.value(op.indices), op.axis.value.data, mode="wrap")
    return ex.emit(y, op.output, op)


def _batch_norm(ex: Any, op: graph.BatchNormOp):
    args = [ex.value(v) for v in (op.input, op.scale, op.bias, op.mean, op.var)]
    bn = ex.emit(ex.R.nn.batch_norm(*args, axis=1, epsilon=op.epsilon.value.data, training=False))
    return ex.emit(ex.relax.TupleGetItem(bn, 0), op.output, op)


def _layer_norm(ex: Any, op: graph.LayerNormOp):
    shape = graph.shape_of(op.input)
    axis = op.axis.value.data % len(shape)
    norm_shape = shape[axis:]

    def param(v):
        if v is None:
            return ex.const(np.zeros(norm_shape), dtype_name(op.input))
        if graph.shape_of(v) == norm_shape:
            return ex.value(v)
        return ex.emit(ex.R.broadcast_to(ex.value(v), norm_shape))

    axes = list(range(axis, len(shape)))
    y = ex.R.nn.layer_norm(
        ex.value(op.input), param(op.scale), param(op.bias), axes, op.epsilon.value.data
    )
    return ex.emit(y, op.output, op)


def _quantize(ex: Any, op: graph.QuantizeOp):
    out = dtype_name(op.output)
    scale = ex.const(np.float32(op.scale.value.data))
    zp = ex.const(op.zero_point.value.data, out)
    return ex.emit(ex.R.quantize(ex.value(op.input), scale, zp, -1, out), op.output, op)


def _dequantize(ex: Any, op: graph.DequantizeOp):
    scale = ex.const(np.float32(op.scale.value.data))
    zp = ex.const(op.zero_point.value.data, dtype_name(op.input))
    y = ex.R.dequantize(ex.value(op.input), scale, zp, -1, "float32")
    return ex.emit(y, op.output, op)


def _dequantize_channels(ex: Any, op: graph.DequantizeChannelsOp):
    rank = len(graph.shape_of(op.input))
    shape = [1] * rank
    shape[op.axis.value.data] = -1
    scales = ex.const(np.asarray(op.scales.get_values(), np.float32).reshape(shape))
    x = ex.emit(ex.R.astype(ex.value(op.input), "float32"))
    return ex.emit(ex.R.multiply(x, scales), op.output, op)


def _requantize(ex: Any, op: graph.RequantizeOp):
    """The rounding shifts and multiplications of `graph.requantize`, in int64."""
    R = ex.R
    shift, zero_point, lo, hi, pre_shift, multipliers = op.params

    def i64(value):
        return ex.const(np.asarray(value, np.int64))

    def rounding_shift(v, s: int):
        if s <= 0:
            return ex.emit(R.left_shift(v, i64(-s)))
        return ex.emit(R.right_shift(ex.emit(R.add(v, i64(1 << (s - 1)))), i64(s)))

    v = ex.emit(R.astype(ex.value(op.input), "int64"))
    if pre_shift:
        v = rounding_shift(v, pre_shift)
    if len(multipliers) > 1:
        rank = len(graph.shape_of(op.input))
        m = np.asarray(multipliers, np.int64).reshape((1, -1) + (1,) * (rank - 2))
        v = ex.emit(R.multiply(v, i64(m)))
    elif multipliers[0] != 1:
        v = ex.emit(R.multiply(v, i64(multipliers[0])))
    v = rounding_shift(v, shift)
    v = ex.emit(R.add(v, i64(zero_point)))
    v = ex.emit(R.minimum(ex.emit(R.maximum(v, i64(lo))), i64(hi)))
    return ex.emit(R.astype(v, "int8"), op.output, op)


EXPORTERS: dict[type, Callable[[Any, Any], Any]] = {
    graph.Conv2dOp: _conv,
    graph.DenseOp: _dense,
    **{cls: _binary for cls in (*_BINARY, graph.MatmulOp)},
    graph.ReluOp: _relu,
    graph.ClipOp: _clip,
    graph.UnaryOp: _unary,
    graph.CastOp: _cast,
    graph.ReshapeOp: _reshape,
    graph.TransposeOp: _transpose,
    graph.SliceOp: _slice,
    graph.PadOp: _pad,
    graph.PoolOp: _pool,
    graph.ReduceOp: _reduce,
    graph.SoftmaxOp: _softmax,
    graph.LrnOp: _lrn,
    graph.ResizeOp: _resize,
    graph.ConcatOp: _concat,
    graph.GatherOp: _gather,
    graph.BatchNormOp: _batch_norm,
    graph.LayerNormOp: _layer_norm,
    graph.QuantizeOp: _quantize,
    graph.DequantizeOp: _dequantize,
    graph.DequantizeChannelsOp: _dequantize_channels,
    graph.RequantizeOp: _requantize,
}
