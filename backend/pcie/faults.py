"""Fault injection for tests: make a simulated card (`SimCard`, `ProcessCard`) fail the way real
cards fail, once, at a chosen moment.

    from canopy_ir.backend.pcie import faults

    faults.hang(card)                    # the next launch never finishes: `wait` times out
    faults.dma_error(card, "to_device")  # the next DMA to the card fails
    faults.reset_mid_run(card)           # the card resets during the next launch
    faults.flip_bit(card, addr, bit)     # one bit of card memory flips, now
    faults.flip_bit_in(session, "weights")  # ... in the weights, micro-ops or instructions a
                                            # session uploaded

`hang`, `dma_error` and `reset_mid_run` arm a fault that fires once, on the event it names;
`skip` lets that many such events pass first (e.g. `dma_error(card, skip=2)` fails the third
transfer). A card keeps its armed faults in a `FaultPlan` (`card.faults`), across restarts.

What the card does when a fault fires (docs/runtime.md): a hung card is given up after the
session's timeout and restarted, its memory lost (`DeviceTimeout`); a failed DMA raises
`DeviceError` and moves nothing; a reset loses the card's memory and allocations
(`DeviceResetError`); a flipped bit is found by the card's check of the uploaded data before its
next run (`DeviceIntegrityError`). A session recovers from each on its next run.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from canopy_ir.errors import CanopyError

KINDS = ("hang", "reset", "dma_to_device", "dma_from_device")


@dataclass
class ArmedFault:
    kind: str
    skip: int  # events of this kind to let pass before it fires


class FaultPlan:
    """The faults armed on one card. The card asks `fires(kind)` at each event of that kind."""

    def __init__(self):
        self.armed: list[ArmedFault] = []

    def arm(self, kind: str, skip: int = 0) -> None:
        if kind not in KINDS:
            raise CanopyError(f"unknown fault '{kind}' (faults: {', '.join(KINDS)})")
        if skip < 0:
            raise CanopyError(f"fault '{kind}': skip must be >= 0, got {skip}")
        self.armed.append(ArmedFault(kind, skip))

    def fires(self, kind: str) -> bool:
        """Whether a fault fires at this event of `kind`; a fault that fires is disarmed."""
        for i, fault in enumerate(self.armed):
            if fault.kind == kind:
                if fault.skip:
                    fault.skip -= 1
                    return False
                del self.armed[i]
                return True
        return False

    def pending(self) -> list[str]:
        return [f.kind for f in self.armed]

    def clear(self) -> None:
        self.armed.clear()


def hang(card, skip: int = 0) -> None:
    """The card's next launch (after `skip` launches) never signals done."""
    card.faults.arm("hang", skip)


def reset_mid_run(card, skip: int = 0) -> None:
    """The card resets during its next launch (after `skip`): memory and allocations are lost."""
    card.faults.arm("reset", skip)


def dma_error(card, direction: str = "to_device", skip: int = 0) -> None:
    """The next DMA transfer in `direction` ("to_device" or "from_device", after `skip` of
    them) fails and moves nothing."""
    if direction not in ("to_device", "from_device"):
        raise CanopyError(f"DMA direction must be 'to_device' or 'from_device', got '{direction}'")
    card.faults.arm(f"dma_{direction}", skip)


def flip_bit(card, addr: int, bit: int = 0) -> None:
    """Flip bit `bit` of the byte at card address `addr` now, behind the driver's back (a soft
    error in the card's DRAM, or a stray write by another master on the bus)."""
    memory: np.ndarray = card.memory
    if not 0 <= addr < memory.size or not 0 <= bit < 8:
        raise CanopyError(
            f"cannot flip bit {bit} at card address {addr:#x}: the card has {memory.size} bytes"
        )
    memory[addr] ^= np.uint8(1 << bit)


def flip_bit_in(session, what: str = "weights", seed: int = 0) -> int:
    """Flip one bit, chosen by `seed`, in `what` ("weights", "micro-ops" or "instructions") as
    `session` uploaded it to its card; returns the card address of the byte flipped."""
    if session.image is None or not session.image.valid:
        raise CanopyError("the session has no model on its card (closed, or not uploaded again)")
    spans = [(addr, n) for kind, addr, n in session.image.spans() if kind == what]
    if not spans:
        kinds = sorted({kind for kind, _, _ in session.image.spans()})
        raise CanopyError(f"the session has no {what} on its card (it has: {', '.join(kinds)})")
    rng = np.random.default_rng(seed)
    sizes = np.array([n for _, n in spans])
    offset = int(rng.integers(int(sizes.sum())))
    k = int(np.searchsorted(np.cumsum(sizes), offset, side="right"))
    addr = spans[k][0] + offset - int(sizes[:k].sum())
    flip_bit(session.device, addr, int(rng.integers(8)))
    return addr
