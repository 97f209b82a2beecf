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
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from xdsl.context import Context
from xdsl.dialects.builtin import IntegerAttr, ModuleOp, StringAttr, i64
from xdsl.ir import SSAValue
from xdsl.passes import ModulePass

from canopy_ir.dialects import accel, host, tile
from canopy_ir.dialects.kvformat import KeyValueFormat
from canopy_ir.errors import LoweringError
from canopy_ir.hw import isa
from canopy_ir.hw.config import HwConfig
from canopy_ir.hw.isa import MemId
from canopy_ir.hw.program import arena_alignment
from canopy_ir.ir import module_config

MEM_OF_SPACE = {"inp": MemId.INP, "wgt": MemId.WGT, "acc": MemId.ACC}


def _loop_fields(op, *extra: str) -> dict[str, int]:
    """The micro-op loop fields shared by tile.gemm/tile.alu and GEMM/ALU instructions."""
    return {name: op.kv(name) for name, _ in tile.LOOP_FIELDS} | {
        name: op.kv(name) for name in extra
    }


class _Emitter:
    def __init__(self, module: ModuleOp, cfg: HwConfig):
        self.cfg = cfg
        self.module = module
        self.insns: list[isa.Insn] = []
        self.layers: list[str | None] = []  # the layer of each instruction
        self.uop_table: list[tuple[int, int, int]] = []
        self.table_index: dict[tuple, int] = {}
        self.resident: dict[tuple, int] = {}  # uop list -> position in the uop buffer
        self.uop_top = 0
        self.region_offset: dict[str, int] = {}
        self.segments = 0  # instruction segments closed by a FINISH so far
        self.open_segment = False  # instructions since the last FINISH

    def end_segment(self, force: bool = False) -> None:
        """Close the instructions since the last FINISH (a host op runs between segments); the
        micro-op cache starts empty in the next segment."""
        if not (self.open_segment or force):
            return
        self.insns.append(isa.FinishInsn())
        self.layers.append(None)
        self.segments += 1
        self.open_segment = False
        self.resident.clear()
        self.uop_top = 0

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

    def dram_base(self, tensor: str, elem_offset: int, elem_bytes: int, where: str) -> int:
        if tensor not in self.region_offset:
            raise LoweringError(f"unknown tensor '{tensor}'", where)
        return self.region_offset[tensor] // elem_bytes + elem_offset

    def kernel(self, kernel: tile.KernelOp) -> None:
        where = f"layer '{kernel.layer.data}'"
        first = len(self.insns)
        base: dict[SSAValue, int] = {}
        top = {"inp": 0, "wgt": 0, "acc": 0}
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
            elif isinstance(op, tile.LoadOp):
                space = op.buf.type.space.data
                eb = self.cfg.elem_bytes(space)
                self.insns.append(
                    isa.LoadInsn(
                        memory_type=MEM_OF_SPACE[space],
                        sram_base=base[op.buf] + op.kv("offset"),
                        dram_base=self.dram_base(op.kv("tensor"), op.kv("dram_offset"), eb, where),
                        **{
                            k: op.kv(k)
                            for k in (
                                "y_size",
                                "x_size",
                                "x_stride",
                                "y_pad_0",
                                "y_pad_1",
                                "x_pad_0",
                                "x_pad_1",
                            )
                        },
                    )
                )
            elif isinstance(op, tile.StoreOp):
                eb = self.cfg.elem_bytes("out")
                self.insns.append(
                    isa.StoreInsn(
                        memory_type=MemId.OUT,
                        sram_base=base[op.buf] + op.kv("offset"),
                        dram_base=self.dram_base(op.kv("tensor"), op.kv("dram_offset"), eb, where),
                        y_size=op.kv("y_size"),
                        x_size=op.kv("x_size"),
                        x_stride=op.kv("x_stride"),
                    )
                )
            elif isinstance(op, tile.GemmOp):
                raw = np.asarray(op.kv("uops"), np.int64).reshape(-1, 3)
                uops = raw + [base[op.acc], base[op.inp], base[op.wgt]]
                bgn, end = self.place_uops(uops, where)
                self.insns.append(
                    isa.GemmInsn(
                        reset_reg=op.kv("reset"),
                        uop_bgn=bgn,
                        uop_end=end,
                        **_loop_fields(op, "wgt_factor_out", "wgt_factor_in"),
                    )
                )
            elif isinstance(op, tile.AluOp):
                raw = np.asarray(op.kv("uops"), np.int64).reshape(-1, 2)
                uops = np.concatenate(
                    [raw + base[op.acc], np.zeros((len(raw), 1), np.int64)], axis=1
                )
                bgn, end = self.place_uops(uops, where)
                self.insns.append(
                    isa.AluInsn(
                        uop_bgn=bgn,
                        uop_end=end,
                        alu_opcode=op.kv("op"),
                        use_imm=op.kv("use_imm"),
                        imm=op.kv("imm"),
                        **_loop_fields(op),
                    )
                )

        self.layers += [kernel.layer.data] * (len(self.insns) - first)
        self.open_segment = self.open_segment or len(self.insns) > first

    def place_uops(self, uops: np.ndarray, where: str) -> tuple[int, int]:
        key = tuple(map(tuple, uops.tolist()))
        if key in self.resident:
            pos = self.resident[key]
            return pos, pos + len(key)
        depth = self.cfg.depth("uop")
        if len(key) > depth:
            raise LoweringError(
                f"{len(key)} micro-ops exceed the {depth}-entry micro-op buffer", where
            )
        if self.uop_top + len(key) > depth:
            self.resident.clear()
            self.uop_top = 0
        if key not in self.table_index:
            self.table_index[key] = len(self.uop_table)
            self.uop_table.extend(key)
        pos = self.uop_top
        self.insns.append(
            isa.LoadInsn(
                memory_type=MemId.UOP,
                sram_base=pos,
                dram_base=self.table_index[key],
                y_size=1,
                x_size=len(key),
                x_stride=len(key),
            )
        )
        self.resident[key] = pos
        self.uop_top += len(key)
        return pos, pos + len(key)


@dataclass(frozen=True)
class TileToAccelPass(ModulePass):
    """Place tensors and buffers and emit one accel op per VTA instruction."""

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
        # The uop table sits after every region; LOAD UOP addresses count 4-byte micro-ops.
        table_offset = emitter.arena_top
        for insn in emitter.insns:
            if isinstance(insn, isa.LoadInsn) and insn.memory_type == MemId.UOP:
                insn.dram_base += table_offset // isa.UOP_BYTES
        table = accel.UopTableOp.create(
            properties=KeyValueFormat.kv_properties(
                accel.UopTableOp.KV_FIELDS,
                {"offset": table_offset, "uops": [v for t in emitter.uop_table for v in t]},
            )
        )
        program = accel.ProgramOp()
        program.body.block.add_ops(
            accel.InsnOp.from_record(i, layer)
            for i, layer in zip(emitter.insns, emitter.layers, strict=True)
        )
        for child in host_ops:
            child.detach()
        for child in list(op.ops):
            child.detach()
            child.erase()
        op.body.block.add_ops([*regions, table, program, *host_ops])
        op.attributes["canopy.stage"] = StringAttr("accel")
        # The instruction ops come from records; `encode` runs the stream verifier on them (field
        # widths, buffer and DRAM bounds, tokens), so only the declarations are verified here: a
        # structural verify of every instruction op was a quarter of a large compile.
        for child in op.ops:
            if not isinstance(child, accel.ProgramOp):
                child.verify()
