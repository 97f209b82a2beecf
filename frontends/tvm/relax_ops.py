"""Relax operators → graph ops: layers, layout, pooling, reductions, normalisation and
quantization (elementwise operators are in `relax_elementwise`).

Converters take the importer (`relax_import.RelaxImporter`), the Relax call and the variable it is
bound to, and return the graph value (or a list for a tuple result); result types come from the
Relax variable's static type.
"""

from __future__ import annotations

import numpy as np
from xdsl.dialects.builtin import TensorType
from xdsl.ir import SSAValue

from canopy_ir.dialects import graph
from canopy_ir.frontends.tvm.relax_elementwise import (
    ELEMENTWISE,
    Converter,
    result_type,
    unsupported,
)
from canopy_ir.ir import elem_to_numpy


def _rank(v: SSAValue) -> int:
    return len(graph.shape_of(v))


def _pads(padding) -> list[int]:
    p = [int(v) for v in padding]
    return p * 2 if len(p) == 2 else p * 4 if len(p) == 1 else p


def _ints(imp, expr) -> list[int] | None:
    """Integers of a Relax shape / tuple of integer literals, or None when not literal."""
    if isinstance(expr, imp.relax.ShapeExpr):
        values = expr.values
    elif isinstance(expr, imp.relax.Tuple):
        values = expr.fields
    else:
        return None
    if not all(isinstance(v, imp.tirx.IntImm) for v in values):
        return None
    return [int(v.value) for v in values]


def _conv2d(imp, call, var):
    a = call.attrs
    if a.data_layout != "NCHW" or a.kernel_layout != "OIHW" or (a.out_layout or "NCHW") != "NCHW":
        raise unsupported(var, call, f"layout {a.data_layout}/{a.kernel_layout} (only NCHW/OIHW)")
    x, w = imp.value(call.args[0]), imp.value(call.args[1])
    strides, dilation = [int(v) for v in a.strides], [int(v) for v in a.dilation]
    conv = graph.Conv2dOp(
        x, w, None, strides, _pads(a.padding), dilation, int(a.groups), result_type(imp, var)
    )
    return imp.emit(conv)


def _dense_fits(x: SSAValue, out: TensorType) -> bool:
    elem, out_elem = graph.elem_of(x), out.get_element_type()
    return out_elem == (graph.i32 if elem_to_numpy(elem).kind in "iu" else elem)


def _matmul(imp, call, var):
    """matmul(x, W) with a constant (or dequantized constant, transposed) 2-D W → dense."""
    out = result_type(imp, var)
    x, rhs = imp.value(call.args[0]), call.args[1]
    if _rank(x) == 2 and len(out.get_shape()) == 2 and _dense_fits(x, out):
        c = imp.const(rhs)
        if c is not None and c.ndim == 2 and np.dtype(c.dtype) == elem_to_numpy(graph.elem_of(x)):
            return imp.emit(graph.DenseOp(x, imp.weight(f"{var.name}.weight", c.T), None, out))
        t = imp.value(rhs).owner
        weights = graph.ConstOp | graph.DequantizeOp | graph.DequantizeChannelsOp
        if (
            isinstance(t, graph.TransposeOp)
            and list(t.perm.get_values()) == [1, 0]
            and isinstance(t.input.owner, weights)
        ):
            return imp.emit(graph.DenseOp(x, t.input, None, out))
    return imp.emit(graph.MatmulOp(x, imp.value(rhs), out))


def _astype(imp, call, var):
    return imp.emit(graph.CastOp(imp.value(call.args[0]), result_type(imp, var)))


def _reshape(imp, call, var):
    return imp.emit(graph.ReshapeOp(imp.value(call.args[0]), result_type(imp, var)))


def _permute_dims(imp, call, var):
    x = imp.value(call.args[0])
    axes = call.attrs.axes
    perm = [int(a) for a in axes] if axes is not None else list(range(_rank(x)))[::-1]
    return imp.emit(graph.TransposeOp(x, result_type(imp, var), perm=perm))


