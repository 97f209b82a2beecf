"""Real networks quantized by onnxruntime as users quantize them: the zoo's ResNet-18 and
MobileNet-v2 (examples/zoo.py, 64 x 64 inputs, seeded weights; BatchNorm folded by
onnxruntime's quant_pre_process) through `quantize_static` with its default arguments (QDQ, int8
asymmetric activations, symmetric int8 per-tensor weights), with per-channel weights, with uint8
activations, and in the QOperator format of the ONNX model zoo's int8 models (uint8 activations,
per-channel weights, QLinearConv and com.microsoft QLinearAdd / QLinearGlobalAveragePool / QGemm).

import-qdq makes each an integer graph, and every layer of it computes ONNX's result from ONNX's
own inputs to that layer (teacher forcing: each quantized tensor is compared with the reference
and then replaced by it): within one step everywhere, equal on >= 99.5 % of each layer's
elements (the rest are rounding near-ties). The references are `onnx.reference` on the QDQ model
with DequantizeLinear at opset 21, and onnxruntime for the contrib ops.

Free-running (the card's output against the reference's, each computing the whole network), at
224 x 224, asserted on the networks a user gets by exporting freshly built torchvision models
(BatchNorm as constructed, zoo `batchnorm="initial"`), quantized with and without
quant_pre_process: within one step on >= 99 % of the logits, mean <= 0.3 steps, as onnxruntime
itself. Not asserted on the zoo's calibrated-BatchNorm models: those random networks amplify one
one-step difference in an early layer (a near-tie rounded the other way, by the integer
arithmetic or by the reference's own float32 accumulation) into several steps at the logits, and
onnxruntime lands where the card does. `python -m bench.ort_int8` measures all of them next to
onnxruntime and next to the model's own sensitivity — onnxruntime's output when one input
element moves by one input step (rows in BENCHMARKS.md)."""

import numpy as np
import onnx
import pytest
import zoo
from models import output_scale
from onnx import helper, numpy_helper

import canopy_ir
from canopy_ir.compiler.pipeline import run_passes
from canopy_ir.dialects import graph
from canopy_ir.frontends.onnx import import_onnx
from canopy_ir.interpreters.graph import run_graph

ort = pytest.importorskip("onnxruntime")
quantization = pytest.importorskip("onnxruntime.quantization")

SIZE = 64
MODELS = {"resnet18": zoo.resnet18, "mobilenet_v2": zoo.mobilenet_v2}
CONFIGS = {
    "defaults": {},
    "per_channel": {"per_channel": True},
    "uint8": {"activation_type": "QUInt8"},
    "qoperator": {"quant_format": "QOperator", "activation_type": "QUInt8", "per_channel": True},
}


def _inputs(count: int, seed: int, size: int = SIZE) -> list[np.ndarray]:
    rng = np.random.default_rng(seed)
    return [rng.standard_normal((1, 3, size, size)).astype(np.float32) for _ in range(count)]


def quantize_static(
    model: onnx.ModelProto, tmp, size: int = SIZE, pre_process: bool = True, **options
) -> onnx.ModelProto:
    """BatchNorm folded (quant_pre_process, unless not `pre_process`), then quantize_static with
    `options` over defaults, calibrated on four seeded random images."""
    from onnxruntime.quantization.shape_inference import quant_pre_process

    class Reader(quantization.CalibrationDataReader):
        def __init__(self):
            self.data = iter({"input": x} for x in _inputs(4, seed=1, size=size))

        def get_next(self):
            return next(self.data, None)

    for key, enum in (("quant_format", "QuantFormat"), ("activation_type", "QuantType")):
        if key in options:
            options[key] = getattr(getattr(quantization, enum), options[key])
    onnx.save(model, tmp / "float.onnx")
    source = tmp / "float.onnx"
    if pre_process:
        quant_pre_process(source, tmp / "pre.onnx", skip_symbolic_shape=True)
        source = tmp / "pre.onnx"
    quantization.quantize_static(source, tmp / "int8.onnx", Reader(), **options)
    return onnx.load(tmp / "int8.onnx")


@pytest.fixture(scope="module", params=[(m, c) for m in MODELS for c in CONFIGS], ids="-".join)
def quantized(request, tmp_path_factory):
    name, config = request.param
    model = quantize_static(
        MODELS[name](size=SIZE), tmp_path_factory.mktemp(f"{name}-{config}"), **CONFIGS[config]
    )
    module = import_onnx(model)
    run_passes(module, ["import-qdq"])
    return name, config, model, module


