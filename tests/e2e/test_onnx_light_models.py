"""The real CNNs shipped in the onnx wheel (onnx/backend/test/data/light): ResNet-50, SqueezeNet,
VGG-19, Inception v1/v2, DenseNet-121, ShuffleNet, AlexNet, ZFNet-512.

Their weights are ConstantOfShape fills, so the stored outputs are nearly uniform; the second test
replaces every fill with seeded random weights and compares with onnxruntime."""

import math
import os

import numpy as np
import onnx
import pytest
from onnx import numpy_helper

from canopy_ir.frontends.onnx import import_onnx
from canopy_ir.interpreters.graph import run_graph

LIGHT = os.path.join(os.path.dirname(onnx.__file__), "backend", "test", "data", "light")
MODELS = [
    "resnet50",
    "squeezenet",
    "vgg19",
    "inception_v1",
    "inception_v2",
    "densenet121",
    "shufflenet",
    "bvlc_alexnet",
    "zfnet512",
]
SLOW = {"vgg19", "bvlc_alexnet", "zfnet512", "densenet121"}
PARAMS = [pytest.param(m, marks=pytest.mark.slow) if m in SLOW else m for m in MODELS]


def _path(name: str) -> str:
    return os.path.join(LIGHT, f"light_{name}.onnx")


def _data_input(model: onnx.ModelProto):
    inits = {i.name for i in model.graph.initializer}
    (info,) = [
        i
        for i in model.graph.input
        if i.name not in inits and len(i.type.tensor_type.shape.dim) == 4
    ]
    return info.name, [d.dim_value for d in info.type.tensor_type.shape.dim]


@pytest.mark.parametrize("name", PARAMS)
def test_stored_outputs(name):
    model = onnx.load(_path(name))
    input_name, shape = _data_input(model)
    expected = numpy_helper.to_array(onnx.load_tensor(_path(name).replace(".onnx", "_output_0.pb")))
    x = np.random.default_rng(0).standard_normal(shape).astype(np.float32)
    (y,) = run_graph(import_onnx(_path(name)), x)
    np.testing.assert_allclose(y, expected, rtol=1e-3, atol=1e-3)


def with_random_weights(model: onnx.ModelProto, seed: int) -> onnx.ModelProto:
    """Replace each ConstantOfShape weight by seeded random values (He-scaled; batch-norm
    variances positive) so that the network computes something non-trivial."""
    rng = np.random.default_rng(seed)
    consts = {i.name: numpy_helper.to_array(i) for i in model.graph.initializer}
    variances = {n.input[4] for n in model.graph.node if n.op_type == "BatchNormalization"}
    scales = {n.input[1] for n in model.graph.node if n.op_type == "BatchNormalization"}
    out = onnx.ModelProto()
    out.CopyFrom(model)
    nodes = []
    for node in out.graph.node:
        if node.op_type != "ConstantOfShape" or node.input[0] not in consts:
            nodes.append(node)
            continue
        shape = tuple(int(d) for d in consts[node.input[0]])
        name = node.output[0]
        if name in variances:
            value = rng.uniform(0.5, 1.5, shape)
        elif name in scales:
            value = rng.uniform(0.8, 1.2, shape)
        elif len(shape) >= 2:
            value = rng.normal(0, math.sqrt(2.0 / np.prod(shape[1:])), shape)
        else:
            value = rng.normal(0, 0.05, shape)
        out.graph.initializer.append(numpy_helper.from_array(value.astype(np.float32), name))
    del out.graph.node[:]
    out.graph.node.extend(nodes)
    return out


@pytest.mark.parametrize("name", PARAMS)
def test_random_weights_match_onnxruntime(name):
    ort = pytest.importorskip("onnxruntime")
    model = with_random_weights(onnx.load(_path(name)), seed=1)
    input_name, shape = _data_input(model)
    x = np.random.default_rng(2).standard_normal(shape).astype(np.float32)
    options = ort.SessionOptions()
    options.log_severity_level = 3  # the light models carry unused shape initializers
    sess = ort.InferenceSession(
        model.SerializeToString(), options, providers=["CPUExecutionProvider"]
    )
    (expected,) = sess.run(None, {input_name: x})
    (y,) = run_graph(import_onnx(model), x)
    assert expected.std() / np.abs(expected).mean() > 0.01, "random weights give distinct outputs"
    np.testing.assert_allclose(y, expected, rtol=1e-3, atol=1e-4)
