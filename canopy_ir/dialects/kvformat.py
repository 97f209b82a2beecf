"""A compact, readable custom syntax shared by the `tile` and `accel` instruction-like ops:

    tile.gemm %acc, %inp, %wgt (iter_out=4, iter_in=8, uops=[0, 0, 0, 1, 16, 1])
    accel.load (memory_type=inp, sram_base=0, dram_base=12, y_size=10, ..., push_next)

Operands first, then `(key=value, ...)`: integers, identifiers (enum names), string literals and
integer lists; a bare identifier is a flag set to 1 (flags at 0 are not printed); then the
operand types, as MLIR's custom formats do. Discardable attributes (e.g. the ONNX `layer`
an instruction comes from) follow the field list as an attribute dictionary.
"""

from __future__ import annotations

from enum import IntEnum
from functools import lru_cache
from typing import ClassVar

from xdsl.dialects.builtin import DenseArrayBase, IntegerAttr, StringAttr, i64
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
                props[name] = StringAttr(value)
            elif kind == INTS:
                props[name] = DenseArrayBase.from_list(i64, [int(v) for v in value])
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
    """`irdl_op_definition` that first declares one property per entry of `cls.KV_FIELDS`."""
    for name, kind in cls.KV_FIELDS:
        constraint = {STR: StringAttr, INTS: DenseArrayBase}.get(kind, IntegerAttr)
        setattr(cls, name, prop_def(constraint))
    return irdl_op_definition(cls)
