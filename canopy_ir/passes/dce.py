"""`graph-dce`: remove graph ops whose results are unused (they are all side-effect free)."""

from __future__ import annotations

from dataclasses import dataclass

from xdsl.context import Context
from xdsl.dialects.builtin import ModuleOp
from xdsl.passes import ModulePass
from xdsl.transforms.dead_code_elimination import dce


@dataclass(frozen=True)
class DeadCodeEliminationPass(ModulePass):
    """Remove graph ops whose results are unused."""

    name = "graph-dce"

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        dce(op)
        op.verify()
