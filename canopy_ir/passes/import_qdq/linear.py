"""import-qdq's convolutions and dense layers: quantize((relu)(conv|dense(dequantize(x),
dequantize(W), dequantize(b)))) → requantize(conv|dense_int(x, W, b')).

With an input zero point z_x the layer computes Σ (x − z_x)·w + b = Σ x·w + (b − z_x·Σw): the
constant −z_x·Σw (per output channel) joins the int32 bias b'. ONNX pads the real input with
zeros, i.e. x with z_x: a convolution that pads gets an explicit `graph.pad` (constant z_x) and
pads 0 itself, so padded positions contribute exactly (z_x − z_x)·w = 0 after the bias term.
With z_x = 0 the layer is the symmetric form (the convolution pads, the bias is unchanged)."""

from __future__ import annotations

import numpy as np
from xdsl.dialects.builtin import FloatAttr, StringAttr, TensorType, f64, i32
from xdsl.ir import SSAValue
from xdsl.pattern_rewriter import PatternRewriter, RewritePattern, op_type_rewrite_pattern

from canopy_ir.dialects import graph
from canopy_ir.errors import QuantizationError
from canopy_ir.ir import WeightPool
from canopy_ir.passes.import_qdq.common import dq_params, int8_dequantize, quantized_source
from canopy_ir.quant import (
    accumulator_bound,
    bounded_fixed_point,
    power_of_two_shift,
    quantize_bias,
)


def weight_scales(w_dq, at: str) -> np.ndarray | None:
    """Per-output-channel scales of a dequantized constant weight, or None (not a constant).
    Weights must be symmetric int8: anything else is an error naming the weight tensor."""
    if not isinstance(w_dq, graph.DequantizeOp | graph.DequantizeChannelsOp):
        return None
    const = w_dq.input.owner
    if not isinstance(const, graph.ConstOp):
        return None
    name = const.weight.data
    if graph.is_unsigned(graph.elem_of(w_dq.input)):
        raise QuantizationError(
            f"weights '{name}' are uint8: weights must be symmetric int8 (zero point 0)", at
        )
    if isinstance(w_dq, graph.DequantizeOp):
        scale, zp = dq_params(w_dq)
        if zp != 0:
            raise QuantizationError(
                f"weights '{name}' must be symmetric int8 (zero point {zp})", at
            )
        return np.array([scale])
    if w_dq.axis.value.data != 0:
        raise QuantizationError(
            "per-channel weight scales must be along the output channels (axis 0)", at
        )
    return np.asarray(w_dq.scales.get_values(), np.float64)


def _constant_bias(src) -> bool:
    b = src.bias.owner
    if isinstance(b, graph.DequantizeOp | graph.DequantizeChannelsOp):
        b = b.input.owner
    return isinstance(b, graph.ConstOp)


