"""Width tiling in graph-to-tile: tiles cover column ranges when one full output row does not fit
the buffers, each tile's input window is padded only where it crosses the image border, and
LOAD/STORE transfers are cut where y_size, x_size or x_stride would overflow their 16 bits."""

import numpy as np
import onnx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from models import build_qdq_model, random_input
from stages import graph_output, integer_graph, run_accel, run_lowered, run_passes

import canopy_ir
from canopy_ir.accel_program import read_program
from canopy_ir.compiler.driver import compile_model
from canopy_ir.dialects import tile
from canopy_ir.hw import isa
from canopy_ir.hw.config import HwConfig
from canopy_ir.passes.graph_to_tile import fields
from canopy_ir.passes.graph_to_tile.fields import Window, fit_transfer, window
from canopy_ir.passes.graph_to_tile.tiling import (
    ITER_MAX,
    ConvGeometry,
    choose_tiling,
    width_candidates,
)

PRESETS = ("vta-default", "arria10", "stratix10-vu9p")
STEM = ((1, 3, 224, 224), [("conv", 64, 7, 2, 3, 1, True, True)])  # ResNet's first layer
RESNET_3X3 = ((1, 64, 56, 56), [("conv", 64, 3, 1, 1, 1, True, True)])


def kernels_of(module) -> list[tile.KernelOp]:
    return [op for op in module.ops if isinstance(op, tile.KernelOp)]


def tiling_of(kernel: tile.KernelOp) -> dict[str, int]:
    return {k: v.value.data for k, v in kernel.attributes["tiling"].data.items()}


def test_window_pads_only_where_it_crosses_the_border():
    assert window(-3, 10, 20) == Window(0, 3, 7, 0)  # left border: 3 zero columns
    assert window(4, 10, 20) == Window(4, 0, 10, 0)  # interior: all real data
    assert window(15, 8, 20) == Window(15, 0, 5, 3)  # right border
    assert window(-2, 30, 20) == Window(0, 2, 20, 8)  # the whole row
    assert window(-3, 2, 20) == Window(0, 2, 0, 0)  # wholly in the left padding
    assert window(21, 2, 20) == Window(21, 0, 0, 2)  # wholly in the right padding


def _apply(transfers: list[dict], dram: np.ndarray, load: bool) -> np.ndarray:
    """LOAD (into a buffer) or STORE (from `dram` standing for the accumulators, into a fresh
    DRAM array) semantics of docs/isa.md §4, on scalar elements."""
    out = np.full(256, -1)
    for f in transfers:
        for y in range(f["y_size"]):
            for x in range(f["x_size"]):
                if load:
                    row = f["x_pad_0"] + f["x_size"] + f["x_pad_1"]
                    at = f["offset"] + (f["y_pad_0"] + y) * row + f["x_pad_0"] + x
                    out[at] = dram[f["dram_offset"] + y * f["x_stride"] + x]
                else:
                    at = f["dram_offset"] + y * f["x_stride"] + x
                    out[at] = dram[f["offset"] + y * f["x_size"] + x]
        if load:  # the padding rows and columns are zero
            row = f["x_pad_0"] + f["x_size"] + f["x_pad_1"]
            for y in range(f["y_pad_0"] + f["y_size"] + f["y_pad_1"]):
                for x in range(row):
                    data = f["y_pad_0"] <= y < f["y_pad_0"] + f["y_size"]
                    if not (data and f["x_pad_0"] <= x < f["x_pad_0"] + f["x_size"]):
                        out[f["offset"] + y * row + x] = 0
    return out


@settings(max_examples=max(200, settings.default.max_examples))
@given(
    st.booleans(),
    st.integers(0, 12),
    st.integers(0, 5),
    st.integers(1, 4),
    st.integers(0, 12),
    st.tuples(*[st.integers(0, 2)] * 4),
)
def test_cut_transfers_move_the_same_elements(load, y_size, x_size, stride_extra, start, pads):
    """With 3-bit fields (FIELD_MAX patched to 7), every transfer fitting them moves exactly the
    elements of the uncut transfer."""
    # strides up to 13 and up to 12 rows: some do not fit 3 bits
    f = dict(
        offset=1,
        dram_offset=start,
        y_size=y_size,
        x_size=x_size,
        x_stride=x_size + stride_extra * 2,
    )
    if load:
        f.update(zip(("y_pad_0", "y_pad_1", "x_pad_0", "x_pad_1"), pads, strict=True))
    dram = np.arange(100, 356)
    saved, fields.FIELD_MAX = fields.FIELD_MAX, 7
    try:
        pieces = fit_transfer(f, load)
    finally:
        fields.FIELD_MAX = saved
    for piece in pieces:
        assert piece["y_size"] <= 7 and piece["x_stride"] <= 7 and piece["x_size"] <= 7
    np.testing.assert_array_equal(_apply(pieces, dram, load), _apply([f], dram, load))


