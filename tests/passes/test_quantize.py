"""Post-training quantization (`graph-quantize`), fixed-point requantization, and quantized-op
semantics against the onnx package's reference implementation."""

import math
import warnings

import numpy as np
import onnx
import pytest
from hypothesis import given
from hypothesis import strategies as st
from onnx import TensorProto, helper
from train_shapes import make_dataset, to_onnx, to_onnx_residual, train, train_residual

import canopy_ir
from canopy_ir.compiler.driver import compile_model
from canopy_ir.compiler.pipeline import run_passes
from canopy_ir.errors import QuantizationError
from canopy_ir.frontends.onnx import import_onnx
from canopy_ir.interpreters.graph import run_graph
from canopy_ir.quant import dequantize, fixed_point, quantize, requantize
from canopy_ir.tools.compile import main as compile_main


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    d = tmp_path_factory.mktemp("shapes")
    onnx.save(to_onnx(train()), d / "shapes.onnx")
    onnx.save(to_onnx_residual(train_residual()), d / "residual.onnx")
    calib, _ = make_dataset(64, seed=10)
    np.savez(d / "calib.npz", image=calib)
    return d


@pytest.mark.parametrize("mode,per_channel", [("pow2", False), ("fixed", False), ("fixed", True)])
@pytest.mark.parametrize("model", ["shapes", "residual"])
def test_trained_cnn_keeps_its_accuracy_on_the_card(trained, model, mode, per_channel):
    """The simple CNN, and the one with a residual block and a max pool (whatever of it the
    accelerator cannot run runs on the host)."""
    x, y = make_dataset(600, seed=20)
    float_model = import_onnx(trained / f"{model}.onnx")
    float_acc = np.mean(
        [np.argmax(run_graph(float_model, x[i : i + 1])[0]) == y[i] for i in range(len(y))]
    )
    out = trained / f"{model}{mode}{per_channel}.canopy"
    compile_model(
        trained / f"{model}.onnx",
        out,
        calibrate=str(trained / "calib.npz"),
        quant_mode=mode,
        per_channel=per_channel,
    )
    card = canopy_ir.InferenceSession(str(out))
    int8_acc = np.mean(
        [np.argmax(card.run(None, {"image": x[i : i + 1]})[0]) == y[i] for i in range(len(y))]
    )
    assert float_acc > 0.9  # the model did learn
    assert float_acc - int8_acc <= 0.01


@given(st.integers(0, 2**16), st.floats(1e-4, 10.0), st.integers(-128, 127), st.booleans())
def test_quantize_and_dequantize_match_the_onnx_reference_exactly(
    seed, scale, zero_point, unsigned
):
    from onnx.reference import ReferenceEvaluator

    dtype = np.uint8 if unsigned else np.int8
    zp = np.array(zero_point % 256 if unsigned else zero_point, dtype)
    scale = np.float32(scale)
    x = (np.random.default_rng(seed).normal(0, 200 * scale, 64)).astype(np.float32)
    node_q = helper.make_node("QuantizeLinear", ["x", "s", "z"], ["y"])
    node_dq = helper.make_node("DequantizeLinear", ["y", "s", "z"], ["x2"])
    g = helper.make_graph(
        [node_q, node_dq],
        "g",
        [
            helper.make_tensor_value_info(n, t, s)
            for n, t, s in (
                ("x", TensorProto.FLOAT, [64]),
                ("s", TensorProto.FLOAT, []),
                ("z", helper.np_dtype_to_tensor_dtype(zp.dtype), []),
            )
        ],
        [
            helper.make_tensor_value_info("y", helper.np_dtype_to_tensor_dtype(zp.dtype), [64]),
            helper.make_tensor_value_info("x2", TensorProto.FLOAT, [64]),
        ],
    )
    ref_q, ref_dq = ReferenceEvaluator(helper.make_model(g)).run(
        None, {"x": x, "s": scale, "z": zp}
    )
    ours_q = quantize(x, float(scale), int(zp), dtype)
    np.testing.assert_array_equal(ours_q, ref_q)
    np.testing.assert_array_equal(dequantize(ours_q, float(scale), int(zp)), ref_dq)


