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

import numpy as np
from xdsl.context import Context
from xdsl.dialects.builtin import ModuleOp
from xdsl.passes import ModulePass

from canopy_ir import isa
from canopy_ir.accel_program import read_program
from canopy_ir.dialects import accel
from canopy_ir.hwconfig import HwConfig
from canopy_ir.isa import MemId, Module

Range = tuple[str, int, int]  # (space, lo, hi) with hi exclusive
EVERYTHING = ("dram", 0, 1 << 62)


def _loop_range(bases: np.ndarray, insn, f: str) -> tuple[int, int]:
    if len(bases) == 0:
        return (0, 0)
    hi = (
        int(bases.max())
        + (insn.iter_out - 1) * getattr(insn, f"{f}_factor_out")
        + (insn.iter_in - 1) * getattr(insn, f"{f}_factor_in")
        + 1
    )
    return int(bases.min()), hi


class _Footprints:
    """Reads and writes of each instruction, tracking which micro-ops are on chip."""

    def __init__(self, cfg: HwConfig, uops: isa.Uops):
        self.cfg = cfg
        self.table = (
            np.stack([uops.dst, uops.src, uops.wgt], axis=1)
            if len(uops)
            else np.zeros((0, 3), np.int64)
        )
        self.uop_buf = np.zeros((cfg.depth("uop"), 3), np.int64)
        self.table_base = 0

    def of(self, insn: isa.Insn) -> tuple[list[Range], list[Range]]:
        cfg = self.cfg
        if isinstance(insn, isa.FinishInsn):
            return [EVERYTHING], []
        if isinstance(insn, isa.LoadInsn | isa.StoreInsn):
            if insn.x_size == 0:
                return [], []
            mem = MemId(insn.memory_type)
            space = {
                MemId.UOP: "uop",
                MemId.INP: "inp",
                MemId.WGT: "wgt",
                MemId.ACC: "acc",
                MemId.ACC_8BIT: "acc",
                MemId.OUT: "acc",
            }[mem]
            dram = ("dram", *isa.dram_span(insn, cfg))
            if isinstance(insn, isa.StoreInsn):
                return [("acc", insn.sram_base, insn.sram_base + insn.y_size * insn.x_size)], [dram]
            count = (insn.y_pad_0 + insn.y_size + insn.y_pad_1) * (
                insn.x_pad_0 + insn.x_size + insn.x_pad_1
            )
            if mem == MemId.UOP:
                rows = self.table[insn.dram_base - self.table_base :][: insn.y_size * insn.x_size]
                self.uop_buf[insn.sram_base : insn.sram_base + len(rows)] = rows
            return [dram], [(space, insn.sram_base, insn.sram_base + count)]
        uops = self.uop_buf[insn.uop_bgn : insn.uop_end]
        uop_read = ("uop", insn.uop_bgn, insn.uop_end)
        dst = ("acc", *_loop_range(uops[:, 0], insn, "dst"))
        if isinstance(insn, isa.GemmInsn):
            if insn.reset_reg:
                return [uop_read], [dst]
            return [
                uop_read,
                ("inp", *_loop_range(uops[:, 1], insn, "src")),
                ("wgt", *_loop_range(uops[:, 2], insn, "wgt")),
            ], [dst]
        reads = [uop_read, dst] + (
            [] if insn.use_imm else [("acc", *_loop_range(uops[:, 1], insn, "src"))]
        )
        return reads, [dst]


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
        self.clock: list[list[int]] = []
        self.history: dict[Module, list[tuple[int, list[Range], list[Range]]]] = {
            m: [] for m in Module
        }

    def latest(self, m: Module) -> int:
        return self.history[m][-1][0] if self.history[m] else -1

    def emit(self, insn: isa.Insn, reads: list[Range], writes: list[Range]) -> int:
        prev = self.latest(insn.module)
        self.out.append(insn)
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

    def covered(self, j: int, m: Module, index: int) -> bool:
        return j >= 0 and self.clock[j][m] >= index

    def add(self, insn: isa.Insn, reads: list[Range], writes: list[Range]) -> None:
        m = insn.module
        own = self.latest(m)
        needs = {}
        for other in Module:
            if other != m:
                needs[other] = max(
                    (
                        i
                        for i, r, w in reversed(self.history[other])
                        if not self.covered(own, other, i) and _conflict(r, w, reads, writes)
                    ),
                    default=-1,
                )
        far = [o for o in needs if abs(o - m) == 2 and needs[o] >= 0]
        for other in far:  # load <-> store: route the token through a compute no-op
            if not self.covered(self.latest(Module.COMPUTE), other, needs[other]):
                relay = self.emit(isa.LoadInsn(memory_type=MemId.UOP), [], [])
                self.sync(relay, self.latest(other))
        j = self.emit(insn, reads, writes)
        for other, need in needs.items():
            if abs(other - m) == 1 and need >= 0 and not self.covered(j, other, need):
                self.sync(j, self.latest(other))
        for other in far:
            if not self.covered(j, other, needs[other]):
                self.sync(j, self.latest(Module.COMPUTE))


def insert_deps(
    insns: list[isa.Insn], cfg: HwConfig, uops: isa.Uops, table_offset: int
) -> list[isa.Insn]:
    foot = _Footprints(cfg, uops)
    foot.table_base = table_offset // isa.UOP_BYTES
    tokens = _Tokens()
    for insn in insns:
        insn = type(insn)(**insn.field_values())
        for flag in isa.DEP_FLAGS:
            setattr(insn, flag, 0)
        tokens.add(insn, *foot.of(insn))
    return tokens.out


@dataclass(frozen=True)
class InsertDepsPass(ModulePass):
    name = "insert-deps"

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        program = read_program(op)
        insns = insert_deps(program.insns, program.config, program.uops, program.uop_offset)
        block = next(p for p in op.ops if isinstance(p, accel.ProgramOp)).body.block
        for child in list(block.ops):
            child.detach()
            child.erase()
        block.add_ops(accel.InsnOp.from_record(i) for i in insns)
        op.verify()
