"""`canopy-fuzz --pass NAME`: fuzz one lowering pass (or the whole lowering pipeline) with random
conv nets and hardware configs; each stage's interpreter must agree exactly with the previous
one. A failure is shrunk to a minimal program, written as IR text, and given a replay command."""

from __future__ import annotations

import argparse
import shlex
import sys
from pathlib import Path

from canopy_ir.tools.common import add_debug_flag, console, guarded


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value


def build_parser() -> argparse.ArgumentParser:
    from canopy_ir.fuzz.properties import PROPERTIES

    ap = argparse.ArgumentParser(prog="canopy-fuzz", description=__doc__)
    ap.add_argument(
        "--pass",
        dest="pass_name",
        required=True,
        choices=list(PROPERTIES),
        help="the pass to fuzz ('pipeline': all four lowering passes at once)",
    )
    ap.add_argument("--examples", type=_positive, default=200, help="programs to try (default 200)")
    ap.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    ap.add_argument(
        "--config",
        metavar="PRESET|FILE",
        help="fix the hardware (a preset or vta_config.json); default: random small configs",
    )
    ap.add_argument(
        "--out",
        default="canopy-fuzz",
        help="folder for a counterexample (default ./canopy-fuzz)",
    )
    ap.add_argument(
        "--replay",
        metavar="FILE.mlir",
        help="check a saved counterexample again instead of fuzzing",
    )
    add_debug_flag(ap)
    return ap


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    con = console(stderr=False)
    return guarded(lambda: _fuzz(args, con), args.debug, con)


def _fuzz(args, con) -> int:
    from canopy_ir.fuzz.properties import PROPERTIES
    from canopy_ir.fuzz.runner import fuzz, replay
    from canopy_ir.hw.config import HwConfig

    prop = PROPERTIES[args.pass_name]
    if args.replay:
        failure = replay(args.pass_name, args.replay)
        if failure:
            con.print(f"[red]FAIL[/red] {args.pass_name} on {args.replay}: {failure}")
            return 1
        con.print(f"ok: {args.pass_name} holds on {args.replay}")
        return 0
    config = HwConfig.from_spec(args.config) if args.config else None
    result = fuzz(args.pass_name, args.examples, args.seed, config)
    where = "random configs" if config is None else args.config
    summary = (
        f"{args.pass_name}: {result.examples} programs checked, {result.rejected} skipped "
        f"(did not fit the buffers), {where}, seed {args.seed}, {result.seconds:.1f} s"
    )
    cex = result.counterexample
    if cex is None:
        con.print(f"ok: {summary}")
        return 0
    con.print(f"[red]FAIL[/red] {summary}")
    con.print(f"error: {cex.error}")
    if not cex.ir_text:  # it failed in the passes before this one: nothing to replay here
        con.print(
            f"the program failed before reaching {args.pass_name}: {cex.net[1]} on input "
            f"{list(cex.net[0])}, data seed {cex.seed}, hardware {cex.config.to_dict()}; "
            "fuzz an earlier pass (or --pass pipeline) to shrink it there"
        )
        return 1
    path = Path(args.out) / f"{args.pass_name}-seed{args.seed}.mlir"
    ir, weights, inputs = cex.save(path)
    con.print(
        f"shrunk counterexample: {cex.graph_ops} layer(s) {cex.net[1]} on input "
        f"{list(cex.net[0])}, data seed {cex.seed}"
    )
    con.print(f"hardware: {cex.config.to_dict()}")
    con.print(f"--- IR before {args.pass_name} ({ir}) ---")
    print(ir.read_text(), end="", flush=True)
    con.print("--- replay ---")
    con.print(f"  canopy-opt {shlex.quote(str(ir))} -p {prop.replay}")
    con.print(f"  canopy-fuzz --pass {args.pass_name} --replay {shlex.quote(str(ir))}")
    con.print(f"  (weights: {weights.name}, input: {inputs.name})")
    return 1


if __name__ == "__main__":
    sys.exit(main())
