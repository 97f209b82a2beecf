"""The tile program of one quantized convolution: `KernelEmitter` walks its output tiles (rows and
columns of each chunk of output channels) and emits, per tile, the accumulator initialisation
(biases), the loads and GEMMs of each reduction chunk, the requantization's ALU steps
(`canopy_ir.quant.Requant.steps`) and the stores.

Where the tiling keeps a chunk's weights resident (`Tiling.resident`), the weights (and the
per-block biases and multiplier pieces) are loaded once at the chunk's first tile, into copy
c mod `resident` of the weight buffer, and every tile of the chunk only loads its inputs.
Otherwise each reduction chunk loads its inputs and weights. Tiles alternate between `buffers`
copies of the accumulators, and reduction chunks between `buffers` copies of the inputs (and
streamed weights), so that the next loads overlap this tile's GEMMs and requantization and the
store of a tile overlaps the next tile.

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
from canopy_ir.passes.graph_to_tile.runs import Buffers, OutputTile, Template, Tile, batch, runs
from canopy_ir.passes.graph_to_tile.tiling import ConvGeometry, Tiling, accumulator_elements
from canopy_ir.quant import Requant


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
        # per-block slots beside each copy of the tile: the bias, then each multiplier piece
        self.bias_slots = has_bias and not tiling.bias_loads
        # the biases are added after the multiply, with the rounding (`Requant.folded_bias`)
        self.folded_bias = tiling.folded_bias
        self.red = tiling.reduction_steps(g)

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
        if t.resident:
            sizes["resident"] = IntegerAttr(t.resident, i64)
        kernel.attributes["tiling"] = DictionaryAttr(sizes)
        with ImplicitBuilder(kernel.body):
            acc_size = accumulator_elements(g, t.tob, t.toh, self.requant, tow)
            weights = t.tob * (g.cib if t.resident else t.tib) * g.taps
            self.accs = [tile.AllocOp("acc", acc_size).buf for _ in range(t.buffers)]
            self.inps = [
                tile.AllocOp("inp", t.tib * g.rows_in(t.toh) * g.in_width(tow)).buf
                for _ in range(t.buffers)
            ]
            self.wgts = [tile.AllocOp("wgt", weights).buf for _ in range(t.resident or t.buffers)]
            tiles = list(self.output_tiles())
            for run in runs(tiles, len(tiles) // -(-g.cob // t.tob)):
                self.emit_run(run)
        return kernel

    def buffers(self, k: int, chunk: int) -> Buffers:
        """The buffer copies of tile k (of output-channel chunk `chunk`): accumulators by tile,
        inputs (and streamed weights) by reduction step, resident weights by chunk."""
        n, red = self.tiling.buffers, self.red
        steps = [(k * red + j) % n for j in range(red)]
        if self.tiling.resident:
            wgts = [self.wgts[chunk % self.tiling.resident]] * red
        else:
            wgts = [self.wgts[s] for s in steps]
        return Buffers(self.accs[k % n], tuple(self.inps[s] for s in steps), tuple(wgts))

    def emit_run(self, run: list[list[Tile]]) -> None:
        """The ops of the run's first block of tiles, then a `tile.repeat` for the other blocks
        (every block has the same tile shapes, in the same order)."""
        self.sink = Template()
        for j in range(len(run[0])):
            tiles = [block[j] for block in run]
            out = batch(tiles, self.buffers(tiles[0].k, tiles[0].chunk))
            if tiles[0].first:
                self.chunk_start(out)
            self.initialise(out)
            self.reduce(out)
            self.requantize(out)
            self.store(out)
        if len(run) == 1:
            return
        offsets = self.sink.offsets
        vary = sorted(offsets)
        deltas = [offsets[v][1:] - offsets[v][0] for v in vary]
        sets = self.rotating_sets(run)
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

    def rotating_sets(self, run: list[list[Tile]]) -> list[list[SSAValue]]:
        """The buffer sets of a run's `tile.repeat`: each block of the run starts `len(block)`
        tiles, `len(block) × reduction steps` input copies and `chunks` weight copies after the
        previous one, so a kind of buffer whose two copies swap from block to block rotates
        (the copies come in pairs, so every rotating kind swaps with the repetition's parity)."""
        t, size = self.tiling, len(run[0])
        pairs = []
        if t.buffers == 2 and size % 2:
            pairs.append(self.accs)
        if t.buffers == 2 and size * self.red % 2:
            pairs += [self.inps] + ([] if t.resident else [self.wgts])
        chunks = run[1][0].chunk - run[0][0].chunk
        if t.resident == 2 and chunks % 2:
            pairs.append(self.wgts)
        return [[pair[i] for pair in pairs] for i in range(2)] if pairs else []

    def output_tiles(self) -> Iterator[Tile]:
        """The output tiles in order, chunk of output channels by chunk (a chunk's tiles share
        its weights); tile k uses copy k mod `buffers` of the accumulators."""
        g, t = self.g, self.tiling
        width = t.width(g)
        k = 0
        for chunk, ob0 in enumerate(range(0, g.cob, t.tob)):
            first = bool(t.resident)  # only resident weights make a chunk's first tile special
            for nb in range(g.nb):
                for oh0 in range(0, g.oh, t.toh):
                    toh = min(t.toh, g.oh - oh0)
                    ys = window(oh0 * g.sh - g.pt, g.rows_in(toh), g.h)
                    for ow0 in range(0, g.ow, width):
                        tob, tow = min(t.tob, g.cob - ob0), min(width, g.ow - ow0)
                        xs = window(ow0 * g.sw - g.pl, g.in_width(tow), g.w)
                        yield Tile(k, chunk, first, nb, ob0, tob, oh0, toh, ow0, tow, ys, xs)
                        k, first = k + 1, False

    # --- loop nests over a tile ----------------------------------------------------------------
    def out_loops(self, out: OutputTile) -> dict:
        """Over one output-channel block of the tile: rows, then columns."""
        return dict(iter_out=out.toh, iter_in=out.tow, dst_factor_out=out.tow, dst_factor_in=1)

    def everything(self, out: OutputTile) -> dict:
        """Over the whole tile, every output-channel block's rows, then columns."""
        return _loop(
            iter_out=out.tob * out.toh, iter_in=out.tow, dst_factor_out=out.tow, dst_factor_in=1
        )

    def slot(self, out: OutputTile, index: int) -> int:
        """Accumulator offset of the per-block slots `index` (0: biases, 1 + j: multiplier
        piece j) after a whole tile and its scratch copies (the same for the smaller tiles at
        the borders, which share a chunk's slots)."""
        t = self.tiling
        whole = t.tob * t.toh * t.width(self.g) * (1 + self.requant.scratch_tiles)
        return whole + index * t.tob

    # --- the steps of a tile -------------------------------------------------------------------
    def chunk_start(self, out: OutputTile) -> None:
        """The first tile of a chunk with resident weights: the chunk's weights for the whole
        reduction, and its per-block biases and multiplier pieces into every copy's slots."""
        g = self.g
        self.sink.transfer(
            tile.LoadOp,
            out.bufs.wgts[0],
            offset=0,
            tensor=self.tensors["weight"],
            dram_offset=out.ob0 * g.cib * g.taps,
            y_size=out.tob,
            x_size=g.cib * g.taps,
            x_stride=g.cib * g.taps,
        )
        slots = [(0, "bias")] if self.bias_slots else []
        if self.requant.per_channel:
            slots += [(1 + j, f"multipliers{j}") for j in range(self.requant.pieces)]
        for acc in self.accs:
            for index, tensor in slots:
                self.load_slots(out, acc, index, tensor)

    def load_slots(self, out: OutputTile, acc: SSAValue, index: int, tensor: str) -> None:
        """One accumulator element per output-channel block of `tensor` into slots `index`."""
        self.sink.op(
            tile.LoadOp,
            [acc],
            offset=self.slot(out, index),
            tensor=self.tensors[tensor],
            dram_offset=out.ob0,
            y_size=1,
            x_size=out.tob,
            x_stride=out.tob,
        )

    def initialise(self, out: OutputTile) -> None:
        """The accumulators start at the biases (or zero): stride-0 loads of each block's bias
        over the tile, or a reset and one ADD of the per-block bias slots; or, with folded
        biases, at zero (the requantization adds them)."""
        plane = out.toh * out.tow  # accumulator elements per output-channel block
        if self.has_bias and not self.bias_slots:
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
            [out.acc, out.bufs.inps[0], out.bufs.wgts[0]],
            reset=1,
            **_loop(**self.out_loops(out)),
            uops=[v for ob in range(out.tob) for v in (ob * plane, 0, 0)],
        )
        if self.has_bias:
            if not self.tiling.resident:
                self.load_slots(out, out.acc, 0, "bias")
            if not self.folded_bias:
                self.broadcast_per_block(out, self.slot(out, 0), 0, AluOp.ADD)

    def reduce(self, out: OutputTile) -> None:
        """Per reduction chunk: load its input-channel blocks (the tile's input window, padded
        where it crosses the image border) and, unless resident, its weights, then one GEMM over
        the tile."""
        g, taps = self.g, self.g.taps
        plane = out.toh * out.tow
        rows_in, in_w = g.rows_in(out.toh), g.in_width(out.tow)
        ys, xs = out.ys, out.xs
        if xs.data == 0:
            # Every column lies in the padding: the products are all zero. (A LOAD of no
            # columns writes nothing, not even its padding, so it could not zero the window.)
            return
        for step, ib0 in enumerate(range(0, g.cib, self.tiling.tib)):
            tib = min(self.tiling.tib, g.cib - ib0)
            inp, wgt = out.bufs.inps[step], out.bufs.wgts[step]
            for ib in range(tib):
                self.sink.transfer(
                    tile.LoadOp,
                    inp,
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
            if not self.tiling.resident:
                self.sink.transfer(
                    tile.LoadOp,
                    wgt,
                    offset=0,
                    tensor=self.tensors["weight"],
                    dram_offset=(out.ob0 * g.cib + ib0) * taps,
                    y_size=out.tob,
                    x_size=tib * taps,
                    x_stride=g.cib * taps,
                )
            # resident weights hold the whole reduction of each block: ib0 is 0, tib is cib
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
                [out.acc, inp, wgt],
                **_loop(
                    **self.out_loops(out),
                    src_factor_out=loop_factor(g.sh * in_w, out.toh, limit),
                    src_factor_in=loop_factor(g.sw, out.tow, limit),
                ),
                uops=uops,
            )

    def requantize(self, out: OutputTile) -> None:
        """The requantization's ALU steps over the tile; regions 1 and 2 are scratch copies after
        it, then the per-block slots."""
        tile_elems = out.tob * out.toh * out.tow
        everything = self.everything(out)
        for step in self.requant.steps(self.folded_bias):
            op, dst = AluOp[step.op], step.dst * tile_elems
            if step.bias:  # each block's folded bias, loaded into its slot at initialise
                self.broadcast_per_block(out, self.slot(out, 0), dst, op)
            elif step.piece is not None:  # piece j of each block's multipliers, broadcast
                if not self.tiling.resident:
                    self.load_slots(out, out.acc, 1 + step.piece, f"multipliers{step.piece}")
                self.broadcast_per_block(out, self.slot(out, 1 + step.piece), dst, op)
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

    def broadcast_per_block(self, out: OutputTile, slot: int, region: int, op: AluOp) -> None:
        """Apply `op` with each output-channel block's slot element (acc[slot + ob]) to that
        block of the tile at `region`: one ALU instruction, whatever the number of blocks."""
        plane = out.toh * out.tow
        self.sink.op(
            tile.AluOp,
            [out.acc],
            op=int(op),
            **_loop(**self.out_loops(out)),
            uops=[v for ob in range(out.tob) for v in (region + ob * plane, slot + ob)],
        )
