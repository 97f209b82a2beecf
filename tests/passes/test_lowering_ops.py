"""Property tests of the accelerator lowerings besides dense convolution (graph_to_tile's pool,
eltwise, grouped and placement modules): on random shapes (channel counts that are not multiples
of the block), random parameters and random hardware configs with tiny buffers, `graph-partition`
puts the op on the accelerator and every stage agrees exactly with the integer graph interpreter:
the tile interpreter, the instruction stream run sequentially, after `insert-deps` under a random
module order, and after `encode`."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import assume, given, reject, settings
from hypothesis import strategies as st
from models import hw_configs
from xdsl.dialects import func
from xdsl.dialects.builtin import (
    ArrayAttr,
    FunctionType,
    ModuleOp,
    StringAttr,
    TensorType,
    f32,
    i8,
    i32,
)
from xdsl.ir import Block, Region

from canopy_ir import kernels
from canopy_ir.compiler.pipeline import run_passes
from canopy_ir.dialects import accel, graph, tile
from canopy_ir.errors import LoweringError
from canopy_ir.fuzz.properties import POLICIES
from canopy_ir.hw.layout import pack_activation, unpack_activation
from canopy_ir.interpreters.accel import run_accel
from canopy_ir.interpreters.graph import run_graph
from canopy_ir.interpreters.tile import run_tile
from canopy_ir.ir import WeightPool, attach_pool, module_config, set_module_config
from canopy_ir.passes.graph_to_tile.support import ACCELERATOR, target_of
from canopy_ir.quant import bounded_fixed_point

PROPERTY = settings(max_examples=max(100, settings.default.max_examples))


# --- integer graph modules built by hand ---------------------------------------------------------


def module_of(in_shapes, build, arrays=None, cfg=None) -> ModuleOp:
    """@main(x0, x1, ...) = dequantize(build(quantize(x_k))) with unit scales and zero points, so
    that float inputs holding integers are the int8 operands; `build(add, xs)` appends ops with
    `add` and returns the int8 result."""
    block = Block(arg_types=[TensorType(f32, s) for s in in_shapes])
    ops = []

    def add(op):
        ops.append(op)
        op.attributes["onnx_node"] = StringAttr(f"n{len(ops)}")
        return op.results[0]

    xs = [add(graph.QuantizeOp(a, 1.0, 0, TensorType(i8, a.type.get_shape()))) for a in block.args]
    y = build(add, xs)
    out = add(graph.DequantizeOp(y, 1.0, 0, TensorType(f32, graph.shape_of(y))))
    block.add_ops([*ops, func.ReturnOp(out)])
    types = FunctionType.from_lists(list(block.arg_types), [out.type])
    module = ModuleOp([func.FuncOp("main", types, Region(block))])
    attach_pool(module, WeightPool(arrays or {}))
    module.attributes["canopy.inputs"] = ArrayAttr([StringAttr(f"x{k}") for k in range(len(xs))])
    module.attributes["canopy.outputs"] = ArrayAttr([StringAttr("y")])
    if cfg is not None:
        set_module_config(module, cfg)
    module.verify()
    return module


def _run(module, xs, runner, **kw) -> np.ndarray:
    cfg = module_config(module)
    feeds, out = {}, None
    for op in module.ops:
        if isinstance(op, tile.TensorOp | accel.RegionOp) and op.role.data in ("input", "output"):
            if op.role.data == "input":
                k = int(op.attributes["onnx_name"].data[1:])
                feeds[op.sym_name.data] = pack_activation(xs[k].astype(np.int8), cfg)
            else:
                out = (op.sym_name.data, tuple(op.attributes["logical_shape"].get_values()))
    return unpack_activation(runner(module, feeds, **kw)[out[0]], out[1], cfg)


ROUNDING = "cannot be rounded exactly"  # too few shift bits for the multiplier's pieces


def stages_agree(module, xs, policy, refused: str | None = None) -> None:
    """Partition puts every op but the boundary on the accelerator (or refuses one with the
    reason `refused`: the example is dropped); tile, accel (sequential), accel with tokens
    (`policy`) and the encoded stream all give the integer graph's result."""
    expected = run_graph(module, *[x.astype(np.float32) for x in xs])[0].astype(np.int8)
    run_passes(module, ["graph-partition"])
    main = next(op for op in module.ops if isinstance(op, func.FuncOp))
    for op in main.body.block.ops:
        if not isinstance(
            op, func.ReturnOp | graph.ConstOp | graph.QuantizeOp | graph.DequantizeOp
        ):
            reason = op.attributes.get("canopy.reason")
            if refused and reason is not None and refused in reason.data:
                reject()
            assert target_of(op) == ACCELERATOR, reason
    try:
        run_passes(module, ["graph-to-tile"])
    except LoweringError as e:
        assert "fit" in str(e) or ROUNDING in str(e), str(e)
        reject()  # does not fit these (tiny) buffers, or refused like dense convolutions
    np.testing.assert_array_equal(_run(module, xs, run_tile), expected, "tile interpreter")
    run_passes(module, ["tile-to-accel"])
    got = _run(module, xs, run_accel, policy="sequential")
    np.testing.assert_array_equal(got, expected, "accel, sequential")
    run_passes(module, ["insert-deps"])
    np.testing.assert_array_equal(_run(module, xs, run_accel, policy=policy), expected, "tokens")
    run_passes(module, ["encode"])
    np.testing.assert_array_equal(_run(module, xs, run_accel, policy=policy), expected, "encoded")


