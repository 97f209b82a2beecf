"""The HTML compile report: built from an artefact, rendered by a real headless Chromium with
its images loaded (the screenshot is kept as a test artefact)."""

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from small_cnn import build_small_cnn

from canopy_ir.tools.compile import main as compile_main
from canopy_ir.tools.report import main as report_main

BROWSER = shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.fixture(scope="module")
def compiled(tmp_path_factory):
    import onnx

    d = tmp_path_factory.mktemp("report")
    onnx.save(build_small_cnn(), d / "m.onnx")
    args = [str(d / "m.onnx"), "-o", str(d / "m.canopy"), "--report-html", str(d / "r.html")]
    assert compile_main([*args, "-q"]) == 0
    return d


def test_report_has_every_layer_with_its_numbers(compiled):
    text = (compiled / "r.html").read_text()
    for layer, op in (("conv1", "conv 3x3"), ("conv2", "conv 3x3 /2"), ("fc", "dense")):
        row = re.search(rf"<tr><td>{layer}</td><td>{re.escape(op)}</td>(.*?)</tr>", text)
        assert row, layer
        cells = re.findall(r"<td>(.*?)</td>", row.group(1))
        # input, output, target, cycles, util, DRAM bytes, bound, SQNR
        assert cells[2] == "accelerator" and int(cells[3]) > 0 and int(cells[5]) > 0
        assert cells[6] in ("memory", "compute", "ALU") and float(cells[7]) > 20
    assert text.count('src="data:image/png;base64,') == 2


def test_canopy_report_on_an_artefact(compiled, tmp_path):
    out = tmp_path / "again.html"
    assert report_main([str(compiled / "m.canopy"), "-o", str(out)]) == 0
    assert "<h2>Layers</h2>" in out.read_text()


def test_report_renders_in_headless_chromium(compiled):
    if BROWSER is None:
        if os.environ.get("CANOPY_CI"):
            pytest.fail("CI must have Chromium (apt-get install -y chromium)")
        pytest.skip("no Chromium here")
    harness = compiled / "harness.html"
    harness.write_text(
        '<html><body><iframe id="f" src="r.html" width="1200" height="1400" onload="'
        "const imgs = Array.from(this.contentDocument.images);"
        "document.body.setAttribute('data-loaded', imgs.filter("
        "i => i.complete && i.naturalWidth > 0).length + '/' + imgs.length);"
        '"></iframe></body></html>'
    )
    flags = [BROWSER, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars"]
    dom = subprocess.run(
        [
            *flags,
            "--allow-file-access-from-files",
            "--virtual-time-budget=5000",
            "--dump-dom",
            harness.as_uri(),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    ).stdout
    assert 'data-loaded="2/2"' in dom, dom[:500]
    keep = Path(os.environ.get("CANOPY_TEST_ARTEFACTS", compiled))
    keep.mkdir(parents=True, exist_ok=True)
    shot = keep / "report.png"
    subprocess.run(
        [*flags, f"--screenshot={shot}", "--window-size=1200,1400", (compiled / "r.html").as_uri()],
        capture_output=True,
        timeout=120,
        check=True,
    )
    assert shot.stat().st_size > 10_000


@pytest.mark.parametrize(
    "edit,message",
    [
        (lambda m: m.update(layers=[["conv1", 0]]), "layer range"),
        (lambda m: m.update(layer_info=[{"nome": 1}]), "layer_info row"),
        (lambda m: m.update(members="x"), "not a canopy artefact manifest"),
    ],
)
def test_corrupted_manifest_is_one_line_for_report_and_disasm(
    compiled, tmp_path, edit, message, capsys
):
    import json
    import zipfile

    from canopy_ir.tools.disasm import main as disasm_main

    bad = tmp_path / "bad.canopy"
    with zipfile.ZipFile(compiled / "m.canopy") as src, zipfile.ZipFile(bad, "w") as dst:
        for name in src.namelist():
            data = src.read(name)
            if name == "manifest.json":
                manifest = json.loads(data)
                edit(manifest)
                data = json.dumps(manifest).encode()
            dst.writestr(name, data)
    for tool in (report_main, disasm_main):
        assert tool([str(bad)]) == 2
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and message in err, err
