"""TVM interoperation (`canopy_ir.frontends.tvm`), with TVM as the second, independent oracle.

- Relax import: ONNX → TVM's own importer (`from_onnx`) → `import_relax` → graph interpreter equals
  TVM's CPU build of the same Relax module;
- Relax export: ONNX → canopy-ir's importer → `export_relax` → TVM's CPU build equals the graph
  interpreter (float, QDQ and integer graphs; bit-exact for integers);
on examples/small_cnn.py's float and QDQ models, tests/models.py's QDQ builders, and
examples/zoo.py's ResNet-18 and MobileNetV2; plus every graph op both ways, the errors, the
TVM-less case, and docs/tvm.md, run block by block.
"""

import ast
import importlib.util
import os
import re
import subprocess
import sys
import tomllib
from functools import cache
from pathlib import Path

import numpy as np
import onnx
import pytest
import zoo
from models import build_qdq_model, output_scale
from onnx import TensorProto, helper, numpy_helper
from small_cnn import build_small_cnn, float_model

from canopy_ir.compiler.pipeline import run_passes
from canopy_ir.dialects import graph
from canopy_ir.errors import FrontendError
from canopy_ir.frontends.onnx import import_onnx
from canopy_ir.frontends.tvm import (
    INSTALL_HINT,
    UnsupportedRelaxOpError,
    export_relax,
    import_relax,
    run_relax,
)
from canopy_ir.interpreters.graph import run_graph
from canopy_ir.ir import parse_module
from canopy_ir.passes import GRAPH_PIPELINE

tvm = pytest.importorskip("tvm")
from tvm import relax  # noqa: E402
from tvm.relax.frontend import detach_params  # noqa: E402
from tvm.relax.frontend.onnx import from_onnx  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]


# ---- models --------------------------------------------------------------------------------------
def small_cnn_float() -> onnx.ModelProto:
    """examples/small_cnn.py's float model (the weights it quantizes) as a float ONNX model."""
    p = float_model()
    inits = [numpy_helper.from_array(p[k], k) for k in ("w1", "b1", "w2", "b2", "w3", "b3")]
    nodes = [
        helper.make_node("Conv", ["input", "w1", "b1"], ["c1"], name="conv1", pads=[1] * 4),
        helper.make_node("Relu", ["c1"], ["r1"], name="relu1"),
        helper.make_node(
            "Conv", ["r1", "w2", "b2"], ["c2"], name="conv2", pads=[1] * 4, strides=[2, 2]
        ),
        helper.make_node("Relu", ["c2"], ["r2"], name="relu2"),
        helper.make_node("Flatten", ["r2"], ["flat"], name="flatten"),
        helper.make_node("Gemm", ["flat", "w3", "b3"], ["output"], name="fc", transB=1),
    ]
    g = helper.make_graph(
        nodes,
        "small_cnn_float",
        [helper.make_tensor_value_info("input", TensorProto.FLOAT, list(p["shape"]))],
        [helper.make_tensor_value_info("output", TensorProto.FLOAT, [1, 10])],
        inits,
    )
    return helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)])


BUILDERS = {
    "small_cnn_float": small_cnn_float,
    "small_cnn_qdq": build_small_cnn,
    "qdq_convs": lambda: build_qdq_model(
        (1, 3, 9, 9),
        [("conv", 8, 3, 2, 1, 1, True, True), ("conv", 5, 1, 1, 0, 1, False, False)],
        seed=3,
    ),
    "qdq_conv_dense": lambda: build_qdq_model(
        (2, 3, 6, 6),
        [("conv", 4, 3, 1, 1, 2, True, False), ("flatten",), ("dense", 7, True, True)],
        seed=4,
    ),
    "resnet18": lambda: zoo.resnet18(size=64),
    "mobilenet_v2": lambda: zoo.mobilenet_v2(size=32, width_mult=0.35),
}
QDQ = {"small_cnn_qdq", "qdq_convs", "qdq_conv_dense"}


@cache
def model(name: str) -> onnx.ModelProto:
    return BUILDERS[name]()