@given(st.floats(1e-5, 0.5), st.integers(1, 2**22), st.integers(0, 2**16))
def test_fixed_point_requantization_rounds_like_exact_arithmetic(multiplier, bound, seed):
    m, pre, shift = fixed_point(np.array([multiplier]), bound, 21, "test")
    acc = np.random.default_rng(seed).integers(-bound, bound + 1, 256).astype(np.int32)
    exact = acc.astype(np.float64) * multiplier
    keep = np.abs(exact) < 127  # outside int8 the clip decides
    got = requantize(acc, shift, 0, -128, 127, [int(m[0])], pre).astype(np.float64)
    assert np.all(np.abs(got - exact)[keep] <= 0.5 + 2e-3 * max(1, 2**pre * multiplier))
    far_from_ties = np.abs(np.abs(exact - np.floor(exact)) - 0.5) > 0.01 + 2**pre * multiplier
    expected = np.floor(exact + 0.5)
    np.testing.assert_array_equal(got[keep & far_from_ties], expected[keep & far_from_ties])
    assert math.isclose(m[0] / 2.0 ** (pre + shift), multiplier, rel_tol=1e-5)


def test_calibration_data_errors_name_the_tensor(trained, tmp_path):
    bad = tmp_path / "bad.npz"
    np.savez(bad, picture=np.zeros((4, 1, 8, 8), np.float32))
    with pytest.raises(QuantizationError, match="no array for input\\(s\\) \\['image'\\]"):
        run_passes(import_onnx(trained / "shapes.onnx"), [f'graph-quantize{{calibration="{bad}"}}'])
    np.savez(bad, image=np.zeros((4, 3, 8, 8), np.float32))
    with pytest.raises(QuantizationError, match="'image' has shape \\(4, 3, 8, 8\\)"):
        run_passes(import_onnx(trained / "shapes.onnx"), [f'graph-quantize{{calibration="{bad}"}}'])
    np.savez(bad, image=np.array(["a"] * 64).reshape(1, 1, 8, 8))
    with pytest.raises(QuantizationError, match="'image' has dtype"):
        run_passes(import_onnx(trained / "shapes.onnx"), [f'graph-quantize{{calibration="{bad}"}}'])
    with pytest.raises(QuantizationError, match="per-channel weights need mode=fixed"):
        run_passes(
            import_onnx(trained / "shapes.onnx"), ["graph-quantize{per_channel=1 mode=pow2}"]
        )


def test_synthetic_calibration_warns_and_quantized_models_are_refused():
    from small_cnn import build_small_cnn

    with pytest.raises(QuantizationError, match="already quantized"):
        run_passes(import_onnx(build_small_cnn()), ["graph-quantize"])
    model = to_onnx(train(steps=5))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        run_passes(import_onnx(model), ["graph-quantize"])
    assert any("random inputs" in str(w.message) for w in caught)


def test_cli_report_prints_per_layer_sqnr(trained, capsys):
    assert (
        compile_main(
            [
                str(trained / "shapes.onnx"),
                "-o",
                str(trained / "r.canopy"),
                "--calibrate",
                str(trained / "calib.npz"),
                "--quant-mode",
                "fixed",
                "--report",
            ]
        )
        == 0
    )
    err = capsys.readouterr().err
    assert "SQNR dB" in err and "conv" in err and "classifier" in err


