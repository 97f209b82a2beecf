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

from canopy_ir.errors import CanopyError, DeadlockError, VerificationError
from canopy_ir.hw import isa
from canopy_ir.hw.config import HwConfig
from canopy_ir.hw.isa import MemId
from canopy_ir.hw.schedule import (
    DEFAULT_QUEUE_DEPTH,
    EVERYTHING,
    PIPELINE_ORDER,
    Footprints,
    schedule,
    token_queues,
)


def verify_stream(
    insns: Sequence[isa.Insn],
    uops: isa.Uops,
    cfg: HwConfig,
    *,
    arena_bytes: int | None = None,
    uop_offset: int = 0,
    queue_depth: int = DEFAULT_QUEUE_DEPTH,
) -> None:
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
