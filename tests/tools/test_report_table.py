"""`canopy-report --table`: the cycle model's per-layer figures of an artefact as a markdown
table (the table bench/utilisation.py writes to docs/utilisation.md)."""

import re

import onnx
from small_cnn import build_small_cnn

from canopy_ir.tools.compile import main as compile_main
from canopy_ir.tools.report import main as report_main


def test_table_has_a_row_per_layer_with_its_figures(tmp_path, capsys):
    onnx.save(build_small_cnn(), tmp_path / "m.onnx")
    assert compile_main([str(tmp_path / "m.onnx"), "-o", str(tmp_path / "m.canopy"), "-q"]) == 0
    capsys.readouterr()
    assert report_main([str(tmp_path / "m.canopy"), "--table"]) == 0
    out = capsys.readouterr().out
    head, table = out.split("\n\n", 1)
    total = int(re.match(r"(\d+) cycles", head).group(1))
    assert total > 0 and "GEMM utilisation" in head
    lines = table.strip().splitlines()
    assert lines[0] == "| layer | op | output | cycles | GEMM util. | DRAM bytes | bound |"
    rows = {
        cells[0]: cells
        for cells in ([c.strip() for c in ln.strip("|").split("|")] for ln in lines[2:])
    }
    assert list(rows) == ["conv1", "conv2", "fc"]
    assert rows["conv2"][1] == "conv 3x3 /2" and rows["fc"][1] == "dense"
    for cells in rows.values():
        cycles, util, dram = int(cells[3]), float(cells[4].rstrip("%")), int(cells[5])
        assert 0 < cycles <= total and 0 < util <= 100 and dram > 0
        assert cells[6] in ("compute", "ALU", "memory")
    assert not (tmp_path / "m.html").exists()  # the table instead of the HTML report