def reference_values(model: onnx.ModelProto, x: np.ndarray) -> dict[str, np.ndarray]:
    """Every tensor of `model` on input x: onnx.reference for QDQ models (DequantizeLinear at
    opset 21, i.e. 19+), onnxruntime when the model has contrib ops."""
    m = onnx.ModelProto()
    m.CopyFrom(model)
    names = [o for n in m.graph.node for o in n.output if o]
    del m.graph.output[:]
    m.graph.output.extend(helper.make_empty_tensor_value_info(n) for n in names)
    if any(n.domain not in ("", "ai.onnx") for n in m.graph.node):
        session = ort.InferenceSession(m.SerializeToString(), providers=["CPUExecutionProvider"])
        return dict(zip(names, session.run(None, {"input": x}), strict=True))
    from onnx.reference import ReferenceEvaluator

    for opset in m.opset_import:
        if opset.domain in ("", "ai.onnx"):
            opset.version = 21
    return dict(zip(names, ReferenceEvaluator(m).run(None, {"input": x}), strict=True))


def teacher_forced(module, model, x) -> list[tuple[str, np.ndarray]]:
    """Run the integer graph op by op; each int8 result that is an ONNX tensor is compared with
    the reference's (uint8 ones as q − 128) and replaced by it. (layer, |difference|) per tensor."""
    from xdsl.dialects import func
    from xdsl.interpreter import Interpreter

    from canopy_ir.interpreters.graph import GraphFunctions

    ref = reference_values(model, x)
    tensor_of = {n.name or n.output[0]: n.output[0] for n in model.graph.node}
    main = next(op for op in module.ops if isinstance(op, func.FuncOp))
    interp = Interpreter(module)
    interp.register_implementations(GraphFunctions(module))
    values, diffs = {main.args[0]: x}, []
    for op in main.body.block.ops:
        if isinstance(op, func.ReturnOp):
            return diffs
        results = list(interp.run_op(op, tuple(values[v] for v in op.operands)))
        node = op.attributes.get("onnx_node")
        expected = ref.get(tensor_of.get(node.data)) if node is not None else None
        if (
            expected is not None
            and expected.dtype in (np.int8, np.uint8)
            and graph.elem_of(op.results[0]) == graph.i8  # not a layer's int32 accumulator
            and expected.shape == results[0].shape  # nor a convolution's zero-point padding
        ):
            expected = expected.astype(np.int64) - (128 if expected.dtype == np.uint8 else 0)
            diffs.append((node.data, np.abs(results[0].astype(np.int64) - expected)))
            results[0] = expected.astype(np.int8)
        values.update(zip(op.results, results, strict=True))
    return diffs


def test_imports_as_an_integer_graph(quantized):
    """Only the model's input quantize and output dequantize stay in float (host); residual adds
    are graph.qadd, the global average pool graph.qavg_pool, zero-point padding graph.pad."""
    name, config, model, module = quantized
    ops = [op for op in module.walk() if isinstance(op, graph.GraphOp)]
    float_ops = sorted(
        op.name
        for op in ops
        if any(graph.elem_of(v) == graph.f32 for v in (*op.operands, *op.results))
    )
    assert float_ops == ["graph.dequantize", "graph.quantize"]
    names = [op.name for op in ops]
    assert names.count("graph.qadd") == {"resnet18": 8, "mobilenet_v2": 10}[name]
    assert names.count("graph.qavg_pool") == 1
    assert names.count("graph.conv2d") == {"resnet18": 20, "mobilenet_v2": 52}[name]
    assert names.count("graph.requantize") == names.count("graph.conv2d") + 1  # + the classifier
    assert "graph.pad" in names  # inputs with zero points other than 0 are padded with them


def test_every_layer_computes_onnx_semantics(quantized):
    """Teacher-forced, on two seeded inputs: every quantized tensor within one step of ONNX's,
    equal on >= 99.5 % of its elements; the output (given ONNX's inputs to the classifier)
    within one step on every element, mean <= 0.3 steps."""
    name, config, model, module = quantized
    for x in _inputs(2, seed=100):
        diffs = teacher_forced(module, model, x)
        assert len(diffs) >= {"resnet18": 30, "mobilenet_v2": 64}[name]
        for layer, d in diffs:
            assert d.max() <= 1, layer
            assert (d == 0).mean() >= 0.995, layer
        out = diffs[-1][1]
        assert (out <= 1).mean() >= 0.99 and out.mean() <= 0.3


