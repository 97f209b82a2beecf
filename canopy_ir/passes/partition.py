"""`graph-partition`: assign every op of an integer graph to the accelerator or the host.

Takes: a graph module after `import-qdq` (int8 layers, float islands where quantization stopped).
Produces: the same module, every op of `@main` (but constants and the return) annotated with
`canopy.target = "accelerator" | "host"` and, on host ops, `canopy.reason` saying why. What the
accelerator runs is decided in one place (`graph_to_tile.support.accel_reason`), so this pass and
`graph-to-tile` cannot disagree. Consecutive accelerator ops become one instruction segment later;
only tensors that cross between the two targets cross PCIe at run time.

`target` names what the artefact runs on: `sim` (the simulated card) and `accel-opencl` (the
accelerator as an OpenCL kernel, host ops as generated OpenCL) split the model as above;
`opencl` puts every op on the host, where the runtime runs them as generated OpenCL kernels, so
the accelerator's stream is a lone FINISH. With `accel_only`, any op the host would run is an
error naming it, except the model's own input quantization and output dequantization (float in
and out of the card is the host's job).
"""

from __future__ import annotations

from dataclasses import dataclass

from xdsl.context import Context
from xdsl.dialects import func
from xdsl.dialects.builtin import ModuleOp, StringAttr
from xdsl.passes import ModulePass

from canopy_ir.errors import CanopyError
from canopy_ir.passes.graph_to_tile.support import HOST, REASON, TARGET, annotate

TARGETS = ("sim", "opencl", "accel-opencl")
ALL_HOST = "--target opencl runs every op as a generated OpenCL kernel"
TARGET_ATTR = "canopy.compile_target"  # on the module: the artefact's `target`


def check_target(target: str) -> str:
    if target not in TARGETS:
        raise CanopyError(f"unknown target '{target}' (one of {', '.join(TARGETS)})")
    return target


@dataclass(frozen=True)
class PartitionPass(ModulePass):
    """Assign every graph op to the accelerator or the host (`canopy.target`, `canopy.reason`)."""

    name = "graph-partition"
    accel_only: bool = False  # any host op (but the model's boundary) is an error
    target: str = "sim"  # sim | opencl | accel-opencl

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        check_target(self.target)
        if self.target == "opencl" and self.accel_only:
            raise CanopyError("--accel-only contradicts --target opencl (no accelerator ops)")
        # The driver reads the target back from the module when it writes the artefact, so a
        # pipeline given as text (canopy-opt, --pipeline) records it as well; sim, the default,
        # leaves no mark (the IR of existing pipelines stays as it was).
        if self.target != "sim":
            op.attributes[TARGET_ATTR] = StringAttr(self.target)
        else:
            op.attributes.pop(TARGET_ATTR, None)
        if self.target != "opencl":
            annotate(op, self.accel_only)
            return
        main = next((o for o in op.ops if isinstance(o, func.FuncOp)), None)
        if main is None:
            annotate(op)  # its error names what is missing
            return
        for inner in main.body.block.ops:
            if not isinstance(inner, func.ReturnOp) and inner.name != "graph.const":
                inner.attributes[TARGET] = StringAttr(HOST)
                inner.attributes[REASON] = StringAttr(ALL_HOST)