@pytest.mark.parametrize("pooled", [False, True], ids=["after-conv", "after-pool"])
def test_float_model_with_batch_norm_is_folded_before_quantization(tmp_path, pooled):
    """Float Conv → BatchNormalization → Relu → Gemm: the graph passes run before
    graph-quantize, so the batch norm folds into the convolution and the model reaches the card.
    After a max pool (DenseNet's pre-activation order) it cannot fold: graph-quantize quantizes
    it, and it runs on the accelerator as graph.qaffine. Either way nothing runs on the host
    (--accel-only) and the card's output is within 25 dB SQNR of the float model's."""
    from onnx import helper, numpy_helper

    rng = np.random.default_rng(0)

    def init(name, a):
        return numpy_helper.from_array(np.asarray(a, np.float32), name)

    inits = [
        init("w", rng.normal(0, 0.3, (8, 3, 3, 3))),
        init("b", rng.normal(size=8)),
        init("gamma", rng.uniform(0.5, 1.5, 8)),
        init("beta", rng.normal(size=8)),
        init("mean", rng.normal(0, 0.1, 8)),
        init("var", rng.uniform(0.5, 1.5, 8)),
        init("fw", rng.normal(0, 0.1, (10, 8 * 6 * 6))),
        init("fb", rng.normal(size=10)),
        numpy_helper.from_array(np.array([1, -1], np.int64), "flat"),
    ]
    nodes = [
        helper.make_node(
            "Conv", ["x", "w", "b"], ["c0"], pads=[1] * 4, strides=[2, 2], name="conv"
        ),
        helper.make_node("MaxPool", ["c0"], ["c"], kernel_shape=[3, 3], pads=[1] * 4)
        if pooled
        else helper.make_node("Identity", ["c0"], ["c"]),
        helper.make_node("BatchNormalization", ["c", "gamma", "beta", "mean", "var"], ["n"]),
        helper.make_node("Relu", ["n"], ["r"]),
        helper.make_node("Reshape", ["r", "flat"], ["f"]),
        helper.make_node("Gemm", ["f", "fw", "fb"], ["y"], transB=1, name="fc"),
    ]
    g = helper.make_graph(
        nodes,
        "conv_bn",
        [helper.make_tensor_value_info("x", onnx.TensorProto.FLOAT, [1, 3, 12, 12])],
        [helper.make_tensor_value_info("y", onnx.TensorProto.FLOAT, [1, 10])],
        inits,
    )
    onnx.save(
        helper.make_model(g, opset_imports=[helper.make_opsetid("", 17)]), tmp_path / "m.onnx"
    )
    samples = rng.normal(size=(32, 1, 3, 12, 12)).astype(np.float32)
    np.savez(tmp_path / "cal.npz", x=samples[:, 0])
    args = [str(tmp_path / "m.onnx"), "-o", str(tmp_path / "m.canopy"), "-q", "--accel-only"]
    assert (
        compile_main([*args, "--calibrate", str(tmp_path / "cal.npz"), "--quant-mode", "fixed"])
        == 0
    )
    sess = canopy_ir.InferenceSession(str(tmp_path / "m.canopy"))
    reference = import_onnx(tmp_path / "m.onnx")
    signal = noise = 0.0
    for x in samples[:8]:
        (y,) = sess.run(None, {"x": x})
        (expected,) = run_graph(reference, x)
        signal += float(np.sum(expected**2))
        noise += float(np.sum((y - expected) ** 2))
    assert 10 * np.log10(signal / noise) > 25  # int8 on the card vs the float model


# --- calibration: the graph read once, samples side by side ------------------------------------


def _interpreted(module, inputs) -> dict:
    """Every SSA value of @main, op by op through xDSL's interpreter (the reference)."""
    from xdsl.dialects import func
    from xdsl.interpreter import Interpreter

    from canopy_ir.interpreters.graph import GraphFunctions

    main = next(op for op in module.ops if isinstance(op, func.FuncOp))
    interp = Interpreter(module)
    interp.register_implementations(GraphFunctions(module))
    values = dict(zip(main.args, inputs, strict=True))
    for op in main.body.block.ops:
        if isinstance(op, func.ReturnOp):
            break
        results = interp.run_op(op, tuple(values[v] for v in op.operands))
        values.update(zip(op.results, results, strict=True))
    return values


@pytest.fixture(scope="module")
def small_mobilenet():
    """The zoo's MobileNet-v2 at 32×32 (depthwise convolutions, relu6 clips, residual adds, a
    mean, a dense layer) as graph-quantize sees it: after the graph passes."""
    from zoo import mobilenet_v2

    from canopy_ir.passes import GRAPH_PIPELINE

    module = import_onnx(mobilenet_v2(size=32, classes=10))
    run_passes(module, GRAPH_PIPELINE)
    return module