@pytest.mark.parametrize(
    "name, pre_process",
    [("resnet18", True), ("resnet18", False), ("mobilenet_v2", True), ("mobilenet_v2", False)],
    ids=[
        "resnet18-preprocessed",
        "resnet18-defaults-only",
        "mobilenet_v2-preprocessed",
        "mobilenet_v2-defaults-only",
    ],
)
def test_free_running_output_matches_onnx_semantics(name, pre_process, tmp_path):
    """The freshly built torchvision network at 224 x 224 (BatchNorm as constructed), quantized by
    quantize_static with its defaults: the card's output against onnx.reference's on four seeded
    images, each network computed whole by each: within one step on >= 99 % of the logits, mean
    <= 0.3 steps."""
    from canopy_ir.compiler.driver import compile_model

    size = 224
    model = quantize_static(
        MODELS[name](size=size, batchnorm="initial"), tmp_path, size, pre_process
    )
    onnx.save(model, tmp_path / "int8.onnx")
    compile_model(tmp_path / "int8.onnx", tmp_path / "m.canopy")
    card = canopy_ir.InferenceSession(str(tmp_path / "m.canopy"))
    reference = onnx.ModelProto()
    reference.CopyFrom(model)
    for opset in reference.opset_import:
        if opset.domain in ("", "ai.onnx"):
            opset.version = 21  # DequantizeLinear as in opset 19+
    from onnx.reference import ReferenceEvaluator

    evaluator, step = ReferenceEvaluator(reference), output_scale(model)
    steps = []
    for x in _inputs(4, seed=100, size=size):
        (want,) = evaluator.run(None, {"input": x})
        (got,) = card.run(None, {"input": x})
        steps.append(np.rint(np.abs(got - want) / step))
    steps = np.concatenate(steps).ravel()
    assert (steps <= 1).mean() >= 0.99 and steps.mean() <= 0.3, (steps.max(), steps.mean())


def test_unfolded_batch_norms_run_on_the_accelerator(tmp_path, capsys):
    """Quantized without quant_pre_process, ResNet-18's BatchNormalizations stay between a
    convolution's quantized output and the next quantization: each becomes graph.qaffine (per
    channel, M_c · (x − z_x) + O_c, then the rounding shift) and runs on the accelerator, so the
    whole network is one segment (`--accel-only` compiles it) and its output equals the
    integer graph interpreter's."""
    from canopy_ir.compiler.driver import compile_model
    from canopy_ir.tools.compile import main as compile_main

    model = quantize_static(MODELS["resnet18"](size=32), tmp_path, 32, pre_process=False)
    onnx.save(model, tmp_path / "int8.onnx")
    module = import_onnx(model)
    run_passes(module, ["import-qdq"])
    names = [op.name for op in module.walk() if isinstance(op, graph.GraphOp)]
    assert names.count("graph.qaffine") == 20 and "graph.batch_norm" not in names
    args = [str(tmp_path / "int8.onnx"), "-o", str(tmp_path / "m.canopy"), "--accel-only"]
    assert compile_main(args) == 0
    assert "  host: " not in capsys.readouterr().err
    compile_model(tmp_path / "int8.onnx", tmp_path / "m.canopy")
    card = canopy_ir.InferenceSession(str(tmp_path / "m.canopy"))
    for x in _inputs(2, seed=7, size=32):
        np.testing.assert_array_equal(card.run(None, {"input": x})[0], run_graph(module, x)[0])


def _qoperator_model(nodes, inputs, output, inits) -> onnx.ModelProto:
    g = helper.make_graph(
        nodes,
        "contrib",
        [helper.make_tensor_value_info(n, onnx.TensorProto.FLOAT, s) for n, s in inputs],
        [helper.make_tensor_value_info(output[0], onnx.TensorProto.FLOAT, output[1])],
        [numpy_helper.from_array(v, k) for k, v in inits.items()],
    )
    opsets = [helper.make_opsetid("", 13), helper.make_opsetid("com.microsoft", 1)]
    return helper.make_model(g, opset_imports=opsets)


