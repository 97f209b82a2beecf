"""Runs of output tiles for `KernelEmitter` (emitter.py): tiles that differ only in position
are emitted once, as ops, plus a `tile.repeat` with their DRAM offsets.

A `Tile` is one output tile's position and shape; `runs` cuts the tiles of a layer into blocks
(one tile, or all tiles of an output-channel chunk) and the blocks into runs of equal shapes.
`batch` turns the tiles at one position of a run's blocks into one `OutputTile` whose positions
are numpy arrays, so the emitter's arithmetic gives each DRAM offset as an array over the run;
`Template` records the ops of the first block and keeps those arrays where they vary.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
from xdsl.ir import SSAValue

from canopy_ir.dialects import tile
from canopy_ir.dialects.kvformat import KeyValueFormat
from canopy_ir.passes.graph_to_tile.fields import Window, fit_transfer


class Template:
    """The ops of the first block of a run, with the DRAM offsets of every block of the run
    where they vary (`offsets[k]`: an array over the run, for op k of the template)."""

    def __init__(self):
        self.ops: list = []
        self.offsets: dict[int, np.ndarray] = {}

    def op(self, op_cls, operands, **values) -> None:
        offset = values.get("dram_offset")
        if isinstance(offset, np.ndarray):
            if len(offset) > 1 and (offset != offset[0]).any():
                self.offsets[len(self.ops)] = offset
            values["dram_offset"] = int(offset[0])
        self.ops.append(
            op_cls.create(
                operands=operands,
                properties=KeyValueFormat.kv_properties(op_cls.KV_FIELDS, values),
            )
        )

    def transfer(self, op_cls, buf: SSAValue, **fields) -> None:
        """One tile.load / tile.store, cut into several where a field would not fit 16 bits
        (the cut depends on sizes and strides only, so it is the same for the whole run)."""
        for piece in fit_transfer(fields, load=op_cls is tile.LoadOp):
            self.op(op_cls, [buf], **piece)


@dataclass(frozen=True)
class Buffers:
    """The buffer copies one tile uses: accumulators, and per reduction step the inputs and the
    weights."""

    acc: SSAValue
    inps: tuple[SSAValue, ...]
    wgts: tuple[SSAValue, ...]


@dataclass(frozen=True)
class OutputTile:
    """Output tiles of one shape: batch block `nb`, output-channel blocks ob0 .. ob0 + tob - 1,
    output rows oh0 .. oh0 + toh - 1, output columns ow0 .. ow0 + tow - 1, their input windows
    `ys` (rows) and `xs` (columns), and the buffers of the first. The positions (`nb`, `ob0`,
    `oh0`, `ow0`, the windows' `first`) are arrays over a run of tiles; the rest is shared."""

    nb: np.ndarray
    ob0: np.ndarray
    tob: int
    oh0: np.ndarray
    toh: int
    ow0: np.ndarray
    tow: int
    ys: Window
    xs: Window
    bufs: Buffers

    @property
    def acc(self) -> SSAValue:
        return self.bufs.acc


@dataclass(frozen=True)
class Tile:
    """One output tile's position, shape and windows, before runs are formed."""

    k: int  # position in the tile order (selects the buffer copy)
    chunk: int  # its chunk of output channels (the tiles of a chunk share the chunk's weights)
    first: bool  # the chunk's first tile, which loads the chunk's resident weights
    nb: int
    ob0: int
    tob: int
    oh0: int
    toh: int
    ow0: int
    tow: int
    ys: Window
    xs: Window

    @property
    def shape(self) -> tuple:
        """What the tile's ops depend on besides DRAM offsets and buffers."""
        ys, xs = self.ys, self.xs
        sizes = (self.tob, self.toh, self.tow)
        return (self.first, *sizes, ys.pad_0, ys.data, ys.pad_1, xs.pad_0, xs.data, xs.pad_1)


def batch(tiles: list[Tile], bufs: Buffers) -> OutputTile:
    """Tiles of one shape as one OutputTile, their positions as arrays."""
    first = tiles[0]

    def column(values) -> np.ndarray:
        return np.array(values, np.int64)

    return OutputTile(
        column([t.nb for t in tiles]),
        column([t.ob0 for t in tiles]),
        first.tob,
        column([t.oh0 for t in tiles]),
        first.toh,
        column([t.ow0 for t in tiles]),
        first.tow,
        replace(first.ys, first=column([t.ys.first for t in tiles])),
        replace(first.xs, first=column([t.xs.first for t in tiles])),
        bufs,
    )


def runs(tiles: list[Tile], chunk: int) -> list[list[list[Tile]]]:
    """The output tiles in order, cut into blocks of consecutive tiles, and the blocks into
    runs of blocks with the same tile shapes. A block is one tile, or all the tiles of one
    output-channel chunk (rows, columns): in deep layers with few row tiles, the chunks
    repeat, not single tiles. Whichever leaves fewer tiles to emit as ops is taken."""
    sizes = [1] + ([chunk] if chunk > 1 else [])
    best: list[list[list[Tile]]] = []
    for size in sizes:
        found: list[list[list[Tile]]] = []
        for i in range(0, len(tiles), size):
            block = tiles[i : i + size]
            if found and [t.shape for t in block] == [t.shape for t in found[-1][0]]:
                found[-1].append(block)
            else:
                found.append([block])
        if not best or sum(len(run[0]) for run in found) < sum(len(run[0]) for run in best):
            best = found
    return best
