"""uint8 activations become int8 before import-qdq folds anything: q − 128 with zero point
z − 128 denotes the same real values, and QuantizeLinear's saturation to [0, 255] shifted by −128
is the saturation to [−128, 127] of round(x / s) + (z − 128), so the rewrite is exact.

It applies to a uint8 tensor made by `graph.quantize` when every use of it (through layout ops
that only move values: reshape, transpose, slice, max pooling, pad) ends in `graph.dequantize`;
other uint8 tensors (a model's uint8 input or output) stay as they are."""

from __future__ import annotations

from xdsl.dialects.builtin import FloatAttr, ModuleOp, f64, i8
from xdsl.ir import Operation, SSAValue
from xdsl.rewriter import Rewriter

from canopy_ir.dialects import graph
from canopy_ir.passes.import_qdq.common import int8_type, retyped

_LAYOUT = (graph.ReshapeOp, graph.TransposeOp, graph.SliceOp, graph.PoolOp, graph.PadOp)


def _moves_values(op: Operation) -> bool:
    if isinstance(op, graph.PoolOp):
        return op.kind.data == "max"  # an average would compute with the values
    return isinstance(op, _LAYOUT)


def _region(start: SSAValue) -> set[Operation] | None:
    """The layout ops and dequantizes that use `start`, transitively; None if any other op
    (or a return) uses it."""
    region: set[Operation] = set()
    todo = [start]
    while todo:
        for use in todo.pop().uses:
            user = use.operation
            if isinstance(user, graph.DequantizeOp):
                region.add(user)
            elif _moves_values(user):
                region.add(user)
                todo.append(user.results[0])
            else:
                return None
    return region


def make_activations_signed(module: ModuleOp) -> None:
    """Rewrite every convertible uint8 activation as int8 (see the module docstring)."""
    quantizes = [
        op
        for op in module.walk()
        if isinstance(op, graph.QuantizeOp) and graph.is_unsigned(graph.elem_of(op.output))
    ]
    for q in quantizes:
        region = _region(q.output)
        if region is None:
            continue
        scale, zp = q.scale.value.data, q.zero_point.value.data
        new_q = graph.QuantizeOp(q.input, scale, zp - 128, int8_type(q.output))
        new_q.attributes.update(q.attributes)
        Rewriter.replace_op(q, new_q)
        # Users come after their operands in the block, so each sees its operand rewritten.
        for op in [op for op in module.walk() if op in region]:
            operand = op.operands[0]
            if isinstance(op, graph.DequantizeOp):
                new = graph.DequantizeOp(
                    operand, op.scale.value.data, op.zero_point.value.data - 128, op.output.type
                )
                new.attributes.update(op.attributes)
            elif isinstance(op, graph.PadOp) and op.mode.data == "constant":
                value = FloatAttr(op.value.value.data - 128, f64)
                new = retyped(op, operand, i8, value=value)
            else:
                new = retyped(op, operand, i8)
            Rewriter.replace_op(op, new)
