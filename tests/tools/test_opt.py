"""canopy-opt on dumps: weights stay reachable from wherever the output is written, new weights
are never lost, hand-edited IR is verified, binary input is refused in one line."""

import onnx
import pytest
from small_cnn import build_small_cnn

from canopy_ir.tools.compile import main as compile_main
from canopy_ir.tools.opt import main as opt_main


@pytest.fixture()
def dump(tmp_path):
    onnx.save(build_small_cnn(), tmp_path / "m.onnx")
    d = tmp_path / "dump"
    assert compile_main([str(tmp_path / "m.onnx"), "-q", "--dump-dir", str(d)]) == 0
    return d


def test_output_elsewhere_names_the_weights_relative_to_itself(dump, tmp_path):
    other = tmp_path / "elsewhere" / "deeper"
    other.mkdir(parents=True)
    out = other / "accel.mlir"
    assert (
        opt_main([str(dump / "03-graph-to-tile.mlir"), "-p", "tile-to-accel", "-o", str(out)]) == 0
    )
    assert 'canopy.weights = "../../dump/weights.npz"' in out.read_text()
    assert opt_main([str(out), "-p", "insert-deps,encode", "-o", str(other / "enc.mlir")]) == 0


def test_new_weights_go_beside_the_output_and_never_to_stdout(tmp_path, capsys):
    onnx.save(build_small_cnn(), tmp_path / "m.onnx")
    ir = tmp_path / "q.mlir"
    assert (
        compile_main([str(tmp_path / "m.onnx"), "-q", "--stop-after", "import-qdq", "-o", str(ir)])
        == 0
    )
    assert opt_main([str(ir), "-p", "graph-to-tile"]) == 2
    assert "made new weights" in capsys.readouterr().err
    out = tmp_path / "t.mlir"
    assert opt_main([str(ir), "-p", "graph-to-tile", "-o", str(out)]) == 0
    assert (tmp_path / "t.weights.npz").exists()
    assert opt_main([str(out), "-p", "tile-to-accel", "-o", str(tmp_path / "a.mlir")]) == 0


def test_hand_edited_ir_that_does_not_verify_is_one_line(dump, tmp_path, capsys):
    text = (dump / "01-import-qdq.mlir").read_text()
    bad = tmp_path / "bad.mlir"
    bad.write_text(text.replace("clip_min = 0 : i64", "clip_min = 500 : i64", 1))
    assert bad.read_text() != text
    assert opt_main([str(bad), "-p", "graph-to-tile"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "does not verify" in err


def test_binary_input_is_refused(dump, tmp_path, capsys):
    assert opt_main([str(dump.parent / "m.onnx")]) == 2
    assert "not IR text" in capsys.readouterr().err
