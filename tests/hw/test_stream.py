"""The columnar stream (`canopy_ir.hw.stream`, `access`, the stream verifier's checks and
`schedule.runs_to_completion`) against the record-by-record code it replaces on the compile
path: same words, same accesses, same verdicts and error messages, on random dense streams."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from streams import TABLE_OFFSET, TINY, UOPS, instructions, reference_insert_deps, streams

from canopy_ir.errors import CanopyError, DeadlockError, IsaError
from canopy_ir.hw import isa
from canopy_ir.hw.access import accesses
from canopy_ir.hw.isa import Opcode
from canopy_ir.hw.schedule import (
    EVERYTHING,
    PIPELINE_ORDER,
    Footprints,
    runs_to_completion,
    schedule,
)
from canopy_ir.hw.stream import Stream
from canopy_ir.hw.verify import verify_records, verify_stream

MANY = settings(max_examples=max(300, settings.default.max_examples))


@MANY
@given(streams(flags=True))
def test_words_are_those_of_the_record_encoder(insns):
    stream = Stream.from_records(insns)
    data = b"".join(isa.encode_insn(insn, TINY, k) for k, insn in enumerate(insns))
    assert stream.encode(TINY) == data == isa.encode_insns(stream, TINY)
    decoded = Stream.decode(data, TINY)
    assert np.array_equal(decoded.cols, stream.cols)
    assert [i.field_values() for i in decoded] == [i.field_values() for i in insns]


@given(streams(), st.data())
def test_a_field_that_does_not_fit_is_the_record_encoders_error(insns, data):
    k = data.draw(st.integers(0, len(insns) - 2))
    name = data.draw(st.sampled_from(sorted(insns[k].field_values())))
    setattr(insns[k], name, 1 << 40)
    with pytest.raises(IsaError) as want:
        b"".join(isa.encode_insn(insn, TINY, j) for j, insn in enumerate(insns))
    with pytest.raises(IsaError) as got:
        Stream.from_records(insns).encode(TINY)
    assert str(got.value) == str(want.value)


def _footprints(stream: Stream, k: int, acc) -> tuple[list, list]:
    """Instruction k's (reads, writes) from the columns, as schedule.Footprints lists them."""
    op = int(stream.cols[k, 0])

    def rng(r, space):
        return (space, int(r.lo[k]), int(r.hi[k]))

    if op == Opcode.FINISH:
        return [EVERYTHING], []
    if op in (Opcode.LOAD, Opcode.STORE):
        dram_r = [rng(acc.dram_read, "dram")] if acc.dram_read.mask[k] else []
        if op == Opcode.STORE:
            reads = [rng(acc.acc_read, "acc")] if acc.acc_read.mask[k] else []
            return reads, [rng(acc.dram_write, "dram")] if acc.dram_write.mask[k] else []
        if not acc.sram_write.mask[k]:
            return [], []
        space = ("uop", "inp", "wgt", "acc")[acc.write_space[k]]
        return dram_r, [rng(acc.sram_write, space)]
    uop, dst = rng(acc.uop_read, "uop"), rng(acc.sram_write, "acc")
    if op == Opcode.GEMM:
        if not acc.inp_read.mask[k]:
            return [uop], [dst]
        return [uop, rng(acc.inp_read, "inp"), rng(acc.wgt_read, "wgt")], [dst]
    src = [rng(acc.src_read, "acc")] if acc.src_read.mask[k] else []
    return [uop, rng(acc.dst_read, "acc"), *src], [dst]


@MANY
@given(streams())
def test_accesses_are_the_footprints(insns):
    stream = Stream.from_records(insns)
    acc = accesses(stream, TINY, UOPS, TABLE_OFFSET)
    foot = Footprints(TINY, UOPS, TABLE_OFFSET)
    for k, insn in enumerate(insns):
        assert _footprints(stream, k, acc) == foot.of(insn), (k, insn)


def _outcome(check) -> str | None:
    try:
        check()
    except CanopyError as exc:
        return f"{type(exc).__name__}: {exc}"
    return None


@MANY
@given(streams(flags=True), st.integers(1, 3), st.sampled_from([None, 64, 200, 10_000]))
def test_verifier_verdicts_are_the_walks(insns, depth, arena):
    """Random flags (mostly deadlocks or stray tokens) and random bounds."""
    kw = dict(arena_bytes=arena, uop_offset=TABLE_OFFSET, queue_depth=depth)
    want = _outcome(lambda: verify_records(insns, UOPS, TINY, **kw))
    assert _outcome(lambda: verify_stream(insns, UOPS, TINY, **kw)) == want


@MANY
@given(streams(), st.integers(1, 3), st.data())
def test_verifier_accepts_what_insert_deps_makes_and_names_a_broken_token(insns, depth, data):
    insns, _ = reference_insert_deps(insns, TINY, UOPS, TABLE_OFFSET)
    kw = dict(uop_offset=TABLE_OFFSET, queue_depth=depth)
    want = _outcome(lambda: verify_records(insns, UOPS, TINY, **kw))
    assert _outcome(lambda: verify_stream(insns, UOPS, TINY, **kw)) == want
    k = data.draw(st.integers(0, len(insns) - 1))
    flag = data.draw(st.sampled_from(isa.DEP_FLAGS))
    setattr(insns[k], flag, 1 - getattr(insns[k], flag))
    want = _outcome(lambda: verify_records(insns, UOPS, TINY, **kw))
    assert _outcome(lambda: verify_stream(insns, UOPS, TINY, **kw)) == want


@MANY
@given(st.lists(instructions(flags=True), max_size=40), st.integers(0, 4))
def test_deadlock_test_agrees_with_running_the_modules(insns, depth):
    stream = Stream.from_records([*insns, isa.FinishInsn()])
    modules = stream.modules()
    flags = stream.cols[:, 1:5]
    legal = not (flags[modules == 0][:, [0, 2]].any() or flags[modules == 2][:, [1, 3]].any())
    if not legal:
        return  # flags naming missing queues: token_queues refuses them first
    try:
        schedule(stream.records(), PIPELINE_ORDER, depth, lambda insn, index: None)
        runs = True
    except DeadlockError:
        runs = False
    assert runs_to_completion(modules, flags, depth) == runs
