"""Soak test of the runtime: one session runs a model many times while resident memory and speed
are watched.

    python -m bench.soak [--small-runs 10000] [--resnet-runs 1000] [--process-runs 10000]
                         [--size 224] [--no-record]

Workloads: examples/small_cnn.py (12x12) on the in-process card (`SimCard`); the ResNet-18 of
examples/zoo.py (`--size`, quantized by the compiler from 8 calibration samples) on the same
card; the small model again on the process card (`ProcessCard`). Each cycles through 8 seeded
inputs and checks every output against the first one for its input. Reported: runs/s after a
warm-up, resident memory (VmRSS) before the first run, after the warm-up and at the end, with
its growth over the soak (must stay under 1 %; the card process's own too). Also: the process
card's start-up (constructor to the card's READY) and its overhead per run against the
in-process card, and on ResNet-18 the card's check of the uploaded data (crc32 of weights,
micro-ops, instructions before each run), with the same model run unchecked as reference. A
count of 0 skips a workload. Appends rows to BENCHMARKS.md unless --no-record.
"""

from __future__ import annotations

import argparse
import datetime
import gc
import os
import platform
import sys
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np
import onnx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "examples"))

INPUTS = 8
GROWTH_LIMIT = 0.01


def rss(pid: int | str = "self") -> int:
    """Resident memory of a process, bytes (Linux /proc)."""
    with open(f"/proc/{pid}/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def compile_small(tmp: Path) -> tuple[Path, list[np.ndarray]]:
    from small_cnn import build_small_cnn, sample_input

    from canopy_ir.compiler.driver import compile_model

    onnx.save(build_small_cnn(), tmp / "small.onnx")
    compile_model(tmp / "small.onnx", tmp / "small.canopy")
    return tmp / "small.canopy", [sample_input(seed=i) for i in range(INPUTS)]


def compile_resnet18(tmp: Path, size: int) -> tuple[Path, list[np.ndarray]]:
    import zoo

    from canopy_ir.compiler.driver import compile_model

    onnx.save(zoo.resnet18(size=size), tmp / "resnet18.onnx")
    calibration = np.concatenate([zoo.sample_input(size, seed=100 + i) for i in range(8)])
    np.savez(tmp / "calib.npz", input=calibration)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        compile_model(
            tmp / "resnet18.onnx", tmp / "resnet18.canopy", calibrate=str(tmp / "calib.npz")
        )
    return tmp / "resnet18.canopy", [zoo.sample_input(size, seed=i) for i in range(INPUTS)]


def soak(sess, inputs: list[np.ndarray], runs: int, card_pid: int | None = None, on_run=None):
    """Run `sess` `runs` times, cycling through `inputs`; figures of the runs after warm-up."""
    warmup = max(1, min(100, runs // 10))
    first: dict[int, np.ndarray] = {}
    mismatches = 0
    gc.collect()
    before = rss()
    for i in range(runs):
        if i == warmup:
            gc.collect()
            start_rss, card_start = rss(), rss(card_pid) if card_pid else None
            t0 = time.perf_counter()
        (y,) = sess.run({"input": inputs[i % len(inputs)]}).values()
        if i < len(inputs):
            first[i] = y
        elif not np.array_equal(y, first[i % len(inputs)]):
            mismatches += 1
        if on_run is not None:
            on_run()
    seconds = time.perf_counter() - t0
    gc.collect()
    end_rss, card_end = rss(), rss(card_pid) if card_pid else None
    return {
        "runs": runs,
        "runs_per_s": (runs - warmup) / seconds,
        "rss_before": before,
        "rss_start": start_rss,
        "rss_end": end_rss,
        "growth": end_rss / start_rss - 1,
        "card_start": card_start,
        "card_end": card_end,
        "card_growth": card_end / card_start - 1 if card_pid else None,
        "mismatches": mismatches,
    }


def mb(n: int) -> str:
    return f"{n / 2**20:.1f} MB"


def describe(r: dict) -> str:
    text = (
        f"{r['runs_per_s']:.1f} runs/s; RSS {mb(r['rss_start'])} after warm-up -> "
        f"{mb(r['rss_end'])} at the end ({r['growth']:+.2%}; {mb(r['rss_before'])} before the "
        f"first run)"
    )
    if r["card_start"] is not None:
        text += (
            f", card process {mb(r['card_start'])} -> {mb(r['card_end'])} ({r['card_growth']:+.2%})"
        )
    check = "every output equal to the first for its input"
    if r["mismatches"]:
        check = f"{r['mismatches']} outputs DIFFERED from the first for their input"
    return f"{text}; {check}"


def main(argv: list[str] | None = None) -> int:
    from canopy_ir.backend.pcie import ProcessCard, Session, SimCard

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--small-runs", type=int, default=10_000)
    ap.add_argument("--resnet-runs", type=int, default=1_000)
    ap.add_argument("--process-runs", type=int, default=10_000)
    ap.add_argument("--size", type=int, default=224, help="ResNet-18 input size")
    ap.add_argument("--no-record", action="store_true", help="do not append to BENCHMARKS.md")
    args = ap.parse_args(argv)
    for name in ("small_runs", "resnet_runs", "process_runs"):
        if getattr(args, name) == 1 or getattr(args, name) < 0:
            ap.error(f"--{name.replace('_', '-')} must be 0 (skip) or at least 2")
    load = [os.getloadavg()[0]]
    rows: list[tuple[str, str]] = []
    results: dict[str, dict] = {}
    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        small, small_inputs = compile_small(tmp)
        if args.small_runs:
            with Session(small, SimCard()) as sess:
                r = results["small"] = soak(sess, small_inputs, args.small_runs)
            rows.append((f"small_cnn 12x12 on SimCard, {args.small_runs} runs", describe(r)))
            print(rows[-1], flush=True)
        if args.resnet_runs:
            row, results["resnet18"] = resnet_soak(tmp, args.size, args.resnet_runs)
            rows.append(row)
            print(rows[-1], flush=True)
        if args.process_runs:
            t0 = time.perf_counter()
            card = ProcessCard()
            card.wait_ready()
            boot = time.perf_counter() - t0
            with card, Session(small, card) as sess:
                r = results["process"] = soak(sess, small_inputs, args.process_runs, card.pid)
            figures = f"{describe(r)}; start-up {boot:.2f} s (constructor to READY)"
            if "small" in results:
                sim = results["small"]["runs_per_s"]
                overhead = 1e6 / r["runs_per_s"] - 1e6 / sim
                figures += (
                    f", {overhead:.0f} us/run more than the in-process card; in-process "
                    f"card {sim:.1f} runs/s (reference, same run)"
                )
            rows.append((f"small_cnn 12x12 on ProcessCard, {args.process_runs} runs", figures))
            print(rows[-1], flush=True)
    load.append(os.getloadavg()[0])
    failed = [
        name
        for name, r in results.items()
        if r["growth"] >= GROWTH_LIMIT or (r["card_growth"] or 0) >= GROWTH_LIMIT or r["mismatches"]
    ]
    if not args.no_record:
        record(rows, argv, load)
    if failed:
        print(f"FAILED: {', '.join(failed)} (RSS growth >= 1 % or outputs differed)")
        return 1
    return 0


def resnet_soak(tmp: Path, size: int, runs: int) -> tuple[tuple[str, str], dict]:
    from canopy_ir.backend.pcie import Session, SimCard

    path, inputs = compile_resnet18(tmp, size)
    card = SimCard()
    checks: list[float] = []
    with Session(path, card) as sess:
        r = soak(sess, inputs, runs, on_run=lambda: checks.append(card.last_verify_seconds))
        checked = sum(n for _, _, n in sess.image.spans())
        # the same model unchecked, run interleaved with the checked one, as reference
        ab = min(20, runs)
        with Session(path, card, verify=False) as unchecked:
            unchecked.run({"input": inputs[0]})  # its stream lies elsewhere: the card compiles it
            times = {True: 0.0, False: 0.0}
            for i in range(2 * ab):
                s = sess if i % 2 == 0 else unchecked
                t = time.perf_counter()
                s.run({"input": inputs[0]})
                times[s is sess] += time.perf_counter() - t
    check_ms = 1e3 * float(np.mean(checks[len(checks) // 10 :]))
    run_ms = 1e3 / r["runs_per_s"]
    figures = (
        f"{describe(r)}; the card's check of the uploaded data ({checked / 2**20:.1f} MB crc32) "
        f"{check_ms:.2f} ms/run = {check_ms / run_ms:.1%} of a run; interleaved {ab} + {ab} "
        f"runs: checked {1e3 * times[True] / ab:.1f} ms/run, unchecked "
        f"{1e3 * times[False] / ab:.1f} ms/run (reference, same run)"
    )
    return (f"resnet18 (zoo) {size}x{size} on SimCard, {runs} runs", figures), r


def record(rows: list[tuple[str, str]], argv, load: list[float]) -> None:
    machine = (
        f"{platform.machine()} {os.cpu_count()} cores, Python {platform.python_version()}, "
        f"load average {load[0]:.1f} at the start / {load[1]:.1f} at the end"
    )
    command = " ".join(["python -m bench.soak", *(argv or sys.argv[1:])])
    with open(ROOT / "BENCHMARKS.md", "a") as f:
        for workload, figures in rows:
            f.write(
                f"| {datetime.date.today()} | {machine} | `{command}` | {workload} | {figures} |\n"
            )


if __name__ == "__main__":
    sys.exit(main())
