"""Depthwise and grouped convolutions as `tile.repeat` runs (graph_to_tile/grouped.py): the
compact lowering gives exactly the instruction stream of emitting every tile as ops, and
MobileNet-v2's depthwise layers stay a few hundred tile ops at most, several times fewer than
their instructions. (That every stage computes the integer graph's result is
test_lowering_ops.py's property.)"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import event, given, reject, settings
from hypothesis import strategies as st
from models import hw_configs
from test_lowering_ops import grouped_convs, module_of
from xdsl.dialects.builtin import TensorType, i8, i32

from canopy_ir import kernels
from canopy_ir.compiler.pipeline import run_passes
from canopy_ir.dialects import accel, graph, tile
from canopy_ir.errors import LoweringError
from canopy_ir.hw.config import HwConfig
from canopy_ir.passes.graph_to_tile import grouped
from canopy_ir.quant import bounded_fixed_point

SOME = settings(max_examples=max(60, settings.default.max_examples))


def grouped_module(conv, cfg, seed: int, bias: bool, per_channel: bool):
    """@main: quantize, the grouped convolution, its requantization, dequantize."""
    shape, wshape, group, strides, pads, dilations = conv
    rng = np.random.default_rng(seed)
    w = rng.integers(-127, 128, wshape).astype(np.int8)
    w[rng.random(wshape[0]) < 0.2] = 0  # some all-zero output channels: bands left out
    arrays = {"w": w, "b": rng.integers(-5000, 5000, wshape[0]).astype(np.int32)}
    ratios = 2.0 ** rng.uniform(-14, -5, wshape[0] if per_channel else 1)
    bound = int(np.abs(w.astype(np.int64)).reshape(wshape[0], -1).sum(1).max()) * 128 + 5000
    m, pre, shift = bounded_fixed_point(ratios, bound, 16, "test")
    oh, ow = kernels.conv_output_hw(
        shape[2], shape[3], wshape[2], wshape[3], strides, pads, dilations
    )

    def build(add, xs):
        wv = add(graph.ConstOp("w", TensorType(i8, wshape)))
        bv = add(graph.ConstOp("b", TensorType(i32, (wshape[0],)))) if bias else None
        out = TensorType(i32, (shape[0], wshape[0], oh, ow))
        conv = add(graph.Conv2dOp(xs[0], wv, bv, strides, pads, dilations, group, out))
        return add(graph.RequantizeOp(conv, shift, 0, -128, 127, [int(v) for v in m], pre))

    return module_of([shape], build, arrays, cfg)


def tile_by_tile(keys, per_chunk, buffers):
    """Every tile a run of its own: each tile's ops written out, no tile.repeat."""
    return [[range(i, i + 1)] for i in range(len(keys))]


@SOME
@given(grouped_convs(), hw_configs(), st.integers(0, 2**16), st.booleans(), st.booleans())
def test_runs_give_the_stream_of_every_tile_written_out(conv, cfg, seed, bias, per_channel):
    compact = grouped_module(conv, cfg, seed, bias, per_channel)
    plain = compact.clone()
    try:
        run_passes(compact, ["graph-partition", "graph-to-tile"])
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(grouped, "_runs", tile_by_tile)
            run_passes(plain, ["graph-partition", "graph-to-tile"])
    except LoweringError:
        reject()  # does not fit these (tiny) buffers
    assert not any(isinstance(op, tile.RepeatOp) for op in plain.walk())
    event("repeats" if any(isinstance(op, tile.RepeatOp) for op in compact.walk()) else "none")
    run_passes(compact, ["tile-to-accel"])
    run_passes(plain, ["tile-to-accel"])
    assert str(compact) == str(plain)


@pytest.mark.parametrize(
    ("channels", "size", "stride", "most_ops"),
    [(32, 112, 1, 200), (96, 112, 2, 320), (144, 56, 1, 320), (960, 7, 1, 40)],
)
def test_mobilenet_depthwise_layers_are_a_few_ops(channels, size, stride, most_ops):
    """MobileNet-v2's depthwise 3×3 layers (default config, per-channel requantization): the
    rows of a tall layer and the channel chunks of a deep one repeat (one op per instruction
    made 2390, 1834, 1982 and 374 ops of them)."""
    conv = ((1, channels, size, size), (channels, 1, 3, 3), channels, [stride] * 2, [1] * 4, [1, 1])
    module = grouped_module(conv, HwConfig(), 0, bias=True, per_channel=True)
    run_passes(module, ["graph-partition", "graph-to-tile"])
    (kernel,) = [op for op in module.ops if isinstance(op, tile.KernelOp)]
    ops = list(kernel.body.block.ops)
    assert any(isinstance(op, tile.RepeatOp) for op in ops) and len(ops) < most_ops
    run_passes(module, ["tile-to-accel"])
    program = next(op for op in module.ops if isinstance(op, accel.ProgramOp))
    assert len(program.stream()) > 5 * len(ops)
