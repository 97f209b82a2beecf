"""Instruction-field limits for the tile program of `graph-to-tile`: the input window of a tile
(its padding only where it crosses the image border) and LOAD/STORE transfers cut so that each
one's y_size, x_size and x_stride fit their 16-bit fields (`docs/isa.md` §3.2).

Takes and produces plain field dictionaries (the key-values of `tile.load` / `tile.store`); the
emitter turns each into one op."""

from __future__ import annotations

from dataclasses import dataclass

from canopy_ir.passes.graph_to_tile.tiling import FIELD_MAX


@dataclass(frozen=True)
class Window:
    """The input positions [start, start + size) of one axis of a tile, split into the leading
    padding, the `data` positions read from DRAM from `first`, and the trailing padding. Padding
    lies outside the image only, so each pad is at most the layer's padding on that side."""

    first: int
    pad_0: int
    data: int
    pad_1: int


def window(start: int, size: int, extent: int) -> Window:
    """The window [start, start + size) over an axis of `extent` positions. A window wholly in
    the padding has all its positions on the side it lies on (and no data)."""
    end = start + size
    lo = min(max(0, start), end)  # first image position, clamped into the window
    hi = min(max(extent, start), end)  # one past the last image position, clamped
    hi = max(hi, lo)
    # a window above or left of the image reads nothing; its DRAM position must still be valid
    return Window(max(lo, 0), lo - start, hi - lo, end - hi)


def fit_transfer(fields: dict, load: bool) -> list[dict]:
    """`fields` of one LOAD (`load`) or STORE as one or more transfers whose y_size, x_size and
    x_stride fit 16 bits, moving the same elements to the same places. A transfer of one row
    ignores its stride, so an oversized one is replaced by the row's width; otherwise rows are
    cut into chunks of at most FIELD_MAX (one row each when the stride itself is too wide), the
    leading zero rows of a load going with the first chunk and the trailing ones with the last.
    A transfer that already fits is returned unchanged."""
    y_size, x_size, x_stride = fields["y_size"], fields["x_size"], fields["x_stride"]
    if x_size > FIELD_MAX:
        raise ValueError(f"a row of {x_size} elements exceeds the 16-bit x_size field")
    if y_size <= 1:
        if x_stride > FIELD_MAX:
            return [{**fields, "x_stride": x_size}]
        return [fields]
    if x_stride <= FIELD_MAX and y_size <= FIELD_MAX:
        return [fields]
    rows = FIELD_MAX if x_stride <= FIELD_MAX else 1
    # a buffer row of a load holds its padding too; a store reads rows of x_size
    width = fields.get("x_pad_0", 0) + x_size + fields.get("x_pad_1", 0) if load else x_size
    lead = fields.get("y_pad_0", 0) if load else 0
    pieces = []
    for y0 in range(0, y_size, rows):
        n = min(rows, y_size - y0)
        piece = {
            **fields,
            "offset": fields["offset"] + (0 if y0 == 0 else (lead + y0) * width),
            "dram_offset": fields["dram_offset"] + y0 * x_stride,
            "y_size": n,
            "x_stride": x_stride if n > 1 else x_size,
        }
        if load:
            piece["y_pad_0"] = fields.get("y_pad_0", 0) if y0 == 0 else 0
            piece["y_pad_1"] = fields.get("y_pad_1", 0) if y0 + n == y_size else 0
        pieces.append(piece)
    return pieces


def loop_factor(value: int, iterations: int, limit: int) -> int:
    """A micro-op loop factor: `value`, unless the loop runs once and `value` does not fit the
    field (below `limit`); the factor of a loop that runs once is never used, so 0 serves."""
    return 0 if iterations <= 1 and value >= limit else value
