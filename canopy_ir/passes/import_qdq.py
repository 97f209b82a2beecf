"""`import-qdq`: fold the QuantizeLinear/DequantizeLinear pairs of a QDQ model into integer ops.

Takes: a graph module straight from the ONNX importer, where int8 tensors appear as
`graph.dequantize` → float op → `graph.quantize` chains.
Produces: integer `graph.conv2d`/`graph.dense` (int8 × int8 + int32 bias → int32) followed by
`graph.requantize` (int32 → int8), integer reshapes/relus, and only the model's input `quantize`
and output `dequantize` left in float (they run on the host).

Requantization here is a rounding shift, so s_x · s_w / s_y must be a power of two; otherwise the
node is named in a `QuantizationError`. ONNX rounds half to even, the shift rounds half up: results
differ by one step on exact ties only. Zero points of activations and weights must be 0 (symmetric).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from xdsl.context import Context
from xdsl.dialects.builtin import ModuleOp, TensorType, i32
from xdsl.ir import SSAValue
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
from canopy_ir.errors import QuantizationError
from canopy_ir.ir import WeightPool, pool_of


def _single_use(value: SSAValue) -> bool:
    return value.has_one_use()


def _dq_params(op: graph.DequantizeOp) -> tuple[float, int]:
    return op.scale.value.data, op.zero_point.value.data


def _power_of_two_shift(ratio: float, where: str) -> int:
    """k with ratio == 2^-k exactly (up to float32 rounding of the scales)."""
    k = -math.log2(ratio)
    if abs(k - round(k)) > 1e-6:
        raise QuantizationError(
            f"requantization scale {ratio:.6g} (s_x * s_w / s_y) is not a power of two; "
            "shift-only requantization needs power-of-two scales (fixed-point multipliers are "
            "not supported yet)",
            where,
        )
    return int(round(k))


class FoldQuantizedLinear(RewritePattern):
    """quantize((relu)(conv|dense(dequantize(x), dequantize(W), dequantize(b))))
    → requantize(conv|dense_int(x, W, b))."""

    def __init__(self, pool: WeightPool):
        self.pool = pool

    @op_type_rewrite_pattern
    def match_and_rewrite(self, q: graph.QuantizeOp, rewriter: PatternRewriter) -> None:
        src, relu = q.input.owner, False
        if isinstance(src, graph.ReluOp) and _single_use(src.output):
            src, relu = src.input.owner, True
        if not isinstance(src, graph.Conv2dOp | graph.DenseOp) or not _single_use(src.output):
            return
        x_dq, w_dq = src.input.owner, src.weight.owner
        if not isinstance(x_dq, graph.DequantizeOp) or not isinstance(w_dq, graph.DequantizeOp):
            return
        if not isinstance(w_dq.input.owner, graph.ConstOp):
            return
        where = f"node '{src.node_name}'"
        (sx, zx), (sw, zw) = _dq_params(x_dq), _dq_params(w_dq)
        if zx != 0 or zw != 0:
            raise QuantizationError(f"zero points must be 0 (got input {zx}, weight {zw})", where)
        sy, zy = q.scale.value.data, q.zero_point.value.data
        shift = _power_of_two_shift(sx * sw / sy, where)
        bias = self._int_bias(src, sx * sw, where) if src.bias is not None else None
        new_ops = []
        if bias is not None and not isinstance(bias, SSAValue):
            new_ops.append(bias)
            bias = bias.output
        out_type = TensorType(i32, graph.shape_of(src.output))
        if isinstance(src, graph.Conv2dOp):
            compute = graph.Conv2dOp(
                x_dq.input,
                w_dq.input,
                bias,
                src.strides.get_values(),
                src.pads.get_values(),
                src.dilations.get_values(),
                src.group.value.data,
                out_type,
            )
        else:
            compute = graph.DenseOp(x_dq.input, w_dq.input, bias, out_type)
        compute.attributes["onnx_node"] = src.attributes["onnx_node"]
        requant = graph.RequantizeOp(
            compute.output, shift, zy, max(-128, zy) if relu else -128, 127
        )
        requant.attributes["onnx_node"] = q.attributes["onnx_node"]
        rewriter.replace(q, [*new_ops, compute, requant], [requant.output])

    def _int_bias(self, src, acc_scale: float, where: str):
        b = src.bias.owner
        if isinstance(b, graph.DequantizeOp) and isinstance(b.input.owner, graph.ConstOp):
            sb, zb = _dq_params(b)
            if (
                zb == 0
                and math.isclose(sb, acc_scale, rel_tol=1e-6)
                and graph.elem_of(b.input) == i32
            ):
                return b.input
            values = (self.pool[b.input.owner.weight.data].astype(np.float64) - zb) * sb
            name = b.input.owner.weight.data
        elif isinstance(b, graph.ConstOp):
            values, name = self.pool[b.weight.data].astype(np.float64), b.weight.data
        else:
            raise QuantizationError("the bias must be a constant", where)
        q = np.rint(values / acc_scale)
        if np.abs(q).max(initial=0) >= 2**31:
            raise QuantizationError("the bias does not fit int32 at the accumulator scale", where)
        key = self.pool.add(f"{name}.i32", q.astype(np.int32))
        return graph.ConstOp(key, TensorType(i32, q.shape))


class SinkDequantize(RewritePattern):
    """reshape(dequantize(x)) → dequantize(reshape(x)); relu(dequantize(x)) → dequantize(relu(x))
    (for zero point 0), so integer tensors flow through layout ops."""

    @op_type_rewrite_pattern
    def match_and_rewrite(self, op: graph.ReshapeOp | graph.ReluOp, rewriter: PatternRewriter):
        if not isinstance(op, graph.ReshapeOp | graph.ReluOp):
            return
        dq = op.input.owner
        if not isinstance(dq, graph.DequantizeOp):
            return
        scale, zp = _dq_params(dq)
        if isinstance(op, graph.ReluOp):
            if zp != 0:
                return
            inner = graph.ReluOp(dq.input)
        else:
            inner = graph.ReshapeOp(
                dq.input, TensorType(graph.elem_of(dq.input), graph.shape_of(op.output))
            )
        inner.attributes.update(op.attributes)
        outer = graph.DequantizeOp(inner.output, scale, zp, op.output.type)
        outer.attributes.update(dq.attributes)
        rewriter.replace(op, [inner, outer], [outer.output])


class FoldQuantizeDequantize(RewritePattern):
    """quantize(dequantize(x)) with the same scale and zero point → x."""

    @op_type_rewrite_pattern
    def match_and_rewrite(self, q: graph.QuantizeOp, rewriter: PatternRewriter) -> None:
        dq = q.input.owner
        if not isinstance(dq, graph.DequantizeOp) or graph.elem_of(dq.input) != graph.elem_of(
            q.output
        ):
            return
        sx, zx = _dq_params(dq)
        if zx == q.zero_point.value.data and math.isclose(sx, q.scale.value.data, rel_tol=1e-9):
            rewriter.replace(q, [], [dq.input])


class FoldReluIntoRequantize(RewritePattern):
    """relu(requantize(x)) → requantize(x) with the clip raised to the zero point."""

    @op_type_rewrite_pattern
    def match_and_rewrite(self, op: graph.ReluOp, rewriter: PatternRewriter) -> None:
        rq = op.input.owner
        if not isinstance(rq, graph.RequantizeOp) or not _single_use(rq.output):
            return
        if rq.zero_point.value.data != 0:
            return
        new = graph.RequantizeOp(
            rq.input, rq.shift.value.data, 0, max(rq.clip_min.value.data, 0), rq.clip_max.value.data
        )
        new.attributes.update(rq.attributes)
        rewriter.replace(op, [new], [new.output])


@dataclass(frozen=True)
class ImportQdqPass(ModulePass):
    name = "import-qdq"

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        patterns = [
            FoldQuantizedLinear(pool_of(op)),
            SinkDequantize(),
            FoldQuantizeDequantize(),
            FoldReluIntoRequantize(),
        ]
        PatternRewriteWalker(GreedyRewritePatternApplier(patterns)).rewrite_module(op)
        dce(op)
        op.verify()