def _samples(count: int, seed: int = 3) -> list[tuple[np.ndarray]]:
    rng = np.random.default_rng(seed)
    return [(rng.standard_normal((1, 3, 32, 32)).astype(np.float32),) for _ in range(count)]


def test_graph_program_computes_every_value_as_the_interpreter_does(small_mobilenet):
    from canopy_ir.interpreters.graph import evaluate_all

    (x,) = _samples(1)[0]
    got, expected = evaluate_all(small_mobilenet, x), _interpreted(small_mobilenet, (x,))
    assert set(got) == set(expected)
    for value, array in expected.items():
        assert got[value].dtype == array.dtype and got[value].shape == array.shape
        assert got[value].tobytes() == array.tobytes()  # bit for bit, signs of zeros included


@pytest.mark.parametrize("method", ["minmax", "percentile"])
def test_calibration_ranges_are_those_of_each_sample_run_on_its_own(small_mobilenet, method):
    from canopy_ir.passes.quantize import QuantizePass

    samples = _samples(5)
    got = QuantizePass(method=method)._ranges(small_mobilenet, samples)
    per_sample = [_interpreted(small_mobilenet, s) for s in samples]
    expected = {}
    for value, array in per_sample[0].items():
        if array.dtype != np.float32:
            continue
        arrays = [np.abs(values[value]) for values in per_sample]
        if method == "minmax":
            expected[value] = float(max(np.max(a) for a in arrays))
        else:
            expected[value] = float(
                np.percentile(np.concatenate([a.ravel() for a in arrays]), 99.99)
            )
    assert got == expected


def test_calibration_needs_a_sample_and_kernels_for_every_op(small_mobilenet):
    from xdsl.dialects import arith, func
    from xdsl.dialects.builtin import ModuleOp, i32
    from xdsl.ir import Block, Region

    from canopy_ir.errors import CanopyError
    from canopy_ir.interpreters.graph import GraphProgram
    from canopy_ir.ir import WeightPool, attach_pool

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(QuantizationError, match="at least one sample"):
            run_passes(small_mobilenet.clone(), ["graph-quantize{samples=0}"])
    body = [arith.ConstantOp.from_int_and_width(1, i32)]
    main = func.FuncOp.from_region("main", [], [], Region(Block(body)))
    main.body.block.add_op(func.ReturnOp())
    module = ModuleOp([main])
    attach_pool(module, WeightPool({}))
    with pytest.raises(CanopyError, match="arith.constant has no host implementation"):
        GraphProgram(module)


@pytest.mark.parametrize("per_channel", [0, 1])
def test_fixed_scales_requantize_with_short_exact_multipliers(small_mobilenet, per_channel):
    """graph-quantize raises weight scales (by < 1/64) so that each convolution's and dense
    layer's requantization ratio is a short fixed-point number: per tensor one 7-bit ALU
    multiplier piece, per channel whole pieces. import-qdq finds it exactly (trailing zero bits
    dropped), and the weights still use the int8 range."""
    from canopy_ir.dialects import graph
    from canopy_ir.ir import pool_of
    from canopy_ir.passes.import_qdq import ImportQdqPass
    from canopy_ir.quant import FIXED_POINT_BITS, MAX_PIECE_BITS

    module = small_mobilenet.clone()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        run_passes(module, [f"graph-quantize{{samples=4 per_channel={per_channel}}}"])
    run_passes(module, [ImportQdqPass(multiplier_bits=FIXED_POINT_BITS)])
    pool = pool_of(module)
    linear = graph.Conv2dOp | graph.DenseOp
    checked = 0
    for op in module.walk():
        if not isinstance(op, graph.RequantizeOp) or not isinstance(op.input.owner, linear):
            continue
        multipliers = op.multiplier_values
        limit = MAX_PIECE_BITS if not per_channel else 3 * MAX_PIECE_BITS
        assert max(multipliers).bit_length() <= limit, op.attributes["layer"]
        w = pool[op.input.owner.weight.owner.weight.data]
        assert np.abs(w.astype(np.int64)).max() <= 127
        checked += 1
    assert checked >= 10
