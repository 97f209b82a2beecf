"""The compact forms: `tile.repeat` (a template of tile ops run again with other DRAM offsets and
buffer copies) and the columnar `accel.program`. Both print and parse back exactly; a repeat
lowers to exactly the instructions of its ops written out; a large layer stays a few ops."""

import numpy as np
import pytest
from hypothesis import given, reject, settings
from hypothesis import strategies as st
from models import build_qdq_model, conv_nets, hw_configs
from stages import integer_graph
from streams import streams
from xdsl.dialects.builtin import IntegerAttr, ModuleOp, i64

from canopy_ir.compiler.pipeline import run_passes
from canopy_ir.dialects import accel, tile
from canopy_ir.errors import CanopyError, LoweringError
from canopy_ir.hw.config import HwConfig
from canopy_ir.hw.stream import Stream
from canopy_ir.ir import parse_module

SOME = settings(max_examples=max(60, settings.default.max_examples))


def _lowered(net, cfg, seed, passes):
    module = integer_graph(build_qdq_model(*net, seed=seed), cfg)
    try:
        run_passes(module, passes)
    except LoweringError:
        reject()
    return module


@SOME
@given(conv_nets(), hw_configs(), st.integers(0, 2**16))
def test_tile_and_accel_stages_print_and_parse_back(net, cfg, seed):
    module = _lowered(net, cfg, seed, ["graph-to-tile"])
    for stage in ("tile-to-accel", "insert-deps", None):
        text = str(module)
        again = parse_module(text)
        assert str(again) == text
        if stage:
            run_passes(module, [stage])
    program = next(op for op in again.ops if isinstance(op, accel.ProgramOp))
    original = next(op for op in module.ops if isinstance(op, accel.ProgramOp))
    assert np.array_equal(program.stream().cols, original.stream().cols)
    assert program.instruction_layers() == original.instruction_layers()


@settings(max_examples=max(100, settings.default.max_examples))
@given(streams(flags=True), st.data())
def test_any_instruction_stream_prints_and_parses_back(insns, data):
    names = st.sampled_from([None, "conv1", 'odd "name" \\ é', "layer1.0.conv2"])
    layers = [data.draw(names) for _ in insns]
    module = ModuleOp([accel.ProgramOp.from_records(insns, layers)])
    text = str(module)
    again = next(iter(parse_module(text).ops))
    assert str(ModuleOp([again.clone()])) == text
    assert [i.field_values() for i in again.stream()] == [i.field_values() for i in insns]
    assert again.instruction_layers() == layers


@settings(max_examples=max(30, settings.default.max_examples))
@given(streams(flags=True), st.data())
def test_hand_written_lines_read_as_printed_ones(insns, data):
    """Printed lines are read straight from the text; other spellings (spaces, line breaks)
    go through xDSL's parser, with the same result."""
    layers = [data.draw(st.sampled_from([None, "a", 'q"uote'])) for _ in insns]
    text = str(ModuleOp([accel.ProgramOp.from_records(insns, layers)]))
    spaced = text.replace(" (", "  (").replace(", ", ",\n        ")
    (fast,), (slow,) = parse_module(text).ops, parse_module(spaced).ops
    assert np.array_equal(fast.stream().cols, slow.stream().cols)
    assert fast.instruction_layers() == slow.instruction_layers() == layers


def _written_out(module) -> None:
    """Replace every tile.repeat by its repetitions as ops (what the emitter made before)."""
    for kernel in [op for op in module.ops if isinstance(op, tile.KernelOp)]:
        for repeat in [op for op in kernel.body.block.ops if isinstance(op, tile.RepeatOp)]:
            template, vary = repeat.template(), list(repeat.kv("vary"))
            deltas = repeat.delta_table()
            for r in range(1, repeat.kv("count") + 1):
                swap = repeat.rotation(r)
                for k, op in enumerate(template):
                    copy = op.clone()
                    copy.operands = [swap.get(value, value) for value in copy.operands]
                    if k in vary:
                        moved = copy.kv("dram_offset") + int(deltas[r - 1, vary.index(k)])
                        copy.properties["dram_offset"] = IntegerAttr(moved, i64)
                    kernel.body.block.insert_op_before(copy, repeat)
            repeat.detach()
            repeat.erase()


