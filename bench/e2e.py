"""End-to-end benchmark: compile time per pass and simulated-card time per image.

python -m bench.e2e            # prints a table, appends a row per model to BENCHMARKS.md
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
sys.path.insert(0, str(ROOT / "tests"))


def models():
    from models import build_qdq_model
    from small_cnn import build_small_cnn

    yield "small_cnn (example)", build_small_cnn(), (1, 3, 12, 12)
    # ResNet-18's first stage at 56x56: four 3x3 64->64 convolutions (0.46 GMAC)
    stage = [("conv", 64, 3, 1, 1, 1, True, True)] * 4
    yield (
        "resnet18 stage1 (4x conv3x3 64ch 56x56)",
        build_qdq_model((1, 64, 56, 56), stage),
        (1, 64, 56, 56),
    )


class PassTimes(dict):
    """Collects the compiler's "  NAME   12.3 ms" progress lines."""

    def __call__(self, line: str) -> None:
        name, ms, _ = line.split()
        self[name] = float(ms)


def main() -> None:
    import canopy_ir
    from canopy_ir.compile import compile_model
    from canopy_ir.interpreters.graph import run_graph
    from canopy_ir.pipeline import run_passes
    from frontends.onnx import import_onnx

    rows = []
    for name, model, shape in models():
        with tempfile.TemporaryDirectory() as d:
            onnx.save(model, f"{d}/m.onnx")
            per_pass = PassTimes()
            t = time.perf_counter()
            art = compile_model(f"{d}/m.onnx", f"{d}/m.canopy", log=per_pass)
            compile_s = time.perf_counter() - t
            sess = canopy_ir.InferenceSession(f"{d}/m.canopy")
            x = np.random.default_rng(0).uniform(-1, 1, shape).astype(np.float32)
            sess.run(None, {"input": x})
            t = time.perf_counter()
            runs = 3
            for _ in range(runs):
                (y,) = sess.run(None, {"input": x})
            run_s = (time.perf_counter() - t) / runs
            module = import_onnx(model)
            run_passes(module, ["import-qdq"])
            t = time.perf_counter()
            (ref,) = run_graph(module, x)
            graph_s = time.perf_counter() - t
            assert np.array_equal(y, ref), "card output differs from the integer graph"
        stats = sess.session.device.last_stats
        rows.append(
            (
                name,
                art.manifest["insn_count"],
                compile_s,
                per_pass,
                run_s,
                graph_s,
                stats.macs / 1e9,
            )
        )
    header = ("model", "insns", "compile s", "sim s/img", "graph-interp s", "GMAC")
    print("{:42} {:>7} {:>10} {:>10} {:>15} {:>6}".format(*header))
    for name, insns, cs, _, rs, gs, gmac in rows:
        print(f"{name:42} {insns:7d} {cs:10.2f} {rs:10.3f} {gs:15.3f} {gmac:6.2f}")
    for name, _, _, per_pass, *_ in rows:
        print(f"  {name}: " + ", ".join(f"{k} {v:.0f} ms" for k, v in per_pass.items()))
    machine = f"{platform.machine()} {os.cpu_count()} cores, Python {platform.python_version()}"
    with open(ROOT / "BENCHMARKS.md", "a") as f:
        for name, insns, cs, _, rs, gs, gmac in rows:
            f.write(
                f"| {datetime.date.today()} | {machine} | `python -m bench.e2e` | {name} | "
                f"{insns} insns, compile {cs:.2f} s, SimCard {rs:.3f} s/img, "
                f"graph interpreter {gs:.3f} s/img (reference, same run), {gmac:.2f} GMAC |\n"
            )


if __name__ == "__main__":
    main()
