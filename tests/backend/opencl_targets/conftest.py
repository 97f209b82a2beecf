"""Models compiled for each target, and the OpenCL device the target tests run on (PoCL on CI):
tests that need a device skip with the reason when pyopencl or a platform is missing, and fail
instead when CANOPY_CI=1 (CI must run them)."""

import os

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper, numpy_helper

from canopy_ir.compiler.driver import compile_model
from canopy_ir.errors import CanopyError

SHAPE = (1, 3, 16, 16)


@pytest.fixture(scope="session")
def rt():
    """The OpenCL runtime of the default device ($CANOPY_OPENCL_DEVICE, else the first GPU,
    else the first device)."""
    from canopy_ir.backend.opencl.codegen.runtime import get_runtime

    try:
        return get_runtime()
    except CanopyError as e:
        if os.environ.get("CANOPY_CI") == "1":
            pytest.fail(f"CANOPY_CI=1 needs an OpenCL device: {e}", pytrace=False)
        pytest.skip(str(e))


def residual_net(rng, softmax: bool) -> onnx.ModelProto:
    """conv-relu-maxpool, conv-relu plus the pooled tensor (a residual add), global average
    pooling, flatten, fc, and optionally a softmax head."""

    def init(name, shape, std):
        return numpy_helper.from_array(rng.normal(0, std, shape).astype(np.float32), name)

    inits = [init("w1", (8, 3, 3, 3), 0.3), init("b1", (8,), 0.1), init("w2", (8, 8, 3, 3), 0.2)]
    inits += [init("b2", (8,), 0.1), init("w3", (10, 8), 0.3), init("b3", (10,), 0.1)]
    node = helper.make_node
    nodes = [
        node("Conv", ["x", "w1", "b1"], ["c1"], pads=[1, 1, 1, 1], name="conv1"),
        node("Relu", ["c1"], ["r1"], name="relu1"),
        node("MaxPool", ["r1"], ["p1"], kernel_shape=[2, 2], strides=[2, 2], name="pool1"),
        node("Conv", ["p1", "w2", "b2"], ["c2"], pads=[1, 1, 1, 1], name="conv2"),
        node("Relu", ["c2"], ["r2"], name="relu2"),
        node("Add", ["r2", "p1"], ["s"], name="residual"),
        node("GlobalAveragePool", ["s"], ["g"], name="gap"),
        node("Flatten", ["g"], ["f"], name="flatten"),
        node("Gemm", ["f", "w3", "b3"], ["logits"], transB=1, name="fc"),
    ]
    out = "logits"
    if softmax:
        nodes.append(node("Softmax", ["logits"], ["y"], axis=1, name="softmax"))
        out = "y"
    graph = helper.make_graph(
        nodes,
        "residual",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, list(SHAPE))],
        [helper.make_tensor_value_info(out, TensorProto.FLOAT, [1, 10])],
        inits,
    )
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])


def quantize_static(folder, model: onnx.ModelProto) -> str:
    """onnxruntime's quantize_static with its defaults (QDQ, uint8 asymmetric activations, so
    zero points, explicit zero-point padding and graph.qadd/qavg_pool appear)."""
    quantization = pytest.importorskip("onnxruntime.quantization")
    rng = np.random.default_rng(1)
    onnx.save(model, folder / "float.onnx")

    class Reader(quantization.CalibrationDataReader):
        def __init__(self):
            samples = [rng.uniform(-1, 1, SHAPE).astype(np.float32) for _ in range(8)]
            self.data = iter({"x": x} for x in samples)

        def get_next(self):
            return next(self.data, None)

    out = folder / "int8.onnx"
    quantization.quantize_static(
        str(folder / "float.onnx"), str(out), Reader(), quant_format=quantization.QuantFormat.QDQ
    )
    return str(out)


def compile_targets(model_path, folder, targets=("sim", "opencl")) -> dict[str, str]:
    paths = {}
    for target in targets:
        paths[target] = str(folder / f"m.{target}.canopy")
        compile_model(model_path, paths[target], target=target)
    return paths


@pytest.fixture(scope="session")
def small_cnn(tmp_path_factory) -> dict[str, str]:
    from small_cnn import build_small_cnn

    folder = tmp_path_factory.mktemp("small_cnn")
    onnx.save(build_small_cnn(), folder / "m.onnx")
    return compile_targets(folder / "m.onnx", folder, ("sim", "opencl", "accel-opencl"))


@pytest.fixture(scope="session", params=[False, True], ids=["dequantize-out", "softmax-head"])
def residual(request, tmp_path_factory) -> dict[str, str]:
    folder = tmp_path_factory.mktemp("residual")
    path = quantize_static(folder, residual_net(np.random.default_rng(0), request.param))
    return compile_targets(path, folder) | {"softmax": request.param}
