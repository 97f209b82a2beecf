"""ResNet-50 int8 end to end as generated OpenCL kernels (`--target opencl`), next to
onnxruntime's CPU execution provider running the same model in fp32, in the same run.

    python -m bench.opencl_e2e [--device NVIDIA] [--batch 32] [--runs 20] [--json out.json]

The model is the onnx wheel's ResNet-50 (examples/light_models.py) with seeded random weights and
a symbolic batch dimension, compiled by canopy-ir at batch 1 and at --batch (`compile_model(...,
target="opencl", input_shapes=...)`): quantized by the compiler (graph-quantize, power-of-two
scales, min-max calibration on --calib random images), every op run as a generated kernel.

Timed: `Session.run` by wall clock, float inputs in and float outputs out (the input is
quantized and the output dequantized on the device), weights resident; the median of --runs after
one warm-up run, which builds the kernels (reported separately). onnxruntime: the same inputs,
the float model, all CPU cores. Checked: at batch 1 the OpenCL run against the same artefact
with numpy host values (the reference semantics): the int8 logits are equal bit for bit, so the
softmax outputs differ only within the softmax kernel's tolerance, and the top-1 classes agree.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import statistics
import sys
import tempfile
import time
import traceback
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "examples"))


def resnet50(folder: Path) -> tuple[Path, str]:
    """The float ResNet-50 with random weights and batch dimension "N" (its flatten reshape
    made batch-agnostic), and its input name."""
    import light_models
    import onnx
    from onnx import numpy_helper

    model = light_models.with_random_weights(onnx.load(light_models.path("resnet50")), 0)
    name, _ = light_models.data_input(model)
    shapes = {n.input[1] for n in model.graph.node if n.op_type == "Reshape"}
    for init in model.graph.initializer:
        if init.name in shapes:  # (1, 2048) before the classifier: (-1, 2048)
            shape = numpy_helper.to_array(init).copy()
            shape[0] = -1
            init.CopyFrom(numpy_helper.from_array(shape, init.name))
    for value in [*[i for i in model.graph.input if i.name == name], *model.graph.output]:
        dim = value.type.tensor_type.shape.dim[0]
        dim.ClearField("dim_value")
        dim.dim_param = "N"
    path = folder / "resnet50.onnx"
    onnx.save(model, path)
    return path, name


def images(batch: int, seed: int) -> np.ndarray:
    return np.random.default_rng(seed).uniform(-1, 1, (batch, 3, 224, 224)).astype(np.float32)


def timed(fn, runs: int) -> list[float]:
    out = []
    for _ in range(runs):
        t = time.perf_counter()
        fn()
        out.append(time.perf_counter() - t)
    return out


def compile_batch(path: Path, name: str, batch: int, calib: int, folder: Path) -> dict:
    from canopy_ir.compiler.driver import compile_model

    samples = max(1, math.ceil(calib / batch))
    data = folder / f"calib{batch}.npz"
    np.savez(data, **{name: np.stack([images(batch, 100 + s) for s in range(samples)])})
    out = folder / f"resnet50_b{batch}.canopy"
    t = time.perf_counter()
    result = compile_model(
        path, out, target="opencl", input_shapes={name: (batch, 3, 224, 224)}, calibrate=data
    )
    return {"artefact": out, "compile_s": time.perf_counter() - t, "ops": result.artefact.host}


def run_opencl(art: Path, name: str, batch: int, device: str | None, runs: int) -> dict:
    from canopy_ir.backend.opencl.host_values import OpenCLHost
    from canopy_ir.backend.pcie.session import Session

    host = OpenCLHost(device)
    sess = Session(art, "opencl", host_values=host)
    x = {name: images(batch, 1)}
    t = time.perf_counter()
    first = sess.run(x)
    warm = time.perf_counter() - t
    seconds = timed(lambda: sess.run(x), runs)
    host.profile = True  # one more run, profiled: the kernels' own time, by op
    sess.run(x)
    host.profile = False
    by_op: dict[str, float] = {}
    for op, event in host.events:
        by_op[op] = by_op.get(op, 0.0) + (event.profile.end - event.profile.start) * 1e-9
    where = {w: sum(n for (k, _), n in host.counts.items() if k == w) for w in ("opencl", "numpy")}
    return {
        "device": host.name,
        "first_run_s": warm,
        "median_s": statistics.median(seconds),
        "min_s": min(seconds),
        "device_ops_per_run": where["opencl"] / (runs + 2),
        "numpy_ops_per_run": where["numpy"] / (runs + 2),
        "kernel_s": sum(by_op.values()),
        "kernel_s_by_op": dict(sorted(by_op.items(), key=lambda kv: -kv[1])),
        "fallbacks": host.fallbacks,
        "output": next(iter(first.values())),
        "session": sess,
        "x": x,
    }


def check(result: dict, art: Path) -> dict:
    """The OpenCL outputs against the numpy host values of the same artefact."""
    from canopy_ir.backend.pcie.host import NumpyHostValues
    from canopy_ir.backend.pcie.session import Session

    ref = Session(art, "opencl", host_values=NumpyHostValues)
    want = next(iter(ref.run(result["x"]).values()))
    got = result["output"]
    return {
        "max_abs_diff": float(np.abs(got - want).max()),
        "top1_equal": bool((got.argmax(1) == want.argmax(1)).all()),
        "within_softmax_tolerance": bool(np.allclose(got, want, rtol=1e-5, atol=1e-6)),
    }


def run_onnxruntime(path: Path, name: str, batch: int, runs: int) -> dict:
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.log_severity_level = 3
    sess = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
    x = {name: images(batch, 1)}
    sess.run(None, x)
    seconds = timed(lambda: sess.run(None, x), runs)
    return {"version": ort.__version__, "median_s": statistics.median(seconds)}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--device", help="OpenCL device name substring or index (default: first GPU)")
    ap.add_argument("--batch", type=int, default=32, help="the large batch (0: batch 1 only)")
    ap.add_argument("--runs", type=int, default=20)
    ap.add_argument("--calib", type=int, default=8, help="random calibration images")
    ap.add_argument("--json", help="write the results here")
    args = ap.parse_args(argv)
    results: dict = {
        "machine": f"{platform.machine()}, {os.cpu_count()} CPU cores, "
        f"Python {platform.python_version()}",
        "rows": [],
        "errors": [],
    }
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        path, name = resnet50(folder)
        for batch in [1] + ([args.batch] if args.batch > 1 else []):
            row = {"batch": batch}
            results["rows"].append(row)
            runs = args.runs if batch == 1 else max(3, args.runs // 4)
            try:
                ort_row = run_onnxruntime(path, name, batch, runs)
                row["onnxruntime_cpu_fp32_s"] = ort_row["median_s"]
                results["onnxruntime"] = ort_row["version"]
            except Exception as e:  # report and go on: the other side is still worth having
                results["errors"].append(f"onnxruntime batch {batch}: {e!r}")
            try:
                compiled = compile_batch(path, name, batch, args.calib, folder)
                row["compile_s"] = compiled["compile_s"]
                ocl = run_opencl(compiled["artefact"], name, batch, args.device, runs)
                results["device"] = ocl["device"]
                keys = ("first_run_s", "median_s", "min_s", "device_ops_per_run", "kernel_s")
                row["kernel_s_by_op"] = ocl["kernel_s_by_op"]
                for key in keys:
                    row[f"opencl_{key}"] = ocl[key]
                row["numpy_ops_per_run"] = ocl["numpy_ops_per_run"]
                row["fallbacks"] = ocl["fallbacks"]
                if batch == 1:
                    row["check"] = check(ocl, compiled["artefact"])
            except Exception as e:
                results["errors"].append(f"opencl batch {batch}: {e!r}")
                traceback.print_exc()
            print(json.dumps(row, default=str), flush=True)
    report(results)
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2, default=str))
    return 1 if results["errors"] else 0


def report(results: dict) -> None:
    print(f"\nResNet-50 int8, --target opencl on {results.get('device', '?')}")
    print(f"onnxruntime {results.get('onnxruntime', '?')} CPU fp32 on {results['machine']}")
    print(f"{'batch':>5} {'opencl ms/img':>14} {'opencl img/s':>13} {'ort ms/img':>11} "
          f"{'ort img/s':>10} {'first run s':>12} {'compile s':>10}")  # fmt: skip
    for row in results["rows"]:
        b = row["batch"]
        o, r = row.get("opencl_median_s"), row.get("onnxruntime_cpu_fp32_s")
        cells = [
            f"{o / b * 1e3:14.2f}" if o else f"{'-':>14}",
            f"{b / o:13.1f}" if o else f"{'-':>13}",
            f"{r / b * 1e3:11.2f}" if r else f"{'-':>11}",
            f"{b / r:10.1f}" if r else f"{'-':>10}",
            f"{row.get('opencl_first_run_s', 0):12.1f}",
            f"{row.get('compile_s', 0):10.1f}",
        ]
        print(f"{b:5d} " + " ".join(cells))
        if "opencl_kernel_s" in row:
            top = ", ".join(f"{k} {v * 1e3:.2f}" for k, v in row["kernel_s_by_op"].items())
            print(f"      kernels {row['opencl_kernel_s'] * 1e3:.2f} ms per run ({top})")
        if "check" in row:
            print(f"      check against numpy host values: {row['check']}")
    for error in results["errors"]:
        print(f"error: {error}")


if __name__ == "__main__":
    sys.exit(main())
