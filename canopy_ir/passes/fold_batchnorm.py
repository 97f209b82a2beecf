"""`graph-fold-batchnorm`: fold inference batch normalisation into the convolution before it.

Takes graph IR with `graph.batch_norm(graph.conv2d(x, W, b), scale, bias, mean, var)` where the
convolution (float, constant weights) has no other user and the statistics are constants.
Produces `graph.conv2d(x, W·f, (b - mean)·f + bias)` with f = scale / sqrt(var + epsilon), the new
weights in the weight pool. Other batch norms are left for the interpreter / later lowering.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from xdsl.context import Context
from xdsl.dialects.builtin import ModuleOp, TensorType
from xdsl.passes import ModulePass
from xdsl.pattern_rewriter import (
    PatternRewriter,
    PatternRewriteWalker,
    RewritePattern,
    op_type_rewrite_pattern,
)
from xdsl.transforms.dead_code_elimination import dce

from canopy_ir.dialects import graph
from canopy_ir.ir import WeightPool, pool_of


class FoldIntoConv(RewritePattern):
    def __init__(self, pool: WeightPool):
        self.pool = pool

    def const(self, value):
        return (
            self.pool[value.owner.weight.data] if isinstance(value.owner, graph.ConstOp) else None
        )

    @op_type_rewrite_pattern
    def match_and_rewrite(self, bn: graph.BatchNormOp, rewriter: PatternRewriter) -> None:
        conv = bn.input.owner
        if not isinstance(conv, graph.Conv2dOp) or not conv.output.has_one_use():
            return
        if graph.elem_of(conv.output) != graph.f32:
            return
        stats = [self.const(v) for v in (bn.scale, bn.bias, bn.mean, bn.var)]
        w = self.const(conv.weight)
        b = (
            self.const(conv.bias)
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
    """Fold inference batch normalisation into the convolution before it."""

    name = "graph-fold-batchnorm"

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        PatternRewriteWalker(FoldIntoConv(pool_of(op))).rewrite_module(op)
        dce(op)
        op.verify()
