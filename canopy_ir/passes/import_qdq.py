"""`import-qdq`: fold the QuantizeLinear/DequantizeLinear pairs of a QDQ model into integer ops.

Takes: a graph module straight from the ONNX importer, where int8 tensors appear as
`graph.dequantize` → float op → `graph.quantize` chains.
Produces: integer `graph.conv2d`/`graph.dense` (int8 × int8 + int32 bias → int32) followed by
`graph.requantize` (int32 → int8), integer reshapes/relus, and only the model's input `quantize`
and output `dequantize` left in float (they run on the host).

Requantization is a rounding shift when s_x · s_w / s_y is a power of two, and otherwise a
fixed-point multiplier (one per output channel for per-channel weights, `multiplier_bits` wide)
between a pre-shift that keeps the product inside 32 bits and a rounding shift. ONNX rounds half
to even and in float: results differ by at most one step, on ties and near-ties only. Activations
must be int8 with zero point 0 (onnxruntime: ActivationSymmetric=True), weights symmetric int8.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from xdsl.context import Context
from xdsl.dialects.builtin import FloatAttr, ModuleOp, StringAttr, TensorType, f64, i32
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
from canopy_ir.ir import WeightPool, elem_to_numpy, pool_of
from canopy_ir.quant import (
    FIXED_POINT_BITS,
    accumulator_bound,
    fixed_point,
    power_of_two_shift,
    quantize,
    quantize_bias,
)


def _single_use(value: SSAValue) -> bool:
    return value.has_one_use()


def _dq_params(op: graph.DequantizeOp) -> tuple[float, int]:
    return op.scale.value.data, op.zero_point.value.data


def _weight_scales(w_dq, where: str) -> np.ndarray | None:
    """Per-output-channel weight scales of a dequantized constant weight, or None."""
    if not isinstance(w_dq.input.owner, graph.ConstOp):
        return None
    if isinstance(w_dq, graph.DequantizeOp):
        scale, zp = _dq_params(w_dq)
        if zp != 0:
            raise QuantizationError(f"weights must be symmetric (zero point {zp})", where)
        return np.array([scale])
    if isinstance(w_dq, graph.DequantizeChannelsOp):
        if w_dq.axis.value.data != 0:
            raise QuantizationError(
                "per-channel weight scales must be along the output channels (axis 0)", where
            )
        return np.asarray(w_dq.scales.get_values(), np.float64)
    return None


class FoldQuantizedLinear(RewritePattern):
    """quantize((relu)(conv|dense(dequantize(x), dequantize(W), dequantize(b))))
    → requantize(conv|dense_int(x, W, b)); W may be per-channel (as onnxruntime quantizes)."""

    def __init__(self, pool: WeightPool, multiplier_bits: int):
        self.pool = pool
        self.multiplier_bits = multiplier_bits

    @op_type_rewrite_pattern
    def match_and_rewrite(self, q: graph.QuantizeOp, rewriter: PatternRewriter) -> None:
        src, relu = q.input.owner, False
        if isinstance(src, graph.ReluOp) and _single_use(src.output):
            src, relu = src.input.owner, True
        if not isinstance(src, graph.Conv2dOp | graph.DenseOp) or not _single_use(src.output):
            return
        x_dq, w_dq = src.input.owner, src.weight.owner
        if not isinstance(x_dq, graph.DequantizeOp):
            return
        where = f"node '{src.node_name}'"
        sw = (
            _weight_scales(w_dq, where)
            if isinstance(w_dq, graph.DequantizeOp | graph.DequantizeChannelsOp)
            else None
        )
        if sw is None:
            return
        sx, zx = _dq_params(x_dq)
        if zx != 0:
            raise QuantizationError(
                f"activations must be symmetric (input zero point {zx}); "
                "quantize with ActivationSymmetric=True",
                where,
            )
        if graph.is_unsigned(graph.elem_of(q.output)):
            raise QuantizationError(
                "uint8 activations are not supported: quantize with activation_type=QInt8", where
            )
        sy, zy = q.scale.value.data, q.zero_point.value.data
        weights = self.pool[w_dq.input.owner.weight.data]
        channels = weights.shape[0]
        acc_scales = sx * np.broadcast_to(sw, (channels,))
        bias = self._int_bias(src, acc_scales, where) if src.bias is not None else None
        new_ops = []
        if bias is not None and not isinstance(bias, SSAValue):
            new_ops.append(bias)
            bias = bias.output
        out_type = TensorType(i32, graph.shape_of(src.output))
        compute = src.with_operands(x_dq.input, w_dq.input, bias, out_type)
        compute.attributes["onnx_node"] = StringAttr(src.node_name)
        lo = max(-128, zy) if relu else -128
        ratios = acc_scales / sy
        shift = power_of_two_shift(ratios)
        if shift is not None:
            requant = graph.RequantizeOp(compute.output, shift, zy, lo, 127)
        else:  # arbitrary or per-channel scales: a fixed-point multiplier per channel
            bias_values = self.pool[bias.owner.weight.data] if bias is not None else None
            bound = accumulator_bound(weights, bias_values)
            m, pre, shift = fixed_point(ratios, bound, self.multiplier_bits, where)
            uniform = np.all(m == m[0])
            requant = graph.RequantizeOp(
                compute.output,
                shift,
                zy,
                lo,
                127,
                [int(m[0])] if uniform else [int(v) for v in m],
                pre,
            )
        requant.attributes["onnx_node"] = StringAttr(q.node_name)
        requant.attributes["layer"] = StringAttr(src.node_name)
        requant.attributes["output_scale"] = FloatAttr(sy, f64)  # for reports
        rewriter.replace(q, [*new_ops, compute, requant], [requant.output])

    def _int_bias(self, src, acc_scales: np.ndarray, where: str):
        b = src.bias.owner
        if isinstance(b, graph.DequantizeOp | graph.DequantizeChannelsOp) and isinstance(
            b.input.owner, graph.ConstOp
        ):
            if isinstance(b, graph.DequantizeOp):
                sb, zb = _dq_params(b)
                scales = np.full(len(acc_scales), sb)
            else:
                zb, scales = 0, np.asarray(b.scales.get_values(), np.float64)
            if (
                zb == 0
                and np.allclose(scales, acc_scales, rtol=1e-6)
                and graph.elem_of(b.input) == i32
            ):
                return b.input
            values = (self.pool[b.input.owner.weight.data].astype(np.float64) - zb) * scales
            name = b.input.owner.weight.data
        elif isinstance(b, graph.ConstOp):
            values, name = self.pool[b.weight.data].astype(np.float64), b.weight.data
        else:
            raise QuantizationError("the bias must be a constant", where)
        q = quantize_bias(values, acc_scales, where)
        key = self.pool.add(f"{name}.i32", q)
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
        new = rq.with_clip(0)
        new.attributes.update(rq.attributes)
        rewriter.replace(op, [new], [new.output])


class QuantizeThroughClip(RewritePattern):
    """quantize(clip(x, a, b)) → clip(quantize(x), Q(a), Q(b)): quantization is monotone, so the
    clip (ReLU6, Clip) moves to the integer side exactly, with its bounds quantized as ONNX's
    QuantizeLinear would quantize them."""

    @op_type_rewrite_pattern
    def match_and_rewrite(self, q: graph.QuantizeOp, rewriter: PatternRewriter) -> None:
        clip = q.input.owner
        if not isinstance(clip, graph.ClipOp) or not _single_use(clip.output):
            return
        scale, zp = q.scale.value.data, q.zero_point.value.data
        dtype = elem_to_numpy(graph.elem_of(q.output))

        def bound(attr):
            if attr is None:
                return None
            return int(quantize(np.array([attr.value.data]), scale, zp, dtype)[0])

        new_q = graph.QuantizeOp(clip.input, scale, zp, q.output.type)
        new_q.attributes.update(q.attributes)
        new_clip = graph.ClipOp(new_q.output, bound(clip.min), bound(clip.max))
        new_clip.attributes.update(clip.attributes)
        rewriter.replace(q, [new_q, new_clip], [new_clip.output])


class FoldClipIntoRequantize(RewritePattern):
    """clip(requantize(x)) on integers → requantize(x) with the clip narrowed."""

    @op_type_rewrite_pattern
    def match_and_rewrite(self, op: graph.ClipOp, rewriter: PatternRewriter) -> None:
        rq = op.input.owner
        if not isinstance(rq, graph.RequantizeOp) or not _single_use(rq.output):
            return
        lo = math.ceil(op.min.value.data) if op.min is not None else -(2**31)
        hi = math.floor(op.max.value.data) if op.max is not None else None
        new = rq.with_clip(lo, hi)
        new.attributes.update(rq.attributes)
        rewriter.replace(op, [new], [new.output])


@dataclass(frozen=True)
class ImportQdqPass(ModulePass):
    """Fold a QDQ model's QuantizeLinear/DequantizeLinear pairs into integer ops."""

    name = "import-qdq"
    multiplier_bits: int = FIXED_POINT_BITS  # fixed-point multipliers for other scales

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        patterns = [
            FoldQuantizedLinear(pool_of(op), self.multiplier_bits),
            SinkDequantize(),
            FoldQuantizeDequantize(),
            FoldReluIntoRequantize(),
            QuantizeThroughClip(),
            FoldClipIntoRequantize(),
        ]
        PatternRewriteWalker(GreedyRewritePatternApplier(patterns)).rewrite_module(op)
        dce(op)
        op.verify()
