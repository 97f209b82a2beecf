"""The GEMM tile search: time a few tile shapes and dot-product modes of `gemm.dense` on the
device, check each against a reference, keep the fastest exact one.

The search runs once per (device, driver, shape, requantization); its answer is kept in memory
and, when `cache` names a JSON file, there too, so later processes skip it. Candidates that fail
to build, need more local memory or work-items than the device has, or give a wrong result are
reported and skipped, never chosen.
"""

from __future__ import annotations

import json
import os
import statistics
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from canopy_ir.errors import CanopyError
from canopy_ir.quant import Requant, requantize

from .gemm import GemmTiles, dense
from .mma import MmaTiles, dense_mma
from .runtime import Runtime

# Register tiles of 8×8 (or 8×16) int32 accumulators per work-item, 128-256 wide blocks: enough
# reuse per 16-byte local load to keep the int8 dot-product units busy on large GPUs; the small
# entries serve CPUs and narrow layers.
CANDIDATES = (
    GemmTiles(128, 128, 32, 8, 8),
    GemmTiles(128, 128, 64, 8, 8),
    GemmTiles(64, 128, 64, 8, 8),
    GemmTiles(128, 64, 64, 8, 8),
    GemmTiles(128, 256, 32, 8, 16),
    GemmTiles(256, 128, 32, 16, 8),
    GemmTiles(64, 64, 64, 4, 4),
    GemmTiles(32, 32, 32, 4, 4),
)
# NVIDIA only: tensor-core tiles (mma.MmaTiles), 128-256 wide blocks of 16×8 fragments.
MMA_CANDIDATES = (
    MmaTiles(2, 4, 4, 4, 64),
    MmaTiles(2, 2, 4, 8, 64),
    MmaTiles(4, 2, 2, 8, 64),
    MmaTiles(2, 2, 4, 8, 32),
    MmaTiles(4, 2, 4, 8, 32),
    MmaTiles(2, 4, 4, 8, 32),
)


@dataclass
class Trial:
    """One candidate's outcome: median seconds per run, whether its sampled output was exact,
    or why it was skipped."""

    tiles: GemmTiles | MmaTiles
    dot: str
    seconds: float | None = None
    exact: bool | None = None
    error: str | None = None
    detail: str | None = field(default=None, repr=False)  # the whole error, e.g. a build log

    def tops(self, ops: int) -> float | None:
        return ops / self.seconds / 1e12 if self.seconds else None


def make_dense(m, n, k, bias, requant, tiles, dot: str):
    """The dense kernel of a search result: tensor cores for dot "mma", else gemm.dense."""
    if dot == "mma":
        return dense_mma(m, n, k, bias, requant, tiles)
    return dense(m, n, k, bias, requant, tiles, dot)


def fits(runtime: Runtime, tiles: GemmTiles) -> str | None:
    """Why `tiles` cannot run on the device, or None."""
    dev = runtime.device
    if tiles.threads > dev.max_work_group_size:
        return f"{tiles.threads} work-items > {dev.max_work_group_size}"
    if tiles.local_bytes() > dev.local_mem_size:
        return f"{tiles.local_bytes()} B local memory > {dev.local_mem_size}"
    return None


def search_dense(
    runtime: Runtime,
    inputs: tuple,
    m: int,
    n: int,
    k: int,
    check: Callable[[np.ndarray], bool],
    bias: bool = True,
    requant: Requant | None = None,
    candidates=CANDIDATES,
    dots: tuple[str, ...] | None = None,
    repeats: int = 5,
    mma_candidates=None,
) -> list[Trial]:
    """Time every candidate on `inputs` (x, w[, bias] as numpy arrays or device buffers) and
    check its output with `check` (True when exact). `dots` defaults to the device's mode, plus
    "ptx" on NVIDIA; `mma_candidates` (tensor-core tiles) default to MMA_CANDIDATES on NVIDIA,
    none elsewhere. Returns the trials, fastest exact first."""
    nvidia = runtime.is_nvidia
    if dots is None:
        dots = (runtime.dot, "ptx") if nvidia else (runtime.dot,)
    if mma_candidates is None:
        mma_candidates = MMA_CANDIDATES if nvidia else ()
    variants = [(tiles, dot) for tiles in candidates for dot in dots]
    variants += [(tiles, "mma") for tiles in mma_candidates]
    trials = []
    for tiles, dot in variants:
        trial = Trial(tiles, dot, error=fits(runtime, tiles))
        trials.append(trial)
        if trial.error:
            continue
        try:
            kernel = make_dense(m, n, k, bias, requant, tiles, dot)
            launch = runtime.launch(kernel, *inputs)
            trial.seconds = statistics.median(launch.time(repeats))
            trial.exact = bool(check(launch.read()[0]))
        except (CanopyError, runtime.cl.Error) as e:  # a build error, out of resources, ...
            trial.error = f"{type(e).__name__}: {str(e).splitlines()[0][:300]}"
            trial.detail = str(e)[:20000]
    return sorted(trials, key=lambda t: (not t.exact, t.seconds or float("inf")))


