"""The `accel` dialect: what the accelerator executes (`docs/isa.md`).

An accel module holds `accel.region` declarations (byte ranges of the card's DRAM arena: inputs,
outputs, weights, scratch), one `accel.uop_table` (the micro-ops, stored in DRAM and brought on chip
by LOAD UOP instructions) and one `accel.program`, the instruction stream. After `encode`,
`accel.binary` holds the encoded bytes (hex) instead.

`accel.program` keeps its instructions as columns (`canopy_ir.hw.stream.Stream`: one row per
instruction, one column per ISA field, plus the model layer of each row), not as one op per
instruction: a model has ~10^5 instructions, and the passes fill, scan and encode the columns with
numpy. Its text is still one line per instruction, the fields of the `isa` record in order:

    accel.program {
      accel.load (memory_type=inp, sram_base=0, dram_base=12, ..., push_next) {layer = "l0"}
      accel.gemm (reset_reg, uop_bgn=0, uop_end=4, iter_out=2, ...) {layer = "l0"}
      accel.finish ()
    }

Integers and enum names (`memory_type`, `alu_opcode`); a flag (dependency flags, `reset_reg`,
`use_imm`) appears by name when set; a field left out is 0; `{layer = ...}` names the layer.
"""

from __future__ import annotations

import io
import re
from functools import cache
from typing import ClassVar

import numpy as np
from xdsl.dialects.builtin import ArrayAttr, BytesAttr, DenseArrayBase, IntegerAttr, StringAttr, i64
from xdsl.ir import Dialect
from xdsl.irdl import (
    IRDLOperation,
    ParsePropInAttrDict,
    irdl_op_definition,
    prop_def,
)
from xdsl.parser import Parser
from xdsl.printer import Printer
from xdsl.utils.exceptions import VerifyException

from canopy_ir.dialects.kvformat import INT, INTS, STR, KeyValueFormat, kv_op_definition
from canopy_ir.hw import isa
from canopy_ir.hw.stream import COL, WIDTH, Stream, record_fields

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
        if len(self.properties["uops"]) % 3:
            raise VerifyException("accel.uop_table holds (dst, src, wgt) triples")

    def table(self) -> np.ndarray:
        """The micro-ops as an (n, 3) array."""
        return np.frombuffer(self.properties["uops"].data.data, "<i8").reshape(-1, 3)


# ---- the instruction lines ---------------------------------------------------------------------
MNEMONIC = {
    isa.Opcode.LOAD: "accel.load",
    isa.Opcode.STORE: "accel.store",
    isa.Opcode.GEMM: "accel.gemm",
    isa.Opcode.ALU: "accel.alu",
    isa.Opcode.FINISH: "accel.finish",
}
OPCODE_OF = {name: opcode for opcode, name in MNEMONIC.items()}
FLAG, ENUM = "flag", "enum"
ENUMS = {"memory_type": isa.MemId, "alu_opcode": isa.AluOp}


@cache
def line_fields(opcode: isa.Opcode) -> tuple[tuple[str, str], ...]:
    """(field, kind) in printed order: the record's fields, dependency flags last (they are what
    insert-deps adds)."""
    names = [n for n in record_fields(opcode) if n not in isa.DEP_FLAGS] + list(isa.DEP_FLAGS)
    flags = (*isa.DEP_FLAGS, "reset_reg", "use_imm")
    return tuple((n, FLAG if n in flags else ENUM if n in ENUMS else INT) for n in names)


@cache
def _layer_suffix(name: str) -> str:
    """` {layer = "name"}`, escaped exactly as xDSL prints a string attribute."""
    out = io.StringIO()
    Printer(stream=out).print_attr_dict({"layer": StringAttr(name)})
    return " " + out.getvalue()


def _line(opcode: int, row: list[int]) -> str:
    items = []
    for name, kind in line_fields(isa.Opcode(opcode)):
        value = row[COL[name]]
        if kind == FLAG:
            if value:
                items.append(name)
        elif kind == ENUM:
            items.append(f"{name}={ENUMS[name](value).name.lower()}")
        else:
            items.append(f"{name}={value}")
    return f"{MNEMONIC[isa.Opcode(opcode)]} ({', '.join(items)})"


