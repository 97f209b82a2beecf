"""`python -m canopy_ir.compile model.onnx -o model.canopy`: compile an ONNX model for the card."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from canopy_ir.errors import CanopyError, UnsupportedOpError


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
):
    """Compile `model` to the artefact `output`; returns the artefact."""
    from canopy_ir.artefact import Artefact
    from canopy_ir.hwconfig import HwConfig
    from canopy_ir.ir import pool_of, print_module, set_module_config
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
    step = [0]

    def after(name: str, mod, seconds: float) -> None:
        step[0] += 1
        log(f"  {name:<14} {seconds * 1000:8.1f} ms")
        if dump:
            (dump / f"{step[0]:02d}-{name}.mlir").write_text(
                print_module(mod, "weights.npz") + "\n"
            )
        if print_ir:
            print(f"// ----- IR after {name} -----\n{mod}", file=sys.stderr)

    log(f"  {'onnx-import':<14} {(time.perf_counter() - start) * 1000:8.1f} ms")
    if dump:
        (dump / "00-onnx-import.mlir").write_text(print_module(module, "weights.npz") + "\n")
    if print_ir:
        print(f"// ----- IR after onnx-import -----\n{module}", file=sys.stderr)
    run_passes(module, after_pass=after)
    artefact = Artefact.from_module(module)
    artefact.save(output)
    if dump:
        pool_of(module).save(dump / "weights.npz")
    return artefact


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    from rich.console import Console

    console = Console(stderr=True, highlight=False, soft_wrap=True)
    log = (lambda msg: None) if args.quiet else console.print
    output = args.output or str(Path(args.model).with_suffix(".canopy"))
    try:
        art = compile_model(
            args.model,
            output,
            args.config,
            parse_shapes(args.input_shape),
            args.dump_dir,
            args.print_ir_after_all,
            log,
        )
    except UnsupportedOpError as exc:
        console.print(f"[red]error:[/red] {exc}")
        return 2
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
