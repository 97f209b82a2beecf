"""The `tile` dialect: the program cut into pieces that fit the accelerator's on-chip buffers.

A tile module holds `tile.tensor` declarations (DRAM tensors in the accelerator's packed layout:
inputs, outputs, packed weights, intermediate activations) and a sequence of `tile.kernel` ops, one
per graph layer. A kernel allocates on-chip buffers (`tile.alloc`, typed `!tile.buf<space, size>`),
moves 2-D strided regions between DRAM tensors and buffers (`tile.load`/`tile.store`, offsets in
buffer elements) and computes on buffers (`tile.gemm`, `tile.alu`) with micro-op lists whose indices
are relative to the start of each buffer. Buffer placement, micro-op storage and dependency tokens
are decided later (`tile-to-accel`, `insert-deps`).
"""

from __future__ import annotations

from typing import ClassVar

from xdsl.dialects.builtin import IntAttr, StringAttr, TensorType
from xdsl.ir import Block, Dialect, ParametrizedAttribute, Region, SSAValue, TypeAttribute
from xdsl.irdl import (
    IRDLOperation,
    ParsePropInAttrDict,
    irdl_attr_definition,
    irdl_op_definition,
    operand_def,
    prop_def,
    region_def,
    result_def,
    traits_def,
)
from xdsl.parser import AttrParser
from xdsl.printer import Printer
from xdsl.traits import NoTerminator
from xdsl.utils.exceptions import VerifyException

from canopy_ir.dialects.kvformat import FLAG, INT, INTS, STR, KeyValueFormat, kv_op_definition
from canopy_ir.hw.isa import AluOp as AluCode

SPACES = ("inp", "wgt", "acc")


@irdl_attr_definition
class BufType(ParametrizedAttribute, TypeAttribute):
    """On-chip buffer of `size` elements in space inp, wgt or acc: `!tile.buf<inp, 64>`."""

    name = "tile.buf"
    space: StringAttr
    size: IntAttr

    def __init__(self, space: str, size: int):
        super().__init__(StringAttr(space), IntAttr(size))

    @classmethod
    def parse_parameters(cls, parser: AttrParser):
        parser.parse_punctuation("<")
        space = parser.parse_identifier()
        parser.parse_punctuation(",")
        size = parser.parse_integer(allow_negative=False)
        parser.parse_punctuation(">")
        return (StringAttr(space), IntAttr(size))

    def print_parameters(self, printer: Printer) -> None:
        printer.print_string(f"<{self.space.data}, {self.size.data}>")

    def verify(self) -> None:
        if self.space.data not in SPACES:
            raise VerifyException(f"buffer space must be one of {SPACES}, got {self.space.data}")


def buf_of(value: SSAValue) -> BufType:
    assert isinstance(value.type, BufType)
    return value.type


@irdl_op_definition
class TensorOp(IRDLOperation):
    """A DRAM tensor in packed layout. `role` is input, output, weight or scratch; a weight names
    its packed weight-pool entry in `weight`. Host-side metadata (logical shape, quantization,
    layout) travels as extra attributes."""

    name = "tile.tensor"
    sym_name = prop_def(StringAttr)
    type = prop_def(TensorType)
    role = prop_def(StringAttr)
    irdl_options = (ParsePropInAttrDict(),)
    assembly_format = "$sym_name attr-dict"

    def verify_(self) -> None:
        if self.role.data not in ("input", "output", "weight", "scratch"):
            raise VerifyException(f"tensor role {self.role.data!r} is unknown")
        if self.role.data == "weight" and "weight" not in self.attributes:
            raise VerifyException(f"weight tensor {self.sym_name.data} names no pool entry")


@irdl_op_definition
class KernelOp(IRDLOperation):
    """The tiles of one graph layer; `layer` is the ONNX node it implements."""

    name = "tile.kernel"
    layer = prop_def(StringAttr)
    body = region_def("single_block")
    traits = traits_def(NoTerminator())
    irdl_options = (ParsePropInAttrDict(),)
    assembly_format = "$layer attr-dict-with-keyword $body"

    def __init__(self, layer: str):
        super().__init__(properties={"layer": StringAttr(layer)}, regions=[Region(Block())])


@irdl_op_definition
class AllocOp(IRDLOperation):
    name = "tile.alloc"
    buf = result_def(BufType)
    assembly_format = "attr-dict `:` type($buf)"

    def __init__(self, space: str, size: int):
        super().__init__(result_types=[BufType(space, size)])


def _check_range(op, what: str, top: int, size: int) -> None:
    if top > size:
        raise VerifyException(
            f"{op.name}: {what} reaches element {top - 1} of a {size}-element buffer"
        )


