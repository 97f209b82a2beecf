"""Cycle model of the accelerator: per-instruction costs, overlapped through the token protocol.

Costs (cycles at `HwConfig.CLOCK_MHZ`), one function each, which `graph-to-tile`'s tiling search
also uses for its estimates:
- LOAD/STORE (`dma_cycles`): DRAM_LATENCY_CYCLES + max(DRAM bytes / bus bytes per cycle, SRAM
  elements written) (one buffer element per cycle, padding included); one that moves no DRAM
  data costs its padding elements written (at least 1 cycle), without the latency.
- GEMM (`gemm_cycles`): one micro-op per cycle (iter_out × iter_in × micro-ops), plus a 4-cycle
  pipeline fill.
- ALU (`alu_cycles`): one micro-op per cycle with an immediate, two when it reads a second
  accumulator, plus one.
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
from canopy_ir.hw.schedule import QUEUES, Plan

GEMM_PIPELINE_FILL = 4
ALU_OVERHEAD = 1  # cycles an ALU instruction takes besides its micro-ops


def bus_cycles(nbytes: int, cfg: HwConfig) -> float:
    """Cycles the memory bus needs to move `nbytes`, as a fraction (estimates; one DMA's
    `dma_cycles` rounds up to whole bus beats)."""
    return nbytes / cfg.bus_bytes


def dma_cycles(nbytes: int, sram_elems: int, cfg: HwConfig) -> int:
    """One LOAD/STORE of `nbytes` DRAM bytes writing or reading `sram_elems` buffer elements: the
    DRAM latency, then whole bus beats or one element per cycle, whichever is slower."""
    return cfg.DRAM_LATENCY_CYCLES + max(-(-nbytes // cfg.bus_bytes), sram_elems)


def dma_estimate(nbytes: int, transfers: int, cfg: HwConfig) -> float:
    """`transfers` LOADs/STOREs moving `nbytes` in all, at bus speed: their `dma_cycles` without
    the rounding to whole beats, for transfers whose buffer side keeps up with the bus."""
    return bus_cycles(nbytes, cfg) + cfg.DRAM_LATENCY_CYCLES * transfers


def gemm_cycles(uop_iterations: int) -> int:
    """GEMM micro-op iterations (iter_out × iter_in × micro-ops) at one per cycle, without the
    pipeline fill of each instruction (GEMM_PIPELINE_FILL)."""
    return uop_iterations


def alu_cycles(uop_iterations: int, use_imm: bool) -> int:
    """ALU micro-op iterations: one cycle each with an immediate, two when each reads a second
    accumulator element; without the instruction's ALU_OVERHEAD."""
    return uop_iterations * (1 if use_imm else 2)


def tiles_cycles(load: float, compute: float, tiles: int, buffers: int) -> float:
    """`tiles` tiles, each loading its inputs (`load` cycles) then computing (`compute`): one
    after the other with one copy of the buffers; with two, each tile's loads run during the
    previous tile's compute, and only the first tile's loads are exposed."""
    if buffers == 1:
        return tiles * (load + compute)
    return tiles * max(load, compute) + load


@dataclass
class InsnCost:
    cycles: int
    dram_bytes: int = 0
    macs: int = 0


def instruction_cost(insn: isa.Insn, cfg: HwConfig) -> InsnCost:
    if isinstance(insn, isa.LoadInsn | isa.StoreInsn):
        written = (insn.y_pad_0 + insn.y_size + insn.y_pad_1) * (
            insn.x_pad_0 + insn.x_size + insn.x_pad_1
        )
        if insn.x_size == 0 or insn.y_size == 0:  # no DRAM data: padding only, or nothing
            return InsnCost(max(1, written if isinstance(insn, isa.LoadInsn) else 0))
        dram = insn.y_size * insn.x_size * isa.dram_elem_bytes(insn.memory_type, cfg)
        return InsnCost(dma_cycles(dram, written, cfg), dram)
    if isinstance(insn, isa.GemmInsn):
        count = insn.iter_out * insn.iter_in * (insn.uop_end - insn.uop_bgn)
        macs = 0 if insn.reset_reg else count * cfg.batch * cfg.block_in * cfg.block_out
        return InsnCost(gemm_cycles(count) + GEMM_PIPELINE_FILL, macs=macs)
    if isinstance(insn, isa.AluInsn):
        count = insn.iter_out * insn.iter_in * (insn.uop_end - insn.uop_bgn)
        return InsnCost(alu_cycles(count, bool(insn.use_imm)) + ALU_OVERHEAD)
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
    dma_cycles: int = 0  # busy cycles of its LOADs and STOREs
    alu_cycles: int = 0

    @property
    def cycles(self) -> int:
        return self.last_end - self.first_start

    @property
    def bound(self) -> str:
        """What the layer waits on most: DRAM transfers (memory), GEMM (compute) or the ALU."""
        busy = {"memory": self.dma_cycles, "compute": self.gemm_cycles, "ALU": self.alu_cycles}
        return max(busy, key=lambda b: busy[b]) if any(busy.values()) else ""


@dataclass
class CycleReport:
    config: HwConfig
    total_cycles: int
    busy: dict[str, int]
    macs: int
    dram_bytes: int
    layers: list[LayerCycles] = field(default_factory=list)
    start: list[int] = field(default_factory=list)  # start cycle of each instruction
    end: list[int] = field(default_factory=list)  # end cycle of each instruction

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
    insns: list[isa.Insn],
    cfg: HwConfig,
    layers: list[str | None] | None = None,
    plan: Plan | None = None,
) -> CycleReport:
    """The cycle report of a stream; `plan` (`schedule.Plan` of the same stream) may be given
    when the caller already has it."""
    costs = [instruction_cost(i, cfg) for i in insns]
    start, end, busy = _timeline(costs, plan or Plan(insns))
    report = CycleReport(
        cfg,
        max(end, default=0),
        {m.name.lower(): busy[m] for m in Module},
        sum(c.macs for c in costs),
        sum(c.dram_bytes for c in costs),
        start=start,
        end=end,
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
        elif isinstance(insn, isa.AluInsn):
            layer.alu_cycles += costs[k].cycles
        elif isinstance(insn, isa.LoadInsn | isa.StoreInsn):
            layer.dma_cycles += costs[k].cycles
    return report


def _timeline(costs: list[InsnCost], plan: Plan) -> tuple[list[int], list[int], dict]:
    """Start and end cycle of every instruction and busy cycles per module: each module runs its
    instructions in order, each as soon as its module is free and the tokens it pops exist."""
    order, links = plan.queues, plan.links
    heads = {m: 0 for m in Module}
    free = {m: 0 for m in Module}
    busy = {m: 0 for m in Module}
    tokens: dict[tuple, deque[int]] = {q: deque() for q in QUEUES}
    start, end = [0] * len(costs), [0] * len(costs)
    for _ in range(len(costs)):
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
    return start, end, busy
