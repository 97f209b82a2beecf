"""Print/parse round trips of every stage's IR, and the dialects' verifiers."""

import pytest
from small_cnn import build_small_cnn
from xdsl.dialects.builtin import TensorType, i8, i32
from xdsl.utils.exceptions import VerifyException

from canopy_ir.compiler.pipeline import run_passes
from canopy_ir.dialects import graph, tile
from canopy_ir.dialects.kvformat import KeyValueFormat
from canopy_ir.frontends.onnx import import_onnx
from canopy_ir.ir import parse_module
from canopy_ir.passes import DEFAULT_PIPELINE


def stage_texts():
    module = import_onnx(build_small_cnn())
    texts = {"onnx-import": str(module)}
    run_passes(
        module, DEFAULT_PIPELINE, after_pass=lambda name, mod, _: texts.__setitem__(name, str(mod))
    )
    return texts


@pytest.mark.parametrize("stage", ["onnx-import", *DEFAULT_PIPELINE])
def test_every_stage_prints_and_parses_back(stage):
    text = stage_texts()[stage]
    module = parse_module(text)
    module.verify()
    assert str(module) == text


def test_weights_stay_out_of_the_ir_text():
    texts = stage_texts()
    assert all(len(t) < 60_000 for t in texts.values())
    assert "dense<" not in texts["onnx-import"]


def _conv(x_shape, w_shape, out_shape, **kw):
    from xdsl.ir import Block

    block = Block(arg_types=[TensorType(i8, x_shape), TensorType(i8, w_shape)])
    op = graph.Conv2dOp(
        block.args[0],
        block.args[1],
        None,
        kw.get("strides", [1, 1]),
        kw.get("pads", [0, 0, 0, 0]),
        [1, 1],
        1,
        TensorType(i32, out_shape),
    )
    block.add_op(op)
    return op


def test_conv_verifier_checks_shapes():
    _conv((1, 3, 5, 5), (4, 3, 3, 3), (1, 4, 3, 3)).verify()
    with pytest.raises(VerifyException, match="result shape"):
        _conv((1, 3, 5, 5), (4, 3, 3, 3), (1, 4, 5, 5)).verify()
    with pytest.raises(VerifyException, match="channels do not match"):
        _conv((1, 2, 5, 5), (4, 3, 3, 3), (1, 4, 3, 3)).verify()


def test_tile_verifier_checks_buffer_bounds():
    from xdsl.ir import Block

    block = Block()
    buf = tile.AllocOp("inp", 8)
    load = tile.LoadOp.create(
        operands=[buf.buf],
        properties=KeyValueFormat.kv_properties(
            tile.LoadOp.KV_FIELDS, dict(tensor="x", y_size=3, x_size=3, x_stride=3)
        ),
    )
    block.add_ops([buf, load])
    with pytest.raises(VerifyException, match="reaches element 8 of a 8-element buffer"):
        load.verify()


def test_accel_parser_names_unknown_fields():
    with pytest.raises(Exception, match="accel.load has no field 'bogus'"):
        parse_module("builtin.module { accel.program { accel.load (bogus=1) } }")
