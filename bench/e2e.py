"""End-to-end benchmark: compile time per pass, simulated-card time per image, and the cycle
model's estimate of the accelerator itself.

    python -m bench.e2e            # prints a table, appends a row per model to BENCHMARKS.md

Reference figure of the same run: canopy-ir's integer graph interpreter on the same model (the
card's output must equal it bit for bit).
"""

from __future__ import annotations

import datetime
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


def models():
    from small_cnn import build_small_cnn

    from canopy_ir.fuzz.models import build_qdq_model

    yield "small_cnn (example)", build_small_cnn(), (1, 3, 12, 12)
    # a compute-bound GEMM: 1x1 convolution 256 -> 256 channels on 56x56 (each weight reused
    # 3136 times), for the cycle model's utilisation sanity check
    yield (
        "1x1 conv 256->256 56x56 (compute-bound)",
        build_qdq_model((1, 256, 56, 56), [("conv", 256, 1, 1, 0, 1, True, True)]),
        (1, 256, 56, 56),
    )
    # ResNet-18's convolutions at 224x224 (strided convs stand in for the max pool, no residual
    # adds, flatten + dense head): ResNet-18's int8 instruction mix, 2.4 GMAC
    r18 = [("conv", 64, 7, 2, 3, 1, True, True), ("conv", 64, 3, 2, 1, 1, True, True)]
    r18 += [("conv", 64, 3, 1, 1, 1, True, True)] * 4
    for ch in (128, 256, 512):
        r18 += [("conv", ch, 3, 2, 1, 1, True, True)] + [("conv", ch, 3, 1, 1, 1, True, True)] * 3
    r18 += [("flatten",), ("dense", 1000, False, True)]
    yield "resnet18-shaped convs 224x224", build_qdq_model((1, 3, 224, 224), r18), (1, 3, 224, 224)


def main() -> None:
    import canopy_ir
    from canopy_ir.compiler.driver import compile_model
    from canopy_ir.compiler.pipeline import run_passes
    from canopy_ir.frontends.onnx import import_onnx
    from canopy_ir.interpreters.graph import run_graph

    rows = []
    for name, model, shape in models():
        with tempfile.TemporaryDirectory() as d:
            onnx.save(model, f"{d}/m.onnx")
            t = time.perf_counter()
            art = compile_model(f"{d}/m.onnx", f"{d}/m.canopy")
            compile_s = time.perf_counter() - t
            per_pass = {step.name: step.seconds * 1000 for step in art.steps}
            sess = canopy_ir.InferenceSession(f"{d}/m.canopy")
            x = np.random.default_rng(0).uniform(-1, 1, shape).astype(np.float32)
            sess.run(None, {"input": x})  # first run decodes, plans and models the stream
            runs = []
            for _ in range(3):
                t = time.perf_counter()
                (y,) = sess.run(None, {"input": x})
                runs.append(time.perf_counter() - t)
            module = import_onnx(model)
            run_passes(module, ["import-qdq"])
            t = time.perf_counter()
            (ref,) = run_graph(module, x)
            graph_s = time.perf_counter() - t
            assert np.array_equal(y, ref), "card output differs from the integer graph"
        device = sess.session.device
        rows.append(
            (
                name,
                art.manifest["insn_count"],
                compile_s,
                per_pass,
                min(runs),
                graph_s,
                device.last_stats.macs / 1e9,
                device.last_cycles,
            )
        )
    header = (
        "model",
        "insns",
        "compile s",
        "sim s/img",
        "graph-interp s",
        "GMAC",
        "cycles",
        "GEMM util",
    )
    print("{:42} {:>7} {:>10} {:>10} {:>15} {:>6} {:>11} {:>9}".format(*header))
    for name, insns, cs, _, rs, gs, gmac, cyc in rows:
        print(
            f"{name:42} {insns:7d} {cs:10.2f} {rs:10.3f} {gs:15.3f} {gmac:6.2f} "
            f"{cyc.total_cycles:11d} {cyc.utilization:9.1%}"
        )
    for name, _, _, per_pass, *_ in rows:
        print(f"  {name}: " + ", ".join(f"{k} {v:.0f} ms" for k, v in per_pass.items()))
    machine = f"{platform.machine()} {os.cpu_count()} cores, Python {platform.python_version()}"
    with open(ROOT / "BENCHMARKS.md", "a") as f:
        for name, insns, cs, _, rs, gs, gmac, cyc in rows:
            f.write(
                f"| {datetime.date.today()} | {machine} | `python -m bench.e2e` | {name} | "
                f"{insns} insns, compile {cs:.2f} s, SimCard {rs:.3f} s/img (best of 3), "
                f"graph interpreter {gs:.3f} s/img (reference, same run), {gmac:.2f} GMAC, "
                f"cycle model {cyc.total_cycles} cycles at {cyc.config.CLOCK_MHZ} MHz, "
                f"GEMM utilisation {cyc.utilization:.1%} |\n"
            )


if __name__ == "__main__":
    main()
