"""`canopy-run model.canopy --input x.npy`: run a compiled model on a card and print its outputs."""

from __future__ import annotations

import argparse
import sys

import numpy as np

from canopy_ir.errors import CanopyError
from canopy_ir.tools.common import add_debug_flag, console, guarded


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
    columns = ("layer", "instructions", "cycles", "share", "GEMM util.", "DRAM bytes", "bound")
    for column in columns:
        table.add_column(column, justify="left" if column == "layer" else "right")
    for layer in report.layers:
        table.add_row(
            layer.name,
            str(layer.instructions),
            str(layer.cycles),
            f"{layer.cycles / max(1, report.total_cycles):.1%}",
            f"{report.layer_utilization(layer):.1%}",
            str(layer.dram_bytes),
            layer.bound,
        )
    console.print(table)


def _seconds(text: str) -> float:
    value = float(text)
    if not value > 0:
        raise argparse.ArgumentTypeError("must be a positive number of seconds")
    return value


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
    ap.add_argument(
        "--device",
        default="sim",
        help="sim (the simulated card, the default), sim-process (the simulated card in a "
        "process of its own: a hung card is killed after --timeout and restarted), opencl, or "
        "opencl:NAME|INDEX (an OpenCL device by name substring or index; default "
        "$CANOPY_OPENCL_DEVICE, else the first GPU); it must suit the artefact's --target",
    )
    ap.add_argument("--output", "-o", help="save the outputs to this .npz")
    ap.add_argument("--timeout", type=_seconds, default=60.0, help="seconds to wait for the card")
    ap.add_argument(
        "--profile",
        action="store_true",
        help="print the cycle model's per-layer table (simulated card)",
    )
    ap.add_argument(
        "--trace",
        metavar="FILE.json",
        help="write the cycle model's instruction timeline (Chrome trace-event format: open in "
        "chrome://tracing or ui.perfetto.dev)",
    )
    add_debug_flag(ap)
    args = ap.parse_args(argv)
    con = console()
    return guarded(lambda: _run(args, con), args.debug, con)


def _run(args, console) -> int:
    from canopy_ir.backend.pcie.session import InferenceSession

    sess = InferenceSession(args.artefact, args.device, args.timeout)
    names = [i.name for i in sess.get_inputs()]
    if not args.input:
        raise CanopyError(f"give the input(s) with --input (the model takes {names})")
    outputs = sess.run(None, _load_inputs(args.input, names))
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
    counts = getattr(sess.session.host_values, "counts", None)
    if counts:  # the host's ops ran as generated OpenCL kernels (numpy where none exists)
        where = {k: sum(n for (w, _), n in counts.items() if w == k) for k in ("opencl", "numpy")}
        console.print(
            f"host ops on {sess.session.host_values.name}: {where['opencl']} OpenCL kernel "
            f"launches, {where['numpy']} in numpy; host {c.seconds['host'] * 1000:.1f} ms"
        )
    report = getattr(sess.session.device, "last_cycles", None)
    if report is not None and len(sess.session.segments) > 1:
        # the card modelled its last launch only: model the whole stream (every segment)
        from canopy_ir.hw import isa
        from canopy_ir.hw.cycles import cycle_model

        art = sess.session.artefact
        insns = isa.decode_insns(art.insns, art.config)
        report = cycle_model(insns, art.config, art.instruction_layers())
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
    if args.trace:
        write_trace(sess.session.artefact, args.trace, report)
        console.print(f"wrote {args.trace}")
    return 0


def write_trace(artefact, path: str, report=None) -> None:
    """The cycle model's timeline of `artefact`'s stream as a Chrome trace; `report`, the card's
    own cycle report of this stream when it has one, saves modelling the stream again."""
    import json

    from canopy_ir.hw import isa
    from canopy_ir.hw.cycles import cycle_model
    from canopy_ir.hw.trace import chrome_trace

    insns = isa.decode_insns(artefact.insns, artefact.config)
    layers = artefact.instruction_layers()
    if report is None or len(report.start) != len(insns):
        report = cycle_model(insns, artefact.config, layers)
    try:
        with open(path, "w") as f:
            json.dump(chrome_trace(insns, report, layers), f)
    except OSError as exc:
        raise CanopyError(f"cannot write the trace: {exc.strerror}", path) from None


if __name__ == "__main__":
    sys.exit(main())
