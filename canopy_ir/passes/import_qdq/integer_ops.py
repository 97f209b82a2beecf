"""import-qdq's patterns besides convolutions: quantized Add, average pooling, BatchNormalization,
Concat and QuantizeLinear(DequantizeLinear) pairs become the integer ops of graph.py (graph.qadd,
graph.qavg_pool, graph.qaffine, graph.rescale, integer graph.concat), dequantizes sink through
the ops that only move values, and ReLU/Clip fold into the clip of the integer op before them.
Each rewrite keeps ONNX's QDQ semantics except at rounding ties (and within float error of
them)."""

from __future__ import annotations

import math

import numpy as np
from xdsl.dialects.builtin import FloatAttr, StringAttr, TensorType, f64
from xdsl.pattern_rewriter import PatternRewriter, RewritePattern, op_type_rewrite_pattern

from canopy_ir.dialects import graph
from canopy_ir.errors import QuantizationError
from canopy_ir.ir import WeightPool, elem_to_numpy
from canopy_ir.kernels import window_sums
from canopy_ir.passes.import_qdq.common import (
    constant_value,
    dq_params,
    int8_dequantize,
    int8_type,
    is_int8,
    quantized_source,
    retyped,
    where,
)
from canopy_ir.qaffine import affine_parameters, batchnorm_table, fit_table
from canopy_ir.quant import bounded_fixed_point, quantize, rescale_multipliers

# Integer ops whose result ends in a clip that a later ReLU/Clip narrows.
CLIPPED = (graph.RequantizeOp, graph.QAddOp, graph.RescaleOp, graph.QAvgPoolOp, graph.QAffineOp)


def _int8_quantize(q: graph.QuantizeOp) -> bool:
    return is_int8(q.output)


def _tag(op, q: graph.QuantizeOp, layer) -> None:
    op.attributes["onnx_node"] = StringAttr(q.node_name)
    op.attributes["layer"] = StringAttr(layer.node_name)
    op.attributes["output_scale"] = FloatAttr(q.scale.value.data, f64)  # for reports


class FoldQuantizeDequantize(RewritePattern):
    """quantize(dequantize(x)) of int8 x: x itself when scale and zero point agree, else
    graph.rescale (s_x / s_y as a fixed-point multiplier)."""

    def __init__(self, bits: int):
        self.bits = bits

    @op_type_rewrite_pattern
    def match_and_rewrite(self, q: graph.QuantizeOp, rewriter: PatternRewriter) -> None:
        dq = int8_dequantize(q.input)
        if dq is None or not _int8_quantize(q):
            return
        (sx, zx), (sy, zy) = dq_params(dq), dq_params(q)
        if zx == zy and math.isclose(sx, sy, rel_tol=1e-9):
            rewriter.replace(q, [], [dq.input])
            return
        try:
            (m,), shift = rescale_multipliers(np.array([sx / sy]), self.bits, where(q))
        except QuantizationError:
            return  # stays a float pair
        new = graph.RescaleOp(
            dq.input,
            int8_type(q.output),
            input_zero_point=zx,
            multiplier=int(m),
            shift=shift,
            zero_point=zy,
            clip_min=-128,
            clip_max=127,
        )
        _tag(new, q, q)
        rewriter.replace(q, [new], [new.output])


class FoldQuantizedAdd(RewritePattern):
    """quantize((relu)(add(dequantize(a), dequantize(b)))) → graph.qadd (the ReLU as its clip)."""

    def __init__(self, bits: int):
        self.bits = bits

    @op_type_rewrite_pattern
    def match_and_rewrite(self, q: graph.QuantizeOp, rewriter: PatternRewriter) -> None:
        add, relu = quantized_source(q)
        if not isinstance(add, graph.AddOp) or not add.output.has_one_use():
            return
        a, b = int8_dequantize(add.lhs), int8_dequantize(add.rhs)
        if a is None or b is None or not _int8_quantize(q):
            return
        (sa, za), (sb, zb), (sy, zy) = dq_params(a), dq_params(b), dq_params(q)
        try:
            (ma, mb), shift = rescale_multipliers(np.array([sa / sy, sb / sy]), self.bits, where(q))
        except QuantizationError:
            return  # stays a float island
        new = graph.QAddOp(
            a.input,
            b.input,
            int8_type(q.output),
            lhs_zero_point=za,
            rhs_zero_point=zb,
            lhs_multiplier=int(ma),
            rhs_multiplier=int(mb),
            shift=shift,
            zero_point=zy,
            clip_min=max(-128, zy) if relu else -128,
            clip_max=127,
        )
        _tag(new, q, add)
        rewriter.replace(q, [new], [new.output])


