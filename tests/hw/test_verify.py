"""The stream verifier: compiled streams pass; each kind of illegal change is rejected with its
reason and the instruction's index."""

import pytest
from hypothesis import given
from hypothesis import strategies as st
from small_cnn import build_small_cnn

from canopy_ir.accel_program import read_program
from canopy_ir.compiler.pipeline import run_passes
from canopy_ir.errors import VerificationError
from canopy_ir.frontends.onnx import import_onnx
from canopy_ir.hw import isa
from canopy_ir.hw.isa import MemId
from canopy_ir.hw.verify import verify_stream


@pytest.fixture(scope="module")
def program():
    module = import_onnx(build_small_cnn())
    run_passes(module, ["import-qdq", "graph-to-tile", "tile-to-accel", "insert-deps"])
    return read_program(module)


def _verify(program, insns, **kw):
    verify_stream(
        insns,
        program.uops,
        program.config,
        arena_bytes=program.arena_bytes,
        uop_offset=program.uop_offset,
        **kw,
    )


def test_compiled_stream_passes_even_with_single_token_queues(program):
    _verify(program, program.insns, queue_depth=1)


def _copy(insns):
    return [type(i)(**i.field_values()) for i in insns]


def _first(insns, cls, **match):
    return next(
        k
        for k, i in enumerate(insns)
        if isinstance(i, cls) and all(getattr(i, f) == v for f, v in match.items())
    )


MUTATIONS = {
    "sram out of range": (
        lambda s, k: setattr(s[k], "sram_base", 2047),
        isa.LoadInsn,
        {"memory_type": MemId.INP},
        "outside the 2048-element inp buffer",
    ),
    "dma out of arena": (
        lambda s, k: setattr(s[k], "dram_base", s[k].dram_base + 10**6),
        isa.StoreInsn,
        {},
        "DMA reaches byte",
    ),
    "missing pop": (
        lambda s, k: setattr(s[k], "pop_prev", 0),
        isa.GemmInsn,
        {"pop_prev": 1},
        "unconsumed dependency tokens",
    ),
    "extra pop": (
        lambda s, k: setattr(s[k], "pop_next", 1),
        isa.GemmInsn,
        {"pop_next": 0},
        "deadlock: .*waits for a token on store->compute",
    ),
    "push on a missing queue": (
        lambda s, k: setattr(s[k], "push_prev", 1),
        isa.LoadInsn,
        {"memory_type": MemId.INP},
        "push_prev on a load-module",
    ),
    "load into OUT": (
        lambda s, k: setattr(s[k], "memory_type", MemId.OUT),
        isa.LoadInsn,
        {"memory_type": MemId.WGT},
        "LOAD cannot target memory OUT",
    ),
    "store with padding": (
        lambda s, k: setattr(s[k], "x_pad_0", 1),
        isa.StoreInsn,
        {},
        "STORE cannot pad",
    ),
    "uop range reversed": (
        lambda s, k: setattr(s[k], "uop_bgn", s[k].uop_end + 1),
        isa.GemmInsn,
        {},
        "uop_bgn .* > uop_end",
    ),
    "uop load past the table": (
        lambda s, k: setattr(s[k], "x_size", 10_000),
        isa.LoadInsn,
        {"memory_type": MemId.UOP},
        "micro-op load reads table entries",
    ),
    "field overflow": (
        lambda s, k: setattr(s[k], "iter_in", 1 << 14),
        isa.AluInsn,
        {},
        "iter_in=16384 does not fit 14 bits",
    ),
    "multiply operand wider than the ALU's": (
        lambda s, k: (setattr(s[k], "alu_opcode", isa.AluOp.MUL), setattr(s[k], "imm", 300)),
        isa.AluInsn,
        {"use_imm": 1},
        "MUL by 300 needs more than the ALU's 8-bit multiply operand",
    ),
    "no finish": (lambda s, k: s.pop(), isa.FinishInsn, {}, "does not end with FINISH"),
}


@given(st.sampled_from(sorted(MUTATIONS)))
def test_illegal_streams_are_rejected_with_the_reason(program, kind):
    mutate, cls, match, reason = MUTATIONS[kind]
    insns = _copy(program.insns)
    k = _first(insns, cls, **match)
    mutate(insns, k)
    with pytest.raises(VerificationError, match=reason):
        _verify(program, insns)


def test_queue_depth_bound_is_enforced(program):
    """Load and compute each push three tokens to the other before popping: fine with queues of
    three tokens, a deadlock with queues of two (both block on a full queue)."""
    stream = [isa.LoadInsn(memory_type=MemId.INP, push_next=1) for _ in range(3)]
    stream += [isa.LoadInsn(memory_type=MemId.INP, pop_next=1) for _ in range(3)]
    stream += [isa.GemmInsn(push_prev=1) for _ in range(3)]
    stream += [isa.GemmInsn(pop_prev=1) for _ in range(3)] + [isa.FinishInsn()]
    verify_stream(stream, isa.Uops(), program.config, queue_depth=3)
    with pytest.raises(VerificationError, match="cannot push to full .* depth 2"):
        verify_stream(stream, isa.Uops(), program.config, queue_depth=2)


def test_padding_only_load_touches_no_dram():
    """A LOAD of padding rows only (y_size 0) moves no data, wherever dram_base points: the
    verifier must not count a row at dram_base (found by canopy-fuzz: two 1x1 convs with pad 1
    on a 1x1x3x4 input, LOG_BLOCK 2, buffers 2^10/2^8/2^8/2^9 failed with "DMA reaches byte 448
    of the 436-byte DRAM arena")."""
    import numpy as np

    from canopy_ir.fuzz.models import build_qdq_model, random_input
    from canopy_ir.fuzz.stages import graph_output, integer_graph, run_lowered
    from canopy_ir.hw.config import HwConfig
    from canopy_ir.interpreters.accel import run_accel

    pad_only = isa.LoadInsn(memory_type=MemId.INP, dram_base=10**6, y_size=0, x_size=4, y_pad_0=1)
    lo, hi = isa.dram_span(pad_only, HwConfig())
    assert lo == hi
    cfg = HwConfig(
        LOG_BLOCK_IN=2,
        LOG_BLOCK_OUT=2,
        LOG_UOP_BUFF_SIZE=10,
        LOG_INP_BUFF_SIZE=8,
        LOG_WGT_BUFF_SIZE=8,
        LOG_ACC_BUFF_SIZE=9,
    )
    conv = ("conv", 1, 1, 1, 1, 1, False, False)  # 1x1 kernel, pad 1: border rows are all padding
    net = ((1, 1, 3, 4), [conv, conv])
    module = integer_graph(build_qdq_model(*net), cfg)
    x = random_input(net[0])
    expected = graph_output(integer_graph(build_qdq_model(*net)), x)
    run_passes(module, ["graph-to-tile", "tile-to-accel", "insert-deps", "encode"])
    np.testing.assert_array_equal(run_lowered(module, x, run_accel), expected)
