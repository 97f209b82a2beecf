"""`graph-canonicalize`: local simplifications of graph IR.

Takes and produces graph IR with the same meaning: reshape chains collapse (and reshapes to the
same shape vanish), identity and cancelling transposes go, repeated relus merge, and
multiplications by one / additions of zero constants disappear. Dead ops are removed afterwards.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from xdsl.context import Context
from xdsl.dialects.builtin import ModuleOp
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
from canopy_ir.ir import WeightPool, pool_of


class ReshapeChain(RewritePattern):
    @op_type_rewrite_pattern
    def match_and_rewrite(self, op: graph.ReshapeOp, rewriter: PatternRewriter) -> None:
        if op.input.type == op.output.type:
            rewriter.replace(op, [], [op.input])
        elif isinstance(op.input.owner, graph.ReshapeOp):
            new = graph.ReshapeOp(op.input.owner.input, op.output.type)
            new.attributes.update(op.attributes)
            rewriter.replace(op, [new], [new.output])


class TransposeChain(RewritePattern):
    @op_type_rewrite_pattern
    def match_and_rewrite(self, op: graph.TransposeOp, rewriter: PatternRewriter) -> None:
        perm = list(op.perm.get_values())
        if perm == sorted(perm):
            rewriter.replace(op, [], [op.input])
        elif isinstance(op.input.owner, graph.TransposeOp):
            inner = list(op.input.owner.perm.get_values())
            composed = [inner[p] for p in perm]
            new = graph.TransposeOp(op.input.owner.input, op.output.type, perm=composed)
            new.attributes.update(op.attributes)
            rewriter.replace(op, [new], [new.output])


class ReluOfRelu(RewritePattern):
    @op_type_rewrite_pattern
    def match_and_rewrite(self, op: graph.ReluOp, rewriter: PatternRewriter) -> None:
        if isinstance(op.input.owner, graph.ReluOp):
            rewriter.replace(op, [], [op.input])


class NeutralConstant(RewritePattern):
    """x * 1 → x and x + 0 → x when the constant does not change x's shape or type."""

    def __init__(self, pool: WeightPool):
        self.pool = pool

    def match_and_rewrite(self, op, rewriter: PatternRewriter) -> None:
        neutral = {graph.MulOp: 1, graph.AddOp: 0, graph.SubOp: 0, graph.DivOp: 1}.get(type(op))
        if neutral is None or not isinstance(op.rhs.owner, graph.ConstOp):
            return
        if op.lhs.type != op.output.type:
            return
        value = self.pool[op.rhs.owner.weight.data]
        if value.size <= 64 and np.all(value == neutral):
            rewriter.replace(op, [], [op.lhs])


@dataclass(frozen=True)
class CanonicalizePass(ModulePass):
    """Local simplifications of graph IR (reshape/transpose chains, relu of relu, no-op consts)."""

    name = "graph-canonicalize"

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        patterns = [ReshapeChain(), TransposeChain(), ReluOfRelu(), NeutralConstant(pool_of(op))]
        PatternRewriteWalker(GreedyRewritePatternApplier(patterns)).rewrite_module(op)
        dce(op)
        op.verify()
