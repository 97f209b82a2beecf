"""Several cards in one host, in the cycle model's time: a ResNet-18 (examples/zoo.py) batch on N
simulated cards, data-parallel and as a pipeline of N stages, against one card.

    python -m bench.multi_card [--size 224] [--images 8] [--cards 2,4] [--no-record]

Every card accounts its launches' modelled time (`PacedCard(sleep=False)`: the cycle model at
the configuration's clock, `canopy-run --profile`'s figures). Modelled throughput = images /
modelled time of the batch (data-parallel: runs list-scheduled on the cards; pipeline: stage k
takes item i when it has finished item i-1 and stage k-1 item i); the pipeline's steady state is
one image per slowest-stage time. Host work and PCIe copies are not in the model. Every output is
compared with one card's, bit for bit. Appends a row to BENCHMARKS.md.
"""

from __future__ import annotations

import argparse
import datetime
import os
import platform
import sys
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent


def compile_resnet(folder: Path, size: int, target: str = "sim") -> Path:
    """examples/zoo.py's ResNet-18 at size x size, compiled for `target`, quantized from four
    seeded random images."""
    import onnx

    sys.path.insert(0, str(ROOT / "examples"))
    import zoo

    from canopy_ir.compiler.driver import compile_model

    onnx.save(zoo.resnet18(size=size), folder / "resnet18.onnx")
    calib = np.random.default_rng(5).standard_normal((4, 3, size, size)).astype(np.float32)
    np.savez(folder / "calib.npz", input=calib)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        compile_model(
            folder / "resnet18.onnx",
            folder / "resnet18.canopy",
            calibrate=str(folder / "calib.npz"),
            target=target,
        )
    return folder / "resnet18.canopy"


def measure(path: Path, size: int, images: int, cards: list[int]) -> tuple[dict, float]:
    from canopy_ir.artefact import Artefact
    from canopy_ir.backend.pcie.multi import DataParallelSession, PipelineSession

    art = Artefact.load(path)
    x = np.random.default_rng(3).standard_normal((images, 3, size, size)).astype(np.float32)
    rows = {}
    reference = None
    for kind, cls in (("data-parallel", DataParallelSession), ("pipeline", PipelineSession)):
        for n in [1, *cards] if kind == "data-parallel" else cards:
            start = time.perf_counter()
            with cls(art, n) as multi:
                y = multi.run({"input": x})["output"]
                timing = multi.last_timing
                stages = [s.layers[0] for s in multi.stages] if kind == "pipeline" else []
            reference = y if reference is None else reference
            row = {
                "throughput": timing.modelled_throughput,
                "exact": bool(np.array_equal(y, reference)),
                "wall": time.perf_counter() - start,
                "stages": stages,
            }
            if kind == "pipeline":
                row["steady"] = images / max(timing.busy)  # one image per slowest stage
            rows[(kind, n)] = row
            print(
                f"{kind:13s} {n} card(s): {row['throughput']:7.2f} img/s modelled"
                + (f", steady state {row['steady']:.2f} img/s" if "steady" in row else "")
                + f", bit-exact vs 1 card: {row['exact']}, wall {row['wall']:.1f} s"
                + (f", stages from {stages}" if stages else ""),
                flush=True,
            )
    return rows, art.config.CLOCK_MHZ


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--size", type=int, default=224)
    ap.add_argument("--images", type=int, default=8)
    ap.add_argument("--cards", default="2,4", help="comma-separated card counts")
    ap.add_argument("--no-record", action="store_true")
    args = ap.parse_args(argv)
    cards = [int(c) for c in args.cards.split(",")]
    load = os.getloadavg()[0]
    with tempfile.TemporaryDirectory() as d:
        rows, clock = measure(compile_resnet(Path(d), args.size), args.size, args.images, cards)
    if args.no_record:
        return
    one = rows[("data-parallel", 1)]["throughput"]
    parts = [f"1 card {one:.2f} img/s modelled (reference, same run)"]
    for (kind, n), r in rows.items():
        if n == 1:
            continue
        text = f"{kind} {n} cards {r['throughput']:.2f} img/s ({r['throughput'] / one:.2f}x)"
        if "steady" in r:
            text += f", steady state {r['steady']:.2f} img/s ({r['steady'] / one:.2f}x)"
        parts.append(text + (", bit-exact" if r["exact"] else ", NOT bit-exact"))
    machine = (
        f"{platform.machine()} {os.cpu_count()} cores, Python {platform.python_version()}, "
        f"load average {load:.1f} at the start / {os.getloadavg()[0]:.1f} at the end"
    )
    with open(ROOT / "BENCHMARKS.md", "a") as f:
        f.write(
            f"| {datetime.date.today()} | {machine} | `python -m bench.multi_card` | ResNet-18 "
            f"(examples/zoo.py) {args.size}x{args.size}, {args.images} images, simulated cards, "
            f"cycle model at {clock:g} MHz | {'; '.join(parts)} |\n"
        )


if __name__ == "__main__":
    main()