@irdl_op_definition
class ProgramOp(IRDLOperation):
    """The instruction stream, in fetch order: `insns` holds the rows of a `Stream` (row-major,
    `len(FIELDS)` values each), `layer_of` the index into `layers` of each row's model layer
    (-1: none)."""

    name = "accel.program"
    insns = prop_def(DenseArrayBase)
    layers = prop_def(ArrayAttr)
    layer_of = prop_def(DenseArrayBase)

    def __init__(self, stream: Stream | None = None, layers=None):
        stream = stream if stream is not None else Stream.empty()
        names, index = _layer_table(layers, len(stream))
        super().__init__(
            properties={
                "insns": _dense(stream.cols),
                "layers": ArrayAttr([StringAttr(n) for n in names]),
                "layer_of": _dense(index),
            }
        )

    @classmethod
    def from_records(cls, insns, layers=None) -> ProgramOp:
        return cls(Stream.from_records(insns), layers)

    def set_stream(self, stream: Stream, layers=None) -> None:
        """Replace the instructions (and their layers: names per instruction, or a pair
        (distinct names, index per instruction))."""
        names, index = _layer_table(layers, len(stream))
        self.properties["insns"] = _dense(stream.cols)
        self.properties["layers"] = ArrayAttr([StringAttr(n) for n in names])
        self.properties["layer_of"] = _dense(index)

    def stream(self) -> Stream:
        """The instructions (read-only columns over the op's bytes)."""
        return Stream(np.frombuffer(self.insns.data.data, "<i8").reshape(-1, WIDTH))

    def layer_names(self) -> list[str]:
        return [s.data for s in self.layers.data]

    def layer_index(self) -> np.ndarray:
        return np.frombuffer(self.layer_of.data.data, "<i8")

    def instruction_layers(self) -> list[str | None]:
        """The layer of each instruction (None where unnamed)."""
        names = [*self.layer_names(), None]  # index -1 picks None
        return [names[k] for k in self.layer_index().tolist()]

    def verify_(self) -> None:
        n = len(self.insns.data.data) // 8
        if n % WIDTH:
            raise VerifyException(f"accel.program rows have {WIDTH} fields")
        index = self.layer_index()
        if len(index) != n // WIDTH:
            raise VerifyException("accel.program names a layer (or none) per instruction")
        if len(index) and (index.min() < -1 or index.max() >= len(self.layers.data)):
            raise VerifyException("accel.program layer index out of range")
        if not all(isinstance(s, StringAttr) for s in self.layers.data):
            raise VerifyException("accel.program layers are strings")
        ops = self.stream().column("opcode")
        if len(ops) and not np.isin(ops, list(MNEMONIC)).all():
            raise VerifyException("accel.program holds an unknown opcode")

    def print(self, printer: Printer) -> None:
        if self.attributes:
            printer.print_op_attributes(self.attributes, print_keyword=True)
        rows = self.stream().cols.tolist()
        names = self.layer_names()
        suffix = [_layer_suffix(n) for n in names] + [""]
        lines = [
            _line(row[0], row) + suffix[k]
            for row, k in zip(rows, self.layer_index().tolist(), strict=True)
        ]
        printer.print_string(" {")
        if lines:
            with printer.indented():
                printer.print_string("\n" + "\n".join(lines))
        printer.print_string("\n}")

    @classmethod
    def parse(cls, parser: Parser) -> ProgramOp:
        attributes = parser.parse_optional_attr_dict_with_keyword()
        # Lines as printed are read straight from the text (a token at a time, a large dump
        # took a minute); anything else goes through the parser, which reports errors.
        fast = _read_lines(parser.lexer.input.content, parser.pos)
        if fast is not None:
            rows, layers, end = fast
            parser._resume_from(end)
        else:
            rows, layers = [], []
            parser.parse_punctuation("{")
            while parser.parse_optional_punctuation("}") is None:
                row, layer = _parse_line(parser)
                rows.append(row)
                layers.append(layer)
        cols = np.array(rows, np.int64).reshape(-1, WIDTH)
        op = cls(Stream(cols), layers)
        if attributes is not None:
            op.attributes.update(attributes.data)
        return op


_LINE = re.compile(r'(accel\.[a-z]+) \(([^()]*)\)(?: \{layer = "((?:[^"\\]|\\.)*)"\})?')
_ITEM = re.compile(r"([a-z_0-9]+)(?:=(-?[0-9]+|[a-z_0-9]+))?")
_ESCAPE = re.compile(r"\\([0-9A-Fa-f]{2}|\\)")


