"""A simulated PCIe accelerator card: its own memory, MMIO registers, and the functional simulator
executing the instruction stream it fetches from that memory.

Before a run started with CTRL_VERIFY, the card checks the crc32 of every span in its check table
(weights, micro-ops, instructions as the host uploaded them) and refuses to run on a mismatch
(`DeviceIntegrityError`). It runs in the caller's process; `ProcessCard` (process_card.py) serves
the same card from a process of its own.

A stream stays resident between runs, so the card decodes, plans, models and compiles it
(`canopy_ir.hw.sim_plan`) once, keyed by the instruction bytes it fetches, and runs the compiled
form on every start; it keeps the streams most recently run, up to RESIDENT_INSNS instructions
in all, so every segment of a model, and sessions sharing a card, do not recompile.
"""

from __future__ import annotations

import time
import zlib

import numpy as np

from canopy_ir.backend.pcie.device import (
    CHECK_ENTRY,
    CHECKED,
    CTRL_START,
    CTRL_VERIFY,
    REG_CHECK_ADDR,
    REG_CHECK_COUNT,
    REG_CTRL,
    REG_INSN_ADDR,
    REG_INSN_COUNT,
    REG_STATUS,
    STATUS_BUSY,
    STATUS_DONE,
    STATUS_ERROR,
    STATUS_IDLE,
    DeviceIntegrityError,
    DeviceResetError,
    MappedCard,
)
from canopy_ir.errors import CanopyError, DeviceError, DeviceTimeout
from canopy_ir.hw import isa
from canopy_ir.hw.config import HwConfig
from canopy_ir.hw.cycles import CycleReport, cycle_model
from canopy_ir.hw.schedule import Plan
from canopy_ir.hw.sim_plan import CompiledStream
from canopy_ir.hw.simulator import PIPELINE_ORDER, FunctionalSimulator, SimStats

DEFAULT_MEMORY = 256 << 20
# Decoded, planned, modelled and compiled streams a card keeps, counted in instructions (the most
# recently run kept, at least one stream): every segment of a model runs from here after its
# first run. (A count of 32 streams made a model of more segments, e.g. 53 for a MobileNetV2
# from onnxruntime's quantize_static without pre-processing, evict each before its next run.)
RESIDENT_INSNS = 1 << 18  # about five real CNNs (DenseNet-121: 48 774 instructions, 122 segments)


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


class SimCard(MappedCard):
    """A card with `memory_bytes` of its own DRAM implementing `config`.

    The stream runs when the host waits for it (the simulation is synchronous); `wait` raises
    `DeviceTimeout` if it takes longer than the timeout, leaving the card in the error state
    until `reset`. `restart` is the card's power cycle: memory and allocations are lost and
    `generation` counts up. `alloc_policy`: the allocator's fit ("first" or "best"). `backing`:
    an existing uint8 array to use as the card's DRAM (the card process's shared memory).
    """

    verifies_checksums = True

    def __init__(
        self,
        config: HwConfig | None = None,
        memory_bytes: int = DEFAULT_MEMORY,
        policy=PIPELINE_ORDER,
        *,
        alloc_policy: str = "first",
        backing: np.ndarray | None = None,
    ):
        self.name = "sim"
        self.config = config or HwConfig()
        if backing is not None:
            memory_bytes = backing.size
        self._init_memory(memory_bytes, alloc_policy)
        self._backed = backing is not None
        # zero pages are only touched when used
        self.memory = backing if backing is not None else np.zeros(memory_bytes, np.uint8)
        self.policy = policy
        self.last_stats: SimStats | None = None
        self.last_cycles: CycleReport | None = None  # the cycle model's report of the last run
        self.last_verify_seconds = 0.0  # the check of the uploaded data before the last run
        self.layers: list[str | None] | None = None  # per-instruction layers, for the report
        self._power_on()

    def _power_on(self) -> None:
        self.regs = {
            REG_INSN_ADDR: 0,
            REG_INSN_COUNT: 0,
            REG_CTRL: 0,
            REG_STATUS: STATUS_IDLE,
            REG_CHECK_ADDR: 0,
            REG_CHECK_COUNT: 0,
        }
        self.last_error: str | None = None
        self._resident: dict[bytes, _Resident] = {}  # by stream bytes, least recently run first
        self._sim: FunctionalSimulator | None = None

    def restart(self) -> None:
        """Power-cycle the card: its memory, allocations, registers and resident streams are
        lost; allocations made before are refused from now on."""
        if self._backed:
            self.memory.fill(0)
        else:
            self.memory = np.zeros(self.memory.size, np.uint8)
        self.allocator.reset()
        self.generation += 1
        self._power_on()

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
        if self.faults.fires("hang"):  # the card never signals done: give up on it, restart it
            time.sleep(timeout)
            self.restart()
            self.regs[REG_STATUS] = STATUS_ERROR
            raise DeviceTimeout(
                f"card did not finish within {timeout:g} s; it was restarted (its memory and "
                "allocations are lost)"
            )
        if self.faults.fires("reset"):
            self.restart()
            self.regs[REG_STATUS] = STATUS_ERROR
            raise DeviceResetError(
                "the card reset during the run: its memory and allocations are lost"
            )
        deadline = time.monotonic() + timeout
        start = self.regs[REG_INSN_ADDR]
        count = self.regs[REG_INSN_COUNT]
        try:
            if self.regs[REG_CTRL] & CTRL_VERIFY:
                t = time.perf_counter()
                self.verify()
                self.last_verify_seconds = time.perf_counter() - t
            if start < 0 or start + count * isa.INSN_BYTES > self.memory.size:
                raise DeviceError(
                    f"the stream of {count} instructions at card address {start:#x} lies "
                    f"outside the card's {self.memory.size} bytes of memory"
                )
        except DeviceError as exc:
            self.regs[REG_STATUS] = STATUS_ERROR
            self.last_error = str(exc)
            raise
        stream = self.memory[start : start + count * isa.INSN_BYTES].tobytes()
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

    def verify(self) -> None:
        """Check every span of the check table against the crc32 the host recorded at upload."""
        addr, count = self.regs[REG_CHECK_ADDR], self.regs[REG_CHECK_COUNT]
        nbytes = count * CHECK_ENTRY.itemsize
        if addr < 0 or addr + nbytes > self.memory.size:
            raise DeviceError(
                f"the check table of {count} entries at card address {addr:#x} lies outside "
                f"the card's {self.memory.size} bytes of memory"
            )
        for entry in np.frombuffer(self.memory[addr : addr + nbytes].tobytes(), CHECK_ENTRY):
            lo, n, want = int(entry["addr"]), int(entry["nbytes"]), int(entry["crc32"])
            what = CHECKED.get(int(entry["what"]), "data")
            got = zlib.crc32(self.memory[lo : lo + n]) if lo + n <= self.memory.size else None
            if got != want:
                found = "lie outside card memory" if got is None else f"have crc32 {got:#010x}"
                raise DeviceIntegrityError(
                    f"card memory check failed before the run: the {what} at card address "
                    f"{lo:#x} ({n} bytes) {found}, not {want:#010x} as uploaded; they changed "
                    "on the card after upload"
                )

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
        kept = sum(len(r.insns) for r in self._resident.values())
        while kept > RESIDENT_INSNS and len(self._resident) > 1:
            kept -= len(self._resident.pop(next(iter(self._resident))).insns)
        return resident

    def reset(self) -> None:
        """Clear the error state; memory, allocations and resident streams stay."""
        self.regs.update({REG_CTRL: 0, REG_STATUS: STATUS_IDLE})
        self.last_error = None
