"""ONNX import and its errors on bad input."""

import numpy as np
import onnx
import pytest
from models import build_qdq_model
from onnx import TensorProto, helper

from canopy_ir.errors import FrontendError, UnsupportedOpError
from frontends.onnx import import_onnx


def _model(nodes, inputs, outputs, inits=()):
    g = helper.make_graph(nodes, "g", inputs, outputs, list(inits))
    return helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)])


def test_unsupported_ops_are_all_named_in_one_error():
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 4])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 4])
    m = _model(
        [
            helper.make_node("Softplus", ["x"], ["a"], name="sig"),
            helper.make_node("Relu", ["a"], ["b"], name="r"),
            helper.make_node("Softsign", ["b"], ["y"], name="th"),
        ],
        [x],
        [y],
    )
    with pytest.raises(UnsupportedOpError) as exc:
        import_onnx(m)
    assert str(exc.value) == "unsupported ONNX op(s): Softplus (node 'sig'); Softsign (node 'th')"


def test_missing_and_malformed_files(tmp_path):
    with pytest.raises(FrontendError, match="cannot read model"):
        import_onnx(tmp_path / "nope.onnx")
    bad = tmp_path / "bad.onnx"
    bad.write_bytes(b"\x08\x07garbage\xff\xff\xff")
    with pytest.raises(FrontendError, match="bad.onnx: not a valid ONNX model"):
        import_onnx(bad)


def test_dynamic_input_needs_a_fixed_shape():
    m = build_qdq_model((1, 3, 4, 4), [("conv", 2, 1, 1, 0, 1, False, False)])
    m.graph.input[0].type.tensor_type.shape.dim[0].dim_param = "batch"
    with pytest.raises(
        FrontendError,
        match="input 'input' has a dynamic dimension \\(batch\\); "
        "give a fixed shape with --input-shape input=1x3x4x4",
    ):
        import_onnx(m)
    module = import_onnx(m, {"input": (1, 3, 4, 4)})
    assert "tensor<1x3x4x4xf32>" in str(module)


def test_per_axis_quantization_is_reported_as_unsupported():
    m = build_qdq_model((1, 3, 4, 4), [("conv", 2, 1, 1, 0, 1, False, False)])
    for init in m.graph.initializer:
        if init.name == "c4":  # the weight scale
            init.CopyFrom(onnx.numpy_helper.from_array(np.full(2, 2**-7, np.float32), "c4"))
    with pytest.raises(UnsupportedOpError, match="per-axis quantization"):
        import_onnx(m)


def test_gemm_without_transb_and_matmul_weights_are_transposed_at_import():
    rng = np.random.default_rng(0)
    w = rng.normal(size=(4, 3)).astype(np.float32)
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [2, 4])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, [2, 3])
    for op in ("Gemm", "MatMul"):
        m = _model(
            [helper.make_node(op, ["x", "w"], ["y"], name="mm")],
            [x],
            [y],
            [onnx.numpy_helper.from_array(w, "w")],
        )
        from canopy_ir.interpreters.graph import run_graph

        xs = rng.normal(size=(2, 4)).astype(np.float32)
        np.testing.assert_allclose(run_graph(import_onnx(m), xs)[0], xs @ w, rtol=1e-5)
