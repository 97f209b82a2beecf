"""ResNet-18 and MobileNetV2 (examples/zoo.py) quantized by onnxruntime's `quantize_static` with
its default arguments (QDQ, int8 asymmetric activations, int8 per-tensor weights), compiled and
run on the simulated card, against ONNX semantics: `onnx.reference.ReferenceEvaluator` on the same
QDQ model (its opset raised to 21, where DequantizeLinear follows opset 19+) and onnxruntime.

    python -m bench.ort_int8 [--size 224] [--images 2] [--pre-process]
                             [--batchnorm calibrated,initial] [--seeds 0,1] [--no-record]

Reports, per model: the partition (ops and MACs per target), compile time, card time per image,
and the card's output in output steps (LSB) from the reference's: share within 1 LSB, mean,
max — next to onnxruntime's own distance from the reference in the same run, and the model's own
sensitivity: how far onnxruntime's output moves when one input element moves by one input
quantization step. Where that is as large as the distances above, the model amplifies any
single rounding difference (a near-tie rounded the other way) to that size, and no
implementation that is not the reference's own float32 arithmetic can come closer.

`--batchnorm` picks the zoo models' BatchNorm statistics (examples/zoo.py BATCHNORM), one row per
model and choice: "calibrated" (measured on sample images, as training leaves them; such random
networks amplify a one-step difference the most) and "initial" (torch.nn.BatchNorm2d as
constructed: what exporting a freshly built torchvision model gives).
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


def quantize_with_defaults(
    model: onnx.ModelProto, folder: Path, size: int, pre_process: bool = False
) -> Path:
    """quantize_static with default arguments, calibrated on four seeded images; with
    `pre_process`, after onnxruntime's recommended quant_pre_process (BatchNorm folded)."""
    from onnxruntime import quantization

    rng = np.random.default_rng(0)

    class Reader(quantization.CalibrationDataReader):
        def __init__(self):
            self.data = iter(
                [
                    {"input": rng.standard_normal((1, 3, size, size)).astype(np.float32)}
                    for _ in range(4)
                ]
            )

        def get_next(self):
            return next(self.data, None)

    onnx.save(model, folder / "float.onnx")
    source = folder / "float.onnx"
    if pre_process:
        from onnxruntime.quantization.shape_inference import quant_pre_process

        quant_pre_process(source, folder / "pre.onnx", skip_symbolic_shape=True)
        source = folder / "pre.onnx"
    quantization.quantize_static(str(source), str(folder / "int8.onnx"), Reader())
    return folder / "int8.onnx"


def output_step(model: onnx.ModelProto) -> float:
    """The scale of the DequantizeLinear that produces the model's output."""
    inits = {i.name: onnx.numpy_helper.to_array(i) for i in model.graph.initializer}
    out = model.graph.output[0].name
    node = next(n for n in model.graph.node if out in n.output)
    while node.op_type != "DequantizeLinear":
        node = next(n for n in model.graph.node if node.input[0] in n.output)
    return float(inits[node.input[1]])


def input_scale(model: onnx.ModelProto) -> float:
    """The scale of the QuantizeLinear that reads the model's input."""
    inits = {i.name: onnx.numpy_helper.to_array(i) for i in model.graph.initializer}
    name = model.graph.input[0].name
    node = next(n for n in model.graph.node if n.op_type == "QuantizeLinear" and n.input[0] == name)
    return float(inits[node.input[1]])


def reference_evaluator(path: Path):
    from onnx.reference import ReferenceEvaluator

    model = onnx.load(path)
    for opset in model.opset_import:
        if opset.domain in ("", "ai.onnx"):
            opset.version = max(opset.version, 21)
    return ReferenceEvaluator(model)