def model_input(name: str, seed: int = 0) -> np.ndarray:
    dims = model(name).graph.input[0].type.tensor_type.shape.dim
    shape = [d.dim_value for d in dims]
    return np.random.default_rng(seed).uniform(-1, 1, shape).astype(np.float32)


@cache
def tvm_module(name: str):
    return from_onnx(model(name))


@cache
def tvm_result(name: str) -> np.ndarray:
    (y,) = run_relax(tvm_module(name), model_input(name))
    return y


def assert_agree(name: str, ours: np.ndarray, theirs: np.ndarray) -> None:
    """Float models to float32 rounding; QDQ models to the int8 output step, nearly all equal."""
    assert ours.shape == theirs.shape and ours.dtype == theirs.dtype
    if name in QDQ:
        step = output_scale(model(name))
        assert np.abs(ours - theirs).max() <= step + 1e-9
        assert np.mean(ours == theirs) >= 0.99
    else:
        np.testing.assert_allclose(ours, theirs, rtol=1e-4, atol=1e-4 * np.abs(theirs).max())


def op_names(module) -> list[str]:
    return [op.name for op in module.walk()]


# ---- ONNX → TVM → canopy-ir, and ONNX → canopy-ir → TVM ------------------------------------------
@pytest.mark.parametrize("name", sorted(BUILDERS))
def test_importing_tvms_relax_computes_what_tvm_computes(name):
    graph_mod = import_relax(tvm_module(name))
    (ours,) = run_graph(graph_mod, model_input(name))
    assert_agree(name, ours, tvm_result(name))


@pytest.mark.parametrize("name", sorted(set(BUILDERS) - {"mobilenet_v2"}))
def test_exported_relax_computes_what_the_graph_interpreter_computes(name):
    graph_mod = import_onnx(model(name))
    x = model_input(name, seed=1)
    (ours,) = run_graph(graph_mod, x)
    (theirs,) = run_relax(export_relax(graph_mod), x)
    assert_agree(name, ours, theirs)


@pytest.mark.parametrize("name", ["small_cnn_float", "small_cnn_qdq", "resnet18", "mobilenet_v2"])
def test_the_tvm_route_gives_the_onnx_importers_graph(name):
    """Bias adds, transposed weights and clips are folded back: the same ops, in the same order,
    before and after the graph passes (batch norms folded into the convolutions)."""
    via_tvm, direct = import_relax(tvm_module(name)), import_onnx(model(name))
    assert op_names(via_tvm) == op_names(direct)
    run_passes(via_tvm, GRAPH_PIPELINE)
    run_passes(direct, GRAPH_PIPELINE)
    assert op_names(via_tvm) == op_names(direct)
    x = model_input(name, seed=2)
    np.testing.assert_allclose(run_graph(via_tvm, x)[0], run_graph(direct, x)[0], rtol=1e-6)
    if name in ("resnet18", "mobilenet_v2"):
        assert not any(isinstance(op, graph.BatchNormOp) for op in via_tvm.walk())


def test_zoo_activations_stay_in_range_through_tvm():
    """The zoo's calibrated batch norms keep ResNet-18's logits at unit scale on TVM too."""
    logits = tvm_result("resnet18")
    assert logits.shape == (1, 1000)
    assert 0.1 < logits.std() < 10


# ---- integer graphs: TVM as the oracle of canopy-ir's integer semantics --------------------------
@pytest.mark.parametrize("name", ["small_cnn_qdq", "qdq_conv_dense"])
def test_integer_graph_exports_bit_exact(name):
    module = import_onnx(model(name))
    run_passes(module, ["import-qdq"])
    assert any(isinstance(op, graph.RequantizeOp) for op in module.walk())
    x = model_input(name, seed=3)
    np.testing.assert_array_equal(run_relax(export_relax(module), x)[0], run_graph(module, x)[0])


