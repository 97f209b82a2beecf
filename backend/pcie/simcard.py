"""A simulated PCIe accelerator card: its own memory, MMIO registers, and the functional simulator
executing the instruction stream it fetches from that memory.

A stream stays resident between runs, so the card decodes, plans, models and compiles it
(`canopy_ir.hw.sim_plan`) once, keyed by the instruction bytes it fetches, and runs the compiled
form on every start; it keeps the last few streams, so sessions sharing a card do not recompile.
"""

from __future__ import annotations

import time

import numpy as np

from canopy_ir.backend.pcie.device import (
    CTRL_START,
    REG_CTRL,
    REG_INSN_ADDR,
    REG_INSN_COUNT,
    REG_STATUS,
    STATUS_BUSY,
    STATUS_DONE,
    STATUS_ERROR,
    STATUS_IDLE,
    DevicePtr,
    OffsetAllocator,
)
from canopy_ir.errors import CanopyError, DeviceError, DeviceTimeout
from canopy_ir.hw import isa
from canopy_ir.hw.config import HwConfig
from canopy_ir.hw.cycles import CycleReport, cycle_model
from canopy_ir.hw.schedule import Plan
from canopy_ir.hw.sim_plan import CompiledStream
from canopy_ir.hw.simulator import PIPELINE_ORDER, FunctionalSimulator, SimStats

DEFAULT_MEMORY = 256 << 20
RESIDENT_STREAMS = 32  # decoded and compiled streams a card keeps (a model's segments, models)


class _Resident:
    """A stream the card has fetched: decoded, planned, modelled, and compiled per policy."""

    def __init__(self, insns: list[isa.Insn], plan: Plan, cycles: CycleReport, layers):
        self.insns, self.plan, self.cycles, self.layers = insns, plan, cycles, layers
        self.compiled: dict = {}  # policy -> CompiledStream

    def program(self, sim: FunctionalSimulator, policy) -> CompiledStream:
        key = policy if isinstance(policy, str) else tuple(policy)
        program = self.compiled.get(key)
        if program is None or not program.matches():  # new policy, or the micro-ops changed
            program = self.compiled[key] = CompiledStream(sim, self.insns, policy, self.plan)
        return program


class SimCard:
    """A card with `memory_bytes` of its own DRAM implementing `config`.

    The stream runs when the host waits for it (the simulation is synchronous); `wait` raises
    `DeviceTimeout` if it takes longer than the timeout, leaving the card in the error state
    until `reset`.
    """

    def __init__(
        self,
        config: HwConfig | None = None,
        memory_bytes: int = DEFAULT_MEMORY,
        policy=PIPELINE_ORDER,
    ):
        self.name = "sim"
        self.config = config or HwConfig()
        self.memory = np.zeros(memory_bytes, np.uint8)  # zero pages are only touched when used
        self.allocator = OffsetAllocator(memory_bytes)
        self.regs = {REG_INSN_ADDR: 0, REG_INSN_COUNT: 0, REG_CTRL: 0, REG_STATUS: STATUS_IDLE}
        self.policy = policy
        self.last_error: str | None = None
        self.last_stats: SimStats | None = None
        self.last_cycles: CycleReport | None = None  # the cycle model's report of the last run
        self.layers: list[str | None] | None = None  # per-instruction layers, for the report
        self._resident: dict[bytes, _Resident] = {}  # by stream bytes, least recently run first
        self._sim: FunctionalSimulator | None = None

    # ---- memory ---------------------------------------------------------------------------
    def alloc(self, nbytes: int, align: int = 64) -> DevicePtr:
        return DevicePtr(self.allocator.alloc(nbytes, align), nbytes)

    def free(self, ptr: DevicePtr) -> None:
        self.allocator.free(ptr.addr, ptr.nbytes)

    def _check(self, ptr: DevicePtr, offset: int, nbytes: int) -> None:
        if offset < 0 or offset + nbytes > ptr.nbytes:
            raise DeviceError(
                f"DMA of {nbytes} bytes at offset {offset} overruns a {ptr.nbytes}-byte allocation"
            )

    def dma_to_device(self, ptr: DevicePtr, data: bytes, offset: int = 0) -> None:
        self._check(ptr, offset, len(data))
        start = ptr.addr + offset
        self.memory[start : start + len(data)] = np.frombuffer(bytes(data), np.uint8)

    def dma_from_device(self, ptr: DevicePtr, nbytes: int, offset: int = 0) -> bytes:
        self._check(ptr, offset, nbytes)
        start = ptr.addr + offset
        return self.memory[start : start + nbytes].tobytes()

    # ---- registers ------------------------------------------------------------------------
    def write_reg(self, reg: int, value: int) -> None:
        if reg not in self.regs:
            raise DeviceError(f"no register at offset {reg:#x}")
        if reg == REG_CTRL and value & CTRL_START:
            if self.regs[REG_STATUS] == STATUS_ERROR:
                raise DeviceError("card is in the error state; reset it first")
            self.regs[REG_STATUS] = STATUS_BUSY
        self.regs[reg] = value

    def read_reg(self, reg: int) -> int:
        if reg not in self.regs:
            raise DeviceError(f"no register at offset {reg:#x}")
        return self.regs[reg]

    def wait(self, timeout: float) -> None:
        if self.regs[REG_STATUS] != STATUS_BUSY:
            return
        start = self.regs[REG_INSN_ADDR]
        count = self.regs[REG_INSN_COUNT]
        stream = self.memory[start : start + count * isa.INSN_BYTES].tobytes()
        deadline = time.monotonic() + timeout
        try:
            resident = self._fetch(stream)
            self.last_cycles = resident.cycles
            if self._sim is None:
                self._sim = FunctionalSimulator(self.config, self.memory)
            self.last_stats = resident.program(self._sim, self.policy).run()
        except CanopyError as exc:
            self.regs[REG_STATUS] = STATUS_ERROR
            self.last_error = str(exc)
            raise DeviceError(f"card stopped with an error: {exc}") from None
        if time.monotonic() > deadline:
            self.regs[REG_STATUS] = STATUS_ERROR
            raise DeviceTimeout(f"card did not finish within {timeout:g} s")
        if not self.last_stats.finished:
            self.regs[REG_STATUS] = STATUS_ERROR
            raise DeviceTimeout("the stream ended without FINISH: the card never signals done")
        self.regs[REG_STATUS] = STATUS_DONE

    def _fetch(self, stream: bytes) -> _Resident:
        """The resident form of `stream`: decoded, planned and modelled once per upload."""
        resident = self._resident.pop(stream, None)
        if resident is None:
            insns = isa.decode_insns(stream, self.config)
            plan = Plan(insns)
            cycles = cycle_model(insns, self.config, self.layers, plan)
            resident = _Resident(insns, plan, cycles, self.layers)
        elif resident.layers is not self.layers and resident.layers != self.layers:
            resident.cycles = cycle_model(resident.insns, self.config, self.layers, resident.plan)
            resident.layers = self.layers
        self._resident[stream] = resident  # most recently run last
        while len(self._resident) > RESIDENT_STREAMS:
            del self._resident[next(iter(self._resident))]
        return resident

    def reset(self) -> None:
        self.regs.update({REG_CTRL: 0, REG_STATUS: STATUS_IDLE})
        self.last_error = None
