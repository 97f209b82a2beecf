"""`insert-deps`: add the dependency tokens that let load, compute and store run concurrently.

Takes: an accel module whose program means sequential execution (no token flags).
Produces: the same instructions with pop/push flags (and, where a load must wait for a store or
the reverse, a no-op compute instruction `LOAD UOP x_size=0` relaying the token), such that every
execution the token queues allow gives the sequential result.

Each instruction's reads and writes (SRAM index ranges per buffer, DRAM byte ranges) are computed
from its fields and the micro-ops resident at that point. A vector clock per instruction records
the latest instruction of each module known to have finished before it starts; an instruction
that conflicts with a later one in another module gets a token pair from the latest instruction
of that module, unless the clock already covers the conflict (transitively, through compute).
Pushes and pops pair up in program order, so every token is consumed: the stream ends balanced.
"""

from __future__ import annotations

from dataclasses import dataclass

from xdsl.context import Context
from xdsl.dialects.builtin import ModuleOp
from xdsl.passes import ModulePass

from canopy_ir.accel_program import read_program
from canopy_ir.dialects import accel
from canopy_ir.hw import isa
from canopy_ir.hw.config import HwConfig
from canopy_ir.hw.isa import MemId, Module
from canopy_ir.hw.schedule import Footprints, Range


def _overlap(a: Range, b: Range) -> bool:
    return a[0] == b[0] and a[1] < b[2] and b[1] < a[2]


def _conflict(r1, w1, r2, w2) -> bool:
    return any(_overlap(a, b) for a in w1 for b in r2 + w2) or any(
        _overlap(a, b) for a in r1 for b in w2
    )


class _Tokens:
    """The stream being built, with a vector clock and the footprints seen per module."""

    def __init__(self):
        self.out: list[isa.Insn] = []
        self.layers: list[str | None] = []
        self.layer: str | None = None  # the layer of the instruction being added
        self.clock: list[list[int]] = []
        self.history: dict[Module, list[tuple[int, list[Range], list[Range]]]] = {
            m: [] for m in Module
        }

    def latest(self, m: Module) -> int:
        return self.history[m][-1][0] if self.history[m] else -1

    def emit(self, insn: isa.Insn, reads: list[Range], writes: list[Range]) -> int:
        prev = self.latest(insn.module)
        self.out.append(insn)
        self.layers.append(self.layer)
        self.clock.append(list(self.clock[prev]) if prev >= 0 else [-1, -1, -1])
        self.history[insn.module].append((len(self.out) - 1, reads, writes))
        return len(self.out) - 1

    def sync(self, j: int, producer: int) -> None:
        """out[j] (adjacent module) waits for out[producer]: one push/pop pair."""
        a, b = self.out[producer].module, self.out[j].module
        if a < b:
            self.out[producer].push_next, self.out[j].pop_prev = 1, 1
        else:
            self.out[producer].push_prev, self.out[j].pop_next = 1, 1
        self.clock[j] = [
            max(x, y) for x, y in zip(self.clock[j], self.clock[producer], strict=True)
        ]
        self.clock[j][a] = max(self.clock[j][a], producer)

    def latest_conflict(self, other: Module, own: int, reads, writes) -> int:
        """The latest instruction of module `other` that conflicts with (reads, writes) and that
        `own` (the last instruction of this module) is not yet known to follow; -1 if none."""
        known = self.clock[own][other] if own >= 0 else -1
        for i, r, w in reversed(self.history[other]):
            if i <= known:  # everything from here back is already ordered before us
                return -1
            if _conflict(r, w, reads, writes):
                return i
        return -1

    def covered(self, j: int, m: Module, index: int) -> bool:
        return j >= 0 and self.clock[j][m] >= index

    def add(self, insn: isa.Insn, reads: list[Range], writes: list[Range]) -> None:
        m = insn.module
        own = self.latest(m)
        needs = {
            other: self.latest_conflict(other, own, reads, writes) for other in Module if other != m
        }
        far = [o for o in needs if abs(o - m) == 2 and needs[o] >= 0]
        for other in far:  # load <-> store: route the token through a compute no-op
            if not self.covered(self.latest(Module.COMPUTE), other, needs[other]):
                relay = self.emit(isa.LoadInsn(memory_type=MemId.UOP), [], [])
                self.sync(relay, self.latest(other))
        j = self.emit(insn, reads, writes)
        # One producer per queue: the conflicting instruction itself (not a later one, so that
        # e.g. the next tile's loads wait only for the GEMM that used their buffer) — or, when a
        # load<->store dependency must pass through compute, the latest compute instruction.
        producers = {
            other: need
            for other, need in needs.items()
            if abs(other - m) == 1 and need >= 0 and not self.covered(j, other, need)
        }
        for other in far:
            via = producers.get(Module.COMPUTE)
            if not self.covered(j, other, needs[other]) and not self.covered(
                via if via is not None else -1, other, needs[other]
            ):
                producers[Module.COMPUTE] = self.latest(Module.COMPUTE)
        for producer in producers.values():
            self.sync(j, producer)


def insert_deps(
    insns: list[isa.Insn],
    cfg: HwConfig,
    uops: isa.Uops,
    table_offset: int,
    layers: list[str | None] | None = None,
) -> tuple[list[isa.Insn], list[str | None]]:
    """The stream with token flags (and relay no-ops), and the layer of each instruction. Each
    segment (up to and including a FINISH) gets its own tokens: the card runs segments as
    separate launches, with host work between them."""
    out: list[isa.Insn] = []
    out_layers: list[str | None] = []
    foot = tokens = None
    for k, insn in enumerate(insns):
        if tokens is None:
            foot, tokens = Footprints(cfg, uops, table_offset), _Tokens()
        insn = type(insn)(**insn.field_values())
        for flag in isa.DEP_FLAGS:
            setattr(insn, flag, 0)
        tokens.layer = layers[k] if layers else None
        tokens.add(insn, *foot.of(insn))
        if isinstance(insn, isa.FinishInsn) or k == len(insns) - 1:
            out += tokens.out
            out_layers += tokens.layers
            tokens = None
    return out, out_layers


@dataclass(frozen=True)
class InsertDepsPass(ModulePass):
    """Add the dependency tokens that let load, compute and store run concurrently."""

    name = "insert-deps"

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        program = read_program(op)
        insns, layers = insert_deps(
            program.insns, program.config, program.uops, program.uop_offset, program.layers
        )
        block = next(p for p in op.ops if isinstance(p, accel.ProgramOp)).body.block
        for child in list(block.ops):
            child.detach()
            child.erase()
        block.add_ops(
            accel.InsnOp.from_record(i, layer) for i, layer in zip(insns, layers, strict=True)
        )
        # The instruction ops come from records; `encode` runs the stream verifier on them (field
        # widths, buffer and DRAM bounds, tokens), so only the declarations are verified here: a
        # structural verify of every instruction op was a quarter of a large compile.
        for child in op.ops:
            if not isinstance(child, accel.ProgramOp):
                child.verify()
