"""`canopy-report model.canopy -o report.html`: the compile report of an artefact as one
self-contained HTML file (per-layer cycles, utilisation, DRAM bytes, bound; charts; partition).
`canopy-report model.canopy --table` prints the per-layer figures of the cycle model as a
markdown table instead."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from canopy_ir.tools.common import add_debug_flag, console, guarded


def write_report(artefact, title: str, path: str | Path, quant_rows=None, con=None) -> None:
    from canopy_ir.compiler.html_report import build_report, write_html

    drew_charts = write_html(build_report(artefact, title, quant_rows), path)
    if con is not None and not drew_charts:
        con.print('[yellow]warning:[/yellow] no charts: pip install "canopy-ir[report]"')


def cycle_table(artefact) -> str:
    """The artefact's whole stream through the cycle model: totals, then one row per layer."""
    from canopy_ir.compiler.layers import cycle_rows, markdown_table
    from canopy_ir.hw import isa
    from canopy_ir.hw.cycles import cycle_model

    cfg = artefact.config
    report = cycle_model(isa.decode_insns(artefact.insns, cfg), cfg, artefact.instruction_layers())
    rows = cycle_rows(report, artefact.manifest.get("layer_info", []))
    head = (
        f"{report.total_cycles} cycles ({report.seconds * 1e3:.3f} ms at {cfg.CLOCK_MHZ} MHz), "
        f"GEMM utilisation {report.utilization:.1%}, DRAM {report.dram_bytes} bytes"
    )
    return head + "\n\n" + markdown_table(rows)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="canopy-report", description=__doc__)
    ap.add_argument("artefact", help="a compiled model (.canopy)")
    ap.add_argument("-o", "--output", help="HTML file to write (default: ARTEFACT.html)")
    ap.add_argument(
        "--table",
        action="store_true",
        help="print the per-layer cycle table (markdown) instead of writing the HTML report",
    )
    add_debug_flag(ap)
    args = ap.parse_args(argv)
    con = console()

    def body() -> int:
        from canopy_ir.artefact import Artefact

        art = Artefact.load(args.artefact)
        if args.table:
            print(cycle_table(art))
            return 0
        out = args.output or str(Path(args.artefact).with_suffix(".html"))
        write_report(art, Path(args.artefact).name, out, con=con)
        con.print(f"wrote {out}")
        return 0

    return guarded(body, args.debug, con)


if __name__ == "__main__":
    sys.exit(main())
