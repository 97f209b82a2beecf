"""Per-layer quantization error: each quantized layer's int8 output, dequantized, against the
same layer's output in the float (or QDQ-as-float) model, on sample inputs."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from xdsl.dialects.builtin import ModuleOp

from canopy_ir.dialects import graph
from canopy_ir.interpreters.graph import evaluate_all


@dataclass
class LayerError:
    layer: str
    sqnr_db: float
    max_abs_error: float
    max_abs_value: float


def _float_outputs(module: ModuleOp) -> dict[str, object]:
    """Layer name -> the SSA value of its output (after a relu that only it feeds)."""
    out = {}
    for op in module.walk():
        if isinstance(op, graph.Conv2dOp | graph.DenseOp):
            value = op.output
            users = list(value.uses)
            if len(users) == 1 and isinstance(users[0].operation, graph.ReluOp):
                value = users[0].operation.output
            out[op.node_name] = value
    return out


def quantization_report(float_module: ModuleOp, int_module: ModuleOp, samples) -> list[LayerError]:
    float_values = _float_outputs(float_module)
    requants = {
        op.attributes["layer"].data: op
        for op in int_module.walk()
        if isinstance(op, graph.RequantizeOp) and "layer" in op.attributes
    }
    signal: dict[str, float] = {}
    noise: dict[str, float] = {}
    worst: dict[str, float] = {}
    peak: dict[str, float] = {}
    for inputs in samples:
        f_all = evaluate_all(float_module, *inputs)
        q_all = evaluate_all(int_module, *inputs)
        for layer, rq in requants.items():
            if layer not in float_values:
                continue
            ref = f_all[float_values[layer]].astype(np.float64)
            got = q_all[rq.output].astype(np.float64) * rq.attributes["output_scale"].value.data
            signal[layer] = signal.get(layer, 0.0) + float(np.sum(ref**2))
            noise[layer] = noise.get(layer, 0.0) + float(np.sum((ref - got) ** 2))
            worst[layer] = max(worst.get(layer, 0.0), float(np.abs(ref - got).max()))
            peak[layer] = max(peak.get(layer, 0.0), float(np.abs(ref).max()))
    return [
        LayerError(
            layer,
            10 * np.log10(signal[layer] / max(noise[layer], 1e-30)),
            worst[layer],
            peak[layer],
        )
        for layer in requants
        if layer in signal
    ]


def print_report(rows: list[LayerError], console) -> None:
    from rich.table import Table

    table = Table(title="quantization error per layer (int8 vs float)")
    for column in ("layer", "SQNR dB", "max |error|", "max |value|"):
        table.add_column(column, justify="left" if column == "layer" else "right")
    for row in rows:
        table.add_row(
            row.layer, f"{row.sqnr_db:.1f}", f"{row.max_abs_error:.4g}", f"{row.max_abs_value:.4g}"
        )
    console.print(table)
