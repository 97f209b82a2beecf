"""Where a compiled model's instruction stream may be cut between two cards, and the parts of a
segment as streams of their own (for `stages.split_artefact`).

Takes an `Artefact`; gives, per segment, the instruction indices where a layer begins and the
stream may be cut, each segment's modelled cycles, and any range of a segment between such cuts
as a stream that runs alone on a card.

A segment may be cut between two layers where no dependency token crosses backwards (a pop
before the cut waiting for a push after it) and no input, weight or accumulator buffer element
read after the cut was last written before it (by the instructions' access ranges,
`canopy_ir.hw.access`; an ALU multiply by an immediate 0, which zeroes accumulators, reads
nothing). The part after a cut starts by reloading the micro-ops resident at the cut (the last
micro-op load of each buffer slot before it, from the arena's table); the part before it ends in a
FINISH that waits for its last store and last load (tokens on the store→compute and load→compute
queues). Tokens whose push and pop fall on opposite sides of a cut are dropped: the later part
starts after the earlier one has finished.
"""

from __future__ import annotations

import numpy as np

from canopy_ir.artefact import Artefact
from canopy_ir.errors import ArtefactError
from canopy_ir.hw.access import Ranges, accesses
from canopy_ir.hw.cycles import cycle_model
from canopy_ir.hw.isa import DEP_FLAGS, AluOp, MemId, Opcode, decode_uops
from canopy_ir.hw.stream import COL, WIDTH, Stream, modules_of

LOAD, COMPUTE, STORE = 0, 1, 2
INP, WGT, ACC = 1, 2, 3  # access.SPACES codes
# token queues as (pushing module, its flag, popping module, its flag), schedule.QUEUES' order
QUEUE_FLAGS = (
    (LOAD, "push_next", COMPUTE, "pop_prev"),
    (COMPUTE, "push_prev", LOAD, "pop_next"),
    (COMPUTE, "push_next", STORE, "pop_prev"),
    (STORE, "push_prev", COMPUTE, "pop_next"),
)
# what a FINISH added at a cut waits for: the module's last instruction pushes, the FINISH pops
FINISH_WAITS = ((STORE, "push_prev", "pop_next"), (LOAD, "push_next", "pop_prev"))


