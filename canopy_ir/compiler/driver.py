"""The compiler driver: ONNX file → graph IR → (quantize) → pass pipeline → artefact file."""

from __future__ import annotations

import sys
import time
from pathlib import Path


def compile_model(
    model: str | Path,
    output: str | Path,
    config: str | None = None,
    input_shapes: dict | None = None,
    dump_dir: str | Path | None = None,
    print_ir: bool = False,
    log=None,
    calibrate: str | None = None,
    quant_mode: str = "pow2",
    calib_method: str = "minmax",
    per_channel: bool = False,
    report=None,
):
    """Compile `model` to the artefact `output`; returns the artefact. A float model is first
    quantized (`quantize` pass, from `calibrate` data or synthetic samples); `report`, a callable,
    receives the per-layer quantization errors."""
    from canopy_ir.accel_program import read_program
    from canopy_ir.artefact import Artefact
    from canopy_ir.compiler.pipeline import run_passes
    from canopy_ir.dialects import graph
    from canopy_ir.frontends.onnx import import_onnx
    from canopy_ir.hw.config import HwConfig
    from canopy_ir.ir import pool_of, print_module, set_module_config
    from canopy_ir.passes import DEFAULT_PIPELINE

    if log is None:
        log = lambda msg: None  # noqa: E731
    dump = Path(dump_dir) if dump_dir else None
    if dump:
        dump.mkdir(parents=True, exist_ok=True)
    start = time.perf_counter()
    module = import_onnx(model, input_shapes)
    if config:
        set_module_config(module, HwConfig.from_spec(config))
    passes = list(DEFAULT_PIPELINE)
    is_float = not any(
        isinstance(op, graph.QuantizeOp | graph.DequantizeOp) for op in module.walk()
    )
    if is_float:
        options = [
            f"mode={quant_mode}",
            f"method={calib_method}",
            f"per_channel={int(per_channel)}",
        ]
        if calibrate:
            options.append(f'calibration="{calibrate}"')
        passes.insert(0, "graph-quantize{" + " ".join(options) + "}")
        log(
            f"  float model: quantizing ({quant_mode} scales, {calib_method} calibration"
            f"{', per-channel weights' if per_channel else ''})"
        )
    step = [0]
    reference = None
    if report is not None:
        reference = import_onnx(model, input_shapes)  # the float (or QDQ-as-float) model

    def after(name: str, mod, seconds: float) -> None:
        step[0] += 1
        log(f"  {name:<14} {seconds * 1000:8.1f} ms")
        if dump:
            (dump / f"{step[0]:02d}-{name}.mlir").write_text(
                print_module(mod, "weights.npz") + "\n"
            )
        if print_ir:
            print(f"// ----- IR after {name} -----\n{mod}", file=sys.stderr)
        if name == "import-qdq" and report is not None:
            report(_report_rows(reference, mod, calibrate))

    log(f"  {'onnx-import':<14} {(time.perf_counter() - start) * 1000:8.1f} ms")
    if dump:
        (dump / "00-onnx-import.mlir").write_text(print_module(module, "weights.npz") + "\n")
    if print_ir:
        print(f"// ----- IR after onnx-import -----\n{module}", file=sys.stderr)
    run_passes(module, passes, after_pass=after)
    artefact = Artefact.from_program(read_program(module), pool_of(module))
    artefact.save(output)
    if dump:
        pool_of(module).save(dump / "weights.npz")
    return artefact


def _report_rows(reference, int_module, calibrate):
    import warnings

    from canopy_ir.compiler.quant_report import quantization_report
    from canopy_ir.passes.quantize import load_calibration, synthetic_calibration

    if calibrate:
        samples = load_calibration(calibrate, reference)[:16]
    else:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            samples = synthetic_calibration(reference, 8)
    return quantization_report(reference, int_module, samples)
