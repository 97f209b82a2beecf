"""A stream compiled once for the functional simulator, then run as few numpy calls as it can.

`FunctionalSimulator.execute` interprets one decoded instruction at a time, which costs tens of
microseconds of Python per instruction however little data it moves. A card runs the same resident
stream for every inference, so `CompiledStream` does that work once:

- the execution order: which module runs next depends only on the stream, the policy and the queue
  depth (`schedule.schedule`), so the order, and the deadlock it may end in, are recorded once;
- LOAD and STORE become copies between views bound to the simulator's buffers and the card's DRAM;
  consecutive LOADs that continue one another (a flattened activation loaded element by element)
  become one copy;
- GEMM and ALU become the numpy steps of `sim_loops`, worked out from the micro-ops they run. Those
  come from the DRAM bytes the stream's LOAD UOPs read: the compiled stream keeps a copy of them and
  is valid only while they are unchanged (`matches`); a stream that could overwrite them itself is
  not compiled at all;
- anything else (an instruction the simulator rejects, a loop that reads its own results, MUL of
  two accumulators) runs through `FunctionalSimulator.execute`, at its place in the order.

The buffers start zeroed on every run, as a fresh simulator's do, and the statistics are those
`FunctionalSimulator.run` gives, so a compiled run and an interpreted one cannot be told apart.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numpy.lib.stride_tricks import as_strided

from canopy_ir.errors import DeadlockError
from canopy_ir.hw import isa
from canopy_ir.hw.isa import AluInsn, FinishInsn, GemmInsn, Insn, LoadInsn, MemId, StoreInsn
from canopy_ir.hw.schedule import PIPELINE_ORDER, Plan, schedule
from canopy_ir.hw.sim_blas import single_blas_thread
from canopy_ir.hw.sim_loops import alu_steps, gemm_steps, zero_steps
from canopy_ir.hw.simulator import FunctionalSimulator, SimStats

_DATA_LOADS = (MemId.INP, MemId.WGT, MemId.ACC, MemId.ACC_8BIT)


def execution_order(
    insns: Sequence[Insn], policy, queue_depth: int, plan: Plan | None = None
) -> tuple[list[int], str | None]:
    """The instruction indices in the order `FunctionalSimulator.run` executes them, and the
    message of the DeadlockError it raises after them (None if it finishes)."""
    if policy == "sequential":
        return list(range(len(insns))), None
    order: list[int] = []
    try:
        schedule(insns, policy, queue_depth, lambda _, index: order.append(index), plan)
    except DeadlockError as exc:
        return order, str(exc)
    return order, None


def _merge(stats: SimStats, extra: SimStats) -> None:
    stats.insns += extra.insns
    for name, count in extra.by_opcode.items():
        stats.by_opcode[name] = stats.by_opcode.get(name, 0) + count
    stats.macs += extra.macs
    stats.alu_lanes += extra.alu_lanes
    stats.dram_read_bytes += extra.dram_read_bytes
    stats.dram_write_bytes += extra.dram_write_bytes
    stats.finished = stats.finished or extra.finished


def _copy(stats: SimStats) -> SimStats:
    out = SimStats()
    _merge(out, stats)
    return out


class CompiledStream:
    """`insns` compiled for `sim` (its buffers and its DRAM array) under `policy`; `run()` does
    what `sim.run(insns, policy, plan)` on a fresh simulator over the same DRAM would do."""

    def __init__(
        self,
        sim: FunctionalSimulator,
        insns: Sequence[Insn],
        policy=PIPELINE_ORDER,
        plan: Plan | None = None,
    ):
        self.sim = sim
        cfg = sim.cfg
        order, self.deadlock = execution_order(insns, policy, sim.queue_depth, plan)
        self.steps: list[tuple] = []
        self.tally = SimStats()  # statistics of the compiled (not interpreted) instructions
        self._fallbacks: list[tuple[Insn, int, SimStats]] = []
        self._pending: list | None = None  # a run of LOADs that continue one another
        self._at = -1
        self.wgt_t = np.zeros((cfg.depth("wgt"), cfg.block_in, cfg.block_out), np.float32)
        self._wgt_t8 = np.zeros(self.wgt_t.size, np.int8)  # scratch for transposing weights
        self._views = {mem: sim._dram_view(mem) for mem in (*_DATA_LOADS, MemId.OUT)}
        self.uop_spans = [
            isa.dram_span(insns[i], cfg)
            for i in order
            if isinstance(insns[i], LoadInsn) and insns[i].memory_type == MemId.UOP
        ]
        self.uop_bytes = self._uop_bytes()
        if self._self_modifying([insns[i] for i in order], cfg):
            self.uop_spans, self.uop_bytes = [], b""  # nothing compiled depends on them
            for index in order:  # the micro-ops are not known in advance: interpret everything
                self._fallback(insns[index], index)
            return
        scratch = FunctionalSimulator(cfg, sim.dram, sim.queue_depth)  # follows the micro-ops
        for index in order:
            insn = insns[index]
            if isinstance(insn, LoadInsn) and insn.memory_type == MemId.UOP:
                try:
                    scratch.execute(insn, index)
                except Exception:
                    self._fallback(insn, index)
                    break  # the run stops at this instruction
                self._load_uops(insn, scratch)
            elif isinstance(insn, LoadInsn):
                self._load(insn, index)
            elif isinstance(insn, StoreInsn):
                self._store(insn, index)
            elif isinstance(insn, GemmInsn | AluInsn):
                self._loop(insn, index, scratch)
            elif isinstance(insn, FinishInsn):
                self._count(insn)
                self.tally.finished = True
            else:
                self._fallback(insn, index)
        self._flush()

    # ---- validity ---------------------------------------------------------------------------
    def _uop_bytes(self) -> bytes:
        dram = self.sim.dram
        return b"".join(dram[lo:hi].tobytes() for lo, hi in self.uop_spans)

    def matches(self) -> bool:
        """Whether the micro-ops in DRAM are still those this stream was compiled with."""
        return self._uop_bytes() == self.uop_bytes

    def _self_modifying(self, insns: list[Insn], cfg) -> bool:
        """Whether a STORE of the stream writes DRAM that one of its LOAD UOPs reads."""
        stores = [
            isa.dram_span(i, cfg)
            for i in insns
            if isinstance(i, StoreInsn) and i.memory_type == MemId.OUT  # others write nothing
        ]
        if not stores or not self.uop_spans:
            return False
        s = np.array(stores, np.int64)
        return any(
            bool(np.any((s[:, 0] < hi) & (lo < s[:, 1]) & (s[:, 0] < s[:, 1])))
            for lo, hi in self.uop_spans
            if lo < hi
        )

    @property
    def interpreted(self) -> int:
        """How many instructions of the order run through `FunctionalSimulator.execute`."""
        return len(self._fallbacks)

    # ---- running ----------------------------------------------------------------------------
    def run(self) -> SimStats:
        sim = self.sim
        sim.reset()
        self.wgt_t.fill(0)
        self._at = -1
        try:
            with single_blas_thread():  # small products: BLAS threads only get in the way
                for function, args in self.steps:
                    function(*args)
        except BaseException:
            if self._at >= 0:
                _merge(sim.stats, self._fallbacks[self._at][2])
            raise
        _merge(sim.stats, self.tally)
        if self.deadlock:
            raise DeadlockError(self.deadlock)
        return sim.stats

    def _interpret(self, k: int) -> None:
        self._at = k
        insn, index, _ = self._fallbacks[k]
        self.sim.execute(insn, index)

    def _refresh_weights(self) -> None:
        self.wgt_t[...] = self.sim.wgt.transpose(0, 2, 1)

    # ---- compiling --------------------------------------------------------------------------
    def _emit(self, *steps) -> None:
        self._flush()
        self.steps.extend(steps)

    def _fallback(self, insn: Insn, index: int) -> None:
        self._emit((self._interpret, (len(self._fallbacks),)))
        self._fallbacks.append((insn, index, _copy(self.tally)))
        if isinstance(insn, LoadInsn) and insn.memory_type == MemId.WGT:
            self._emit((self._refresh_weights, ()))

    def _count(self, insn: Insn) -> None:
        name = type(insn).__name__
        self.tally.insns += 1
        self.tally.by_opcode[name] = self.tally.by_opcode.get(name, 0) + 1

    def _dram_block(self, view: np.ndarray, insn) -> np.ndarray:
        """The y_size x x_size DRAM elements of a LOAD/STORE (in bounds, y_size > 0)."""
        shape = (insn.y_size, insn.x_size, *view.shape[1:])
        strides = (insn.x_stride * view.strides[0], *view.strides)
        return as_strided(view[insn.dram_base :], shape, strides)

    def _dram_end(self, insn, view: np.ndarray) -> bool:
        end = insn.dram_base + (insn.y_size - 1) * insn.x_stride + insn.x_size
        return not insn.y_size or end <= len(view)

    def _load(self, insn: LoadInsn, index: int) -> None:
        tally = self.tally
        x, y, mem = insn.x_size, insn.y_size, insn.memory_type
        if x == 0:
            self._count(insn)
            return
        if mem not in _DATA_LOADS:
            return self._fallback(insn, index)
        view, buf = self._views[mem], self.sim._buffers[mem]
        rows = insn.y_pad_0 + y + insn.y_pad_1
        cols = insn.x_pad_0 + x + insn.x_pad_1
        if not self._dram_end(insn, view) or insn.sram_base + rows * cols > len(buf):
            return self._fallback(insn, index)
        self._count(insn)
        count = y * x
        tally.dram_read_bytes += count * view.strides[0]
        padded = rows != y or cols != x
        if not padded and (y == 1 or insn.x_stride == x):  # a contiguous block: merge runs
            run = self._pending
            if run and run[0] == mem and run[2] == insn.sram_base and run[4] == insn.dram_base:
                run[2] += count
                run[4] += count
                return
            self._flush()
            lo, dlo = insn.sram_base, insn.dram_base
            self._pending = [mem, lo, lo + count, dlo, dlo + count]
            return
        target = buf[insn.sram_base : insn.sram_base + rows * cols]
        target = target.reshape(rows, cols, *buf.shape[1:])
        inner = (slice(insn.y_pad_0, insn.y_pad_0 + y), slice(insn.x_pad_0, insn.x_pad_0 + x))
        steps = [(target.fill, (0,))] if padded else []  # every padding element is zero
        if count:
            steps.append((np.copyto, (target[inner], self._dram_block(view, insn))))
        if mem == MemId.WGT:
            where = slice(insn.sram_base, insn.sram_base + rows * cols)
            shadow = self.wgt_t[where].reshape(rows, cols, *self.wgt_t.shape[1:])
            steps += [(shadow.fill, (0,))] if padded else []
            if count:
                steps += self._weight_steps(target[inner], shadow[inner])
        self._emit(*steps)

    def _weight_steps(self, loaded: np.ndarray, shadow: np.ndarray) -> list[tuple]:
        """Steps that copy weight elements just loaded into the float32 copy GEMM reads, each
        element transposed (in int8 first: a quarter of the bytes to move across)."""
        transposed = self._wgt_t8[: loaded.size].reshape(shadow.shape)
        return [
            (np.copyto, (transposed, loaded.swapaxes(-1, -2))),
            (np.copyto, (shadow, transposed)),
        ]

    def _load_uops(self, insn: LoadInsn, scratch: FunctionalSimulator) -> None:
        """A LOAD UOP: the micro-ops it writes are those it wrote into `scratch` (the DRAM bytes
        it reads are checked by `matches`)."""
        self._count(insn)
        self.tally.dram_read_bytes += insn.y_size * insn.x_size * isa.UOP_BYTES
        if insn.x_size == 0:
            return
        rows = insn.y_pad_0 + insn.y_size + insn.y_pad_1
        cols = insn.x_pad_0 + insn.x_size + insn.x_pad_1
        where = slice(insn.sram_base, insn.sram_base + rows * cols)
        for target, written in zip(self.sim.uop, scratch.uop, strict=True):
            self._emit((np.copyto, (target[where], written[where].copy())))

    def _flush(self) -> None:
        run, self._pending = self._pending, None
        if run is None:
            return
        mem, lo, hi, dlo, dhi = run
        target = self.sim._buffers[mem][lo:hi]
        self.steps.append((np.copyto, (target, self._views[mem][dlo:dhi])))
        if mem == MemId.WGT:
            self.steps += self._weight_steps(target, self.wgt_t[lo:hi])

    def _store(self, insn: StoreInsn, index: int) -> None:
        if insn.x_size == 0:
            self._count(insn)
            return
        sim = self.sim
        pads = insn.y_pad_0 or insn.y_pad_1 or insn.x_pad_0 or insn.x_pad_1
        if insn.memory_type != MemId.OUT or pads:
            return self._fallback(insn, index)
        view = self._views[MemId.OUT]
        count = insn.y_size * insn.x_size
        overlapping = insn.x_stride < insn.x_size and insn.y_size > 1
        if not self._dram_end(insn, view) or insn.sram_base + count > len(sim.acc) or overlapping:
            return self._fallback(insn, index)
        self._count(insn)
        self.tally.dram_write_bytes += count * view.strides[0]
        if count:
            values = sim.acc[insn.sram_base : insn.sram_base + count]
            values = values.reshape(insn.y_size, insn.x_size, *values.shape[1:])
            # narrowing keeps the low bits, as astype(int8) does
            self._emit((np.copyto, (self._dram_block(view, insn), values, "unsafe")))

    def _loop(self, insn: GemmInsn | AluInsn, index: int, scratch: FunctionalSimulator) -> None:
        gemm = isinstance(insn, GemmInsn)
        src_depth = len(scratch.inp) if gemm else len(scratch.acc)
        try:
            dst, src, _ = scratch._loop_indices(insn, index, src_depth, with_wgt=gemm)
        except Exception:
            return self._fallback(insn, index)
        acc = self.sim.acc
        if insn.reset_reg:
            steps = zero_steps(acc, dst)
        elif gemm and len(dst) == 0:
            steps = []
        elif gemm:
            k = slice(insn.uop_bgn, insn.uop_end)
            uops = [column[k].copy() for column in scratch.uop]
            steps = gemm_steps(self.sim, self.wgt_t, insn, uops)
        else:
            steps = alu_steps(self.sim, insn, dst, src)
        if steps is None:
            return self._fallback(insn, index)
        self._count(insn)
        cfg = self.sim.cfg
        if gemm and not insn.reset_reg:
            self.tally.macs += len(dst) * cfg.batch * cfg.block_out * cfg.block_in
        elif not gemm and not insn.reset_reg:
            self.tally.alu_lanes += len(dst) * cfg.batch * cfg.block_out
        self._emit(*steps)
