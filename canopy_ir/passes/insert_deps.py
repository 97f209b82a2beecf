"""`insert-deps`: add the dependency tokens that let load, compute and store run concurrently.

Takes: an accel module whose program means sequential execution (no token flags).
Produces: the same instructions with pop/push flags (and, where a load must wait for a store or
the reverse, a no-op compute instruction `LOAD UOP x_size=0` relaying the token), such that every
execution the token queues allow gives the sequential result.

Each instruction's reads and writes (SRAM index ranges per buffer, DRAM byte ranges) are computed
from its fields and the micro-ops resident at that point. A vector clock per instruction records
the latest instruction of each module known to have finished before it starts; an instruction
that conflicts with a later one in another module gets a token pair from the latest instruction
of that module, unless the clock already covers the conflict (transitively, through compute).
Pushes and pops pair up in program order, so every token is consumed: the stream ends balanced.
Each segment (up to and including a FINISH) gets its own tokens: the card runs segments as
separate launches, with host work between them.

How it is computed: which earlier instruction of each other module an instruction conflicts
with last does not depend on the tokens, so it is found for the whole stream at once with numpy
(`canopy_ir.hw.access`: joins over the accesses of each buffer and of DRAM). What remains
sequential is the vector clock, a few integer operations per instruction.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from xdsl.context import Context
from xdsl.dialects.builtin import ModuleOp
from xdsl.passes import ModulePass

from canopy_ir.accel_program import read_program
from canopy_ir.dialects import accel
from canopy_ir.hw import isa
from canopy_ir.hw.access import Access, Ranges, accesses, latest_overlap
from canopy_ir.hw.config import HwConfig
from canopy_ir.hw.isa import MemId, Opcode
from canopy_ir.hw.stream import COL, Stream

LOAD, COMPUTE, STORE = 0, 1, 2
INP, WGT, ACC = 1, 2, 3  # access.SPACES codes
FLAGS = [COL[f] for f in isa.DEP_FLAGS]  # pop_prev, pop_next, push_prev, push_next


def segment_starts(stream: Stream) -> np.ndarray:
    """Per instruction, the first instruction of its segment (segments end with a FINISH)."""
    finish = np.flatnonzero(stream.column("opcode") == Opcode.FINISH)
    starts = np.zeros(len(stream), np.int64)
    starts[finish[finish + 1 < len(stream)] + 1] = finish[finish + 1 < len(stream)] + 1
    return np.maximum.accumulate(starts)


def last_conflicts(
    acc: Access, modules: np.ndarray, floor: np.ndarray, finish: np.ndarray
) -> np.ndarray:
    """(n, 3): for each instruction and module, the latest earlier instruction of that module in
    the same segment whose accesses conflict with its own (-1: none; its own module: -1)."""
    n = len(modules)
    out = np.full((n, 3), -1, np.int64)

    def join(query: Ranges, q_mask, events: Ranges, b_mask, other: int, few: bool) -> None:
        q = np.flatnonzero(query.mask & q_mask)
        b = np.flatnonzero(events.mask & b_mask)
        found = latest_overlap(
            q, query.lo[q], query.hi[q], b, events.lo[b], events.hi[b], floor[q], few
        )
        np.maximum.at(out[:, other], q, found)

    load, compute, store = modules == LOAD, modules == COMPUTE, modules == STORE
    writes, space = acc.sram_write, acc.write_space
    for s, reads in ((INP, acc.inp_read), (WGT, acc.wgt_read)):
        # input and weight buffers: the load module writes them, GEMMs read them
        join(writes, load & (space == s), reads, compute, COMPUTE, True)
        join(reads, compute, writes, load & (space == s), LOAD, True)
    # accumulators: compute writes them, stores read them
    join(writes, compute & (space == ACC), acc.acc_read, store, STORE, True)
    join(acc.acc_read, store, writes, compute & (space == ACC), COMPUTE, True)
    # DRAM: stores write it, loads of either module read it. A FINISH reads all of it, but
    # only as a query: it is the last instruction of its segment, so never an earlier event.
    for module in (LOAD, COMPUTE):
        join(acc.dram_read, modules == module, acc.dram_write, store, STORE, False)
        join(acc.dram_write, store, acc.dram_read, (modules == module) & ~finish, module, False)
    return out


def token_flags(modules: np.ndarray, last: np.ndarray, starts: np.ndarray):
    """Run the vector clocks over the stream. Returns the instruction each output instruction
    is (-1: a relay no-op) and the dependency flags of each as bits (1 pop_prev, 2 pop_next,
    4 push_prev, 8 push_next)."""
    n = len(modules)
    mods, l0, l1, l2 = modules.tolist(), *(last[:, k].tolist() for k in range(3))
    source: list[int] = []
    flags: list[int] = []
    first = 0
    for end in [*np.flatnonzero(np.diff(starts) != 0).tolist(), n - 1]:
        _segment(mods, l0, l1, l2, first, end + 1, source, flags)
        first = end + 1
    return source, flags


def _segment(mods, l0, l1, l2, first: int, stop: int, source: list, flags: list) -> None:
    """One segment's tokens, from scratch (the algorithm of the module docstring, written out
    per module: this loop is the only per-instruction work of the pass)."""
    out_of = [0] * (stop - first)  # instruction -> its position in this segment's output
    c0: list[int] = []  # per output instruction, the latest load / compute / store instruction
    c1: list[int] = []  # known to have finished before it starts (its vector clock)
    c2: list[int] = []
    fl: list[int] = []
    lat0 = lat1 = lat2 = -1  # latest output instruction of each module

    for j in range(first, stop):
        m = mods[j]
        own = lat1 if m == COMPUTE else lat0 if m == LOAD else lat2
        if own >= 0:
            k0, k1, k2 = c0[own], c1[own], c2[own]
        else:
            k0 = k1 = k2 = -1
        a = l0[j]
        n0 = out_of[a - first] if a >= 0 and m != LOAD else -1
        a = l1[j]
        n1 = out_of[a - first] if a >= 0 and m != COMPUTE else -1
        a = l2[j]
        n2 = out_of[a - first] if a >= 0 and m != STORE else -1
        n0, n1, n2 = (n0 if n0 > k0 else -1), (n1 if n1 > k1 else -1), (n2 if n2 > k2 else -1)
        f = 0
        if m == COMPUTE:
            if n0 >= 0:  # a load wrote what this reads (or reads what it overwrites)
                fl[n0] |= 8  # push_next
                f |= 1  # pop_prev
                k0, k1, k2 = max(k0, c0[n0], n0), max(k1, c1[n0]), max(k2, c2[n0])
            if n2 >= 0:
                fl[n2] |= 4  # push_prev
                f |= 2  # pop_next
                k0, k1, k2 = max(k0, c0[n2]), max(k1, c1[n2]), max(k2, c2[n2], n2)
            lat1 = len(fl)
        else:
            # the far module (store for a load, load for a store) is reached through compute
            need_far = n2 if m == LOAD else n0
            c_far = c2 if m == LOAD else c0
            if need_far >= 0 and not (lat1 >= 0 and c_far[lat1] >= need_far):
                p = lat2 if m == LOAD else lat0  # a relay no-op in compute takes its token
                r = len(fl)
                if lat1 >= 0:
                    r0, r1, r2 = c0[lat1], c1[lat1], c2[lat1]
                else:
                    r0 = r1 = r2 = -1
                r0, r1, r2 = max(r0, c0[p]), max(r1, c1[p]), max(r2, c2[p])
                if m == LOAD:
                    fl[p] |= 4  # the store pushes to compute
                    fl.append(2)  # the relay pops it
                    r2 = max(r2, p)
                else:
                    fl[p] |= 8  # the load pushes to compute
                    fl.append(1)
                    r0 = max(r0, p)
                c0.append(r0)
                c1.append(r1)
                c2.append(r2)
                source.append(-1)
                lat1 = r
            producer = n1
            if need_far >= 0 and not (producer >= 0 and c_far[producer] >= need_far):
                producer = lat1
            if producer >= 0:
                fl[producer] |= 4 if m == LOAD else 8  # compute pushes to this module
                f |= 2 if m == LOAD else 1
                k0, k1, k2 = (
                    max(k0, c0[producer]),
                    max(k1, c1[producer], producer),
                    max(k2, c2[producer]),
                )
            if m == LOAD:
                lat0 = len(fl)
            else:
                lat2 = len(fl)
        out_of[j - first] = len(fl)
        c0.append(k0)
        c1.append(k1)
        c2.append(k2)
        fl.append(f)
        source.append(j)
    flags.extend(fl)


def insert_deps(
    stream: Stream, cfg: HwConfig, uops: isa.Uops, table_offset: int, layers: np.ndarray
) -> tuple[Stream, np.ndarray]:
    """The stream with token flags (and relay no-ops), and the layer index of each instruction
    (`layers`: one per input instruction; a relay takes the layer of the instruction after it)."""
    cols = stream.cols.copy()
    cols[:, FLAGS] = 0
    stream = Stream(cols)
    starts = segment_starts(stream)
    modules = stream.modules()
    acc = accesses(stream, cfg, uops, table_offset, resets=np.unique(starts).tolist())
    last = last_conflicts(acc, modules, starts, stream.column("opcode") == Opcode.FINISH)
    source, bits = token_flags(modules, last, starts)
    source = np.array(source, np.int64)
    bits = np.array(bits, np.int64)
    relay = source < 0
    # a relay's layer is that of the instruction it was inserted before
    following = np.minimum.accumulate(np.where(relay, len(source), np.arange(len(source)))[::-1])[
        ::-1
    ]
    out = cols[np.where(relay, 0, source)]
    out[relay] = 0
    out[relay, COL["opcode"]] = Opcode.LOAD
    out[relay, COL["memory_type"]] = MemId.UOP
    out[:, FLAGS] = (bits[:, None] >> np.arange(4)) & 1
    out_layers = layers[source[following]]
    return Stream(out), out_layers


@dataclass(frozen=True)
class InsertDepsPass(ModulePass):
    """Add the dependency tokens that let load, compute and store run concurrently."""

    name = "insert-deps"

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        program = read_program(op)
        program_op = next(p for p in op.ops if isinstance(p, accel.ProgramOp))
        stream, layers = insert_deps(
            Stream.from_records(program.insns),
            program.config,
            program.uops,
            program.uop_offset,
            program_op.layer_index(),
        )
        program_op.set_stream(stream, (program_op.layer_names(), layers))
        for child in op.ops:
            child.verify()
