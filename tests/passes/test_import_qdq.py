import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from models import build_qdq_model, conv_nets, output_scale, random_input, set_initializer
from stages import graph_output, integer_graph

from canopy_ir.compiler.pipeline import run_passes
from canopy_ir.dialects import graph
from canopy_ir.errors import QuantizationError
from canopy_ir.frontends.onnx import import_onnx


def test_example_becomes_integer_with_only_host_quantize_and_dequantize_in_float():
    from small_cnn import build_small_cnn

    module = integer_graph(build_small_cnn())
    float_ops = sorted(
        op.name
        for op in module.walk()
        if isinstance(op, graph.GraphOp)
        and any(graph.elem_of(v) == graph.f32 for v in (*op.operands, *op.results))
    )
    assert float_ops == ["graph.dequantize", "graph.quantize"]
    requants = [op for op in module.walk() if isinstance(op, graph.RequantizeOp)]
    assert [(r.shift.value.data, r.clip_min.value.data) for r in requants] == [
        (8, 0),
        (8, 0),
        (8, -128),
    ]


@given(conv_nets(), st.integers(0, 2**16))
def test_integer_graph_matches_qdq_semantics(net, seed):
    """Each layer of the integer graph computes what ONNX's QDQ semantics give for the same int32
    accumulator, exactly, except at rounding ties: the accelerator rounds half up, ONNX's
    QuantizeLinear half to even, so a tie may come out one step higher - and only a tie. (Checked
    layer by layer: a one-step tie difference in one layer legitimately moves later layers.)"""
    from canopy_ir.interpreters.graph import evaluate_all

    model = build_qdq_model(*net, seed=seed)
    x = random_input(net[0], seed)
    module = integer_graph(model)
    values = evaluate_all(module, x)
    requants = [op for op in module.walk() if isinstance(op, graph.RequantizeOp)]
    assert len(requants) == sum(layer[0] != "flatten" for layer in net[1])
    for rq in requants:
        assert rq.multipliers is None and rq.pre_shift is None  # power-of-two model
        acc = values[rq.input].astype(np.float64)
        got = values[rq.output].astype(np.int64)
        scaled = acc * 2.0**-rq.shift.value.data  # pow2 scales: the ratio s_x*s_w/s_y exactly
        onnx_q = np.clip(
            np.round(scaled) + rq.zero_point.value.data,  # np.round: half to even, as ONNX
            rq.clip_min.value.data,
            rq.clip_max.value.data,
        ).astype(np.int64)
        diff = got - onnx_q
        tie = scaled - np.floor(scaled) == 0.5
        assert set(np.unique(diff)) <= {0, 1}, rq.attributes["layer"]
        assert np.all(tie[diff != 0]), "a difference that is not at a rounding tie"


def test_non_power_of_two_scale_uses_a_fixed_point_multiplier():
    model = build_qdq_model((1, 3, 5, 5), [("conv", 4, 3, 1, 1, 1, True, True)])
    weight_dq = next(
        n for n in model.graph.node if n.op_type == "DequantizeLinear" and n.input[0] == "c3"
    )
    set_initializer(model, weight_dq.input[1], np.float32(0.01))
    bias_dq = next(
        n for n in model.graph.node if n.op_type == "DequantizeLinear" and n.input[0] == "c6"
    )
    set_initializer(model, bias_dq.input[1], np.float32(2**-6 * 0.01))  # s_x * s_w
    module = integer_graph(model)
    (rq,) = [op for op in module.walk() if isinstance(op, graph.RequantizeOp)]
    assert rq.multipliers is not None and 2**20 <= rq.multiplier_values[0] < 2**21
    x = random_input((1, 3, 5, 5), 3)
    steps = np.abs(graph_output(module, x) - graph_output(import_onnx(model), x)) / output_scale(
        model
    )
    assert steps.max() <= 1


def test_uint8_activations_are_refused_naming_the_node():
    model = build_qdq_model((1, 3, 5, 5), [("conv", 4, 3, 1, 1, 1, False, False)])
    out_q = [n for n in model.graph.node if n.op_type == "QuantizeLinear"][1]
    set_initializer(model, out_q.input[2], np.uint8(0))
    with pytest.raises(QuantizationError, match="node 'l0'.*uint8 activations"):
        run_passes(import_onnx(model), ["import-qdq"])


