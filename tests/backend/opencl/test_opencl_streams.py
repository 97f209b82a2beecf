"""The OpenCL accelerator against the reference simulator on random instruction streams: loops
that read what earlier positions wrote, LOADs that overwrite each other, errors in the middle of
a stream, and streams long enough to cross the kernel's instruction-cache chunks."""

import pytest
from hypothesis import given
from hypothesis import strategies as st
from opencl_harness import (
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


@pytest.mark.parametrize("variant", VARIANTS, ids=lambda v: f"{v[0]}-{v[1]}-ls{v[2]}-{v[3]}")
@given(data=st.data())
def test_random_stream(variant, data):
    cfg = CONFIGS[variant[0]]
    image = data.draw(images(cfg))
    body = data.draw(st.lists(instructions(cfg), min_size=1, max_size=24))
    check_same(card(*variant), cfg, image, [*preamble(cfg), *body])


@pytest.mark.parametrize("variant", VARIANTS, ids=lambda v: f"{v[0]}-{v[1]}-ls{v[2]}-{v[3]}")
def test_alu_loops_that_read_their_own_writes(variant):
    """acc[i+1] op= acc[i]: positions depend on each other (run in order); acc[i] op= acc[i+1]:
    each reads a value a later position writes (must see the old one); duplicate destinations."""
    cfg = CONFIGS[variant[0]]
    image = make_image(cfg, 7, wide_acc=True)
    insns = [*preamble(cfg)]
    for op in AluOp:
        if op == AluOp.MUL:
            continue  # random accumulators rarely fit the multiplier
        for src_in in (-1, 1):  # the micro-op's src is one below / above its dst
            uops = [(1, 0, 0)] if src_in < 0 else [(0, 1, 0)]
            at = 8192 + 64 * len(insns)
            image[at : at + 4] = __import__("numpy").frombuffer(
                isa.encode_uops(isa.Uops.from_triples(uops), cfg), "uint8"
            )
            insns.append(
                isa.LoadInsn(
                    memory_type=MemId.UOP,
                    sram_base=63,
                    dram_base=at // 4,
                    y_size=1,
                    x_size=1,
                    x_stride=1,
                )
            )
            insns.append(
                isa.AluInsn(
                    uop_bgn=63,
                    uop_end=64,
                    iter_in=20,
                    dst_factor_in=1,
                    src_factor_in=1,
                    alu_opcode=op,
                )
            )
            insns.append(
                isa.AluInsn(
                    uop_bgn=63,
                    uop_end=64,
                    iter_out=3,
                    iter_in=4,
                    dst_factor_in=1,
                    alu_opcode=op,
                    use_imm=1,
                    imm=3,
                )
            )
    check_same(card(*variant), cfg, image, insns)


@pytest.mark.parametrize("variant", VARIANTS[:2], ids=lambda v: f"{v[0]}-ls{v[2]}-{v[3]}")
def test_streams_longer_than_an_instruction_chunk(variant):
    """300 instructions: LOADs that hit the same and different buffer ranges, then GEMMs."""
    cfg = CONFIGS[variant[0]]
    image = make_image(cfg, 7, wide_acc=True)
    insns = [*preamble(cfg)]
    for k in range(100):
        insns.append(
            isa.LoadInsn(
                memory_type=MemId.INP,
                sram_base=(7 * k) % 40,
                dram_base=k,
                y_size=1,
                x_size=3,
                x_stride=3,
                x_pad_0=k % 2,
            )
        )
        insns.append(
            isa.LoadInsn(
                memory_type=MemId.ACC,
                sram_base=k % 16,
                dram_base=96 + k,
                y_size=2,
                x_size=1,
                x_stride=5,
            )
        )
        insns.append(
            isa.GemmInsn(
                uop_bgn=k % 8,
                uop_end=k % 8 + 3,
                iter_out=2,
                iter_in=3,
                dst_factor_out=4,
                dst_factor_in=1,
                src_factor_in=1,
            )
        )
    insns.append(isa.StoreInsn(sram_base=0, dram_base=16, y_size=4, x_size=8, x_stride=8))
    check_same(card(*variant), cfg, image, insns)
