"""Cycle model of the accelerator: per-instruction costs, overlapped through the token protocol.

Costs (cycles at `HwConfig.CLOCK_MHZ`):
- LOAD/STORE: DRAM_LATENCY_CYCLES + max(DRAM bytes / bus bytes per cycle, SRAM elements written)
  (one buffer element per cycle, padding included); a LOAD/STORE of no data costs 1.
- GEMM: one micro-op per cycle (iter_out × iter_in × micro-ops), plus a 4-cycle pipeline fill.
- ALU: one micro-op per cycle with an immediate, two when it reads a second accumulator.
- FINISH: 1.
Each module runs its instructions in order; an instruction starts when its module is free and the
tokens it pops have been pushed (a push happens when the pushing instruction ends). Reported:
total cycles, busy cycles per module, GEMM-core utilisation (multiply-accumulate slots issued,
zero-padded channel lanes included, over cycles × the core's MACs per cycle), and the same per
model layer.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field

from canopy_ir.errors import DeadlockError
from canopy_ir.hw import isa
from canopy_ir.hw.config import HwConfig
from canopy_ir.hw.isa import Module
from canopy_ir.hw.schedule import QUEUES, token_queues

GEMM_PIPELINE_FILL = 4


@dataclass
class InsnCost:
    cycles: int
    dram_bytes: int = 0
    macs: int = 0


def instruction_cost(insn: isa.Insn, cfg: HwConfig) -> InsnCost:
    if isinstance(insn, isa.LoadInsn | isa.StoreInsn):
        if insn.x_size == 0 or insn.y_size == 0:
            return InsnCost(1)
        dram = insn.y_size * insn.x_size * isa.dram_elem_bytes(insn.memory_type, cfg)
        written = (insn.y_pad_0 + insn.y_size + insn.y_pad_1) * (
            insn.x_pad_0 + insn.x_size + insn.x_pad_1
        )
        beats = -(-dram // cfg.bus_bytes)
        return InsnCost(cfg.DRAM_LATENCY_CYCLES + max(beats, written), dram)
    if isinstance(insn, isa.GemmInsn):
        count = insn.iter_out * insn.iter_in * (insn.uop_end - insn.uop_bgn)
        macs = 0 if insn.reset_reg else count * cfg.batch * cfg.block_in * cfg.block_out
        return InsnCost(count + GEMM_PIPELINE_FILL, macs=macs)
    if isinstance(insn, isa.AluInsn):
        count = insn.iter_out * insn.iter_in * (insn.uop_end - insn.uop_bgn)
        return InsnCost(count * (1 if insn.use_imm else 2) + 1)
    return InsnCost(1)


@dataclass
class LayerCycles:
    name: str
    instructions: int = 0
    first_start: int = 0
    last_end: int = 0
    gemm_cycles: int = 0
    macs: int = 0
    dram_bytes: int = 0

    @property
    def cycles(self) -> int:
        return self.last_end - self.first_start


@dataclass
class CycleReport:
    config: HwConfig
    total_cycles: int
    busy: dict[str, int]
    macs: int
    dram_bytes: int
    layers: list[LayerCycles] = field(default_factory=list)

    @property
    def peak_macs_per_cycle(self) -> int:
        return self.config.batch * self.config.block_in * self.config.block_out

    @property
    def utilization(self) -> float:
        return self.macs / max(1, self.total_cycles * self.peak_macs_per_cycle)

    @property
    def seconds(self) -> float:
        return self.total_cycles / (self.config.CLOCK_MHZ * 1e6)

    def layer_utilization(self, layer: LayerCycles) -> float:
        return layer.macs / max(1, layer.cycles * self.peak_macs_per_cycle)


def cycle_model(
    insns: list[isa.Insn], cfg: HwConfig, layers: list[str | None] | None = None
) -> CycleReport:
    costs = [instruction_cost(i, cfg) for i in insns]
    links = [token_queues(insn, k) for k, insn in enumerate(insns)]
    order = {m: [k for k, insn in enumerate(insns) if insn.module == m] for m in Module}
    heads = {m: 0 for m in Module}
    free = {m: 0 for m in Module}
    busy = {m: 0 for m in Module}
    tokens: dict[tuple, deque[int]] = {q: deque() for q in QUEUES}
    start, end = [0] * len(insns), [0] * len(insns)
    for _ in range(len(insns)):
        best = None
        for m in Module:  # the module whose next instruction can start first
            if heads[m] == len(order[m]):
                continue
            k = order[m][heads[m]]
            pops, _ = links[k]
            if any(not tokens[q] for q in pops):
                continue
            t = max([free[m], *(tokens[q][0] for q in pops)])
            if best is None or t < best[0]:
                best = (t, m, k)
        if best is None:
            raise DeadlockError("the cycle model found the stream deadlocked; run the verifier")
        t, m, k = best
        pops, pushes = links[k]
        for q in pops:
            tokens[q].popleft()
        start[k], end[k] = t, t + costs[k].cycles
        free[m] = end[k]
        busy[m] += costs[k].cycles
        for q in pushes:
            tokens[q].append(end[k])
        heads[m] += 1
    report = CycleReport(
        cfg,
        max(end, default=0),
        {m.name.lower(): busy[m] for m in Module},
        sum(c.macs for c in costs),
        sum(c.dram_bytes for c in costs),
    )
    by_name: dict[str, LayerCycles] = {}
    for k, insn in enumerate(insns):
        name = (layers[k] if layers else None) or "(other)"
        layer = by_name.get(name)
        if layer is None:
            layer = by_name[name] = LayerCycles(name, first_start=start[k], last_end=end[k])
            report.layers.append(layer)
        layer.instructions += 1
        layer.first_start = min(layer.first_start, start[k])
        layer.last_end = max(layer.last_end, end[k])
        layer.macs += costs[k].macs
        layer.dram_bytes += costs[k].dram_bytes
        if isinstance(insn, isa.GemmInsn):
            layer.gemm_cycles += costs[k].cycles
    return report
