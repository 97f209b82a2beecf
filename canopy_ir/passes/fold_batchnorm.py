"""`graph-fold-batchnorm`: fold inference batch normalisation into the convolution before it.

Takes graph IR with `graph.batch_norm(graph.conv2d(x, W, b), scale, bias, mean, var)` where the
convolution (float, constant weights) has no other user and the statistics are constants.
Produces `graph.conv2d(x, W·f, (b - mean)·f + bias)` with f = scale / sqrt(var + epsilon), the new
weights in the weight pool. A multiplication or addition by one constant per channel right after
a batch norm or a convolution joins it (scale·c and bias·c, or bias + c): Caffe2's exports, such
as the onnx wheel's DenseNet-121, write SpatialBN's affine part so. Other batch norms are left for
graph-quantize (which quantizes them for the accelerator) or the host.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from xdsl.context import Context
from xdsl.dialects.builtin import ModuleOp, TensorType
from xdsl.passes import ModulePass
from xdsl.pattern_rewriter import (
    GreedyRewritePatternApplier,
    PatternRewriter,
    PatternRewriteWalker,
    RewritePattern,
    op_type_rewrite_pattern,
)
from xdsl.transforms.dead_code_elimination import dce

from canopy_ir.dialects import graph
from canopy_ir.interpreters.graph import constant_results
from canopy_ir.ir import WeightPool, pool_of


def constant(pool: WeightPool, value) -> np.ndarray | None:
    """The array of a constant, or of a reshaped constant (an ONNX Unsqueeze of one)."""
    op = value.owner
    if not isinstance(op, graph.ConstOp | graph.ReshapeOp):
        return None
    results = constant_results(op, pool)
    return None if results is None else results[0]


def per_channel(array: np.ndarray | None, channels: int) -> np.ndarray | None:
    """The `channels` values of a constant that broadcasts along axis 1 of an NCHW tensor only
    (shape [C, 1, 1], [1, C, 1, 1], or one value), else None."""
    if array is None or array.ndim > 4:
        return None
    shape = (1,) * (4 - array.ndim) + array.shape
    if shape[0] != 1 or shape[2:] != (1, 1) or shape[1] not in (1, channels):
        return None
    return np.broadcast_to(array.reshape(-1), (channels,)).astype(np.float64)


class FoldScaleShift(RewritePattern):
    """mul / add (y, c) with one constant c per channel, y a batch norm's or a float
    convolution's result used only there → that batch norm (scale·c and bias·c, or bias + c) or
    that convolution (weights·c and bias·c, or bias + c)."""

    def __init__(self, pool: WeightPool):
        self.pool = pool

    @op_type_rewrite_pattern
    def match_and_rewrite(self, op: graph.MulOp | graph.AddOp, rewriter: PatternRewriter) -> None:
        kinds = graph.BatchNormOp | graph.Conv2dOp
        sides = [
            (a.owner, b)
            for a, b in ((op.lhs, op.rhs), (op.rhs, op.lhs))
            if isinstance(a.owner, kinds) and a.owner.output.has_one_use()
        ]
        if not sides:
            return
        src, other = sides[0]
        shape = graph.shape_of(src.output)
        if (
            len(shape) != 4
            or graph.shape_of(op.output) != shape
            or graph.elem_of(src.output) != graph.f32
        ):
            return
        c = per_channel(constant(self.pool, other), shape[1])
        if isinstance(src, graph.BatchNormOp):
            names, values = ("scale", "bias", "mean", "var"), src.operands[1:]
        else:
            names, values = ("weight", "bias"), (src.weight, src.bias)
        params = [constant(self.pool, v) if v is not None else np.zeros(shape[1]) for v in values]
        if c is None or any(p is None or p.shape[0] != shape[1] for p in params):
            return
        params = [p.astype(np.float64) for p in params]
        mul = isinstance(op, graph.MulOp)
        if mul:  # the first parameter scales the result (batch-norm scale, conv weights)
            params[0] = params[0] * c.reshape((-1,) + (1,) * (params[0].ndim - 1))
        params[1] = params[1] * c if mul else params[1] + c
        consts = [
            graph.ConstOp(
                self.pool.add(f"{op.node_name}.{k}", v.astype(np.float32)),
                TensorType(graph.f32, v.shape),
            )
            for k, v in zip(names, params, strict=True)
        ]
        values = [k.output for k in consts]
        if isinstance(src, graph.BatchNormOp):
            new = graph.BatchNormOp(src.input, *values, src.epsilon.value.data)
        else:
            new = src.with_operands(src.input, *values, src.output.type)
        new.attributes.update(src.attributes)
        rewriter.replace(op, [*consts, new], [new.output])


class FoldIntoConv(RewritePattern):
    def __init__(self, pool: WeightPool):
        self.pool = pool

    @op_type_rewrite_pattern
    def match_and_rewrite(self, bn: graph.BatchNormOp, rewriter: PatternRewriter) -> None:
        conv = bn.input.owner
        if not isinstance(conv, graph.Conv2dOp) or not conv.output.has_one_use():
            return
        if graph.elem_of(conv.output) != graph.f32:
            return
        stats = [constant(self.pool, v) for v in (bn.scale, bn.bias, bn.mean, bn.var)]
        w = constant(self.pool, conv.weight)
        b = (
            constant(self.pool, conv.bias)
            if conv.bias is not None
            else np.zeros(w.shape[0] if w is not None else 0)
        )
        if w is None or b is None or any(s is None for s in stats):
            return
        scale, bias, mean, var = (s.astype(np.float64).reshape(-1) for s in stats)
        f = scale / np.sqrt(var + bn.epsilon.value.data)
        new_w = (w.astype(np.float64) * f.reshape(-1, 1, 1, 1)).astype(np.float32)
        new_b = ((b.astype(np.float64) - mean) * f + bias).astype(np.float32)
        name = bn.node_name
        w_op = graph.ConstOp(self.pool.add(f"{name}.folded_weight", new_w), conv.weight.type)
        b_op = graph.ConstOp(
            self.pool.add(f"{name}.folded_bias", new_b), TensorType(graph.f32, new_b.shape)
        )
        new_conv = conv.with_operands(conv.input, w_op.output, b_op.output, conv.output.type)
        new_conv.attributes.update(conv.attributes)
        rewriter.replace(bn, [w_op, b_op, new_conv], [new_conv.output])


@dataclass(frozen=True)
class FoldBatchNormPass(ModulePass):
    """Fold inference batch normalisation (and a per-channel scale and shift after it) into the
    convolution before it."""

    name = "graph-fold-batchnorm"

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        pool = pool_of(op)
        patterns = [FoldScaleShift(pool), FoldIntoConv(pool)]
        PatternRewriteWalker(GreedyRewritePatternApplier(patterns)).rewrite_module(op)
        dce(op)
        op.verify()
