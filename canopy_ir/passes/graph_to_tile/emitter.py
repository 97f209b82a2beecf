"""The tile program of one quantized convolution: `KernelEmitter` walks its output tiles and emits,
per tile, the accumulator initialisation (biases), the loads and GEMMs of each reduction chunk,
the requantization's ALU steps (`canopy_ir.quant.Requant.steps`) and the store."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from xdsl.builder import ImplicitBuilder
from xdsl.dialects.builtin import DictionaryAttr, IntegerAttr, i64
from xdsl.ir import SSAValue

from canopy_ir.dialects import tile
from canopy_ir.dialects.kvformat import KeyValueFormat
from canopy_ir.hw.isa import AluOp
from canopy_ir.passes.graph_to_tile.tiling import ConvGeometry, Tiling, accumulator_elements
from canopy_ir.quant import Requant

BIAS_LOADS_MAX = 2  # up to this many output-channel blocks, load biases per block


def _kv(op_cls, operands, **values):
    return op_cls.create(
        operands=operands, properties=KeyValueFormat.kv_properties(op_cls.KV_FIELDS, values)
    )


def _loop(**kw) -> dict:
    base = dict(
        iter_out=1, iter_in=1, dst_factor_out=0, dst_factor_in=0, src_factor_out=0, src_factor_in=0
    )
    base.update(kw)
    return base


@dataclass(frozen=True)
class OutputTile:
    """One output tile: batch block `nb`, output-channel blocks ob0 .. ob0 + tob - 1, output rows
    oh0 .. oh0 + toh - 1 at full width, and the buffers it uses."""

    nb: int
    ob0: int
    tob: int
    oh0: int
    toh: int
    acc: SSAValue
    inp: SSAValue
    wgt: SSAValue


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
        kernel = tile.KernelOp(self.layer)
        kernel.attributes["tiling"] = DictionaryAttr(
            {
                "tob": IntegerAttr(t.tob, i64),
                "toh": IntegerAttr(t.toh, i64),
                "tib": IntegerAttr(t.tib, i64),
                "dram_bytes": IntegerAttr(t.dram_bytes, i64),
                "buffers": IntegerAttr(t.buffers, i64),
            }
        )
        with ImplicitBuilder(kernel.body):
            buffers = [
                (
                    tile.AllocOp("acc", accumulator_elements(g, t.tob, t.toh, self.requant)).buf,
                    tile.AllocOp("inp", t.tib * g.rows_in(t.toh) * g.wp).buf,
                    tile.AllocOp("wgt", t.tob * t.tib * g.taps).buf,
                )
                for _ in range(t.buffers)
            ]
            for out in self.output_tiles(buffers):
                self.initialise(out)
                self.reduce(out)
                self.requantize(out)
                self.store(out)
        return kernel

    def output_tiles(self, buffers: list[tuple[SSAValue, ...]]) -> Iterator[OutputTile]:
        """The output tiles in order, alternating between the copies of the buffers (so that
        the next tile's loads overlap this tile's compute)."""
        g, t = self.g, self.tiling
        k = 0
        for nb in range(g.nb):
            for ob0 in range(0, g.cob, t.tob):
                for oh0 in range(0, g.oh, t.toh):
                    acc, inp, wgt = buffers[k % len(buffers)]
                    k += 1
                    tob, toh = min(t.tob, g.cob - ob0), min(t.toh, g.oh - oh0)
                    yield OutputTile(nb, ob0, tob, oh0, toh, acc, inp, wgt)

    # --- loop nests over a tile ----------------------------------------------------------------
    def out_loops(self, out: OutputTile) -> dict:
        """Over one output-channel block of the tile: rows, then columns."""
        g = self.g
        return dict(iter_out=out.toh, iter_in=g.ow, dst_factor_out=g.ow, dst_factor_in=1)

    def everything(self, out: OutputTile) -> dict:
        """Over the whole tile, every output-channel block's rows, then columns."""
        return _loop(
            iter_out=out.tob * out.toh, iter_in=self.g.ow, dst_factor_out=self.g.ow, dst_factor_in=1
        )

    # --- the steps of a tile -------------------------------------------------------------------
    def initialise(self, out: OutputTile) -> None:
        """The accumulators start at the biases (or zero)."""
        plane = out.toh * self.g.ow  # accumulator elements per output-channel block
        if self.has_bias and out.tob <= BIAS_LOADS_MAX:
            for ob in range(out.tob):  # each block's bias repeated over the tile by a stride-0 load
                _kv(
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
        _kv(
            tile.GemmOp,
            [out.acc, out.inp, out.wgt],
            reset=1,
            **_loop(**self.out_loops(out)),
            uops=[v for ob in range(out.tob) for v in (ob * plane, 0, 0)],
        )
        if self.has_bias:  # biases once, beside the tile, then one broadcasting add
            self.broadcast_per_block(out, "bias", out.tob * plane, 0, AluOp.ADD)

    def reduce(self, out: OutputTile) -> None:
        """Per reduction chunk: load its input-channel blocks (padded) and weights, then one GEMM
        over the tile."""
        g, taps = self.g, self.g.taps
        plane = out.toh * g.ow
        ih_start = out.oh0 * g.sh - g.pt
        rows_in = g.rows_in(out.toh)
        ih_end = ih_start + rows_in
        y0, y1 = max(0, ih_start), min(g.h, ih_end)
        y_pad_0, y_pad_1 = y0 - ih_start, ih_end - max(y1, y0)
        for ib0 in range(0, g.cib, self.tiling.tib):
            tib = min(self.tiling.tib, g.cib - ib0)
            for ib in range(tib):
                _kv(
                    tile.LoadOp,
                    [out.inp],
                    offset=ib * rows_in * g.wp,
                    tensor=self.tensors["input"],
                    dram_offset=((out.nb * g.cib + ib0 + ib) * g.h + y0) * g.w,
                    y_size=max(0, y1 - y0),
                    x_size=g.w,
                    x_stride=g.w,
                    y_pad_0=y_pad_0,
                    y_pad_1=y_pad_1,
                    x_pad_0=g.pl,
                    x_pad_1=g.x_pad_1,
                )
            _kv(
                tile.LoadOp,
                [out.wgt],
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
                                ib * rows_in * g.wp + kh * g.dh * g.wp + kw * g.dw,
                                ((ob * tib + ib) * g.kh + kh) * g.kw + kw,
                            ]
            _kv(
                tile.GemmOp,
                [out.acc, out.inp, out.wgt],
                **_loop(**self.out_loops(out), src_factor_out=g.sh * g.wp, src_factor_in=g.sw),
                uops=uops,
            )

    def requantize(self, out: OutputTile) -> None:
        """The requantization's ALU steps over the tile; regions 1 and 2 are scratch copies after
        it, then a slot per block for the bias and for each multiplier piece."""
        tile_elems = out.tob * out.toh * self.g.ow
        everything = self.everything(out)
        slots = tile_elems * (1 + self.requant.scratch_tiles) + out.tob
        for step in self.requant.steps():
            op, dst = AluOp[step.op], step.dst * tile_elems
            if step.piece is not None:  # piece j of each block's multipliers, broadcast
                self.broadcast_per_block(
                    out, f"multipliers{step.piece}", slots + step.piece * out.tob, dst, op
                )
            elif step.imm is not None:
                _kv(
                    tile.AluOp,
                    [out.acc],
                    op=int(op),
                    use_imm=1,
                    imm=step.imm,
                    **everything,
                    uops=[dst, 0],
                )
            else:
                _kv(
                    tile.AluOp,
                    [out.acc],
                    op=int(op),
                    **{**everything, "src_factor_out": self.g.ow, "src_factor_in": 1},
                    uops=[dst, step.src * tile_elems],
                )

    def store(self, out: OutputTile) -> None:
        """One 2-D store: row y is output-channel block ob0 + y, its plane strided by OH × OW."""
        g = self.g
        _kv(
            tile.StoreOp,
            [out.acc],
            offset=0,
            tensor=self.tensors["output"],
            dram_offset=((out.nb * g.cob + out.ob0) * g.oh + out.oh0) * g.ow,
            y_size=out.tob,
            x_size=out.toh * g.ow,
            x_stride=g.oh * g.ow,
        )

    def broadcast_per_block(
        self, out: OutputTile, tensor: str, slot: int, region: int, op: AluOp
    ) -> None:
        """Load one accumulator element per output-channel block (biases, multiplier pieces) of
        `tensor` into acc[slot:slot + tob], then apply `op` with each block's element to that
        block of the tile at `region`: one LOAD and one ALU instruction, whatever the number of
        blocks."""
        plane = out.toh * self.g.ow
        _kv(
            tile.LoadOp,
            [out.acc],
            offset=slot,
            tensor=self.tensors[tensor],
            dram_offset=out.ob0,
            y_size=1,
            x_size=out.tob,
            x_stride=out.tob,
        )
        _kv(
            tile.AluOp,
            [out.acc],
            op=int(op),
            **_loop(**self.out_loops(out)),
            uops=[v for ob in range(out.tob) for v in (region + ob * plane, slot + ob)],
        )
