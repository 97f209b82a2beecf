"""`canopy-run model.canopy --input x.npy`: run a compiled model on a card and print its outputs."""

from __future__ import annotations

import argparse
import sys

import numpy as np

from canopy_ir.errors import CanopyError


def _load_inputs(paths: list[str], names: list[str]) -> dict[str, np.ndarray]:
    feeds = {}
    for i, item in enumerate(paths):
        name, sep, path = item.partition("=")
        if not sep:
            if i >= len(names):
                raise CanopyError(f"the model takes {len(names)} input(s); got more --input")
            name, path = names[i], item
        try:
            if path.endswith(".npz"):
                with np.load(path, allow_pickle=False) as data:
                    feeds.update({k: data[k] for k in data.files})
                continue
            feeds[name] = np.load(path, allow_pickle=False)
        except (OSError, ValueError) as exc:
            raise CanopyError(f"cannot read input file: {exc}", path) from None
    return feeds


def print_profile(report, console) -> None:
    from rich.table import Table

    table = Table(title="per layer (cycle model)")
    for column in ("layer", "instructions", "cycles", "share", "GEMM util.", "DRAM bytes"):
        table.add_column(column, justify="left" if column == "layer" else "right")
    for layer in report.layers:
        table.add_row(
            layer.name,
            str(layer.instructions),
            str(layer.cycles),
            f"{layer.cycles / max(1, report.total_cycles):.1%}",
            f"{report.layer_utilization(layer):.1%}",
            str(layer.dram_bytes),
        )
    console.print(table)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="canopy-run", description=__doc__)
    ap.add_argument("artefact")
    ap.add_argument(
        "--input",
        action="append",
        default=[],
        metavar="[NAME=]FILE.npy",
        help="input tensor (.npy, or .npz holding every input by name)",
    )
    ap.add_argument("--device", default="sim", help="card to run on (default: sim)")
    ap.add_argument("--output", "-o", help="save the outputs to this .npz")
    ap.add_argument("--timeout", type=float, default=60.0, help="seconds to wait for the card")
    ap.add_argument(
        "--profile",
        action="store_true",
        help="print the cycle model's per-layer table (simulated card)",
    )
    args = ap.parse_args(argv)
    from rich.console import Console

    from canopy_ir.backend.pcie.session import InferenceSession

    console = Console(stderr=True, highlight=False, soft_wrap=True)
    try:
        sess = InferenceSession(args.artefact, args.device, args.timeout)
        names = [i.name for i in sess.get_inputs()]
        if not args.input:
            raise CanopyError(f"give the input(s) with --input (the model takes {names})")
        feeds = _load_inputs(args.input, names)
        outputs = sess.run(None, feeds)
    except CanopyError as exc:
        console.print(f"[red]error:[/red] {exc}")
        return 2
    out_names = [o.name for o in sess.get_outputs()]
    np.set_printoptions(precision=4, suppress=True)
    for name, value in zip(out_names, outputs, strict=True):
        print(f"{name} {list(value.shape)}:\n{value}")
        if value.ndim == 2:
            print(f"{name} argmax: {value.argmax(axis=1).tolist()}")
    c = sess.counters
    console.print(
        f"device {args.device}: {c.instructions} instructions, {c.bytes_to_device} B to "
        f"card, {c.bytes_from_device} B back, execute {c.seconds['execute'] * 1000:.1f} ms"
    )
    report = getattr(sess.session.device, "last_cycles", None)
    if report is not None:
        console.print(
            f"cycle model: {report.total_cycles} cycles = {report.seconds * 1e3:.3f} ms "
            f"at {report.config.CLOCK_MHZ} MHz, GEMM utilisation "
            f"{report.utilization:.1%}, busy load/compute/store "
            f"{report.busy['load']}/{report.busy['compute']}/{report.busy['store']}"
        )
        if args.profile:
            print_profile(report, console)
    if args.output:
        np.savez(args.output, **dict(zip(out_names, outputs, strict=True)))
        console.print(f"saved {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
