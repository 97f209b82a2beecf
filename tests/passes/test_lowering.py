"""Property tests of graph-to-tile, tile-to-accel, insert-deps and encode: each stage's
interpreter agrees exactly with the previous stage's on random nets and hardware configs."""

import dataclasses

import numpy as np
import pytest
from hypothesis import assume, given, reject, settings
from hypothesis import strategies as st
from models import build_qdq_model, conv_nets, hw_configs, random_input
from stages import graph_output, integer_graph, run_lowered
from xdsl.rewriter import Rewriter

from canopy_ir.compiler.pipeline import run_passes
from canopy_ir.dialects import graph, tile
from canopy_ir.errors import LoweringError
from canopy_ir.fuzz.properties import POLICIES, PROPERTIES
from canopy_ir.fuzz.strategies import narrow_hw_configs, wide_conv_nets
from canopy_ir.hw.simulator import FunctionalSimulator
from canopy_ir.interpreters.accel import run_accel
from canopy_ir.interpreters.tile import run_tile
from canopy_ir.ir import pool_of
from canopy_ir.quant import Requant, accumulator_bound, fixed_point, piece_bits

# The lowering properties get 200 examples in CI (the `ci` profile's 25 miss bugs that ~200
# find); the nightly profile's 10 000 stay.
LOWERING = settings(max_examples=max(200, settings.default.max_examples))


def lowered(net, cfg, seed, upto):
    module = integer_graph(build_qdq_model(*net, seed=seed), cfg)
    try:
        run_passes(module, upto)
    except LoweringError:
        reject()  # a layer that does not fit these (tiny) buffers
    return module


def holds(prop_name: str, net, cfg, seed) -> None:
    """canopy-fuzz's property of one pass (canopy_ir.fuzz.properties) on this program."""
    prop = PROPERTIES[prop_name]
    module = lowered(net, cfg, seed, list(prop.prefix))
    try:
        prop.check(module, random_input(net[0], seed))
    except LoweringError:
        reject()  # the pass itself says the program does not fit these buffers


@LOWERING
@given(conv_nets(), hw_configs(), st.integers(0, 2**16))
def test_graph_to_tile_is_exact(net, cfg, seed):
    holds("graph-to-tile", net, cfg, seed)  # tile interpreter == integer graph


@LOWERING
@given(conv_nets(), hw_configs(), st.integers(0, 2**16))
def test_tile_to_accel_is_exact(net, cfg, seed):
    holds("tile-to-accel", net, cfg, seed)  # accel, run sequentially == tile interpreter


@LOWERING
@given(conv_nets(), hw_configs(), st.integers(0, 2**16))
def test_insert_deps_makes_every_schedule_sequential(net, cfg, seed):
    holds("insert-deps", net, cfg, seed)  # each of the 6 module orders == sequential


@LOWERING
@given(wide_conv_nets(), narrow_hw_configs(), st.integers(0, 2**16))
def test_width_tiled_pipeline_is_exact(net, cfg, seed):
    """Wide images with 16..128-element input and accumulator buffers: most layers are tiled in
    width too (border windows padded, inner ones not); the card equals the integer graph."""
    holds("pipeline", net, cfg, seed)


@LOWERING
@given(wide_conv_nets(), narrow_hw_configs(), st.integers(0, 2**16))
def test_width_tiled_insert_deps_makes_every_schedule_sequential(net, cfg, seed):
    holds("insert-deps", net, cfg, seed)  # tiles without loads, several stores per tile


def with_fixed_point_requantization(module, rng, per_channel: bool, bits: int, alu_mul_bits: int):
    """Replace every graph.requantize's power-of-two shift by a fixed-point multiplier (per
    channel or per tensor, `bits` wide) for a random scale ratio in 2^-14 .. 2^-5."""
    pool = pool_of(module)
    for op in [o for o in module.walk() if isinstance(o, graph.RequantizeOp)]:
        layer = op.input.owner
        w = pool[layer.weight.owner.weight.data]
        b = pool[layer.bias.owner.weight.data] if layer.bias is not None else None
        ratios = 2.0 ** rng.uniform(-14, -5, w.shape[0] if per_channel else 1)
        m, pre, shift = fixed_point(ratios, accumulator_bound(w, b), bits, "test")
        _, zp, lo, hi, _, _ = op.params
        rq = Requant(shift, zp, lo, hi, pre, tuple(int(v) for v in m), piece_bits(alu_mul_bits))
        assume(rq.pieces <= 1 or rq.shift > rq.multiply_shift)  # refused: the test below
        new = graph.RequantizeOp(op.input, shift, zp, lo, hi, rq.multipliers, pre)
        new.attributes.update(op.attributes)
        Rewriter.replace_op(op, new)


@LOWERING
@given(
    conv_nets(),
    hw_configs(),
    st.integers(0, 2**16),
    st.booleans(),
    st.integers(7, 21),
    st.sampled_from([3, 4, 6, 8]),
)
def test_fixed_point_requantization_is_exact(net, cfg, seed, per_channel, bits, alu_mul_bits):
    """Multipliers applied in pieces of the ALU's width (per-channel pieces broadcast from DRAM):
    tile and accel programs equal the integer graph exactly."""
    cfg = dataclasses.replace(cfg, ALU_MUL_BITS=alu_mul_bits)
    module = integer_graph(build_qdq_model(*net, seed=seed), cfg)
    with_fixed_point_requantization(
        module, np.random.default_rng(seed), per_channel, bits, alu_mul_bits
    )
    x = random_input(net[0], seed)
    expected = graph_output(module, x)
    try:
        run_passes(module, ["graph-to-tile"])
    except LoweringError:
        reject()
    np.testing.assert_array_equal(run_lowered(module, x, run_tile), expected)
    run_passes(module, ["tile-to-accel", "insert-deps"])
    np.testing.assert_array_equal(run_lowered(module, x, run_accel), expected)


