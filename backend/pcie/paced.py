"""A cycle-paced card: a `Device` wrapper whose `wait` returns no earlier than the accelerator's
cycle model says the launched instructions take at the configuration's clock. A modelling tool.

Takes any card (the simulated `SimCard`, an OpenCL card, ...) and offers the same `Device`
protocol. Every launch (a START written to REG_CTRL) is timed from the moment of the write; `wait`
lets the wrapped card finish the work, then sleeps until launch time + modelled time. The cycle
model (`canopy_ir.hw.cycles`, the figures of `canopy-run --profile`) comes from the simulated card
when it is one (it models every stream it runs), else from the instruction stream read back from
card memory, modelled once per distinct stream.

Why: the simulator computes an image in about the time the modelled hardware would take, so on
a small host N simulated cards running at once compete for the CPU and show the CPU's limits,
not the cards'. Paced cards spend most of their time asleep when the modelled time is longer
than the simulation (always true with `clock_mhz` below the configuration's clock), and N of them
then behave like N real cards to the software driving them (threads, a serving engine). They are
also the accounting behind `multi`'s modelled throughput: `modelled_seconds` adds up the modelled
time of every launch, and `sleep=False` keeps that accounting without sleeping.
"""

from __future__ import annotations

import time
from collections import OrderedDict

from canopy_ir.backend.pcie.device import (
    CTRL_START,
    REG_CTRL,
    REG_INSN_ADDR,
    REG_INSN_COUNT,
    Device,
    DevicePtr,
    card_generation,
)
from canopy_ir.backend.pcie.simcard import SimCard
from canopy_ir.errors import DeviceError, DeviceTimeout
from canopy_ir.hw import isa
from canopy_ir.hw.config import HwConfig
from canopy_ir.hw.cycles import CycleReport, cycle_model

# Cycle reports kept for cards that do not model their own streams, keyed by the streams, up to
# this many stream bytes (the most recently run kept, at least one): every segment of a model.
MODELLED_BYTES = 16 << 20


class PacedCard:
    """`card`, paced by the cycle model at `clock_mhz` (default: the configuration's clock).

    `config` is needed only for a card that does not carry its own (`card.config`).
    `sleep=False` only accounts modelled time. After each launch: `last_cycles` (its
    `CycleReport`), `last_seconds` (modelled seconds at `clock_mhz`); in total: `launches`,
    `modelled_seconds`.
    """

    def __init__(
        self,
        card: Device,
        clock_mhz: float | None = None,
        config: HwConfig | None = None,
        sleep: bool = True,
    ):
        self.card = card
        self.config = getattr(card, "config", None) or config
        if self.config is None:
            raise DeviceError(
                f"card '{card.name}' does not say which hardware configuration it implements; "
                "pass config= to PacedCard"
            )
        self.clock_mhz = float(clock_mhz or self.config.CLOCK_MHZ)
        if self.clock_mhz <= 0:
            raise DeviceError(f"clock_mhz must be positive, got {clock_mhz}")
        self.sleep = sleep
        self.name = f"paced:{card.name}"
        self.launches = 0
        self.modelled_seconds = 0.0
        self.last_seconds = 0.0
        self.last_cycles: CycleReport | None = None
        self._layers: list[str | None] | None = None
        self._started: float | None = None  # perf_counter of the pending launch's START
        self._reports: OrderedDict[bytes, CycleReport] = OrderedDict()

    # ---- the card's own protocol, passed through --------------------------------------------
    def alloc(self, nbytes: int, align: int = 64) -> DevicePtr:
        return self.card.alloc(nbytes, align)

    def free(self, ptr: DevicePtr) -> None:
        self.card.free(ptr)

    def dma_to_device(self, ptr: DevicePtr, data: bytes, offset: int = 0) -> None:
        self.card.dma_to_device(ptr, data, offset)

    def dma_from_device(self, ptr: DevicePtr, nbytes: int, offset: int = 0, **kw) -> bytes:
        return self.card.dma_from_device(ptr, nbytes, offset, **kw)  # e.g. out= (pinned)

    def read_reg(self, reg: int) -> int:
        return self.card.read_reg(reg)

    def write_reg(self, reg: int, value: int) -> None:
        self.card.write_reg(reg, value)
        if reg == REG_CTRL and value & CTRL_START:
            self._started = time.perf_counter()

    def reset(self) -> None:
        self._started = None
        self.card.reset()

    def __getattr__(self, name: str):
        """Anything else is the wrapped card's: its restart count (`generation`), whether it
        checks upload checksums, `close`, pinned host memory, its memory and fault switches."""
        if name == "card":
            raise AttributeError(name)
        return getattr(self.card, name)

    @property
    def layers(self) -> list[str | None] | None:
        """Per-instruction layer names of the next launch (`Session` sets them), for the
        per-layer cycle report; forwarded to a card that reports per layer itself."""
        return getattr(self.card, "layers", self._layers)

    @layers.setter
    def layers(self, value: list[str | None] | None) -> None:
        self._layers = value
        if hasattr(self.card, "layers"):
            self.card.layers = value

    # ---- pacing ----------------------------------------------------------------------------
    def wait(self, timeout: float) -> None:
        started, self._started = self._started, None
        if started is None:  # nothing launched through this wrapper: nothing to pace
            self.card.wait(timeout)
            return
        report = None if isinstance(self.card, SimCard) else self._model_launched()
        self.card.wait(timeout)
        if isinstance(self.card, SimCard):
            report = self.card.last_cycles  # the simulated card models every stream it runs
        seconds = report.total_cycles / (self.clock_mhz * 1e6)
        self.last_cycles, self.last_seconds = report, seconds
        self.launches += 1
        self.modelled_seconds += seconds
        if not self.sleep:
            return
        if seconds > timeout:
            time.sleep(max(0.0, started + timeout - time.perf_counter()))
            raise DeviceTimeout(
                f"card did not finish within {timeout:g} s (the cycle model gives "
                f"{seconds:.3g} s at {self.clock_mhz:g} MHz)"
            )
        remaining = started + seconds - time.perf_counter()
        if remaining > 0:
            time.sleep(remaining)

    def _model_launched(self) -> CycleReport:
        """The cycle report of the stream the card was started on, read from card memory."""
        count = self.card.read_reg(REG_INSN_COUNT)
        nbytes = count * isa.INSN_BYTES
        stream = bytes(  # the key of the model cache (cards may return a bytearray)
            self.card.dma_from_device(
                DevicePtr(self.card.read_reg(REG_INSN_ADDR), nbytes, card_generation(self.card)),
                nbytes,
            )
        )
        # keyed by the stream alone: layer names change the per-layer breakdown, not the time
        report = self._reports.pop(stream, None)
        if report is None:
            report = cycle_model(isa.decode_insns(stream, self.config), self.config, self._layers)
        self._reports[stream] = report  # most recently used last
        kept = sum(map(len, self._reports))
        while kept > MODELLED_BYTES and len(self._reports) > 1:
            oldest = next(iter(self._reports))
            del self._reports[oldest]
            kept -= len(oldest)
        return report


def paced_sim_cards(
    count: int, config: HwConfig, clock_mhz: float | None = None, sleep: bool = True
) -> list[PacedCard]:
    """`count` simulated cards implementing `config`, each paced (or, `sleep=False`, only
    accounted) by the cycle model."""
    if count < 1:
        raise DeviceError(f"need at least one card, got {count}")
    return [PacedCard(SimCard(config), clock_mhz, sleep=sleep) for _ in range(count)]
