"""The tile program of one quantized convolution: `KernelEmitter` walks its output tiles (rows and
columns) and emits, per tile, the accumulator initialisation (biases), the loads and GEMMs of each
reduction chunk, the requantization's ALU steps (`canopy_ir.quant.Requant.steps`) and the stores.

Consecutive tiles (or chunks of tiles) of the same shape — sizes, padding of the input window —
differ only in their DRAM offsets and in the copy of the buffers they use: the emitter emits the
first of such a run as ops and the rest as one `tile.repeat` with a table of DRAM offsets
(runs.py). The steps below are written once for a whole run: the tile positions are numpy
arrays, so each DRAM offset comes out as an array over the run.

Takes a layer's `ConvGeometry`, `Tiling` and DRAM tensor names; produces one `tile.kernel`."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
from xdsl.builder import ImplicitBuilder
from xdsl.dialects.builtin import DictionaryAttr, IntegerAttr, i64
from xdsl.ir import SSAValue

from canopy_ir.dialects import tile
from canopy_ir.dialects.kvformat import KeyValueFormat
from canopy_ir.hw.isa import AluOp
from canopy_ir.passes.graph_to_tile.fields import loop_factor, window
from canopy_ir.passes.graph_to_tile.runs import OutputTile, Template, Tile, batch, runs
from canopy_ir.passes.graph_to_tile.tiling import ConvGeometry, Tiling, accumulator_elements
from canopy_ir.quant import Requant

BIAS_LOADS_MAX = 2  # up to this many output-channel blocks, load biases per block


def _loop(**kw) -> dict:
    base = dict(
        iter_out=1, iter_in=1, dst_factor_out=0, dst_factor_in=0, src_factor_out=0, src_factor_in=0
    )
    base.update(kw)
    return base


class KernelEmitter:
    """Emits a `tile.kernel` for one layer. `tensors` names the DRAM tensors: input, output,
    weight, and bias and multipliers{j} (piece j of per-channel multipliers) when there are."""

    def __init__(
        self,
        layer: str,
        g: ConvGeometry,
        tiling: Tiling,
        tensors: dict[str, str],
        requant: Requant,
        has_bias: bool,
    ):
        self.layer, self.g, self.tiling = layer, g, tiling
        self.tensors, self.requant, self.has_bias = tensors, requant, has_bias

    def emit(self) -> tile.KernelOp:
        g, t = self.g, self.tiling
        tow = t.width(g)
        kernel = tile.KernelOp(self.layer)
        sizes = {
            "tob": IntegerAttr(t.tob, i64),
            "toh": IntegerAttr(t.toh, i64),
            "tib": IntegerAttr(t.tib, i64),
            "dram_bytes": IntegerAttr(t.dram_bytes, i64),
            "buffers": IntegerAttr(t.buffers, i64),
        }
        if tow < g.ow:  # only width-tiled kernels say so: full-width IR text stays as it was
            sizes["tow"] = IntegerAttr(tow, i64)
        kernel.attributes["tiling"] = DictionaryAttr(sizes)
        with ImplicitBuilder(kernel.body):
            acc_size = accumulator_elements(g, t.tob, t.toh, self.requant, tow)
            buffers = [
                (
                    tile.AllocOp("acc", acc_size).buf,
                    tile.AllocOp("inp", t.tib * g.rows_in(t.toh) * g.in_width(tow)).buf,
                    tile.AllocOp("wgt", t.tob * t.tib * g.taps).buf,
                )
                for _ in range(t.buffers)
            ]
            tiles = list(self.output_tiles())
            chunk = len(tiles) // max(1, g.nb * -(-g.cob // t.tob))  # tiles per channel chunk
            for run in runs(tiles, chunk, t.buffers):
                self.emit_run(run, buffers)
        return kernel

    def emit_run(self, run: list[list[Tile]], buffers: list[tuple[SSAValue, ...]]) -> None:
        """The ops of the run's first block of tiles, then a `tile.repeat` for the other blocks
        (every block has the same tile shapes, in the same order)."""
        self.sink = Template()
        for j in range(len(run[0])):
            tiles = [block[j] for block in run]
            out = batch(tiles, buffers[tiles[0].k % len(buffers)])
            self.initialise(out)
            self.reduce(out)
            self.requantize(out)
            self.store(out)
        if len(run) == 1:
            return
        offsets = self.sink.offsets
        vary = sorted(offsets)
        deltas = [offsets[v][1:] - offsets[v][0] for v in vary]
        # tile k uses buffer copy k mod len(buffers): a block of an odd number of tiles starts
        # on the other copy each time (runs() takes no other block sizes)
        k0, rotate = run[0][0].k, len(run[0]) % len(buffers)
        sets = [buffers[(k0 + i) % len(buffers)] for i in range(len(buffers))] if rotate else []
        tile.RepeatOp.create(
            operands=[b for s in sets for b in s],
            properties=KeyValueFormat.kv_properties(
                tile.RepeatOp.KV_FIELDS,
                {
                    "ops": len(self.sink.ops),
                    "count": len(run) - 1,
                    "sets": max(len(sets), 1),
                    "vary": vary,
                    "deltas": np.stack(deltas, 1).reshape(-1) if vary else [],
                },
            ),
        )

    def output_tiles(self) -> Iterator[Tile]:
        """The output tiles in order; tile k uses copy k mod `buffers` of the buffers (so that
        the next tile's loads overlap this tile's compute)."""
        g, t = self.g, self.tiling
        width = t.width(g)
        k = 0
        for nb in range(g.nb):
            for ob0 in range(0, g.cob, t.tob):
                for oh0 in range(0, g.oh, t.toh):
                    toh = min(t.toh, g.oh - oh0)
                    ys = window(oh0 * g.sh - g.pt, g.rows_in(toh), g.h)
                    for ow0 in range(0, g.ow, width):
                        tob, tow = min(t.tob, g.cob - ob0), min(width, g.ow - ow0)
                        xs = window(ow0 * g.sw - g.pl, g.in_width(tow), g.w)
                        yield Tile(k, nb, ob0, tob, oh0, toh, ow0, tow, ys, xs)
                        k += 1

    # --- loop nests over a tile ----------------------------------------------------------------
    def out_loops(self, out: OutputTile) -> dict:
        """Over one output-channel block of the tile: rows, then columns."""
        return dict(iter_out=out.toh, iter_in=out.tow, dst_factor_out=out.tow, dst_factor_in=1)

    def everything(self, out: OutputTile) -> dict:
        """Over the whole tile, every output-channel block's rows, then columns."""
        return _loop(
            iter_out=out.tob * out.toh, iter_in=out.tow, dst_factor_out=out.tow, dst_factor_in=1
        )

    # --- the steps of a tile -------------------------------------------------------------------
    def initialise(self, out: OutputTile) -> None:
        """The accumulators start at the biases (or zero)."""
        plane = out.toh * out.tow  # accumulator elements per output-channel block
        if self.has_bias and out.tob <= BIAS_LOADS_MAX:
            for ob in range(out.tob):  # each block's bias repeated over the tile by a stride-0 load
                self.sink.op(
                    tile.LoadOp,
                    [out.acc],
                    offset=ob * plane,
                    tensor=self.tensors["bias"],
                    dram_offset=out.ob0 + ob,
                    y_size=plane,
                    x_size=1,
                    x_stride=0,
                )
            return
        self.sink.op(
            tile.GemmOp,
            [out.acc, out.inp, out.wgt],
            reset=1,
            **_loop(**self.out_loops(out)),
            uops=[v for ob in range(out.tob) for v in (ob * plane, 0, 0)],
        )
        if self.has_bias:  # biases once, beside the tile, then one broadcasting add
            self.broadcast_per_block(out, "bias", out.tob * plane, 0, AluOp.ADD)

    def reduce(self, out: OutputTile) -> None:
        """Per reduction chunk: load its input-channel blocks (the tile's input window, padded
        where it crosses the image border) and weights, then one GEMM over the tile."""
        g, taps = self.g, self.g.taps
        plane = out.toh * out.tow
        rows_in, in_w = g.rows_in(out.toh), g.in_width(out.tow)
        ys, xs = out.ys, out.xs
        if xs.data == 0:
            # Every column lies in the padding: the products are all zero. (A LOAD of no
            # columns writes nothing, not even its padding, so it could not zero the window.)
            return
        for ib0 in range(0, g.cib, self.tiling.tib):
            tib = min(self.tiling.tib, g.cib - ib0)
            for ib in range(tib):
                self.sink.transfer(
                    tile.LoadOp,
                    out.inp,
                    offset=ib * rows_in * in_w,
                    tensor=self.tensors["input"],
                    dram_offset=((out.nb * g.cib + ib0 + ib) * g.h + ys.first) * g.w + xs.first,
                    y_size=ys.data,
                    x_size=xs.data,
                    x_stride=g.w,
                    y_pad_0=ys.pad_0,
                    y_pad_1=ys.pad_1,
                    x_pad_0=xs.pad_0,
                    x_pad_1=xs.pad_1,
                )
            self.sink.transfer(
                tile.LoadOp,
                out.wgt,
                offset=0,
                tensor=self.tensors["weight"],
                dram_offset=(out.ob0 * g.cib + ib0) * taps,
                y_size=out.tob,
                x_size=tib * taps,
                x_stride=g.cib * taps,
            )
            uops = []
            for ob in range(out.tob):
                for ib in range(tib):
                    for kh in range(g.kh):
                        for kw in range(g.kw):
                            uops += [
                                ob * plane,
                                ib * rows_in * in_w + kh * g.dh * in_w + kw * g.dw,
                                ((ob * tib + ib) * g.kh + kh) * g.kw + kw,
                            ]
            limit = self.tiling.inp_depth
            self.sink.op(
                tile.GemmOp,
                [out.acc, out.inp, out.wgt],
                **_loop(
                    **self.out_loops(out),
                    src_factor_out=loop_factor(g.sh * in_w, out.toh, limit),
                    src_factor_in=loop_factor(g.sw, out.tow, limit),
                ),
                uops=uops,
            )

    def requantize(self, out: OutputTile) -> None:
        """The requantization's ALU steps over the tile; regions 1 and 2 are scratch copies after
        it, then a slot per block for the bias and for each multiplier piece."""
        tile_elems = out.tob * out.toh * out.tow
        everything = self.everything(out)
        slots = tile_elems * (1 + self.requant.scratch_tiles) + out.tob
        for step in self.requant.steps():
            op, dst = AluOp[step.op], step.dst * tile_elems
            if step.piece is not None:  # piece j of each block's multipliers, broadcast
                self.broadcast_per_block(
                    out, f"multipliers{step.piece}", slots + step.piece * out.tob, dst, op
                )
            elif step.imm is not None:
                self.sink.op(
                    tile.AluOp,
                    [out.acc],
                    op=int(op),
                    use_imm=1,
                    imm=step.imm,
                    **everything,
                    uops=[dst, 0],
                )
            else:
                self.sink.op(
                    tile.AluOp,
                    [out.acc],
                    op=int(op),
                    **{**everything, "src_factor_out": out.tow, "src_factor_in": 1},
                    uops=[dst, step.src * tile_elems],
                )

    def store(self, out: OutputTile) -> None:
        """The tile's 2-D strided output windows. Full width (or one row): one store, row y is
        output-channel block ob0 + y, its plane strided by OH × OW. Narrower tiles of several
        rows: one store per block, rows of the tile's columns strided by OW."""
        g = self.g
        base = ((out.nb * g.cob + out.ob0) * g.oh + out.oh0) * g.ow + out.ow0
        if out.tow == g.ow or out.toh == 1:
            self.sink.transfer(
                tile.StoreOp,
                out.acc,
                offset=0,
                tensor=self.tensors["output"],
                dram_offset=base,
                y_size=out.tob,
                x_size=out.toh * out.tow,
                x_stride=g.oh * g.ow,
            )
            return
        for ob in range(out.tob):
            self.sink.transfer(
                tile.StoreOp,
                out.acc,
                offset=ob * out.toh * out.tow,
                tensor=self.tensors["output"],
                dram_offset=base + ob * g.oh * g.ow,
                y_size=out.toh,
                x_size=out.tow,
                x_stride=g.ow,
            )

    def broadcast_per_block(
        self, out: OutputTile, tensor: str, slot: int, region: int, op: AluOp
    ) -> None:
        """Load one accumulator element per output-channel block (biases, multiplier pieces) of
        `tensor` into acc[slot:slot + tob], then apply `op` with each block's element to that
        block of the tile at `region`: one LOAD and one ALU instruction, whatever the number of
        blocks."""
        plane = out.toh * out.tow
        self.sink.op(
            tile.LoadOp,
            [out.acc],
            offset=slot,
            tensor=self.tensors[tensor],
            dram_offset=out.ob0,
            y_size=1,
            x_size=out.tob,
            x_stride=out.tob,
        )
        self.sink.op(
            tile.AluOp,
            [out.acc],
            op=int(op),
            **_loop(**self.out_loops(out)),
            uops=[v for ob in range(out.tob) for v in (region + ob * plane, slot + ob)],
        )
