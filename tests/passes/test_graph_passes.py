"""graph-canonicalize, graph-fold-batchnorm, graph-constant-fold, graph-dce: the graph interpreter
agrees before and after each pass on random float graphs, and each pass does the simplification it
is for."""

import numpy as np
from hypothesis import given
from hypothesis import strategies as st
from onnx import TensorProto, helper, numpy_helper

from canopy_ir.compiler.pipeline import run_passes
from canopy_ir.dialects import graph
from canopy_ir.frontends.onnx import import_onnx
from canopy_ir.interpreters.graph import run_graph
from canopy_ir.passes import GRAPH_PIPELINE


@st.composite
def float_graphs(draw):
    """A random chain over a [1, 3, H, W] input: conv(+batchnorm), relu pairs, reshape round
    trips, transpose pairs, multiplications by a constant (sometimes one), additions of a
    constant subexpression. Returns (model, input)."""
    rng = np.random.default_rng(draw(st.integers(0, 2**16)))
    c, h, w = 3, draw(st.integers(2, 6)), draw(st.integers(2, 6))
    nodes, inits, x = [], [], "x"

    def const(array, dtype=np.float32):
        name = f"k{len(inits)}"
        inits.append(numpy_helper.from_array(np.asarray(array, dtype), name))
        return name

    for n in range(draw(st.integers(1, 5))):
        y = f"t{n}"
        kind = draw(st.sampled_from(["conv_bn", "relu", "reshape", "transpose", "mul", "add"]))
        if kind == "conv_bn":
            o = draw(st.integers(1, 6))
            conv_in = [x, const(rng.normal(size=(o, c, 3, 3))), const(rng.normal(size=o))]
            stats = [
                const(rng.uniform(0.5, 1.5, o)),
                const(rng.normal(size=o)),
                const(rng.normal(size=o)),
                const(rng.uniform(0.5, 1.5, o)),
            ]
            nodes += [
                helper.make_node("Conv", conv_in, [y + "c"], pads=[1, 1, 1, 1]),
                helper.make_node("BatchNormalization", [y + "c", *stats], [y], epsilon=1e-3),
            ]
            c = o
        elif kind == "relu":
            nodes += [
                helper.make_node("Relu", [x], [y + "r"]),
                helper.make_node("Relu", [y + "r"], [y]),
            ]
        elif kind == "reshape":
            flat, back = const([1, -1], np.int64), const([1, c, h, w], np.int64)
            nodes += [
                helper.make_node("Reshape", [x, flat], [y + "f"]),
                helper.make_node("Reshape", [y + "f", back], [y]),
            ]
        elif kind == "transpose":
            nodes += [
                helper.make_node("Transpose", [x], [y + "t"], perm=[0, 2, 3, 1]),
                helper.make_node("Transpose", [y + "t"], [y], perm=[0, 3, 1, 2]),
            ]
        elif kind == "mul":
            value = 1.0 if draw(st.booleans()) else float(rng.normal())
            nodes.append(helper.make_node("Mul", [x, const([value])], [y]))
        else:
            a, b = const(rng.normal(size=(c, 1, 1))), const(rng.normal(size=(c, 1, 1)))
            nodes += [
                helper.make_node("Mul", [a, b], [y + "k"]),
                helper.make_node("Add", [x, y + "k"], [y]),
            ]
        x = y
    g = helper.make_graph(
        nodes,
        "g",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 3, h, w])],
        [helper.make_tensor_value_info(x, TensorProto.FLOAT, None)],
        inits,
    )
    model = helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)])
    return model, rng.normal(size=(1, 3, h, w)).astype(np.float32)


def _check(pass_name, model, x):
    module = import_onnx(model)
    before = run_graph(module, x)[0]
    run_passes(module, [pass_name])
    np.testing.assert_allclose(run_graph(module, x)[0], before, rtol=1e-4, atol=1e-5)
    return module


@given(st.sampled_from(list(GRAPH_PIPELINE)), float_graphs())
def test_graph_passes_preserve_meaning(pass_name, graph_and_input):
    _check(pass_name, *graph_and_input)


def _ops(module, cls):
    return sum(isinstance(op, cls) for op in module.walk())


def _tiny(nodes, inits, out_shape=None):
    g = helper.make_graph(
        nodes,
        "g",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 2, 4, 4])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, out_shape)],
        [numpy_helper.from_array(v, k) for k, v in inits.items()],
    )
    return helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)])


