"""`import-qdq`: fold the QuantizeLinear/DequantizeLinear pairs of a QDQ model into integer ops.

Takes: a graph module straight from the ONNX importer, where quantized tensors appear as
`graph.dequantize` → float op → `graph.quantize` chains (QOperator models import in that form
too).
Produces: integer ops on int8 tensors that may carry zero points — `graph.conv2d`/`graph.dense`
(int8 × int8 + int32 bias → int32) followed by `graph.requantize` (int32 → int8), `graph.qadd`,
`graph.qavg_pool`, `graph.qaffine` (a BatchNormalization between quantizations, as
quantize_static leaves it without quant_pre_process), `graph.rescale`, and integer reshapes,
transposes, slices, max pooling, padding, concatenation, ReLUs and clips — with only the model's
input `quantize` and output `dequantize` in float (they run on the host). What it cannot convert
(Softmax, Sigmoid, Mul, ...) stays a float island, dequantize → float op → quantize, for the
host; the constants such an island dequantizes become float constants.

uint8 activations become int8 first (`signed`: values and zero points − 128, exact). Input zero
points fold into the convolution's bias, with explicit zero-point padding (`linear`).
Requantization is a rounding shift when s_x · s_w / s_y is a power of two, and otherwise a
fixed-point multiplier (one per output channel for per-channel weights, `multiplier_bits` wide)
between a pre-shift that keeps the product inside 32 bits and a rounding shift. ONNX rounds half
to even and in float: results differ by at most one step, on ties and near-ties only. Weights must
be symmetric int8 (zero point 0); anything else is an error naming the weight tensor.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from xdsl.context import Context
from xdsl.dialects.builtin import ModuleOp
from xdsl.passes import ModulePass
from xdsl.pattern_rewriter import GreedyRewritePatternApplier, PatternRewriteWalker
from xdsl.rewriter import Rewriter
from xdsl.transforms.dead_code_elimination import dce

from canopy_ir.dialects import graph
from canopy_ir.ir import pool_of
from canopy_ir.passes.import_qdq.common import constant_value
from canopy_ir.passes.import_qdq.integer_ops import (
    FoldClipIntoRequantize,
    FoldQuantizedAdd,
    FoldQuantizedAvgPool,
    FoldQuantizedBatchNorm,
    FoldQuantizeDequantize,
    FoldReluIntoRequantize,
    QuantizeConcat,
    QuantizeThroughClip,
    SinkDequantize,
)
from canopy_ir.passes.import_qdq.linear import FoldQuantizedLinear
from canopy_ir.passes.import_qdq.signed import make_activations_signed
from canopy_ir.quant import QDQ_MULTIPLIER_BITS


@dataclass(frozen=True)
class ImportQdqPass(ModulePass):
    """Fold a QDQ model's QuantizeLinear/DequantizeLinear pairs into integer ops."""

    name = "import-qdq"
    multiplier_bits: int = QDQ_MULTIPLIER_BITS  # fixed-point multipliers for other scales

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        make_activations_signed(op)
        bits = self.multiplier_bits
        patterns = [
            FoldQuantizedLinear(pool_of(op), bits),
            FoldQuantizedAdd(bits),
            FoldQuantizedAvgPool(bits),
            FoldQuantizedBatchNorm(pool_of(op)),
            QuantizeConcat(),
            SinkDequantize(),
            FoldQuantizeDequantize(bits),
            FoldReluIntoRequantize(),
            QuantizeThroughClip(),
            FoldClipIntoRequantize(),
        ]
        PatternRewriteWalker(GreedyRewritePatternApplier(patterns)).rewrite_module(op)
        fold_constant_dequantizes(op)
        dce(op)
        op.verify()


def fold_constant_dequantizes(module: ModuleOp) -> None:
    """What is still dequantized from a constant (the quantized parameters of a float island,
    e.g. a BatchNormalization's scale and bias) becomes a float constant, computed as running
    the dequantize would compute it: a model constant, not host work on every run."""
    pool = pool_of(module)
    kinds = graph.DequantizeOp | graph.DequantizeChannelsOp
    for dq in [o for o in module.walk() if isinstance(o, kinds)]:
        value = constant_value(dq.output, pool)
        if value is None:
            continue
        name = pool.add(f"{dq.node_name}.folded", np.asarray(value))
        Rewriter.replace_op(dq, graph.ConstOp(name, dq.output.type))


__all__ = ["ImportQdqPass"]
