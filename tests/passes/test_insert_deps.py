"""insert-deps on columns gives, instruction for instruction and flag for flag, the stream of the
record-by-record algorithm it replaced (tests/streams.py keeps that one): on random dense streams
(every buffer, DRAM, relays, segments) and on compiled random nets."""

import numpy as np
from hypothesis import given, reject, settings
from hypothesis import strategies as st
from models import build_qdq_model, conv_nets, hw_configs
from stages import integer_graph
from streams import TABLE_OFFSET, TINY, UOPS, reference_insert_deps, streams

from canopy_ir.accel_program import read_program
from canopy_ir.compiler.pipeline import run_passes
from canopy_ir.dialects import accel
from canopy_ir.errors import LoweringError
from canopy_ir.hw.stream import Stream
from canopy_ir.passes.insert_deps import insert_deps

MANY = settings(max_examples=max(300, settings.default.max_examples))


def _columnar(insns, cfg, uops, table_offset, layers):
    names = sorted({n for n in layers if n is not None})
    index = np.array([-1 if n is None else names.index(n) for n in layers], np.int64)
    stream, out_index = insert_deps(Stream.from_records(insns), cfg, uops, table_offset, index)
    return stream.records(), [None if k < 0 else names[k] for k in out_index.tolist()]


@MANY
@given(streams(), st.data())
def test_random_streams_get_the_reference_tokens(insns, data):
    layers = [data.draw(st.sampled_from([None, "a", "b"])) for _ in insns]
    want = reference_insert_deps(insns, TINY, UOPS, TABLE_OFFSET, layers)
    got = _columnar(insns, TINY, UOPS, TABLE_OFFSET, layers)
    assert [i.field_values() for i in got[0]] == [i.field_values() for i in want[0]]
    assert [type(i) for i in got[0]] == [type(i) for i in want[0]]
    assert got[1] == want[1]


@settings(max_examples=max(60, settings.default.max_examples))
@given(conv_nets(), hw_configs(), st.integers(0, 2**16))
def test_compiled_nets_get_the_reference_tokens(net, cfg, seed):
    module = integer_graph(build_qdq_model(*net, seed=seed), cfg)
    try:
        run_passes(module, ["graph-to-tile", "tile-to-accel"])
    except LoweringError:
        reject()
    program = read_program(module)
    want = reference_insert_deps(
        list(program.insns), cfg, program.uops, program.uop_offset, program.layers
    )
    run_passes(module, ["insert-deps"])
    got = read_program(module)
    assert [i.field_values() for i in got.insns] == [i.field_values() for i in want[0]]
    assert got.layers == want[1]
    op = next(o for o in module.ops if isinstance(o, accel.ProgramOp))
    assert len(op.layer_index()) == len(got.insns)


def test_a_segment_that_starts_with_a_loop_sees_the_micro_op_buffer_reset():
    """A FINISH starts a new segment, analysed from a zeroed micro-op buffer: a GEMM right after
    it must not see the micro-ops the previous segment loaded (found by the nightly profile: the
    columnar analysis applied the reset only after that GEMM, and tied it to an empty STORE)."""
    from canopy_ir.hw import isa
    from canopy_ir.hw.isa import MemId

    insns = [
        isa.LoadInsn(memory_type=MemId.UOP, dram_base=1025, y_size=1, x_size=1, x_stride=1),
        isa.FinishInsn(),
        isa.GemmInsn(uop_bgn=0, uop_end=2),
        isa.StoreInsn(sram_base=1, y_size=0, x_size=1),
        isa.FinishInsn(),
    ]
    layers = [None] * len(insns)
    want = reference_insert_deps(insns, TINY, UOPS, TABLE_OFFSET, layers)
    got = _columnar(insns, TINY, UOPS, TABLE_OFFSET, layers)
    assert [i.field_values() for i in got[0]] == [i.field_values() for i in want[0]]
