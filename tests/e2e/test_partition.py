"""Partitioned models: what the accelerator cannot run (a sigmoid between two convolutions, a
softmax head) runs on the host between instruction segments, and the whole model still matches
onnxruntime on the same QDQ model exactly; only tensors that cross between host and card cross
PCIe; `--accel-only` names the first host op; the dumps and the summary say what runs where."""

import json
import re
import zipfile

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper, numpy_helper

import canopy_ir
from canopy_ir.artefact import Artefact
from canopy_ir.tools.compile import main as compile_main

ort = pytest.importorskip("onnxruntime")
quantization = pytest.importorskip("onnxruntime.quantization")

SHAPE = (1, 3, 12, 12)


def sigmoid_softmax_net(rng) -> onnx.ModelProto:
    inits = [
        numpy_helper.from_array(rng.normal(0, 0.3, (8, 3, 3, 3)).astype(np.float32), "w1"),
        numpy_helper.from_array(rng.normal(0, 0.1, 8).astype(np.float32), "b1"),
        numpy_helper.from_array(rng.normal(0, 0.2, (16, 8, 3, 3)).astype(np.float32), "w2"),
        numpy_helper.from_array(rng.normal(0, 0.1, 16).astype(np.float32), "b2"),
        numpy_helper.from_array(rng.normal(0, 0.05, (10, 16 * 3 * 3)).astype(np.float32), "w3"),
        numpy_helper.from_array(rng.normal(0, 0.1, 10).astype(np.float32), "b3"),
    ]
    nodes = [
        helper.make_node("Conv", ["x", "w1", "b1"], ["c1"], pads=[1, 1, 1, 1], name="conv1"),
        helper.make_node("Relu", ["c1"], ["r1"], name="relu1"),
        helper.make_node("Sigmoid", ["r1"], ["p1"], name="gate"),
        helper.make_node(
            "Conv", ["p1", "w2", "b2"], ["c2"], pads=[1, 1, 1, 1], strides=[4, 4], name="conv2"
        ),
        helper.make_node("Relu", ["c2"], ["r2"], name="relu2"),
        helper.make_node("Flatten", ["r2"], ["f"], name="flatten"),
        helper.make_node("Gemm", ["f", "w3", "b3"], ["g"], transB=1, name="fc"),
        helper.make_node("Softmax", ["g"], ["y"], axis=1, name="softmax"),
    ]
    g = helper.make_graph(
        nodes,
        "m",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, list(SHAPE))],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 10])],
        inits,
    )
    return helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)])


@pytest.fixture(scope="module")
def qdq_model(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("partition")
    rng = np.random.default_rng(0)
    onnx.save(sigmoid_softmax_net(rng), tmp / "float.onnx")

    class Reader(quantization.CalibrationDataReader):
        def __init__(self):
            self.data = iter(
                [{"x": rng.uniform(-1, 1, SHAPE).astype(np.float32)} for _ in range(8)]
            )

        def get_next(self):
            return next(self.data, None)

    quantization.quantize_static(
        str(tmp / "float.onnx"),
        str(tmp / "int8.onnx"),
        Reader(),
        quant_format=quantization.QuantFormat.QDQ,
        activation_type=quantization.QuantType.QInt8,
        weight_type=quantization.QuantType.QInt8,
        reduce_range=True,
        extra_options={"ActivationSymmetric": True},
    )
    return tmp / "int8.onnx"


def test_host_ops_run_between_segments_and_match_onnxruntime(qdq_model, tmp_path, capsys):
    out = tmp_path / "m.canopy"
    assert compile_main([str(qdq_model), "-o", str(out), "--dump-dir", str(tmp_path / "d")]) == 0
    summary = capsys.readouterr().err
    assert "host" in summary and "accelerator" in summary and "gate" in summary
    art = Artefact.load(out)
    ops = [op["op"] for op in art.host["ops"]]
    assert "graph.unary" in ops and "graph.softmax" in ops
    assert len(art.segments()) == 2  # conv1 | host sigmoid | conv2, fc | host softmax head
    gate = next(op for op in art.host["ops"] if op["op"] == "graph.unary")
    assert gate["segment"] == 1 and "no accelerator lowering" in gate["reason"]
    card = canopy_ir.InferenceSession(str(out))
    reference = ort.InferenceSession(str(qdq_model), providers=["CPUExecutionProvider"])
    for seed in range(5):
        x = np.random.default_rng(seed).uniform(-1, 1, SHAPE).astype(np.float32)
        (y,) = card.run(None, {"x": x})
        (expected,) = reference.run(None, {"x": x})
        np.testing.assert_array_equal(y, expected)
    # Per run: the quantized input in and what the host computes for the card; what the host
    # reads from the card out. Nothing else crosses.
    regions = {r.name: r for r in art.regions}
    tensors = art.host["tensors"]
    written = [t["card"] for t in tensors.values() if "card" in t]
    read = {n for op in art.host["ops"] for n in op["inputs"] if n in regions}
    crossing_in = art.io("input")[0].nbytes + sum(regions[n].nbytes for n in written)
    crossing_out = sum(regions[n].nbytes for n in read | {r.name for r in art.io("output")})
    assert written and read
    before = card.counters.bytes_to_device, card.counters.bytes_from_device
    card.run(None, {"x": np.zeros(SHAPE, np.float32)})
    assert card.counters.bytes_to_device - before[0] == crossing_in
    assert card.counters.bytes_from_device - before[1] == crossing_out
    dump = (tmp_path / "d" / "02-graph-partition.mlir").read_text()
    assert (
        'canopy.target = "host", canopy.reason = "graph.unary has no accelerator lowering"' in dump
    )


def test_accel_only_names_the_first_host_op(qdq_model, tmp_path, capsys):
    code = compile_main([str(qdq_model), "-o", str(tmp_path / "m.canopy"), "--accel-only"])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2
    # the sigmoid's int8 -> float conversion (a float island)
    assert re.match(r"error: node '[^']+': graph\.\w+ would run on the host \(", err[-1])
    assert len(err) == 1


def test_artefact_host_plan_is_checked_on_load(qdq_model, tmp_path):
    out = tmp_path / "m.canopy"
    assert compile_main([str(qdq_model), "-o", str(out), "-q"]) == 0
    with zipfile.ZipFile(out) as z:
        members = {n: z.read(n) for n in z.namelist()}
    manifest = json.loads(members["manifest.json"])
    manifest["host"]["ops"][0]["op"] = "graph.mystery"
    members["manifest.json"] = json.dumps(manifest).encode()
    bad = tmp_path / "bad.canopy"
    with zipfile.ZipFile(bad, "w") as z:
        for name, data in members.items():
            z.writestr(name, data)
    with pytest.raises(canopy_ir.errors.ArtefactError, match="runs graph.mystery"):
        Artefact.load(bad)
