"""The README's main job, end to end: build the example, compile with the CLI, run on the simulated
card; compare with canopy-ir's integer graph (bit-exact) and with onnxruntime."""

import subprocess
import sys

import numpy as np
import onnx
import pytest
from models import build_qdq_model, output_scale, random_input
from small_cnn import build_small_cnn, sample_input
from stages import graph_output, integer_graph

import canopy_ir
from canopy_ir.tools.compile import main as compile_main
from canopy_ir.tools.run import main as run_main


@pytest.fixture(scope="module")
def compiled(tmp_path_factory):
    d = tmp_path_factory.mktemp("e2e")
    onnx.save(build_small_cnn(), d / "small_cnn.onnx")
    np.save(d / "input.npy", sample_input())
    assert (
        compile_main(
            [
                str(d / "small_cnn.onnx"),
                "-o",
                str(d / "m.canopy"),
                "--dump-dir",
                str(d / "dump"),
                "-q",
            ]
        )
        == 0
    )
    return d


def test_card_output_is_bit_exact_with_the_integer_graph(compiled):
    x = sample_input()
    (y,) = canopy_ir.InferenceSession(str(compiled / "m.canopy"), device="sim").run(
        None, {"input": x}
    )
    np.testing.assert_array_equal(y, graph_output(integer_graph(build_small_cnn()), x))


def test_card_output_matches_onnxruntime(compiled):
    ort = pytest.importorskip("onnxruntime")
    model = build_small_cnn()
    sess = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
    card = canopy_ir.InferenceSession(str(compiled / "m.canopy"))
    for seed in range(5):
        x = np.random.default_rng(seed).uniform(-1, 1, (1, 3, 12, 12)).astype(np.float32)
        (expected,) = sess.run(None, {"input": x})
        (y,) = card.run(None, {"input": x})
        assert np.abs(y - expected).max() <= output_scale(model) + 1e-9


@pytest.mark.parametrize("seed", range(3))
def test_random_nets_match_onnxruntime_within_one_step(seed, tmp_path):
    ort = pytest.importorskip("onnxruntime")
    net = (
        (1, 5, 9, 9),
        [
            ("conv", 12, 3, 1, 1, 1, True, True),
            ("conv", 20, 3, 2, 1, 1, True, True),
            ("flatten",),
            ("dense", 7, False, True),
        ],
    )
    model = build_qdq_model(*net, seed=seed)
    onnx.save(model, tmp_path / "m.onnx")
    assert compile_main([str(tmp_path / "m.onnx"), "-o", str(tmp_path / "m.canopy"), "-q"]) == 0
    x = random_input(net[0], seed)
    (y,) = canopy_ir.InferenceSession(str(tmp_path / "m.canopy")).run(None, {"input": x})
    sess = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
    (expected,) = sess.run(None, {"input": x})
    steps = np.abs(y - expected) / output_scale(model)
    assert steps.max() <= 1 and (steps > 0).mean() < 0.1


def test_dumps_feed_the_opt_tool(compiled, tmp_path):
    from canopy_ir.tools.opt import main as opt_main

    dump = compiled / "dump"
    files = sorted(p.name for p in dump.iterdir())
    assert files == [
        "00-onnx-import.mlir",
        "01-import-qdq.mlir",
        "02-graph-partition.mlir",
        "03-graph-to-tile.mlir",
        "04-tile-to-accel.mlir",
        "05-insert-deps.mlir",
        "06-encode.mlir",
        "pipeline.txt",
        "weights.npz",
    ]
    import shutil

    dump = shutil.copytree(dump, tmp_path / "dump")  # write beside a copy of the dump
    out = dump / "accel.mlir"  # beside the dump: it names the same weight file
    assert (
        opt_main(
            [str(dump / "03-graph-to-tile.mlir"), "-p", "tile-to-accel,insert-deps", "-o", str(out)]
        )
        == 0
    )
    assert out.read_text() == (dump / "05-insert-deps.mlir").read_text()


def test_run_cli_prints_outputs(compiled, capsys):
    assert (
        run_main(
            [
                str(compiled / "m.canopy"),
                "--input",
                str(compiled / "input.npy"),
                "-o",
                str(compiled / "out.npz"),
            ]
        )
        == 0
    )
    out = capsys.readouterr().out
    assert "output [1, 10]" in out and "argmax" in out
    assert np.load(compiled / "out.npz")["output"].shape == (1, 10)


def _cli(*args):
    return subprocess.run([sys.executable, "-m", *args], capture_output=True, text=True)


def test_cli_errors_are_one_line_with_exit_code_2(tmp_path):
    from onnx import TensorProto, helper

    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 4])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 4])
    g = helper.make_graph(
        [
            helper.make_node("Softplus", ["x"], ["a"], name="s1"),
            helper.make_node("Softsign", ["a"], ["y"], name="s2"),
        ],
        "g",
        [x],
        [y],
    )
    onnx.save(helper.make_model(g), tmp_path / "bad.onnx")
    r = _cli("canopy_ir.compile", str(tmp_path / "bad.onnx"), "-o", str(tmp_path / "x.canopy"))
    assert r.returncode == 2
    assert "Traceback" not in r.stderr
    assert r.stderr.strip() == (
        "error: unsupported ONNX op(s): Softplus (node 's1'); Softsign (node 's2')"
    )
    r = _cli("canopy_ir.compile", str(tmp_path / "missing.onnx"))
    assert r.returncode == 2 and "cannot read model" in r.stderr and "Traceback" not in r.stderr
    r = _cli("canopy_ir.tools.run", str(tmp_path / "missing.canopy"), "--input", "x.npy")
    assert r.returncode == 2 and "file not found" in r.stderr and "Traceback" not in r.stderr