def test_buffers_too_small_for_one_row_tile_the_width():
    """16 input elements: the 3×3 convolution's input rows (3 × 32 elements) do not fit; this
    layer was refused before width tiling, now its tiles cover a few columns each."""
    cfg = HwConfig(LOG_INP_BUFF_SIZE=8)
    net = ((1, 3, 8, 30), [("conv", 4, 3, 1, 1, 1, False, False)])
    module = integer_graph(build_qdq_model(*net), cfg)
    run_passes(module, ["graph-to-tile"])
    (kernel,) = kernels_of(module)
    assert 1 <= tiling_of(kernel)["tow"] < 30
    for alloc in kernel.body.block.ops:
        if isinstance(alloc, tile.AllocOp):
            assert alloc.buf.type.size.data <= cfg.depth(alloc.buf.type.space.data)
    x = random_input(net[0])
    expected = graph_output(integer_graph(build_qdq_model(*net)), x)
    run_passes(module, ["tile-to-accel", "insert-deps"])
    np.testing.assert_array_equal(run_lowered(module, x, run_accel), expected)


@pytest.mark.parametrize(
    ("net", "inp_depth"),
    [
        # 1×1 convolution with padding 2 and 2 input elements: tiles of two columns, so the
        # first and last tiles (and rows) read only padding and load nothing at all
        (((1, 5, 4, 13), [("conv", 6, 1, 1, 2, 1, True, True)]), 2),
        # strided and dilated, the padding wider than the kernel reaches
        (((2, 9, 5, 23), [("conv", 7, 3, 3, 3, 2, False, True)]), 32),
        (((1, 4, 3, 37), [("conv", 5, 5, 2, 2, 1, True, False)]), 32),
    ],
)
def test_width_tiles_at_the_border_are_exact(net, inp_depth):
    log_inp = inp_depth.bit_length() - 1 + 5 - 3  # 4-lane int8 input elements are 2^5 bits
    cfg = HwConfig(LOG_BLOCK_IN=2, LOG_BLOCK_OUT=2, LOG_INP_BUFF_SIZE=log_inp, LOG_ACC_BUFF_SIZE=9)
    assert cfg.depth("inp") == inp_depth
    module = integer_graph(build_qdq_model(*net), cfg)
    x = random_input(net[0])
    expected = graph_output(module, x)
    run_passes(module, ["graph-to-tile"])
    assert all("tow" in tiling_of(k) for k in kernels_of(module))
    run_passes(module, ["tile-to-accel", "insert-deps"])
    np.testing.assert_array_equal(run_lowered(module, x, run_accel), expected)


def test_width_candidates_are_the_narrowest_width_of_each_tile_count():
    for ow in [*range(1, 300), 4097, 20_000]:
        g = ConvGeometry(1, 1, 1, ow, 1, 1, ow)
        expected = sorted({-(-ow // n) for n in range(1, ow + 1)}, reverse=True)
        assert width_candidates(g) == [w for w in expected if w <= ITER_MAX]


def test_full_width_is_kept_when_a_row_fits():
    """A narrower tile is considered only when one full-width output row does not fit."""
    g = ConvGeometry(1, 4, 56, 56, 4, 56, 56, 3, 3, 1, 1, 1, 1)
    for preset in PRESETS:
        assert choose_tiling(g, HwConfig.from_spec(preset), "l").width(g) == 56


@pytest.mark.parametrize("preset", PRESETS)
@pytest.mark.parametrize("net", [STEM, RESNET_3X3], ids=["stem-7x7s2", "resnet-3x3"])
def test_resnet_layers_are_bit_exact_on_the_simulated_card(net, preset, tmp_path):
    """ResNet's 224×224 stem (its input rows exceed the 1024-element input buffer of
    stratix10-vu9p) and a 56×56×64 3×3 layer, on every preset's simulated card."""
    model = build_qdq_model(*net, seed=1)
    onnx.save(model, tmp_path / "m.onnx")
    compile_model(tmp_path / "m.onnx", tmp_path / "m.canopy", config=preset)
    x = np.random.default_rng(0).uniform(-2, 2, net[0]).astype(np.float32)
    (y,) = canopy_ir.InferenceSession(str(tmp_path / "m.canopy"), device="sim").run(
        None, {"input": x}
    )
    np.testing.assert_array_equal(y, graph_output(integer_graph(model), x))


def _mem_fields(module) -> list[dict[str, int]]:
    insns = read_program(module).insns
    mem = [i for i in insns if isinstance(i, isa.LoadInsn | isa.StoreInsn)]
    return [{k: getattr(i, k) for k in ("y_size", "x_size", "x_stride")} for i in mem]


@pytest.mark.parametrize(
    "net",
    [
        # rows of 66 000 elements: more columns than GEMM's 14-bit loop counters walk, and an
        # input row stride beyond 16 bits, so three-row input windows load row by row
        ((1, 1, 3, 66_000), [("conv", 4, 3, 1, 0, 1, False, True)]),
        # a 300×300 output plane: the channel-block stride of a store exceeds 16 bits
        ((1, 3, 300, 300), [("conv", 40, 1, 1, 0, 1, True, False)]),
    ],
    ids=["wide", "tall"],
)
def test_huge_tensors_keep_transfer_fields_inside_16_bits(net):
    cfg = HwConfig()
    module = integer_graph(build_qdq_model(*net), cfg)
    x = random_input(net[0])
    expected = graph_output(module, x)
    run_passes(module, ["graph-to-tile", "tile-to-accel", "insert-deps"])
    for f in _mem_fields(module):
        assert max(f.values()) <= 0xFFFF, f
    run_passes(module, ["encode"])  # the encoder checks every field
    np.testing.assert_array_equal(run_lowered(module, x, run_accel), expected)
