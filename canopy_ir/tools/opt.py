"""`canopy-opt FILE.mlir -p PASS[,PASS...]`: re-run passes on an IR dump (like mlir-opt).

Weights: the dump names its weight file (`canopy.weights`, e.g. "weights.npz" beside it); passes
that add weights write the grown pool next to the output (`-o out.mlir` → `out.weights.npz`).
"""

from __future__ import annotations

import argparse
import os
import sys
import warnings
from pathlib import Path

from xdsl.dialects.builtin import StringAttr

from canopy_ir.errors import CanopyError
from canopy_ir.tools.common import add_debug_flag, console, guarded


def pass_table() -> list[tuple[str, str, str]]:
    """(name, one-line description, options with defaults) of every pass."""
    import dataclasses

    from canopy_ir.passes import ALL_PASSES

    rows = []
    for name, load in ALL_PASSES.items():
        cls = load()
        summary = _summary(cls)
        options = " ".join(
            f'{f.name}="{f.default}"' if isinstance(f.default, str) else f"{f.name}={f.default}"
            for f in dataclasses.fields(cls)
        )
        rows.append((name, summary, options))
    return rows


def _summary(cls) -> str:
    """The first line of the pass class's own docstring."""
    doc = cls.__dict__.get("__doc__") or ""
    return doc.strip().splitlines()[0] if doc.strip() else ""


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="canopy-opt", description=__doc__)
    ap.add_argument("input", nargs="?", help="IR file ('-' for stdin)")
    ap.add_argument(
        "-p",
        "--passes",
        default="",
        help="pipeline, xdsl-opt style: 'a,b{opt=value ...}' (see --list-passes)",
    )
    ap.add_argument("-o", "--output", help="write the result here (default: stdout)")
    ap.add_argument("--weights", help="weight file (default: the one the IR names, beside it)")
    ap.add_argument("--list-passes", action="store_true", help="list the passes with their options")
    add_debug_flag(ap)
    args = ap.parse_args(argv)
    con = console()
    if args.list_passes:
        for name, summary, options in pass_table():
            print(f"{name:<22} {summary}")
            if options:
                print(f"{'':<22}   options: {options}")
        return 0
    if not args.input:
        ap.error("give an IR file (or --list-passes)")
    return guarded(lambda: _opt(args), args.debug, con)


def _opt(args) -> int:
    from canopy_ir.compiler.pipeline import run_passes
    from canopy_ir.ir import WeightPool, attach_pool, parse_module, pool_of, print_module

    if args.input == "-":
        text, base = sys.stdin.read(), Path.cwd()
    else:
        try:
            text, base = Path(args.input).read_text(), Path(args.input).parent
        except UnicodeDecodeError:
            raise CanopyError("not IR text (a binary file?)", args.input) from None
    module = parse_module(text, args.input)
    named = module.attributes.get("canopy.weights")
    named = (
        named.data if isinstance(named, StringAttr) and not named.data.startswith("mem:") else None
    )
    weights = Path(args.weights) if args.weights else (base / named if named else None)
    if weights:
        attach_pool(module, WeightPool.load(weights))
    keys = set(pool_of(module).arrays)
    if args.passes:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            run_passes(module, args.passes)
        for w in caught:
            if not issubclass(w.category, DeprecationWarning):
                print(f"warning: {w.message}", file=sys.stderr)
    changed = set(pool_of(module).arrays) != keys
    if args.output:
        out = Path(args.output)
        if changed:  # the passes made weights: they go beside the output
            out_weights = out.with_suffix(".weights.npz").name
            pool_of(module).save(out.parent / out_weights)
        else:  # the same weights, named from where the output lies
            out_weights = os.path.relpath(weights, out.parent) if weights else None
        out.write_text(print_module(module, out_weights) + "\n")
    else:
        if changed:
            raise CanopyError(
                "the passes made new weights, which stdout cannot hold: give -o FILE.mlir "
                "(the weights go to FILE.weights.npz)",
                args.input,
            )
        sys.stdout.write(print_module(module, named or (weights.name if weights else None)) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
