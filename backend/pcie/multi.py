"""One model on several cards of one host: data-parallel (a batch spread over the cards) or a
pipeline (the model's layers split into consecutive stages, one card each).

Takes an artefact (compiled for batch 1, as every artefact today) and a list of cards: `Device`s
(simulated cards, `PacedCard`s, OpenCL cards) or device strings as `Session` takes them ("sim",
"opencl:0", ...), or a number N for N simulated cards (wrapped in `PacedCard(sleep=False)`, which
only accounts their modelled time). Produces the same outputs as one card, bit for bit.

- `DataParallelSession`: the model resident on every card; a batch of B inputs is B runs, taken
  in order by one thread per card as each card frees up (the cards work concurrently: a card's
  thread waits on the device, or on the simulator's numpy, which releases the interpreter lock);
  results come back in input order.
- `PipelineSession`: `stages.split_artefact` cuts the model into one stage per card; activations
  cross from card to card through the host. A batch flows through the stages with one thread per
  stage, so stage k works on item i while stage k+1 works on item i-1.

Both record `last_timing` (a `BatchTiming`): wall time, and modelled time where every card
accounts it (`PacedCard`): for data-parallel the runs' modelled times list-scheduled in order on
the cards, for the pipeline the usual recurrence (item i leaves stage k when stage k has finished
item i-1 and stage k-1 item i). Host work and PCIe copies are not in the cycle model, so the
modelled time is the cards' time alone.
"""

from __future__ import annotations

import heapq
import itertools
import queue
import threading
import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from canopy_ir.artefact import Artefact
from canopy_ir.backend.pcie.device import Device
from canopy_ir.backend.pcie.host import HostValues
from canopy_ir.backend.pcie.paced import paced_sim_cards
from canopy_ir.backend.pcie.session import Session
from canopy_ir.backend.pcie.stages import Stage, split_artefact
from canopy_ir.errors import CanopyError

Feeds = dict[str, np.ndarray]


@dataclass
class BatchTiming:
    """How long the last batch took: wall clock, and the cards' modelled time (None unless
    every card accounts it). `busy`: modelled seconds per card (per stage for a pipeline)."""

    items: int
    cards: int
    wall_seconds: float
    modelled_seconds: float | None
    busy: list[float] = field(default_factory=list)

    @property
    def modelled_throughput(self) -> float | None:
        """Items per modelled second."""
        if not self.modelled_seconds:
            return None
        return self.items / self.modelled_seconds


def _load(artefact: Artefact | str | Path) -> Artefact:
    return artefact if isinstance(artefact, Artefact) else Artefact.load(artefact)


def _cards(devices: Sequence[Device | str] | int, art: Artefact) -> list[Device | str]:
    if isinstance(devices, int):
        return list(paced_sim_cards(devices, art.config, sleep=False))
    devices = list(devices)
    if not devices:
        raise CanopyError("a multi-card session needs at least one card")
    return devices


def _modelled(device) -> float | None:
    """Modelled seconds a card has accounted so far (None: it does not account them)."""
    value = getattr(device, "modelled_seconds", None)
    return float(value) if value is not None else None


def model_io(art: Artefact) -> tuple[dict[str, tuple[int, ...]], list[str]]:
    """The model's inputs (name → compiled shape) and output names, in ONNX order as `Session`
    lists them."""
    host = art.host
    found: dict[str, dict[str, tuple[int, ...]]] = {}
    for role in ("input", "output"):
        shapes = {r.onnx_name: tuple(r.logical_shape) for r in art.io(role)}
        shapes |= {
            t["onnx_name"]: tuple(t["shape"]) for t in host["tensors"].values() if t["role"] == role
        }
        order = [n for n in host[f"{role}s"] if n in shapes] + [
            n for n in shapes if n not in host[f"{role}s"]
        ]
        found[role] = {n: shapes[n] for n in order}
    return found["input"], list(found["output"])


def check_feeds(feeds: Feeds, inputs: list[str]) -> None:
    unknown = set(feeds) - set(inputs)
    if unknown:
        raise CanopyError(f"unknown input(s) {sorted(unknown)}; the model takes {inputs}")
    missing = [n for n in inputs if n not in feeds]
    if missing:
        raise CanopyError(f"input '{missing[0]}' is missing")