def ints(shape, seed: int) -> np.ndarray:
    return np.random.default_rng(seed).integers(-128, 128, shape)


# --- strategies ----------------------------------------------------------------------------------


@st.composite
def windows(draw, max_kernel=4):
    """(input shape, kernel, strides, pads, dilations, output HW) of a 2-D pooling whose every
    window reads at least one input position; ceil_mode overhang included."""
    shape = (
        draw(st.integers(1, 2)),
        draw(st.integers(1, 20)),
        *draw(st.tuples(*[st.integers(1, 11)] * 2)),
    )
    kernel = draw(st.tuples(*[st.integers(1, max_kernel)] * 2))
    strides = draw(st.tuples(*[st.integers(1, 3)] * 2))
    dilations = draw(st.tuples(*[st.integers(1, 2)] * 2))
    pads = [draw(st.integers(0, kernel[a % 2] - 1)) for a in range(4)]
    ceil = draw(st.booleans())
    out = []
    for a in range(2):
        span = shape[2 + a] + pads[a] + pads[a + 2] - (kernel[a] - 1) * dilations[a] - 1
        assume(span >= 0)
        out.append((-(-span // strides[a]) if ceil else span // strides[a]) + 1)
    for a in range(2):  # every window has a position inside the input
        for o in range(out[a]):
            first = o * strides[a] - pads[a]
            taps = [first + i * dilations[a] for i in range(kernel[a])]
            assume(any(0 <= t < shape[2 + a] for t in taps))
    return shape, list(kernel), list(strides), pads, list(dilations), tuple(out)


def requant_tail(draw) -> dict:
    zp = draw(st.integers(-128, 127))
    lo = draw(st.sampled_from([-128, -128, zp, draw(st.integers(-128, 127))]))
    hi = draw(st.sampled_from([127, 127, draw(st.integers(lo, 127))]))
    return dict(zero_point=zp, clip_min=lo, clip_max=max(lo, hi))


# --- the properties ------------------------------------------------------------------------------


@PROPERTY
@given(windows(), hw_configs(), st.integers(0, 2**16), st.sampled_from(POLICIES))
def test_max_pool_is_exact(window, cfg, seed, policy):
    shape, kernel, strides, pads, dilations, out_hw = window

    def build(add, xs):
        out = TensorType(i8, (*shape[:2], *out_hw))
        return add(
            graph.PoolOp(
                xs[0],
                out,
                kind="max",
                kernel=kernel,
                strides=strides,
                pads=pads,
                dilations=dilations,
                count_include_pad=0,
            )
        )

    stages_agree(module_of([shape], build, cfg=cfg), [ints(shape, seed)], policy)


@PROPERTY
@given(windows(), hw_configs(), st.integers(0, 2**16), st.sampled_from(POLICIES), st.data())
def test_average_pool_is_exact(window, cfg, seed, policy, data):
    """Counts that differ at the borders (a multiplier per count), count_include_pad, input zero
    points, multipliers of 7 to 21 bits in pieces of the ALU's width."""
    shape, kernel, strides, pads, dilations, out_hw = window
    include = data.draw(st.integers(0, 1))
    _, counts = kernels.window_sums(
        np.zeros((1, 1, *shape[2:])), kernel, strides, pads, dilations, include, out_hw
    )
    seen = np.unique(counts)
    area = kernel[0] * kernel[1]
    per_count = np.arange(1, area + 1) if len(seen) > 1 else seen[:1]
    ratio = 2.0 ** data.draw(st.floats(-4, 3))
    bits = data.draw(st.integers(7, 21))
    m, pre, shift = bounded_fixed_point(ratio / per_count, 255 * int(seen.max()), bits, "test")
    params = dict(
        kernel=kernel,
        strides=strides,
        pads=pads,
        dilations=dilations,
        count_include_pad=include,
        input_zero_point=data.draw(st.integers(-128, 127)),
        multipliers=[int(v) for v in m],
        pre_shift=pre,
        shift=shift,
        **requant_tail(data.draw),
    )
    cfg = cfg.__class__(**{**cfg.to_dict(), "ALU_MUL_BITS": data.draw(st.sampled_from([4, 6, 8]))})

    def build(add, xs):
        return add(graph.QAvgPoolOp(xs[0], TensorType(i8, (*shape[:2], *out_hw)), **params))

    stages_agree(module_of([shape], build, cfg=cfg), [ints(shape, seed)], policy, ROUNDING)


@st.composite
def activation_shapes(draw):
    if draw(st.booleans()):
        return (draw(st.integers(1, 3)), draw(st.integers(1, 40)))
    return (
        draw(st.integers(1, 2)),
        draw(st.integers(1, 20)),
        draw(st.integers(1, 9)),
        draw(st.integers(1, 9)),
    )


def rescale_params(draw, operands: int) -> dict:
    bits = [draw(st.integers(0, 22)) for _ in range(operands)]
    return dict(
        multipliers=[draw(st.integers(0, (1 << b) - 1)) for b in bits],
        zero_points=[draw(st.integers(-128, 127)) for _ in range(operands)],
        shift=draw(st.integers(0, 31)),
        **requant_tail(draw),
    )


@PROPERTY
@given(
    activation_shapes(), hw_configs(), st.integers(0, 2**16), st.sampled_from(POLICIES), st.data()
)
def test_residual_add_is_exact(shape, cfg, seed, policy, data):
    p = rescale_params(data.draw, 2)

    def build(add, xs):
        return add(
            graph.QAddOp(
                xs[0],
                xs[1],
                TensorType(i8, shape),
                lhs_zero_point=p["zero_points"][0],
                rhs_zero_point=p["zero_points"][1],
                lhs_multiplier=p["multipliers"][0],
                rhs_multiplier=p["multipliers"][1],
                shift=p["shift"],
                zero_point=p["zero_point"],
                clip_min=p["clip_min"],
                clip_max=p["clip_max"],
            )
        )

    module = module_of([shape, shape], build, cfg=cfg)
    stages_agree(module, [ints(shape, seed), ints(shape, seed + 1)], policy)


@PROPERTY
@given(
    activation_shapes(), hw_configs(), st.integers(0, 2**16), st.sampled_from(POLICIES), st.data()
)
def test_rescale_is_exact(shape, cfg, seed, policy, data):
    p = rescale_params(data.draw, 1)

    def build(add, xs):
        return add(
            graph.RescaleOp(
                xs[0],
                TensorType(i8, shape),
                input_zero_point=p["zero_points"][0],
                multiplier=p["multipliers"][0],
                shift=p["shift"],
                zero_point=p["zero_point"],
                clip_min=p["clip_min"],
                clip_max=p["clip_max"],
            )
        )

    stages_agree(module_of([shape], build, cfg=cfg), [ints(shape, seed)], policy)


@PROPERTY
@given(
    activation_shapes(), hw_configs(), st.integers(0, 2**16), st.sampled_from(POLICIES), st.data()
)
def test_per_channel_affine_is_exact(shape, cfg, seed, policy, data):
    """graph.qaffine (a quantized BatchNormalization): signed per-channel multipliers of any
    width below 2^22, per-channel offsets up to the op's bound."""
    p = rescale_params(data.draw, 1)
    channels = shape[1]
    widths = [data.draw(st.integers(0, 22)) for _ in range(channels)]
    multipliers = [data.draw(st.integers(-(1 << b) + 1, (1 << b) - 1)) for b in widths]
    bound = graph.MAX_AFFINE_OFFSET - 1
    offsets = data.draw(st.lists(st.integers(-bound, bound), min_size=channels, max_size=channels))

    def build(add, xs):
        return add(
            graph.QAffineOp(
                xs[0],
                TensorType(i8, shape),
                input_zero_point=p["zero_points"][0],
                multipliers=multipliers,
                offsets=offsets,
                shift=min(p["shift"], 30),
                zero_point=p["zero_point"],
                clip_min=p["clip_min"],
                clip_max=p["clip_max"],
            )
        )

    stages_agree(module_of([shape], build, cfg=cfg), [ints(shape, seed)], policy)


@st.composite
def grouped_convs(draw):
    """(input shape, weight shape, group, strides, pads, dilations): depthwise (a multiplier
    of 1 or 2 per channel) or grouped."""
    group = draw(st.integers(2, 8))
    depthwise = draw(st.booleans())
    cg = 1 if depthwise else draw(st.integers(1, 6))
    og = draw(st.integers(1, 2)) if depthwise else draw(st.integers(1, 6))
    k = draw(st.sampled_from([1, 2, 3]))
    shape = (draw(st.integers(1, 2)), cg * group, draw(st.integers(1, 9)), draw(st.integers(1, 9)))
    pads = [draw(st.integers(0, k)) for _ in range(4)]
    strides, dilations = [draw(st.integers(1, 2))] * 2, [draw(st.integers(1, 2))] * 2
    for a in range(2):
        assume(shape[2 + a] + pads[a] + pads[a + 2] >= (k - 1) * dilations[a] + 1)
    return shape, (og * group, cg, k, k), group, strides, pads, dilations


@PROPERTY
@given(grouped_convs(), hw_configs(), st.integers(0, 2**16), st.sampled_from(POLICIES), st.data())
def test_grouped_and_depthwise_convolution_is_exact(conv, cfg, seed, policy, data):
    """Biases or none, per-tensor or per-channel fixed-point requantization in pieces."""
    shape, wshape, group, strides, pads, dilations = conv
    rng = np.random.default_rng(seed)
    w = rng.integers(-127, 128, wshape).astype(np.int8)
    arrays = {"w": w, "b": rng.integers(-5000, 5000, wshape[0]).astype(np.int32)}
    bias = data.draw(st.booleans())
    per_channel = data.draw(st.booleans())
    ratios = 2.0 ** rng.uniform(-14, -5, wshape[0] if per_channel else 1)
    bound = int(np.abs(w.astype(np.int64)).reshape(wshape[0], -1).sum(1).max()) * 128 + 5000
    m, pre, shift = bounded_fixed_point(ratios, bound, data.draw(st.integers(1, 21)), "test")
    alu_bits = data.draw(st.sampled_from([4, 8]))
    cfg = cfg.__class__(**{**cfg.to_dict(), "ALU_MUL_BITS": alu_bits})
    tail = requant_tail(data.draw)
    oh, ow = kernels.conv_output_hw(
        shape[2], shape[3], wshape[2], wshape[3], strides, pads, dilations
    )

    def build(add, xs):
        wv = add(graph.ConstOp("w", TensorType(i8, wshape)))
        bv = add(graph.ConstOp("b", TensorType(i32, (wshape[0],)))) if bias else None
        out = TensorType(i32, (shape[0], wshape[0], oh, ow))
        conv = add(graph.Conv2dOp(xs[0], wv, bv, strides, pads, dilations, group, out))
        return add(
            graph.RequantizeOp(
                conv,
                shift,
                tail["zero_point"],
                tail["clip_min"],
                tail["clip_max"],
                [int(v) for v in m],
                pre,
            )
        )

    stages_agree(module_of([shape], build, arrays, cfg), [ints(shape, seed)], policy)


def identity_rescale(add, x):
    """x through a graph.rescale that changes nothing: a kernel stores its result."""
    return add(
        graph.RescaleOp(
            x,
            x.type,
            input_zero_point=0,
            multiplier=1,
            shift=0,
            zero_point=0,
            clip_min=-128,
            clip_max=127,
        )
    )


@PROPERTY
@given(
    st.lists(st.sampled_from([1, 3, 4, 8, 12, 16, 20]), min_size=1, max_size=4),
    st.integers(1, 2),
    st.tuples(st.integers(1, 6), st.integers(1, 6)),
    st.booleans(),
    st.booleans(),
    hw_configs(),
    st.integers(0, 2**16),
    st.sampled_from(POLICIES),
)
def test_concat_along_channels_is_exact(channels, n, hw, flat, stored, cfg, seed, policy):
    """Inputs copied into place (the model's inputs), or stored in place by the kernels that
    make them (`stored`: each through a rescale) where their channels fill whole blocks."""
    shapes = [(n, c) if flat else (n, c, *hw) for c in channels]
    out = (n, sum(channels)) if flat else (n, sum(channels), *hw)

    def build(add, xs):
        if stored:
            xs = [identity_rescale(add, x) for x in xs]
        return add(graph.ConcatOp(xs, 1, TensorType(i8, out)))

    xs = [ints(s, seed + k) for k, s in enumerate(shapes)]
    stages_agree(module_of(shapes, build, cfg=cfg), xs, policy)


def test_concat_of_whole_blocks_is_stored_in_place():
    """16 + 16 + 5 channels on 16-lane blocks, batch 1: the three producers store into the
    concatenation's tensor and there is no copy kernel."""
    shapes = [(1, 16, 3, 5), (1, 16, 3, 5), (1, 5, 3, 5)]

    def build(add, xs):
        parts = [identity_rescale(add, x) for x in xs]
        return add(graph.ConcatOp(parts, 1, TensorType(i8, (1, 37, 3, 5))))

    xs = [ints(s, k) for k, s in enumerate(shapes)]
    stages_agree(module_of(shapes, build), xs, POLICIES[0])
    module = module_of(shapes, build)
    run_passes(module, ["graph-partition", "graph-to-tile"])
    kernels_ = [op for op in module.ops if isinstance(op, tile.KernelOp)]
    assert [k.layer.data for k in kernels_] == ["n4", "n5", "n6"]  # the rescales, no copy (n7)
    (tensor,) = [
        op.sym_name.data
        for op in module.ops
        if isinstance(op, tile.TensorOp)
        if op.role.data == "output"
    ]
    stores = [op for k in kernels_ for op in k.body.block.ops if isinstance(op, tile.StoreOp)]
    assert {op.kv("tensor") for op in stores} == {tensor}
    assert sorted({op.kv("dram_offset") for op in stores}) == [0, 15, 30]  # block k at k·H·W


@PROPERTY
@given(
    activation_shapes().filter(lambda s: len(s) == 4),
    st.lists(st.integers(0, 18), min_size=4, max_size=4),
    st.integers(-128, 127),
    hw_configs(),
    st.integers(0, 2**16),
    st.sampled_from(POLICIES),
)
def test_constant_padding_is_exact(shape, pads, value, cfg, seed, policy):
    pt, pl, pb, pr = pads
    out = (*shape[:2], shape[2] + pt + pb, shape[3] + pl + pr)

    def build(add, xs):
        return add(
            graph.PadOp(
                xs[0],
                TensorType(i8, out),
                pads=[0, 0, pt, pl, 0, 0, pb, pr],
                mode="constant",
                value=float(value),
            )
        )

    stages_agree(module_of([shape], build, cfg=cfg), [ints(shape, seed)], policy)


def test_layout_only_reshapes_share_one_tensor():
    """A global average pool's [N, C, 1, 1] result reshaped to [N, C] (ReduceMean keepdims=0)
    and back: no kernel, one DRAM tensor."""
    shape = (2, 21, 5, 4)

    def build(add, xs):
        pooled = add(
            graph.QAvgPoolOp(
                xs[0],
                TensorType(i8, (2, 21, 1, 1)),
                kernel=[5, 4],
                strides=[1, 1],
                pads=[0, 0, 0, 0],
                dilations=[1, 1],
                count_include_pad=0,
                input_zero_point=3,
                multipliers=[52429],
                pre_shift=0,
                shift=20,
                zero_point=-1,
                clip_min=-128,
                clip_max=127,
            )
        )
        flat = add(graph.ReshapeOp(pooled, TensorType(i8, (2, 21))))
        return add(
            graph.RescaleOp(
                flat,
                TensorType(i8, (2, 21)),
                input_zero_point=-1,
                multiplier=3 << 19,
                shift=20,
                zero_point=0,
                clip_min=-128,
                clip_max=127,
            )
        )

    module = module_of([shape], build)
    stages_agree(module, [ints(shape, 0)], POLICIES[0])


@pytest.mark.parametrize("reason", ["broadcast", "float"])
def test_what_stays_on_the_host_says_why(reason):
    def build(add, xs):
        if reason == "broadcast":
            return add(
                graph.QAddOp(
                    xs[0],
                    xs[1],
                    TensorType(i8, (1, 4, 3, 3)),
                    lhs_zero_point=0,
                    rhs_zero_point=0,
                    lhs_multiplier=1,
                    rhs_multiplier=1,
                    shift=0,
                    zero_point=0,
                    clip_min=-128,
                    clip_max=127,
                )
            )
        return add(
            graph.PadOp(
                xs[0],
                TensorType(i8, (1, 4, 3, 4)),
                pads=[0, 0, 0, 0, 0, 0, 0, 1],
                mode="constant",
                value=0.5,
            )
        )

    shapes = [(1, 4, 3, 3), (1, 4, 1, 3)] if reason == "broadcast" else [(1, 4, 3, 3)]
    module = module_of(shapes, build)
    run_passes(module, ["graph-partition"])
    main = next(op for op in module.ops if isinstance(op, func.FuncOp))
    op = [o for o in main.body.block.ops if isinstance(o, graph.QAddOp | graph.PadOp)][0]
    assert target_of(op) == "host"
    assert ("broadcasting" if reason == "broadcast" else "not an int8 value") in (
        op.attributes["canopy.reason"].data
    )