class FoldQuantizedBatchNorm(RewritePattern):
    """quantize((relu)(batch_norm(dequantize(x), constant parameters))) → graph.qaffine: per
    channel y = a_c · x + b_c, a_c = scale_c / sqrt(var_c + ε), b_c = bias_c − a_c · mean_c (the
    parameters as ONNX computes them, e.g. onnxruntime's dequantized scale and bias)."""

    def __init__(self, pool: WeightPool):
        self.pool = pool

    @op_type_rewrite_pattern
    def match_and_rewrite(self, q: graph.QuantizeOp, rewriter: PatternRewriter) -> None:
        bn, relu = quantized_source(q)
        if not isinstance(bn, graph.BatchNormOp) or not bn.output.has_one_use():
            return
        dq = int8_dequantize(bn.input)
        if dq is None or not _int8_quantize(q) or len(graph.shape_of(dq.input)) < 2:
            return
        params = [constant_value(v, self.pool) for v in (bn.scale, bn.bias, bn.mean, bn.var)]
        channels = graph.shape_of(dq.input)[1]
        if any(p is None or p.size != channels for p in params):
            return
        scale, bias, mean, var = (p.astype(np.float64).ravel() for p in params)
        epsilon = bn.epsilon.value.data
        a = scale / np.sqrt(var + epsilon)
        (sx, zx), (sy, zy) = dq_params(dq), dq_params(q)
        try:
            m, o, shift = affine_parameters(sx * a / sy, (bias - a * mean) / sy, where(q))
        except QuantizationError:
            return  # stays a float island
        # an int8 map has 256 inputs: match ONNX's float32 result on each where integers can
        lo = max(-128, zy) if relu else -128
        table = batchnorm_table(sx, zx, sy, zy, *(p.ravel() for p in params), epsilon, relu)
        m, o = fit_table(table, zx, m, o, shift, zy, lo, 127)
        new = graph.QAffineOp(
            dq.input,
            int8_type(q.output),
            input_zero_point=zx,
            multipliers=[int(v) for v in m],
            offsets=[int(v) for v in o],
            shift=shift,
            zero_point=zy,
            clip_min=lo,
            clip_max=127,
        )
        _tag(new, q, bn)
        rewriter.replace(q, [new], [new.output])


def _pooling(op) -> dict | None:
    """The window of an average pooling or of a mean over H and W of an NCHW tensor."""
    if isinstance(op, graph.PoolOp) and op.kind.data == "avg":
        return {
            k: list(getattr(op, k).get_values()) for k in ("kernel", "strides", "pads", "dilations")
        } | {"count_include_pad": op.count_include_pad.value.data}
    if isinstance(op, graph.ReduceOp) and op.fn.data == "mean":
        shape = graph.shape_of(op.input)
        if len(shape) == 4 and sorted(op.axes.get_values()) == [2, 3]:
            window = {"kernel": list(shape[2:]), "strides": [1, 1], "pads": [0, 0, 0, 0]}
            return window | {"dilations": [1, 1], "count_include_pad": 0}
    return None


class FoldQuantizedAvgPool(RewritePattern):
    """quantize(avg_pool | mean over H, W (dequantize(x))) → graph.qavg_pool: the window sum of
    x − z_x and a multiplier per window count, s_x / (s_y · count)."""

    def __init__(self, bits: int):
        self.bits = bits

    @op_type_rewrite_pattern
    def match_and_rewrite(self, q: graph.QuantizeOp, rewriter: PatternRewriter) -> None:
        pool = q.input.owner
        window = _pooling(pool)
        if window is None or not pool.output.has_one_use() or not _int8_quantize(q):
            return
        dq = int8_dequantize(pool.input)
        if dq is None:
            return
        (sx, zx), (sy, zy) = dq_params(dq), dq_params(q)
        n, c, h, w = graph.shape_of(dq.input)
        out_shape = graph.shape_of(pool.output)
        out_hw = out_shape[2:] if len(out_shape) == 4 else (1, 1)
        args = [window[k] for k in ("kernel", "strides", "pads", "dilations")]
        _, counts = window_sums(np.zeros((1, 1, h, w)), *args, window["count_include_pad"], out_hw)
        area = window["kernel"][0] * window["kernel"][1]
        seen = np.unique(counts)
        per_count = np.arange(1, area + 1) if len(seen) > 1 else seen[:1]
        try:
            m, pre, shift = bounded_fixed_point(
                sx / (sy * per_count), 255 * int(seen.max()), self.bits, where(q)
            )
        except QuantizationError:
            return
        result = TensorType(graph.i8, (n, c, *out_hw))
        new = graph.QAvgPoolOp(
            dq.input,
            result,
            **window,
            input_zero_point=zx,
            multipliers=[int(v) for v in m],
            pre_shift=pre,
            shift=shift,
            zero_point=zy,
            clip_min=-128,
            clip_max=127,
        )
        _tag(new, q, pool)
        new_ops = [new]
        if graph.shape_of(new.output) != graph.shape_of(q.output):  # ReduceMean, keepdims=0
            new_ops.append(graph.ReshapeOp(new.output, int8_type(q.output)))
        rewriter.replace(q, new_ops, [new_ops[-1].results[0]])


