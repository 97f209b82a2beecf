"""Real-network layers on the accelerator: a residual block (max pooling, residual add, global
average pooling, flatten) and a MobileNet-style block (depthwise and grouped convolution, ReLU6,
residual add, average pooling with border counts, channel concatenation, ceil_mode max pooling,
ReduceMean) quantized by onnxruntime's quantize_static, with symmetric int8 activations and with
its defaults (uint8 asymmetric: zero points, rescales, zero-point padding). `canopy-compile` puts
every one of these ops on the accelerator (the partition dump and summary say so), and the card's
results equal the integer graph interpreter's exactly and onnxruntime's within one step."""

import numpy as np
import onnx
import pytest
from models import output_scale
from onnx import TensorProto, helper, numpy_helper

import canopy_ir
from canopy_ir.compiler.driver import compile_model
from canopy_ir.interpreters.graph import run_graph
from canopy_ir.tools.compile import main as compile_main

ort = pytest.importorskip("onnxruntime")
quantization = pytest.importorskip("onnxruntime.quantization")


class _Net:
    def __init__(self, seed: int):
        self.rng = np.random.default_rng(seed)
        self.inits, self.nodes, self.count = [], [], 0

    def param(self, shape, std: float) -> str:
        self.count += 1
        name = f"p{self.count}"
        values = self.rng.normal(0, std, shape).astype(np.float32)
        self.inits.append(numpy_helper.from_array(values, name))
        return name

    def node(self, op: str, inputs: list[str], name: str, **attrs) -> str:
        self.nodes.append(helper.make_node(op, inputs, [name], name=name, **attrs))
        return name

    def conv(self, x, cin, cout, k, name, stride=1, group=1, act="relu") -> str:
        fan = cin // group * k * k
        y = self.node(
            "Conv",
            [x, self.param((cout, cin // group, k, k), (2 / fan) ** 0.5), self.param(cout, 0.1)],
            name,
            kernel_shape=[k, k],
            strides=[stride, stride],
            pads=[k // 2] * 4,
            group=group,
        )
        if act == "relu":
            return self.node("Relu", [y], f"{name}_relu")
        if act == "relu6":
            for bound, v in (("lo", 0.0), ("hi", 6.0)):
                self.inits.append(numpy_helper.from_array(np.float32(v), f"{name}_{bound}"))
            return self.node("Clip", [y, f"{name}_lo", f"{name}_hi"], f"{name}_relu6")
        return y

    def model(self, out: str, in_shape, out_shape) -> onnx.ModelProto:
        g = helper.make_graph(
            self.nodes,
            "m",
            [helper.make_tensor_value_info("x", TensorProto.FLOAT, list(in_shape))],
            [helper.make_tensor_value_info(out, TensorProto.FLOAT, list(out_shape))],
            self.inits,
        )
        model = helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)])
        onnx.checker.check_model(model)
        return model


def residual_net() -> onnx.ModelProto:
    b = _Net(0)
    x = b.conv("x", 3, 16, 3, "conv1")
    p = b.node("MaxPool", [x], "pool1", kernel_shape=[3, 3], strides=[2, 2], pads=[1, 1, 1, 1])
    y = b.conv(b.conv(p, 16, 16, 3, "conv2"), 16, 16, 3, "conv3", act=None)
    s = b.node("Relu", [b.node("Add", [y, p], "add1")], "add1_relu")
    f = b.node("Flatten", [b.node("GlobalAveragePool", [s], "gap")], "flatten")
    out = b.node("Gemm", [f, b.param((10, 16), 0.3), b.param(10, 0.1)], "fc", transB=1)
    return b.model(out, (1, 3, 16, 16), (1, 10))


def mobile_net() -> onnx.ModelProto:
    b = _Net(1)
    x = b.conv("x", 3, 24, 1, "expand", act="relu6")
    d = b.conv(x, 24, 24, 3, "dw", group=24, act="relu6")
    s = b.node("Add", [b.conv(d, 24, 24, 1, "project", act=None), x], "add1")
    a = b.node("AveragePool", [s], "avgpool", kernel_shape=[3, 3], pads=[1, 1, 1, 1])
    c = b.node("Concat", [a, b.conv(s, 24, 8, 1, "branch")], "concat", axis=1)
    m = b.node("MaxPool", [c], "pool2", kernel_shape=[3, 3], strides=[2, 2], ceil_mode=1)
    r = b.node(
        "ReduceMean", [b.conv(m, 32, 32, 3, "grouped", group=4)], "mean", axes=[2, 3], keepdims=0
    )
    out = b.node("Gemm", [r, b.param((10, 32), 0.3), b.param(10, 0.1)], "fc", transB=1)
    return b.model(out, (1, 3, 13, 13), (1, 10))


NETS = {
    "residual": (residual_net, (1, 3, 16, 16)),
    "mobile": (mobile_net, (1, 3, 13, 13)),
}


def quantized(tmp_path, name: str, symmetric: bool):
    build, shape = NETS[name]
    onnx.save(build(), tmp_path / "float.onnx")
    rng = np.random.default_rng(2)

    class Reader(quantization.CalibrationDataReader):
        def __init__(self):
            self.data = iter(
                [{"x": rng.uniform(-1, 1, shape).astype(np.float32)} for _ in range(8)]
            )

        def get_next(self):
            return next(self.data, None)

    options = dict(
        activation_type=quantization.QuantType.QInt8,
        weight_type=quantization.QuantType.QInt8,
        extra_options={"ActivationSymmetric": True},
    )
    quantization.quantize_static(
        str(tmp_path / "float.onnx"),
        str(tmp_path / "int8.onnx"),
        Reader(),
        quant_format=quantization.QuantFormat.QDQ,
        reduce_range=True,
        **(options if symmetric else {}),
    )
    return tmp_path / "int8.onnx"


def _targets(dump: str) -> dict[str, set[str]]:
    """Op names per target in a graph-partition dump, by ONNX node of their layer."""
    found: dict[str, set[str]] = {}
    for line in dump.splitlines():
        if "canopy.target" not in line or "graph." not in line:
            continue
        op = line.split("graph.", 1)[1].split()[0]
        target = line.split('canopy.target = "', 1)[1].split('"', 1)[0]
        found.setdefault(target, set()).add(op)
    return found


@pytest.mark.parametrize("symmetric", [True, False], ids=["symmetric", "uint8-asymmetric"])
@pytest.mark.parametrize("name", sorted(NETS))
def test_real_network_ops_run_on_the_accelerator(name, symmetric, tmp_path, capsys):
    path = quantized(tmp_path, name, symmetric)
    out = tmp_path / "m.canopy"
    assert compile_main([str(path), "-o", str(out), "--dump-dir", str(tmp_path / "d")]) == 0
    summary = capsys.readouterr().err
    assert "partition: accelerator:" in summary and "host:" not in summary, summary
    targets = _targets((tmp_path / "d" / "02-graph-partition.mlir").read_text())
    expected = {"pool", "qadd", "qavg_pool", "conv2d", "requantize", "reshape"}
    if name == "mobile":
        expected |= {"concat"}
    if not symmetric:
        expected |= {"pad", "rescale"} if name == "mobile" else {"pad"}
    assert expected <= targets["accelerator"]
    assert targets["host"] == {"quantize", "dequantize"}  # the model's float boundary only

    integer = compile_model(path, tmp_path / "int.mlir", stop_after="graph-partition").module
    card = canopy_ir.InferenceSession(str(out))
    reference = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    step = output_scale(onnx.load(path))
    shape = NETS[name][1]
    for seed in range(6):
        x = np.random.default_rng(10 + seed).uniform(-1, 1, shape).astype(np.float32)
        (y,) = card.run(None, {"x": x})
        np.testing.assert_array_equal(y, run_graph(integer, x)[0])
        (expected_y,) = reference.run(None, {"x": x})
        assert np.rint(np.abs(y - expected_y) / step).max() <= 1
