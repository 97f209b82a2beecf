"""The cycle model's timeline as a Chrome trace (the trace-event JSON format that chrome://tracing
and Perfetto read): one track per module (load, compute, store) with every instruction as a span
from its start to its end cycle, and one track with the span of each model layer."""

from __future__ import annotations

from canopy_ir.hw import isa
from canopy_ir.hw.cycles import CycleReport
from canopy_ir.hw.isa import Module

_TRACKS = {Module.LOAD: 1, Module.COMPUTE: 2, Module.STORE: 3}
_LAYER_TRACK = 4


def _label(insn: isa.Insn) -> str:
    if isinstance(insn, isa.LoadInsn):
        return f"LOAD {isa.MemId(insn.memory_type).name.lower()}"
    if isinstance(insn, isa.AluInsn):
        return f"ALU {isa.AluOp(insn.alu_opcode).name.lower()}"
    if isinstance(insn, isa.GemmInsn) and insn.reset_reg:
        return "GEMM reset"
    return insn.opcode.name


def chrome_trace(
    insns: list[isa.Insn], report: CycleReport, layers: list[str | None] | None = None
) -> dict:
    """Trace events for `insns` timed by `report` (a `cycle_model` of the same stream)."""
    mhz = report.config.CLOCK_MHZ  # cycles per microsecond: trace timestamps are microseconds
    events: list[dict] = [
        {"name": "process_name", "ph": "M", "pid": 1, "args": {"name": "card (cycle model)"}},
        *(
            {"name": "thread_name", "ph": "M", "pid": 1, "tid": tid, "args": {"name": m.name}}
            for m, tid in _TRACKS.items()
        ),
        {
            "name": "thread_name",
            "ph": "M",
            "pid": 1,
            "tid": _LAYER_TRACK,
            "args": {"name": "layers"},
        },
    ]
    for k, insn in enumerate(insns):
        start, end = report.start[k], report.end[k]
        layer = (layers[k] if layers else None) or "(other)"
        events.append(
            {
                "name": _label(insn),
                "cat": "instruction",
                "ph": "X",
                "ts": start / mhz,
                "dur": (end - start) / mhz,
                "pid": 1,
                "tid": _TRACKS[insn.module],
                "args": {"index": k, "layer": layer, "start_cycle": start, "end_cycle": end},
            }
        )
    for layer in report.layers:
        events.append(
            {
                "name": layer.name,
                "cat": "layer",
                "ph": "X",
                "ts": layer.first_start / mhz,
                "dur": layer.cycles / mhz,
                "pid": 1,
                "tid": _LAYER_TRACK,
                "args": {
                    "cycles": layer.cycles,
                    "macs": layer.macs,
                    "dram_bytes": layer.dram_bytes,
                },
            }
        )
    return {
        "traceEvents": events,
        "displayTimeUnit": "ns",
        "otherData": {
            "clock_mhz": mhz,
            "total_cycles": report.total_cycles,
            "gemm_utilisation": report.utilization,
        },
    }
