"""Encoding of instructions and micro-ops: round trips, the documented bit positions, and the
packing gcc gives the C bit-field structs of VTA's hw_spec.h."""

import shutil
import subprocess

import pytest
from hypothesis import given
from hypothesis import strategies as st
from models import hw_configs

from canopy_ir.errors import HardwareConfigError, IsaError
from canopy_ir.hw import isa
from canopy_ir.hw.config import HwConfig


@st.composite
def instructions(draw, cfg: HwConfig | None = None):
    cfg = cfg or HwConfig()
    layout = isa.layouts(cfg).insn
    opcode = draw(st.sampled_from(list(isa.INSN_CLASSES)))
    values = {}
    for f in layout[opcode]:
        if f.name == "opcode":
            continue
        if f.signed:
            values[f.name] = draw(st.integers(-(1 << (f.width - 1)), (1 << (f.width - 1)) - 1))
        else:
            values[f.name] = draw(st.integers(0, (1 << f.width) - 1))
    return isa.INSN_CLASSES[opcode](**values)


@given(st.data(), hw_configs())
def test_instruction_round_trip(data, cfg):
    insn = data.draw(instructions(cfg))
    raw = isa.encode_insn(insn, cfg)
    assert len(raw) == 16
    assert isa.decode_insn(raw, cfg) == insn


@given(hw_configs(), st.data())
def test_uop_round_trip(cfg, data):
    acc, wgt = cfg.log_depth("acc"), cfg.log_depth("wgt")
    n = data.draw(st.integers(0, 20))
    triples = [
        (
            data.draw(st.integers(0, (1 << acc) - 1)),
            data.draw(st.integers(0, (1 << acc) - 1)),
            data.draw(st.integers(0, (1 << wgt) - 1)),
        )
        for _ in range(n)
    ]
    uops = isa.Uops.from_triples(triples)
    assert isa.decode_uops(isa.encode_uops(uops, cfg), cfg).triples() == triples


def test_default_layout_matches_the_isa_document():
    pos = {
        op: {f.name: (f.offset, f.offset + f.width) for f in fields}
        for op, fields in isa.layouts(HwConfig()).insn.items()
    }
    assert pos[isa.Opcode.LOAD]["dram_base"] == (26, 58)
    assert pos[isa.Opcode.LOAD]["y_size"] == (64, 80)  # would straddle bit 64: starts there
    assert pos[isa.Opcode.LOAD]["x_pad_1"] == (124, 128)
    assert pos[isa.Opcode.GEMM]["uop_end"] == (21, 35)
    assert pos[isa.Opcode.GEMM]["iter_in"] == (49, 63)
    assert pos[isa.Opcode.GEMM]["wgt_factor_in"] == (118, 128)
    assert pos[isa.Opcode.ALU]["alu_opcode"] == (108, 111)
    assert pos[isa.Opcode.ALU]["imm"] == (112, 128)
    uop = {f.name: (f.offset, f.offset + f.width) for f in isa.layouts(HwConfig()).uop}
    assert uop == {"dst": (0, 11), "src": (11, 22), "wgt": (22, 32)}


def test_signed_immediate_and_field_overflow():
    cfg = HwConfig()
    alu = isa.AluInsn(alu_opcode=isa.AluOp.SHR, use_imm=1, imm=-3)
    raw = int.from_bytes(isa.encode_insn(alu, cfg), "little")
    assert raw >> 112 == 0xFFFD
    with pytest.raises(IsaError, match="imm=40000 does not fit 16 bits"):
        isa.encode_insn(isa.AluInsn(imm=40000), cfg)
    with pytest.raises(IsaError, match="instruction 1: GEMM field uop_bgn"):
        isa.encode_insns([isa.FinishInsn(), isa.GemmInsn(uop_bgn=1 << 13)], cfg)


def test_decoder_rejects_corruption():
    cfg = HwConfig()
    with pytest.raises(IsaError, match="unknown opcode 7"):
        isa.decode_insn(b"\x07" + bytes(15), cfg)
    finish = bytearray(isa.encode_insn(isa.FinishInsn(), cfg))
    finish[9] = 0x40
    with pytest.raises(IsaError, match="non-zero bits outside its fields"):
        isa.decode_insn(bytes(finish), cfg)
    with pytest.raises(IsaError, match="not a multiple of 16"):
        isa.decode_insns(bytes(17), cfg)


def test_config_whose_fields_do_not_fit_is_rejected_naming_the_field():
    with pytest.raises(HardwareConfigError, match="GEMM field wgt_factor_out does not fit"):
        HwConfig.from_dict({"LOG_ACC_BUFF_SIZE": 21, "LOG_WGT_BUFF_SIZE": 21})
    # 2048 weight elements with a 1024-deep input buffer fit GEMM and ALU, not the 32-bit micro-op
    with pytest.raises(HardwareConfigError, match="micro-op field wgt does not fit"):
        HwConfig.from_dict({"LOG_WGT_BUFF_SIZE": 19, "LOG_INP_BUFF_SIZE": 14})
    with pytest.raises(HardwareConfigError, match="LOG_BATCH"):
        HwConfig.from_dict({"LOG_BATCH": 9})


