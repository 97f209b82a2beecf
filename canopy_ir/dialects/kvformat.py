"""A compact, readable custom syntax shared by the `tile` ops and `accel.uop_table` / `accel.binary`
(the instruction lines of `accel.program` read the same way, see `canopy_ir.dialects.accel`):

    tile.gemm %acc, %inp, %wgt (iter_out=4, iter_in=8, uops=[0, 0, 0, 1, 16, 1])
    tile.store %0 (offset=0, tensor="out", dram_offset=64, y_size=2, x_size=50, x_stride=100)

Operands first, then `(key=value, ...)`: integers, identifiers (enum names), string literals and
integer lists; a bare identifier is a flag set to 1 (flags at 0 are not printed); then the
operand types, as MLIR's custom formats do. Discardable attributes (e.g. the ONNX `layer`
an instruction comes from) follow the field list as an attribute dictionary.
"""

from __future__ import annotations

import struct
from enum import IntEnum
from functools import lru_cache
from typing import ClassVar

import numpy as np
from xdsl.dialects.builtin import BytesAttr, DenseArrayBase, IntegerAttr, StringAttr, i64
from xdsl.ir import Attribute
from xdsl.irdl import irdl_op_definition, prop_def
from xdsl.parser import Parser
from xdsl.printer import Printer

INT, STR, INTS, FLAG = "int", "str", "ints", "flag"


@lru_cache(maxsize=1 << 16)
def _int_attr(value: int) -> IntegerAttr:
    # Attributes are immutable; building and range-checking an IntegerAttr costs more than the
    # rest of an instruction op, and streams reuse few distinct values.
    return IntegerAttr(value, i64)


@lru_cache(maxsize=1 << 12)
def _str_attr(value: str) -> StringAttr:
    return StringAttr(value)


def int_array(values) -> DenseArrayBase:
    """An i64 dense array, packed directly (`DenseArrayBase.from_list` range-checks and packs
    value by value: seconds for the micro-op lists and offset tables of a large model)."""
    if isinstance(values, np.ndarray):
        return DenseArrayBase(i64, BytesAttr(np.ascontiguousarray(values, "<i8").tobytes()))
    values = tuple(int(v) for v in values)
    if len(values) <= 64:  # short micro-op lists recur op after op: share the attribute
        return _short_int_array(values)
    return DenseArrayBase(i64, BytesAttr(struct.pack(f"<{len(values)}q", *values)))


@lru_cache(maxsize=1 << 12)
def _short_int_array(values: tuple[int, ...]) -> DenseArrayBase:
    return DenseArrayBase(i64, BytesAttr(struct.pack(f"<{len(values)}q", *values)))


def int_values(attr: DenseArrayBase) -> np.ndarray:
    """The values of an i64 dense array (a read-only view of its bytes)."""
    return np.frombuffer(attr.data.data, "<i8")


