"""`python -m canopy_ir.compile model.onnx -o model.canopy`: compile an ONNX model for the card."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from canopy_ir.errors import CanopyError


def parse_shapes(items: list[str]) -> dict[str, tuple[int, ...]]:
    shapes = {}
    for item in items:
        name, sep, dims = item.rpartition("=")
        try:
            if not sep or not name:
                raise ValueError
            shapes[name] = tuple(int(d) for d in dims.lower().split("x"))
        except ValueError:
            raise CanopyError(f"--input-shape expects NAME=1x3x224x224, got '{item}'") from None
    return shapes


def build_parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(prog="canopy-compile", description=__doc__)
    ap.add_argument("model", help="ONNX model (a QDQ int8 model with power-of-two scales)")
    ap.add_argument("-o", "--output", help="artefact to write (default: MODEL.canopy)")
    ap.add_argument(
        "--config",
        metavar="PRESET|FILE",
        help="hardware: a preset (vta-default, arria10, stratix10-vu9p) or a VTA "
        "vta_config.json; default vta-default (1x16x16)",
    )
    ap.add_argument(
        "--input-shape",
        action="append",
        default=[],
        metavar="NAME=DIMS",
        help="fix a dynamic input shape, e.g. input=1x3x224x224 (repeatable)",
    )
    ap.add_argument(
        "--dump-dir", help="write the IR after every pass (NN-pass.mlir) and weights.npz"
    )
    ap.add_argument(
        "--print-ir-after-all", action="store_true", help="print the IR after every pass"
    )
    ap.add_argument(
        "--calibrate",
        metavar="DATA.npz",
        help="float models: calibration inputs (one array per input, [samples, ...])",
    )
    ap.add_argument(
        "--quant-mode",
        choices=("pow2", "fixed"),
        default="pow2",
        help="float models: power-of-two scales (shift only) or exact scales "
        "(fixed-point multipliers); default pow2",
    )
    ap.add_argument("--calib-method", choices=("minmax", "percentile"), default="minmax")
    ap.add_argument(
        "--per-channel",
        action="store_true",
        help="float models: per-output-channel weight scales (needs fixed mode)",
    )
    ap.add_argument(
        "--report",
        action="store_true",
        help="print each quantized layer's SQNR and max error against float",
    )
    ap.add_argument("-q", "--quiet", action="store_true", help="no progress output")
    return ap


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
    from canopy_ir.artefact import Artefact
    from canopy_ir.dialects import graph
    from canopy_ir.hwconfig import HwConfig
    from canopy_ir.ir import pool_of, print_module, set_module_config
    from canopy_ir.passes import DEFAULT_PIPELINE
    from canopy_ir.pipeline import run_passes
    from frontends.onnx import import_onnx

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
        passes.insert(0, "quantize{" + " ".join(options) + "}")
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
    artefact = Artefact.from_module(module)
    artefact.save(output)
    if dump:
        pool_of(module).save(dump / "weights.npz")
    return artefact


def _report_rows(reference, int_module, calibrate):
    import warnings

    from canopy_ir.passes.quantize import load_calibration, synthetic_calibration
    from canopy_ir.report import quantization_report

    if calibrate:
        samples = load_calibration(calibrate, reference)[:16]
    else:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            samples = synthetic_calibration(reference, 8)
    return quantization_report(reference, int_module, samples)


def main(argv: list[str] | None = None) -> int:
    import warnings

    args = build_parser().parse_args(argv)
    from rich.console import Console

    from canopy_ir.report import print_report

    console = Console(stderr=True, highlight=False, soft_wrap=True)
    log = (lambda msg: None) if args.quiet else console.print
    output = args.output or str(Path(args.model).with_suffix(".canopy"))
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            art = compile_model(
                args.model,
                output,
                args.config,
                parse_shapes(args.input_shape),
                args.dump_dir,
                args.print_ir_after_all,
                log,
                args.calibrate,
                args.quant_mode,
                args.calib_method,
                args.per_channel,
                (lambda rows: print_report(rows, console)) if args.report else None,
            )
        for w in caught:
            if not issubclass(w.category, DeprecationWarning):
                console.print(f"[yellow]warning:[/yellow] {w.message}")
    except CanopyError as exc:
        console.print(f"[red]error:[/red] {exc}")
        return 2
    if not args.quiet:
        m = art.manifest
        console.print(
            f"wrote {output}: {m['insn_count']} instructions, {m['uop_count']} micro-ops, "
            f"{len(art.weights)} weight bytes, {m['arena_bytes']} bytes of card memory"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
