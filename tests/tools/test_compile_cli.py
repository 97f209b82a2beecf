"""canopy-compile's pass-level controls (--pipeline, --stop-after, IR printing, dumps with the
pipeline they ran, timing, --debug) and canopy-opt --list-passes."""

import re

import onnx
import pytest
from small_cnn import build_small_cnn

from canopy_ir.passes import ALL_PASSES
from canopy_ir.passes.graph_to_tile import GraphToTilePass
from canopy_ir.tools.compile import build_parser
from canopy_ir.tools.compile import main as compile_main
from canopy_ir.tools.opt import main as opt_main


@pytest.fixture()
def model(tmp_path):
    path = tmp_path / "m.onnx"
    onnx.save(build_small_cnn(), path)
    return path


def test_stop_after_writes_the_ir_and_opt_continues_it(model, tmp_path, capsys):
    assert compile_main([str(model), "--stop-after", "graph-to-tile", "-q"]) == 0
    ir = tmp_path / "m.graph-to-tile.mlir"
    assert "tile.kernel" in ir.read_text() and (tmp_path / "m.graph-to-tile.weights.npz").exists()
    out = tmp_path / "accel.mlir"
    assert opt_main([str(ir), "-p", "tile-to-accel,insert-deps,encode", "-o", str(out)]) == 0
    assert "accel.binary" in out.read_text()


def test_stop_after_cannot_write_an_artefact(model, tmp_path, capsys):
    code = compile_main(
        [str(model), "--stop-after", "import-qdq", "-o", str(tmp_path / "x.canopy")]
    )
    assert code == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "not `encode`: there is no artefact" in err


def test_unknown_stop_after_pass_is_one_line(model, capsys):
    assert compile_main([str(model), "--stop-after", "graph-to-tiles"]) == 2
    assert "no such pass in the pipeline" in capsys.readouterr().err


def test_pipeline_replaces_the_default(model, tmp_path):
    out = tmp_path / "g.mlir"
    assert (
        compile_main([str(model), "--pipeline", "graph-dce,import-qdq", "-o", str(out), "-q"]) == 0
    )
    text = out.read_text()
    assert "graph.requantize" in text and "tile." not in text


def test_print_ir_before_after_and_after_change(model, capsys):
    args = [str(model), "-q", "--print-ir-before", "tile-to-accel", "--print-ir-after", "encode"]
    assert compile_main(args) == 0
    err = capsys.readouterr().err
    headers = re.findall(r"// ----- IR (\w+) ([\w-]+) -----", err)
    assert headers == [("before", "tile-to-accel"), ("after", "encode")]
    spec = "graph-dce,import-qdq,graph-dce"
    assert (
        compile_main(
            [
                str(model),
                "-q",
                "--pipeline",
                spec,
                "--print-ir-after-change",
                "-o",
                str(model.parent / "g.mlir"),
            ]
        )
        == 0
    )
    headers = re.findall(r"// ----- IR (\w+) ([\w-]+) -----", capsys.readouterr().err)
    assert headers == [("after", "import-qdq")]  # neither dce changes this model


def test_dump_dir_records_the_pipeline_and_its_replay(model, tmp_path):
    dump = tmp_path / "dump"
    assert compile_main([str(model), "-q", "--dump-dir", str(dump), "--quant-mode", "fixed"]) == 0
    spec, replay = (dump / "pipeline.txt").read_text().splitlines()
    assert spec == "import-qdq,graph-partition,graph-to-tile,tile-to-accel,insert-deps,encode"
    out = dump / "replayed.mlir"
    assert opt_main([str(dump / "00-onnx-import.mlir"), "-p", spec, "-o", str(out)]) == 0
    assert out.read_text() == (dump / "06-encode.mlir").read_text()
    assert replay.startswith("# replay: canopy-opt ")


def test_timing_table(model, capsys):
    assert compile_main([str(model), "--timing"]) == 0
    err = capsys.readouterr().err
    assert "time per pass" in err and "graph-to-tile" in err and "total" in err


def test_internal_error_is_one_line_and_debug_shows_the_traceback(model, monkeypatch, capsys):
    def broken(self, ctx, module):
        raise RuntimeError("injected")

    monkeypatch.setattr(GraphToTilePass, "apply", broken)
    assert compile_main([str(model), "-q"]) == 3
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "pass graph-to-tile failed: RuntimeError: injected" in err
    assert compile_main([str(model), "-q", "--debug"]) == 3
    assert "Traceback" in capsys.readouterr().err


def test_help_describes_the_models_it_takes():
    text = build_parser().format_help()
    assert "power-of-two" not in text.split("quantization of float models")[0]
    assert "--stop-after" in text and "--pipeline" in text and "--report-html" in text


def test_opt_lists_every_pass_with_its_options(capsys):
    assert opt_main(["--list-passes"]) == 0
    out = capsys.readouterr().out
    for name in ALL_PASSES:
        assert re.search(rf"^{re.escape(name)} +\S", out, re.M), name
    assert 'options: calibration="" samples=16' in out
    summaries = dict(re.findall(r"^([\w-]+) +(\S.*)$", out, re.M))
    assert summaries["graph-to-tile"].startswith("Cut an integer graph into tiles")
    assert summaries["decode"].startswith("Decode") and summaries["encode"].startswith("Encode")
    assert len(set(summaries.values())) == len(ALL_PASSES)


@pytest.mark.parametrize(
    "args,message",
    [
        (["--pipeline", "graph-to-tile{"], "bad pass pipeline 'graph-to-tile{'"),
        (["--pipeline", "no-such-pass"], "bad pass pipeline 'no-such-pass'"),
        (
            ["--print-ir-after", "graph-to-tle"],
            "--print-ir-after graph-to-tle: not in the pipeline",
        ),
        (["--print-ir-before", "onnx-import,encode,x"], "--print-ir-before x: not in the pipeline"),
        (["-o", "/nonexistent/dir/m.canopy"], "/nonexistent/dir/m.canopy"),
        (["--stop-after", "graph-to-tile", "--report-html", "r.html"], "--report-html needs"),
    ],
)
def test_bad_arguments_are_one_line_errors(model, args, message, capsys):
    assert compile_main([str(model), "-q", *args]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("error: ") and message in err, err


def test_output_never_overwrites_the_model(model, capsys):
    assert compile_main([str(model), "-o", str(model)]) == 2
    assert "would overwrite the model" in capsys.readouterr().err
    assert model.read_bytes()[:2] != b"PK"  # still the ONNX file, not a zip artefact


def test_stop_after_dump_records_only_the_passes_that_ran(model, tmp_path):
    dump = tmp_path / "d"
    args = [str(model), "-q", "--stop-after", "graph-to-tile", "--dump-dir", str(dump)]
    assert compile_main(args) == 0
    spec = (dump / "pipeline.txt").read_text().splitlines()[0]
    assert spec == "import-qdq,graph-partition,graph-to-tile"
    assert sorted(p.name for p in dump.glob("*.mlir"))[-1] == "03-graph-to-tile.mlir"


@pytest.mark.parametrize("name", ['we"ird.npz', "back\\slash.npz", "samples.npy"])
def test_bad_calibration_files_are_one_line_errors(name, tmp_path, capsys):
    import numpy as np
    from train_shapes import make_dataset, to_onnx, train

    x, _ = make_dataset(64, 0)
    onnx.save(to_onnx(train(steps=5)), tmp_path / "f.onnx")
    if name.endswith(".npy"):
        np.save(tmp_path / name, x)
    assert compile_main([str(tmp_path / "f.onnx"), "-q", "--calibrate", str(tmp_path / name)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and name in err, err
