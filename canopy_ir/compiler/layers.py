"""The model's layers as the user knows them (ONNX node, op, shapes, MACs, target), read from the
integer graph; the compiler stores them in the artefact's manifest for reports."""

from __future__ import annotations

import numpy as np
from xdsl.dialects.builtin import ModuleOp

from canopy_ir.dialects import graph
from canopy_ir.passes.graph_to_tile.support import (
    ACCELERATOR,
    HOST,
    REASON,
    is_boundary,
    target_of,
)


def _shape(value) -> list[int]:
    return [int(d) for d in graph.shape_of(value)]


# Accelerator kernels of their own without multiply-accumulates (pooling, adds, layout copies).
KERNEL_OPS = (
    graph.PoolOp,
    graph.QAvgPoolOp,
    graph.QAddOp,
    graph.RescaleOp,
    graph.QAffineOp,
    graph.ConcatOp,
    graph.PadOp,
)


def _conv_label(op: graph.Conv2dOp) -> str:
    kh, kw = _shape(op.weight)[2:]
    strides = op.strides.get_values()
    group, channels = op.group.value.data, _shape(op.input)[1]
    label = f"conv {kh}x{kw}"
    if group > 1:
        label = ("depthwise " if group == channels else f"grouped({group}) ") + label
    if any(s != 1 for s in strides):
        label += f" /{strides[0]}"
    return label


def layer_info(module: ModuleOp) -> list[dict]:
    """One entry per layer of an integer graph (after `import-qdq`; targets from
    `graph-partition` when it ran): name, op, input and output shapes, multiply-accumulates, and
    where it runs. Ops fused into a layer (its requantization, a flatten folded into a dense
    layer) and the model's boundary (de)quantization are not rows of their own."""
    rows, seen = [], set()
    for op in module.walk():
        if not isinstance(op, graph.GraphOp) or isinstance(op, graph.ConstOp):
            continue
        target = target_of(op)
        if isinstance(op, graph.Conv2dOp):
            out = _shape(op.output)
            macs = int(np.prod(out)) * int(np.prod(_shape(op.weight)[1:]))
            row = _row(op.node_name, _conv_label(op), _shape(op.input), out, macs, target)
        elif isinstance(op, graph.DenseOp):
            out = _shape(op.output)
            macs = int(np.prod(out)) * _shape(op.input)[-1]
            row = _row(op.node_name, "dense", _shape(op.input), out, macs, target)
        elif isinstance(op, KERNEL_OPS) and target == ACCELERATOR:
            # a zero-point pad carries its convolution's node name: keep both rows
            name = op.node_name + (".pad" if isinstance(op, graph.PadOp) else "")
            label = op.name.removeprefix("graph.")
            row = _row(name, label, _shape(op.operands[0]), _shape(op.results[0]), 0, target)
        elif target != HOST or is_boundary(op):
            continue  # fused into an accelerator layer, or not partitioned yet
        else:
            shape_in = _shape(op.operands[0]) if op.operands else []
            row = _row(
                op.node_name,
                op.name.removeprefix("graph."),
                shape_in,
                _shape(op.results[0]),
                0,
                HOST,
            )
            row["reason"] = op.attributes[REASON].data if REASON in op.attributes else ""
        if row["name"] not in seen:
            seen.add(row["name"])
            rows.append(row)
    return rows


def _row(name, op, shape_in, shape_out, macs, target=None) -> dict:
    return {
        "name": name,
        "op": op,
        "input_shape": shape_in,
        "output_shape": shape_out,
        "macs": macs,
        "target": target or ACCELERATOR,
    }


def partition_summary(layers: list[dict]) -> dict[str, dict[str, int]]:
    """Layers and MACs per target."""
    summary: dict[str, dict[str, int]] = {}
    for row in layers:
        entry = summary.setdefault(row["target"], {"layers": 0, "macs": 0})
        entry["layers"] += 1
        entry["macs"] += row["macs"]
    return summary


TABLE_COLUMNS = ("layer", "op", "output", "cycles", "GEMM util.", "DRAM bytes", "bound")


def cycle_rows(report, layers: list[dict]) -> list[dict]:
    """The cycle model's per-layer figures (`canopy_ir.hw.cycles.CycleReport`) joined with the
    model's layers (`layer_info` rows): name, op, output shape, cycles, GEMM utilisation, DRAM
    bytes, bound (what the layer waits on most: compute = GEMM, ALU, memory), MACs. Instructions
    of no layer (the closing FINISH) are left out."""
    info = {row["name"]: row for row in layers}
    rows = []
    for layer in report.layers:
        if layer.name == "(other)":
            continue
        meta = info.get(layer.name, {})
        rows.append(
            {
                "layer": layer.name,
                "op": meta.get("op", ""),
                "output": meta.get("output_shape", []),
                "cycles": layer.cycles,
                "utilisation": report.layer_utilization(layer),
                "dram_bytes": layer.dram_bytes,
                "bound": layer.bound,
                "macs": layer.macs,
            }
        )
    return rows


def markdown_table(rows: list[dict]) -> str:
    """`cycle_rows` as a markdown table."""
    lines = ["| " + " | ".join(TABLE_COLUMNS) + " |", "|---|---|---|" + "---:|" * 3 + "---|"]
    for r in rows:
        shape = "×".join(str(d) for d in r["output"])
        lines.append(
            f"| {r['layer']} | {r['op']} | {shape} | {r['cycles']} | {r['utilisation']:.1%} | "
            f"{r['dram_bytes']} | {r['bound']} |"
        )
    return "\n".join(lines)
