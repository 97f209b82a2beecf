"""Stage-by-stage evaluation helpers for tests (they live in canopy_ir.fuzz.stages)."""

from canopy_ir.compiler.pipeline import run_passes
from canopy_ir.fuzz.stages import graph_output, integer_graph, io_specs, run_lowered
from canopy_ir.interpreters.accel import run_accel
from canopy_ir.interpreters.tile import run_tile

__all__ = [
    "graph_output",
    "integer_graph",
    "io_specs",
    "run_accel",
    "run_lowered",
    "run_passes",
    "run_tile",
]
