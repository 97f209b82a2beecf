"""Interpreter of the `graph` dialect: the float reference and the exact integer semantics.

Integer ops compute in int64 and wrap to int32 like the accelerator's accumulators; convolution is
vectorised (one tensordot per kernel tap), never a Python loop over pixels.
"""

from __future__ import annotations

import numpy as np
from xdsl.dialects.builtin import ModuleOp
from xdsl.interpreter import Interpreter, InterpreterFunctions, impl, register_impls
from xdsl.interpreters.func import FuncFunctions

from canopy_ir.dialects import graph
from canopy_ir.ir import pool_of


def wrap_i32(x: np.ndarray) -> np.ndarray:
    return x.astype(np.int64).astype(np.int32)


def conv2d(x, w, b, strides, pads, dilations, group) -> np.ndarray:
    integer = x.dtype.kind == "i"
    acc = np.int64 if integer else np.float32
    n, c, h, wd = x.shape
    o, cg, kh, kw = w.shape
    pt, pl, pb, pr = pads
    sh, sw = strides
    dh, dw = dilations
    xp = np.zeros((n, c, h + pt + pb, wd + pl + pr), acc)
    xp[:, :, pt : pt + h, pl : pl + wd] = x
    oh, ow = graph.conv_output_hw(h, wd, kh, kw, strides, pads, dilations)
    out = np.zeros((n, o, oh, ow), acc)
    og = o // group
    for g in range(group):
        xg = xp[:, g * cg : (g + 1) * cg]
        wg = w[g * og : (g + 1) * og].astype(acc)
        for i in range(kh):
            for j in range(kw):
                patch = xg[
                    :,
                    :,
                    i * dh : i * dh + sh * (oh - 1) + 1 : sh,
                    j * dw : j * dw + sw * (ow - 1) + 1 : sw,
                ]
                out[:, g * og : (g + 1) * og] += np.einsum("nchw,oc->nohw", patch, wg[:, :, i, j])
    if b is not None:
        out += b.astype(acc).reshape(1, -1, 1, 1)
    return wrap_i32(out) if integer else out.astype(np.float32)


def dense(x, w, b) -> np.ndarray:
    integer = x.dtype.kind == "i"
    acc = np.int64 if integer else np.float32
    out = x.astype(acc) @ w.astype(acc).T
    if b is not None:
        out = out + b.astype(acc)
    return wrap_i32(out) if integer else out.astype(np.float32)


def quantize(x: np.ndarray, scale: float, zero_point: int) -> np.ndarray:
    """ONNX QuantizeLinear to int8: round half to even, saturate (computed in float32)."""
    q = np.rint(x.astype(np.float32) / np.float32(scale)) + zero_point
    return np.clip(q, -128, 127).astype(np.int8)


def dequantize(x: np.ndarray, scale: float, zero_point: int) -> np.ndarray:
    return ((x.astype(np.int64) - zero_point).astype(np.float32) * np.float32(scale)).astype(
        np.float32
    )


def requantize(x: np.ndarray, shift: int, zero_point: int, lo: int, hi: int) -> np.ndarray:
    v = x.astype(np.int64)
    v = (v + (1 << (shift - 1))) >> shift if shift > 0 else v << -shift
    return np.clip(v + zero_point, lo, hi).astype(np.int8)


def _vals(op, name):
    return getattr(op, name).get_values()


@register_impls
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

    @impl(graph.AddOp)
    def run_add(self, interp, op, args):
        a, b = args
        if a.dtype.kind == "i":
            return (wrap_i32(a.astype(np.int64) + b).astype(a.dtype),)
        return ((a + b).astype(np.float32),)

    @impl(graph.ReluOp)
    def run_relu(self, interp, op, args):
        return (np.maximum(args[0], 0).astype(args[0].dtype),)

    @impl(graph.ReshapeOp)
    def run_reshape(self, interp, op, args):
        return (args[0].reshape(graph.shape_of(op.output)),)

    @impl(graph.QuantizeOp)
    def run_quantize(self, interp, op: graph.QuantizeOp, args):
        return (quantize(args[0], op.scale.value.data, op.zero_point.value.data),)

    @impl(graph.DequantizeOp)
    def run_dequantize(self, interp, op: graph.DequantizeOp, args):
        return (dequantize(args[0], op.scale.value.data, op.zero_point.value.data),)

    @impl(graph.RequantizeOp)
    def run_requantize(self, interp, op: graph.RequantizeOp, args):
        return (
            requantize(
                args[0],
                op.shift.value.data,
                op.zero_point.value.data,
                op.clip_min.value.data,
                op.clip_max.value.data,
            ),
        )


def run_graph(module: ModuleOp, *inputs: np.ndarray) -> list[np.ndarray]:
    """Run `@main` of a graph module on numpy inputs."""
    interp = Interpreter(module)
    interp.register_implementations(FuncFunctions())
    interp.register_implementations(GraphFunctions(module))
    return list(interp.call_op("main", tuple(inputs)))
