"""Batched inference on the card: the zoo's ResNet-18 (examples/zoo.py) quantized by onnxruntime
(`quantize_static` defaults), compiled for N images on `vta-default` with LOG_BATCH 0, 1, 2 (a
GEMM core of BATCH x 16 x 16), against one image at a time on the default core (the reference
row of the same run).

    python -m bench.batch [--size 224] [--cases 1:0,2:0,2:1,4:2,8:2] [--no-record]

Per case (batch:LOG_BATCH): instructions, modelled cycles and images/s at the config's clock,
GEMM utilisation, DRAM bytes per image, SimCard wall time per image, and whether every image's
output equals its batch-1 output (bit for bit)."""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import onnx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "examples"))


def quantized_resnet18(folder: Path, size: int) -> onnx.ModelProto:
    import zoo

    from bench.ort_int8 import quantize_with_defaults

    return onnx.load(quantize_with_defaults(zoo.resnet18(size=size), folder, size))


def measure(folder: Path, model, batch: int, log_batch: int, size: int, reference) -> dict:
    import canopy_ir
    from canopy_ir.artefact import Artefact
    from canopy_ir.compiler.driver import compile_model
    from canopy_ir.hw import isa
    from canopy_ir.hw.config import HwConfig
    from canopy_ir.hw.cycles import cycle_model

    config = folder / f"log_batch{log_batch}.json"
    raw = HwConfig.preset("vta-default").to_dict() | {"LOG_BATCH": log_batch}
    config.write_text(json.dumps(raw))
    import zoo

    onnx.save(zoo.with_batch(model, batch), folder / f"b{batch}.onnx")
    out = folder / f"b{batch}-l{log_batch}.canopy"
    start = time.perf_counter()
    compile_model(folder / f"b{batch}.onnx", out, config=str(config))
    compile_s = time.perf_counter() - start
    art = Artefact.load(out)
    insns = isa.decode_insns(art.insns, art.config)
    report = cycle_model(insns, art.config, art.instruction_layers())
    session = canopy_ir.InferenceSession(str(out))
    x = np.random.default_rng(11).standard_normal((batch, 3, size, size), np.float32)
    session.run(None, {"input": x})  # first run compiles the stream
    start = time.perf_counter()
    (y,) = session.run(None, {"input": x})
    wall = time.perf_counter() - start
    exact = reference is None or all(
        np.array_equal(y[k : k + 1], reference.run(None, {"input": x[k : k + 1]})[0])
        for k in range(batch)
    )
    return {
        "batch": batch,
        "log_batch": log_batch,
        "insns": len(insns),
        "compile_s": compile_s,
        "cycles_per_image": report.total_cycles / batch,
        "images_per_s": batch / report.seconds,
        "utilisation": report.utilization,
        "dram_per_image": report.dram_bytes / batch,
        "sim_s_per_image": wall / batch,
        "exact": exact,
        "session": session,
    }


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--size", type=int, default=224)
    ap.add_argument("--cases", default="1:0,2:0,2:1,4:2,8:2")
    ap.add_argument("--no-record", action="store_true")
    args = ap.parse_args(argv)
    cases = [tuple(int(v) for v in c.split(":")) for c in args.cases.split(",")]
    rows = []
    with tempfile.TemporaryDirectory() as d:
        folder = Path(d)
        model = quantized_resnet18(folder, args.size)
        reference = None
        for batch, log_batch in cases:
            r = measure(folder, model, batch, log_batch, args.size, reference)
            if batch == 1 and log_batch == 0:
                reference = r["session"]
            rows.append(r)
            print(
                f"batch {batch} on LOG_BATCH {log_batch}: {r['insns']} insns, compile "
                f"{r['compile_s']:.1f} s, {r['cycles_per_image']:.0f} cycles/img = "
                f"{r['images_per_s']:.1f} img/s modelled, GEMM utilisation {r['utilisation']:.1%}, "
                f"DRAM {r['dram_per_image'] / 1e6:.2f} MB/img, SimCard {r['sim_s_per_image']:.3f} "
                f"s/img, equal to batch 1: {r['exact']}",
                flush=True,
            )
    if args.no_record:
        return
    base = next((r for r in rows if r["batch"] == 1 and r["log_batch"] == 0), None)
    figures = "; ".join(
        f"batch {r['batch']} LOG_BATCH {r['log_batch']}: {r['images_per_s']:.1f} img/s modelled "
        f"({r['utilisation']:.1%} GEMM), {r['dram_per_image'] / 1e6:.2f} MB DRAM/img, SimCard "
        f"{r['sim_s_per_image']:.3f} s/img{', bit-exact vs batch 1' if r['exact'] else ''}"
        for r in rows
        if r is not base
    )
    reference_text = (
        f"batch 1 on the default core (reference, same run): {base['images_per_s']:.1f} img/s "
        f"modelled ({base['utilisation']:.1%}), SimCard {base['sim_s_per_image']:.3f} s/img; "
        if base
        else ""
    )
    machine = f"{platform.machine()} {os.cpu_count()} cores, Python {platform.python_version()}"
    with open(ROOT / "BENCHMARKS.md", "a") as f:
        f.write(
            f"| {datetime.date.today()} | {machine} | `python -m bench.batch` | ResNet-18 "
            f"(examples/zoo.py) {args.size}x{args.size}, onnxruntime quantize_static defaults, "
            f"vta-default with LOG_BATCH 0/1/2, cycle model at 100 MHz | {reference_text}"
            f"{figures} |\n"
        )


if __name__ == "__main__":
    main()
