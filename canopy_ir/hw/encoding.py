"""C bit-field packing: how VTA's `hw_spec.h` structs lay their fields out (`docs/isa.md` §3).

Fields are placed from bit 0 in declaration order into storage units of `unit` bits (64 for
instructions, 32 for micro-ops), the rule gcc applies to `uint64_t`/`uint32_t` bit-fields: a field
that would straddle a unit boundary starts at the next unit instead. A word is stored little-endian.

This module knows nothing of the ISA: `canopy_ir.hw.isa` declares the fields and their widths and
builds on the packing, encoding and decoding here.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from canopy_ir.errors import HardwareConfigError


@dataclass(frozen=True)
class FieldLayout:
    """Where one field of a record lies in its word."""

    name: str
    offset: int  # bit offset in the whole word (0..127 for instructions, 0..31 for micro-ops)
    width: int  # bits
    signed: bool = False  # two's complement (only the ALU immediate)

    @property
    def mask(self) -> int:
        """The field's bits within the whole word."""
        return ((1 << self.width) - 1) << self.offset

    @property
    def bounds(self) -> tuple[int, int]:
        """The smallest and largest value the field holds."""
        if self.signed:
            return -(1 << (self.width - 1)), (1 << (self.width - 1)) - 1
        return 0, (1 << self.width) - 1


FieldSpec = tuple[str, int, bool]  # (name, width, signed), in declaration order


def pack_fields(
    specs: Sequence[FieldSpec], unit: int, total: int, what: str, source: str
) -> tuple[FieldLayout, ...]:
    """Place fields in declaration order with C bit-field rules for `unit`-bit storage units in a
    `total`-bit word; a field wider than a unit or past the word's end is a HardwareConfigError."""
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


def pack_word(values: Mapping[str, int], layout: Sequence[FieldLayout]) -> int:
    """The word holding `values` (one per field of `layout`, already checked against `bounds`)."""
    word = 0
    for f in layout:
        word |= (values[f.name] & ((1 << f.width) - 1)) << f.offset
    return word


def unpack_word(word: int, layout: Sequence[FieldLayout]) -> tuple[dict[str, int], int]:
    """(value of each field, the bits of `word` outside every field)."""
    values, used = {}, 0
    for f in layout:
        used |= f.mask
        value = (word >> f.offset) & ((1 << f.width) - 1)
        if f.signed and value >> (f.width - 1):
            value -= 1 << f.width
        values[f.name] = value
    return values, word & ~used


def unpack_columns(
    words: np.ndarray, layout: Sequence[FieldLayout]
) -> tuple[list[np.ndarray], np.ndarray]:
    """`unpack_word` for many words at once: `words` is (n, units) uint64, unit 0 the low bits.
    Returns one int64 column per field of `layout` and, per word, whether it has bits set outside
    every field."""
    used = [0] * words.shape[1]
    columns = []
    for f in layout:
        unit, shift = divmod(f.offset, 64)
        used[unit] |= ((1 << f.width) - 1) << shift
        value = (words[:, unit] >> np.uint64(shift)) & np.uint64((1 << f.width) - 1)
        value = value.astype(np.int64)
        if f.signed:
            value = np.where(value >> (f.width - 1), value - (1 << f.width), value)
        columns.append(value)
    stray = np.zeros(len(words), bool)
    for unit, mask in enumerate(used):
        stray |= (words[:, unit] & ~np.uint64(mask)) != 0
    return columns, stray
