"""examples/zoo.py: ResNet-18 and MobileNetV2 built in code are valid ONNX, torchvision's
architectures, seeded, with activations in range, and run on onnxruntime as on the graph
interpreter (before and after the graph passes)."""

from collections import Counter

import numpy as np
import onnx
import pytest
import zoo
from onnx import numpy_helper

from canopy_ir.compiler.pipeline import run_passes
from canopy_ir.dialects import graph
from canopy_ir.frontends.onnx import import_onnx
from canopy_ir.interpreters.graph import evaluate_all, run_graph
from canopy_ir.passes import GRAPH_PIPELINE

SMALL = {"resnet18": dict(size=64), "mobilenet_v2": dict(size=64)}


def initializers(model: onnx.ModelProto) -> dict[str, np.ndarray]:
    return {i.name: numpy_helper.to_array(i) for i in model.graph.initializer}


@pytest.mark.parametrize("name", sorted(SMALL))
def test_checker_onnxruntime_and_the_graph_interpreter_agree(name):
    ort = pytest.importorskip("onnxruntime")
    model = zoo.MODELS[name](**SMALL[name])
    onnx.checker.check_model(model, full_check=True)
    x = zoo.sample_input(64, seed=7)
    sess = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
    (expected,) = sess.run(None, {"input": x})
    module = import_onnx(model)
    tolerance = dict(rtol=1e-4, atol=1e-4 * np.abs(expected).max())
    np.testing.assert_allclose(run_graph(module, x)[0], expected, **tolerance)
    run_passes(module, GRAPH_PIPELINE)  # batch norms fold into the convolutions
    assert not any(isinstance(op, graph.BatchNormOp) for op in module.walk())
    np.testing.assert_allclose(run_graph(module, x)[0], expected, **tolerance)


@pytest.mark.parametrize(
    "name, parameters, layers",
    [
        (
            "resnet18",
            11_689_512,
            {"Conv": 20, "BatchNormalization": 20, "Relu": 17, "Add": 8, "MaxPool": 1},
        ),
        ("mobilenet_v2", 3_504_872, {"Conv": 52, "BatchNormalization": 52, "Clip": 35, "Add": 10}),
    ],
)
def test_torchvisions_architecture_at_224_by_default(name, parameters, layers):
    model = zoo.MODELS[name]()
    dims = [[d.dim_value for d in v.type.tensor_type.shape.dim] for v in model.graph.input]
    assert dims == [[1, 3, 224, 224]]
    assert [d.dim_value for d in model.graph.output[0].type.tensor_type.shape.dim] == [1, 1000]
    trainable = {k: v for k, v in initializers(model).items() if "running" not in k}
    assert sum(v.size for k, v in trainable.items() if not k.startswith("clip.")) == parameters
    counts = Counter(n.op_type for n in model.graph.node)
    assert {op: counts[op] for op in layers} == layers
    assert counts["GlobalAveragePool"] == counts["Gemm"] == 1
    if name == "resnet18":
        assert {"layer2.0.downsample.0.weight", "layer4.1.bn2.running_var"} <= set(
            initializers(model)
        )
        assert initializers(model)["fc.weight"].shape == (1000, 512)
    else:
        assert initializers(model)["features.2.conv.1.0.weight"].shape == (96, 1, 3, 3)
        assert initializers(model)["classifier.1.weight"].shape == (1000, 1280)


def test_seeded():
    def build(seed):
        return zoo.mobilenet_v2(size=32, classes=10, width_mult=0.35, seed=seed)

    a, b, c = build(0), build(0), build(1)
    assert a.SerializeToString() == b.SerializeToString()
    for key in ("features.0.0.weight", "features.0.1.running_mean", "classifier.1.weight"):
        assert not np.array_equal(initializers(a)[key], initializers(c)[key])


def test_params_replace_the_seeded_weights():
    source = zoo.mobilenet_v2(size=32, classes=10, width_mult=0.35, seed=1)
    params = {k: v for k, v in initializers(source).items() if not k.startswith("clip.")}
    params["features.0.1.num_batches_tracked"] = np.int64(3)  # state-dict noise is ignored
    rebuilt = zoo.mobilenet_v2(size=32, classes=10, width_mult=0.35, seed=0, params=params)
    assert rebuilt.graph == source.graph
    with pytest.raises(ValueError, match="parameter conv1.weight has shape"):
        zoo.resnet18(size=32, params={"conv1.weight": np.zeros((64, 3, 3, 3))})
    with pytest.raises(ValueError, match="unknown parameter"):
        zoo.resnet18(size=32, params={"conv1.wieght": np.zeros((64, 3, 7, 7))})


@pytest.mark.parametrize(
    "build", [lambda: zoo.resnet18(size=64), lambda: zoo.mobilenet_v2(size=32, width_mult=0.35)]
)
def test_calibrated_batch_norms_keep_activations_in_range(build):
    """Trained-network magnitudes: every activation within ±50 on a fresh input, logits near
    unit scale, whatever the depth or the (small) input size."""
    module = import_onnx(build())
    x = zoo.sample_input(graph.shape_of(next(iter(module.ops)).args[0])[-1], seed=11)
    values = evaluate_all(module, x)
    largest = max(float(np.abs(v).max()) for v in values.values() if v.dtype == np.float32)
    assert largest < 50
    (logits,) = run_graph(module, x)
    assert 0.1 < logits.std() < 10


def test_command_line(tmp_path, capsys):
    out, x = tmp_path / "resnet18.onnx", tmp_path / "x.npy"
    zoo.main(["resnet18", "-o", str(out), "--size", "32", "--classes", "10", "--input", str(x)])
    assert "wrote" in capsys.readouterr().out
    model = onnx.load(out)
    onnx.checker.check_model(model)
    assert np.load(x).shape == (1, 3, 32, 32)
    assert run_graph(import_onnx(model), np.load(x))[0].shape == (1, 10)


@pytest.mark.parametrize("name", ["resnet18", "mobilenet_v2"])
def test_real_networks_run_on_the_accelerator_exactly(name, tmp_path, capsys):
    """A float ResNet-18 / MobileNetV2 quantized by the compiler runs end to end, every layer on
    the accelerator (stem, max pool, residual adds, depthwise convolutions, global average pool,
    classifier), and the card's result equals the integer graph interpreter's."""
    import canopy_ir
    from canopy_ir.compiler.driver import compile_model
    from canopy_ir.tools.compile import main as compile_main

    path = tmp_path / "m.onnx"
    onnx.save(getattr(zoo, name)(size=32, classes=10), path)
    assert compile_main([str(path), "-o", str(tmp_path / "m.canopy")]) == 0
    summary = capsys.readouterr().err
    assert "partition: accelerator:" in summary and "host" not in summary
    integer = compile_model(path, tmp_path / "int.mlir", stop_after="graph-partition").module
    x = zoo.sample_input(32, seed=3)
    (expected,) = run_graph(integer, x)
    (y,) = canopy_ir.InferenceSession(str(tmp_path / "m.canopy")).run(None, {"input": x})
    np.testing.assert_array_equal(y, expected)