def test_fixed_point_per_channel_requantization_exports_bit_exact(tmp_path):
    calibration = tmp_path / "calibration.npz"
    np.savez(calibration, input=np.random.default_rng(5).uniform(-1, 1, (8, 3, 12, 12)))
    module = import_onnx(small_cnn_float())
    run_passes(module, [f'graph-quantize{{mode=fixed per_channel=1 calibration="{calibration}"}}'])
    qdq = export_relax(module)  # per-channel dequantization, before import-qdq
    run_passes(module, ["import-qdq"])
    requantize = [op for op in module.walk() if isinstance(op, graph.RequantizeOp)]
    assert requantize and all(len(op.multiplier_values) > 1 for op in requantize)
    x = model_input("small_cnn_float", seed=4)
    np.testing.assert_array_equal(run_relax(export_relax(module), x)[0], run_graph(module, x)[0])
    (reference,) = run_relax(qdq, x)  # the QDQ float model, on TVM: one output step at most
    step = [op for op in module.walk() if isinstance(op, graph.DequantizeOp)][-1].scale.value.data
    assert np.abs(run_graph(module, x)[0] - reference).max() <= step


# ---- every graph op, both ways -------------------------------------------------------------------
OPS_SHAPE = (1, 4, 6, 6)


def ops_model() -> onnx.ModelProto:
    """One ONNX model with a branch per op kind, all reading inputs x (any sign) and p (> 0)."""
    rng = np.random.default_rng(0)
    inits = {
        "w_dw": rng.normal(0, 0.5, (4, 1, 3, 3)),
        "lo": np.float32(-0.25),
        "starts": np.array([5, 0]),
        "ends": np.array([-100, 6]),
        "axes": np.array([3, 2]),
        "steps": np.array([-2, 2]),
        "pads": np.array([0, 0, 1, 2, 0, 0, 2, 1]),
        "pad_value": np.float32(0.5),
        "axes23": np.array([2, 3]),
        "scales": np.array([1, 1, 2, 1.5], np.float32),
        "indices": np.array([[-1, 0], [2, -3]]),
        "bn_scale": rng.uniform(0.5, 1.5, 4),
        "bn_bias": rng.normal(0, 1, 4),
        "bn_mean": rng.normal(0, 1, 4),
        "bn_var": rng.uniform(0.5, 2, 4),
        "ln_scale": rng.uniform(0.5, 1.5, (6, 6)),
        "ln_bias": rng.normal(0, 1, (6, 6)),
    }
    conv = dict(group=4, kernel_shape=[3, 3], dilations=[2, 2], pads=[2, 1, 2, 1], strides=[1, 2])
    unary = ("Exp", "Tanh", "Erf", "Sigmoid", "Abs", "Neg", "Floor", "Ceil", "Sin", "Cos", "Relu")
    branches = [
        ("Conv", ["x", "w_dw"], conv),
        *[(op, ["x", "p"], {}) for op in ("Sub", "Mul", "Div", "Max", "Min", "MatMul")],
        ("Pow", ["p", "x"], {}),
        *[(op, ["x"], {}) for op in unary],
        *[(op, ["p"], {}) for op in ("Log", "Sqrt", "Reciprocal")],
        ("Clip", ["x", "lo"], {}),
        ("LeakyRelu", ["x"], dict(alpha=0.1)),
        ("Softmax", ["x"], dict(axis=1)),
        ("LogSoftmax", ["x"], dict(axis=-1)),
        ("Transpose", ["x"], dict(perm=[0, 2, 3, 1])),
        ("Slice", ["x", "starts", "ends", "axes", "steps"], {}),
        ("Pad", ["x", "pads", "pad_value"], dict(mode="constant")),
        ("Pad", ["x", "pads"], dict(mode="reflect")),
        ("Pad", ["x", "pads"], dict(mode="edge")),
        ("MaxPool", ["x"], dict(kernel_shape=[3, 3], strides=[2, 2], ceil_mode=1)),
        (
            "AveragePool",
            ["x"],
            dict(
                kernel_shape=[3, 3], strides=[2, 2], pads=[1] * 4, ceil_mode=1, count_include_pad=1
            ),
        ),
        ("AveragePool", ["x"], dict(kernel_shape=[2, 2], strides=[2, 2], pads=[1, 0, 1, 0])),
        ("ReduceSum", ["x", "axes23"], dict(keepdims=1)),
        *[(op, ["x"], dict(axes=[1], keepdims=0)) for op in ("ReduceMean", "ReduceMax")],
        *[(op, ["x"], dict(axes=[1], keepdims=0)) for op in ("ReduceMin", "ReduceProd")],
        ("GlobalAveragePool", ["x"], {}),
        ("LRN", ["x"], dict(size=3, alpha=1e-2, beta=0.75, bias=1.0)),
        ("Resize", ["x", "", "scales"], dict(mode="nearest", nearest_mode="floor")),
        ("Resize", ["x", "", "scales"], dict(mode="nearest")),
        ("Concat", ["x", "p"], dict(axis=1)),
        ("Gather", ["x", "indices"], dict(axis=1)),
        ("BatchNormalization", ["x", "bn_scale", "bn_bias", "bn_mean", "bn_var"], {}),
        ("LayerNormalization", ["x", "ln_scale", "ln_bias"], dict(axis=-2)),
        ("Cast", ["x"], dict(to=TensorProto.INT32)),
    ]
    nodes, outputs = [], []
    for i, (op, inputs, attrs) in enumerate(branches):
        name = f"{op.lower()}{i}"
        nodes.append(helper.make_node(op, inputs, [name], name=name, **attrs))
        elem = TensorProto.INT32 if op == "Cast" else TensorProto.FLOAT
        outputs.append(helper.make_tensor_value_info(name, elem, None))
    arrays = [
        numpy_helper.from_array(v.astype(np.float32) if v.dtype == np.float64 else v, k)
        for k, v in inits.items()
    ]
    xs = [helper.make_tensor_value_info(n, TensorProto.FLOAT, list(OPS_SHAPE)) for n in "xp"]
    g = helper.make_graph(nodes, "ops", xs, outputs, arrays)
    typed = onnx.shape_inference.infer_shapes(
        helper.make_model(g, opset_imports=[helper.make_opsetid("", 17)]), strict_mode=True
    )
    onnx.checker.check_model(typed)
    return typed


