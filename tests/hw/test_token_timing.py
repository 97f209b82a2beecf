"""When tokens move: an instruction pops its tokens, runs, then pushes them; a push to a full
queue holds up its module (VTA's modules write their dependency tokens into FIFOs once an
instruction is done). The functional scheduler, the verifier's deadlock test and the cycle model
follow the same rule."""

import pytest

from canopy_ir.errors import DeadlockError
from canopy_ir.hw import isa
from canopy_ir.hw.config import HwConfig
from canopy_ir.hw.cycles import cycle_model
from canopy_ir.hw.isa import MemId
from canopy_ir.hw.schedule import PIPELINE_ORDER, runs_to_completion, schedule
from canopy_ir.hw.stream import COL, Stream, modules_of


def load(**flags) -> isa.LoadInsn:  # 8 input elements: 16 beats + 64 cycles of latency
    return isa.LoadInsn(memory_type=MemId.INP, y_size=1, x_size=8, **{"push_next": 1, **flags})


def gemm(**flags) -> isa.GemmInsn:  # 32 micro-op iterations + 4
    return isa.GemmInsn(uop_end=1, iter_out=4, iter_in=8, **{"pop_prev": 1, **flags})


# four tiles alternating between two input copies: the load of tile k + 2 waits for the GEMM
# of tile k, every GEMM for its load
DOUBLE_BUFFERED = [
    load(),
    load(),
    gemm(push_prev=1),
    load(pop_next=1),
    gemm(push_prev=1),
    load(pop_next=1),
    gemm(),
    gemm(),
    isa.FinishInsn(),
]


def test_double_buffering_runs_with_single_token_queues():
    """With room for one token the second GEMM pops the second load's token, runs, and waits to
    push only until the third load has popped the first GEMM's token. (Were a push's room
    checked before its instruction ran, the second GEMM could not start, the full load→compute
    queue would hold the third load, and neither could go on.)"""
    insns = DOUBLE_BUFFERED
    ran: list[int] = []
    schedule(insns, PIPELINE_ORDER, 1, lambda insn, index: ran.append(index))
    assert sorted(ran) == list(range(len(insns)))
    cols = Stream.from_records(insns).cols
    flags = cols[:, [COL[f] for f in isa.DEP_FLAGS]]
    assert runs_to_completion(modules_of(cols), flags, 1)
    report = cycle_model(insns, HwConfig(), queue_depth=1)
    assert report.start == [0, 80, 80, 160, 160, 240, 240, 320, 356]
    assert report.total_cycles == 357


def test_a_queue_too_small_for_the_protocol_still_deadlocks():
    """Load and compute each push three tokens to the other before popping any: with two slots
    the third push of each waits for a pop that comes after it in the other module."""
    insns = [load() for _ in range(3)] + [load(pop_next=1, push_next=0) for _ in range(3)]
    insns += [gemm(pop_prev=0, push_prev=1) for _ in range(3)] + [gemm() for _ in range(3)]
    insns.append(isa.FinishInsn())
    cols = Stream.from_records(insns).cols
    flags = cols[:, [COL[f] for f in isa.DEP_FLAGS]]
    for depth, runs in ((2, False), (3, True)):
        assert runs_to_completion(modules_of(cols), flags, depth) == runs
        if runs:
            schedule(insns, PIPELINE_ORDER, depth, lambda insn, index: None)
            cycle_model(insns, HwConfig(), queue_depth=depth)
            continue
        with pytest.raises(DeadlockError, match="cannot push to full"):
            schedule(insns, PIPELINE_ORDER, depth, lambda insn, index: None)
        with pytest.raises(DeadlockError):
            cycle_model(insns, HwConfig(), queue_depth=depth)
