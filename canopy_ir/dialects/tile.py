"""The `tile` dialect: the program cut into pieces that fit the accelerator's on-chip buffers.

A tile module holds `tile.tensor` declarations (DRAM tensors in the accelerator's packed layout:
inputs, outputs, packed weights, intermediate activations) and a sequence of `tile.kernel` ops, one
per graph layer. A kernel allocates on-chip buffers (`tile.alloc`, typed `!tile.buf<space, size>`),
moves 2-D strided regions between DRAM tensors and buffers (`tile.load`/`tile.store`, offsets in
buffer elements) and computes on buffers (`tile.gemm`, `tile.alu`) with micro-op lists whose indices
are relative to the start of each buffer. `tile.repeat` runs the ops before it again for further
tiles that differ only in DRAM offsets and buffer copies. Buffer placement, micro-op storage and
dependency tokens are decided later (`tile-to-accel`, `insert-deps`).
"""

from __future__ import annotations

from typing import ClassVar

import numpy as np
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
    var_operand_def,
)
from xdsl.parser import AttrParser
from xdsl.printer import Printer
from xdsl.traits import NoTerminator
from xdsl.utils.exceptions import VerifyException

from canopy_ir.dialects.kvformat import (
    FLAG,
    INT,
    INTS,
    STR,
    KeyValueFormat,
    int_values,
    kv_op_definition,
)
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


@kv_op_definition
class RepeatOp(KeyValueFormat, IRDLOperation):
    """The `ops` ops just before this one (the template: tile.load, tile.store, tile.gemm,
    tile.alu) run `count` more times. Repetition r (1 .. count) runs the template with

    - each buffer of set i replaced by the buffer at the same position of set (i + r) mod
      `sets` (the operands are `sets` sets of equal length; none with a single set), and
    - the `dram_offset` of template op `vary[i]` (a load or store, counted from the template's
      first op) increased by `deltas[(r - 1) * len(vary) + i]`.

    So the regular tiles of a layer take one template and a table of DRAM offsets instead of one
    op per instruction; `tile-to-accel` expands them with numpy. Buffer offsets, sizes and
    micro-ops are the template's, so its verifier covers every repetition."""

    def rotation(self, r: int) -> dict[SSAValue, SSAValue]:
        """The buffers repetition r uses instead of the template's."""
        sets = self.buffer_sets()
        return {
            a: b
            for i, group in enumerate(sets)
            for a, b in zip(group, sets[(i + r) % len(sets)], strict=True)
        }

    name = "tile.repeat"
    bufs = var_operand_def(BufType)
    KV_FIELDS: ClassVar[tuple] = (
        ("ops", INT),
        ("count", INT),
        ("sets", INT),
        ("vary", INTS),
        ("deltas", INTS),
    )

    def template(self) -> list:
        """The template ops, in order (as many as there are before this op, up to `ops`)."""
        ops, op = [], self.prev_op
        while op is not None and len(ops) < self.kv("ops"):
            ops.append(op)
            op = op.prev_op
        return ops[::-1]

    def buffer_sets(self) -> list[list[SSAValue]]:
        bufs, sets = list(self.bufs), self.kv("sets")
        per = len(bufs) // sets if sets else 0
        return [bufs[k * per : (k + 1) * per] for k in range(sets)]

    def delta_table(self) -> np.ndarray:
        """deltas as a (count, len(vary)) array."""
        return int_values(self.properties["deltas"]).reshape(self.kv("count"), -1)

    def verify_(self) -> None:
        n, count, sets = self.kv("ops"), self.kv("count"), self.kv("sets")
        if n < 1 or count < 1 or sets < 1:
            raise VerifyException("tile.repeat needs ops, count and sets of at least 1")
        if len(self.bufs) % sets:
            raise VerifyException(f"tile.repeat: {len(self.bufs)} buffers in {sets} sets")
        types = [[b.type for b in group] for group in self.buffer_sets()]
        if any(t != types[0] for t in types):
            raise VerifyException("tile.repeat buffer sets differ in their buffer types")
        template = self.template()
        if len(template) < n:
            raise VerifyException(f"tile.repeat: {n} template ops, only {len(template)} precede")
        allowed = LoadOp | StoreOp | GemmOp | AluOp
        if not all(isinstance(op, allowed) for op in template):
            raise VerifyException("tile.repeat repeats tile.load/store/gemm/alu ops only")
        vary = self.kv("vary")
        if list(vary) != sorted(set(vary)) or any(not 0 <= v < n for v in vary):
            raise VerifyException("tile.repeat vary lists template positions in order")
        if any(not isinstance(template[v], LoadOp | StoreOp) for v in vary):
            raise VerifyException("tile.repeat varies the DRAM offset of loads and stores")
        if len(self.properties["deltas"]) != count * len(vary):
            raise VerifyException("tile.repeat has one delta per repetition and varied op")
        if vary:
            firsts = np.array([template[v].kv("dram_offset") for v in vary])
            if (self.delta_table() + firsts).min() < 0:
                raise VerifyException("tile.repeat moves a DRAM offset below 0")


Tile = Dialect(
    "tile", [TensorOp, KernelOp, AllocOp, LoadOp, StoreOp, GemmOp, AluOp, RepeatOp], [BufType]
)
