"""Interpreter of the `graph` dialect: the float reference and the exact integer semantics.

Integer ops wrap to int32 like the accelerator's accumulators (quantization: canopy_ir.quant);
convolution is im2col and one matrix product per group, never a Python loop over pixels.
"""

from __future__ import annotations

import numpy as np
from xdsl.dialects import func
from xdsl.dialects.builtin import ModuleOp
from xdsl.interpreter import Interpreter, InterpreterFunctions, impl, register_impls
from xdsl.interpreters.func import FuncFunctions

from canopy_ir.dialects import graph
from canopy_ir.ir import elem_to_numpy, pool_of
from canopy_ir.quant import dequantize, quantize, requantize, wrap_i32


def conv2d(x, w, b, strides, pads, dilations, group) -> np.ndarray:
    """NCHW convolution as im2col + one BLAS matrix product per group. Integer operands are
    multiplied in float64 (exact: |sum| < 2^53 for any int8/int16 layer) and wrap to int32."""
    integer = x.dtype.kind in "iu"
    # The reference accumulates in float64: exact for integers, and float results do not
    # depend on BLAS's summation order (which matters when activations grow huge).
    work = np.float64
    n, c, h, wd = x.shape
    o, cg, kh, kw = w.shape
    pt, pl, pb, pr = pads
    sh, sw = strides
    dh, dw = dilations
    oh, ow = graph.conv_output_hw(h, wd, kh, kw, strides, pads, dilations)
    xp = np.zeros((n, c, h + pt + pb, wd + pl + pr), work)
    xp[:, :, pt : pt + h, pl : pl + wd] = x
    og = o // group
    out = np.empty((n, o, oh, ow), work)
    for g in range(group):
        xg = xp[:, g * cg : (g + 1) * cg]
        if kh == kw == 1:
            cols = xg[:, :, : sh * (oh - 1) + 1 : sh, : sw * (ow - 1) + 1 : sw]
            cols = cols.transpose(0, 2, 3, 1).reshape(-1, cg)
        else:
            win = np.lib.stride_tricks.sliding_window_view(
                xg, ((kh - 1) * dh + 1, (kw - 1) * dw + 1), axis=(2, 3)
            )[:, :, ::sh, ::sw, ::dh, ::dw][:, :, :oh, :ow]
            cols = win.transpose(0, 2, 3, 1, 4, 5).reshape(n * oh * ow, cg * kh * kw)
        wg = w[g * og : (g + 1) * og].reshape(og, -1).astype(work)
        out[:, g * og : (g + 1) * og] = (cols @ wg.T).reshape(n, oh, ow, og).transpose(0, 3, 1, 2)
    if b is not None:
        out += b.astype(work).reshape(1, -1, 1, 1)
    return wrap_i32(out.astype(np.int64)) if integer else out.astype(x.dtype)


def dense(x, w, b) -> np.ndarray:
    integer = x.dtype.kind in "iu"
    work = np.float64
    out = x.astype(work) @ w.astype(work).T
    if b is not None:
        out = out + b.astype(work)
    return wrap_i32(out.astype(np.int64)) if integer else out.astype(x.dtype)


def pool2d(x, kind, kernel, strides, pads, dilations, count_include_pad, out_hw) -> np.ndarray:
    """Max/average pooling; windows past the padded input (ceil_mode) are clipped to it."""
    n, c, h, w = x.shape
    kh, kw = kernel
    sh, sw = strides
    dh, dw = dilations
    pt, pl, pb, pr = pads
    oh, ow = out_hw
    extra_h = max(0, (oh - 1) * sh + (kh - 1) * dh + 1 - (h + pt + pb))
    extra_w = max(0, (ow - 1) * sw + (kw - 1) * dw + 1 - (w + pl + pr))
    fill = -np.inf if kind == "max" else 0.0
    xp = np.full((n, c, h + pt + pb + extra_h, w + pl + pr + extra_w), fill, np.float64)
    xp[:, :, pt : pt + h, pl : pl + w] = x

    def windows(a):
        v = np.lib.stride_tricks.sliding_window_view(
            a, ((kh - 1) * dh + 1, (kw - 1) * dw + 1), axis=(2, 3)
        )
        return v[:, :, ::sh, ::sw, ::dh, ::dw][:, :, :oh, :ow]

    if kind == "max":
        return windows(xp).max(axis=(4, 5)).astype(x.dtype)
    total = windows(xp).sum(axis=(4, 5))
    inside = np.zeros(xp.shape[2:], np.float64)
    if count_include_pad:
        inside[: h + pt + pb, : w + pl + pr] = 1  # padding counts, ceil_mode overhang does not
    else:
        inside[pt : pt + h, pl : pl + w] = 1
    count = windows(inside[None, None])[0, 0].sum(axis=(2, 3))
    return (total / np.maximum(count, 1)).astype(x.dtype)


