"""The real CNNs shipped in the onnx wheel (onnx/backend/test/data/light): ResNet-50, SqueezeNet,
VGG-19, Inception v1/v2, DenseNet-121, ShuffleNet, AlexNet, ZFNet-512.

Their weights are ConstantOfShape fills, so the stored outputs are nearly uniform; the second test
replaces every fill with seeded random weights and compares with onnxruntime."""

import numpy as np
import onnx
import pytest
from light_models import MODELS, data_input, path, with_random_weights
from onnx import numpy_helper

from canopy_ir.frontends.onnx import import_onnx
from canopy_ir.interpreters.graph import run_graph

SLOW = {"vgg19", "bvlc_alexnet", "zfnet512", "densenet121"}
PARAMS = [pytest.param(m, marks=pytest.mark.slow) if m in SLOW else m for m in MODELS]


@pytest.mark.parametrize("name", PARAMS)
def test_stored_outputs(name):
    model = onnx.load(path(name))
    input_name, shape = data_input(model)
    expected = numpy_helper.to_array(onnx.load_tensor(path(name).replace(".onnx", "_output_0.pb")))
    x = np.random.default_rng(0).standard_normal(shape).astype(np.float32)
    (y,) = run_graph(import_onnx(path(name)), x)
    np.testing.assert_allclose(y, expected, rtol=1e-3, atol=1e-3)


@pytest.mark.parametrize("name", PARAMS)
def test_random_weights_match_onnxruntime(name):
    ort = pytest.importorskip("onnxruntime")
    model = with_random_weights(onnx.load(path(name)), seed=1)
    input_name, shape = data_input(model)
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