C_TEMPLATE = r"""
#include <stdint.h>
#include <stdio.h>
#include <string.h>
typedef struct { uint64_t opcode:3, pop_prev_dep:1, pop_next_dep:1, push_prev_dep:1, push_next_dep:1,
  memory_type:3, sram_base:16, dram_base:32, y_size:16, x_size:16, x_stride:16,
  y_pad_0:4, y_pad_1:4, x_pad_0:4, x_pad_1:4; } Mem;
typedef struct { uint64_t opcode:3, pop_prev_dep:1, pop_next_dep:1, push_prev_dep:1, push_next_dep:1,
  reset_reg:1, uop_bgn:UOP, uop_end:UOP+1, iter_out:14, iter_in:14, dst_factor_out:ACC,
  dst_factor_in:ACC, src_factor_out:INP, src_factor_in:INP, wgt_factor_out:WGT, wgt_factor_in:WGT; } Gemm;
typedef struct { uint64_t opcode:3, pop_prev_dep:1, pop_next_dep:1, push_prev_dep:1, push_next_dep:1,
  reset_reg:1, uop_bgn:UOP, uop_end:UOP+1, iter_out:14, iter_in:14, dst_factor_out:ACC,
  dst_factor_in:ACC, src_factor_out:ACC, src_factor_in:ACC, alu_opcode:3, use_imm:1;
  int64_t imm:16; } Alu;
typedef struct { uint32_t dst:ACC, src:ACC, wgt:WGT; } Uop;
static void dump(const void *p, int n) { const unsigned char *b = p;
  for (int i = 0; i < n; i++) printf("%02x", b[i]); printf("\n"); }
int main(void) {
  Mem m; memset(&m, 0, sizeof m); m.opcode=0; m.pop_next_dep=1; m.memory_type=2; m.sram_base=1234;
  m.dram_base=0x89abcdefu; m.y_size=777; m.x_size=65535; m.x_stride=4321; m.y_pad_0=1; m.y_pad_1=15;
  m.x_pad_0=7; m.x_pad_1=9; dump(&m, 16);
  Gemm g; memset(&g, 0, sizeof g); g.opcode=2; g.pop_prev_dep=1; g.push_next_dep=1; g.reset_reg=1;
  g.uop_bgn=(1<<UOP)-3; g.uop_end=(1<<UOP)+5; g.iter_out=16383; g.iter_in=1234; g.dst_factor_out=(1<<ACC)-1;
  g.dst_factor_in=3; g.src_factor_out=(1<<INP)-2; g.src_factor_in=5; g.wgt_factor_out=(1<<WGT)-1;
  g.wgt_factor_in=6; dump(&g, 16);
  Alu a; memset(&a, 0, sizeof a); a.opcode=4; a.push_prev_dep=1; a.uop_bgn=17; a.uop_end=29; a.iter_out=3;
  a.iter_in=99; a.dst_factor_out=2; a.dst_factor_in=1; a.src_factor_out=(1<<ACC)-1; a.src_factor_in=4;
  a.alu_opcode=3; a.use_imm=1; a.imm=-1234; dump(&a, 16);
  Uop u; u.dst=(1<<ACC)-1; u.src=5; u.wgt=(1<<WGT)-2; dump(&u, 4);
  return 0; }
"""


@pytest.mark.skipif(shutil.which("gcc") is None, reason="needs a C compiler")
@pytest.mark.parametrize(
    "cfg",
    [
        HwConfig(),
        HwConfig(LOG_BLOCK_IN=5, LOG_BLOCK_OUT=5, LOG_WGT_BUFF_SIZE=20, LOG_ACC_BUFF_SIZE=18),
        HwConfig(LOG_BATCH=1, LOG_UOP_BUFF_SIZE=14),
    ],
)
def test_encoding_matches_gcc_bitfield_packing(cfg, tmp_path):
    d = {
        k: cfg.log_depth(b)
        for k, b in (("UOP", "uop"), ("ACC", "acc"), ("INP", "inp"), ("WGT", "wgt"))
    }
    src = tmp_path / "abi.c"
    src.write_text("".join(f"#define {k} {v}\n" for k, v in d.items()) + C_TEMPLATE)
    exe = tmp_path / "abi"
    subprocess.run(["gcc", "-O0", "-o", str(exe), str(src)], check=True)
    lines = subprocess.run([str(exe)], check=True, capture_output=True, text=True).stdout.split()
    uop_max, acc_max, inp_max, wgt_max = ((1 << d[k]) for k in ("UOP", "ACC", "INP", "WGT"))
    expected = [
        isa.LoadInsn(
            pop_next=1,
            memory_type=2,
            sram_base=1234,
            dram_base=0x89ABCDEF,
            y_size=777,
            x_size=65535,
            x_stride=4321,
            y_pad_0=1,
            y_pad_1=15,
            x_pad_0=7,
            x_pad_1=9,
        ),
        isa.GemmInsn(
            pop_prev=1,
            push_next=1,
            reset_reg=1,
            uop_bgn=uop_max - 3,
            uop_end=uop_max + 5,
            iter_out=16383,
            iter_in=1234,
            dst_factor_out=acc_max - 1,
            dst_factor_in=3,
            src_factor_out=inp_max - 2,
            src_factor_in=5,
            wgt_factor_out=wgt_max - 1,
            wgt_factor_in=6,
        ),
        isa.AluInsn(
            push_prev=1,
            uop_bgn=17,
            uop_end=29,
            iter_out=3,
            iter_in=99,
            dst_factor_out=2,
            dst_factor_in=1,
            src_factor_out=acc_max - 1,
            src_factor_in=4,
            alu_opcode=3,
            use_imm=1,
            imm=-1234,
        ),
    ]
    for insn, hexline in zip(expected, lines[:3], strict=True):
        assert isa.encode_insn(insn, cfg).hex() == hexline
        assert isa.decode_insn(bytes.fromhex(hexline), cfg) == insn
    uop = isa.Uops.from_triples([(acc_max - 1, 5, wgt_max - 2)])
    assert isa.encode_uops(uop, cfg).hex() == lines[3]