def lrn(x, size, alpha, beta, bias) -> np.ndarray:
    sq = np.square(x.astype(np.float64))
    c = x.shape[1]
    lo, hi = (size - 1) // 2, size // 2  # ONNX: floor((size-1)/2) before, ceil((size-1)/2) after
    padded = np.pad(sq, [(0, 0), (lo, hi)] + [(0, 0)] * (x.ndim - 2))
    window = sum(padded[:, i : i + c] for i in range(size))
    return (x / (bias + alpha / size * window) ** beta).astype(x.dtype)


def resize_nearest(x, out_shape, coord: str, nearest: str) -> np.ndarray:
    out = x
    for axis, (n_in, n_out) in enumerate(zip(x.shape, out_shape, strict=True)):
        if n_in == n_out:
            continue
        scale = n_out / n_in
        o = np.arange(n_out, dtype=np.float64)
        if coord == "asymmetric":
            src = o / scale
        elif coord == "align_corners":
            src = o * (n_in - 1) / max(n_out - 1, 1)
        elif coord == "pytorch_half_pixel":
            src = (o + 0.5) / scale - 0.5 if n_out > 1 else np.zeros(n_out)
        else:  # half_pixel, tf_half_pixel_for_nn
            src = (o + 0.5) / scale - (0.5 if coord == "half_pixel" else 0.0)
        if nearest == "floor":
            idx = np.floor(src)
        elif nearest == "ceil":
            idx = np.ceil(src)
        elif nearest == "round_prefer_ceil":
            idx = np.floor(src + 0.5)
        else:  # round_prefer_floor
            idx = np.ceil(src - 0.5)
        out = np.take(out, np.clip(idx, 0, n_in - 1).astype(np.int64), axis=axis)
    return out


def _sigmoid(x):
    return (1.0 / (1.0 + np.exp(-x.astype(np.float64)))).astype(x.dtype)


def _erf(x):
    from math import erf

    return np.vectorize(erf, otypes=[np.float64])(x).astype(x.dtype)


UNARY = {
    "exp": np.exp,
    "log": np.log,
    "sqrt": np.sqrt,
    "tanh": np.tanh,
    "erf": _erf,
    "sigmoid": _sigmoid,
    "abs": np.abs,
    "neg": np.negative,
    "reciprocal": np.reciprocal,
    "floor": np.floor,
    "ceil": np.ceil,
    "sin": np.sin,
    "cos": np.cos,
    "round": np.rint,
    "sign": np.sign,
}


def _div(a, b):
    if a.dtype.kind in "iu" and np.asarray(b).dtype.kind in "iu":
        return np.trunc(a / b).astype(a.dtype)  # ONNX integer division truncates
    return np.divide(a, b)


BINARY = {
    graph.AddOp: np.add,
    graph.SubOp: np.subtract,
    graph.MulOp: np.multiply,
    graph.DivOp: _div,
    graph.PowOp: np.power,
    graph.MaxOp: np.maximum,
    graph.MinOp: np.minimum,
    graph.MatmulOp: np.matmul,
}

REDUCE = {"sum": np.sum, "mean": np.mean, "max": np.max, "min": np.min, "prod": np.prod}


_NONE = -(2**63)  # a slice end meaning "to the end" (stepping backwards past index 0)


def _vals(op, name):
    return getattr(op, name).get_values()