class KeyValueFormat:
    """Mixin for IRDL ops. Subclasses set `KV_FIELDS = ((name, kind), ...)`, where kind is INT,
    STR, INTS, FLAG or an IntEnum class (printed by member name). The ops have no results."""

    KV_FIELDS: ClassVar[tuple[tuple[str, object], ...]] = ()

    def kv(self, name: str) -> int | str | tuple[int, ...]:
        attr = self.properties[name]
        if isinstance(attr, IntegerAttr):
            return attr.value.data
        if isinstance(attr, StringAttr):
            return attr.data
        return tuple(attr.get_values())

    @staticmethod
    def kv_properties(fields, values: dict) -> dict[str, Attribute]:
        props: dict[str, Attribute] = {}
        for name, kind in fields:
            value = values.get(name, 0 if kind not in (STR, INTS) else None)
            if kind == STR:
                props[name] = _str_attr(value)
            elif kind == INTS:
                props[name] = int_array(value)
            else:
                props[name] = _int_attr(int(value))
        return props

    def print(self, printer: Printer) -> None:
        if self.operands:
            printer.print_string(" ")
            printer.print_list(self.operands, printer.print_operand)
        items = []
        for name, kind in self.KV_FIELDS:
            value = self.kv(name)
            if kind == FLAG:
                if value:
                    items.append(name)
            elif kind == STR:
                items.append(f'{name}="{value}"')
            elif kind == INTS:
                items.append(f"{name}=[{', '.join(map(str, value))}]")
            elif isinstance(kind, type) and issubclass(kind, IntEnum):
                items.append(f"{name}={kind(value).name.lower()}")
            else:
                items.append(f"{name}={value}")
        printer.print_string(" (" + ", ".join(items) + ")")
        if self.attributes:
            printer.print_string(" ")
            printer.print_attr_dict(self.attributes)
        if self.operands:
            printer.print_string(" : ")
            printer.print_list([o.type for o in self.operands], printer.print_attribute)

    @classmethod
    def parse(cls, parser: Parser):
        unresolved = []
        if (first := parser.parse_optional_unresolved_operand()) is not None:
            unresolved.append(first)
            while parser.parse_optional_punctuation(","):
                unresolved.append(parser.parse_unresolved_operand())
        kinds = dict(cls.KV_FIELDS)
        values: dict[str, object] = {}

        def parse_item() -> None:
            name = parser.parse_identifier()
            if name not in kinds:
                parser.raise_error(f"{cls.name} has no field '{name}'")
            kind = kinds[name]
            if kind == FLAG:
                values[name] = 1
                return
            parser.parse_punctuation("=")
            if kind == STR:
                values[name] = parser.parse_str_literal()
            elif kind == INTS:
                values[name] = parser.parse_comma_separated_list(
                    parser.Delimiter.SQUARE, parser.parse_integer
                )
            elif isinstance(kind, type) and issubclass(kind, IntEnum):
                member = parser.parse_identifier().upper()
                if member not in kind.__members__:
                    parser.raise_error(f"'{member.lower()}' is not a {name}")
                values[name] = int(kind[member])
            else:
                values[name] = parser.parse_integer()

        parser.parse_comma_separated_list(parser.Delimiter.PAREN, parse_item)
        attributes = parser.parse_optional_attr_dict()
        operands = []
        if unresolved:
            parser.parse_punctuation(":")
            types = [parser.parse_type()]
            while parser.parse_optional_punctuation(","):
                types.append(parser.parse_type())
            if len(types) != len(unresolved):
                parser.raise_error(f"{cls.name}: {len(unresolved)} operands but {len(types)} types")
            operands = [
                parser.resolve_operand(u, t) for u, t in zip(unresolved, types, strict=True)
            ]
        for name, kind in cls.KV_FIELDS:
            if kind in (STR, INTS) and name not in values:
                parser.raise_error(f"{cls.name} needs field '{name}'")
        return cls.create(
            operands=operands,
            properties=cls.kv_properties(cls.KV_FIELDS, values),
            attributes=attributes,
        )


def kv_op_definition(cls):
    """`irdl_op_definition` that first declares one property per entry of `cls.KV_FIELDS`.

    Its verifier checks the op's shape (properties, operands, no results or regions) directly
    and runs IRDL's generic verification only when that check fails (for IRDL's message): the
    generic one was most of the cost of verifying the many small tile ops of a large model."""
    types = {}
    for name, kind in cls.KV_FIELDS:
        constraint = {STR: StringAttr, INTS: DenseArrayBase}.get(kind, IntegerAttr)
        types[name] = constraint
        setattr(cls, name, prop_def(constraint))
    custom = cls.verify_
    defined = irdl_op_definition(cls)
    op_def = defined.get_irdl_definition()
    generic = defined.verify_
    operands = _operand_types(op_def)
    if operands is None or op_def.results or op_def.regions or list(op_def.traits):
        return defined
    fixed, variadic = operands

    def verify_(op) -> None:
        props = op.properties
        shape_ok = (
            len(props) == len(types)
            and all(isinstance(props.get(n), t) for n, t in types.items())
            and not op.results
            and not op.regions
            and not op.successors
            and (len(op.operands) >= len(fixed) if variadic else len(op.operands) == len(fixed))
            and all(
                isinstance(v.type, fixed[k] if k < len(fixed) else variadic)
                for k, v in enumerate(op.operands)
            )
        )
        if not shape_ok:
            generic(op)
        custom(op)

    defined.verify_ = verify_
    return defined


def _operand_types(op_def):
    """(types of the fixed operands, type of the trailing variadic ones or None), when every
    operand is constrained to one attribute class only; None otherwise."""
    from xdsl.irdl import VarOperandDef
    from xdsl.irdl.constraints import BaseAttr

    fixed, variadic = [], None
    for _, definition in op_def.operands:
        constr = definition.constr
        while hasattr(constr, "constraint") or hasattr(constr, "constr"):
            constr = getattr(constr, "constraint", None) or constr.constr
        if not isinstance(constr, BaseAttr) or variadic is not None:
            return None
        if isinstance(definition, VarOperandDef):
            variadic = constr.attr
        else:
            fixed.append(constr.attr)
    return fixed, variadic
