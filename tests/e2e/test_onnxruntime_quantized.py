"""Models quantized by onnxruntime's own quantizer (quantize_static, QDQ format, int8 symmetric
activations, per-tensor and per-channel weights) compile for a stock VTA configuration with
fixed-point requantization (21-bit multipliers applied in 7-bit pieces) and run on the simulated
card: outputs equal onnxruntime's on >= 99% of elements and differ by at most one step.

reduce_range=True (7-bit weights) is what onnxruntime recommends on x86 CPUs without VNNI, where
its U8S8 kernels otherwise saturate and differ from its own reference implementation."""

import numpy as np
import onnx
import pytest
from models import output_scale
from onnx import TensorProto, helper, numpy_helper

import canopy_ir
from canopy_ir.tools.compile import main as compile_main

ort = pytest.importorskip("onnxruntime")
quantization = pytest.importorskip("onnxruntime.quantization")


def conv_net(rng) -> tuple[onnx.ModelProto, tuple[int, ...]]:
    inits = [
        numpy_helper.from_array(rng.normal(0, 0.3, (8, 3, 3, 3)).astype(np.float32), "w1"),
        numpy_helper.from_array(rng.normal(0, 0.1, 8).astype(np.float32), "b1"),
        numpy_helper.from_array(rng.normal(0, 0.2, (16, 8, 3, 3)).astype(np.float32), "w2"),
        numpy_helper.from_array(rng.normal(0, 0.1, 16).astype(np.float32), "b2"),
        numpy_helper.from_array(rng.normal(0, 0.05, (10, 16 * 6 * 6)).astype(np.float32), "w3"),
        numpy_helper.from_array(rng.normal(0, 0.1, 10).astype(np.float32), "b3"),
    ]
    nodes = [
        helper.make_node("Conv", ["x", "w1", "b1"], ["c1"], pads=[1, 1, 1, 1], name="conv1"),
        helper.make_node("Relu", ["c1"], ["r1"], name="relu1"),
        helper.make_node(
            "Conv", ["r1", "w2", "b2"], ["c2"], pads=[1, 1, 1, 1], strides=[2, 2], name="conv2"
        ),
        helper.make_node("Relu", ["c2"], ["r2"], name="relu2"),
        helper.make_node("Flatten", ["r2"], ["f"], name="flatten"),
        helper.make_node("Gemm", ["f", "w3", "b3"], ["y"], transB=1, name="fc"),
    ]
    return _model(nodes, inits, (1, 3, 12, 12), [1, 10]), (1, 3, 12, 12)


def mlp(rng) -> tuple[onnx.ModelProto, tuple[int, ...]]:
    inits = [
        numpy_helper.from_array(rng.normal(0, 0.2, (32, 64)).astype(np.float32), "w1"),
        numpy_helper.from_array(rng.normal(0, 0.1, 32).astype(np.float32), "b1"),
        numpy_helper.from_array(rng.normal(0, 0.2, (10, 32)).astype(np.float32), "w2"),
        numpy_helper.from_array(rng.normal(0, 0.1, 10).astype(np.float32), "b2"),
    ]
    nodes = [
        helper.make_node("Gemm", ["x", "w1", "b1"], ["h"], transB=1, name="fc1"),
        helper.make_node("Relu", ["h"], ["r"], name="relu"),
        helper.make_node("Gemm", ["r", "w2", "b2"], ["y"], transB=1, name="fc2"),
    ]
    return _model(nodes, inits, (1, 64), [1, 10]), (1, 64)


def _model(nodes, inits, in_shape, out_shape):
    g = helper.make_graph(
        nodes,
        "m",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, list(in_shape))],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, out_shape)],
        inits,
    )
    return helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)])


def quantize(model, shape, per_channel, tmp_path, rng, fmt="QDQ"):
    class Reader(quantization.CalibrationDataReader):
        def __init__(self):
            self.data = iter(
                [{"x": rng.uniform(-1, 1, shape).astype(np.float32)} for _ in range(16)]
            )

        def get_next(self):
            return next(self.data, None)

    onnx.save(model, tmp_path / "float.onnx")
    quantization.quantize_static(
        str(tmp_path / "float.onnx"),
        str(tmp_path / "int8.onnx"),
        Reader(),
        quant_format=getattr(quantization.QuantFormat, fmt),
        activation_type=quantization.QuantType.QInt8,
        weight_type=quantization.QuantType.QInt8,
        per_channel=per_channel,
        reduce_range=True,
        extra_options={"ActivationSymmetric": True},
    )
    return tmp_path / "int8.onnx"


@pytest.mark.parametrize("builder", [conv_net, mlp])
@pytest.mark.parametrize("per_channel", [False, True])
@pytest.mark.parametrize("fmt", ["QDQ", "QOperator"])
def test_onnxruntime_quantized_models_match_onnxruntime(builder, per_channel, fmt, tmp_path):
    """QDQ: Quantize/DequantizeLinear around float ops; QOperator: QLinearConv and
    com.microsoft.QGemm."""
    rng = np.random.default_rng(0)
    model, shape = builder(rng)
    path = quantize(model, shape, per_channel, tmp_path, rng, fmt)
    assert compile_main([str(path), "-o", str(tmp_path / "m.canopy"), "-q"]) == 0
    card = canopy_ir.InferenceSession(str(tmp_path / "m.canopy"))
    reference = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    step = output_scale(onnx.load(path))
    steps = []
    for seed in range(20):
        x = np.random.default_rng(100 + seed).uniform(-1, 1, shape).astype(np.float32)
        (y,) = card.run(None, {"x": x})
        (expected,) = reference.run(None, {"x": x})
        steps.append(np.rint(np.abs(y - expected) / step))
    steps = np.concatenate([s.ravel() for s in steps])
    assert steps.max() <= 1
    assert (steps == 0).mean() >= 0.99
