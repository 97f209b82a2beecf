"""Cycle model of the accelerator: per-instruction costs, overlapped through the token protocol
and a shared DRAM read channel, as VTA's hardware runs them (docs/isa.md §8).

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
tokens it pops have been pushed, and pushes its tokens when it ends (a push to a full queue holds
its module up). DRAM reads of the load and compute modules share one read channel: two that
overlap move their beats in turns. Reported: total cycles, busy cycles per module, GEMM-core
utilisation (multiply-accumulate slots issued, zero-padded channel lanes included, over cycles ×
the core's MACs per cycle), and the same per model layer.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field

from canopy_ir.errors import DeadlockError
from canopy_ir.hw import isa
from canopy_ir.hw.config import HwConfig
from canopy_ir.hw.isa import Module
from canopy_ir.hw.schedule import DEFAULT_QUEUE_DEPTH, QUEUES, Plan

GEMM_PIPELINE_FILL = 4
ALU_OVERHEAD = 1  # cycles an ALU instruction takes besides its micro-ops


def bus_cycles(nbytes: int, cfg: HwConfig) -> float:
    """Cycles the memory bus needs to move `nbytes`, as a fraction (estimates; one DMA's
    `dma_cycles` rounds up to whole bus beats)."""
    return nbytes / cfg.bus_bytes


def beats(nbytes: int, cfg: HwConfig) -> int:
    """Whole bus beats that move `nbytes`."""
    return -(-nbytes // cfg.bus_bytes)


def dma_cycles(nbytes: int, sram_elems: int, cfg: HwConfig) -> int:
    """One LOAD/STORE of `nbytes` DRAM bytes writing or reading `sram_elems` buffer elements: the
    DRAM latency, then whole bus beats or one element per cycle, whichever is slower."""
    return cfg.DRAM_LATENCY_CYCLES + max(beats(nbytes, cfg), sram_elems)


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
    """What one instruction costs on its own: `cycles` (from its start to its end when nothing
    competes with it), DRAM bytes moved, multiply-accumulates issued, and for a LOAD that reads
    DRAM the bus beats it needs (`beats`) and the buffer elements it writes (`sram`)."""

    cycles: int
    dram_bytes: int = 0
    macs: int = 0
    beats: int = 0  # bus beats of a DRAM read (LOAD with data); 0 for everything else
    sram: int = 0  # buffer elements a DRAM read writes (padding included)


def instruction_cost(insn: isa.Insn, cfg: HwConfig) -> InsnCost:
    if isinstance(insn, isa.LoadInsn | isa.StoreInsn):
        written = (insn.y_pad_0 + insn.y_size + insn.y_pad_1) * (
            insn.x_pad_0 + insn.x_size + insn.x_pad_1
        )
        if insn.x_size == 0 or insn.y_size == 0:  # no DRAM data: padding only, or nothing
            return InsnCost(max(1, written if isinstance(insn, isa.LoadInsn) else 0))
        dram = insn.y_size * insn.x_size * isa.dram_elem_bytes(insn.memory_type, cfg)
        cost = InsnCost(dma_cycles(dram, written, cfg), dram)
        if isinstance(insn, isa.LoadInsn):
            cost.beats, cost.sram = beats(dram, cfg), written
        return cost
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
    dma_cycles: int = 0  # the busier DRAM channel: its LOADs' cycles (reads) or its STOREs'
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
    busy: dict[str, int]  # load, compute, store: cycles their instructions ran
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
    queue_depth: int = DEFAULT_QUEUE_DEPTH,
) -> CycleReport:
    """The cycle report of a stream; `plan` (`schedule.Plan` of the same stream) may be given
    when the caller already has it. Token queues hold `queue_depth` tokens (the verifier's)."""
    costs = [instruction_cost(i, cfg) for i in insns]
    start, end, busy = _timeline(costs, plan or Plan(insns), queue_depth)
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
    channels: dict[str, list[int]] = {}  # per layer: cycles of its DRAM reads, of its writes
    for k, insn in enumerate(insns):
        name = (layers[k] if layers else None) or "(other)"
        layer = by_name.get(name)
        if layer is None:
            layer = by_name[name] = LayerCycles(name, first_start=start[k], last_end=end[k])
            channels[name] = [0, 0]
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
            channels[name][isinstance(insn, isa.StoreInsn)] += end[k] - start[k]
    for layer in report.layers:
        layer.dma_cycles = max(channels[layer.name])
    return report


class _Read:
    """A LOAD's DRAM transfer on the shared read channel: instruction `k`, its data phase from
    `data_start` (after the DRAM latency), `sram` buffer elements to write, and `rem` beats
    still to move from time `tau` on, at the full bus rate unless another read overlaps."""

    __slots__ = ("k", "data_start", "sram", "tau", "rem")

    def __init__(self, k: int, data_start: int, beats: int, sram: int):
        self.k, self.data_start, self.sram = k, data_start, sram
        self.tau, self.rem = data_start, beats

    @property
    def bus_end(self) -> int:
        return self.tau + self.rem

    @property
    def end(self) -> int:
        """The instruction's end: its last beat, or its last buffer write if that is later."""
        return max(self.bus_end, self.data_start + self.sram)


def _share(new: _Read, other: _Read | None) -> bool:
    """Let `new` and `other` (the other module's read, if still moving data) share the read
    channel: while both move data each gets every other beat. Updates both; True if `other`
    now ends later."""
    if other is None or other.bus_end <= new.tau:
        return False
    x = max(new.tau, other.tau)  # from here both move data
    alone = x - new.tau  # beats `new` moved before `other`'s data started
    if alone >= new.rem:
        return False
    g, f = new.rem - alone, other.rem - (x - other.tau)
    both = min(f, g)
    before = other.end
    new.tau, new.rem = x + 2 * both, g - both
    other.tau, other.rem = x + 2 * both, f - both
    return other.end != before


def _timeline(
    costs: list[InsnCost], plan: Plan, queue_depth: int
) -> tuple[list[int], list[int], dict]:
    """Start and end cycle of every instruction and busy cycles per module. Each module runs its
    instructions in order; an instruction starts when its module is free and the tokens it pops
    have been pushed, and when it ends it pushes its tokens, one queue after the other, each as
    soon as the queue has room; its module is free once they are pushed. DRAM reads of the load
    and compute modules share the read channel (`_share`); stores have the write channel to
    themselves.

    Instructions are placed in order of their start cycle, so when a read starts, every
    instruction that depends on the end of the read it slows down (the other module's current
    one) is still unplaced: that read's end, its module's free time and the tokens it pushed
    are revised in place."""
    queue_ids = {q: i for i, q in enumerate(QUEUES)}
    order = [plan.queues[m] for m in Module]
    links = [
        ([queue_ids[q] for q in pops], [queue_ids[q] for q in pushes])
        for pops, pushes in plan.links
    ]
    n = len(costs)
    heads, free, busy = [0, 0, 0], [0, 0, 0], [0, 0, 0]
    tokens: list[deque[int]] = [deque() for _ in QUEUES]  # push times of unpopped tokens
    pushed = [0] * len(QUEUES)
    popped: list[list[int]] = [[] for _ in QUEUES]  # start cycle of each pop, in order
    blocked: list[list | None] = [None, None, None]  # [instruction, queues left, time] per module
    reads: list[_Read | None] = [None, None]  # the latest DRAM read of the load, compute module
    start, end = [0] * n, [0] * n

    def push(m: int) -> None:
        """Push the tokens of module m's blocked instruction while its queues have room."""
        k, left, t = blocked[m]
        while left:
            q = left[0]
            room = pushed[q] - queue_depth  # this push needs that pop (0-based) done
            if room >= len(popped[q]):
                blocked[m][1:] = left, t
                return
            t = max(t, popped[q][room]) if room >= 0 else t
            tokens[q].append(t)
            pushed[q] += 1
            left = left[1:]
        blocked[m] = None
        free[m] = t

    for _ in range(n):
        best = None
        for m in (0, 1, 2):
            if heads[m] == len(order[m]) or blocked[m] is not None:
                continue
            k = order[m][heads[m]]
            t = free[m]
            for q in links[k][0]:
                if not tokens[q]:
                    break
                t = max(t, tokens[q][0])
            else:
                if best is None or t < best[0]:
                    best = (t, m, k)
        if best is None:
            raise DeadlockError("the cycle model found the stream deadlocked; run the verifier")
        t, m, k = best
        pops, pushes = links[k]
        for q in pops:
            tokens[q].popleft()
            popped[q].append(t)
        cost = costs[k]
        if cost.beats:  # a DRAM read (load or compute module)
            read = _Read(k, t + cost.cycles - max(cost.beats, cost.sram), cost.beats, cost.sram)
            other = reads[1 - m]
            if _share(read, other):
                _revise(other.k, other.end, 1 - m, end, free, busy, blocked, tokens, links)
            reads[m] = read
            finish = read.end
        else:
            finish = t + cost.cycles
        start[k], end[k] = t, finish
        busy[m] += finish - t
        heads[m] += 1
        blocked[m] = [k, pushes, finish]
        for j in (m, *(i for i in (0, 1, 2) if i != m and blocked[i] is not None)):
            if blocked[j] is not None:
                push(j)
    if any(b is not None for b in blocked):
        raise DeadlockError("the cycle model found the stream deadlocked; run the verifier")
    return start, end, {m: busy[m] for m in Module}


def _revise(k, later, m, end, free, busy, blocked, tokens, links) -> None:
    """Instruction k, module m's latest, now ends at `later`: move its end, the tokens it has
    pushed (each the last of its queue) and its module's free time, or, while some of its pushes
    still wait for room, the time they go out no earlier than."""
    busy[m] += later - end[k]
    end[k] = later
    waiting = blocked[m][1] if blocked[m] is not None else []
    for q in links[k][1]:
        if q not in waiting:
            tokens[q][-1] = max(tokens[q][-1], later)
    if blocked[m] is not None:
        blocked[m][2] = max(blocked[m][2], later)
    else:
        free[m] = max(free[m], later)
