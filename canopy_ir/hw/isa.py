"""The VTA instruction set: instruction records, bit layouts, encoder and decoder.

Layouts follow `vta-isa.md` §2: fields are packed from bit 0 in declaration order into 64-bit units
with C bit-field rules (a field that would straddle a unit boundary starts at the next unit). Field
widths depend on the `HwConfig`, so layouts are computed per config and cached.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field, fields
from enum import IntEnum
from functools import lru_cache
from typing import ClassVar

import numpy as np

from canopy_ir.errors import HardwareConfigError, IsaError
from canopy_ir.hw.config import HwConfig

INSN_BYTES = 16
UOP_BYTES = 4


class Opcode(IntEnum):
    LOAD = 0
    STORE = 1
    GEMM = 2
    FINISH = 3
    ALU = 4


class MemId(IntEnum):
    UOP = 0
    WGT = 1
    INP = 2
    ACC = 3
    OUT = 4
    ACC_8BIT = 5


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
# Instruction records
# ------------------------------------------------------------------------------------------


@dataclass
class Insn(ABC):
    """Common head of every instruction: the four dependency-token flags."""

    opcode: ClassVar[Opcode]
    pop_prev: int = 0
    pop_next: int = 0
    push_prev: int = 0
    push_next: int = 0

    @property
    @abstractmethod
    def module(self) -> Module:
        """The module (load, compute, store) that executes this instruction."""

    def field_values(self) -> dict[str, int]:
        return {f.name: getattr(self, f.name) for f in fields(self)}


@dataclass
class MemInsn(Insn):
    memory_type: int = 0
    sram_base: int = 0
    dram_base: int = 0
    y_size: int = 0
    x_size: int = 0
    x_stride: int = 0
    y_pad_0: int = 0
    y_pad_1: int = 0
    x_pad_0: int = 0
    x_pad_1: int = 0


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

    reset_reg: int = 0
    uop_bgn: int = 0
    uop_end: int = 0
    iter_out: int = 1
    iter_in: int = 1
    dst_factor_out: int = 0
    dst_factor_in: int = 0
    src_factor_out: int = 0
    src_factor_in: int = 0

    @property
    def module(self) -> Module:
        return Module.COMPUTE


@dataclass
class GemmInsn(LoopInsn):
    opcode: ClassVar[Opcode] = Opcode.GEMM
    wgt_factor_out: int = 0
    wgt_factor_in: int = 0


@dataclass
class AluInsn(LoopInsn):
    opcode: ClassVar[Opcode] = Opcode.ALU
    alu_opcode: int = 0
    use_imm: int = 0
    imm: int = 0  # signed 16 bit


@dataclass
class FinishInsn(Insn):
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
    """Micro-ops as three parallel integer arrays (dst, src, wgt)."""

    dst: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    src: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
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
class FieldLayout:
    name: str
    offset: int  # bit offset in the whole instruction (0..127)
    width: int
    signed: bool = False


@dataclass(frozen=True)
class Layouts:
    insn: dict[Opcode, tuple[FieldLayout, ...]]
    uop: tuple[FieldLayout, ...]


def _pack_fields(specs: list[tuple[str, int, bool]], unit: int, total: int, what: str, source: str):
    """Place fields in declaration order with C bit-field rules for `unit`-bit storage units."""
    placed, pos = [], 0
    for name, width, signed in specs:
        if width > unit:
            raise HardwareConfigError(
                f"{what} field {name} is {width} bits wide (> {unit})", source
            )
        if pos // unit != (pos + width - 1) // unit:
            pos = (pos // unit + 1) * unit
        if pos + width > total:
            raise HardwareConfigError(
                f"{what} field {name} does not fit: it would end at bit {pos + width} of {total}",
                source,
            )
        placed.append(FieldLayout(name, pos, width, signed))
        pos += width
    return tuple(placed)


def layouts(config: HwConfig, source: str = "config") -> Layouts:
    return _layouts(config, source)


@lru_cache(maxsize=32)
def _layouts(config: HwConfig, source: str) -> Layouts:
    acc, inp, wgt, uop = (config.log_depth(b) for b in ("acc", "inp", "wgt", "uop"))
    head = [("opcode", 3, False)] + [(f, 1, False) for f in DEP_FLAGS]
    mem = head + [
        ("memory_type", 3, False),
        ("sram_base", 16, False),
        ("dram_base", 32, False),
        ("y_size", 16, False),
        ("x_size", 16, False),
        ("x_stride", 16, False),
        ("y_pad_0", 4, False),
        ("y_pad_1", 4, False),
        ("x_pad_0", 4, False),
        ("x_pad_1", 4, False),
    ]
    loop = head + [
        ("reset_reg", 1, False),
        ("uop_bgn", uop, False),
        ("uop_end", uop + 1, False),
        ("iter_out", 14, False),
        ("iter_in", 14, False),
    ]
    gemm = loop + [
        ("dst_factor_out", acc, False),
        ("dst_factor_in", acc, False),
        ("src_factor_out", inp, False),
        ("src_factor_in", inp, False),
        ("wgt_factor_out", wgt, False),
        ("wgt_factor_in", wgt, False),
    ]
    alu = loop + [
        ("dst_factor_out", acc, False),
        ("dst_factor_in", acc, False),
        ("src_factor_out", acc, False),
        ("src_factor_in", acc, False),
        ("alu_opcode", 3, False),
        ("use_imm", 1, False),
        ("imm", 16, True),
    ]
    insn = {
        Opcode.LOAD: _pack_fields(mem, 64, 128, "LOAD/STORE", source),
        Opcode.GEMM: _pack_fields(gemm, 64, 128, "GEMM", source),
        Opcode.ALU: _pack_fields(alu, 64, 128, "ALU", source),
        Opcode.FINISH: _pack_fields(head, 64, 128, "FINISH", source),
    }
    insn[Opcode.STORE] = insn[Opcode.LOAD]
    # VTAUop.src_idx is MAX(LOG_ACC_BUFF_DEPTH, LOG_INP_BUFF_DEPTH) bits (hw_spec.h): GEMM reads
    # the input buffer through it, ALU the accumulator.
    uop_fields = [("dst", acc, False), ("src", max(acc, inp), False), ("wgt", wgt, False)]
    return Layouts(insn, _pack_fields(uop_fields, 32, 32, "micro-op", source))


# ------------------------------------------------------------------------------------------
# Encoding
# ------------------------------------------------------------------------------------------


def check_fields(insn: Insn, config: HwConfig, index: int | None = None) -> None:
    """Raise IsaError if any field value does not fit its bit width."""
    for f in layouts(config).insn[insn.opcode]:
        if f.name == "opcode":
            continue
        value = getattr(insn, f.name)
        lo, hi = (
            (-(1 << (f.width - 1)), (1 << (f.width - 1)) - 1)
            if f.signed
            else (0, (1 << f.width) - 1)
        )
        if not lo <= value <= hi:
            where = f"instruction {index}" if index is not None else None
            raise IsaError(
                f"{insn.opcode.name} field {f.name}={value} does not fit {f.width} bits "
                f"({lo}..{hi})",
                where,
            )


def encode_insn(insn: Insn, config: HwConfig, index: int | None = None) -> bytes:
    check_fields(insn, config, index)
    word = 0
    for f in layouts(config).insn[insn.opcode]:
        value = int(insn.opcode) if f.name == "opcode" else getattr(insn, f.name)
        word |= (value & ((1 << f.width) - 1)) << f.offset
    return word.to_bytes(INSN_BYTES, "little")


def encode_insns(insns: list[Insn], config: HwConfig) -> bytes:
    return b"".join(encode_insn(insn, config, i) for i, insn in enumerate(insns))


def decode_insn(data: bytes, config: HwConfig, index: int | None = None) -> Insn:
    word = int.from_bytes(data, "little")
    where = f"instruction {index}" if index is not None else None
    opcode = word & 0b111
    if opcode not in INSN_CLASSES:
        raise IsaError(f"unknown opcode {opcode}", where)
    cls = INSN_CLASSES[Opcode(opcode)]
    used = 0
    values: dict[str, int] = {}
    for f in layouts(config).insn[Opcode(opcode)]:
        mask = (1 << f.width) - 1
        used |= mask << f.offset
        value = (word >> f.offset) & mask
        if f.signed and value >> (f.width - 1):
            value -= 1 << f.width
        if f.name != "opcode":
            values[f.name] = value
    if word & ~used:
        raise IsaError(
            f"{cls.opcode.name} has non-zero bits outside its fields (corrupted?)", where
        )
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
        fields_ = [f for f in layouts(config).insn[opcode] if f.name != "opcode"]
        used = [0, 0]
        columns = []
        for f in [*layouts(config).insn[opcode]]:
            word, shift = divmod(f.offset, 64)
            used[word] |= ((1 << f.width) - 1) << shift
        for f in fields_:
            word, shift = divmod(f.offset, 64)
            value = (words[rows, word] >> np.uint64(shift)) & np.uint64((1 << f.width) - 1)
            value = value.astype(np.int64)
            if f.signed:
                value = np.where(value >> (f.width - 1), value - (1 << f.width), value)
            columns.append(value)
        stray = (words[rows, 0] & ~np.uint64(used[0])) | (words[rows, 1] & ~np.uint64(used[1]))
        if stray.any():
            k = int(rows[np.flatnonzero(stray)[0]])
            return [decode_insn(data[k * INSN_BYTES :][:INSN_BYTES], config, k)]
        names = [f.name for f in fields_]
        for k, row in zip(
            rows.tolist(),
            np.stack(columns, axis=1).tolist() if columns else [[]] * len(rows),
            strict=True,
        ):
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
    """Byte range [lo, hi) that a LOAD/STORE touches in DRAM."""
    eb = dram_elem_bytes(insn.memory_type, config)
    last_row = insn.dram_base + max(insn.y_size - 1, 0) * insn.x_stride
    return insn.dram_base * eb, (last_row + insn.x_size) * eb