def _contrib_case(op: str, dtype, attrs: dict):
    """x (and z) → QuantizeLinear → com.microsoft.<op> → DequantizeLinear, scales and zero points
    of every tensor different (scale ratios without short binary expansions, so that exact
    rounding ties, where ONNX rounds half to even and the integer ops half up, are rare)."""
    zp = (lambda v: np.uint8(v + 128)) if dtype == np.uint8 else np.int8
    inits = {"sx": np.float32(0.0213), "zx": zp(-5), "sz": np.float32(0.0461), "zz": zp(17)}
    inits |= {"sy": np.float32(0.0297), "zy": zp(9)}
    nodes = [
        helper.make_node("QuantizeLinear", ["x", "sx", "zx"], ["xq"]),
        helper.make_node("QuantizeLinear", ["z", "sz", "zz"], ["zq"]),
    ]
    shape, out = [1, 3, 6, 6], [1, 3, 6, 6]
    if op in ("QLinearAdd", "QLinearMul"):
        ins = ["xq", "sx", "zx", "zq", "sz", "zz", "sy", "zy"]
    elif op == "QLinearConcat":
        ins, out = ["sy", "zy", "xq", "sx", "zx", "zq", "sz", "zz"], [1, 6, 6, 6]
    else:
        ins = ["xq", "sx", "zx", "sy", "zy"]
        out = [1, 3, 1, 1] if op == "QLinearGlobalAveragePool" else [1, 3, 3, 3]
    nodes.append(helper.make_node(op, ins, ["yq"], domain="com.microsoft", **attrs))
    nodes.append(helper.make_node("DequantizeLinear", ["yq", "sy", "zy"], ["y"]))
    return _qoperator_model(nodes, [("x", shape), ("z", shape)], ("y", out), inits)


AVG_PADDED = {"kernel_shape": [3, 3], "strides": [2, 2], "pads": [1] * 4}
AVG_INCLUDING_PAD = {"kernel_shape": [2, 2], "strides": [2, 2], "count_include_pad": 1}


@pytest.mark.parametrize("dtype", [np.int8, np.uint8])
@pytest.mark.parametrize(
    "op, attrs, integer_op",
    [
        ("QLinearAdd", {}, "graph.qadd"),
        ("QLinearConcat", {"axis": 1}, "graph.rescale"),
        ("QLinearGlobalAveragePool", {}, "graph.qavg_pool"),
        ("QLinearAveragePool", AVG_PADDED, "graph.qavg_pool"),
        ("QLinearAveragePool", AVG_INCLUDING_PAD, "graph.qavg_pool"),
        ("QLinearMul", {}, "graph.mul"),
        ("QLinearSigmoid", {}, "graph.unary"),
    ],
)  # fmt: skip
def test_contrib_ops_match_onnxruntime(op, attrs, integer_op, dtype):
    """The com.microsoft QLinear ops import as their integer forms (Mul, Sigmoid: float islands)
    and give onnxruntime's results within one step, equal on >= 99 % of the elements."""
    model = _contrib_case(op, dtype, attrs)
    module = import_onnx(model)
    run_passes(module, ["import-qdq"])
    assert integer_op in [o.name for o in module.walk()]
    session = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
    rng = np.random.default_rng(3)
    feeds = {k: rng.uniform(-3, 3, (1, 3, 6, 6)).astype(np.float32) for k in ("x", "z")}
    (expected,) = session.run(None, feeds)
    (got,) = run_graph(module, feeds["x"], feeds["z"])
    steps = np.rint(np.abs(got - expected) / np.float32(0.0297))
    assert steps.max() <= 1 and (steps == 0).mean() >= 0.99


@pytest.mark.parametrize("per_column", [False, True])
def test_qlinear_matmul_with_constant_weights_is_a_dense_layer(per_column):
    """QLinearMatMul(x, B) with a constant B imports as dense over Bᵀ: an integer layer with its
    requantization (input zero point folded into the bias), within one step of onnxruntime."""
    rng = np.random.default_rng(0)
    b = rng.integers(-127, 128, (16, 5)).astype(np.int8)
    sb = rng.uniform(0.002, 0.004, 5 if per_column else ()).astype(np.float32)
    inits = {"sx": np.float32(0.0213), "zx": np.int8(-9), "b": b, "sb": sb}
    inits |= {"zb": np.zeros(sb.shape, np.int8), "sy": np.float32(0.0517), "zy": np.int8(3)}
    nodes = [
        helper.make_node("QuantizeLinear", ["x", "sx", "zx"], ["xq"]),
        helper.make_node("QLinearMatMul", ["xq", "sx", "zx", "b", "sb", "zb", "sy", "zy"], ["yq"]),
        helper.make_node("DequantizeLinear", ["yq", "sy", "zy"], ["y"]),
    ]
    model = _qoperator_model(nodes, [("x", [4, 16])], ("y", [4, 5]), inits)
    module = import_onnx(model)
    run_passes(module, ["import-qdq"])
    assert {"graph.dense", "graph.requantize"} <= {o.name for o in module.walk()}
    x = rng.uniform(-2, 2, (4, 16)).astype(np.float32)
    session = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
    (expected,) = session.run(None, {"x": x})
    steps = np.rint(np.abs(run_graph(module, x)[0] - expected) / np.float32(0.0517))
    assert steps.max() <= 1 and (steps == 0).mean() >= 0.95
