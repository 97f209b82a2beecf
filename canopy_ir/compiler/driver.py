"""The compiler driver: ONNX file → graph IR → (graph-quantize) → pass pipeline → artefact file.

The pipeline can be replaced (`pipeline`), cut short (`stop_after`: the IR is then written as
text instead of an artefact), and observed pass by pass (dumps, IR printing, timing, progress).
"""

from __future__ import annotations

import shlex
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
    ops: int | None  # ops in the IR after it (counted when asked: count_ops)


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
    quant_mode: str = "fixed",
    calib_method: str = "minmax",
    per_channel: bool = False,
    calibrate: str | None = None,
) -> list:
    """The default pipeline for an imported model (pass instances); a float model is first
    simplified by the graph passes and quantized (`graph-quantize`)."""
    from canopy_ir.compiler.pipeline import parse_passes
    from canopy_ir.dialects import graph
    from canopy_ir.passes import DEFAULT_PIPELINE, GRAPH_PIPELINE
    from canopy_ir.passes.import_qdq import ImportQdqPass
    from canopy_ir.passes.quantize import QuantizePass
    from canopy_ir.quant import FIXED_POINT_BITS

    passes = parse_passes(DEFAULT_PIPELINE)
    is_float = not any(
        isinstance(op, graph.QuantizeOp | graph.DequantizeOp) for op in module.walk()
    )
    if is_float:
        quantize = QuantizePass(
            calibration=str(calibrate or ""),
            method=calib_method,
            mode=quant_mode,
            per_channel=int(per_channel),
        )
        # Simplify first (batch norms folded into their convolutions, constants folded), so
        # that calibration and quantization see the network the accelerator will run.
        passes[:0] = [*parse_passes(GRAPH_PIPELINE), quantize]
        # Scales chosen here have no float reference to follow: graph-quantize makes the ratios
        # of convolutions short exact fixed-point numbers, and the others keep its precision.
        index = next(k for k, p in enumerate(passes) if p.name == "import-qdq")
        passes[index] = ImportQdqPass(multiplier_bits=FIXED_POINT_BITS)
    return passes


def compile_model(
    model: str | Path,
    output: str | Path | None = None,
    *,
    config: str | None = None,
    input_shapes: dict | None = None,
    dump_dir: str | Path | None = None,
    print_ir: bool = False,
    log: Callable[[str], None] | None = None,
    calibrate: str | None = None,
    quant_mode: str = "fixed",
    calib_method: str = "minmax",
    per_channel: bool = False,
    report: Callable | None = None,
    pipeline: str | None = None,
    stop_after: str | None = None,
    print_ir_before: Collection[str] = (),
    print_ir_after: Collection[str] = (),
    print_ir_after_change: bool = False,
    on_step: Callable[[str, int, int], None] | None = None,
    count_ops: bool = False,
    ir_stream=None,
    accel_only: bool = False,
    target: str | None = None,
) -> Compilation:
    """Compile `model`. A float model is first quantized (`graph-quantize`, from `calibrate`
    data or synthetic samples) unless `pipeline` replaces the default passes. `report`, a
    callable, receives the per-layer quantization errors after `import-qdq`. `on_step(name,
    index, total)` is called before each pass (progress bars). IR printing goes to `ir_stream`
    (default stderr), `print_ir` meaning after every pass. `count_ops` records the IR size after
    each step (a walk of the module, for timing tables). `accel_only` makes `graph-partition`
    refuse any op the host would run. `target` (sim, opencl, accel-opencl; default: what the
    pipeline's `graph-partition` says, else sim) is what the artefact runs on: `opencl` puts
    every op on the host (generated OpenCL kernels, no accelerator stream); the artefact's
    manifest records it and `Session` refuses devices of another kind."""
    from canopy_ir.accel_program import read_host_plan, read_program
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
    start = time.perf_counter()
    module = import_onnx(model, input_shapes)
    if config:
        set_module_config(module, HwConfig.from_spec(config))
    if pipeline is None:
        passes = default_passes(module, quant_mode, calib_method, per_channel, calibrate)
        if any(p.name == "graph-quantize" for p in passes):
            log(
                f"  float model: quantizing ({quant_mode} scales, {calib_method} calibration"
                f"{', per-channel weights' if per_channel else ''})"
            )
    else:
        passes = parse_passes(pipeline)
    passes = _configure_partition(passes, accel_only, target)
    if stop_after is not None:
        names = [p.name for p in passes]
        if stop_after not in names:
            raise CanopyError(
                f"--stop-after {stop_after}: no such pass in the pipeline ({', '.join(names)})"
            )
        passes = passes[: names.index(stop_after) + 1]
    known = {"all", "onnx-import", *(p.name for p in passes)}
    for flag, names in (
        ("--print-ir-before", print_ir_before),
        ("--print-ir-after", print_ir_after),
    ):
        unknown = sorted(set(names) - known)
        if unknown:
            raise CanopyError(
                f"{flag} {', '.join(unknown)}: not in the pipeline ({', '.join(sorted(known))})"
            )
    out = _output_path(model, output, passes[-1].name)
    spec = pipeline_spec(passes)
    dump = Path(dump_dir) if dump_dir else None
    if dump:
        dump.mkdir(parents=True, exist_ok=True)

    def ops(mod) -> int | None:  # a walk of the whole module: only for the timing table
        return sum(1 for _ in mod.walk()) if count_ops else None

    steps = [PassRecord("onnx-import", time.perf_counter() - start, ops(module))]
    log(f"  {'onnx-import':<20} {steps[0].seconds * 1000:8.1f} ms")
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
    partitioned = any(p.name == "graph-partition" for p in passes)
    layers_after = "graph-partition" if partitioned else "import-qdq"

    def show(when: str, name: str, mod) -> None:
        print(f"// ----- IR {when} {name} -----\n{mod}", file=stream)

    def before(name: str, mod) -> None:
        if on_step:
            on_step(name, len(steps) - 1, len(passes))
        if name in print_ir_before or "all" in print_ir_before:
            show("before", name, mod)

    def after(name: str, mod, seconds: float) -> None:
        steps.append(PassRecord(name, seconds, ops(mod)))
        log(f"  {name:<20} {seconds * 1000:8.1f} ms")
        if dump:
            (dump / f"{len(steps) - 1:02d}-{name}.mlir").write_text(
                print_module(mod, "weights.npz") + "\n"
            )
        changed = True
        if print_ir_after_change:
            text = print_module(mod)
            changed, last_text[0] = text != last_text[0], text
        if after_all or name in print_ir_after or (print_ir_after_change and changed):
            show("after", name, mod)
        if name == layers_after:  # the targets are known once graph-partition ran
            layers[:] = layer_info(mod)
        if name == "import-qdq":
            if report is not None:
                report(_report_rows(reference, mod, calibrate))

    if dump:
        (dump / "00-onnx-import.mlir").write_text(print_module(module, "weights.npz") + "\n")
        replay = (
            f"canopy-opt {shlex.quote(str(dump / '00-onnx-import.mlir'))} -p {shlex.quote(spec)}"
        )
        (dump / "pipeline.txt").write_text(f"{spec}\n# replay: {replay}\n")
    if after_all or "onnx-import" in print_ir_after:
        show("after", "onnx-import", module)
    run_passes(module, passes, after_pass=after, before_pass=before)
    if dump:
        pool_of(module).save(dump / "weights.npz")
    if out.suffix != ".mlir":
        if not any(isinstance(op, accel.BinaryOp) for op in module.ops):
            raise CanopyError(
                f"the pipeline ended after '{steps[-1].name}' without `encode`: there is no "
                f"artefact to write to {out}; give -o FILE.mlir to keep the IR"
            )
        artefact = Artefact.from_program(
            read_program(module), pool_of(module), read_host_plan(module)
        )
        artefact.manifest["layer_info"] = layers
        artefact.manifest["target"] = _compiled_target(module)
        artefact.save(out)
        return Compilation(out, spec, steps, artefact, module)
    weights = out.with_suffix(".weights.npz")
    pool_of(module).save(weights)
    out.write_text(print_module(module, weights.name) + "\n")
    return Compilation(out, spec, steps, None, module)


