"""One serving replica: the card it drives and the `InferenceSession` resident on it.

Takes an artefact path, a device list and the replica's index; a replica runs lists of items
(input dicts) on its card, one after the other, and gives their outputs.

The device list is comma-separated; replica k takes entry k modulo its length, so `sim` gives
every replica its own simulated card and `opencl:0,opencl:1` one OpenCL device each. An entry is
a device string `Session` takes (`sim`, `opencl`, `opencl:NAME|INDEX`) or `paced` / `paced@MHZ`:
a simulated card paced by the cycle model (`canopy_ir.backend.pcie.paced`), at the artefact's
clock or at MHZ; `paced-process` / `paced-process@MHZ`: the same with the simulated card in a
process of its own (`ProcessCard`), so that its simulation does not share the replica's
interpreter lock with the serving work, as a card behind PCIe would not.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from canopy_ir.artefact import Artefact
from canopy_ir.backend.pcie.device import Device
from canopy_ir.backend.pcie.paced import PacedCard
from canopy_ir.backend.pcie.process_card import ProcessCard
from canopy_ir.backend.pcie.session import InferenceSession
from canopy_ir.backend.pcie.simcard import SimCard
from canopy_ir.errors import CanopyError
from canopy_ir.hw.config import HwConfig

Feeds = dict[str, np.ndarray]


PACED = ("paced", "paced-process")  # paced simulated cards, in the replica's process or their own


def parse_devices(devices: str) -> list[tuple[str, float | None]]:
    """The entries of a device list as (device string, or one of PACED with its clock in MHz or
    None), checked (see the module docstring)."""
    entries = [e.strip() for e in devices.split(",") if e.strip()]
    if not entries:
        raise CanopyError("the device list is empty")
    parsed = []
    for entry in entries:
        name, at, clock = entry.partition("@")
        if name not in PACED:
            if at:
                raise CanopyError(f"device '{entry}': only a paced card takes a clock (paced@MHZ)")
            parsed.append((entry, None))
            continue
        try:
            mhz = float(clock) if at else None
        except ValueError:
            raise CanopyError(f"device '{entry}': the clock after @ is not a number") from None
        if mhz is not None and mhz <= 0:
            raise CanopyError(f"device '{entry}': the clock must be positive")
        parsed.append((name, mhz))
    return parsed


def card_for(devices: str, index: int, config: HwConfig) -> Device | str:
    """The card of replica `index` from the device list `devices` (see the module docstring)."""
    entries = parse_devices(devices)
    name, mhz = entries[index % len(entries)]
    if name == "paced":
        return PacedCard(SimCard(config), mhz)
    if name == "paced-process":
        return PacedCard(ProcessCard(config), mhz)
    return name


class CardReplica:
    """The model resident on replica `index`'s card."""

    def __init__(
        self, artefact: str | Path, devices: str = "sim", index: int = 0, timeout: float = 60.0
    ):
        self.index = index
        self.card = card_for(devices, index, Artefact.load(artefact).config)
        self.session = InferenceSession(artefact, device=self.card, timeout=timeout)
        self.inputs = {a.name: tuple(a.shape) for a in self.session.get_inputs()}
        self.outputs = [a.name for a in self.session.get_outputs()]

    def run(self, items: list[Feeds]) -> list[Feeds]:
        return [dict(zip(self.outputs, self.session.run(None, f), strict=True)) for f in items]

    def run_requests(self, requests: list[list[Feeds]]) -> list[list[Feeds] | CanopyError]:
        """Each request's outputs (or the error it met), its items run in order."""
        answers: list[list[Feeds] | CanopyError] = []
        for items in requests:
            try:
                answers.append(self.run(items))
            except CanopyError as exc:
                answers.append(exc)
        return answers

    def close(self) -> None:
        try:
            self.session.session.close()
        finally:
            if not isinstance(self.card, str) and hasattr(self.card, "close"):
                self.card.close()  # a card the replica made (a paced card's process ends)

    @property
    def modelled_seconds(self) -> float | None:
        """Modelled card time so far (paced cards only)."""
        return getattr(self.card, "modelled_seconds", None)
