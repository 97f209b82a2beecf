"""Reading ONNX nodes: their display name, attributes and optional inputs, and the error raised
for a node the importer cannot take. Shared by the importer core and every converter."""

from __future__ import annotations

import onnx

from canopy_ir.errors import UnsupportedOpError


def node_name(node: onnx.NodeProto) -> str:
    """The name errors and the `onnx_node` attribute use: the node's, else its first output's."""
    return node.name or node.output[0]


def where(node: onnx.NodeProto) -> str:
    """Where an error happened, for `FrontendError`."""
    return f"node '{node_name(node)}' ({node.op_type})"


def attributes(node: onnx.NodeProto) -> dict:
    """The node's attributes by name, as Python values."""
    return {a.name: onnx.helper.get_attribute_value(a) for a in node.attribute}


def str_attr(value, default: str) -> str:
    """A string attribute's value (ONNX gives bytes), or `default` when it is absent."""
    if value is None:
        return default
    return value.decode() if isinstance(value, bytes) else value


def unsupported(node: onnx.NodeProto, why: str) -> UnsupportedOpError:
    """The error for a node that cannot be imported, and why (raise it)."""
    return UnsupportedOpError([(node_name(node), node.op_type, why)])


def opt_input(node: onnx.NodeProto, i: int) -> str | None:
    """The name of optional input `i`, or None when it is absent or empty."""
    return node.input[i] if len(node.input) > i and node.input[i] else None