class StreamCuts:
    """The artefact's stream analysed once: token pairs, accesses, cut points."""

    def __init__(self, art: Artefact):
        self.art, cfg = art, art.config
        self.stream = Stream.decode(art.insns, cfg)
        self.cols = self.stream.cols
        self.modules = modules_of(self.cols)
        self.layers = art.instruction_layers()
        self.segments = art.segments()
        self.access = accesses(
            self.stream,
            cfg,
            decode_uops(art.uops, cfg),
            art.uop_offset,
            resets=[f for f, _ in self.segments],
        )
        self.pairs = [self._token_pairs(k, f, e) for k, (f, e) in enumerate(self.segments)]

    def _token_pairs(self, k: int, f: int, e: int) -> list[tuple[np.ndarray, np.ndarray]]:
        """Per queue, (push rows, pop rows) of segment k: the i-th push feeds the i-th pop."""
        pairs = []
        for pm, pf, qm, qf in QUEUE_FLAGS:
            mods, cols = self.modules[f:e], self.cols[f:e]
            push = f + np.flatnonzero((mods == pm) & (cols[:, COL[pf]] != 0))
            pop = f + np.flatnonzero((mods == qm) & (cols[:, COL[qf]] != 0))
            if len(push) != len(pop):
                raise ArtefactError(
                    f"segment {k} pushes {len(push)} tokens and pops {len(pop)} on one queue"
                )
            pairs.append((push, pop))
        return pairs

    def cuts(self, k: int) -> list[int]:
        """Instruction indices inside segment k where a layer begins and the stream may be cut."""
        f, e = self.segments[k]
        ok = np.ones(e - f + 1, bool)  # ok[c - f]: a cut before instruction c is allowed
        for push, pop in self.pairs[k]:
            for q, p in zip(pop[pop < push], push[pop < push], strict=True):
                ok[q + 1 - f : p + 1 - f] = False  # the pop before the cut waits for p
        ok &= self._buffers_clean(f, e)
        names = self.layers
        return [c for c in range(f + 1, e - 1) if ok[c - f] and names[c] != names[c - 1]]

    def _buffers_clean(self, f: int, e: int) -> np.ndarray:
        """clean[c - f]: no input, weight or accumulator element read at or after instruction c
        of the segment was last written before c (and after the segment began)."""
        a, cols = self.access, self.cols
        gemm_acc = Ranges(
            a.sram_write.mask & (cols[:, 0] == Opcode.GEMM) & (cols[:, COL["reset_reg"]] == 0),
            a.sram_write.lo,
            a.sram_write.hi,
        )
        # an ALU multiply by an immediate 0 zeroes its accumulators: no read of their values
        zeroes = (cols[:, 0] == Opcode.ALU) & (cols[:, COL["alu_opcode"]] == AluOp.MUL)
        zeroes &= (cols[:, COL["use_imm"]] != 0) & (cols[:, COL["imm"]] == 0)
        reads = [
            (INP, a.inp_read),
            (WGT, a.wgt_read),
            (ACC, Ranges(a.dst_read.mask & ~zeroes, a.dst_read.lo, a.dst_read.hi)),
            (ACC, a.src_read),
            (ACC, a.acc_read),
            (ACC, gemm_acc),  # a GEMM adds into its accumulators
        ]
        cfg = self.art.config
        stamps = {s: np.full(cfg.depth(b), -1, np.int64) for s, b in ((1, "inp"), (2, "wgt"))}
        stamps[ACC] = np.full(cfg.depth("acc"), -1, np.int64)
        table = [
            (s, r.mask[f:e].tolist(), r.lo[f:e].tolist(), r.hi[f:e].tolist()) for s, r in reads
        ]
        w = a.sram_write
        writes = zip(
            w.mask[f:e].tolist(),
            a.write_space[f:e].tolist(),
            w.lo[f:e].tolist(),
            w.hi[f:e].tolist(),
            strict=True,
        )
        oldest = np.full(e - f + 1, e, np.int64)  # the earliest write an instruction depends on
        for k, (wm, ws, wlo, whi) in enumerate(writes):
            for space, mask, lo, hi in table:
                if mask[k] and hi[k] > lo[k]:
                    seen = stamps[space][lo[k] : hi[k]]
                    seen = seen[seen >= 0]
                    if seen.size:
                        oldest[k] = min(oldest[k], int(seen.min()))
            if wm and ws in stamps:
                stamps[ws][wlo:whi] = f + k
        later = np.minimum.accumulate(oldest[::-1])[::-1]  # over the instructions from c on
        return later >= np.arange(f, e + 1)

    def segment_cycles(self, k: int) -> np.ndarray:
        """Per instruction of segment k, the modelled cycle by which it and every instruction
        before it in the segment have finished."""
        f, e = self.segments[k]
        return np.maximum.accumulate(cycle_model(self.stream.records()[f:e], self.art.config).end)

    def part(self, s: int, a: int, b: int) -> tuple[np.ndarray, list[str | None]]:
        """Instructions [a, b) of segment s as a stream of its own (see the module docstring)."""
        f, e = self.segments[s]
        rows = self.cols[a:b].copy()
        for (push, pop), (_, pf, _, qf) in zip(self.pairs[s], QUEUE_FLAGS, strict=True):
            rows[pop[(pop >= a) & (pop < b) & (push < a)] - a, COL[qf]] = 0
            rows[push[(push >= a) & (push < b) & (pop >= b)] - a, COL[pf]] = 0
        names = list(self.layers[a:b])
        if b < e:
            finish = np.zeros((1, WIDTH), np.int64)
            finish[0, 0] = Opcode.FINISH
            mods = self.modules[a:b]
            for module, last_flag, finish_flag in FINISH_WAITS:
                mine = np.flatnonzero(mods == module)
                if mine.size and not rows[mine[-1], COL[last_flag]]:
                    rows[mine[-1], COL[last_flag]] = 1
                    finish[0, COL[finish_flag]] = 1
            rows = np.concatenate([rows, finish])
            names.append(None)
        if a > f:
            restore = self.resident_uops(f, a)
            rows = np.concatenate([restore, rows])
            names = [names[0]] * len(restore) + names
        return rows, names

    def resident_uops(self, f: int, a: int) -> np.ndarray:
        """The micro-op loads of [f, a) that are the last to write some micro-op buffer slot,
        without their tokens: replayed, they leave the buffer as it was at instruction a."""
        c = self.cols[f:a]
        loads = np.flatnonzero(
            (c[:, 0] == Opcode.LOAD)
            & (c[:, COL["memory_type"]] == MemId.UOP)
            & (c[:, COL["x_size"]] > 0)
        )
        owner = np.full(self.art.config.depth("uop"), -1, np.int64)
        for i in loads.tolist():
            base = int(c[i, COL["sram_base"]])
            owner[base : base + int(c[i, COL["y_size"]] * c[i, COL["x_size"]])] = i
        restore = c[np.unique(owner[owner >= 0])].copy()
        restore[:, [COL[flag] for flag in DEP_FLAGS]] = 0
        return restore
