"""`graph-partition`: assign every op of an integer graph to the accelerator or the host.

Takes: a graph module after `import-qdq` (int8 layers, float islands where quantization stopped).
Produces: the same module, every op of `@main` (but constants and the return) annotated with
`canopy.target = "accelerator" | "host"` and, on host ops, `canopy.reason` saying why. What the
accelerator runs is decided in one place (`graph_to_tile.support.accel_reason`), so this pass and
`graph-to-tile` cannot disagree. Consecutive accelerator ops become one instruction segment later;
only tensors that cross between the two targets cross PCIe at run time.

With `accel_only`, any op the host would run is an error naming it, except the model's own input
quantization and output dequantization (float in and out of the card is the host's job).
"""

from __future__ import annotations

from dataclasses import dataclass

from xdsl.context import Context
from xdsl.dialects.builtin import ModuleOp
from xdsl.passes import ModulePass

from canopy_ir.passes.graph_to_tile.support import annotate


@dataclass(frozen=True)
class PartitionPass(ModulePass):
    """Assign every graph op to the accelerator or the host (`canopy.target`, `canopy.reason`)."""

    name = "graph-partition"
    accel_only: bool = False  # any host op (but the model's boundary) is an error

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        annotate(op, self.accel_only)
