"""Real networks through the three targets, each output compared with the simulated card's bit
for bit: the onnx wheel's nine CNNs (seeded random weights, examples/light_models.py) and the
zoo's ResNet-18 / MobileNetV2, quantized by the compiler from random calibration samples.

    python -m bench.opencl_models [--models resnet50,vgg19] [--device NVIDIA] [--jobs 9]
        [--out DIR] [--json results.json] [--record]

Every (model, target) is compiled in a process of its own (`--jobs` at a time; compiling VGG-19
takes minutes), for `sim`, `accel-opencl` and `opencl`; then, per model: run the sim artefact on
the simulated card (the reference), the accel-opencl artefact on an OpenCLCard with the host ops
as generated kernels, and the opencl artefact as generated kernels alone; report whether each
output equals the reference's, the ms per image (one timed run after a warm-up, which builds
the kernels; models run side by side, so times are indicative), and which host ops ran in
numpy and why. `--record` appends a
row per model to BENCHMARKS.md.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import sys
import tempfile
import time
import traceback
import warnings
from concurrent.futures import ProcessPoolExecutor, as_completed
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
TARGETS = ("sim", "accel-opencl", "opencl")
ZOO = ("resnet18", "mobilenet_v2")
CALIBRATION = 4


def models() -> list[str]:
    sys.path.insert(0, str(ROOT / "examples"))
    import light_models

    return [*light_models.MODELS, *ZOO]


def build(name: str, folder: Path) -> tuple[Path, str, tuple]:
    """The float model's path, its data input's name and shape."""
    import onnx

    sys.path.insert(0, str(ROOT / "examples"))
    if name in ZOO:
        import zoo

        model = zoo.MODELS[name](size=224)
    else:
        import light_models

        model = light_models.with_random_weights(onnx.load(light_models.path(name)), seed=1)
    import light_models

    input_name, shape = light_models.data_input(model)
    path = folder / f"{name}.onnx"
    onnx.save(model, path)
    return path, input_name, tuple(shape)


def compile_target(name: str, target: str, folder: Path) -> dict:
    """One model compiled for one target (a worker process's job)."""
    from canopy_ir.compiler.driver import compile_model

    path, input_name, shape = build(name, folder / target)
    data = folder / f"{name}.calib.npz"
    if not data.exists():
        raise FileNotFoundError(data)
    t = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        compile_model(path, folder / f"{name}.{target}.canopy", calibrate=str(data),
                      target=target)  # fmt: skip
    return {"input": input_name, "shape": shape, "compile_s": time.perf_counter() - t}


def calibration(name: str, folder: Path) -> None:
    """The model's calibration samples, the same for its three targets."""
    _, input_name, shape = build(name, folder)
    samples = np.random.default_rng(5).standard_normal((CALIBRATION, *shape[1:]))
    np.savez(folder / f"{name}.calib.npz", **{input_name: samples.astype(np.float32)})


def run_targets(name: str, folder: Path, info: dict, device: str | None) -> dict:
    from canopy_ir.backend.opencl.host_values import OpenCLHost
    from canopy_ir.backend.pcie import Session

    x = {info["input"]: np.random.default_rng(3).standard_normal(info["shape"]).astype("f4")}
    row: dict = {}
    reference = None
    for target in TARGETS:
        art = folder / f"{name}.{target}.canopy"
        host = None
        if target == "sim":
            sess = Session(art, "sim")
        else:
            host = OpenCLHost(device)
            row["device"] = host.name
            spec = "opencl" if device is None else f"opencl:{device}"
            sess = Session(art, spec, host_values=host, timeout=600)
        t = time.perf_counter()
        out = sess.run(x)
        first = time.perf_counter() - t
        t = time.perf_counter()
        again = sess.run(x)
        row[f"{target}_ms"] = (time.perf_counter() - t) * 1e3
        row[f"{target}_first_s"] = first
        (y,) = out.values()
        if reference is None:
            reference = y
            continue
        (y2,) = again.values()
        row[f"{target}_equal"] = bool(np.array_equal(y, reference) and np.array_equal(y2, y))
        row[f"{target}_max_diff"] = float(np.abs(y.astype(np.float64) - reference).max())
        numpy_ops = {op for (where, op), n in host.counts.items() if where == "numpy" and n}
        row[f"{target}_numpy_ops"] = sorted(numpy_ops)
        row[f"{target}_fallbacks"] = sorted(set(host.fallbacks.values()))
        row[f"{target}_kernels"] = sum(n for (w, _), n in host.counts.items() if w == "opencl")
    return row


def compile_job(name: str, target: str, folder: str) -> tuple[str, str, dict | str]:
    try:
        (Path(folder) / target).mkdir(exist_ok=True)
        return name, target, compile_target(name, target, Path(folder))
    except Exception as e:  # reported with the model's row
        return name, target, f"{type(e).__name__}: {str(e).splitlines()[0][:300]}"


def run_job(name: str, folder: str, info: dict, device: str | None) -> dict:
    row: dict = {"model": name, "compile_s": info["compile_s"]}
    try:
        row.update(run_targets(name, Path(folder), info, device))
    except Exception as e:  # report the model and go on with the others
        row["error"] = f"{type(e).__name__}: {str(e).splitlines()[0][:300]}"
        row["traceback"] = traceback.format_exc()[-3000:]
    return row


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--models", help="comma-separated subset (default: all)")
    ap.add_argument("--device", help="OpenCL device name substring or index")
    ap.add_argument("--jobs", type=int, default=os.cpu_count() or 2)
    ap.add_argument("--out", help="folder for the artefacts (default: a temporary one)")
    ap.add_argument("--json", help="write the rows here (one JSON line per model as it ends)")
    ap.add_argument("--record", action="store_true", help="append rows to BENCHMARKS.md")
    ap.add_argument("--from-json", help="record the rows of an earlier run's --json instead")
    ap.add_argument("--machine", help="the machine of --from-json's run, for its rows")
    args = ap.parse_args(argv)
    if args.from_json:
        rows = [json.loads(line) for line in Path(args.from_json).read_text().splitlines()]
        order = models()
        rows.sort(key=lambda r: order.index(r["model"]) if r["model"] in order else len(order))
        record(rows, args.jobs, args.machine)
        return 0
    names = args.models.split(",") if args.models else models()
    start = time.perf_counter()
    with tempfile.TemporaryDirectory(dir=args.out) as tmp:
        for name in names:
            calibration(name, Path(tmp))
        rows = work(names, tmp, args.jobs, args.device, args.json)
    print(f"all models: {time.perf_counter() - start:.0f} s")
    rows.sort(key=lambda r: names.index(r["model"]))
    if args.record:
        record(rows, args.jobs)
    bad = [r for r in rows if "error" in r or not all(r.get(f"{t}_equal") for t in TARGETS[1:])]
    return 1 if bad else 0


def work(names, folder: str, jobs: int, device, json_path) -> list[dict]:
    """Every (model, target) compiled in parallel; each model run once its three are done."""
    infos: dict = {n: {"compile_s": {}} for n in names}
    left = {n: len(TARGETS) for n in names}
    rows = []
    with ProcessPoolExecutor(jobs) as pool:
        pending = {pool.submit(compile_job, n, t, folder) for n in names for t in TARGETS}
        while pending:
            future = next(as_completed(pending))
            pending.remove(future)
            result = future.result()
            if isinstance(result, dict):  # a finished model run
                rows.append(result)
                print(summary(result), flush=True)
                if "traceback" in result:
                    print(result["traceback"], flush=True)
                if json_path:
                    with open(json_path, "a") as f:
                        f.write(json.dumps(result, default=str) + "\n")
                continue
            name, target, info = result
            if isinstance(info, str):
                infos[name]["error"] = f"compile {target}: {info}"
            else:
                infos[name].update(input=info["input"], shape=info["shape"])
                infos[name]["compile_s"][target] = info["compile_s"]
            left[name] -= 1
            if left[name] == 0:
                if "error" in infos[name]:
                    rows.append({"model": name, "error": infos[name]["error"]})
                    print(summary(rows[-1]), flush=True)
                else:
                    pending.add(pool.submit(run_job, name, folder, infos[name], device))
    return rows


def summary(row: dict) -> str:
    if "error" in row:
        return f"{row['model']:14s} error: {row['error']}"
    parts = [f"{row['model']:14s} sim {row['sim_ms']:8.1f} ms"]
    for t in TARGETS[1:]:
        numpy_ops = ",".join(op.split(".")[-1] for op in row[f"{t}_numpy_ops"]) or "none"
        parts.append(
            f"{t} {row[f'{t}_ms']:7.2f} ms equal {row[f'{t}_equal']} "
            f"(numpy: {numpy_ops})"
        )
    return " | ".join(parts)


def record(rows: list[dict], jobs: int, machine: str | None = None) -> None:
    devices = sorted({r["device"] for r in rows if r.get("device")})
    machine = machine or (
        f"{platform.machine()} {os.cpu_count()} cores, Python {platform.python_version()}"
        + "".join(f", OpenCL: {d}" for d in devices)
    )
    with open(ROOT / "BENCHMARKS.md", "a") as f:
        for r in rows:
            if "error" in r:
                continue
            cells = [f"sim {r['sim_ms']:.1f} ms/img (reference)"]
            for t in TARGETS[1:]:
                numpy_ops = ", ".join(op.split(".")[-1] for op in r[f"{t}_numpy_ops"]) or "none"
                cells.append(
                    f"{t} {r[f'{t}_ms']:.2f} ms/img, equal to sim bit for bit: "
                    f"{r[f'{t}_equal']} (host ops in numpy: {numpy_ops})"
                )
            f.write(
                f"| {datetime.date.today()} | {machine} | `python -m bench.opencl_models` "
                f"({jobs} models at a time) | {r['model']} 224x224, quantized by the compiler "
                f"({CALIBRATION} random calibration samples), three targets | "
                + "; ".join(cells) + " |\n"
            )


if __name__ == "__main__":
    sys.exit(main())