def ops_inputs() -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(1)
    x = rng.standard_normal(OPS_SHAPE).astype(np.float32)
    return x, rng.uniform(0.5, 2, OPS_SHAPE).astype(np.float32)


def test_every_graph_op_exports_and_imports_back():
    module = import_onnx(ops_model())
    kinds = {type(op) for op in module.walk()} - {graph.ConstOp}
    floats = {
        graph.Conv2dOp, graph.SubOp, graph.MulOp, graph.DivOp, graph.PowOp, graph.MaxOp,
        graph.MinOp, graph.MatmulOp, graph.UnaryOp, graph.ReluOp, graph.ClipOp, graph.AddOp,
        graph.SoftmaxOp, graph.TransposeOp, graph.SliceOp, graph.PadOp, graph.PoolOp,
        graph.ReduceOp, graph.LrnOp, graph.ResizeOp, graph.ConcatOp, graph.GatherOp,
        graph.BatchNormOp, graph.LayerNormOp, graph.CastOp,
    }  # fmt: skip
    assert floats <= kinds
    x, p = ops_inputs()
    expected = run_graph(module, x, p)
    exported = export_relax(module)
    for ours, theirs in zip(expected, run_relax(exported, x, p), strict=True):
        np.testing.assert_allclose(theirs, ours, rtol=1e-5, atol=1e-5)
    for ours, back in zip(expected, run_graph(import_relax(exported), x, p), strict=True):
        np.testing.assert_allclose(back, ours, rtol=1e-6, atol=1e-6)


