"""VTA semantics of the functional simulator, instruction by instruction."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from canopy_ir.errors import DeadlockError, DeviceError
from canopy_ir.hw import isa
from canopy_ir.hw.config import HwConfig
from canopy_ir.hw.isa import AluOp, MemId
from canopy_ir.hw.simulator import FunctionalSimulator
from canopy_ir.hw.verify import verify_stream

CFG = HwConfig()


def sim(dram_bytes=4096):
    return FunctionalSimulator(CFG, np.zeros(dram_bytes, np.uint8))


def load_uops(s, triples, at=0):
    words = np.frombuffer(isa.encode_uops(isa.Uops.from_triples(triples), CFG), np.uint8)
    s.dram[: len(words)] = words
    s.execute(
        isa.LoadInsn(
            memory_type=MemId.UOP,
            sram_base=at,
            y_size=1,
            x_size=len(triples),
            x_stride=len(triples),
        ),
        0,
    )


def test_load_pads_with_zeros_and_reads_strided_rows():
    s = sim()
    s.dram[: 16 * 6] = np.arange(16 * 6) % 100 + 1
    s.execute(
        isa.LoadInsn(
            memory_type=MemId.INP,
            sram_base=0,
            dram_base=1,
            y_size=2,
            x_size=2,
            x_stride=3,
            y_pad_0=1,
            x_pad_0=1,
            x_pad_1=1,
        ),
        0,
    )
    block = s.inp[:12, 0, 0].reshape(3, 4)
    assert (block[0] == 0).all() and (block[:, 0] == 0).all() and (block[:, 3] == 0).all()
    assert block[1, 1] == s.dram[16] and block[2, 1] == s.dram[16 * 4]


def test_store_truncates_instead_of_saturating():
    s = sim()
    s.acc[0, 0, :4] = [300, -129, 127, -128]
    s.execute(isa.StoreInsn(sram_base=0, dram_base=0, y_size=1, x_size=1, x_stride=1), 0)
    assert s.dram[:4].view(np.int8).tolist() == [44, 127, 127, -128]


def test_gemm_accumulates_weight_rows_as_outputs_and_reset_zeroes():
    s = sim()
    rng = np.random.default_rng(0)
    s.inp[3] = rng.integers(-128, 128, (1, 16))
    s.wgt[5] = rng.integers(-128, 128, (16, 16))
    load_uops(s, [(2, 3, 5)])
    s.execute(isa.GemmInsn(uop_bgn=0, uop_end=1), 1)
    s.execute(isa.GemmInsn(uop_bgn=0, uop_end=1), 2)
    expected = 2 * (s.inp[3].astype(np.int64) @ s.wgt[5].T.astype(np.int64))
    np.testing.assert_array_equal(s.acc[2], expected)
    s.execute(isa.GemmInsn(reset_reg=1, uop_bgn=0, uop_end=1), 3)
    assert (s.acc[2] == 0).all()


def test_alu_shift_negative_is_left_shift_and_arithmetic():
    s = sim()
    s.acc[0, 0, :3] = [-7, 5, 1 << 30]
    load_uops(s, [(0, 0, 0)])
    s.execute(isa.AluInsn(uop_end=1, alu_opcode=AluOp.SHR, use_imm=1, imm=1), 1)
    assert s.acc[0, 0, :3].tolist() == [-4, 2, 1 << 29]
    s.execute(isa.AluInsn(uop_end=1, alu_opcode=AluOp.SHR, use_imm=1, imm=-3), 2)
    assert s.acc[0, 0, :3].tolist() == [-32, 16, 0]  # 2^32 wraps to 0


def test_alu_loop_that_reads_its_own_writes_runs_in_order():
    s = sim()
    s.acc[:4, 0, 0] = [1, 0, 0, 0]
    load_uops(s, [(1, 0, 0)])
    # acc[i+1] += acc[i] for i = 0..2: a prefix chain, only correct if sequential
    s.execute(
        isa.AluInsn(uop_end=1, iter_in=3, dst_factor_in=1, src_factor_in=1, alu_opcode=AluOp.ADD), 1
    )
    assert s.acc[:4, 0, 0].tolist() == [1, 1, 1, 1]


def test_out_of_range_access_names_the_instruction():
    s = sim()
    with pytest.raises(DeviceError, match="instruction 7: INP buffer access"):
        s.execute(
            isa.LoadInsn(memory_type=MemId.INP, sram_base=2047, y_size=1, x_size=2, x_stride=2), 7
        )
    with pytest.raises(DeviceError, match="instruction 3: LOAD INP touches DRAM element"):
        s.execute(
            isa.LoadInsn(memory_type=MemId.INP, dram_base=4096, y_size=1, x_size=1, x_stride=1), 3
        )


def test_deadlock_is_reported_with_the_waiting_instruction():
    s = sim()
    stream = [
        isa.LoadInsn(memory_type=MemId.INP, y_size=1, x_size=1, x_stride=1, pop_next=1),
        isa.FinishInsn(),
    ]
    with pytest.raises(
        DeadlockError, match="load module at instruction 0 .* waits for a token on compute->load"
    ):
        s.run(stream)


def test_unconsumed_tokens_are_an_error():
    stream = [
        isa.LoadInsn(memory_type=MemId.INP, y_size=1, x_size=1, x_stride=1, push_next=1),
        isa.FinishInsn(),
    ]
    with pytest.raises(DeadlockError, match="unconsumed dependency tokens"):
        sim().run(stream)


def test_full_token_queue_blocks_the_producer():
    stream = [isa.LoadInsn(memory_type=MemId.INP, push_next=1) for _ in range(3)]
    stream += [isa.GemmInsn(pop_prev=1) for _ in range(3)] + [isa.FinishInsn()]
    FunctionalSimulator(CFG, np.zeros(64, np.uint8), queue_depth=1).run(stream)


def _reference_loop(s, insn):
    """Obviously-correct VTA loop nest (hw_spec.h's pseudo-code), element by element."""
    acc = s.acc.astype(np.int64)
    for i in range(insn.iter_out):
        for j in range(insn.iter_in):
            for k in range(insn.uop_bgn, insn.uop_end):
                d = s.uop[0][k] + i * insn.dst_factor_out + j * insn.dst_factor_in
                x = s.uop[1][k] + i * insn.src_factor_out + j * insn.src_factor_in
                if isinstance(insn, isa.GemmInsn):
                    w = s.uop[2][k] + i * insn.wgt_factor_out + j * insn.wgt_factor_in
                    acc[d] = (
                        0
                        if insn.reset_reg
                        else acc[d] + s.inp[x].astype(np.int64) @ s.wgt[w].astype(np.int64).T
                    )
                else:
                    rhs = insn.imm if insn.use_imm else acc[x].copy()
                    acc[d] = {AluOp.MIN: np.minimum, AluOp.MAX: np.maximum, AluOp.ADD: np.add}[
                        AluOp(insn.alu_opcode)
                    ](acc[d], rhs)
                acc[d] = acc[d].astype(np.int32)  # wrap
    return acc.astype(np.int32)


@given(st.data())
def test_vectorised_gemm_and_alu_equal_the_loop_reference(data):
    s = FunctionalSimulator(HwConfig(LOG_BLOCK_IN=2, LOG_BLOCK_OUT=2), np.zeros(4096, np.uint8))
    rng = np.random.default_rng(data.draw(st.integers(0, 1000)))
    s.inp[:] = rng.integers(-128, 128, s.inp.shape)
    s.wgt[:] = rng.integers(-128, 128, s.wgt.shape)
    s.acc[:64] = rng.integers(-(2**31), 2**31, (64, *s.acc.shape[1:]))
    n = data.draw(st.integers(1, 4))
    small = st.integers(0, 3)
    for k in range(n):
        s.uop[0][k], s.uop[1][k], s.uop[2][k] = (data.draw(small) for _ in range(3))
    fields = dict(
        uop_bgn=0,
        uop_end=n,
        iter_out=data.draw(st.integers(1, 3)),
        iter_in=data.draw(st.integers(1, 3)),
        dst_factor_out=data.draw(small),
        dst_factor_in=data.draw(small),
        src_factor_out=data.draw(small),
        src_factor_in=data.draw(small),
    )
    if data.draw(st.booleans()):
        insn = isa.GemmInsn(
            reset_reg=data.draw(st.sampled_from([0, 0, 1])),
            wgt_factor_out=data.draw(small),
            wgt_factor_in=data.draw(small),
            **fields,
        )
    else:
        insn = isa.AluInsn(
            alu_opcode=data.draw(st.sampled_from([AluOp.MIN, AluOp.MAX, AluOp.ADD])),
            use_imm=data.draw(st.integers(0, 1)),
            imm=data.draw(st.integers(-9, 9)),
            **fields,
        )
    expected = _reference_loop(s, insn)
    s.execute(insn, 0)
    np.testing.assert_array_equal(s.acc, expected)


def test_gemm_reading_input_beyond_the_acc_depth_round_trips_and_runs():
    """Input buffer deeper than the accumulator (1024 vs 512 elements): the micro-op's src field
    is INP-wide, so a GEMM can read input elements past the accumulator's index range."""
    cfg = HwConfig.from_dict({"LOG_BLOCK": 3, "LOG_INP_BUFF_SIZE": 13, "LOG_ACC_BUFF_SIZE": 14})
    assert (cfg.depth("inp"), cfg.depth("acc")) == (1024, 512)
    rng = np.random.default_rng(1)
    inp = rng.integers(-128, 128, (3, 1, 8), dtype=np.int8)  # DRAM elements 0..2 (8 bytes each)
    wgt = rng.integers(-128, 128, (8, 8), dtype=np.int8)  # DRAM weight element 1 (64 bytes)
    uops = isa.Uops.from_triples([(510, 1000, 5)])  # src 1000 does not fit acc's 9 bits
    dram = np.zeros(1024, np.uint8)
    dram[:24] = inp.view(np.uint8).reshape(-1)
    dram[64:128] = wgt.view(np.uint8).reshape(-1)
    dram[256:260] = np.frombuffer(isa.encode_uops(uops, cfg), np.uint8)
    stream = [
        isa.LoadInsn(memory_type=MemId.INP, sram_base=999, y_size=1, x_size=3, x_stride=3),
        isa.LoadInsn(
            memory_type=MemId.WGT,
            sram_base=5,
            dram_base=1,
            y_size=1,
            x_size=1,
            x_stride=1,
            push_next=1,
        ),
        isa.LoadInsn(memory_type=MemId.UOP, dram_base=64, y_size=1, x_size=1, x_stride=1),
        # acc[510 + i] += inp[1000 + i] . wgt[5]^T for i = 0, 1
        isa.GemmInsn(
            uop_end=1, iter_out=2, dst_factor_out=1, src_factor_out=1, pop_prev=1, push_next=1
        ),
        isa.StoreInsn(
            sram_base=510,
            dram_base=512 // 8,
            y_size=1,
            x_size=2,
            x_stride=2,
            pop_prev=1,
            push_prev=1,
        ),
        isa.FinishInsn(pop_next=1),
    ]
    verify_stream(stream, uops, cfg, arena_bytes=len(dram), uop_offset=256)
    decoded = isa.decode_insns(isa.encode_insns(stream, cfg), cfg)
    assert decoded == stream
    s = FunctionalSimulator(cfg, dram)
    s.run(decoded)
    assert s.stats.finished and s.uop[1][0] == 1000
    expected = (inp[1:].astype(np.int64) @ wgt.T.astype(np.int64)).astype(np.int8)
    np.testing.assert_array_equal(dram[512:528].view(np.int8).reshape(2, 1, 8), expected)