@SOME
@given(conv_nets(), hw_configs(), st.integers(0, 2**16))
def test_a_repeat_lowers_to_the_instructions_of_its_ops_written_out(net, cfg, seed):
    """Also with micro-op buffers small enough that repetitions reload their micro-ops."""
    compact = _lowered(net, cfg, seed, ["graph-to-tile"])
    plain = compact.clone()
    _written_out(plain)
    assert not any(isinstance(op, tile.RepeatOp) for op in plain.walk())
    run_passes(compact, ["tile-to-accel"])
    run_passes(plain, ["tile-to-accel"])
    assert str(compact) == str(plain)


def test_a_large_layer_is_a_few_ops():
    """ResNet's 56×56×64 3×3 layer: hundreds of instructions, a few dozen tile ops."""
    net = ((1, 64, 56, 56), [("conv", 64, 3, 1, 1, 1, True, True)])
    module = integer_graph(build_qdq_model(*net), HwConfig())
    run_passes(module, ["graph-to-tile"])
    (kernel,) = [op for op in module.ops if isinstance(op, tile.KernelOp)]
    ops = list(kernel.body.block.ops)
    assert any(isinstance(op, tile.RepeatOp) for op in ops) and len(ops) < 200
    run_passes(module, ["tile-to-accel"])
    program = next(op for op in module.ops if isinstance(op, accel.ProgramOp))
    assert len(program.stream()) > 500


REPEAT = """builtin.module attributes {{canopy.hw_config = {{}}}} {{
  tile.kernel "k" {{
    %0 = tile.alloc : !tile.buf<acc, 16>
    %1 = tile.alloc : !tile.buf<acc, {size}>
    tile.store %0 (offset=0, tensor="t", dram_offset=4, y_size=1, x_size=4, x_stride=4) \
: !tile.buf<acc, 16>
    {repeat}
  }}
}}"""


@pytest.mark.parametrize(
    ("repeat", "size", "error"),
    [
        ("tile.repeat (ops=1, count=2, sets=1, vary=[0], deltas=[4, 8])", 16, None),
        (
            "tile.repeat %0, %1 (ops=1, count=2, sets=2, vary=[], deltas=[]) "
            ": !tile.buf<acc, 16>, !tile.buf<acc, {size}>",
            16,
            None,
        ),
        ("tile.repeat (ops=4, count=1, sets=1, vary=[], deltas=[])", 16, "only 3 precede"),
        ("tile.repeat (ops=2, count=1, sets=1, vary=[], deltas=[])", 16, "ops only"),
        ("tile.repeat (ops=1, count=2, sets=1, vary=[0], deltas=[4])", 16, "one delta per"),
        ("tile.repeat (ops=1, count=1, sets=1, vary=[1], deltas=[4])", 16, "template positions"),
        ("tile.repeat (ops=1, count=1, sets=1, vary=[0], deltas=[-5])", 16, "below 0"),
        (
            "tile.repeat %0, %1 (ops=1, count=1, sets=2, vary=[], deltas=[]) "
            ": !tile.buf<acc, 16>, !tile.buf<acc, {size}>",
            8,
            "differ in their buffer types",
        ),
        ("tile.repeat (ops=1, count=0, sets=1, vary=[], deltas=[])", 16, "at least 1"),
    ],
)
def test_repeat_verifier(repeat, size, error):
    text = REPEAT.format(repeat=repeat.format(size=size), size=size)
    if error is None:
        module = parse_module(text)
        assert str(parse_module(str(module))) == str(module)
        return
    with pytest.raises(CanopyError, match=error):
        parse_module(text)


def test_an_empty_program_prints_and_parses_back():
    module = ModuleOp([accel.ProgramOp.from_records([], [])])
    assert str(module) == "builtin.module {\n  accel.program {\n  }\n}"
    (program,) = parse_module(str(module)).ops
    assert isinstance(program.stream(), Stream) and len(program.stream()) == 0
