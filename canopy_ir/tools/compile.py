"""`canopy-compile model.onnx -o model.canopy` (or `python -m canopy_ir.compile`): compile an ONNX
model for the card. Float models are quantized on the way (calibration options below); int8
QDQ/QOperator models (onnxruntime's quantize_static, its defaults included) import as they are."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from canopy_ir.errors import CanopyError
from canopy_ir.tools.common import add_debug_flag, console, guarded


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
    from canopy_ir.hw.config import PRESETS

    ap = argparse.ArgumentParser(
        prog="canopy-compile",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    ap.add_argument("model", help="ONNX model: float, or int8 QDQ / QOperator")
    ap.add_argument(
        "-o",
        "--output",
        help="artefact to write (default: MODEL.canopy); with a pipeline that stops before "
        "`encode`, the IR as text (default: MODEL.<last-pass>.mlir, weights beside it)",
    )
    ap.add_argument(
        "--config",
        metavar="PRESET|FILE",
        help=f"hardware: a preset ({', '.join(PRESETS)}) or a VTA vta_config.json; "
        "default vta-default (1x16x16)",
    )
    ap.add_argument(
        "--target",
        choices=("sim", "opencl", "accel-opencl"),
        help="what the artefact runs on: sim (the simulated card, the default), opencl (every "
        "op as generated OpenCL kernels on a GPU or CPU, no accelerator), accel-opencl (the "
        "accelerator as an OpenCL kernel, host ops as generated kernels)",
    )
    ap.add_argument(
        "--input-shape",
        action="append",
        default=[],
        metavar="NAME=DIMS",
        help="fix a dynamic input shape, e.g. input=1x3x224x224 (repeatable)",
    )
    passes = ap.add_argument_group("passes and IR")
    passes.add_argument(
        "--pipeline",
        metavar="SPEC",
        help="passes to run instead of the default, xdsl-opt style: "
        "'import-qdq,graph-to-tile{...},...' (canopy-opt --list-passes shows them)",
    )
    passes.add_argument("--stop-after", metavar="PASS", help="stop after this pass")
    passes.add_argument(
        "--dump-dir",
        help="write the IR after every pass (NN-pass.mlir), weights.npz and pipeline.txt",
    )
    passes.add_argument(
        "--print-ir-before",
        metavar="PASS[,PASS]",
        default="",
        help="print the IR before these passes ('all' for every pass)",
    )
    passes.add_argument(
        "--print-ir-after",
        metavar="PASS[,PASS]",
        default="",
        help="print the IR after these passes (onnx-import too; 'all' for every pass)",
    )
    passes.add_argument(
        "--print-ir-after-all", action="store_true", help="print the IR after every pass"
    )
    passes.add_argument(
        "--print-ir-after-change",
        action="store_true",
        help="print the IR after each pass that changed it",
    )
    quant = ap.add_argument_group("quantization of float models")
    quant.add_argument(
        "--calibrate",
        metavar="DATA.npz",
        help="calibration inputs (one array per input, [samples, ...]); without it, random "
        "inputs with a warning",
    )
    quant.add_argument(
        "--quant-mode",
        choices=("pow2", "fixed"),
        default="fixed",
        help="exact scales (fixed-point multipliers; the default: the more accurate) or "
        "power-of-two scales (the requantization is one shift)",
    )
    quant.add_argument("--calib-method", choices=("minmax", "percentile"), default="minmax")
    quant.add_argument(
        "--per-channel",
        action="store_true",
        help="per-output-channel weight scales (needs fixed mode)",
    )
    quant.add_argument(
        "--report",
        action="store_true",
        help="print each quantized layer's SQNR and max error against float",
    )
    out = ap.add_argument_group("output")
    out.add_argument(
        "--report-html",
        metavar="FILE",
        help="write the compile report (layers, cycles, charts, quantization error) as HTML",
    )
    out.add_argument("--timing", action="store_true", help="a table of time per pass")
    passes.add_argument(
        "--accel-only",
        action="store_true",
        help="refuse any op the host would run (graph-partition{accel_only=true})",
    )
    out.add_argument("-v", "--verbose", action="store_true", help="per-pass lines and timing")
    out.add_argument("-q", "--quiet", action="store_true", help="errors only")
    add_debug_flag(out)
    return ap


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    con = console()
    return guarded(lambda: _compile(args, con), args.debug, con)


def _names(text: str) -> set[str]:
    return {n.strip() for n in text.split(",") if n.strip()}


def _compile(args, con) -> int:
    import warnings

    from canopy_ir.compiler.driver import compile_model
    from canopy_ir.compiler.quant_report import print_report

    log = con.print if args.verbose else (lambda msg: None)
    progress = None
    if con.is_terminal and not args.quiet:
        from rich.progress import Progress

        progress = Progress(console=con, transient=True)
    task = None

    def on_step(name: str, index: int, total: int) -> None:
        nonlocal task
        if progress is None:
            return
        if task is None:
            task = progress.add_task("compiling", total=total)
        progress.update(task, completed=index, description=f"{name}")

    if args.report_html and (
        (args.output or "").endswith(".mlir") or args.stop_after not in (None, "encode")
    ):
        raise CanopyError("--report-html needs a compile that ends in an artefact (encode)")
    quant_rows: list = []

    def on_report(rows) -> None:
        quant_rows[:] = rows
        if args.report:
            print_report(rows, con)

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        if progress is not None:
            progress.start()
        try:
            result = compile_model(
                args.model,
                args.output,
                config=args.config,
                input_shapes=parse_shapes(args.input_shape),
                dump_dir=args.dump_dir,
                print_ir=args.print_ir_after_all,
                log=log,
                calibrate=args.calibrate,
                quant_mode=args.quant_mode,
                calib_method=args.calib_method,
                per_channel=args.per_channel,
                report=on_report if (args.report or args.report_html) else None,
                pipeline=args.pipeline,
                stop_after=args.stop_after,
                print_ir_before=_names(args.print_ir_before),
                print_ir_after=_names(args.print_ir_after),
                print_ir_after_change=args.print_ir_after_change,
                on_step=on_step,
                count_ops=args.timing or args.verbose,
                accel_only=args.accel_only,
                target=args.target,
            )
        finally:
            if progress is not None:
                progress.stop()
    if not args.quiet:
        for w in caught:
            if not issubclass(w.category, DeprecationWarning):
                con.print(f"[yellow]warning:[/yellow] {w.message}")
    if args.timing or args.verbose:
        print_timing(result.steps, con)
    if not args.quiet:
        if result.artefact is not None:
            m = result.manifest
            con.print(
                f"wrote {result.output} (target {m.get('target', 'sim')}): {m['insn_count']} "
                f"instructions, {m['uop_count']} micro-ops, {len(result.artefact.weights)} "
                f"weight bytes, {m['arena_bytes']} bytes of card memory"
            )
            print_partition(m.get("layer_info", []), con, target=m.get("target", "sim"))
        else:
            con.print(f"wrote {result.output} (IR after {result.steps[-1].name})")
    if args.report_html:
        if result.artefact is None:
            raise CanopyError("--report-html needs a pipeline that ends in an artefact (encode)")
        from canopy_ir.tools.report import write_report

        write_report(result.artefact, Path(args.model).name, args.report_html, quant_rows, con)
        if not args.quiet:
            con.print(f"wrote {args.report_html}")
    return 0


def print_partition(layers: list[dict], con, limit: int = 12, target: str = "sim") -> None:
    """Where the layers run: ops and MACs per target, then the host's ops grouped by op and
    reason, with a count and the first names of each (not for --target opencl, where the host
    runs every op for one reason)."""
    from canopy_ir.compiler.layers import partition_summary

    summary = partition_summary(layers)
    total = sum(entry["macs"] for entry in summary.values()) or 1
    parts = [
        f"{target}: {entry['layers']} ops, {entry['macs'] / 1e6:.2f} MMACs "
        f"({entry['macs'] / total:.1%})"
        for target, entry in sorted(summary.items())
    ]
    con.print("partition: " + "; ".join(parts))
    if target == "opencl":
        con.print("  --target opencl: every op runs as a generated OpenCL kernel")
        return
    groups: dict[tuple[str, str], list[str]] = {}  # (op, reason) -> host ops, in model order
    for row in layers:
        if row["target"] == "host":
            groups.setdefault((row["op"], row.get("reason", "")), []).append(row["name"])
    for (op, reason), names in list(groups.items())[:limit]:
        which = ", ".join(names[:3]) + (f", ... ({len(names)} in all)" if len(names) > 3 else "")
        con.print(f"  host: {len(names)} x {op} ({which}): {reason}", markup=False)
    if len(groups) > limit:
        con.print(
            f"  ... and {len(groups) - limit} more kinds of host op (see the dump of "
            "graph-partition)"
        )


def print_timing(steps, con) -> None:
    from rich.table import Table

    total = sum(s.seconds for s in steps) or 1e-9
    table = Table(title="time per pass")
    for column in ("pass", "ms", "share", "ops after"):
        table.add_column(column, justify="left" if column == "pass" else "right")
    for s in steps:
        table.add_row(s.name, f"{s.seconds * 1000:.1f}", f"{s.seconds / total:.1%}", str(s.ops))
    table.add_row("total", f"{total * 1000:.1f}", "100%", "")
    con.print(table)


if __name__ == "__main__":
    sys.exit(main())