def test_fold_batchnorm_removes_every_batchnorm_after_a_conv():
    rng = np.random.default_rng(0)
    inits = {
        "w": rng.normal(size=(3, 2, 3, 3)).astype(np.float32),
        **{k: rng.uniform(0.5, 1.5, 3).astype(np.float32) for k in "sbmv"},
    }
    model = _tiny(
        [
            helper.make_node("Conv", ["x", "w"], ["c"], pads=[1, 1, 1, 1]),
            helper.make_node("BatchNormalization", ["c", "s", "b", "m", "v"], ["y"]),
        ],
        inits,
    )
    x = rng.normal(size=(1, 2, 4, 4)).astype(np.float32)
    module = _check("graph-fold-batchnorm", model, x)
    assert _ops(module, graph.BatchNormOp) == 0 and _ops(module, graph.Conv2dOp) == 1


def test_canonicalize_collapses_layout_round_trips():
    model = _tiny(
        [
            helper.make_node("Transpose", ["x"], ["t"], perm=[0, 2, 3, 1]),
            helper.make_node("Transpose", ["t"], ["u"], perm=[0, 3, 1, 2]),
            helper.make_node("Reshape", ["u", "flat"], ["f"]),
            helper.make_node("Reshape", ["f", "shape"], ["y"]),
        ],
        {"flat": np.array([1, -1], np.int64), "shape": np.array([1, 2, 4, 4], np.int64)},
    )
    x = np.random.default_rng(0).normal(size=(1, 2, 4, 4)).astype(np.float32)
    module = _check("graph-canonicalize", model, x)
    assert _ops(module, graph.TransposeOp) == 0 and _ops(module, graph.ReshapeOp) == 0


def test_constant_fold_evaluates_constant_subgraphs_but_keeps_quantization():
    from small_cnn import build_small_cnn

    model = _tiny(
        [helper.make_node("Mul", ["a", "b"], ["k"]), helper.make_node("Add", ["x", "k"], ["y"])],
        {"a": np.full((2, 1, 1), 2, np.float32), "b": np.full((2, 1, 1), 3, np.float32)},
    )
    module = _check("graph-constant-fold", model, np.zeros((1, 2, 4, 4), np.float32))
    assert _ops(module, graph.MulOp) == 0
    qdq = import_onnx(build_small_cnn())
    dequantize_ops = _ops(qdq, graph.DequantizeOp)
    run_passes(qdq, ["graph-constant-fold"])
    assert _ops(qdq, graph.DequantizeOp) == dequantize_ops


def test_fold_batchnorm_takes_a_per_channel_scale_and_shift_after_a_batchnorm_or_a_conv():
    """Caffe2's exports (the onnx wheel's DenseNet-121) write SpatialBN as BatchNormalization,
    then Mul and Add by one constant per channel (Unsqueezed to [C, 1, 1]): after a convolution
    all of it folds into the convolution; after anything else into one batch norm."""
    rng = np.random.default_rng(1)
    stats = {f"{k}{i}": rng.uniform(0.5, 1.5, 3).astype(np.float32) for k in "sbmv" for i in (1, 2)}
    scales = {
        f"{k}{i}": rng.normal(size=(3, 1, 1)).astype(np.float32) for k in "wa" for i in (1, 2)
    }
    inits = {"w": rng.normal(size=(3, 2, 3, 3)).astype(np.float32), **stats, **scales}
    nodes = [helper.make_node("Conv", ["x", "w"], ["c"], pads=[1, 1, 1, 1])]
    for i, src in ((1, "c"), (2, "p")):
        nodes += [
            helper.make_node("BatchNormalization", [src, *(f"{k}{i}" for k in "sbmv")], [f"n{i}"]),
            helper.make_node("Mul", [f"n{i}", f"w{i}"], [f"scaled{i}"]),
            helper.make_node("Add", [f"a{i}", f"scaled{i}"], [f"r{i}" if i == 1 else "y"]),
        ]
        if i == 1:
            nodes.append(helper.make_node("MaxPool", ["r1"], ["p"], kernel_shape=[1, 1]))
    x = rng.normal(size=(1, 2, 4, 4)).astype(np.float32)
    module = _check("graph-fold-batchnorm", _tiny(nodes, inits, (1, 3, 4, 4)), x)
    assert _ops(module, graph.Conv2dOp) == 1 and _ops(module, graph.BatchNormOp) == 1
    assert _ops(module, graph.MulOp) == 0 and _ops(module, graph.AddOp) == 0
