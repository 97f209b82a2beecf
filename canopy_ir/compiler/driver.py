"""The compiler driver: ONNX file → graph IR → (graph-quantize) → pass pipeline → artefact file.

The pipeline can be replaced (`pipeline`), cut short (`stop_after`: the IR is then written as
text instead of an artefact), and observed pass by pass (dumps, IR printing, timing, progress).
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from pathlib import Path

from canopy_ir.errors import CanopyError


@dataclass
class PassRecord:
    """One step of a compilation: the ONNX import or a pass, with its time and IR size."""

    name: str
    seconds: float
    ops: int


@dataclass
class Compilation:
    """What `compile_model` produced: an artefact (the pipeline reached `encode`) or, when it
    stopped earlier, the IR written as text to `output`."""

    output: Path
    pipeline: str
    steps: list[PassRecord] = field(default_factory=list)
    artefact: object | None = None  # canopy_ir.artefact.Artefact
    module: object | None = None  # the final ModuleOp

    @property
    def manifest(self) -> dict:
        return self.artefact.manifest if self.artefact is not None else {}


def default_passes(
    module,
    quant_mode: str = "pow2",
    calib_method: str = "minmax",
    per_channel: bool = False,
    calibrate: str | None = None,
) -> list[str]:
    """The default pipeline for an imported model; a float model is first simplified by the graph
    passes and quantized (`graph-quantize`)."""
    from canopy_ir.dialects import graph
    from canopy_ir.passes import DEFAULT_PIPELINE, GRAPH_PIPELINE

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
        # Simplify first (batch norms folded into their convolutions, constants folded), so
        # that calibration and quantization see the network the accelerator will run.
        passes[:0] = [*GRAPH_PIPELINE, "graph-quantize{" + " ".join(options) + "}"]
    return passes


def compile_model(
    model: str | Path,
    output: str | Path | None = None,
    config: str | None = None,
    input_shapes: dict | None = None,
    dump_dir: str | Path | None = None,
    print_ir: bool = False,
    log: Callable[[str], None] | None = None,
    calibrate: str | None = None,
    quant_mode: str = "pow2",
    calib_method: str = "minmax",
    per_channel: bool = False,
    report: Callable | None = None,
    *,
    pipeline: str | None = None,
    stop_after: str | None = None,
    print_ir_before: Collection[str] = (),
    print_ir_after: Collection[str] = (),
    print_ir_after_change: bool = False,
    on_step: Callable[[str, int, int], None] | None = None,
    ir_stream=None,
) -> Compilation:
    """Compile `model`. A float model is first quantized (`graph-quantize`, from `calibrate`
    data or synthetic samples) unless `pipeline` replaces the default passes. `report`, a
    callable, receives the per-layer quantization errors after `import-qdq`. `on_step(name,
    index, total)` is called before each pass (progress bars). IR printing goes to `ir_stream`
    (default stderr), `print_ir` meaning after every pass."""
    from canopy_ir.accel_program import read_program
    from canopy_ir.artefact import Artefact
    from canopy_ir.compiler.layers import layer_info
    from canopy_ir.compiler.pipeline import parse_passes, pass_spec, pipeline_spec, run_passes
    from canopy_ir.dialects import accel
    from canopy_ir.frontends.onnx import import_onnx
    from canopy_ir.hw.config import HwConfig
    from canopy_ir.ir import pool_of, print_module, set_module_config
    from canopy_ir.passes import GRAPH_PIPELINE

    log = log or (lambda msg: None)
    stream = ir_stream or sys.stderr
    dump = Path(dump_dir) if dump_dir else None
    if dump:
        dump.mkdir(parents=True, exist_ok=True)
    start = time.perf_counter()
    module = import_onnx(model, input_shapes)
    if config:
        set_module_config(module, HwConfig.from_spec(config))
    if pipeline is None:
        passes = parse_passes(
            default_passes(module, quant_mode, calib_method, per_channel, calibrate)
        )
        if any(p.name == "graph-quantize" for p in passes):
            log(
                f"  float model: quantizing ({quant_mode} scales, {calib_method} calibration"
                f"{', per-channel weights' if per_channel else ''})"
            )
    else:
        passes = parse_passes(pipeline)
    spec = pipeline_spec(passes)
    steps = [PassRecord("onnx-import", time.perf_counter() - start, _count_ops(module))]
    log(f"  {'onnx-import':<14} {steps[0].seconds * 1000:8.1f} ms")
    reference = None
    if report is not None:  # the float model as quantization saw it (after the graph passes)
        reference = import_onnx(model, input_shapes)
        quantized_here = any(p.name == "graph-quantize" for p in passes)
        simplify = [pass_spec(p) for p in passes if p.name in GRAPH_PIPELINE]
        if quantized_here and simplify:
            run_passes(reference, simplify)
    after_all = print_ir or "all" in print_ir_after
    last_text = [print_module(module) if print_ir_after_change else ""]
    layers: list[dict] = []

    def show(when: str, name: str, mod) -> None:
        print(f"// ----- IR {when} {name} -----\n{mod}", file=stream)

    def before(name: str, mod) -> None:
        if on_step:
            on_step(name, len(steps) - 1, len(passes))
        if name in print_ir_before or "all" in print_ir_before:
            show("before", name, mod)

    def after(name: str, mod, seconds: float) -> None:
        steps.append(PassRecord(name, seconds, _count_ops(mod)))
        log(f"  {name:<14} {seconds * 1000:8.1f} ms")
        if dump:
            (dump / f"{len(steps) - 1:02d}-{name}.mlir").write_text(
                print_module(mod, "weights.npz") + "\n"
            )
        if after_all or name in print_ir_after:
            show("after", name, mod)
        elif print_ir_after_change:
            text = print_module(mod)
            if text != last_text[0]:
                show("after", name, mod)
            last_text[0] = text
        if name == "import-qdq":
            layers[:] = layer_info(mod)
            if report is not None:
                report(_report_rows(reference, mod, calibrate))

    if dump:
        (dump / "00-onnx-import.mlir").write_text(print_module(module, "weights.npz") + "\n")
        (dump / "pipeline.txt").write_text(
            f"{spec}\n# replay: canopy-opt {dump / '00-onnx-import.mlir'} -p '{spec}'\n"
        )
    if after_all or "onnx-import" in print_ir_after:
        show("after", "onnx-import", module)
    run_passes(module, passes, after_pass=after, before_pass=before, stop_after=stop_after)
    if dump:
        pool_of(module).save(dump / "weights.npz")
    encoded = any(isinstance(op, accel.BinaryOp) for op in module.ops)
    if encoded:
        out = Path(output) if output else Path(model).with_suffix(".canopy")
        artefact = Artefact.from_program(read_program(module), pool_of(module))
        artefact.manifest["layer_info"] = layers
        artefact.save(out)
        return Compilation(out, spec, steps, artefact, module)
    last = steps[-1].name
    out = Path(output) if output else Path(model).with_suffix(f".{last}.mlir")
    if out.suffix == ".canopy":
        raise CanopyError(
            f"the pipeline ended after '{last}' without `encode`: there is no artefact to write "
            f"to {out}; give -o FILE.mlir to keep the IR"
        )
    weights = out.with_suffix(".weights.npz")
    pool_of(module).save(weights)
    out.write_text(print_module(module, weights.name) + "\n")
    return Compilation(out, spec, steps, None, module)


def _count_ops(module) -> int:
    return sum(1 for _ in module.walk())


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
