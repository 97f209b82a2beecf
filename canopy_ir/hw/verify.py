"""Verifier of instruction streams before they reach a card.

Checks, naming the instruction and the reason: every field fits its width; memory types are legal
for the opcode (STORE writes OUT without padding; LOAD never targets OUT); token flags exist for
the instruction's module; every SRAM index is inside its buffer, every DMA inside the model's DRAM
arena, every micro-op load inside the micro-op table; the stream ends with FINISH; and the token
protocol neither deadlocks with queues of `queue_depth` tokens nor leaves tokens behind. (With
blocking queues the three modules form a Kahn network, so whether they deadlock does not depend
on the order the checker advances them in.)
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from canopy_ir.errors import CanopyError, DeadlockError, InternalError, VerificationError
from canopy_ir.hw import isa
from canopy_ir.hw.access import accesses
from canopy_ir.hw.config import HwConfig
from canopy_ir.hw.isa import MemId, Opcode
from canopy_ir.hw.schedule import (
    DEFAULT_QUEUE_DEPTH,
    EVERYTHING,
    PIPELINE_ORDER,
    Footprints,
    runs_to_completion,
    schedule,
    token_queues,
)
from canopy_ir.hw.stream import COL, Stream


def verify_stream(
    insns: Sequence[isa.Insn],
    uops: isa.Uops,
    cfg: HwConfig,
    *,
    arena_bytes: int | None = None,
    uop_offset: int = 0,
    queue_depth: int = DEFAULT_QUEUE_DEPTH,
) -> None:
    """Raise VerificationError naming the first problem (see the module docstring). The checks
    run on columns for the whole stream; only a stream that fails one is walked instruction by
    instruction (`verify_records`), which names the first failing instruction and the reason."""
    stream = Stream.from_records(insns)
    if _looks_right(stream, uops, cfg, arena_bytes, uop_offset, queue_depth):
        return
    verify_records(
        stream.records(),
        uops,
        cfg,
        arena_bytes=arena_bytes,
        uop_offset=uop_offset,
        queue_depth=queue_depth,
    )
    raise InternalError("the stream verifier's checks disagree (a bug in canopy-ir)")


def _looks_right(stream, uops, cfg, arena_bytes, uop_offset, queue_depth) -> bool:
    """Every check of `verify_records`, on the columns of the whole stream."""
    c = stream.cols
    op = c[:, 0]
    if not len(c) or op[-1] != Opcode.FINISH or stream.first_misfit(cfg) is not None:
        return False
    modules = stream.modules()
    flags = c[:, [COL[f] for f in isa.DEP_FLAGS]]
    if (flags[modules == 0][:, [0, 2]].any()) or (flags[modules == 2][:, [1, 3]].any()):
        return False  # a flag naming a queue the module does not have
    mem = c[:, COL["memory_type"]]
    pads = c[:, [COL[f] for f in ("y_pad_0", "y_pad_1", "x_pad_0", "x_pad_1")]].any(1)
    load, store = op == Opcode.LOAD, op == Opcode.STORE
    if ((load | store) & ~np.isin(mem, [int(m) for m in MemId])).any():
        return False
    if (store & ((mem != MemId.OUT) | pads)).any() or (load & (mem == MemId.OUT)).any():
        return False
    uop_load = load & (mem == MemId.UOP) & (c[:, COL["x_size"]] != 0)
    first = c[:, COL["dram_base"]] - uop_offset // isa.UOP_BYTES
    last = first + (c[:, COL["y_size"]] - 1) * c[:, COL["x_stride"]] + c[:, COL["x_size"]]
    if (uop_load & (pads | (first < 0) | (last > len(uops)))).any():
        return False
    limit = 1 << (cfg.ALU_MUL_BITS - 1)
    imm = c[:, COL["imm"]]
    mul = (
        (op == Opcode.ALU)
        & (c[:, COL["alu_opcode"]] == isa.AluOp.MUL)
        & (c[:, COL["use_imm"]] != 0)
    )
    if (mul & ((imm < -limit) | (imm >= limit))).any():
        return False
    loop = (op == Opcode.GEMM) | (op == Opcode.ALU)
    if (loop & (c[:, COL["uop_bgn"]] > c[:, COL["uop_end"]])).any():
        return False
    try:
        acc = accesses(stream, cfg, uops, uop_offset)
    except ValueError:
        return False  # e.g. a micro-op load past the buffer's end: the walk says which
    depth = {s: cfg.depth(s) for s in ("uop", "inp", "wgt", "acc")}
    sram = [
        (acc.uop_read, depth["uop"]),
        (acc.inp_read, depth["inp"]),
        (acc.wgt_read, depth["wgt"]),
        (acc.dst_read, depth["acc"]),
        (acc.src_read, depth["acc"]),
        (acc.acc_read, depth["acc"]),
    ]
    space_depth = np.array([depth[s] for s in ("uop", "inp", "wgt", "acc")])[acc.write_space]
    if (acc.sram_write.mask & (acc.sram_write.hi > space_depth)).any():
        return False
    if any((r.mask & (r.hi > d)).any() for r, d in sram):
        return False
    if arena_bytes is not None:
        dram_read = acc.dram_read.mask & (op != Opcode.FINISH)
        if (dram_read & (acc.dram_read.hi > arena_bytes)).any():
            return False
        if (acc.dram_write.mask & (acc.dram_write.hi > arena_bytes)).any():
            return False
    return runs_to_completion(modules, flags, queue_depth)


def verify_records(
    insns: Sequence[isa.Insn],
    uops: isa.Uops,
    cfg: HwConfig,
    *,
    arena_bytes: int | None = None,
    uop_offset: int = 0,
    queue_depth: int = DEFAULT_QUEUE_DEPTH,
) -> None:
    """The checks instruction by instruction, in order (the reference `verify_stream` agrees
    with; it names the first failing instruction)."""
    if not insns or not isinstance(insns[-1], isa.FinishInsn):
        raise VerificationError(
            "the stream does not end with FINISH: the card would never signal done"
        )
    foot = Footprints(cfg, uops, uop_offset)
    depth = {space: cfg.depth(space) for space in ("inp", "wgt", "acc", "uop")}
    for i, insn in enumerate(insns):
        where = f"instruction {i} ({insn.opcode.name})"
        try:
            isa.check_fields(insn, cfg, i)
            token_queues(insn, i)
        except CanopyError as exc:
            raise VerificationError(str(exc)) from None
        if isinstance(insn, isa.MemInsn):
            _check_memory_instruction(insn, where, uops, uop_offset)
        if isinstance(insn, isa.AluInsn) and insn.alu_opcode == isa.AluOp.MUL and insn.use_imm:
            limit = 1 << (cfg.ALU_MUL_BITS - 1)
            if not -limit <= insn.imm < limit:
                raise VerificationError(
                    f"MUL by {insn.imm} needs more than the ALU's "
                    f"{cfg.ALU_MUL_BITS}-bit multiply operand",
                    where,
                )
        if isinstance(insn, isa.LoopInsn) and insn.uop_bgn > insn.uop_end:
            raise VerificationError(f"uop_bgn {insn.uop_bgn} > uop_end {insn.uop_end}", where)
        reads, writes = foot.of(insn)
        for space, lo, hi in (*reads, *writes):
            if space == "dram":
                if arena_bytes is not None and hi > arena_bytes and (space, lo, hi) != EVERYTHING:
                    raise VerificationError(
                        f"DMA reaches byte {hi} of the {arena_bytes}-byte DRAM arena", where
                    )
            elif hi > depth[space]:
                raise VerificationError(
                    f"{space} index {hi - 1} is outside the {depth[space]}-element {space} buffer",
                    where,
                )
    try:
        schedule(insns, PIPELINE_ORDER, queue_depth, lambda insn, index: None)
    except DeadlockError as exc:
        raise VerificationError(f"{exc} (token queues of depth {queue_depth})") from None


def _check_memory_instruction(
    insn: isa.MemInsn, where: str, uops: isa.Uops, uop_offset: int
) -> None:
    if insn.memory_type not in set(MemId):
        raise VerificationError(f"unknown memory type {insn.memory_type}", where)
    mem = MemId(insn.memory_type)
    pads = insn.y_pad_0 or insn.y_pad_1 or insn.x_pad_0 or insn.x_pad_1
    if isinstance(insn, isa.StoreInsn):
        if mem != MemId.OUT:
            raise VerificationError(f"STORE must write memory OUT, not {mem.name}", where)
        if pads:
            raise VerificationError("STORE cannot pad", where)
        return
    if mem == MemId.OUT:
        raise VerificationError("LOAD cannot target memory OUT", where)
    if mem == MemId.UOP and insn.x_size:
        if pads:
            raise VerificationError("micro-op loads cannot pad", where)
        first = insn.dram_base - uop_offset // isa.UOP_BYTES
        last = first + (insn.y_size - 1) * insn.x_stride + insn.x_size
        if first < 0 or last > len(uops):
            raise VerificationError(
                f"micro-op load reads table entries [{first}, {last}) of {len(uops)}", where
            )
