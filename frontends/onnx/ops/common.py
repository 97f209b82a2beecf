"""Building blocks shared by the converters: int lists given as attribute or constant input,
scalar and fresh constants, broadcasting binary ops, one-input `graph.unary` ops."""

from __future__ import annotations

import numpy as np
import onnx
from xdsl.dialects.builtin import TensorType
from xdsl.ir import SSAValue

from canopy_ir.dialects import graph
from canopy_ir.frontends.onnx.importer import _Importer
from canopy_ir.frontends.onnx.nodes import attributes, node_name, opt_input
from canopy_ir.ir import elem_to_numpy


def extra_outputs_used(imp: _Importer, node: onnx.NodeProto) -> bool:
    """Whether any output but the first is consumed (optional outputs are often declared and
    left unused, e.g. Dropout's mask in old exporters)."""
    return any(o and o in imp.used for o in node.output[1:])


def ints_input(imp: _Importer, node, index: int, attr: str, what: str) -> list[int] | None:
    """An int list given as attribute (older opsets) or constant input (newer)."""
    a = attributes(node)
    if attr in a:
        return [int(v) for v in a[attr]]
    name = opt_input(node, index)
    return None if name is None else [int(v) for v in imp.const(name, node, what).reshape(-1)]


def scalar(imp: _Importer, value: float, like: SSAValue, node) -> SSAValue:
    """A constant scalar tensor of `like`'s element type."""
    dtype = elem_to_numpy(graph.elem_of(like))
    key = f"{node_name(node)}.const{len(imp.consts)}"
    imp.consts[key] = np.asarray(value, dtype)
    return imp.value(key, node)


def fresh_const(imp: _Importer, name: str, array: np.ndarray) -> str:
    """Add `array` (e.g. a transposed copy of constant `name`) as a new constant; its key."""
    key = f"{name}.{len(imp.consts)}"
    imp.consts[key] = np.ascontiguousarray(array)
    return key


def binary(imp, node, cls, a: SSAValue, b: SSAValue, result_type=None) -> SSAValue:
    """The two-operand graph op `cls` on `a` and `b`; by default typed with their broadcast
    shape and `a`'s element type."""
    if result_type is None:
        shape = np.broadcast_shapes(graph.shape_of(a), graph.shape_of(b))
        result_type = TensorType(graph.elem_of(a), shape)
    return imp.emit(cls(a, b, result_type), node).output


def unary(fn: str):
    """The converter of a one-input op imported as `graph.unary` with function `fn`."""

    def convert(imp: _Importer, node: onnx.NodeProto) -> None:
        imp.set(node, graph.UnaryOp(imp.value(node.input[0], node), fn))

    return convert
