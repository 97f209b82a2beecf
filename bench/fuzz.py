"""canopy-fuzz throughput: 200 random programs (random small-buffer configs) per lowering pass.

    python -m bench.fuzz          # prints a table, appends a row to BENCHMARKS.md

Reference figure of the same run: the time of the whole lowering pipeline's property (`pipeline`).
"""

from __future__ import annotations

import datetime
import os
import platform
from pathlib import Path

from canopy_ir.fuzz.runner import fuzz

ROOT = Path(__file__).resolve().parent.parent
PASSES = ("graph-to-tile", "tile-to-accel", "insert-deps", "encode", "pipeline")


def main() -> None:
    results = [fuzz(name, examples=200, seed=0) for name in PASSES]
    for r in results:
        status = "FAIL" if r.counterexample else "ok"
        print(
            f"{r.prop:14} {status:4} {r.examples:4d} checked, {r.rejected:4d} skipped, "
            f"{r.seconds:6.1f} s"
        )
    machine = f"{platform.machine()} {os.cpu_count()} cores, Python {platform.python_version()}"
    figures = ", ".join(
        f"{r.prop} {r.seconds:.1f} s ({r.examples} checked{', FAIL' if r.counterexample else ''})"
        for r in results
    )
    with open(ROOT / "BENCHMARKS.md", "a") as f:
        f.write(
            f"| {datetime.date.today()} | {machine} | `python -m bench.fuzz` | canopy-fuzz, 200 "
            f"random programs x random configs per pass, seed 0 | {figures} |\n"
        )


if __name__ == "__main__":
    main()