def _read_lines(text: str, start: int):
    """(rows, layers, position after the closing brace) of a body printed as `print` prints it,
    read from the raw text; None as soon as anything differs (the parser takes over)."""
    if not isinstance(text, str) or text[start : start + 1] != "{":
        return None
    rows, layers = [], []
    pos = text.find("\n", start) + 1
    if pos == 0 or text[start + 1 : pos].strip():
        return None
    while True:
        end = text.find("\n", pos)
        line = text[pos : end if end >= 0 else len(text)].strip()
        if line.startswith("}"):
            return rows, layers, text.index("}", pos) + 1
        match = _LINE.fullmatch(line)
        if end < 0 or match is None or match[1] not in OPCODE_OF:
            return None
        opcode = OPCODE_OF[match[1]]
        kinds = dict(line_fields(opcode))
        row = [0] * WIDTH
        row[0] = int(opcode)
        for item in match[2].split(", ") if match[2] else []:
            field = _ITEM.fullmatch(item)
            if field is None or field[1] not in kinds:
                return None
            name, value, kind = field[1], field[2], kinds[field[1]]
            if (kind == FLAG) != (value is None):
                return None
            if kind == ENUM:
                if value.upper() not in ENUMS[name].__members__:
                    return None
                row[COL[name]] = int(ENUMS[name][value.upper()])
            else:
                row[COL[name]] = 1 if kind == FLAG else int(value)
        layer = match[3]
        if layer is not None:
            if "\\" in layer:
                raw = _ESCAPE.sub(lambda m: "\\" if m[1] == "\\" else chr(int(m[1], 16)), layer)
                if "\\" in _ESCAPE.sub("", layer) or max(raw) > "\xff":
                    return None  # not as xDSL's printer escapes
                layer = raw.encode("latin-1").decode("utf-8", "replace")
        rows.append(row)
        layers.append(layer)
        pos = end + 1


def _parse_line(parser: Parser) -> tuple[list[int], str | None]:
    pos = parser.pos
    mnemonic = parser.parse_identifier()
    if mnemonic not in OPCODE_OF:
        parser.raise_error(f"'{mnemonic}' is not an accel instruction", pos)
    opcode = OPCODE_OF[mnemonic]
    kinds = dict(line_fields(opcode))
    row = [0] * WIDTH
    row[0] = int(opcode)

    def item() -> None:
        name = parser.parse_identifier()
        if name not in kinds:
            parser.raise_error(f"{mnemonic} has no field '{name}'")
        if kinds[name] == FLAG:
            row[COL[name]] = 1
            return
        parser.parse_punctuation("=")
        if kinds[name] == ENUM:
            member = parser.parse_identifier().upper()
            if member not in ENUMS[name].__members__:
                parser.raise_error(f"'{member.lower()}' is not a {name}")
            row[COL[name]] = int(ENUMS[name][member])
        else:
            row[COL[name]] = parser.parse_integer()

    parser.parse_comma_separated_list(parser.Delimiter.PAREN, item)
    layer = None
    attrs = parser.parse_optional_attr_dict()
    if attrs:
        name = attrs.get("layer")
        if isinstance(name, BytesAttr):  # xDSL reads a string with escapes as bytes
            name = StringAttr(name.data.decode("utf-8", "replace"))
        if set(attrs) != {"layer"} or not isinstance(name, StringAttr):
            parser.raise_error(f"{mnemonic}: the only attribute is `layer`, a string")
        layer = name.data
    return row, layer


def _dense(values: np.ndarray) -> DenseArrayBase:
    data = np.ascontiguousarray(values, "<i8").tobytes()
    return DenseArrayBase(i64, BytesAttr(data))


def _layer_table(layers, n: int) -> tuple[list[str], np.ndarray]:
    """Distinct layer names and each instruction's index among them (-1: unnamed)."""
    if layers is None:
        return [], np.full(n, -1, np.int64)
    if isinstance(layers, tuple) and len(layers) == 2 and isinstance(layers[1], np.ndarray):
        names, index = layers  # already (names, index)
        return list(names), np.asarray(index, np.int64)
    layers = list(layers)
    if len(layers) != n:
        raise ValueError(f"{len(layers)} layer names for {n} instructions")
    position: dict[str, int] = {}
    index = np.array(
        [-1 if name is None else position.setdefault(name, len(position)) for name in layers],
        np.int64,
    )
    return list(position), index


@kv_op_definition
class BinaryOp(KeyValueFormat, IRDLOperation):
    """The encoded program: instructions and micro-ops as little-endian bytes, in hex."""

    name = "accel.binary"
    KV_FIELDS: ClassVar[tuple] = (("uop_offset", INT), ("insns", STR), ("uops", STR))


Accel = Dialect("accel", [RegionOp, UopTableOp, ProgramOp, BinaryOp], [])