def _strided_slice(imp, call, var):
    """Normalised like ONNX Slice: clamped bounds, -2**63 for 'past index 0' (negative steps)."""
    x = imp.value(call.args[0])
    shape = graph.shape_of(x)
    lists = [_ints(imp, a) for a in call.args[1:]]
    if any(v is None for v in lists):
        raise unsupported(var, call, "bounds that are not literal integers")
    axes, starts, ends = lists[:3]
    steps = lists[3] if len(lists) > 3 else [1] * len(axes)
    full = [[0, d, 1] for d in shape]
    for axis, start, end, step in zip(axes, starts, ends, steps, strict=True):
        d = axis % len(shape)
        dim = shape[d]
        start, end = start + dim if start < 0 else start, end + dim if end < 0 else end
        if step > 0:
            start, end = min(max(start, 0), dim), min(max(end, 0), dim)
        else:
            start, end = min(max(start, 0), dim - 1), min(max(end, -1), dim - 1)
        full[d] = [start, end if end >= 0 else -(2**63), step]
    op = graph.SliceOp(
        x,
        result_type(imp, var),
        starts=[f[0] for f in full],
        ends=[f[1] for f in full],
        steps=[f[2] for f in full],
    )
    return imp.emit(op)


def _pad(imp, call, var):
    a = call.attrs
    modes = {"constant": "constant", "reflect": "reflect", "replicate": "edge"}
    if a.pad_mode not in modes:
        raise unsupported(var, call, f"pad_mode={a.pad_mode}")
    width = [int(v) for v in a.pad_width]
    pads = width[0::2] + width[1::2]
    x = imp.value(call.args[0])
    op = graph.PadOp(
        x, result_type(imp, var), pads=pads, mode=modes[a.pad_mode], value=float(a.pad_value)
    )
    return imp.emit(op)


def _pool(kind: str):
    def convert(imp, call, var):
        a = call.attrs
        if a.layout != "NCHW" or (a.out_layout or "NCHW") != "NCHW":
            raise unsupported(var, call, f"layout {a.layout} (only NCHW)")
        op = graph.PoolOp(
            imp.value(call.args[0]),
            result_type(imp, var),
            kind=kind,
            kernel=[int(v) for v in a.pool_size],
            strides=[int(v) for v in a.strides],
            pads=_pads(a.padding),
            dilations=[int(v) for v in a.dilation],
            count_include_pad=int(bool(getattr(a, "count_include_pad", False))),
        )
        return imp.emit(op)

    return convert


def _adaptive_avg_pool(imp, call, var):
    x = imp.value(call.args[0])
    size = call.attrs.output_size
    size = [int(v) for v in size] if size is not None else list(graph.shape_of(x)[2:])
    if call.attrs.layout != "NCHW" or size not in ([1, 1], list(graph.shape_of(x)[2:])):
        raise unsupported(var, call, f"output size {size} (only 1x1, global pooling)")
    if size != [1, 1]:
        return x
    return imp.emit(graph.ReduceOp(x, result_type(imp, var), fn="mean", axes=[2, 3], keepdims=1))


def _reduce(fn: str):
    def convert(imp, call, var):
        x = imp.value(call.args[0])
        axis = call.attrs.axis
        axes = (
            sorted(int(v) % _rank(x) for v in axis) if axis is not None else list(range(_rank(x)))
        )
        op = graph.ReduceOp(
            x, result_type(imp, var), fn=fn, axes=axes, keepdims=int(call.attrs.keepdims)
        )
        return imp.emit(op)

    return convert


def _softmax(log: bool):
    def convert(imp, call, var):
        x = imp.value(call.args[0])
        y = imp.emit(graph.SoftmaxOp(x, x.type, axis=int(call.attrs.axis) % _rank(x)))
        return imp.emit(graph.UnaryOp(y, "log")) if log else y

    return convert


def _stack(imp, call, var):
    """stack(xs, axis) = concat of the xs, each reshaped with a unit axis inserted."""
    out = result_type(imp, var)
    axis = int(call.attrs.axis) % len(out.get_shape())
    xs = []
    for x in imp.items(call.args[0]):
        shape = list(graph.shape_of(x))
        shape.insert(axis, 1)
        xs.append(imp.emit(graph.ReshapeOp(x, TensorType(graph.elem_of(x), shape))))
    return imp.emit(graph.ConcatOp(xs, axis, out))


def _broadcast_to(imp, call, var):
    """x broadcast to a larger shape: x + zeros (the graph has no broadcast op)."""
    x, out = imp.value(call.args[0]), result_type(imp, var)
    if x.type == out:
        return x
    zeros = np.zeros(out.get_shape(), elem_to_numpy(out.get_element_type()))
    return imp.emit(graph.AddOp(x, imp.weight(f"{var.name}.zeros", zeros), out))


def _concat(imp, call, var):
    xs = imp.items(call.args[0])
    if call.attrs.axis is None:
        raise unsupported(var, call, "axis=None (flattening)")
    axis = int(call.attrs.axis) % len(result_type(imp, var).get_shape())
    return imp.emit(graph.ConcatOp(xs, axis, result_type(imp, var)))