class GraphFunctions(InterpreterFunctions):
    def __init__(self, module: ModuleOp):
        super().__init__()
        self.pool = pool_of(module)

    @impl(graph.ConstOp)
    def run_const(self, interp, op: graph.ConstOp, args):
        return (self.pool[op.weight.data].reshape(graph.shape_of(op.output)),)

    @impl(graph.Conv2dOp)
    def run_conv(self, interp, op: graph.Conv2dOp, args):
        x, w, *b = args
        return (
            conv2d(
                x,
                w,
                b[0] if b else None,
                _vals(op, "strides"),
                _vals(op, "pads"),
                _vals(op, "dilations"),
                op.group.value.data,
            ),
        )

    @impl(graph.DenseOp)
    def run_dense(self, interp, op: graph.DenseOp, args):
        x, w, *b = args
        return (dense(x, w, b[0] if b else None),)

    def run_binary(self, interp, op, args):
        a, b = args
        if a.dtype.kind in "iu" and op.output.type.get_element_type() == graph.i32:
            return (wrap_i32(BINARY[type(op)](a.astype(np.int64), b)),)
        result = BINARY[type(op)](a, b)
        return (np.asarray(result).astype(np.result_type(a, b), copy=False),)

    @impl(graph.ReluOp)
    def run_relu(self, interp, op, args):
        return (np.maximum(args[0], 0).astype(args[0].dtype),)

    @impl(graph.ReshapeOp)
    def run_reshape(self, interp, op, args):
        return (args[0].reshape(graph.shape_of(op.output)),)

    @impl(graph.QuantizeOp)
    def run_quantize(self, interp, op: graph.QuantizeOp, args):
        dtype = np.uint8 if graph.is_unsigned(graph.elem_of(op.output)) else np.int8
        return (quantize(args[0], op.scale.value.data, op.zero_point.value.data, dtype),)

    @impl(graph.UnaryOp)
    def run_unary(self, interp, op: graph.UnaryOp, args):
        with np.errstate(divide="ignore", invalid="ignore"):
            return (np.asarray(UNARY[op.fn.data](args[0])).astype(args[0].dtype),)

    @impl(graph.ClipOp)
    def run_clip(self, interp, op: graph.ClipOp, args):
        lo = op.min.value.data if op.min is not None else None
        hi = op.max.value.data if op.max is not None else None
        x = args[0]
        if lo is not None:
            x = np.maximum(x, np.asarray(lo).astype(x.dtype))
        if hi is not None:
            x = np.minimum(x, np.asarray(hi).astype(x.dtype))
        return (x,)

    @impl(graph.CastOp)
    def run_cast(self, interp, op: graph.CastOp, args):
        return (args[0].astype(elem_to_numpy(graph.elem_of(op.output))),)

    @impl(graph.TransposeOp)
    def run_transpose(self, interp, op, args):
        return (np.transpose(args[0], _vals(op, "perm")),)

    @impl(graph.SliceOp)
    def run_slice(self, interp, op, args):
        index = tuple(
            slice(a, None if e == _NONE else e, st)
            for a, e, st in zip(
                _vals(op, "starts"), _vals(op, "ends"), _vals(op, "steps"), strict=True
            )
        )
        return (args[0][index],)

    @impl(graph.PadOp)
    def run_pad(self, interp, op, args):
        pads = _vals(op, "pads")
        r = len(pads) // 2
        width = list(zip(pads[:r], pads[r:], strict=True))
        x = args[0]
        if op.mode.data == "constant":
            return (
                np.pad(x, width, constant_values=np.asarray(op.value.value.data).astype(x.dtype)),
            )
        return (np.pad(x, width, mode="reflect" if op.mode.data == "reflect" else "edge"),)

    @impl(graph.PoolOp)
    def run_pool(self, interp, op, args):
        out_hw = graph.shape_of(op.output)[2:]
        return (
            pool2d(
                args[0],
                op.kind.data,
                _vals(op, "kernel"),
                _vals(op, "strides"),
                _vals(op, "pads"),
                _vals(op, "dilations"),
                op.count_include_pad.value.data,
                out_hw,
            ),
        )

    @impl(graph.ReduceOp)
    def run_reduce(self, interp, op, args):
        axes = tuple(_vals(op, "axes"))
        x = args[0]
        result = REDUCE[op.fn.data](x, axis=axes, keepdims=bool(op.keepdims.value.data))
        return (np.asarray(result).astype(x.dtype).reshape(graph.shape_of(op.output)),)

    @impl(graph.SoftmaxOp)
    def run_softmax(self, interp, op, args):
        x = args[0]
        axis = op.axis.value.data
        e = np.exp(x - x.max(axis=axis, keepdims=True))
        return ((e / e.sum(axis=axis, keepdims=True)).astype(x.dtype),)

    @impl(graph.LrnOp)
    def run_lrn(self, interp, op, args):
        return (
            lrn(
                args[0],
                op.size.value.data,
                op.alpha.value.data,
                op.beta.value.data,
                op.bias.value.data,
            ),
        )

    @impl(graph.ResizeOp)
    def run_resize(self, interp, op, args):
        return (resize_nearest(args[0], graph.shape_of(op.output), op.coord.data, op.nearest.data),)

    @impl(graph.ConcatOp)
    def run_concat(self, interp, op, args):
        return (np.concatenate(args, axis=op.axis.value.data),)

    @impl(graph.GatherOp)
    def run_gather(self, interp, op, args):
        data, indices = args
        axis = op.axis.value.data
        idx = np.where(indices < 0, indices + data.shape[axis], indices)
        return (np.take(data, idx, axis=axis),)

    @impl(graph.BatchNormOp)
    def run_batch_norm(self, interp, op, args):
        x, scale, bias, mean, var = args
        shape = (1, -1) + (1,) * (x.ndim - 2)
        factor = scale / np.sqrt(var + np.float32(op.epsilon.value.data))
        y = (x - mean.reshape(shape)) * factor.reshape(shape) + bias.reshape(shape)
        return (y.astype(x.dtype),)

    @impl(graph.LayerNormOp)
    def run_layer_norm(self, interp, op, args):
        x, scale, *bias = args
        axes = tuple(range(op.axis.value.data % x.ndim, x.ndim))
        mean = x.mean(axis=axes, keepdims=True)
        var = np.square(x - mean).mean(axis=axes, keepdims=True)
        y = (x - mean) / np.sqrt(var + op.epsilon.value.data) * scale
        return ((y + bias[0] if bias else y).astype(x.dtype),)

    @impl(graph.DequantizeOp)
    def run_dequantize(self, interp, op: graph.DequantizeOp, args):
        return (dequantize(args[0], op.scale.value.data, op.zero_point.value.data),)

    @impl(graph.RequantizeOp)
    def run_requantize(self, interp, op: graph.RequantizeOp, args):
        shift, zero_point, lo, hi, pre_shift, multipliers = op.params
        return (requantize(args[0], shift, zero_point, lo, hi, multipliers, pre_shift),)

    @impl(graph.DequantizeChannelsOp)
    def run_dequantize_channels(self, interp, op: graph.DequantizeChannelsOp, args):
        x = args[0]
        axis = op.axis.value.data
        scales = np.asarray(op.scales.get_values(), np.float32)
        shape = [1] * x.ndim
        shape[axis] = -1
        return ((x.astype(np.float32) * scales.reshape(shape)).astype(np.float32),)


# One implementation serves every elementwise binary op and matmul.
for _op in BINARY:
    setattr(GraphFunctions, f"run_{_op.name.split('.')[1]}", impl(_op)(GraphFunctions.run_binary))
GraphFunctions = register_impls(GraphFunctions)


def run_graph(module: ModuleOp, *inputs: np.ndarray) -> list[np.ndarray]:
    """Run `@main` of a graph module on numpy inputs."""
    interp = Interpreter(module)
    interp.register_implementations(FuncFunctions())
    interp.register_implementations(GraphFunctions(module))
    return list(interp.call_op("main", tuple(inputs)))


def evaluate_all(module: ModuleOp, *inputs: np.ndarray) -> dict:
    """Run `@main` op by op and return the value of every SSA value (for calibration and
    per-layer reports)."""
    main = next(op for op in module.ops if isinstance(op, func.FuncOp))
    interp = Interpreter(module)
    interp.register_implementations(GraphFunctions(module))
    values = dict(zip(main.args, inputs, strict=True))
    for op in main.body.block.ops:
        if isinstance(op, func.ReturnOp):
            break
        results = interp.run_op(op, tuple(values[v] for v in op.operands))
        values.update(zip(op.results, results, strict=True))
    return values