class QuantizeConcat(RewritePattern):
    """quantize(concat(dequantize(x_i)...)) → concat(quantize(dequantize(x_i))...): quantizing is
    elementwise; each input's pair then folds (to x_i, or graph.rescale)."""

    @op_type_rewrite_pattern
    def match_and_rewrite(self, q: graph.QuantizeOp, rewriter: PatternRewriter) -> None:
        cat = q.input.owner
        if not isinstance(cat, graph.ConcatOp) or not cat.output.has_one_use():
            return
        if not _int8_quantize(q) or any(int8_dequantize(x) is None for x in cat.inputs):
            return
        scale, zp = dq_params(q)
        parts = [graph.QuantizeOp(x, scale, zp, int8_type(x)) for x in cat.inputs]
        for part in parts:
            part.attributes.update(q.attributes)
        new = graph.ConcatOp([p.output for p in parts], cat.axis.value.data, int8_type(q.output))
        new.attributes.update(cat.attributes)
        rewriter.replace(q, [*parts, new], [new.output])


class SinkDequantize(RewritePattern):
    """f(dequantize(x)) → dequantize(f(x)) for f that only moves values (reshape, transpose,
    slice, max pooling, zero padding) or ReLU (a clip at the zero point), so integer tensors flow
    through them."""

    @op_type_rewrite_pattern
    def match_and_rewrite(
        self,
        op: graph.ReshapeOp
        | graph.TransposeOp
        | graph.SliceOp
        | graph.PoolOp
        | graph.PadOp
        | graph.ReluOp,
        rewriter: PatternRewriter,
    ) -> None:
        dq = op.operands[0].owner
        if not isinstance(dq, graph.DequantizeOp) or len(op.operands) != 1:
            return
        scale, zp = dq_params(dq)
        elem = graph.elem_of(dq.input)
        if isinstance(op, graph.ReluOp):
            inner = graph.ReluOp(dq.input) if zp == 0 else graph.ClipOp(dq.input, zp, None)
            inner.attributes.update(op.attributes)
        elif isinstance(op, graph.ReshapeOp):
            inner = retyped(op, dq.input, elem)
        elif not is_int8(dq.input):
            return
        elif isinstance(op, graph.PoolOp) and op.kind.data != "max":
            return
        elif isinstance(op, graph.PadOp) and op.mode.data == "constant":
            if op.value.value.data != 0.0:
                return  # another value may not be representable
            inner = retyped(op, dq.input, elem, value=FloatAttr(float(zp), f64))
        else:
            inner = retyped(op, dq.input, elem)
        outer = graph.DequantizeOp(inner.results[0], scale, zp, op.results[0].type)
        outer.attributes.update(dq.attributes)
        rewriter.replace(op, [inner, outer], [outer.output])


class FoldReluIntoRequantize(RewritePattern):
    """relu(integer op ending in a clip) → the op with its clip raised to 0."""

    @op_type_rewrite_pattern
    def match_and_rewrite(self, op: graph.ReluOp, rewriter: PatternRewriter) -> None:
        src = op.input.owner
        if not isinstance(src, CLIPPED) or not src.output.has_one_use():
            return
        new = src.with_clip(0)
        new.attributes.update(src.attributes)
        rewriter.replace(op, [new], [new.output])


class QuantizeThroughClip(RewritePattern):
    """quantize(clip(x, a, b)) → clip(quantize(x), Q(a), Q(b)): quantization is monotone, so the
    clip (ReLU6, Clip) moves to the integer side exactly, with its bounds quantized as ONNX's
    QuantizeLinear would quantize them."""

    @op_type_rewrite_pattern
    def match_and_rewrite(self, q: graph.QuantizeOp, rewriter: PatternRewriter) -> None:
        clip = q.input.owner
        if not isinstance(clip, graph.ClipOp) or not clip.output.has_one_use():
            return
        scale, zp = dq_params(q)
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
    """clip(integer op ending in a clip) → the op with its clip narrowed."""

    @op_type_rewrite_pattern
    def match_and_rewrite(self, op: graph.ClipOp, rewriter: PatternRewriter) -> None:
        src = op.input.owner
        if not isinstance(src, CLIPPED) or not src.output.has_one_use():
            return
        lo = math.ceil(op.min.value.data) if op.min is not None else -(2**31)
        hi = math.floor(op.max.value.data) if op.max is not None else None
        new = src.with_clip(lo, hi)
        new.attributes.update(src.attributes)
        rewriter.replace(op, [new], [new.output])