def measure(
    name: str, model: onnx.ModelProto, size: int, images: int, folder: Path, pre_process: bool
) -> dict:
    import onnxruntime as ort

    import canopy_ir
    from canopy_ir.compiler.driver import compile_model
    from canopy_ir.compiler.layers import partition_summary

    path = quantize_with_defaults(model, folder, size, pre_process)
    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = compile_model(path, folder / "m.canopy")
    compile_s = time.perf_counter() - start
    card = canopy_ir.InferenceSession(str(folder / "m.canopy"))
    runtime = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    reference = reference_evaluator(path)
    step = output_step(onnx.load(path))
    input_step = input_scale(onnx.load(path))
    card_steps, ort_steps, nudged_steps, card_s = [], [], [], []
    for seed in range(images):
        x = np.random.default_rng(100 + seed).standard_normal((1, 3, size, size))
        x = x.astype(np.float32)
        (expected,) = reference.run(None, {"input": x})
        start = time.perf_counter()
        (y,) = card.run(None, {"input": x})
        card_s.append(time.perf_counter() - start)
        (z,) = runtime.run(None, {"input": x})
        card_steps.append(np.rint(np.abs(y - expected) / step).ravel())
        ort_steps.append(np.rint(np.abs(z - expected) / step).ravel())
        # The model's own sensitivity: onnxruntime again, with one input element moved by one
        # input quantization step (the smallest change the int8 model can see).
        nudged = x.copy()
        nudged.flat[np.random.default_rng(seed).integers(x.size)] += input_step
        (w,) = runtime.run(None, {"input": nudged})
        nudged_steps.append(np.rint(np.abs(w - z) / step).ravel())
    card_steps, ort_steps = np.concatenate(card_steps), np.concatenate(ort_steps)
    nudged_steps = np.concatenate(nudged_steps)
    summary = partition_summary(result.manifest["layer_info"])
    total = sum(v["macs"] for v in summary.values()) or 1
    return {
        "model": name,
        "accel_macs": summary.get("accelerator", {}).get("macs", 0) / total,
        "ops": f"{summary.get('accelerator', {}).get('layers', 0)} / "
        f"{summary.get('host', {}).get('layers', 0)}",
        "compile_s": compile_s,
        "card_s": min(card_s),
        "within1": float((card_steps <= 1).mean()),
        "mean": float(card_steps.mean()),
        "max": int(card_steps.max()),
        "ort_within1": float((ort_steps <= 1).mean()),
        "ort_mean": float(ort_steps.mean()),
        "nudged_within1": float((nudged_steps <= 1).mean()),
        "nudged_mean": float(nudged_steps.mean()),
    }


def table(rows: list[dict]) -> str:
    lines = [
        "| model | MACs on accel | ops accel / host | compile s | card s/img | "
        "card: within 1 LSB / mean / max | onnxruntime: within 1 LSB / mean | "
        "onnxruntime, one input step moved: within 1 LSB / mean |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        lines.append(
            f"| {r['model']} ({r.get('batchnorm', 'calibrated')} BN, seed {r.get('seed', 0)}) | "
            f"{r['accel_macs']:.1%} | "
            f"{r['ops']} | {r['compile_s']:.1f} | "
            f"{r['card_s']:.2f} | {r['within1']:.2%} / {r['mean']:.3f} / {r['max']} | "
            f"{r['ort_within1']:.2%} / {r['ort_mean']:.3f} | "
            f"{r['nudged_within1']:.2%} / {r['nudged_mean']:.3f} |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    import zoo

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--size", type=int, default=224)
    ap.add_argument("--images", type=int, default=2)
    ap.add_argument("--models", default="resnet18,mobilenet_v2")
    ap.add_argument(
        "--batchnorm", default="calibrated", help="zoo BatchNorm statistics, comma-separated"
    )
    ap.add_argument(
        "--pre-process",
        action="store_true",
        help="run onnxruntime's quant_pre_process (BatchNorm folded) before quantize_static",
    )
    ap.add_argument("--seeds", default="0", help="zoo weight seeds, comma-separated")
    ap.add_argument("--no-record", action="store_true")
    args = ap.parse_args(argv)
    rows = []
    for seed in (int(v) for v in args.seeds.split(",")):
        for name in args.models.split(","):
            for batchnorm in args.batchnorm.split(","):
                model = zoo.MODELS[name](size=args.size, batchnorm=batchnorm, seed=seed)
                with tempfile.TemporaryDirectory() as d:
                    row = measure(name, model, args.size, args.images, Path(d), args.pre_process)
                rows.append(row | {"batchnorm": batchnorm, "seed": seed})
                print(table(rows[-1:]).splitlines()[-1], flush=True)
    text = table(rows)
    print(text)
    if not args.no_record:
        machine = f"{platform.machine()} {os.cpu_count()} cores, Python {platform.python_version()}"
        with open(ROOT / "BENCHMARKS.md", "a") as f:
            for r in rows:
                f.write(
                    f"| {datetime.date.today()} | {machine} | `python -m bench.ort_int8` | "
                    f"{r['model']} {args.size}x{args.size} ({r['batchnorm']} BatchNorm "
                    f"statistics, weights seed {r['seed']}), {args.images} images, onnxruntime "
                    f"{'quant_pre_process + ' if args.pre_process else ''}quantize_static defaults "
                    f"| MACs on the accelerator {r['accel_macs']:.1%}, ops accelerator / host "
                    f"{r['ops']}, compile {r['compile_s']:.1f} s, card {r['card_s']:.2f} s/img; "
                    f"vs onnx.reference: within 1 LSB {r['within1']:.2%}, mean {r['mean']:.3f}, "
                    f"max {r['max']}; onnxruntime (reference, same run): within 1 LSB "
                    f"{r['ort_within1']:.2%}, mean {r['ort_mean']:.3f}; the model's own "
                    f"sensitivity: onnxruntime with one input element moved by one input step vs "
                    f"unmoved: within 1 LSB {r['nudged_within1']:.2%}, mean "
                    f"{r['nudged_mean']:.3f} |\n"
                )


if __name__ == "__main__":
    main()