def _configure_partition(passes: list, accel_only: bool, target: str | None) -> list:
    """`passes` with graph-partition's `accel_only` and `target` set as asked; a target that
    contradicts the one a given pipeline names is an error."""
    from dataclasses import replace

    from canopy_ir.passes.partition import check_target

    if not accel_only and target is None:
        return passes
    if target is not None:
        check_target(target)
    flag = "--accel-only" if accel_only else f"--target {target}"
    if not any(p.name == "graph-partition" for p in passes):
        if accel_only or target != "sim":
            raise CanopyError(f"{flag} needs graph-partition in the pipeline")
        return passes
    out = []
    for p in passes:
        if p.name == "graph-partition":
            if target is not None and p.target not in ("sim", target):
                raise CanopyError(
                    f"--target {target} contradicts the pipeline's graph-partition{{target="
                    f"{p.target}}}"
                )
            p = replace(p, accel_only=p.accel_only or accel_only, target=target or p.target)
        out.append(p)
    return out


def _compiled_target(module) -> str:
    """The target graph-partition recorded on the module (sim when no partition ran)."""
    from xdsl.dialects.builtin import StringAttr

    from canopy_ir.passes.partition import TARGET_ATTR

    attr = module.attributes.get(TARGET_ATTR)
    return attr.data if isinstance(attr, StringAttr) else "sim"


def _output_path(model, output, last_pass: str) -> Path:
    """Where the result goes: `output`, or beside the model (MODEL.canopy after `encode`,
    MODEL.<last pass>.mlir otherwise); never the model itself. A `.mlir` output is IR text."""
    if output:
        out = Path(output)
    elif last_pass == "encode":
        out = Path(model).with_suffix(".canopy")
    else:
        out = Path(model).with_suffix(f".{last_pass}.mlir")
    if out.resolve() == Path(model).resolve():
        raise CanopyError("the output would overwrite the model; give another -o", str(out))
    if out.suffix != ".mlir" and last_pass != "encode":
        raise CanopyError(
            f"the pipeline ends with '{last_pass}', not `encode`: there is no artefact to write; "
            "give -o FILE.mlir to keep the IR",
            str(out),
        )
    return out


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
