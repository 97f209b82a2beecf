"""ONNX import and its errors on bad input."""

import numpy as np
import onnx
import pytest
from models import build_qdq_model
from onnx import TensorProto, helper

from canopy_ir.errors import FrontendError, UnsupportedOpError
from canopy_ir.frontends.onnx import import_onnx


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


def test_per_axis_weights_import_and_a_mismatched_axis_is_refused():
    from canopy_ir.dialects import graph

    m = build_qdq_model((1, 3, 4, 4), [("conv", 2, 1, 1, 0, 1, False, False)])
    weight_dq = next(
        n for n in m.graph.node if n.op_type == "DequantizeLinear" and n.input[0] == "c3"
    )
    for init in m.graph.initializer:
        if init.name == weight_dq.input[1]:  # the weight scale becomes per output channel
            init.CopyFrom(onnx.numpy_helper.from_array(np.full(2, 2**-7, np.float32), init.name))
    weight_dq.attribute.append(helper.make_attribute("axis", 0))
    module = import_onnx(m)
    assert any(isinstance(op, graph.DequantizeChannelsOp) for op in module.walk())
    weight_dq.attribute[-1].i = 1  # axis 1 has 3 entries, the scale vector 2
    with pytest.raises(UnsupportedOpError, match="per-axis scales that do not match the axis"):
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


def test_missing_initializer_names_the_node():
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 4])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 4])
    m = _model([helper.make_node("Add", ["x", "bias"], ["y"], name="add_bias")], [x], [y])
    with pytest.raises(FrontendError, match="node 'add_bias' \\(Add\\): tensor 'bias' is neither"):
        import_onnx(m)


def _external_weight_model(location: str):
    w = onnx.numpy_helper.from_array(np.ones((4, 4), np.float32), "w")
    w.ClearField("raw_data")
    w.data_location = TensorProto.EXTERNAL
    entry = w.external_data.add()
    entry.key, entry.value = "location", location
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 4])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 4])
    return _model([helper.make_node("MatMul", ["x", "w"], ["y"], name="mm")], [x], [y], [w])


def test_external_data_outside_the_model_folder_is_refused(tmp_path):
    from canopy_ir.interpreters.graph import run_graph

    model_dir = tmp_path / "model"
    model_dir.mkdir()
    weights = np.ones(16, np.float32).tobytes()
    (tmp_path / "secret.bin").write_bytes(weights)
    (model_dir / "m.onnx").write_bytes(_external_weight_model("../secret.bin").SerializeToString())
    with pytest.raises(FrontendError, match="'../secret.bin' outside the model's folder: refused"):
        import_onnx(model_dir / "m.onnx")
    (model_dir / "ok.onnx").write_bytes(_external_weight_model("w.bin").SerializeToString())
    with pytest.raises(FrontendError, match="external data file 'w.bin' .* is missing"):
        import_onnx(model_dir / "ok.onnx")
    (model_dir / "w.bin").write_bytes(weights)  # data beside the model loads
    (out,) = run_graph(import_onnx(model_dir / "ok.onnx"), np.ones((1, 4), np.float32))
    np.testing.assert_allclose(out, np.full((1, 4), 4.0))


def test_unsupported_attribute_is_named():
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 1, 2, 2])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 1, 4, 4])
    scales = onnx.numpy_helper.from_array(np.array([1, 1, 2, 2], np.float32), "scales")
    m = _model(
        [helper.make_node("Resize", ["x", "", "scales"], ["y"], name="up", mode="linear")],
        [x],
        [y],
        [scales],
    )
    with pytest.raises(UnsupportedOpError, match="Resize \\(node 'up': mode=linear"):
        import_onnx(m)


def test_backend_api_runs_a_model():
    from canopy_ir.frontends.onnx.backend import CanopyBackend

    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [2, 3])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, [2, 3])
    m = _model([helper.make_node("Sigmoid", ["x"], ["y"])], [x], [y])
    data = np.linspace(-3, 3, 6, dtype=np.float32).reshape(2, 3)
    assert CanopyBackend.is_compatible(m) and CanopyBackend.supports_device("CPU")
    (out,) = CanopyBackend.run_model(m, [data])
    np.testing.assert_allclose(out, 1 / (1 + np.exp(-data)), rtol=1e-6)


def test_input_shape_must_name_an_input_and_agree_with_fixed_dims():
    from small_cnn import build_small_cnn

    from canopy_ir.errors import FrontendError

    model = build_small_cnn()
    with pytest.raises(FrontendError, match="--input-shape foo: the model has no such input"):
        import_onnx(model, {"foo": (1, 2)})
    with pytest.raises(FrontendError, match="contradicts the model's shape 1x3x12x12"):
        import_onnx(model, {"input": (1, 3, 24, 24)})
    import_onnx(model, {"input": (1, 3, 12, 12)})  # the same shape is fine
