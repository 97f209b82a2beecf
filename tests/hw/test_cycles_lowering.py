"""The cycle model on lowered ResNet-18 convolutions: what the lowering reaches on the default
configuration (a regression test of the model and the tiler: both are deterministic, so the
cycle counts are exact), and the tiler's estimate against the model's cycles.

The convolutions requantize as the zoo ResNet-18 quantized by the compiler does: a 21-bit
fixed-point multiplier, applied by the ALU in three 7-bit pieces (19 ALU cycles per accumulator
element); the graph's requantization is set explicitly so that these figures do not move with
the quantizer's choices."""

import numpy as np
import pytest
from models import build_qdq_model, random_input
from stages import graph_output, integer_graph, run_accel, run_lowered, run_passes

from canopy_ir.accel_program import read_program
from canopy_ir.dialects import graph, tile
from canopy_ir.hw import isa
from canopy_ir.hw.config import HwConfig
from canopy_ir.hw.cycles import cycle_model
from canopy_ir.quant import Requant

# ResNet-18's layer1.0.conv1 as the compiler quantizes it (multiplier pieces 105, 7, 92)
MULTIPLIER, SHIFT = 105 + 7 * 128 + 92 * 128 * 128, 29


def fixed_point(module, multiplier: int = MULTIPLIER, shift: int = SHIFT) -> None:
    """Give every requantization of an integer graph a fixed-point multiplier (ReLU clip)."""
    for op in [o for o in module.walk() if isinstance(o, graph.RequantizeOp)]:
        new = graph.RequantizeOp(op.input, shift, 0, 0, 127, (multiplier,))
        op.parent_block().insert_op_before(new, op)
        op.output.replace_all_uses_with(new.output)
        op.detach()
        op.erase()


def lowered(net, cfg: HwConfig, seed: int = 0):
    """(module after insert-deps, its tiling attributes, input, expected output)."""
    module = integer_graph(build_qdq_model(*net, seed=seed), cfg)
    fixed_point(module)
    x = random_input(net[0], seed)
    expected = graph_output(module, x)
    run_passes(module, ["graph-to-tile"])
    (kernel,) = [op for op in module.ops if isinstance(op, tile.KernelOp)]
    tiling = {k: v.value.data for k, v in kernel.attributes["tiling"].data.items()}
    run_passes(module, ["tile-to-accel", "insert-deps"])
    return module, tiling, x, expected


def test_resnet_3x3_at_56_reaches_the_compute_module_ceiling():
    """64 → 64 channels, 3×3, 56×56 on vta-default: 36 GEMM cycles per accumulator element
    against 19 ALU cycles of requantization and 3 of initialisation (reset, bias ADD), all in
    the compute module, so at most 36 / 58 = 62.1% of the GEMM core; the lowering gets within a
    percent of it (every load and store hidden, the weights loaded once)."""
    cfg = HwConfig()
    module, tiling, x, expected = lowered(
        ((1, 64, 56, 56), [("conv", 64, 3, 1, 1, 1, True, True)]), cfg
    )
    assert tiling["resident"] >= 1 and tiling["tob"] == 4  # all 64 channels, weights resident
    program = read_program(module)
    report = cycle_model(program.insns, cfg)
    assert report.total_cycles == 735692
    assert 0.61 < report.utilization < 36 / 58
    weight_loads = [
        i for i in program.insns if isinstance(i, isa.LoadInsn) and i.memory_type == isa.MemId.WGT
    ]
    assert sum(i.y_size * i.x_size for i in weight_loads) == 4 * 4 * 9  # each weight once
    np.testing.assert_array_equal(run_lowered(module, x, run_accel), expected)


@pytest.mark.parametrize(
    "net",
    [
        ((1, 64, 56, 56), [("conv", 64, 3, 1, 1, 1, True, True)]),  # layer1
        ((1, 64, 56, 56), [("conv", 128, 3, 2, 1, 1, True, True)]),  # layer2.0.conv1
        ((1, 128, 28, 28), [("conv", 256, 1, 2, 0, 1, False, True)]),  # layer3 downsample
        ((1, 256, 14, 14), [("conv", 256, 3, 1, 1, 1, True, True)]),  # layer3
        ((1, 512, 7, 7), [("conv", 512, 3, 1, 1, 1, True, True)]),  # layer4
    ],
    ids=["layer1", "layer2-stride2", "layer3-1x1-stride2", "layer3", "layer4"],
)
@pytest.mark.parametrize("preset", ["vta-default", "stratix10-vu9p"])
def test_the_tilers_estimate_is_the_models_cycles_within_a_few_percent(net, preset):
    """The tiler chooses by `tiling.estimate`; it must follow the cycle model, or it would
    choose by a friendlier model than the one that reports."""
    from canopy_ir.passes.graph_to_tile.tiling import ConvGeometry, Tiling, estimate

    cfg = HwConfig.from_spec(preset)
    module, tiling, _, _ = lowered(net, cfg)
    modelled = cycle_model(read_program(module).insns, cfg).total_cycles
    (_, c, h, w), (_, o, k, s, p, *_) = net[0], net[1][0]
    oh = (h + 2 * p - k) // s + 1
    g = ConvGeometry(
        1, -(-c // cfg.block_in), h, w, -(-o // cfg.block_out), oh, oh, k, k, s, s, p, p
    )
    sizes = Tiling(
        tiling["tob"],
        tiling["toh"],
        tiling["tib"],
        0,
        0,
        tiling["buffers"],
        tiling.get("tow", 0),
        cfg.depth("inp"),
        tiling.get("resident", 0),
    )
    guess = estimate(g, cfg, Requant(SHIFT - 14, 0, 0, 127, 0, (MULTIPLIER,), 7), sizes)
    assert abs(guess.cycles - modelled) <= 0.05 * modelled, (guess.cycles, modelled)
