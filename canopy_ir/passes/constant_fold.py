"""`graph-constant-fold`: evaluate graph ops whose operands are all constants.

Takes and produces graph IR; each such op becomes a `graph.const` holding its value (computed
by the op's kernel, as the graph interpreter runs it: folding means exactly what running would).
Quantize/dequantize ops are kept: they carry the quantization that `import-qdq` turns into
integer arithmetic.
Results larger than `max_elements` are kept as ops, so folding never balloons the weights.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from xdsl.context import Context
from xdsl.dialects.builtin import ModuleOp
from xdsl.passes import ModulePass
from xdsl.rewriter import Rewriter
from xdsl.transforms.dead_code_elimination import dce

from canopy_ir.dialects import graph
from canopy_ir.interpreters.graph import constant_results
from canopy_ir.ir import pool_of

KEEP = (graph.ConstOp, graph.QuantizeOp, graph.DequantizeOp, graph.RequantizeOp)


@dataclass(frozen=True)
class ConstantFoldPass(ModulePass):
    """Evaluate graph ops whose operands are all constants."""

    name = "graph-constant-fold"
    max_elements: int = 1 << 24

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        pool = pool_of(op)
        for candidate in list(op.walk()):
            if not isinstance(candidate, graph.GraphOp) or isinstance(candidate, KEEP):
                continue
            size = sum(int(np.prod(graph.shape_of(r))) for r in candidate.results)
            if size > self.max_elements:
                continue
            values = constant_results(candidate, pool)
            if values is None:
                continue
            consts = [
                graph.ConstOp(pool.add(f"{candidate.node_name}.folded", np.asarray(v)), r.type)
                for v, r in zip(values, candidate.results, strict=True)
            ]
            Rewriter.replace_op(candidate, consts, [c.output for c in consts])
        dce(op)
        op.verify()