class FoldQuantizedLinear(RewritePattern):
    """quantize((relu)(conv|dense(dequantize(x), dequantize(W), dequantize(b))))
    → requantize(conv|dense_int(x, W, b')); W may be per-channel (as onnxruntime quantizes), x
    may have a zero point (see the module docstring)."""

    def __init__(self, pool: WeightPool, multiplier_bits: int):
        self.pool = pool
        self.multiplier_bits = multiplier_bits

    @op_type_rewrite_pattern
    def match_and_rewrite(self, q: graph.QuantizeOp, rewriter: PatternRewriter) -> None:
        src, relu = quantized_source(q)
        if not isinstance(src, graph.Conv2dOp | graph.DenseOp) or not src.output.has_one_use():
            return
        x_dq = int8_dequantize(src.input)
        if x_dq is None or graph.is_unsigned(graph.elem_of(q.output)):
            return  # a float island (e.g. uint8 that could not be made int8)
        at = f"node '{src.node_name}'"
        sw = weight_scales(src.weight.owner, at)
        if sw is None or (src.bias is not None and not _constant_bias(src)):
            return
        w_dq = src.weight.owner
        sx, zx = dq_params(x_dq)
        sy, zy = q.scale.value.data, q.zero_point.value.data
        weights = self.pool[w_dq.input.owner.weight.data]
        channels = weights.shape[0]
        acc_scales = sx * np.broadcast_to(sw, (channels,))
        new_ops = []
        bias = self._int_bias(src, acc_scales, at) if src.bias is not None else None
        if zx != 0:
            bias = self._fold_input_zero_point(bias, weights, zx, at)
        if bias is not None and not isinstance(bias, SSAValue):
            new_ops.append(bias)
            bias = bias.output
        x = x_dq.input
        out_type = TensorType(i32, graph.shape_of(src.output))
        if isinstance(src, graph.Conv2dOp) and zx != 0 and any(src.pads.get_values()):
            pad = self._pad(x, src.pads.get_values(), zx)
            pad.attributes["onnx_node"] = StringAttr(src.node_name)
            new_ops.append(pad)
            compute = graph.Conv2dOp(
                pad.output,
                w_dq.input,
                bias,
                src.strides.get_values(),
                [0, 0, 0, 0],
                src.dilations.get_values(),
                src.group.value.data,
                out_type,
            )
        else:
            compute = src.with_operands(x, w_dq.input, bias, out_type)
        compute.attributes["onnx_node"] = StringAttr(src.node_name)
        lo = max(-128, zy) if relu else -128
        ratios = acc_scales / sy
        shift = power_of_two_shift(ratios)
        if shift is not None:
            requant = graph.RequantizeOp(compute.output, shift, zy, lo, 127)
        else:  # arbitrary or per-channel scales: a fixed-point multiplier per channel
            bias_values = self.pool[bias.owner.weight.data] if bias is not None else None
            bound = accumulator_bound(weights, bias_values)
            m, pre, shift = bounded_fixed_point(ratios, bound, self.multiplier_bits, at)
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

    @staticmethod
    def _pad(x: SSAValue, pads, zx: int) -> graph.PadOp:
        """x padded with its zero point (the real value 0) as the convolution would pad it."""
        pt, pl, pb, pr = pads
        n, c, h, w = graph.shape_of(x)
        out = TensorType(graph.elem_of(x), (n, c, h + pt + pb, w + pl + pr))
        return graph.PadOp(
            x, out, pads=[0, 0, pt, pl, 0, 0, pb, pr], mode="constant", value=float(zx)
        )

    def _fold_input_zero_point(self, bias, weights: np.ndarray, zx: int, at: str):
        """b' = b − z_x·Σw per output channel, as a new int32 constant."""
        if bias is None:
            values, name = np.zeros(weights.shape[0], np.int64), "bias"
        else:
            owner = bias if isinstance(bias, graph.ConstOp) else bias.owner
            values, name = self.pool[owner.weight.data].astype(np.int64), owner.weight.data
        w_sums = weights.reshape(weights.shape[0], -1).astype(np.int64).sum(axis=1)
        folded = values - zx * w_sums
        if np.abs(folded).max(initial=0) >= 2**31:
            raise QuantizationError("the bias with the input zero point does not fit int32", at)
        key = self.pool.add(f"{name}.zx{zx}", folded.astype(np.int32))
        return graph.ConstOp(key, TensorType(i32, folded.shape))

    def _int_bias(self, src, acc_scales: np.ndarray, at: str):
        b = src.bias.owner
        if isinstance(b, graph.DequantizeOp | graph.DequantizeChannelsOp):
            if isinstance(b, graph.DequantizeOp):
                sb, zb = dq_params(b)
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
        else:
            values, name = self.pool[b.weight.data].astype(np.float64), b.weight.data
        q = quantize_bias(values, acc_scales, at)
        key = self.pool.add(f"{name}.i32", q)
        return graph.ConstOp(key, TensorType(i32, q.shape))
