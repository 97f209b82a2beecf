"""`canopy-report model.canopy -o report.html`: the compile report of an artefact as one
self-contained HTML file (per-layer cycles, utilisation, DRAM bytes, bound; charts; partition)."""

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


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="canopy-report", description=__doc__)
    ap.add_argument("artefact", help="a compiled model (.canopy)")
    ap.add_argument("-o", "--output", help="HTML file to write (default: ARTEFACT.html)")
    add_debug_flag(ap)
    args = ap.parse_args(argv)
    con = console()

    def body() -> int:
        from canopy_ir.artefact import Artefact

        art = Artefact.load(args.artefact)
        out = args.output or str(Path(args.artefact).with_suffix(".html"))
        write_report(art, Path(args.artefact).name, out, con=con)
        con.print(f"wrote {out}")
        return 0

    return guarded(body, args.debug, con)


if __name__ == "__main__":
    sys.exit(main())