_BEST: dict[str, tuple] = {}


def cache_key(runtime: Runtime, m, n, k, bias, requant) -> str:
    dev = runtime.device
    rq = "int32" if requant is None else ("rq-channel" if requant.per_channel else "rq")
    return f"{runtime.name}|{dev.driver_version}|dense {m}x{n}x{k}|bias {bias}|{rq}"


def best_dense_tiles(
    runtime: Runtime,
    m: int,
    n: int,
    k: int,
    bias: bool = True,
    requant: Requant | None = None,
    cache: str | os.PathLike | None = None,
    seed: int = 0,
    candidates=CANDIDATES,
    mma_candidates=None,
) -> tuple:
    """The fastest exact (tiles, dot mode) for this shape on this device: from memory, from the
    JSON `cache`, or by search_dense on random operands (checked on every output row's first
    and last 16 columns against numpy)."""
    key = cache_key(runtime, m, n, k, bias, requant)
    if key in _BEST:
        return _BEST[key]
    stored = _load(cache)
    if key in stored:
        entry = stored[key]
        kind = MmaTiles if entry["dot"] == "mma" else GemmTiles
        _BEST[key] = (kind(**entry["tiles"]), entry["dot"])
        return _BEST[key]
    rng = np.random.default_rng(seed)
    x = rng.integers(-128, 128, (m, k), dtype=np.int8)
    w = rng.integers(-128, 128, (n, k), dtype=np.int8)
    b = rng.integers(-(2**20), 2**20, n, dtype=np.int32)
    cols = np.unique(np.r_[np.arange(min(16, n)), np.arange(max(0, n - 16), n)])
    acc = x.astype(np.int64) @ w[cols].astype(np.int64).T + (b[cols] if bias else 0)
    acc = acc.astype(np.int32)
    expected = acc if requant is None else _requant_cols(acc, requant, cols)
    inputs = (x, w, b) if bias else (x, w)
    trials = search_dense(
        runtime,
        inputs,
        m,
        n,
        k,
        lambda y: np.array_equal(y[:, cols], expected),
        bias,
        requant,
        candidates,
        mma_candidates=mma_candidates,
    )
    best = next((t for t in trials if t.exact), None)
    if best is None:
        raise CanopyError(f"no GEMM tile candidate ran exactly on {runtime.name}: {trials}")
    _BEST[key] = (best.tiles, best.dot)
    if cache is not None:
        stored[key] = {"tiles": asdict(best.tiles), "dot": best.dot, "seconds": best.seconds}
        Path(cache).parent.mkdir(parents=True, exist_ok=True)
        Path(cache).write_text(json.dumps(stored, indent=1, sort_keys=True))
    return _BEST[key]


def _requant_cols(acc, rq: Requant, cols):
    m = rq.multipliers if not rq.per_channel else tuple(np.asarray(rq.multipliers)[cols])
    return requantize(acc, rq.shift, rq.zero_point, rq.lo, rq.hi, m, rq.pre_shift)


def _load(cache) -> dict:
    if cache is None or not Path(cache).is_file():
        return {}
    try:
        return json.loads(Path(cache).read_text())
    except (OSError, ValueError):  # a damaged cache is only a lost search
        return {}
