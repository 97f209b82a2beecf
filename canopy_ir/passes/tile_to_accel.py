"""`tile-to-accel`: place tensors and buffers, and emit the instruction stream.

Takes: a tile module (after `graph-to-tile`).
Produces: an accel module: `accel.region`s for every DRAM tensor (byte offsets in one arena that
the host relocates at load time; each aligned to the largest element size so `dram_base` counts
whole elements), one `accel.uop_table`, and an `accel.program` without dependency tokens (its
meaning is sequential execution until `insert-deps` adds them), then the `host` ops unchanged.
The program is cut into segments, each ending in FINISH, where host ops run between kernels; each
`host.op` records how many segments run before it.

On-chip buffers are bump-allocated per kernel from address 0 of each memory. Micro-op lists are
de-duplicated into the table and kept resident in the micro-op buffer (an LRU-free bump cache that
is reset when full), so each distinct kernel is loaded once per residency.

Instructions are built as rows of a `Stream` (one int64 column per ISA field). A `tile.repeat`
is expanded with numpy: its template's rows for each buffer set, repeated, plus the DRAM offset
table. Only the micro-op cache is followed repetition by repetition, and only until a whole cycle
of buffer sets finds every micro-op list resident: from then on the cache no longer changes, so
no repetition loads micro-ops and the rest is one array operation.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from xdsl.context import Context
from xdsl.dialects.builtin import IntegerAttr, ModuleOp, StringAttr, i64
from xdsl.ir import SSAValue
from xdsl.passes import ModulePass

from canopy_ir.dialects import accel, host, tile
from canopy_ir.dialects.kvformat import KeyValueFormat, int_values
from canopy_ir.errors import LoweringError
from canopy_ir.hw import isa
from canopy_ir.hw.config import HwConfig
from canopy_ir.hw.isa import MemId, Opcode
from canopy_ir.hw.program import arena_alignment
from canopy_ir.hw.stream import COL, WIDTH, Stream
from canopy_ir.ir import module_config

MEM_OF_SPACE = {"inp": MemId.INP, "wgt": MemId.WGT, "acc": MemId.ACC}
MEM_FIELDS = ("y_size", "x_size", "x_stride", "y_pad_0", "y_pad_1", "x_pad_0", "x_pad_1")
LOOP_FIELDS = [name for name, _ in tile.LOOP_FIELDS]
BGN, END, DRAM = COL["uop_bgn"], COL["uop_end"], COL["dram_base"]


def _int(op, name: str) -> int:
    return op.properties[name].value.data


def _row(opcode: Opcode, **fields: int) -> list[int]:
    row = [0] * WIDTH
    row[0] = int(opcode)
    for name, value in fields.items():
        row[COL[name]] = value
    return row


class _Emitter:
    def __init__(self, module: ModuleOp, cfg: HwConfig):
        self.cfg = cfg
        self.module = module
        self.rows: list[list[int]] = []  # rows not yet in a block
        self.row_layers: list[int] = []  # their layer (index into self.names, -1: none)
        self.blocks: list[np.ndarray] = []  # finished rows, in order
        self.block_layers: list[np.ndarray] = []
        self.count = 0  # instructions so far
        self.names: list[str] = []
        self.table: list[np.ndarray] = []  # distinct micro-op lists, in table order
        self.table_len = 0
        self.table_index: dict[bytes, int] = {}
        self.resident: dict[bytes, int] = {}  # uop list -> position in the uop buffer
        self.uop_top = 0
        self.region_offset: dict[str, int] = {}
        self.elem_bytes = {space: cfg.elem_bytes(space) for space in ("inp", "wgt", "acc", "out")}
        self.segments = 0  # instruction segments closed by a FINISH so far
        self.open_segment = False  # instructions since the last FINISH

    # ---- the stream -------------------------------------------------------------------------
    def append(self, row: list[int], layer: int) -> None:
        self.rows.append(row)
        self.row_layers.append(layer)
        self.count += 1

    def append_block(self, block: np.ndarray, layer: int) -> None:
        self.flush()
        self.blocks.append(block)
        self.block_layers.append(np.full(len(block), layer, np.int64))
        self.count += len(block)

    def flush(self) -> None:
        if self.rows:
            self.blocks.append(np.array(self.rows, np.int64).reshape(-1, WIDTH))
            self.block_layers.append(np.array(self.row_layers, np.int64))
            self.rows, self.row_layers = [], []

    def stream(self) -> tuple[Stream, np.ndarray]:
        self.flush()
        if not self.blocks:
            return Stream.empty(), np.zeros(0, np.int64)
        return Stream(np.concatenate(self.blocks)), np.concatenate(self.block_layers)

    def end_segment(self, force: bool = False) -> None:
        """Close the instructions since the last FINISH (a host op runs between segments); the
        micro-op cache starts empty in the next segment."""
        if not (self.open_segment or force):
            return
        self.append(_row(Opcode.FINISH), -1)
        self.segments += 1
        self.open_segment = False
        self.resident.clear()
        self.uop_top = 0

    # ---- DRAM -------------------------------------------------------------------------------
    def layout(self) -> list[accel.RegionOp]:
        """Weights first (they form weights.bin), then inputs, outputs and scratch."""
        align = arena_alignment(self.cfg)
        decls = [op for op in self.module.ops if isinstance(op, tile.TensorOp)]
        order = {"weight": 0, "input": 1, "output": 2, "scratch": 3}
        regions, offset = [], 0
        for decl in sorted(decls, key=lambda d: order[d.role.data]):
            nbytes = (
                int(np.prod(decl.type.get_shape())) * decl.type.get_element_type().width.data // 8
            )
            region = accel.RegionOp.create(
                properties={
                    "sym_name": decl.sym_name,
                    "offset": IntegerAttr(offset, i64),
                    "nbytes": IntegerAttr(nbytes, i64),
                    "role": decl.role,
                }
            )
            region.attributes.update(decl.attributes)
            region.attributes["type"] = decl.type
            regions.append(region)
            self.region_offset[decl.sym_name.data] = offset
            offset += -(-nbytes // align) * align
        self.arena_top = offset
        return regions

    def dram_base(self, op, space: str, where: str) -> int:
        tensor = op.properties["tensor"].data
        if tensor not in self.region_offset:
            raise LoweringError(f"unknown tensor '{tensor}'", where)
        return self.region_offset[tensor] // self.elem_bytes[space] + _int(op, "dram_offset")

    # ---- kernels ----------------------------------------------------------------------------
    def kernel(self, kernel: tile.KernelOp) -> None:
        where = f"layer '{kernel.layer.data}'"
        name = kernel.layer.data
        layer = self.names.index(name) if name in self.names else len(self.names)
        self.names += [name] if layer == len(self.names) else []
        first = self.count
        base: dict[SSAValue, int] = {}
        top = {"inp": 0, "wgt": 0, "acc": 0}
        done: list = []  # the instruction-making ops so far (templates of tile.repeat)
        for op in kernel.body.block.ops:
            if isinstance(op, tile.AllocOp):
                space, size = op.buf.type.space.data, op.buf.type.size.data
                if top[space] + size > self.cfg.depth(space):
                    raise LoweringError(
                        f"{space} buffers need {top[space] + size} elements; the "
                        f"hardware can address {self.cfg.depth(space)}",
                        where,
                    )
                base[op.buf], top[space] = top[space], top[space] + size
            elif isinstance(op, tile.RepeatOp):
                self.repeat(op, done[len(done) - op.kv("ops") :], base, layer, where)
            else:
                row, uops = self.instruction(op, base.__getitem__, where)
                if uops is not None:
                    row[BGN], row[END], _ = self.place_uops(uops, layer, where)
                self.append(row, layer)
                done.append(op)
        self.open_segment = self.open_segment or self.count > first

    def instruction(
        self, op, base: Callable[[SSAValue], int], where: str
    ) -> tuple[list[int], np.ndarray | None]:
        """The row of a tile op with its buffers at `base`, and the micro-ops it runs (GEMM,
        ALU: uop_bgn/uop_end are filled in where they are placed)."""
        # operands by position: IRDL's named accessors cost more than the rest of the row
        bufs = op.operands
        if isinstance(op, tile.LoadOp):
            space = bufs[0].type.space.data
            fields = {name: _int(op, name) for name in MEM_FIELDS}
            return _row(
                Opcode.LOAD,
                memory_type=MEM_OF_SPACE[space],
                sram_base=base(bufs[0]) + _int(op, "offset"),
                dram_base=self.dram_base(op, space, where),
                **fields,
            ), None
        if isinstance(op, tile.StoreOp):
            return _row(
                Opcode.STORE,
                memory_type=MemId.OUT,
                sram_base=base(bufs[0]) + _int(op, "offset"),
                dram_base=self.dram_base(op, "out", where),
                **{name: _int(op, name) for name in MEM_FIELDS[:3]},
            ), None
        loops = {name: _int(op, name) for name in LOOP_FIELDS}
        if isinstance(op, tile.GemmOp):
            raw = int_values(op.properties["uops"]).reshape(-1, 3)
            uops = raw + np.array([base(bufs[0]), base(bufs[1]), base(bufs[2])], np.int64)
            row = _row(
                Opcode.GEMM,
                reset_reg=_int(op, "reset"),
                wgt_factor_out=_int(op, "wgt_factor_out"),
                wgt_factor_in=_int(op, "wgt_factor_in"),
                **loops,
            )
            return row, uops
        assert isinstance(op, tile.AluOp), op.name
        raw = int_values(op.properties["uops"]).reshape(-1, 2)
        uops = np.zeros((len(raw), 3), np.int64)
        uops[:, :2] = raw + base(bufs[0])
        row = _row(
            Opcode.ALU,
            alu_opcode=_int(op, "op"),
            use_imm=_int(op, "use_imm"),
            imm=_int(op, "imm"),
            **loops,
        )
        return row, uops

    def repeat(self, op: tile.RepeatOp, template: list, base: dict, layer: int, where) -> None:
        """Repetitions 1 .. count of `template` (see `tile.RepeatOp`)."""
        count, vary, deltas = op.kv("count"), list(op.kv("vary")), op.delta_table()
        sets = op.buffer_sets() or [[]]
        made = []  # per rotation of the buffer sets: the rows and micro-ops of the template
        for g in range(len(sets)):
            swap = op.rotation(g)
            made.append(
                [self.instruction(t, lambda b, s=swap: base[s.get(b, b)], where) for t in template]
            )
        # Repetitions one by one until a cycle of buffer sets finds every micro-op list resident.
        r, clean = 1, 0
        while r <= count and clean < len(sets):
            clean += 1
            moved = dict(zip(vary, deltas[r - 1].tolist(), strict=True))
            for k, (row, uops) in enumerate(made[r % len(sets)]):
                row = list(row)
                if uops is not None:
                    row[BGN], row[END], missed = self.place_uops(uops, layer, where)
                    clean = 0 if missed else clean
                row[DRAM] += moved.get(k, 0)
                self.append(row, layer)
            r += 1
        if r > count:
            return
        # The rest: the cache does not change any more, so every repetition is its rows.
        steady = np.zeros((len(sets), len(template), WIDTH), np.int64)
        for g, rows in enumerate(made):
            for k, (row, uops) in enumerate(rows):
                steady[g, k] = row
                if uops is not None:
                    pos = self.resident[uops.tobytes()]
                    steady[g, k, BGN], steady[g, k, END] = pos, pos + len(uops)
        reps = np.arange(r, count + 1)
        block = steady[reps % len(sets)]
        if vary:
            block[:, vary, DRAM] += deltas[r - 1 :]
        self.append_block(block.reshape(-1, WIDTH), layer)

    def place_uops(self, uops: np.ndarray, layer: int, where: str) -> tuple[int, int, bool]:
        """(uop_bgn, uop_end) of a micro-op list in the buffer, and whether it had to be loaded
        (a LOAD UOP is emitted then)."""
        key = uops.tobytes()
        if key in self.resident:
            pos = self.resident[key]
            return pos, pos + len(uops), False
        depth = self.cfg.depth("uop")
        if len(uops) > depth:
            raise LoweringError(
                f"{len(uops)} micro-ops exceed the {depth}-entry micro-op buffer", where
            )
        if self.uop_top + len(uops) > depth:
            self.resident.clear()
            self.uop_top = 0
        if key not in self.table_index:
            self.table_index[key] = self.table_len
            self.table.append(uops)
            self.table_len += len(uops)
        pos = self.uop_top
        self.append(
            _row(
                Opcode.LOAD,
                memory_type=MemId.UOP,
                sram_base=pos,
                dram_base=self.table_index[key],
                y_size=1,
                x_size=len(uops),
                x_stride=len(uops),
            ),
            layer,
        )
        self.resident[key] = pos
        self.uop_top += len(uops)
        return pos, pos + len(uops), True


@dataclass(frozen=True)
class TileToAccelPass(ModulePass):
    """Place tensors and buffers and emit the instruction stream (`accel.program`)."""

    name = "tile-to-accel"

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        cfg = module_config(op)
        emitter = _Emitter(op, cfg)
        regions = emitter.layout()
        host_ops = []
        for child in op.ops:
            if isinstance(child, tile.KernelOp):
                emitter.kernel(child)
            elif isinstance(child, host.HostOp):
                emitter.end_segment()
                child.segment = IntegerAttr(emitter.segments, i64)
                host_ops.append(child)
            elif isinstance(child, host.TensorOp):
                host_ops.append(child)
        if emitter.segments == 0 or emitter.open_segment:
            emitter.end_segment(force=True)
        stream, layer_of = emitter.stream()
        # The uop table sits after every region; LOAD UOP addresses count 4-byte micro-ops.
        table_offset = emitter.arena_top
        cols = stream.cols
        uop_loads = (cols[:, 0] == Opcode.LOAD) & (cols[:, COL["memory_type"]] == MemId.UOP)
        cols[uop_loads, DRAM] += table_offset // isa.UOP_BYTES
        table = accel.UopTableOp.create(
            properties=KeyValueFormat.kv_properties(
                accel.UopTableOp.KV_FIELDS,
                {
                    "offset": table_offset,
                    "uops": np.concatenate(emitter.table).reshape(-1)
                    if emitter.table
                    else np.zeros(0, np.int64),
                },
            )
        )
        program = accel.ProgramOp(stream, (emitter.names, layer_of))
        for child in host_ops:
            child.detach()
        for child in list(op.ops):
            child.detach()
            child.erase()
        op.body.block.add_ops([*regions, table, program, *host_ops])
        op.attributes["canopy.stage"] = StringAttr("accel")
        for child in op.ops:
            child.verify()
