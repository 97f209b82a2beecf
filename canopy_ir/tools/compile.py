"""`python -m canopy_ir.compile model.onnx -o model.canopy`: compile an ONNX model for the card."""

from __future__ import annotations

import argparse
import sys
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


def main(argv: list[str] | None = None) -> int:
    import warnings

    args = build_parser().parse_args(argv)
    from rich.console import Console

    from canopy_ir.compiler.driver import compile_model
    from canopy_ir.compiler.quant_report import print_report

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
