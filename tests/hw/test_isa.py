"""Encoding of instructions and micro-ops: round trips, the documented bit positions, and the
packing gcc gives VTA's own hw_spec.h structs."""

import random
import re
import shutil
import subprocess
import sys

import pytest
from hypothesis import given
from hypothesis import strategies as st
from models import hw_configs

from canopy_ir.errors import HardwareConfigError, IsaError
from canopy_ir.hw import isa
from canopy_ir.hw.config import PRESETS, HwConfig


@st.composite
def instructions(draw, cfg: HwConfig | None = None):
    cfg = cfg or HwConfig()
    layout = isa.layouts(cfg).insn
    opcode = draw(st.sampled_from(list(isa.INSN_CLASSES)))
    values = {}
    for f in layout[opcode]:
        if f.name != "opcode":
            values[f.name] = draw(st.integers(*f.bounds))
    return isa.INSN_CLASSES[opcode](**values)


@given(st.data(), hw_configs())
def test_instruction_round_trip(data, cfg):
    insn = data.draw(instructions(cfg))
    raw = isa.encode_insn(insn, cfg)
    assert len(raw) == 16
    assert isa.decode_insn(raw, cfg) == insn
    assert isa.decode_insns(raw + raw, cfg) == [insn, insn]


@given(hw_configs(), st.data())
def test_uop_round_trip(cfg, data):
    acc, wgt = cfg.log_depth("acc"), cfg.log_depth("wgt")
    src = max(acc, cfg.log_depth("inp"))  # GEMM indexes INP, ALU ACC with the same field
    n = data.draw(st.integers(0, 20))
    triples = [
        (
            data.draw(st.integers(0, (1 << acc) - 1)),
            data.draw(st.integers(0, (1 << src) - 1)),
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


def test_uop_src_is_as_wide_as_the_deeper_of_inp_and_acc():
    inp_deeper = HwConfig.from_dict(
        {"LOG_BLOCK": 3, "LOG_INP_BUFF_SIZE": 13, "LOG_ACC_BUFF_SIZE": 14}
    )
    assert (inp_deeper.log_depth("inp"), inp_deeper.log_depth("acc")) == (10, 9)
    uop = {f.name: (f.offset, f.width) for f in isa.layouts(inp_deeper).uop}
    assert uop == {"dst": (0, 9), "src": (9, 10), "wgt": (19, 12)}
    acc_deeper = HwConfig.from_dict({"LOG_INP_BUFF_SIZE": 13})
    assert {f.name: f.width for f in isa.layouts(acc_deeper).uop} == {
        "dst": 11,
        "src": 11,
        "wgt": 10,
    }
    # the micro-op of a GEMM reading input element 1000 of 1024, with only 512 accumulators
    raw = isa.encode_uops(isa.Uops.from_triples([(511, 1000, 7)]), inp_deeper)
    assert int.from_bytes(raw, "little") == 511 | 1000 << 9 | 7 << 19
    with pytest.raises(IsaError, match="micro-op 0: src=1024 does not fit 10 bits"):
        isa.encode_uops(isa.Uops.from_triples([(0, 1024, 0)]), inp_deeper)


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
    with pytest.raises(IsaError, match="instruction 1: FINISH has non-zero bits"):
        isa.decode_insns(isa.encode_insn(isa.FinishInsn(), cfg) + bytes(finish), cfg)
    with pytest.raises(IsaError, match="not a multiple of 16"):
        isa.decode_insns(bytes(17), cfg)


def test_config_whose_fields_do_not_fit_is_rejected_naming_the_field(tmp_path):
    with pytest.raises(HardwareConfigError, match="GEMM field wgt_factor_out does not fit"):
        HwConfig.from_dict({"LOG_ACC_BUFF_SIZE": 21, "LOG_WGT_BUFF_SIZE": 21})
    # 2048 weight elements with a 1024-deep input buffer fit GEMM and ALU, not the 32-bit micro-op
    with pytest.raises(HardwareConfigError, match="micro-op field wgt does not fit"):
        HwConfig.from_dict({"LOG_WGT_BUFF_SIZE": 19, "LOG_INP_BUFF_SIZE": 14})
    with pytest.raises(HardwareConfigError, match="LOG_BATCH"):
        HwConfig.from_dict({"LOG_BATCH": 9})
    path = tmp_path / "vta_config.json"
    path.write_text('{"LOG_BLOCK": 4, "LOG_UOP_BUFF_SIZE": 17}')
    with pytest.raises(HardwareConfigError, match="vta_config.json: GEMM field"):
        HwConfig.from_spec(str(path))


def test_config_alone_rejects_unencodable_configs():
    """A program that imports only canopy_ir.hw.config still gets the ISA's field-fit check."""
    code = (
        "from canopy_ir.hw.config import HwConfig\n"
        "from canopy_ir.errors import HardwareConfigError\n"
        "try:\n"
        "    HwConfig.from_dict({'LOG_WGT_BUFF_SIZE': 19, 'LOG_INP_BUFF_SIZE': 14})\n"
        "except HardwareConfigError as exc:\n"
        "    print(exc)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True)
    assert "micro-op field wgt does not fit" in out.stdout


# ------------------------------------------------------------------------------------------
# The layouts against VTA's own structs, as gcc packs them
# ------------------------------------------------------------------------------------------

# The declarations below mirror apache/tvm-vta (Apache-2.0) at commit d4a15f6:
# include/vta/hw_spec_const.h lines 31-33 (micro-op width), 90-108 (buffer depths from the
# configuration), 110-113 and 137-154 (fixed field widths); include/vta/hw_spec.h lines 57-73
# (VTAGenericInsn), 84-115 (VTAMemInsn), 144-177 (VTAGemInsn), 208-243 (VTAAluInsn) and
# 257-269 (MAX, VTAUop); doc comments left out. The VTA_LOG_* configuration keys arrive as -D
# flags, as VTA's config/pkg_config.py passes them (`_vta_defines`).
VTA_HW_SPEC = r"""
#include <stdint.h>

#define VTA_LOG_UOP_WIDTH 5
#define VTA_UOP_WIDTH (1 << VTA_LOG_UOP_WIDTH)

#define VTA_LOG_UOP_BUFF_DEPTH (VTA_LOG_UOP_BUFF_SIZE - VTA_LOG_UOP_WIDTH + 3)
#define VTA_LOG_WGT_BUFF_DEPTH \
    (VTA_LOG_WGT_BUFF_SIZE - VTA_LOG_BLOCK_OUT - VTA_LOG_BLOCK_IN - VTA_LOG_WGT_WIDTH + 3)
#define VTA_LOG_INP_BUFF_DEPTH \
    (VTA_LOG_INP_BUFF_SIZE - VTA_LOG_BATCH - VTA_LOG_BLOCK_IN - VTA_LOG_INP_WIDTH + 3)
#define VTA_LOG_ACC_BUFF_DEPTH \
    (VTA_LOG_ACC_BUFF_SIZE - VTA_LOG_BATCH - VTA_LOG_BLOCK_OUT - VTA_LOG_ACC_WIDTH + 3)

#define VTA_OPCODE_BIT_WIDTH 3
#define VTA_ALU_OPCODE_BIT_WIDTH 3
#define VTA_MEMOP_ID_BIT_WIDTH 3
#define VTA_MEMOP_SRAM_ADDR_BIT_WIDTH 16
#define VTA_MEMOP_DRAM_ADDR_BIT_WIDTH 32
#define VTA_MEMOP_SIZE_BIT_WIDTH 16
#define VTA_MEMOP_STRIDE_BIT_WIDTH 16
#define VTA_MEMOP_PAD_BIT_WIDTH 4
#define VTA_MEMOP_PAD_VAL_BIT_WIDTH 2
#define VTA_LOOP_ITER_WIDTH 14
#define VTA_ALUOP_IMM_BIT_WIDTH 16

typedef struct {
  uint64_t opcode         : VTA_OPCODE_BIT_WIDTH;
  uint64_t pop_prev_dep   : 1;
  uint64_t pop_next_dep   : 1;
  uint64_t push_prev_dep  : 1;
  uint64_t push_next_dep  : 1;
  uint64_t pad_0          : 64 - VTA_OPCODE_BIT_WIDTH - 4;
  uint64_t pad_1          : 64;
} VTAGenericInsn;

typedef struct {
  uint64_t opcode         : VTA_OPCODE_BIT_WIDTH;
  uint64_t pop_prev_dep   : 1;
  uint64_t pop_next_dep   : 1;
  uint64_t push_prev_dep  : 1;
  uint64_t push_next_dep  : 1;
  uint64_t memory_type    : VTA_MEMOP_ID_BIT_WIDTH;
  uint64_t sram_base      : VTA_MEMOP_SRAM_ADDR_BIT_WIDTH;
  uint64_t dram_base      : VTA_MEMOP_DRAM_ADDR_BIT_WIDTH;
  uint64_t y_size         : VTA_MEMOP_SIZE_BIT_WIDTH;
  uint64_t x_size         : VTA_MEMOP_SIZE_BIT_WIDTH;
  uint64_t x_stride       : VTA_MEMOP_STRIDE_BIT_WIDTH;
  uint64_t y_pad_0        : VTA_MEMOP_PAD_BIT_WIDTH;
  uint64_t y_pad_1        : VTA_MEMOP_PAD_BIT_WIDTH;
  uint64_t x_pad_0        : VTA_MEMOP_PAD_BIT_WIDTH;
  uint64_t x_pad_1        : VTA_MEMOP_PAD_BIT_WIDTH;
} VTAMemInsn;

typedef struct {
  uint64_t opcode         : VTA_OPCODE_BIT_WIDTH;
  uint64_t pop_prev_dep   : 1;
  uint64_t pop_next_dep   : 1;
  uint64_t push_prev_dep  : 1;
  uint64_t push_next_dep  : 1;
  uint64_t reset_reg      : 1;
  uint64_t uop_bgn        : VTA_LOG_UOP_BUFF_DEPTH;
  uint64_t uop_end        : VTA_LOG_UOP_BUFF_DEPTH + 1;
  uint64_t iter_out       : VTA_LOOP_ITER_WIDTH;
  uint64_t iter_in        : VTA_LOOP_ITER_WIDTH;
  uint64_t dst_factor_out : VTA_LOG_ACC_BUFF_DEPTH;
  uint64_t dst_factor_in  : VTA_LOG_ACC_BUFF_DEPTH;
  uint64_t src_factor_out : VTA_LOG_INP_BUFF_DEPTH;
  uint64_t src_factor_in  : VTA_LOG_INP_BUFF_DEPTH;
  uint64_t wgt_factor_out : VTA_LOG_WGT_BUFF_DEPTH;
  uint64_t wgt_factor_in  : VTA_LOG_WGT_BUFF_DEPTH;
} VTAGemInsn;

typedef struct {
  uint64_t opcode         : VTA_OPCODE_BIT_WIDTH;
  uint64_t pop_prev_dep   : 1;
  uint64_t pop_next_dep   : 1;
  uint64_t push_prev_dep  : 1;
  uint64_t push_next_dep  : 1;
  uint64_t reset_reg      : 1;
  uint64_t uop_bgn        : VTA_LOG_UOP_BUFF_DEPTH;
  uint64_t uop_end        : VTA_LOG_UOP_BUFF_DEPTH + 1;
  uint64_t iter_out       : VTA_LOOP_ITER_WIDTH;
  uint64_t iter_in        : VTA_LOOP_ITER_WIDTH;
  uint64_t dst_factor_out : VTA_LOG_ACC_BUFF_DEPTH;
  uint64_t dst_factor_in  : VTA_LOG_ACC_BUFF_DEPTH;
  uint64_t src_factor_out : VTA_LOG_ACC_BUFF_DEPTH;
  uint64_t src_factor_in  : VTA_LOG_ACC_BUFF_DEPTH;
  uint64_t alu_opcode     : VTA_ALU_OPCODE_BIT_WIDTH;
  uint64_t use_imm        : 1;
  int64_t imm            : VTA_ALUOP_IMM_BIT_WIDTH;
} VTAAluInsn;

#ifndef MAX
#define MAX(a, b) (((a) > (b)) ? (a) : (b))
#endif  // MAX

typedef struct {
  uint32_t dst_idx    : VTA_LOG_ACC_BUFF_DEPTH;
  uint32_t src_idx    : MAX(VTA_LOG_ACC_BUFF_DEPTH, VTA_LOG_INP_BUFF_DEPTH);
  uint32_t wgt_idx    : VTA_LOG_WGT_BUFF_DEPTH;
} VTAUop;
"""

# Field names of each struct, in declaration order, read from the mirrored declarations.
VTA_STRUCTS = {
    name: re.findall(r"int\d+_t\s+(\w+)\s*:", body)
    for body, name in re.findall(r"typedef struct \{(.*?)\} (\w+);", VTA_HW_SPEC, re.S)
}
STRUCT_OF = {
    isa.Opcode.LOAD: "VTAMemInsn",
    isa.Opcode.STORE: "VTAMemInsn",
    isa.Opcode.GEMM: "VTAGemInsn",
    isa.Opcode.ALU: "VTAAluInsn",
    isa.Opcode.FINISH: "VTAGenericInsn",
}

HARNESS = r"""
#include <stdio.h>
#include <string.h>
static void dump(const char *what, const void *p, size_t n) {
  const unsigned char *b = p;
  printf("%s ", what);
  for (size_t i = 0; i < n; i++) printf("%02x", b[i]);
  printf("\n");
}
/* The bits of field F: the struct with only F set to all ones. */
#define MASK(T, F) do { T s; memset(&s, 0, sizeof s); s.F = -1; dump(#T "." #F, &s, sizeof s); } \
  while (0)
"""


def _vta_defines(cfg: HwConfig) -> list[str]:
    """-D flags for the configuration keys, as VTA's config/pkg_config.py writes them."""
    keys = {k: v for k, v in cfg.to_dict().items() if k.startswith("LOG_")}
    keys["LOG_OUT_WIDTH"] = cfg.LOG_INP_WIDTH  # pkg_config derives it so
    return [f"-DVTA_{k}={v}" for k, v in keys.items()]


def _vta_name(struct: str, name: str) -> str:
    if name in isa.DEP_FLAGS:
        return f"{name}_dep"
    return f"{name}_idx" if struct == "VTAUop" else name


def _records(cfg: HwConfig, rng: random.Random):
    """Per opcode: a record of extreme values and two random ones, within our layouts' bounds."""
    layouts = isa.layouts(cfg).insn
    for opcode, cls in isa.INSN_CLASSES.items():
        fields = [f for f in layouts[opcode] if f.name != "opcode"]
        yield cls(**{f.name: f.bounds[0] if f.signed else f.bounds[1] for f in fields})
        for _ in range(2):
            yield cls(**{f.name: rng.randint(*f.bounds) for f in fields})


def _gcc_view(cfg: HwConfig, tmp_path, records, uops) -> dict[str, str]:
    main = []
    for struct, names in VTA_STRUCTS.items():
        main.append(f'  printf("sizeof.{struct} %zu\\n", sizeof({struct}));')
        main += [f"  MASK({struct}, {name});" for name in names]
    for k, insn in enumerate(records):
        struct = STRUCT_OF[insn.opcode]
        values = {"opcode": int(insn.opcode), **insn.field_values()}
        sets = " ".join(f"s.{_vta_name(struct, n)} = {v}LL;" for n, v in values.items())
        main.append(f'  {{ {struct} s; memset(&s, 0, sizeof s); {sets} dump("insn{k}", &s, 16); }}')
    for k, (d, s, w) in enumerate(uops):
        sets = f"s.dst_idx = {d}; s.src_idx = {s}; s.wgt_idx = {w};"
        main.append(f'  {{ VTAUop s; memset(&s, 0, sizeof s); {sets} dump("uop{k}", &s, 4); }}')
    src = tmp_path / "vta_structs.c"
    src.write_text(VTA_HW_SPEC + HARNESS + "int main(void) {\n" + "\n".join(main) + "\n}\n")
    exe = tmp_path / "vta_structs"
    flags = ["-std=c11", "-Wall", "-Wextra", "-Werror", "-O0", *_vta_defines(cfg)]
    subprocess.run(["gcc", *flags, "-o", str(exe), str(src)], check=True)
    out = subprocess.run([str(exe)], check=True, capture_output=True, text=True).stdout
    return dict(line.split(" ", 1) for line in out.splitlines())


def _cfg(**keys) -> HwConfig:
    return HwConfig.from_dict(keys, "test config")


# Configs for the cross-check; `ids` says how deep INP and ACC are (log2 elements).
GCC_CONFIGS = {
    **{f"preset {name}": name for name in PRESETS},
    "default": HwConfig(),
    # input buffer deeper than the accumulator: src is INP-wide
    "block3 inp8KiB(10) acc16KiB(9)": _cfg(LOG_BLOCK=3, LOG_INP_BUFF_SIZE=13, LOG_ACC_BUFF_SIZE=14),
    "block4 inp4KiB(8) acc8KiB(7)": _cfg(LOG_BLOCK=4, LOG_INP_BUFF_SIZE=12, LOG_ACC_BUFF_SIZE=13),
    "batch2 inp(10) acc(9)": _cfg(LOG_BATCH=1, LOG_ACC_BUFF_SIZE=16),
    "golden tiny_buffers inp(8) acc(7)": _cfg(
        LOG_BLOCK=3,
        LOG_UOP_BUFF_SIZE=12,
        LOG_INP_BUFF_SIZE=11,
        LOG_WGT_BUFF_SIZE=12,
        LOG_ACC_BUFF_SIZE=12,
    ),  # GEMM dst_factor_out ends exactly at bit 64
    "uop11 inp(8) acc(5)": _cfg(LOG_UOP_BUFF_SIZE=13, LOG_INP_BUFF_SIZE=12, LOG_ACC_BUFF_SIZE=11),
    # accumulator deeper than the input buffer: src is ACC-wide
    "inp8KiB(9) acc(11)": _cfg(LOG_INP_BUFF_SIZE=13),
    "block_in5 block_out4 inp(9) acc(10)": _cfg(
        LOG_BLOCK_IN=5,
        LOG_BLOCK_OUT=4,
        LOG_UOP_BUFF_SIZE=11,
        LOG_INP_BUFF_SIZE=14,
        LOG_ACC_BUFF_SIZE=16,
    ),  # GEMM dst_factor_out would straddle bit 64
}


@pytest.mark.skipif(shutil.which("gcc") is None, reason="needs a C compiler")
@pytest.mark.parametrize("cfg", GCC_CONFIGS.values(), ids=GCC_CONFIGS.keys())
def test_encoding_matches_gcc_packing_of_vta_structs(cfg, tmp_path):
    cfg = HwConfig.preset(cfg) if isinstance(cfg, str) else cfg
    layouts = isa.layouts(cfg)
    rng = random.Random(repr(cfg))
    records = list(_records(cfg, rng))
    widths = [f.width for f in layouts.uop]
    uops = [tuple((1 << w) - 1 for w in widths)]
    uops += [tuple(rng.randrange(1 << w) for w in widths) for _ in range(8)]
    gcc = _gcc_view(cfg, tmp_path, records, uops)

    # every field of ours is the VTA field of the same name, in the same place
    for struct, ours, nbytes in [
        *((STRUCT_OF[op], layouts.insn[op], 16) for op in isa.Opcode),
        ("VTAUop", layouts.uop, 4),
    ]:
        assert gcc[f"sizeof.{struct}"] == str(nbytes)
        padding = [n for n in VTA_STRUCTS[struct] if n.startswith("pad_")]  # VTAGenericInsn
        assert [_vta_name(struct, f.name) for f in ours] + padding == VTA_STRUCTS[struct]
        for f in ours:
            mask = gcc[f"{struct}.{_vta_name(struct, f.name)}"]
            assert mask == f.mask.to_bytes(nbytes, "little").hex(), f"{struct}.{f.name}"

    # whole records, bit for bit, both ways
    for k, insn in enumerate(records):
        assert isa.encode_insn(insn, cfg).hex() == gcc[f"insn{k}"], insn
        assert isa.decode_insn(bytes.fromhex(gcc[f"insn{k}"]), cfg) == insn
    table = isa.Uops.from_triples(uops)
    raw = isa.encode_uops(table, cfg)
    assert raw.hex() == "".join(gcc[f"uop{k}"] for k in range(len(uops)))
    assert isa.decode_uops(raw, cfg).triples() == uops