INTEGER_AND_UNARY_IR = """
builtin.module attributes {canopy.inputs = ["x", "p", "acc"]} {
  func.func @main(%x: tensor<2x3x4xf32>, %p: tensor<2x3x4xf32>, %acc: tensor<1x3x2x2xi32>)
      -> (tensor<2x3x4xf32>, tensor<2x3x4xf32>, tensor<2x3x4xf32>, tensor<2x3x4xf32>,
          tensor<1x3x2x2xi8>, tensor<1x3x2x2xi8>, tensor<2x3x4xui8>, tensor<2x3x4xf32>,
          tensor<2x3x4xi32>, tensor<2x3x4xf32>) {
    %round = graph.unary %x {fn = "round"} : tensor<2x3x4xf32> -> tensor<2x3x4xf32>
    %sign = graph.unary %x {fn = "sign"} : tensor<2x3x4xf32> -> tensor<2x3x4xf32>
    %rcp = graph.unary %p {fn = "reciprocal"} : tensor<2x3x4xf32> -> tensor<2x3x4xf32>
    %neg = graph.unary %x {fn = "neg"} : tensor<2x3x4xf32> -> tensor<2x3x4xf32>
    %r1 = graph.requantize %acc {shift = 9, zero_point = 3, clip_min = -100, clip_max = 120,
        pre_shift = 2, multipliers = array<i64: 1234, 777, 1500>}
        : tensor<1x3x2x2xi32> -> tensor<1x3x2x2xi8>
    %r2 = graph.requantize %acc {shift = -2, zero_point = -5, clip_min = -128, clip_max = 127}
        : tensor<1x3x2x2xi32> -> tensor<1x3x2x2xi8>
    %q = graph.quantize %x {scale = 0.05 : f64, zero_point = 128}
        : tensor<2x3x4xf32> -> tensor<2x3x4xui8>
    %d = graph.dequantize %q {scale = 0.05 : f64, zero_point = 128}
        : tensor<2x3x4xui8> -> tensor<2x3x4xf32>
    %c = graph.cast %x : tensor<2x3x4xf32> -> tensor<2x3x4xi32>
    %dc = graph.dequantize_channels %c {scales = array<f64: 0.5, 0.25, 2.0>, axis = 1 : i64}
        : tensor<2x3x4xi32> -> tensor<2x3x4xf32>
    func.return %round, %sign, %rcp, %neg, %r1, %r2, %q, %d, %c, %dc
        : tensor<2x3x4xf32>, tensor<2x3x4xf32>, tensor<2x3x4xf32>, tensor<2x3x4xf32>,
          tensor<1x3x2x2xi8>, tensor<1x3x2x2xi8>, tensor<2x3x4xui8>, tensor<2x3x4xf32>,
          tensor<2x3x4xi32>, tensor<2x3x4xf32>
  }
}
"""


def test_rounding_quantization_and_requantization_export_exactly():
    module = parse_module(INTEGER_AND_UNARY_IR)
    rng = np.random.default_rng(2)
    x = (rng.standard_normal((2, 3, 4)) * 8).astype(np.float32)
    x[0, 0, :2] = [2.5, -0.5]  # ties round to even
    p = rng.uniform(0.5, 2, (2, 3, 4)).astype(np.float32)
    acc = rng.integers(-(2**20), 2**20, (1, 3, 2, 2)).astype(np.int32)
    for ours, theirs in zip(
        run_graph(module, x, p, acc), run_relax(export_relax(module), x, p, acc), strict=True
    ):
        assert ours.dtype == theirs.dtype
        if ours.dtype.kind == "f":
            np.testing.assert_allclose(theirs, ours, rtol=1e-6)
        else:
            np.testing.assert_array_equal(theirs, ours)


def test_what_tvms_importer_makes_of_the_op_model_imports_except_the_named_ops():
    """TVM lowers LRN, reflect/edge Pad and Cast to constructs the importer refuses, all named in
    one error; the rest imports and computes what TVM computes."""
    full = ops_model()
    with pytest.raises(UnsupportedRelaxOpError) as exc:
        import_relax(from_onnx(full))
    message = str(exc.value)
    assert "\n" not in message
    for refused in ("call_tir @mirror_pad", "call_tir @replicate_pad", "relax.nn.avg_pool3d"):
        assert refused in message
    assert "relax.isfinite" in message and "on inputs that are not constants" in message

    def kept(node):
        modes = {a.s for a in node.attribute if a.name == "mode"}
        return node.op_type not in ("LRN", "Cast") and not modes & {b"reflect", b"edge"}

    nodes = [n for n in full.graph.node if kept(n)]
    outputs = [o for o in full.graph.output if o.name in {n.output[0] for n in nodes}]
    g = helper.make_graph(nodes, "ops", full.graph.input, outputs, full.graph.initializer)
    relax_mod = from_onnx(helper.make_model(g, opset_imports=full.opset_import))
    x, p = ops_inputs()
    for ours, theirs in zip(
        run_graph(import_relax(relax_mod), x, p), run_relax(relax_mod, x, p), strict=True
    ):
        np.testing.assert_allclose(ours, theirs, rtol=1e-5, atol=1e-5)