def _take(imp, call, var):
    a = call.attrs
    if a.axis is None or a.mode not in ("fast", "wrap"):
        raise unsupported(var, call, f"axis={a.axis}, mode={a.mode}")
    data, indices = imp.value(call.args[0]), imp.value(call.args[1])
    return imp.emit(graph.GatherOp(data, indices, int(a.axis) % _rank(data), result_type(imp, var)))


def _batch_norm(imp, call, var):
    a = call.attrs
    if a.training or int(a.axis) != 1 or not (a.center and a.scale):
        raise unsupported(var, call, "training mode, an axis other than 1, or no center/scale")
    x, scale, bias, mean, var_ = (imp.value(arg) for arg in call.args)
    y = imp.emit(graph.BatchNormOp(x, scale, bias, mean, var_, float(a.epsilon)))
    return [y, mean, var_]


def _layer_norm(imp, call, var):
    a = call.attrs
    x = imp.value(call.args[0])
    axes = sorted(int(v) % _rank(x) for v in a.axes)
    if axes != list(range(axes[0], _rank(x))) or not (a.center and a.scale):
        raise unsupported(var, call, "axes other than the trailing ones, or no center/scale")
    scale, bias = imp.value(call.args[1]), imp.value(call.args[2])
    return imp.emit(graph.LayerNormOp(x, scale, bias, axes[0], float(a.epsilon)))


_ROUNDING = {
    "round": "round_prefer_ceil",
    "round_prefer_floor": "round_prefer_floor",
    "round_prefer_ceil": "round_prefer_ceil",
    "floor": "floor",
    "ceil": "ceil",
}


def _resize2d(imp, call, var):
    a = call.attrs
    if a.method != "nearest_neighbor" or a.layout != "NCHW" or a.rounding_method not in _ROUNDING:
        raise unsupported(var, call, f"method={a.method} (only nearest_neighbor, NCHW)")
    op = graph.ResizeOp(
        imp.value(call.args[0]),
        result_type(imp, var),
        coord=a.coordinate_transformation_mode,
        nearest=_ROUNDING[a.rounding_method],
    )
    return imp.emit(op)


def _quant_params(imp, call, var) -> tuple[np.ndarray, np.ndarray]:
    scale, zp = imp.const(call.args[1]), imp.const(call.args[2])
    if scale is None or zp is None:
        raise unsupported(var, call, "scale and zero point must be constants")
    return scale.reshape(-1), zp.reshape(-1)


def _quantize(imp, call, var):
    scale, zp = _quant_params(imp, call, var)
    if scale.size != 1 or zp.size != 1:
        raise unsupported(var, call, "per-axis quantization")
    x = imp.value(call.args[0])
    return imp.emit(graph.QuantizeOp(x, float(scale[0]), int(zp[0]), result_type(imp, var)))


def _dequantize(imp, call, var):
    scale, zp = _quant_params(imp, call, var)
    x = imp.value(call.args[0])
    if scale.size == 1 and zp.size == 1:
        return imp.emit(graph.DequantizeOp(x, float(scale[0]), int(zp[0]), result_type(imp, var)))
    if np.any(zp != 0):
        raise unsupported(var, call, "per-axis dequantization with zero points")
    axis = int(call.attrs.axis) % _rank(x)
    return imp.emit(graph.DequantizeChannelsOp(x, [float(s) for s in scale], axis))


CONVERTERS: dict[str, Converter] = {
    **ELEMENTWISE,
    "relax.nn.conv2d": _conv2d,
    "relax.matmul": _matmul,
    "relax.astype": _astype,
    **{f"relax.{n}": _reshape for n in ("reshape", "flatten", "squeeze", "expand_dims")},
    "relax.permute_dims": _permute_dims,
    "relax.strided_slice": _strided_slice,
    "relax.nn.pad": _pad,
    "relax.nn.max_pool2d": _pool("max"),
    "relax.nn.avg_pool2d": _pool("avg"),
    "relax.nn.adaptive_avg_pool2d": _adaptive_avg_pool,
    **{f"relax.{fn}": _reduce(fn) for fn in ("sum", "mean", "max", "min", "prod")},
    "relax.nn.softmax": _softmax(log=False),
    "relax.nn.log_softmax": _softmax(log=True),
    "relax.concat": _concat,
    "relax.stack": _stack,
    "relax.broadcast_to": _broadcast_to,
    "relax.take": _take,
    "relax.nn.batch_norm": _batch_norm,
    "relax.nn.layer_norm": _layer_norm,
    "relax.image.resize2d": _resize2d,
    "relax.quantize": _quantize,
    "relax.dequantize": _dequantize,
}
