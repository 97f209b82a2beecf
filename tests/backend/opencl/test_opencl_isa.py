"""The OpenCL accelerator against the reference simulator, instruction by instruction: random
LOAD (padding, every memory type), STORE (narrowing, overlapping rows), GEMM (micro-op loops,
reset), ALU (every operation, immediates, shifts both ways, MUL limits) and FINISH, each after a
preamble that fills the buffers, on several configurations and on both forms of the kernel.
Outcomes must be identical: error message, card memory, every on-chip buffer."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from opencl_harness import (
    ACC_AT,
    CONFIGS,
    VARIANTS,
    card,
    check_same,
    images,
    instructions,
    make_image,
    preamble,
)

from canopy_ir.hw import isa
from canopy_ir.hw.isa import AluOp, MemId


def _id(variant):
    name, form, local, split = variant
    return f"{name}-{form}-ls{local}" + ("-split" if split == 0 else "")


@pytest.mark.parametrize("variant", VARIANTS, ids=_id)
@given(data=st.data())
def test_random_instruction(variant, data):
    cfg = CONFIGS[variant[0]]
    image = data.draw(images(cfg))
    insn = data.draw(instructions(cfg))
    check_same(card(*variant), cfg, image, [*preamble(cfg), insn])


@pytest.mark.parametrize("variant", VARIANTS[:3], ids=_id)
def test_shift_semantics_at_the_edges(variant):
    """SHR by -32 and beyond gives 0, right shifts cap at 31 and keep the sign, as the
    simulator (immediates and per-lane amounts taken from the accumulators)."""
    cfg = CONFIGS[variant[0]]
    image = make_image(cfg, 7, wide_acc=True)
    lanes = cfg.batch * cfg.block_out
    values = [-(2**31), -7, 5, 2**30, 2**31 - 1, -1, 3, 32, -32, -33, 31, 40, -40, 0, 1, 99]
    acc = (values * lanes)[: 64 * lanes]
    image[ACC_AT : ACC_AT + 4 * len(acc)] = np.frombuffer(np.array(acc, "<i4").tobytes(), np.uint8)
    uops = isa.Uops.from_triples([(0, 1, 0)])
    image[8192:8196] = np.frombuffer(isa.encode_uops(uops, cfg), np.uint8)
    insns = [
        *preamble(cfg),
        isa.LoadInsn(memory_type=MemId.UOP, dram_base=2048, y_size=1, x_size=1, x_stride=1),
    ]
    for imm in (-40, -33, -32, -31, -1, 0, 1, 31, 32, 40):
        insns.append(
            isa.AluInsn(
                uop_end=1,
                iter_out=3,
                dst_factor_out=2,
                src_factor_out=2,
                alu_opcode=AluOp.SHR,
                use_imm=1,
                imm=imm,
            )
        )
    insns.append(
        isa.AluInsn(uop_end=1, iter_in=8, dst_factor_in=2, src_factor_in=2, alu_opcode=AluOp.SHR)
    )
    check_same(card(*variant), cfg, image, insns)


@pytest.mark.parametrize("variant", VARIANTS, ids=_id)
def test_store_rows_that_overlap_in_dram(variant):
    """x_stride < x_size: rows overlap in DRAM and the later row wins, whichever work-item
    writes which element."""
    cfg = CONFIGS[variant[0]]
    image = make_image(cfg, 3, wide_acc=True)
    insns = [*preamble(cfg)]
    for k, stride in enumerate((0, 1, 2, 3, 5)):
        insns.append(
            isa.StoreInsn(sram_base=3 * k, dram_base=40 * k, y_size=6, x_size=4, x_stride=stride)
        )
    check_same(card(*variant), cfg, image, insns)