def test_without_tokens_an_eager_schedule_races():
    """The reason insert-deps exists: the same stream without tokens gives wrong results."""
    from small_cnn import build_small_cnn, sample_input

    module = integer_graph(build_small_cnn())
    run_passes(module, ["graph-to-tile", "tile-to-accel"])
    x = sample_input()
    sequential = run_lowered(module, x, run_accel, policy="sequential")
    assert not np.array_equal(run_lowered(module, x, run_accel, policy=POLICIES[0]), sequential)


@LOWERING
@given(conv_nets(), hw_configs(), st.integers(0, 2**16))
def test_encode_decode_round_trip(net, cfg, seed):
    holds("encode", net, cfg, seed)  # encoded == instruction ops; decode(encode(m)) == m


def test_tiling_splits_channels_rows_and_reduction_to_fit_small_buffers():
    from canopy_ir.hw.config import HwConfig

    # 64 input, 16 weight and 64 accumulator elements: a 20->20 channel 3x3 conv on 9x9 must be
    # cut into single channel blocks, a few rows, and two reduction chunks.
    cfg = HwConfig(LOG_INP_BUFF_SIZE=10, LOG_ACC_BUFF_SIZE=12, LOG_WGT_BUFF_SIZE=12)
    net = ((1, 20, 9, 9), [("conv", 20, 3, 1, 1, 1, True, True)])
    module = integer_graph(build_qdq_model(*net), cfg)
    run_passes(module, ["graph-to-tile"])
    (kernel,) = [op for op in module.ops if isinstance(op, tile.KernelOp)]
    tiling = {k: v.value.data for k, v in kernel.attributes["tiling"].data.items()}
    assert (tiling["tob"], tiling["tib"]) == (1, 1) and 1 <= tiling["toh"] <= 3
    for alloc in kernel.body.block.ops:
        if isinstance(alloc, tile.AllocOp):
            assert alloc.buf.type.size.data <= cfg.depth(alloc.buf.type.space.data)
    x = random_input(net[0])
    expected = graph_output(integer_graph(build_qdq_model(*net)), x)
    run_passes(module, ["tile-to-accel", "insert-deps"])
    np.testing.assert_array_equal(run_lowered(module, x, run_accel), expected)


def test_layer_too_wide_for_buffers_names_the_layer():
    from canopy_ir.hw.config import HwConfig

    # 16 input elements: not even one output element's 7x7 window fits (a 3x3 one now does,
    # in tiles of a few columns: tests/passes/test_width_tiling.py)
    cfg = HwConfig(LOG_INP_BUFF_SIZE=8)
    module = integer_graph(
        build_qdq_model((1, 3, 8, 30), [("conv", 4, 7, 1, 3, 1, False, False)]), cfg
    )
    with pytest.raises(LoweringError, match="layer 'l0'.*does not fit"):
        run_passes(module, ["graph-to-tile"])


def test_insert_deps_stream_is_balanced_with_small_token_queues():
    from small_cnn import build_small_cnn

    from canopy_ir.accel_program import read_program

    module = integer_graph(build_small_cnn())
    run_passes(module, ["graph-to-tile", "tile-to-accel", "insert-deps"])
    program = read_program(module)
    pushes = {f: sum(getattr(i, f) for i in program.insns) for f in ("push_next", "push_prev")}
    pops = {f: sum(getattr(i, f) for i in program.insns) for f in ("pop_next", "pop_prev")}
    assert pushes["push_next"] == pops["pop_prev"] and pushes["push_prev"] == pops["pop_next"]
    assert pushes["push_next"] > 0
    dram = np.zeros(program.arena_bytes, np.uint8)
    FunctionalSimulator(program.config, dram, queue_depth=1).run(program.insns, POLICIES[0])


def test_requantization_that_cannot_round_exactly_is_refused():
    """A multiply in k pieces of p bits floors (k-1)p bits away; a shift no larger than that
    would truncate instead of round, so graph-to-tile refuses it, naming the layer."""
    from canopy_ir.hw.config import HwConfig

    cfg = HwConfig(ALU_MUL_BITS=3)  # pieces of 2 bits
    module = integer_graph(
        build_qdq_model((1, 3, 4, 4), [("conv", 4, 1, 1, 0, 1, False, True)]), cfg
    )
    (op,) = [o for o in module.walk() if isinstance(o, graph.RequantizeOp)]
    _, zp, lo, hi, _, _ = op.params
    new = graph.RequantizeOp(op.input, 8, zp, lo, hi, (2**20 + 12345,), 0)  # 21 bits, shift 8
    new.attributes.update(op.attributes)
    Rewriter.replace_op(op, new)
    with pytest.raises(LoweringError, match="layer 'l0'.*cannot be rounded exactly"):
        run_passes(module, ["graph-to-tile"])
