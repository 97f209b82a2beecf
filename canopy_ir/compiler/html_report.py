"""The compile report as one self-contained HTML file: per-layer table (op, shapes, target,
cycles, GEMM utilisation, DRAM bytes, bound), utilisation bars and the roofline of the hardware
config (PNG images inline, drawn with matplotlib when installed), the partition summary, and the
quantization error per layer. Built from an artefact, so `canopy-report model.canopy` works on
any compiled model."""

from __future__ import annotations

import base64
import html
import io
from dataclasses import dataclass, field
from pathlib import Path

from canopy_ir.compiler.layers import partition_summary
from canopy_ir.hw import isa
from canopy_ir.hw.cycles import CycleReport, cycle_model


@dataclass
class LayerRow:
    name: str
    op: str = ""
    input_shape: list[int] = field(default_factory=list)
    output_shape: list[int] = field(default_factory=list)
    target: str = "accelerator"
    cycles: int = 0
    utilization: float = 0.0
    dram_bytes: int = 0
    macs: int = 0
    bound: str = ""
    sqnr_db: float | None = None


@dataclass
class ReportData:
    title: str
    cycles: CycleReport
    layers: list[LayerRow]
    partition: dict[str, dict[str, int]]


def build_report(artefact, title: str, quant_rows=None) -> ReportData:
    """Run the cycle model on the artefact's stream and join it with the manifest's layers."""
    cfg = artefact.config
    insns = isa.decode_insns(artefact.insns, cfg)
    layers = artefact.instruction_layers()
    report = cycle_model(insns, cfg, layers)
    info = {row["name"]: row for row in artefact.manifest.get("layer_info", [])}
    sqnr = {r.layer: r.sqnr_db for r in quant_rows or []}
    rows = []
    for layer in report.layers:
        meta = info.get(layer.name, {})
        rows.append(
            LayerRow(
                layer.name,
                meta.get("op", ""),
                meta.get("input_shape", []),
                meta.get("output_shape", []),
                meta.get("target", "accelerator"),
                layer.cycles,
                report.layer_utilization(layer),
                layer.dram_bytes,
                layer.macs,
                layer.bound,
                sqnr.get(layer.name),
            )
        )
    partition = partition_summary(list(info.values())) if info else {}
    return ReportData(title, report, rows, partition)


def _png(fig) -> str:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=110, bbox_inches="tight")
    return base64.b64encode(buf.getvalue()).decode()


def charts(data: ReportData) -> dict[str, str] | None:
    """Base64 PNGs of the utilisation bars and the roofline; None without matplotlib."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return None
    rows = [r for r in data.layers if r.macs]
    names = [r.name for r in rows]
    fig, ax = plt.subplots(figsize=(max(4, 0.5 * len(rows) + 2), 3))
    ax.bar(names, [100 * r.utilization for r in rows], color="#3b7dd8")
    ax.set_ylabel("GEMM utilisation (%)")
    ax.set_ylim(0, 100)
    ax.tick_params(axis="x", rotation=60)
    ax.set_title("GEMM utilisation per layer (cycle model)")
    images = {"utilisation": _png(fig)}
    plt.close(fig)
    cfg = data.cycles.config
    peak = data.cycles.peak_macs_per_cycle
    bandwidth = cfg.bus_bytes  # bytes per cycle
    fig, ax = plt.subplots(figsize=(5, 3.5))
    intensities = [r.macs / max(1, r.dram_bytes) for r in rows]
    lo = min([0.1, *intensities]) / 2
    hi = max([10.0, *intensities]) * 2
    xs = [lo * (hi / lo) ** (i / 99) for i in range(100)]
    ax.plot(xs, [min(peak, bandwidth * x) for x in xs], color="black", label="roof")
    ax.scatter(
        intensities,
        [r.macs / max(1, r.cycles) for r in rows],
        color="#d8583b",
        zorder=3,
        label="layers",
    )
    for x, r in zip(intensities, rows, strict=True):
        ax.annotate(r.name, (x, r.macs / max(1, r.cycles)), fontsize=7)
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("MACs per DRAM byte")
    ax.set_ylabel("MACs per cycle")
    ax.set_title(f"roofline: peak {peak} MACs/cycle, {bandwidth} B/cycle")
    ax.legend(fontsize=8)
    images["roofline"] = _png(fig)
    plt.close(fig)
    return images


def _table(headers: list[str], rows: list[list[str]]) -> str:
    head = "".join(f"<th>{html.escape(h)}</th>" for h in headers)
    body = "".join(
        "<tr>" + "".join(f"<td>{html.escape(str(c))}</td>" for c in row) + "</tr>" for row in rows
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def render_html(data: ReportData, images: dict[str, str] | None) -> str:
    """The page; `images` are `charts(data)` (None: a note on how to get them)."""
    c = data.cycles
    cfg = c.config
    layer_rows = [
        [
            r.name,
            r.op,
            "x".join(map(str, r.input_shape)),
            "x".join(map(str, r.output_shape)),
            r.target,
            r.cycles,
            f"{r.utilization:.1%}",
            r.dram_bytes,
            r.bound,
            "" if r.sqnr_db is None else f"{r.sqnr_db:.1f}",
        ]
        for r in data.layers
    ]
    partition_rows = [
        [target, v["layers"], f"{v['macs']:,}"] for target, v in sorted(data.partition.items())
    ]
    if images is None:
        figures = '<p>Charts need matplotlib: <code>pip install "canopy-ir[report]"</code>.</p>'
    else:
        figures = "".join(
            f'<figure><img alt="{name}" src="data:image/png;base64,{png}"></figure>'
            for name, png in images.items()
        )
    summary = (
        f"{c.total_cycles:,} cycles = {c.seconds * 1e3:.3f} ms at {cfg.CLOCK_MHZ} MHz · GEMM "
        f"utilisation {c.utilization:.1%} · DRAM {c.dram_bytes:,} B · core "
        f"{cfg.batch}x{cfg.block_in}x{cfg.block_out} · busy load/compute/store "
        f"{c.busy['load']:,}/{c.busy['compute']:,}/{c.busy['store']:,}"
    )
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{html.escape(data.title)}</title>
<style>
body {{ font-family: sans-serif; margin: 2em; color: #222; }}
table {{ border-collapse: collapse; margin: 1em 0; }}
th, td {{ border: 1px solid #ccc; padding: 0.25em 0.6em; text-align: right; }}
th:first-child, td:first-child {{ text-align: left; }}
figure {{ display: inline-block; margin: 0.5em; }}
</style></head><body>
<h1>{html.escape(data.title)}</h1>
<p>{html.escape(summary)}</p>
<h2>Partition</h2>
{_table(["target", "layers", "MACs"], partition_rows)}
<h2>Layers</h2>
{
        _table(
            [
                "layer",
                "op",
                "input",
                "output",
                "target",
                "cycles",
                "GEMM util.",
                "DRAM bytes",
                "bound",
                "SQNR dB",
            ],
            layer_rows,
        )
    }
<h2>Charts</h2>
{figures}
</body></html>
"""


def write_html(data: ReportData, path: str | Path) -> bool:
    """Write the report; False when it has no charts (matplotlib is not installed)."""
    images = charts(data)
    Path(path).write_text(render_html(data, images))
    return images is not None