def test_nonzero_activation_zero_point_is_refused():
    model = build_qdq_model((1, 3, 5, 5), [("conv", 4, 3, 1, 1, 1, False, False)])
    set_initializer(model, "c2", np.int8(3))  # the input's zero point
    with pytest.raises(
        QuantizationError, match="activations must be symmetric \\(input zero point 3\\)"
    ):
        run_passes(import_onnx(model), ["import-qdq"])


def test_non_positive_scale_and_asymmetric_weights_are_refused():
    from canopy_ir.errors import FrontendError

    model = build_qdq_model((1, 3, 5, 5), [("conv", 4, 3, 1, 1, 1, False, False)])
    set_initializer(model, "c1", np.float32(0.0))  # the input scale
    with pytest.raises(FrontendError, match="scale must be > 0, got 0.0"):
        import_onnx(model)
    model = build_qdq_model((1, 3, 5, 5), [("conv", 4, 3, 1, 1, 1, False, False)])
    weight_dq = next(
        n for n in model.graph.node if n.op_type == "DequantizeLinear" and n.input[0] == "c3"
    )
    set_initializer(model, weight_dq.input[2], np.int8(5))
    with pytest.raises(
        QuantizationError, match="node 'l0'.*weights must be symmetric \\(zero point 5\\)"
    ):
        run_passes(import_onnx(model), ["import-qdq"])


def _with_clip(model, layer: str, lo, hi):
    """Insert Clip(lo, hi) (ReLU6 style; None: unbounded) between `layer` and its QuantizeLinear."""
    from onnx import helper, numpy_helper

    g = model.graph
    idx = next(
        i for i, n in enumerate(g.node) if n.op_type == "QuantizeLinear" and n.input[0] == layer
    )
    bounds = []
    for name, v in (("clip_lo", lo), ("clip_hi", hi)):
        if v is not None:
            g.initializer.append(numpy_helper.from_array(np.float32(v), f"{layer}.{name}"))
        bounds.append(f"{layer}.{name}" if v is not None else "")
    g.node[idx].input[0] = f"{layer}.clip"
    g.node.insert(
        idx, helper.make_node("Clip", [layer, *bounds], [f"{layer}.clip"], name=f"{layer}_clip")
    )
    return model


@pytest.mark.parametrize("lo,hi", [(0.0, 1.5), (0.0, None), (-0.3, 0.7), (None, 0.25)])
def test_clip_and_relu6_fold_into_the_requantization(lo, hi):
    """Conv → Clip → QuantizeLinear: the clip's bounds, quantized as ONNX would, narrow the
    requantization's clip, so the layer runs on the accelerator, bit-exact with the integer graph
    and equal to ONNX's QDQ semantics except at rounding ties."""
    from stages import run_lowered

    from canopy_ir.interpreters.accel import run_accel

    net = (
        (1, 5, 6, 6),
        [("conv", 8, 3, 1, 1, 1, False, True), ("conv", 4, 1, 1, 0, 1, False, True)],
    )
    model = _with_clip(build_qdq_model(*net, seed=1), "l0", lo, hi)
    module = integer_graph(model)
    assert not [op for op in module.walk() if isinstance(op, graph.ClipOp)]
    (first, _) = [op for op in module.walk() if isinstance(op, graph.RequantizeOp)]
    scale = first.attributes["output_scale"].value.data
    assert first.clip_min.value.data == (-128 if lo is None else round(lo / scale))
    assert first.clip_max.value.data == (127 if hi is None else round(hi / scale))
    x = random_input(net[0], 1)
    expected = graph_output(module, x)
    steps = np.abs(expected - graph_output(import_onnx(model), x)) / output_scale(model)
    assert steps.max() <= 1
    run_passes(module, ["graph-to-tile", "tile-to-accel", "insert-deps", "encode"])
    np.testing.assert_array_equal(run_lowered(module, x, run_accel), expected)
