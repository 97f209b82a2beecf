"""Several GPUs of one host: ResNet-50 int8 as generated kernels (`--target opencl`, --batch
images per run) in a `DataParallelSession` over 1, 2, 4 ... of the host's NVIDIA OpenCL devices;
or (`--mode pipeline`) ResNet-18 (examples/zoo.py, 224x224) on the accelerator written in OpenCL C
(`--target accel-opencl`) cut by layers into a `PipelineSession` of one stage per GPU, one image
per run. Each against one device in the same run.

    python -m bench.multi_gpu [--mode data|pipeline] [--cards 1,2,4] [--batch 32] [--items 48]

Each card count runs the same --items runs (seeded random images) after a warm-up that builds
every device's kernels; best wall time of --repeats; every output is compared with the one-card
outputs, bit for bit. Prints one line per card count (throughput and speed-up over one card).
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np

from bench import opencl_e2e
from bench.multi_card import compile_resnet


def main(argv: list[str] | None = None) -> None:
    from canopy_ir.backend.opencl.runtime import describe, devices
    from canopy_ir.backend.pcie.multi import DataParallelSession, PipelineSession

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--mode", choices=("data", "pipeline"), default="data")
    ap.add_argument("--cards", default="1,2,4", help="card counts (those the host has)")
    ap.add_argument("--batch", type=int, default=32, help="images per run")
    ap.add_argument("--items", type=int, default=48, help="runs per measurement")
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--match", default="NVIDIA", help="devices whose name contains this")
    args = ap.parse_args(argv)
    found = devices()
    gpus = [i for i, d in enumerate(found) if args.match in describe(d)]
    print(f"{len(gpus)} device(s) matching '{args.match}':", describe(found[gpus[0]]))
    with tempfile.TemporaryDirectory() as d:
        if args.mode == "data":
            path, name = opencl_e2e.resnet50(Path(d))
            art = opencl_e2e.compile_batch(path, name, args.batch, 8, Path(d))["artefact"]
            kind = DataParallelSession
        else:
            art, name, args.batch = compile_resnet(Path(d), 224, "accel-opencl"), "input", 1
            kind = PipelineSession
        items = [{name: opencl_e2e.images(args.batch, 100 + i)} for i in range(args.items)]
        one, reference = None, None
        for n in [int(k) for k in args.cards.split(",") if int(k) <= len(gpus)]:
            with kind(art, [f"opencl:{g}" for g in gpus[:n]]) as sess:
                sess.run_many(items[: 2 * n])  # builds every device's kernels
                walls = []
                for _ in range(args.repeats):
                    t = time.perf_counter()
                    out = sess.run_many(items)
                    walls.append(time.perf_counter() - t)
            outputs = np.concatenate([o[k] for o in out for k in sorted(o)])
            reference = outputs if reference is None else reference
            rate = args.items * args.batch / min(walls)
            one = rate if one is None else one
            print(
                f"{args.mode}, {n} card(s): {rate:.1f} img/s ({args.items} runs of "
                f"{args.batch} images, best "
                f"{min(walls) * 1e3:.1f} ms of {args.repeats}), {rate / one:.2f}x one card; "
                f"outputs equal to one card's: {np.array_equal(outputs, reference)}",
                flush=True,
            )


if __name__ == "__main__":
    main()
