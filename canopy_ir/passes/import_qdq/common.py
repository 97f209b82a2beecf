"""What import-qdq's patterns share: reading quantization parameters, recognising int8 tensors
that a `graph.dequantize` turns into floats, rebuilding layout ops on other element types."""

from __future__ import annotations

import numpy as np
from xdsl.dialects.builtin import TensorType, i8
from xdsl.ir import Operation, SSAValue

from canopy_ir.dialects import graph
from canopy_ir.interpreters.graph import constant_results
from canopy_ir.ir import WeightPool


def dq_params(op: graph.DequantizeOp | graph.QuantizeOp) -> tuple[float, int]:
    return op.scale.value.data, op.zero_point.value.data


def is_int8(value: SSAValue) -> bool:
    """A signed 8-bit tensor (uint8 ones are made int8 first, see `signed`)."""
    return graph.elem_of(value) == i8


def int8_dequantize(value: SSAValue) -> graph.DequantizeOp | None:
    """The per-tensor dequantize of an int8 tensor that produces `value`, if any."""
    dq = value.owner
    return dq if isinstance(dq, graph.DequantizeOp) and is_int8(dq.input) else None


def where(op: Operation) -> str:
    return f"node '{op.node_name}'" if isinstance(op, graph.GraphOp) else op.name


def retyped(op: Operation, operand: SSAValue, elem, **props) -> Operation:
    """`op` (one operand, one result) rebuilt over `operand` with result element type `elem` and
    the same shape, properties (some replaced by `props`) and attributes."""
    properties = dict(op.properties)
    for key, value in props.items():
        properties[key] = value
    return type(op).create(
        operands=[operand],
        result_types=[TensorType(elem, graph.shape_of(op.results[0]))],
        properties=properties,
        attributes=dict(op.attributes),
    )


def int8_type(value: SSAValue) -> TensorType:
    return TensorType(i8, graph.shape_of(value))


def constant_value(value: SSAValue, pool: WeightPool) -> np.ndarray | None:
    """The value of a constant, or of a dequantized constant (computed as the dequantize
    computes it); None for anything else."""
    op = value.owner
    if not isinstance(op, graph.ConstOp | graph.DequantizeOp | graph.DequantizeChannelsOp):
        return None
    results = constant_results(op, pool)
    return None if results is None else results[0]


def quantized_source(q: graph.QuantizeOp) -> tuple[Operation | None, bool]:
    """The op whose result `q` quantizes, looking through a Relu used only there, and whether
    there was one (it becomes the integer op's clip)."""
    src, relu = q.input.owner, False
    if isinstance(src, graph.ReluOp) and src.output.has_one_use():
        src, relu = src.input.owner, True
    return src, relu
