"""The VTA instruction set: instruction records, bit layouts, encoder and decoder.

Records and layouts mirror VTA's `include/vta/hw_spec.h` (apache/tvm-vta): each record is one of
its structs (VTAMemInsn, VTAGemInsn, VTAAluInsn, VTAGenericInsn for FINISH, VTAUop), field for
field and in the same order; `docs/isa.md` §3 documents them. Fields are packed with C bit-field
rules into 64-bit units (micro-ops: one 32-bit unit), see `canopy_ir.hw.encoding`. Field widths
depend on the `HwConfig`, so layouts are computed per config and cached. Importing this module
installs the check that a config's fields fit their words (see `canopy_ir.hw.config`).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field, fields
from enum import IntEnum
from functools import lru_cache
from typing import ClassVar

import numpy as np

from canopy_ir.errors import IsaError
from canopy_ir.hw.config import HwConfig, set_encoding_check
from canopy_ir.hw.encoding import FieldLayout, pack_fields, pack_word, unpack_columns, unpack_word

INSN_BYTES = 16  # an instruction is 128 bits (VTA_INS_WIDTH)
UOP_BYTES = 4  # a micro-op is 32 bits (VTA_UOP_WIDTH)


class Opcode(IntEnum):
    LOAD = 0
    STORE = 1
    GEMM = 2
    FINISH = 3
    ALU = 4


class MemId(IntEnum):
    """Buffer a LOAD/STORE moves data of (VTA_MEM_ID_*)."""

    UOP = 0
    WGT = 1
    INP = 2
    ACC = 3
    OUT = 4  # STORE only: the accumulators, narrowed to the input width
    ACC_8BIT = 5  # LOAD only: int8 data from DRAM, sign-extended into ACC lanes


class AluOp(IntEnum):
    MIN = 0
    MAX = 1
    ADD = 2
    SHR = 3
    MUL = 4


class Module(IntEnum):
    """The three concurrently running modules of the accelerator, in pipeline order."""

    LOAD = 0
    COMPUTE = 1
    STORE = 2


# ------------------------------------------------------------------------------------------
# Instruction records (hw_spec.h's structs; the opcode is the class)
# ------------------------------------------------------------------------------------------


@dataclass
class Insn(ABC):
    """Common head of every instruction (VTAGenericInsn): the four dependency-token flags."""

    opcode: ClassVar[Opcode]
    pop_prev: int = 0  # pop a token from the previous module's queue before running
    pop_next: int = 0  # pop a token from the next module's queue before running
    push_prev: int = 0  # push a token to the previous module's queue after running
    push_next: int = 0  # push a token to the next module's queue after running

    @property
    @abstractmethod
    def module(self) -> Module:
        """The module (load, compute, store) that executes this instruction."""

    def field_values(self) -> dict[str, int]:
        return {f.name: getattr(self, f.name) for f in fields(self)}


@dataclass
class MemInsn(Insn):
    """LOAD/STORE (VTAMemInsn): a 2-D strided block between DRAM and a buffer, LOAD padding it."""

    memory_type: int = 0  # the buffer loaded or stored (a MemId)
    sram_base: int = 0  # first buffer element written (LOAD) or read (STORE)
    dram_base: int = 0  # first DRAM element, counted in elements of memory_type
    y_size: int = 0  # rows copied
    x_size: int = 0  # elements per row copied (0: the instruction moves nothing)
    x_stride: int = 0  # DRAM elements from one row to the next
    y_pad_0: int = 0  # zero rows written before the block (LOAD only)
    y_pad_1: int = 0  # zero rows written after the block (LOAD only)
    x_pad_0: int = 0  # zero elements written before each row (LOAD only)
    x_pad_1: int = 0  # zero elements written after each row (LOAD only)


@dataclass
class LoadInsn(MemInsn):
    opcode: ClassVar[Opcode] = Opcode.LOAD

    @property
    def module(self) -> Module:
        if self.memory_type in (MemId.INP, MemId.WGT):
            return Module.LOAD
        return Module.COMPUTE


@dataclass
class StoreInsn(MemInsn):
    opcode: ClassVar[Opcode] = Opcode.STORE
    memory_type: int = MemId.OUT

    @property
    def module(self) -> Module:
        return Module.STORE


@dataclass
class LoopInsn(Insn):
    """Fields shared by GEMM and ALU: a micro-op range run inside two nested loops."""

    reset_reg: int = 0  # zero the destination accumulators instead of computing
    uop_bgn: int = 0  # first micro-op of the range (micro-op buffer index)
    uop_end: int = 0  # end of the range, exclusive (one bit wider than uop_bgn)
    iter_out: int = 1  # iterations of the outer loop
    iter_in: int = 1  # iterations of the inner loop
    dst_factor_out: int = 0  # accumulator index step per outer iteration
    dst_factor_in: int = 0  # accumulator index step per inner iteration
    src_factor_out: int = 0  # source index step per outer iteration (GEMM: input, ALU: acc)
    src_factor_in: int = 0  # source index step per inner iteration (GEMM: input, ALU: acc)

    @property
    def module(self) -> Module:
        return Module.COMPUTE


@dataclass
class GemmInsn(LoopInsn):
    """GEMM (VTAGemInsn): acc[dst] += inp[src] x wgt[w]^T for every micro-op and iteration."""

    opcode: ClassVar[Opcode] = Opcode.GEMM
    wgt_factor_out: int = 0  # weight index step per outer iteration
    wgt_factor_in: int = 0  # weight index step per inner iteration


@dataclass
class AluInsn(LoopInsn):
    """ALU (VTAAluInsn): acc[dst] = op(acc[dst], imm or acc[src]), lane by lane."""

    opcode: ClassVar[Opcode] = Opcode.ALU
    alu_opcode: int = 0  # the operation (an AluOp)
    use_imm: int = 0  # take the second operand from imm instead of acc[src]
    imm: int = 0  # the immediate operand, signed 16 bit


@dataclass
class FinishInsn(Insn):
    """FINISH (VTAGenericInsn): signals the host that the stream is done."""

    opcode: ClassVar[Opcode] = Opcode.FINISH

    @property
    def module(self) -> Module:
        return Module.COMPUTE


INSN_CLASSES: dict[Opcode, type[Insn]] = {
    Opcode.LOAD: LoadInsn,
    Opcode.STORE: StoreInsn,
    Opcode.GEMM: GemmInsn,
    Opcode.ALU: AluInsn,
    Opcode.FINISH: FinishInsn,
}

DEP_FLAGS = ("pop_prev", "pop_next", "push_prev", "push_next")


@dataclass
class Uops:
    """Micro-ops (VTAUop) as three parallel integer arrays."""

    # Destination index: the accumulator element written.
    dst: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    # Source index: the input element (GEMM) or the accumulator element (ALU) read.
    src: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    # Weight index: the weight element (GEMM; 0 for ALU).
    wgt: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))

    def __len__(self) -> int:
        return len(self.dst)

    @classmethod
    def from_triples(cls, triples) -> Uops:
        arr = np.asarray(triples, dtype=np.int64).reshape(-1, 3)
        return cls(arr[:, 0].copy(), arr[:, 1].copy(), arr[:, 2].copy())

    def triples(self) -> list[tuple[int, int, int]]:
        return [
            (int(d), int(s), int(w)) for d, s, w in zip(self.dst, self.src, self.wgt, strict=True)
        ]


# ------------------------------------------------------------------------------------------
# Bit layouts
# ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Layouts:
    insn: dict[Opcode, tuple[FieldLayout, ...]]
    uop: tuple[FieldLayout, ...]


def layouts(config: HwConfig, source: str = "config") -> Layouts:
    """The bit layouts for `config`; HardwareConfigError naming the field if one does not fit."""
    return _layouts(config, source)


@lru_cache(maxsize=32)
def _layouts(config: HwConfig, source: str) -> Layouts:
    # Widths as hw_spec.h / hw_spec_const.h declare them; acc, inp, wgt, uop are the
    # VTA_LOG_<BUF>_BUFF_DEPTH of the config.
    acc, inp, wgt, uop = (config.log_depth(b) for b in ("acc", "inp", "wgt", "uop"))
    head = [("opcode", 3, False)] + [(f, 1, False) for f in DEP_FLAGS]  # VTA_OPCODE_BIT_WIDTH
    mem = head + [
        ("memory_type", 3, False),  # VTA_MEMOP_ID_BIT_WIDTH
        ("sram_base", 16, False),  # VTA_MEMOP_SRAM_ADDR_BIT_WIDTH
        ("dram_base", 32, False),  # VTA_MEMOP_DRAM_ADDR_BIT_WIDTH
        ("y_size", 16, False),  # VTA_MEMOP_SIZE_BIT_WIDTH
        ("x_size", 16, False),  # VTA_MEMOP_SIZE_BIT_WIDTH
        ("x_stride", 16, False),  # VTA_MEMOP_STRIDE_BIT_WIDTH
        ("y_pad_0", 4, False),  # VTA_MEMOP_PAD_BIT_WIDTH (all four pads)
        ("y_pad_1", 4, False),
        ("x_pad_0", 4, False),
        ("x_pad_1", 4, False),
    ]
    loop = head + [
        ("reset_reg", 1, False),
        ("uop_bgn", uop, False),  # VTA_LOG_UOP_BUFF_DEPTH
        ("uop_end", uop + 1, False),  # VTA_LOG_UOP_BUFF_DEPTH + 1
        ("iter_out", 14, False),  # VTA_LOOP_ITER_WIDTH
        ("iter_in", 14, False),
    ]
    gemm = loop + [
        ("dst_factor_out", acc, False),  # VTA_LOG_ACC_BUFF_DEPTH
        ("dst_factor_in", acc, False),
        ("src_factor_out", inp, False),  # VTA_LOG_INP_BUFF_DEPTH
        ("src_factor_in", inp, False),
        ("wgt_factor_out", wgt, False),  # VTA_LOG_WGT_BUFF_DEPTH
        ("wgt_factor_in", wgt, False),
    ]
    alu = loop + [
        ("dst_factor_out", acc, False),  # VTA_LOG_ACC_BUFF_DEPTH (all four factors)
        ("dst_factor_in", acc, False),
        ("src_factor_out", acc, False),
        ("src_factor_in", acc, False),
        ("alu_opcode", 3, False),  # VTA_ALU_OPCODE_BIT_WIDTH
        ("use_imm", 1, False),
        ("imm", 16, True),  # VTA_ALUOP_IMM_BIT_WIDTH, int64_t
    ]
    insn = {
        Opcode.LOAD: pack_fields(mem, 64, 128, "LOAD/STORE", source),
        Opcode.GEMM: pack_fields(gemm, 64, 128, "GEMM", source),
        Opcode.ALU: pack_fields(alu, 64, 128, "ALU", source),
        Opcode.FINISH: pack_fields(head, 64, 128, "FINISH", source),
    }
    insn[Opcode.STORE] = insn[Opcode.LOAD]
    # VTAUop.src_idx is MAX(VTA_LOG_ACC_BUFF_DEPTH, VTA_LOG_INP_BUFF_DEPTH) bits: GEMM reads the
    # input buffer through it, ALU the accumulator.
    uop_fields = [("dst", acc, False), ("src", max(acc, inp), False), ("wgt", wgt, False)]
    return Layouts(insn, pack_fields(uop_fields, 32, 32, "micro-op", source))


def _check_config(config: HwConfig, source: str) -> None:
    layouts(config, source)


set_encoding_check(_check_config)


# ------------------------------------------------------------------------------------------
# Encoding
# ------------------------------------------------------------------------------------------


def check_fields(insn: Insn, config: HwConfig, index: int | None = None) -> None:
    """Raise IsaError if any field value does not fit its bit width."""
    for f in layouts(config).insn[insn.opcode]:
        if f.name == "opcode":
            continue
        value = getattr(insn, f.name)
        lo, hi = f.bounds
        if not lo <= value <= hi:
            where = f"instruction {index}" if index is not None else None
            raise IsaError(
                f"{insn.opcode.name} field {f.name}={value} does not fit {f.width} bits "
                f"({lo}..{hi})",
                where,
            )


def encode_insn(insn: Insn, config: HwConfig, index: int | None = None) -> bytes:
    check_fields(insn, config, index)
    values = {**insn.field_values(), "opcode": int(insn.opcode)}
    return pack_word(values, layouts(config).insn[insn.opcode]).to_bytes(INSN_BYTES, "little")


def encode_insns(insns: list[Insn], config: HwConfig) -> bytes:
    if hasattr(insns, "encode"):  # a columnar `stream.Stream` encodes itself, vectorised
        return insns.encode(config)
    return b"".join(encode_insn(insn, config, i) for i, insn in enumerate(insns))


def decode_insn(data: bytes, config: HwConfig, index: int | None = None) -> Insn:
    word = int.from_bytes(data, "little")
    where = f"instruction {index}" if index is not None else None
    opcode = word & 0b111
    if opcode not in INSN_CLASSES:
        raise IsaError(f"unknown opcode {opcode}", where)
    cls = INSN_CLASSES[Opcode(opcode)]
    values, stray = unpack_word(word, layouts(config).insn[Opcode(opcode)])
    if stray:
        raise IsaError(
            f"{cls.opcode.name} has non-zero bits outside its fields (corrupted?)", where
        )
    del values["opcode"]
    return cls(**values)


def decode_insns(data: bytes, config: HwConfig) -> list[Insn]:
    """Decode a whole stream (vectorised per opcode; same checks as `decode_insn`)."""
    if len(data) % INSN_BYTES:
        raise IsaError(f"instruction stream is {len(data)} bytes, not a multiple of {INSN_BYTES}")
    words = np.frombuffer(data, dtype="<u8").reshape(-1, 2)
    opcodes = (words[:, 0] & np.uint64(7)).astype(np.int64)
    bad = np.flatnonzero(~np.isin(opcodes, [int(o) for o in INSN_CLASSES]))
    if len(bad):
        return [decode_insn(data[int(bad[0]) * INSN_BYTES :][:INSN_BYTES], config, int(bad[0]))]
    out: list[Insn | None] = [None] * len(words)
    for opcode, cls in INSN_CLASSES.items():
        rows = np.flatnonzero(opcodes == opcode)
        if not len(rows):
            continue
        layout = layouts(config).insn[opcode]
        columns, stray = unpack_columns(words[rows], layout)
        if stray.any():
            k = int(rows[np.flatnonzero(stray)[0]])
            return [decode_insn(data[k * INSN_BYTES :][:INSN_BYTES], config, k)]
        names = [f.name for f in layout[1:]]  # the opcode comes first; the class implies it
        table = np.stack(columns[1:], axis=1).tolist() if names else [[]] * len(rows)
        for k, row in zip(rows.tolist(), table, strict=True):
            insn = cls.__new__(cls)
            insn.__dict__.update(zip(names, row, strict=True))
            out[k] = insn
    return out  # type: ignore[return-value]


def encode_uops(uops: Uops, config: HwConfig) -> bytes:
    layout = layouts(config).uop
    words = np.zeros(len(uops), dtype=np.uint64)
    for f, values in zip(layout, (uops.dst, uops.src, uops.wgt), strict=True):
        values = np.asarray(values, dtype=np.int64)
        if len(values) and (values.min() < 0 or values.max() >= 1 << f.width):
            bad = int(np.flatnonzero((values < 0) | (values >= 1 << f.width))[0])
            raise IsaError(
                f"micro-op {bad}: {f.name}={int(values[bad])} does not fit {f.width} bits"
            )
        words |= values.astype(np.uint64) << np.uint64(f.offset)
    return words.astype("<u4").tobytes()


def decode_uops(data: bytes, config: HwConfig) -> Uops:
    if len(data) % UOP_BYTES:
        raise IsaError(f"micro-op table is {len(data)} bytes, not a multiple of {UOP_BYTES}")
    words = np.frombuffer(data, dtype="<u4").astype(np.int64)
    out = [(words >> f.offset) & ((1 << f.width) - 1) for f in layouts(config).uop]
    return Uops(*out)


def dram_elem_bytes(memory_type: int, config: HwConfig) -> int:
    """Bytes of one DRAM element for a LOAD/STORE of `memory_type` (dram_base counts these)."""
    mem = MemId(memory_type)
    if mem == MemId.UOP:
        return UOP_BYTES
    if mem == MemId.ACC_8BIT:
        return config.elem_bytes("acc") // 4  # int8 data sign-extended into ACC lanes
    return config.elem_bytes(mem.name.lower())


def dram_span(insn: MemInsn, config: HwConfig) -> tuple[int, int]:
    """Byte range [lo, hi) that a LOAD/STORE touches in DRAM; empty (lo == hi) when it moves no
    data (y_size or x_size 0: a LOAD of padding only), wherever dram_base points."""
    eb = dram_elem_bytes(insn.memory_type, config)
    if insn.y_size == 0 or insn.x_size == 0:
        return insn.dram_base * eb, insn.dram_base * eb
    last_row = insn.dram_base + max(insn.y_size - 1, 0) * insn.x_stride
    return insn.dram_base * eb, (last_row + insn.x_size) * eb
