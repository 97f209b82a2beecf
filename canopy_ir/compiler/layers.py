"""The model's layers as the user knows them (ONNX node, op, shapes, MACs, target), read from the
integer graph; the compiler stores them in the artefact's manifest for reports."""

from __future__ import annotations

import numpy as np
from xdsl.dialects.builtin import ModuleOp

from canopy_ir.dialects import graph

ACCELERATOR = "accelerator"
HOST = "host"


def _shape(value) -> list[int]:
    return [int(d) for d in graph.shape_of(value)]


def _conv_label(op: graph.Conv2dOp) -> str:
    kh, kw = _shape(op.weight)[2:]
    strides = op.strides.get_values()
    label = f"conv {kh}x{kw}"
    if any(s != 1 for s in strides):
        label += f" /{strides[0]}"
    return label


def layer_info(module: ModuleOp) -> list[dict]:
    """One entry per layer of an integer graph (after `import-qdq`): name, op, input and output
    shapes, multiply-accumulates, and where it runs."""
    rows = []
    for op in module.walk():
        if isinstance(op, graph.Conv2dOp):
            out = _shape(op.output)
            w = _shape(op.weight)
            macs = int(np.prod(out)) * int(np.prod(w[1:]))
            rows.append(_row(op.node_name, _conv_label(op), _shape(op.input), out, macs))
        elif isinstance(op, graph.DenseOp):
            out = _shape(op.output)
            macs = int(np.prod(out)) * _shape(op.input)[-1]
            rows.append(_row(op.node_name, "dense", _shape(op.input), out, macs))
    return rows


def _row(name, op, shape_in, shape_out, macs) -> dict:
    # Every layer that reaches the accelerator pipeline runs there; host fallback is future work.
    return {
        "name": name,
        "op": op,
        "input_shape": shape_in,
        "output_shape": shape_out,
        "macs": macs,
        "target": ACCELERATOR,
    }


def partition_summary(layers: list[dict]) -> dict[str, dict[str, int]]:
    """Layers and MACs per target."""
    summary: dict[str, dict[str, int]] = {}
    for row in layers:
        entry = summary.setdefault(row["target"], {"layers": 0, "macs": 0})
        entry["layers"] += 1
        entry["macs"] += row["macs"]
    return summary
