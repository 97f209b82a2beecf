"""Compile time of ResNet-18 (examples/zoo.py, float, 1x3x224x224): canopy-ir's frontend and graph
passes, with TVM's ONNX import and untuned CPU build as the reference figure of the same run.

    python -m bench.tvm_compile                  # needs the tvm extra; prints a BENCHMARKS.md row
    python -m bench.tvm_compile --size 64 --runs 1

What is timed, each side from the same ONNX file on disk (median of --runs, after a warm-up run):
- canopy-ir: `import_onnx(path)` (read, ONNX shape inference, graph dialect, weight pool), then
  `run_passes` with graph-canonicalize, graph-fold-batchnorm, graph-constant-fold, graph-dce.
  That is all of canopy-ir that takes ResNet-18 today: the accelerator pipeline (import-qdq,
  graph-to-tile, ...) has no lowering yet for its residual additions, max pooling and global
  average pooling, so neither quantization nor code generation is in the figure.
- TVM: `onnx.load(path)`, `relax.frontend.onnx.from_onnx`, and `relax.build(mod, "llvm")` with
  TVM's default pipeline and no tuning (legalization, fusion, LLVM code generation for this CPU).
The two therefore do different amounts of work: the row reports both, not a speed-up.
"""

from __future__ import annotations

import argparse
import datetime
import os
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

import onnx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "examples"))

PASSES = "graph-canonicalize,graph-fold-batchnorm,graph-constant-fold,graph-dce"


def median_time(fn, runs: int) -> tuple[float, object]:
    """Median wall time of `runs` calls of `fn` after one warm-up call, and its last result."""
    result = fn()
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


def main(argv: list[str] | None = None) -> str:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--size", type=int, default=224, help="input height and width")
    ap.add_argument("--runs", type=int, default=5, help="timed runs per figure")
    args = ap.parse_args(argv)

    from tvm import relax
    from tvm.relax.frontend.onnx import from_onnx
    from zoo import resnet18

    from canopy_ir.compiler.pipeline import run_passes
    from canopy_ir.frontends.onnx import import_onnx

    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / "resnet18.onnx"
        onnx.save(resnet18(size=args.size), path)
        t_import, _ = median_time(lambda: import_onnx(path), args.runs)
        t_ours, module = median_time(lambda: run_passes(import_onnx(path), PASSES), args.runs)
        t_from_onnx, mod = median_time(lambda: from_onnx(onnx.load(path)), args.runs)
        t_build, _ = median_time(lambda: relax.build(mod, target="llvm"), args.runs)
    ops = sum(1 for _ in module.walk())
    rows = [
        ("canopy-ir: ONNX import (graph dialect)", t_import),
        ("canopy-ir: ONNX import + graph passes", t_ours),
        ("TVM: onnx.load + from_onnx (Relax)", t_from_onnx),
        ("TVM: relax.build(llvm), untuned", t_build),
        ("TVM: from_onnx + build", t_from_onnx + t_build),
    ]
    for what, seconds in rows:
        print(f"{what:44} {seconds:7.3f} s")
    machine = f"{platform.machine()} {os.cpu_count()} cores, Python {platform.python_version()}"
    workload = f"ResNet-18 (examples/zoo.py, float) 1x3x{args.size}x{args.size}"
    figures = (
        f"canopy-ir ONNX import {t_import:.3f} s, import + graph passes ({PASSES}; "
        f"{ops} ops left, no accelerator lowering) {t_ours:.3f} s; TVM (reference, same run) "
        f"onnx.load + from_onnx {t_from_onnx:.3f} s + relax.build llvm untuned {t_build:.3f} s "
        f"= {t_from_onnx + t_build:.3f} s; median of {args.runs}"
    )
    command = "python -m bench.tvm_compile" + "".join(
        f" --{k} {v}"
        for k, v, default in (("size", args.size, 224), ("runs", args.runs, 5))
        if v != default
    )
    row = f"| {datetime.date.today()} | {machine} | `{command}` | {workload} | {figures} |"
    print(row)
    return row


if __name__ == "__main__":
    main()
