"""ResNet-50 int8 end to end as generated OpenCL kernels (`--target opencl`), next to
onnxruntime's CPU execution provider running the same model in fp32, in the same run.

    python -m bench.opencl_e2e [--device NVIDIA] [--batch 32] [--runs 20] [--json out.json]

The model is the onnx wheel's ResNet-50 (examples/light_models.py) with seeded random weights and
a symbolic batch dimension, compiled by canopy-ir at batch 1 and at --batch (`compile_model(...,
target="opencl", input_shapes=...)`): quantized by the compiler (graph-quantize, power-of-two
scales, min-max calibration on --calib random images), every op run as a generated kernel.

Timed: `Session.run` by wall clock, float inputs in and float outputs out (the input is
quantized and the output dequantized on the device), weights resident; the median of --runs after
one warm-up run, which builds the kernels (reported separately), and one more (from the third
run on, runs replay the device actions the first two agreed on: backend/opencl/replay.py).
onnxruntime: the same inputs, the float model, all CPU cores. Checked: at batch 1 the OpenCL run
against the same artefact with numpy host values (the reference semantics), bit for bit (the
softmax, a float reduction, runs in numpy; host_values.OpenCLHost(float_kernels=True) would run
it as a kernel).
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
from collections import Counter
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
    spec = "opencl" if device is None else f"opencl:{device}"
    sess = Session(art, spec, host_values=host)
    x = {name: images(batch, 1)}
    t = time.perf_counter()
    first = sess.run(x)
    warm = time.perf_counter() - t
    sess.run(x)
    before = dict(sess.counters.seconds)
    counts, moved = sum(host.counts.values()), Counter(host.transfers)
    seconds = timed(lambda: sess.run(x), runs)
    phases = {k: (v - before.get(k, 0.0)) / runs for k, v in sess.counters.seconds.items()}
    launches = (sum(host.counts.values()) - counts) / runs
    per_run = {k: (v - moved[k]) / runs for k, v in host.transfers.items()}
    timeline = host_timeline(host, lambda: sess.run(x))
    replayed = sess.run(x)  # launched as recorded sequences where the device has them
    host.profile = True  # one more run, profiled: the kernels' own time, by op
    sess.run(x)
    host.profile = False
    by_op: dict[str, float] = {}
    for op, event in host.events:
        by_op[op] = by_op.get(op, 0.0) + (event.profile.end - event.profile.start) * 1e-9
    events = [(e.profile.start, e.profile.end) for _, e in host.events]
    where = {w: sum(n for (k, _), n in host.counts.items() if k == w) for w in ("opencl", "numpy")}
    return {
        "device": host.name,
        "first_run_s": warm,
        "median_s": statistics.median(seconds),
        "min_s": min(seconds),
        "launches_per_run": launches,
        "device_ops_per_run": where["opencl"] / (runs + 3),
        "numpy_ops_per_run": where["numpy"] / (runs + 3),
        "session_phases_s": phases,
        "host_timeline_s": timeline,
        "bytes_per_run": per_run,
        "kernel_s": sum(by_op.values()),
        "kernel_span_s": (max(e for _, e in events) - min(s for s, _ in events)) * 1e-9,
        "kernel_s_by_op": dict(sorted(by_op.items(), key=lambda kv: -kv[1])),
        "fallbacks": host.fallbacks,
        "recorded_sequences": {
            "available": bool(host.sequences and host.sequences.available),
            "why_not": host.sequences.why_not if host.sequences else "graphs=False",
            "replays": host.replays,
        },
        "runs_replayed_without_plan_walk": host.recorder.replayed,  # backend/opencl/replay.py
        "output": next(iter(first.values())),
        "output_replayed": next(iter(replayed.values())),
        "session": sess,
        "x": x,
    }


def host_timeline(host, run) -> dict:
    """One run with every launch timed on the host: how long until the first and the last
    launch was enqueued, and how much of it the enqueue calls took."""
    real = host.launch
    marks = []

    def traced(c, args):
        t = time.perf_counter()
        real(c, args)
        marks.append((t, time.perf_counter()))

    def timed_direct(go):  # a replayed launch straight to the queue (backend/opencl/enqueue.py)
        def launch():
            t = time.perf_counter()
            go()
            marks.append((t, time.perf_counter()))

        return launch

    host.launch = traced
    prepared = host.recorder.prepared
    if prepared is not None:
        actions = [
            (a[0], timed_direct(a[1]), *a[2:]) if a[0] == "direct" else a for a in prepared[1]
        ]
        host.recorder.prepared = (prepared[0], actions)
    try:
        t0 = time.perf_counter()
        run()
        end = time.perf_counter()
    finally:
        del host.launch  # the method again
        host.recorder.prepared = prepared
    return {
        "run": end - t0,
        "to_first_launch": marks[0][0] - t0,
        "to_last_launch": marks[-1][1] - t0,
        "in_launch_calls": sum(b - a for a, b in marks),
        "launches": len(marks),
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
        "bit_exact": bool(np.array_equal(got, want)),
        "bit_exact_after_replays": bool(np.array_equal(result["output_replayed"], want)),
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
    ap.add_argument("--record", action="store_true", help="append a row to BENCHMARKS.md")
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
                keys = (
                    "first_run_s",
                    "median_s",
                    "min_s",
                    "device_ops_per_run",
                    "kernel_s",
                    "kernel_span_s",
                    "launches_per_run",
                    "session_phases_s",
                    "bytes_per_run",
                    "host_timeline_s",
                )
                row["kernel_s_by_op"] = ocl["kernel_s_by_op"]
                for key in keys:
                    row[f"opencl_{key}"] = ocl[key]
                row["numpy_ops_per_run"] = ocl["numpy_ops_per_run"]
                row["recorded_sequences"] = ocl["recorded_sequences"]
                row["runs_replayed"] = ocl["runs_replayed_without_plan_walk"]
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
    if args.record and not results["errors"]:
        record(results, " ".join(argv if argv is not None else sys.argv[1:]))
    return 1 if results["errors"] else 0


def record(results: dict, arguments: str) -> None:
    """One BENCHMARKS.md row: both batches, where the time goes, onnxruntime beside them."""
    import datetime

    cells = []
    for row in results["rows"]:
        b, o = row["batch"], row["opencl_median_s"]
        t = row["opencl_host_timeline_s"]
        cells.append(
            f"batch {b}: {o / b * 1e3:.2f} ms/img = {b / o:.0f} img/s (GPU kernels "
            f"{row['opencl_kernel_s'] * 1e3:.2f} ms, {row['opencl_launches_per_run']:.0f} "
            f"launches, last enqueued {t['to_last_launch'] * 1e3:.2f} ms into the run); "
            f"onnxruntime CPU fp32 {row['onnxruntime_cpu_fp32_s'] / b * 1e3:.2f} ms/img"
        )
    check = results["rows"][0].get("check", {})
    exact = check.get("bit_exact") and check.get("bit_exact_after_replays")
    with open(ROOT / "BENCHMARKS.md", "a") as f:
        f.write(
            f"| {datetime.date.today()} | {results['machine']}, {results.get('device')} | "
            f"`python -m bench.opencl_e2e {arguments}` | ResNet-50 int8 (onnx wheel, random "
            "weights, quantized by the compiler), `--target opencl`, float in / float out, "
            f"weights resident; onnxruntime {results.get('onnxruntime')} (reference, same run) | "
            + "; ".join(cells)
            + f"; output equal to the numpy host run bit for bit: {exact} |\n"
        )


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
            top = ", ".join(f"{k} {v * 1e3:.3f}" for k, v in row["kernel_s_by_op"].items())
            print(f"      kernels {row['opencl_kernel_s'] * 1e3:.3f} ms per run, first start to "
                  f"last end {row['opencl_kernel_span_s'] * 1e3:.3f} ms, "
                  f"{row['opencl_launches_per_run']:.0f} launches ({top})")  # fmt: skip
            phases = ", ".join(f"{k} {v * 1e3:.3f}" for k, v in
                               row["opencl_session_phases_s"].items() if v)  # fmt: skip
            print(f"      Session phases per run, ms: {phases}; bytes per run: "
                  f"{row['opencl_bytes_per_run']}")  # fmt: skip
            line = ", ".join(f"{k} {v * 1e3:.3f}" if k != "launches" else f"{v} launches"
                             for k, v in row["opencl_host_timeline_s"].items())  # fmt: skip
            print(f"      host timeline of one run, ms: {line}; {row['runs_replayed']} runs "
                  "replayed without walking the host plan")  # fmt: skip
        if "check" in row:
            print(f"      check against numpy host values: {row['check']}")
    for error in results["errors"]:
        print(f"error: {error}")


if __name__ == "__main__":
    sys.exit(main())