@kv_op_definition
class LoadOp(KeyValueFormat, IRDLOperation):
    """DRAM → buffer: rows of `x_size` elements at `dram_offset + y * x_stride` of `tensor` (in
    elements of the buffer's type), zero-padded by the pads, written row-major from `offset`."""

    name = "tile.load"
    buf = operand_def(BufType)
    KV_FIELDS: ClassVar[tuple] = (
        ("offset", INT),
        ("tensor", STR),
        ("dram_offset", INT),
        ("y_size", INT),
        ("x_size", INT),
        ("x_stride", INT),
        ("y_pad_0", INT),
        ("y_pad_1", INT),
        ("x_pad_0", INT),
        ("x_pad_1", INT),
    )

    def verify_(self) -> None:
        rows = self.kv("y_pad_0") + self.kv("y_size") + self.kv("y_pad_1")
        cols = self.kv("x_pad_0") + self.kv("x_size") + self.kv("x_pad_1")
        _check_range(self, "load", self.kv("offset") + rows * cols, buf_of(self.buf).size.data)


@kv_op_definition
class StoreOp(KeyValueFormat, IRDLOperation):
    """acc buffer → DRAM, each lane narrowed to int8 by truncation."""

    name = "tile.store"
    buf = operand_def(BufType)
    KV_FIELDS: ClassVar[tuple] = (
        ("offset", INT),
        ("tensor", STR),
        ("dram_offset", INT),
        ("y_size", INT),
        ("x_size", INT),
        ("x_stride", INT),
    )

    def verify_(self) -> None:
        if buf_of(self.buf).space.data != "acc":
            raise VerifyException("tile.store reads an acc buffer")
        top = self.kv("offset") + self.kv("y_size") * self.kv("x_size")
        _check_range(self, "store", top, buf_of(self.buf).size.data)


LOOP_FIELDS = (
    ("iter_out", INT),
    ("iter_in", INT),
    ("dst_factor_out", INT),
    ("dst_factor_in", INT),
    ("src_factor_out", INT),
    ("src_factor_in", INT),
)


def _loop_top(op, uops: tuple[int, ...], stride: int, column: int, f_out: str, f_in: str) -> int:
    """One past the largest index a micro-op loop nest touches in one operand."""
    values = uops[column::stride]
    if not values:
        return 0
    if min(values) < 0 or op.kv(f_out) < 0 or op.kv(f_in) < 0:
        raise VerifyException(f"{op.name}: indices and factors must be non-negative")
    return (
        max(values)
        + (op.kv("iter_out") - 1) * op.kv(f_out)
        + (op.kv("iter_in") - 1) * op.kv(f_in)
        + 1
    )


@kv_op_definition
class GemmOp(KeyValueFormat, IRDLOperation):
    """acc[dst] += inp[src] · wgt[w]ᵀ for every micro-op (dst, src, w) of `uops` (flat triples)
    inside the iter_out × iter_in loops; `reset` zeroes acc[dst] instead."""

    name = "tile.gemm"
    acc = operand_def(BufType)
    inp = operand_def(BufType)
    wgt = operand_def(BufType)
    KV_FIELDS: ClassVar[tuple] = (
        ("reset", FLAG),
        *LOOP_FIELDS,
        ("wgt_factor_out", INT),
        ("wgt_factor_in", INT),
        ("uops", INTS),
    )

    def verify_(self) -> None:
        uops = self.kv("uops")
        if len(uops) % 3:
            raise VerifyException("tile.gemm uops are (dst, src, wgt) triples")
        for operand, space in ((self.acc, "acc"), (self.inp, "inp"), (self.wgt, "wgt")):
            if buf_of(operand).space.data != space:
                raise VerifyException(
                    f"tile.gemm operand {space} is a {buf_of(operand).space.data} buffer"
                )
        for column, (operand, f) in enumerate(
            ((self.acc, "dst"), (self.inp, "src"), (self.wgt, "wgt"))
        ):
            top = _loop_top(self, uops, 3, column, f"{f}_factor_out", f"{f}_factor_in")
            _check_range(self, f"{f} index", top, buf_of(operand).size.data)


@kv_op_definition
class AluOp(KeyValueFormat, IRDLOperation):
    """acc[dst] = op(acc[dst], use_imm ? imm : acc[src]) for every (dst, src) pair of `uops`."""

    name = "tile.alu"
    acc = operand_def(BufType)
    KV_FIELDS: ClassVar[tuple] = (
        ("op", AluCode),
        ("use_imm", FLAG),
        ("imm", INT),
        *LOOP_FIELDS,
        ("uops", INTS),
    )

    def verify_(self) -> None:
        uops = self.kv("uops")
        if len(uops) % 2:
            raise VerifyException("tile.alu uops are (dst, src) pairs")
        if not -(1 << 15) <= self.kv("imm") < (1 << 15):
            raise VerifyException("tile.alu immediate must fit 16 signed bits")
        size = buf_of(self.acc).size.data
        _check_range(
            self, "dst index", _loop_top(self, uops, 2, 0, "dst_factor_out", "dst_factor_in"), size
        )
        if not self.kv("use_imm"):
            _check_range(
                self,
                "src index",
                _loop_top(self, uops, 2, 1, "src_factor_out", "src_factor_in"),
                size,
            )


Tile = Dialect("tile", [TensorOp, KernelOp, AllocOp, LoadOp, StoreOp, GemmOp, AluOp], [BufType])
