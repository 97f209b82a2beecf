"""Real networks end to end: the nine CNNs of the onnx wheel (seeded random weights) and the
ResNet-18 / MobileNetV2 of examples/zoo.py, quantized by the compiler from calibration samples
(`--calibrate`), compiled, and run on the simulated card.

    python -m bench.partition [--models resnet50,squeezenet] [--size 224] [--no-record]

Per model: compile time, where the ops and MACs run (accelerator / host), the card's time per
image, and quantization quality: SQNR of the card's output against the float model, next to
onnxruntime's own int8 SQNR (quantize_static with its default arguments, the same calibration
samples) in the same run. Appends the table to BENCHMARKS.md unless --no-record.
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
import onnx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "examples"))

CALIBRATION_SAMPLES = 8


def sqnr(reference: np.ndarray, y: np.ndarray) -> float:
    noise = np.sum((reference.astype(np.float64) - y) ** 2)
    return float(10 * np.log10(np.sum(reference.astype(np.float64) ** 2) / max(noise, 1e-30)))


def candidates(size: int):
    import light_models
    import zoo

    for name in light_models.MODELS:
        model = light_models.with_random_weights(onnx.load(light_models.path(name)), seed=1)
        yield name, model
    yield "resnet18 (zoo)", zoo.resnet18(size=size)
    yield "mobilenet_v2 (zoo)", zoo.mobilenet_v2(size=size)


def onnxruntime_sqnr(model_path: Path, input_name: str, samples, x, reference) -> float | None:
    try:
        import onnxruntime as ort
        from onnxruntime import quantization
    except ImportError:
        return None

    class Reader(quantization.CalibrationDataReader):
        def __init__(self):
            self.data = iter([{input_name: s[None]} for s in samples])

        def get_next(self):
            return next(self.data, None)

    out = model_path.with_suffix(".ort-int8.onnx")
    try:
        quantization.quantize_static(str(model_path), str(out), Reader())
    except Exception as exc:  # its opset converter rejects some of the wheel's old models
        print(f"  onnxruntime cannot quantize it: {str(exc).splitlines()[0][:80]}")
        return None
    sess = ort.InferenceSession(str(out), providers=["CPUExecutionProvider"])
    return sqnr(reference, sess.run(None, {input_name: x})[0])


def measure(name: str, model: onnx.ModelProto, tmp: Path) -> dict:
    import canopy_ir
    from canopy_ir.compiler.driver import compile_model
    from canopy_ir.compiler.layers import partition_summary
    from canopy_ir.frontends.onnx import import_onnx
    from canopy_ir.interpreters.graph import run_graph

    path = tmp / "m.onnx"
    onnx.save(model, path)
    module = import_onnx(path)
    (arg,) = next(op for op in module.ops if hasattr(op, "args")).args
    shape = tuple(arg.type.get_shape())
    graph = onnx.load(path).graph
    inits = {i.name for i in graph.initializer}
    input_name = next(i.name for i in graph.input if i.name not in inits)
    rng = np.random.default_rng(5)
    samples = rng.standard_normal((CALIBRATION_SAMPLES, *shape[1:])).astype(np.float32)
    np.savez(tmp / "calib.npz", **{input_name: samples})
    x = rng.standard_normal(shape).astype(np.float32)
    (reference,) = run_graph(module, x)
    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = compile_model(path, tmp / "m.canopy", calibrate=str(tmp / "calib.npz"))
    compile_s = time.perf_counter() - start
    summary = partition_summary(result.manifest["layer_info"])
    total = sum(v["macs"] for v in summary.values()) or 1
    sess = canopy_ir.InferenceSession(str(tmp / "m.canopy"))
    (y,) = sess.run(None, {input_name: x})
    start = time.perf_counter()
    sess.run(None, {input_name: x})
    run_s = time.perf_counter() - start
    host = [r for r in result.manifest["layer_info"] if r["target"] == "host"]
    kinds = sorted({r["op"] for r in host})
    return {
        "model": name,
        "compile_s": compile_s,
        "accel_ops": summary.get("accelerator", {}).get("layers", 0),
        "host_ops": summary.get("host", {}).get("layers", 0),
        "accel_macs": summary.get("accelerator", {}).get("macs", 0) / total,
        "gmacs": total / 1e9,
        "run_s": run_s,
        "sqnr": sqnr(reference, y),
        "ort_sqnr": onnxruntime_sqnr(path, input_name, samples, x, reference),
        "host_kinds": ", ".join(kinds),
    }


def table(rows: list[dict]) -> str:
    lines = [
        "| model | GMACs | MACs on accel | ops accel / host | host op kinds | compile s | "
        "card s/img | SQNR dB | onnxruntime int8 SQNR dB |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        ort = "n/a" if r["ort_sqnr"] is None else f"{r['ort_sqnr']:.1f}"
        lines.append(
            f"| {r['model']} | {r['gmacs']:.2f} | {r['accel_macs']:.1%} | "
            f"{r['accel_ops']} / {r['host_ops']} | {r['host_kinds']} | {r['compile_s']:.1f} | "
            f"{r['run_s']:.2f} | {r['sqnr']:.1f} | {ort} |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--models", help="comma-separated subset (names as in the table)")
    ap.add_argument("--size", type=int, default=224, help="input size of the zoo models")
    ap.add_argument("--no-record", action="store_true", help="do not append to BENCHMARKS.md")
    args = ap.parse_args(argv)
    wanted = set(args.models.split(",")) if args.models else None
    rows = []
    for name, model in candidates(args.size):
        if wanted and name.split(" ")[0] not in wanted:
            continue
        with tempfile.TemporaryDirectory() as d:
            row = measure(name, model, Path(d))
        print(table([row]).splitlines()[-1], flush=True)
        rows.append(row)
    text = table(rows)
    print(text)
    if not args.no_record:
        record(rows)


def record(rows: list[dict]) -> None:
    """One BENCHMARKS.md row per model, in the file's table."""
    machine = f"{platform.machine()} {os.cpu_count()} cores, Python {platform.python_version()}"
    with open(ROOT / "BENCHMARKS.md", "a") as f:
        for r in rows:
            ort = "n/a" if r["ort_sqnr"] is None else f"{r['ort_sqnr']:.1f} dB"
            f.write(
                f"| {datetime.date.today()} | {machine} | `python -m bench.partition` | "
                f"{r['model']} ({r['gmacs']:.2f} GMAC), quantized by the compiler from 8 "
                f"calibration samples | MACs on the accelerator {r['accel_macs']:.1%}, ops "
                f"accelerator / host {r['accel_ops']} / {r['host_ops']} (host: "
                f"{r['host_kinds'] or 'none'}), compile {r['compile_s']:.1f} s, card "
                f"{r['run_s']:.2f} s/img, SQNR vs float {r['sqnr']:.1f} dB; onnxruntime "
                f"quantize_static int8 SQNR {ort} (reference, same run) |\n"
            )


if __name__ == "__main__":
    main()