def split_batch(feeds: Feeds, inputs: dict[str, tuple[int, ...]]) -> list[Feeds]:
    """The items of a batch: every input stacks B inputs of its compiled shape along axis 0
    (B images of a batch-1 model)."""
    check_feeds(feeds, list(inputs))
    counts = set()
    for name, value in feeds.items():
        shape, want = np.shape(value), tuple(inputs[name])
        if len(shape) != len(want) or shape[0] % want[0] or shape[1:] != want[1:]:
            raise CanopyError(
                f"input '{name}' has shape {shape}; a batch of this model stacks inputs of "
                f"shape {want} along axis 0"
            )
        counts.add(shape[0] // want[0])
    if len(counts) != 1:
        raise CanopyError(f"the inputs hold different numbers of items: {sorted(counts)}")
    (count,) = counts
    if count == 0:
        raise CanopyError("the batch holds no items")
    return [
        {n: np.asarray(v)[i * inputs[n][0] : (i + 1) * inputs[n][0]] for n, v in feeds.items()}
        for i in range(count)
    ]


def stack_results(results: list[Feeds], outputs: list[str]) -> Feeds:
    """The items' outputs stacked along axis 0, by output name."""
    return {n: np.concatenate([r[n] for r in results]) for n in outputs}


class _MultiCard(ABC):
    """What both kinds of session share: the sessions, batching along axis 0, closing."""

    sessions: list[Session]
    inputs: dict[str, tuple[int, ...]]  # name → compiled shape
    outputs: list[str]
    last_timing: BatchTiming | None = None

    @abstractmethod
    def run_many(self, batch: Sequence[Feeds]) -> list[Feeds]:
        """The outputs of every item of `batch`, in order."""

    def run(self, feeds: Feeds) -> Feeds:
        """A batch along axis 0 (`split_batch`); the outputs come back stacked the same way."""
        results = self.run_many(split_batch(feeds, self.inputs))
        return stack_results(results, self.outputs)

    def close(self) -> None:
        for s in self.sessions:
            s.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.close()


class DataParallelSession(_MultiCard):
    """The model resident on every card of `devices`; batches are spread over them."""

    def __init__(
        self,
        artefact: Artefact | str | Path,
        devices: Sequence[Device | str] | int,
        timeout: float = 60.0,
        host_values: Callable[[], HostValues] | None = None,
    ):
        art = _load(artefact)
        self.cards = _cards(devices, art)
        self.sessions = [Session(art, d, timeout, host_values) for d in self.cards]
        self.inputs, self.outputs = model_io(art)

    def run_many(self, batch: Sequence[Feeds]) -> list[Feeds]:
        """Results of every item of `batch`, in order; runs spread over the cards."""
        batch = list(batch)
        results: list[Feeds | None] = [None] * len(batch)
        modelled: list[float | None] = [None] * len(batch)
        failures: list[tuple[int, BaseException]] = []
        claim = itertools.count()  # next() on a count is atomic: each item is run once

        def work(session: Session, card: Device | str) -> None:
            while not failures:
                i = next(claim)
                if i >= len(batch):
                    return
                before = _modelled(card)
                try:
                    results[i] = session.run(batch[i])
                except BaseException as exc:  # reported to the caller below
                    failures.append((i, exc))
                    return
                after = _modelled(card)
                modelled[i] = None if before is None or after is None else after - before

        start = time.perf_counter()
        _run_threads(
            [lambda s=s, c=c: work(s, c) for s, c in zip(self.sessions, self.cards, strict=True)]
        )
        wall = time.perf_counter() - start
        _raise_first(failures)
        known = None if any(m is None for m in modelled) else [float(m) for m in modelled]
        makespan, busy = _list_schedule(known, len(self.sessions)) if known else (None, [])
        self.last_timing = BatchTiming(len(batch), len(self.sessions), wall, makespan, busy)
        return results  # type: ignore[return-value]


class PipelineSession(_MultiCard):
    """The model cut into one stage per card of `devices` (balanced on the cycle model, or
    starting at the layers named in `boundaries`); see `stages.split_artefact`."""

    def __init__(
        self,
        artefact: Artefact | str | Path,
        devices: Sequence[Device | str] | int,
        timeout: float = 60.0,
        host_values: Callable[[], HostValues] | None = None,
        boundaries: Sequence[str] | None = None,
    ):
        art = _load(artefact)
        self.cards = _cards(devices, art)
        if boundaries is not None and len(boundaries) + 1 != len(self.cards):
            raise CanopyError(
                f"{len(boundaries)} stage boundaries make {len(boundaries) + 1} stages, "
                f"but {len(self.cards)} cards were given"
            )
        self.stages: list[Stage] = split_artefact(art, len(self.cards), boundaries)
        self.sessions = [
            Session(st.artefact, d, timeout, host_values)
            for st, d in zip(self.stages, self.cards, strict=True)
        ]
        self.inputs, self.outputs = model_io(art)

    def _stage(self, k: int, values: Feeds) -> float | None:
        """Run stage k on `values` (adding what it gives); its modelled seconds."""
        session, stage, card = self.sessions[k], self.stages[k], self.cards[k]
        before = _modelled(card)
        values.update(session.run({n: values[n] for n in stage.inputs}))
        after = _modelled(card)
        return None if before is None or after is None else after - before

    def run_many(self, batch: Sequence[Feeds]) -> list[Feeds]:
        """Results of every item of `batch`, in order; the stages work on successive items at
        the same time."""
        batch = list(batch)
        for feeds in batch:
            check_feeds(feeds, list(self.inputs))
        n = len(self.sessions)
        values = [dict(feeds) for feeds in batch]
        modelled = [[0.0] * len(batch) for _ in range(n)]
        failures: list[tuple[int, BaseException]] = []
        pipes = [queue.SimpleQueue() for _ in range(n + 1)]
        for i in range(len(batch)):
            pipes[0].put(i)
        pipes[0].put(None)

        def work(k: int) -> None:
            while (i := pipes[k].get()) is not None:
                if not failures:
                    try:
                        modelled[k][i] = self._stage(k, values[i])
                    except BaseException as exc:  # reported to the caller below
                        failures.append((i, exc))
                pipes[k + 1].put(i)
            pipes[k + 1].put(None)

        start = time.perf_counter()
        _run_threads([lambda k=k: work(k) for k in range(n)])
        wall = time.perf_counter() - start
        _raise_first(failures)
        known = all(m is not None for row in modelled for m in row)
        makespan = _pipeline_makespan(modelled) if known and batch else None
        busy = [sum(row) for row in modelled] if known else []
        self.last_timing = BatchTiming(len(batch), n, wall, makespan, busy)
        return [{name: v[name] for name in self.outputs} for v in values]


def _run_threads(targets: list[Callable[[], None]]) -> None:
    threads = [threading.Thread(target=t, daemon=True) for t in targets]
    for t in threads:
        t.start()
    for t in threads:
        t.join()


def _raise_first(failures: list[tuple[int, BaseException]]) -> None:
    if failures:
        i, exc = min(failures, key=lambda f: f[0])
        exc.add_note(f"(batch item {i})")
        raise exc


def _list_schedule(durations: list[float], cards: int) -> tuple[float, list[float]]:
    """Makespan and per-card busy time of `durations` taken in order, each by the card that
    frees up first."""
    free = [(0.0, k) for k in range(cards)]
    busy = [0.0] * cards
    for d in durations:
        t, k = heapq.heappop(free)
        busy[k] += d
        heapq.heappush(free, (t + d, k))
    return max(t for t, _ in free), busy


def _pipeline_makespan(durations: list[list[float]]) -> float:
    """When the last item leaves the last stage: stage k starts item i once it has finished
    item i-1 and stage k-1 has finished item i."""
    done = [0.0] * len(durations[0])
    for row in durations:
        previous = 0.0
        for i, d in enumerate(row):
            previous = done[i] = max(done[i], previous) + d
    return done[-1]
