"""`canopy-opt FILE.mlir -p PASS[,PASS...]`: re-run passes on an IR dump (like mlir-opt).

Weights: the dump names its weight file (`canopy.weights`, e.g. "weights.npz" beside it); passes
that add weights write the grown pool next to the output (`-o out.mlir` → `out.weights.npz`).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from xdsl.dialects.builtin import StringAttr

from canopy_ir.errors import CanopyError


def main(argv: list[str] | None = None) -> int:
    from canopy_ir.compiler.pipeline import run_passes
    from canopy_ir.ir import WeightPool, attach_pool, parse_module, pool_of, print_module
    from canopy_ir.passes import ALL_PASSES

    ap = argparse.ArgumentParser(prog="canopy-opt", description=__doc__)
    ap.add_argument("input", help="IR file ('-' for stdin)")
    ap.add_argument("-p", "--passes", default="", help=f"comma-separated: {', '.join(ALL_PASSES)}")
    ap.add_argument("-o", "--output", help="write the result here (default: stdout)")
    ap.add_argument("--weights", help="weight file (default: the one the IR names, beside it)")
    args = ap.parse_args(argv)
    try:
        if args.input == "-":
            text, base = sys.stdin.read(), Path.cwd()
        else:
            try:
                text, base = Path(args.input).read_text(), Path(args.input).parent
            except OSError as exc:
                raise CanopyError(f"cannot read: {exc.strerror}", args.input) from None
        module = parse_module(text, args.input)
        named = module.attributes.get("canopy.weights")
        weights = args.weights or (
            str(base / named.data)
            if isinstance(named, StringAttr) and not named.data.startswith("mem:")
            else None
        )
        if weights:
            attach_pool(module, WeightPool.load(weights))
        before = len(pool_of(module).arrays)
        if args.passes:
            run_passes(module, args.passes)
        out_weights = Path(weights).name if weights else None
        if args.output and len(pool_of(module).arrays) != before:
            out_weights = Path(args.output).with_suffix(".weights.npz").name
            pool_of(module).save(Path(args.output).parent / out_weights)
        text = print_module(module, out_weights) + "\n"
        if args.output:
            Path(args.output).write_text(text)
        else:
            sys.stdout.write(text)
    except CanopyError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