# ---- parameters, errors --------------------------------------------------------------------------
def test_weights_given_as_parameters():
    name = "small_cnn_float"
    x, expected = model_input(name), tvm_result(name)
    kept = from_onnx(model(name), keep_params_in_input=True)  # weights in the params attribute
    np.testing.assert_allclose(run_graph(import_relax(kept), x)[0], expected, rtol=1e-5)
    detached, params = detach_params(kept)  # {"main": [arrays]}
    np.testing.assert_allclose(run_graph(import_relax(detached, params), x)[0], expected, rtol=1e-5)
    names = [p.name for p in detached["main"].params[1:]]
    by_name = dict(zip(names, params["main"], strict=True))
    assert names[0] == "w1"
    module = import_relax(detached, by_name)
    np.testing.assert_allclose(run_graph(module, x)[0], expected, rtol=1e-5)
    unbound = import_relax(detached)  # no values: the weights stay inputs
    assert len(next(iter(unbound.ops)).args) == 1 + len(names)
    with pytest.raises(FrontendError, match="params name no input of 'main': nope"):
        import_relax(detached, {"nope": np.zeros(1)})
    with pytest.raises(FrontendError, match="no function 'forward'"):
        import_relax(detached, function="forward")


def test_unsupported_relax_ops_are_all_named_in_one_line():
    x = relax.Var("x", relax.TensorType((1, 4, 8), "float32"))
    w = relax.const(np.ones((2, 4, 3), np.float32))
    bb = relax.BlockBuilder()
    with bb.function("main", [x]):
        with bb.dataflow():
            a = bb.emit(relax.op.cumsum(x, axis=2), name_hint="a")
            b = bb.emit(relax.op.nn.relu(a), name_hint="b")
            c = bb.emit(relax.op.nn.conv1d(b, w), name_hint="c")
            d = bb.emit(relax.op.isnan(c), name_hint="d")
            out = bb.emit_output(d)
        bb.emit_func_output(out)
    with pytest.raises(UnsupportedRelaxOpError) as exc:
        import_relax(bb.get())
    assert isinstance(exc.value, FrontendError)
    assert str(exc.value) == (
        "unsupported Relax op(s): relax.cumsum (binding 'a'); relax.nn.conv1d (binding 'c'); "
        "relax.isnan (binding 'd': on inputs that are not constants)"
    )


def test_dynamic_shapes_are_refused_with_a_hint():
    m = build_qdq_model((1, 3, 4, 4), [("conv", 2, 1, 1, 0, 1, False, False)])
    m.graph.input[0].type.tensor_type.shape.dim[0].dim_param = "batch"
    dynamic = from_onnx(m)
    with pytest.raises(FrontendError, match=r"input 'input' has a dynamic dimension \(batch\)"):
        import_relax(dynamic)
    static = relax.transform.BindSymbolicVars({"batch": 2})(dynamic)  # the fix the error names
    module = import_relax(static)
    x = np.random.default_rng(0).uniform(-1, 1, (2, 3, 4, 4)).astype(np.float32)
    np.testing.assert_array_equal(run_graph(module, x)[0], run_relax(static, x)[0])


# ---- without TVM ---------------------------------------------------------------------------------
TVM_MISSING = f"TVM interoperation needs apache-tvm, which is not installed: {INSTALL_HINT}"


