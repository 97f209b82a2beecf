"""The `accel` dialect: what the accelerator executes, one op per ISA instruction (`docs/isa.md`).

An accel module holds `accel.region` declarations (byte ranges of the card's DRAM arena: inputs,
outputs, weights, scratch), one `accel.uop_table` (the micro-ops, stored in DRAM and brought on chip
by LOAD UOP instructions) and one `accel.program` whose body is the instruction stream. Instruction
ops are generated from the records of `canopy_ir.hw.isa`, field for field, so IR, encoder and
simulator cannot disagree. After `encode`, `accel.binary` holds the encoded bytes (hex) instead.
"""

from __future__ import annotations

from dataclasses import fields
from typing import ClassVar

from xdsl.dialects.builtin import IntegerAttr, StringAttr
from xdsl.ir import Block, Dialect, Region
from xdsl.irdl import (
    IRDLOperation,
    ParsePropInAttrDict,
    irdl_op_definition,
    prop_def,
    region_def,
    traits_def,
)
from xdsl.traits import NoTerminator
from xdsl.utils.exceptions import VerifyException

from canopy_ir.dialects.kvformat import FLAG, INT, INTS, STR, KeyValueFormat, kv_op_definition
from canopy_ir.hw import isa

ROLES = ("input", "output", "weight", "scratch")


@irdl_op_definition
class RegionOp(IRDLOperation):
    """A named byte range [offset, offset + nbytes) of the DRAM arena, with its role and, for
    inputs/outputs/weights, the metadata the host needs (shapes, layout, quantization)."""

    name = "accel.region"
    sym_name = prop_def(StringAttr)
    offset = prop_def(IntegerAttr)
    nbytes = prop_def(IntegerAttr)
    role = prop_def(StringAttr)
    irdl_options = (ParsePropInAttrDict(),)
    assembly_format = "$sym_name attr-dict"

    def verify_(self) -> None:
        if self.role.data not in ROLES:
            raise VerifyException(f"region role {self.role.data!r} is not one of {ROLES}")
        if self.offset.value.data < 0 or self.nbytes.value.data < 0:
            raise VerifyException("region offset and size must be non-negative")


@kv_op_definition
class UopTableOp(KeyValueFormat, IRDLOperation):
    """All micro-ops of the program as flat (dst, src, wgt) triples, stored at byte `offset`."""

    name = "accel.uop_table"
    KV_FIELDS: ClassVar[tuple] = (("offset", INT), ("uops", INTS))

    def verify_(self) -> None:
        if len(self.kv("uops")) % 3:
            raise VerifyException("accel.uop_table holds (dst, src, wgt) triples")


@irdl_op_definition
class ProgramOp(IRDLOperation):
    """The instruction stream, in fetch order."""

    name = "accel.program"
    body = region_def("single_block")
    traits = traits_def(NoTerminator())
    assembly_format = "attr-dict-with-keyword $body"

    def __init__(self):
        super().__init__(regions=[Region(Block())])


@kv_op_definition
class BinaryOp(KeyValueFormat, IRDLOperation):
    """The encoded program: instructions and micro-ops as little-endian bytes, in hex."""

    name = "accel.binary"
    KV_FIELDS: ClassVar[tuple] = (("uop_offset", INT), ("insns", STR), ("uops", STR))


class InsnOp(KeyValueFormat, IRDLOperation):
    """Base of the instruction ops; `RECORD` is the `isa` record class it mirrors."""

    RECORD: ClassVar[type[isa.Insn]]

    def to_record(self) -> isa.Insn:
        return self.RECORD(**{name: self.kv(name) for name, _ in self.KV_FIELDS})

    @classmethod
    def from_record(cls, insn: isa.Insn, layer: str | None = None) -> InsnOp:
        """The op of an instruction record; `layer` names the model layer it implements."""
        op_cls = INSN_OPS[type(insn)]
        attributes = {"layer": StringAttr(layer)} if layer else {}
        return op_cls.create(
            properties=cls.kv_properties(op_cls.KV_FIELDS, insn.field_values()),
            attributes=attributes,
        )

    @property
    def layer(self) -> str | None:
        attr = self.attributes.get("layer")
        return attr.data if isinstance(attr, StringAttr) else None


def _kind(name: str):
    if name in isa.DEP_FLAGS or name in ("reset_reg", "use_imm"):
        return FLAG
    return {"memory_type": isa.MemId, "alu_opcode": isa.AluOp}.get(name, INT)


def _insn_op(op_name: str, record: type[isa.Insn]) -> type[InsnOp]:
    # Dependency flags are printed last: they are what insert-deps adds.
    names = [f.name for f in fields(record) if f.name not in isa.DEP_FLAGS] + list(isa.DEP_FLAGS)
    cls = type(
        record.__name__.replace("Insn", "Op"),
        (InsnOp,),
        {
            "name": op_name,
            "RECORD": record,
            "KV_FIELDS": tuple((n, _kind(n)) for n in names),
            "__doc__": f"The {record.opcode.name} instruction (docs/isa.md §3.2, §4).",
            "__annotations__": {"RECORD": ClassVar, "KV_FIELDS": ClassVar},
        },
    )
    return kv_op_definition(cls)


LoadOp = _insn_op("accel.load", isa.LoadInsn)
StoreOp = _insn_op("accel.store", isa.StoreInsn)
GemmOp = _insn_op("accel.gemm", isa.GemmInsn)
AluOp = _insn_op("accel.alu", isa.AluInsn)
FinishOp = _insn_op("accel.finish", isa.FinishInsn)

INSN_OPS: dict[type[isa.Insn], type[InsnOp]] = {
    isa.LoadInsn: LoadOp,
    isa.StoreInsn: StoreOp,
    isa.GemmInsn: GemmOp,
    isa.AluInsn: AluOp,
    isa.FinishInsn: FinishOp,
}

Accel = Dialect(
    "accel",
    [RegionOp, UopTableOp, ProgramOp, BinaryOp, LoadOp, StoreOp, GemmOp, AluOp, FinishOp],
    [],
)
