"""`encode` / `decode`: the instruction stream as bytes, and back.

`encode` takes an accel module with `accel.uop_table` + `accel.program` and produces one with an
`accel.binary` op holding the little-endian 128-bit instructions and 32-bit micro-ops (hex), after
the stream verifier (`canopy_ir.hw.verify`) accepted the program for the module's `HwConfig`.
`decode` is its exact inverse.
"""

from __future__ import annotations

from dataclasses import dataclass

from xdsl.context import Context
from xdsl.dialects.builtin import ArrayAttr, IntegerAttr, ModuleOp, StringAttr, i64
from xdsl.passes import ModulePass

from canopy_ir.accel_program import read_program
from canopy_ir.dialects import accel
from canopy_ir.dialects.kvformat import KeyValueFormat
from canopy_ir.hw import isa
from canopy_ir.hw.program import layer_ranges
from canopy_ir.hw.verify import verify_stream


def _replace_program(module: ModuleOp, new_ops) -> None:
    for child in list(module.ops):
        if isinstance(child, accel.UopTableOp | accel.ProgramOp | accel.BinaryOp):
            child.detach()
            child.erase()
    module.body.block.add_ops(new_ops)
    module.verify()


@dataclass(frozen=True)
class EncodePass(ModulePass):
    """Encode the instruction stream and micro-ops as VTA's binary words."""

    name = "encode"

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        program = read_program(op)
        verify_stream(
            program.insns,
            program.uops,
            program.config,
            arena_bytes=program.arena_bytes,
            uop_offset=program.uop_offset,
        )
        binary = accel.BinaryOp.create(
            properties=KeyValueFormat.kv_properties(
                accel.BinaryOp.KV_FIELDS,
                {
                    "uop_offset": program.uop_offset,
                    "insns": isa.encode_insns(program.insns, program.config).hex(),
                    "uops": isa.encode_uops(program.uops, program.config).hex(),
                },
            )
        )
        if program.layers and any(program.layers):
            binary.attributes["layers"] = ArrayAttr(
                [
                    ArrayAttr([StringAttr(name), IntegerAttr(first, i64), IntegerAttr(end, i64)])
                    for name, first, end in layer_ranges(program.layers)
                ]
            )
        _replace_program(op, [binary])


@dataclass(frozen=True)
class DecodePass(ModulePass):
    """Decode an encoded stream back into accel instruction ops."""

    name = "decode"

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        program = read_program(op)
        table = accel.UopTableOp.create(
            properties=KeyValueFormat.kv_properties(
                accel.UopTableOp.KV_FIELDS,
                {
                    "offset": program.uop_offset,
                    "uops": [v for t in program.uops.triples() for v in t],
                },
            )
        )
        _replace_program(op, [table, accel.ProgramOp(program.insns, program.layers)])
