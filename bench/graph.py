"""Frontend and graph-interpreter benchmark on the onnx wheel's ResNet-50 (seeded random weights).

    python -m bench.graph     # prints a table, appends rows to BENCHMARKS.md

Targets (issue 4): import + verify + print ≤ 2 s, graph interpreter forward ≤ 1 s on the 2-core
box. onnxruntime (CPU) on the same model is the reference figure of the same run.
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
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT / "tests" / "e2e"))


def best_of(fn, runs: int = 3) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    from test_onnx_light_models import _data_input, _path, with_random_weights

    from canopy_ir.compiler.pipeline import run_passes
    from canopy_ir.frontends.onnx import import_onnx
    from canopy_ir.interpreters.graph import run_graph
    from canopy_ir.passes import GRAPH_PIPELINE

    model = with_random_weights(onnx.load(_path("resnet50")), seed=1)
    input_name, shape = _data_input(model)
    x = np.random.default_rng(0).standard_normal(shape).astype(np.float32)
    with tempfile.TemporaryDirectory() as d:
        path = f"{d}/resnet50.onnx"
        onnx.save(model, path)

        def import_verify_print():
            module = import_onnx(path)
            module.verify()
            return str(module)

        t_import = best_of(import_verify_print)
        module = import_onnx(path)
        t_passes = best_of(lambda: run_passes(import_onnx(path), GRAPH_PIPELINE), 1)
        t_forward = best_of(lambda: run_graph(module, x))
        run_passes(module, GRAPH_PIPELINE)
        t_forward_folded = best_of(lambda: run_graph(module, x))
        import onnxruntime as ort

        options = ort.SessionOptions()
        options.log_severity_level = 3
        sess = ort.InferenceSession(path, options, providers=["CPUExecutionProvider"])
        t_ort = best_of(lambda: sess.run(None, {input_name: x}))
    rows = [
        ("import + verify + print", t_import, "≤ 2 s"),
        ("import + graph passes (canonicalize, fold-batchnorm, constant-fold, dce)", t_passes, ""),
        ("graph interpreter forward", t_forward, "≤ 1 s"),
        ("graph interpreter forward after graph passes", t_forward_folded, "≤ 1 s"),
        ("onnxruntime CPU forward (reference)", t_ort, ""),
    ]
    for what, seconds, target in rows:
        print(f"{what:64} {seconds:7.3f} s  {target}")
    machine = f"{platform.machine()} {os.cpu_count()} cores, Python {platform.python_version()}"
    with open(ROOT / "BENCHMARKS.md", "a") as f:
        figures = ", ".join(f"{w} {s:.3f} s" for w, s, _ in rows)
        f.write(
            f"| {datetime.date.today()} | {machine} | `python -m bench.graph` | "
            f"ResNet-50 (onnx wheel light model, random weights) 1x3x224x224 | {figures} |\n"
        )


if __name__ == "__main__":
    main()