def test_without_tvm_every_function_fails_with_one_line_naming_the_extra(monkeypatch):
    module = import_onnx(small_cnn_float())
    for name in [m for m in sys.modules if m == "tvm" or m.startswith("tvm.")]:
        monkeypatch.setitem(sys.modules, name, None)  # `import tvm` raises ImportError
    for call in (
        lambda: import_relax(object()),
        lambda: export_relax(module),
        lambda: run_relax(object(), np.zeros(1)),
    ):
        with pytest.raises(FrontendError) as exc:
            call()
        assert str(exc.value) == TVM_MISSING
    assert INSTALL_HINT == 'pip install "canopy-ir[tvm]"'


def test_no_module_imports_tvm_when_imported():
    """No module-level `import tvm` anywhere in the package; importing the TVM frontend and the
    compiler loads no TVM module."""
    for folder in ("canopy_ir", "backend", "frontends"):
        for path in (ROOT / folder).rglob("*.py"):
            tree = ast.parse(path.read_text())
            functions = (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)
            stack = list(tree.body)
            while stack:
                node = stack.pop()
                if isinstance(node, functions):
                    continue
                if isinstance(node, ast.Import):
                    assert not any(a.name.split(".")[0] == "tvm" for a in node.names), path
                if isinstance(node, ast.ImportFrom) and node.level == 0:
                    assert (node.module or "").split(".")[0] != "tvm", path
                stack.extend(ast.iter_child_nodes(node))
    code = (
        "import sys, canopy_ir.frontends.tvm, canopy_ir.frontends.tvm.relax_import, "
        "canopy_ir.frontends.tvm.relax_export, canopy_ir.compiler.driver, canopy_ir.tools.compile;"
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in ('tvm', 'tvm_ffi'));"
        "assert not bad, bad"
    )
    subprocess.run([sys.executable, "-c", code], check=True, cwd=ROOT)


def test_pyproject_declares_the_tvm_extra_and_package():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert project["project"]["optional-dependencies"]["tvm"] == ["apache-tvm==0.27.*"]
    assert "canopy_ir.frontends.tvm" in project["tool"]["setuptools"]["packages"]


# ---- docs/tvm.md, run ----------------------------------------------------------------------------
def test_the_tvm_guide_runs(tmp_path, monkeypatch):
    """Its blocks in order: JSON is the vta_config.json, bash runs in a shell (the install line
    is checked against pyproject.toml above), Python runs in one namespace; the quoted error is
    the one TVM-less installs print."""
    text = (ROOT / "docs" / "tvm.md").read_text()
    blocks = re.findall(r"```(\w*)\n(.*?)\n```", text, re.S)
    assert [kind for kind, _ in blocks] == [
        "bash",
        "",
        "json",
        "bash",
        "python",
        "python",
        "python",
    ]
    (tmp_path / "examples").symlink_to(ROOT / "examples")
    monkeypatch.chdir(tmp_path)
    env = dict(os.environ, PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}")
    namespace: dict = {}
    for kind, body in blocks:
        if kind == "bash" and body.startswith("pip install"):
            assert body == 'pip install -e ".[tvm]"'
        elif kind == "":
            assert body == TVM_MISSING
        elif kind == "json":
            (tmp_path / "vta_config.json").write_text(body)
        elif kind == "bash":
            done = subprocess.run(
                ["bash", "-eu", "-c", body], cwd=tmp_path, env=env, capture_output=True, text=True
            )
            assert done.returncode == 0, f"{body}\n{done.stdout}\n{done.stderr}"
            assert "GEMM" in done.stdout  # the disassembly
        else:
            exec(compile(body, "docs/tvm.md", "exec"), namespace)
    assert (tmp_path / "from_tvm.canopy").exists()


def test_compile_time_benchmark_runs(capsys):
    spec = importlib.util.spec_from_file_location("tvm_compile", ROOT / "bench" / "tvm_compile.py")
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    row = bench.main(["--size", "32", "--runs", "1"])
    assert capsys.readouterr().out.strip().splitlines()[-1] == row
    assert row.startswith("| ") and "`python -m bench.tvm_compile --size 32 --runs 1`" in row
    assert "ResNet-18 (examples/zoo.py, float) 1x3x32x32" in row and "relax.build llvm" in row
