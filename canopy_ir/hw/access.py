"""What every instruction of a `Stream` reads and writes, computed for the whole stream at once,
and the joins `insert-deps` needs: for each instruction, the latest earlier instruction of
another module whose accesses overlap its own.

The ranges are those of `schedule.Footprints` (the per-instruction reference, which the simulator
and tests use): SRAM index ranges per buffer, DRAM byte ranges, GEMM/ALU ranges from the
micro-ops resident when they run. Here each kind of access is one column of (lo, hi) pairs with a
mask of the instructions that have it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from canopy_ir.hw import isa
from canopy_ir.hw.config import HwConfig
from canopy_ir.hw.isa import MemId, Opcode
from canopy_ir.hw.schedule import EVERYTHING
from canopy_ir.hw.stream import COL, Stream

SPACES = ("uop", "inp", "wgt", "acc")  # SRAM spaces, by code 0..3
# an (illegal) LOAD of OUT writes the accumulators, as in schedule.Footprints; the verifier stops it
SPACE_OF_MEM = {
    MemId.UOP: 0,
    MemId.INP: 1,
    MemId.WGT: 2,
    MemId.ACC: 3,
    MemId.ACC_8BIT: 3,
    MemId.OUT: 3,
}


@dataclass
class Ranges:
    """One kind of access: instructions `mask` touch [lo, hi) (only meaningful under the mask)."""

    mask: np.ndarray
    lo: np.ndarray
    hi: np.ndarray

    @classmethod
    def none(cls, n: int) -> Ranges:
        return cls(np.zeros(n, bool), np.zeros(n, np.int64), np.zeros(n, np.int64))


@dataclass
class Access:
    """The accesses of every instruction of a stream. `write_space` is the SRAM space (index into
    SPACES) a LOAD writes, or acc for GEMM/ALU."""

    uop_read: Ranges  # GEMM, ALU: [uop_bgn, uop_end)
    inp_read: Ranges  # GEMM (not reset)
    wgt_read: Ranges  # GEMM (not reset)
    dst_read: Ranges  # ALU: its destinations
    src_read: Ranges  # ALU without immediate: its sources (acc)
    acc_read: Ranges  # STORE
    dram_read: Ranges  # LOAD moving data; FINISH reads everything
    sram_write: Ranges  # LOAD (in write_space), GEMM/ALU destinations (acc)
    write_space: np.ndarray
    dram_write: Ranges  # STORE moving data


def dram_elem_bytes(mem: np.ndarray, cfg: HwConfig) -> np.ndarray:
    """`isa.dram_elem_bytes` per instruction (0 where the memory type is unknown)."""
    table = np.zeros(8, np.int64)
    for m in MemId:
        table[m] = isa.dram_elem_bytes(m, cfg)
    return table[np.clip(mem, 0, 7)]


def accesses(
    stream: Stream, cfg: HwConfig, uops: isa.Uops, table_offset: int = 0, resets=()
) -> Access:
    """Every instruction's accesses. The micro-op buffer starts zeroed and is zeroed again
    before each instruction index in `resets` (insert-deps treats segments separately)."""
    c = stream.cols
    op, mem, x, y = c[:, 0], c[:, COL["memory_type"]], c[:, COL["x_size"]], c[:, COL["y_size"]]
    mem_insn = ((op == Opcode.LOAD) | (op == Opcode.STORE)) & (x != 0)
    bad = mem_insn & ~np.isin(mem, [int(m) for m in MemId])
    if bad.any():
        MemId(int(mem[np.argmax(bad)]))  # the ValueError schedule.Footprints raises
    eb = dram_elem_bytes(mem, cfg)
    base = c[:, COL["dram_base"]]
    lo = base * eb
    hi = np.where(y * x == 0, lo, (base + np.maximum(y - 1, 0) * c[:, COL["x_stride"]] + x) * eb)
    moves = mem_insn & (hi > lo)
    sram = c[:, COL["sram_base"]]
    load, store = mem_insn & (op == Opcode.LOAD), mem_insn & (op == Opcode.STORE)
    count = (c[:, COL["y_pad_0"]] + y + c[:, COL["y_pad_1"]]) * (
        c[:, COL["x_pad_0"]] + x + c[:, COL["x_pad_1"]]
    )
    finish = op == Opcode.FINISH
    dram_read = Ranges(
        (load & moves) | finish,
        np.where(finish, EVERYTHING[1], lo),
        np.where(finish, EVERYTHING[2], hi),
    )
    dram_write = Ranges(store & moves, lo, hi)
    acc_read = Ranges(store, sram, sram + y * x)

    loop = (op == Opcode.GEMM) | (op == Opcode.ALU)
    bgn, end = c[:, COL["uop_bgn"]], c[:, COL["uop_end"]]
    mins, maxs, some = _uop_extents(stream, cfg, uops, table_offset, resets)

    def loop_range(col: int, f: str) -> tuple[np.ndarray, np.ndarray]:
        top = (
            maxs[:, col]
            + (c[:, COL["iter_out"]] - 1) * c[:, COL[f"{f}_factor_out"]]
            + (c[:, COL["iter_in"]] - 1) * c[:, COL[f"{f}_factor_in"]]
            + 1
        )
        return np.where(some, mins[:, col], 0), np.where(some, top, 0)

    dst_lo, dst_hi = loop_range(0, "dst")
    gemm = (op == Opcode.GEMM) & (c[:, COL["reset_reg"]] == 0)
    alu = op == Opcode.ALU
    space_of_mem = np.array([SPACE_OF_MEM.get(m, 3) for m in range(8)])
    write_space = np.where(load, space_of_mem[np.clip(mem, 0, 7)], 3)
    return Access(
        uop_read=Ranges(loop, bgn, end),
        inp_read=Ranges(gemm, *loop_range(1, "src")),
        wgt_read=Ranges(gemm, *loop_range(2, "wgt")),
        dst_read=Ranges(alu, dst_lo, dst_hi),
        src_read=Ranges(alu & (c[:, COL["use_imm"]] == 0), *loop_range(1, "src")),
        acc_read=acc_read,
        dram_read=dram_read,
        sram_write=Ranges(
            load | loop, np.where(load, sram, dst_lo), np.where(load, sram + count, dst_hi)
        ),
        write_space=write_space,
        dram_write=dram_write,
    )


def _uop_extents(stream: Stream, cfg: HwConfig, uops: isa.Uops, table_offset: int, resets):
    """Per GEMM/ALU: the smallest and largest (dst, src, wgt) among the micro-ops it runs, as they
    are in the buffer at that point, and whether it runs any. The buffer changes only at micro-op
    loads, so the ranges in use between two loads are looked up once each."""
    c = stream.cols
    n = len(c)
    op = c[:, 0]
    table = np.stack([uops.dst, uops.src, uops.wgt], 1) if len(uops) else np.zeros((0, 3), np.int64)
    table_base = table_offset // isa.UOP_BYTES
    loads = np.flatnonzero(
        (op == Opcode.LOAD) & (c[:, COL["memory_type"]] == MemId.UOP) & (c[:, COL["x_size"]] != 0)
    )
    reset_at = {r for r in resets if 0 <= r < n}
    events = sorted({*loads.tolist(), *reset_at})
    is_load = set(loads.tolist())
    loops = np.flatnonzero((op == Opcode.GEMM) | (op == Opcode.ALU))
    mins = np.zeros((n, 3), np.int64)
    maxs = np.zeros((n, 3), np.int64)
    some = np.zeros(n, bool)
    buf = np.zeros((cfg.depth("uop"), 3), np.int64)
    # loops from each event on: a reset comes before the instruction at its index (which may be
    # a loop); a load's index is never a loop's
    cut = np.searchsorted(loops, events, side="left")
    bounds = [0, *cut.tolist(), len(loops)]
    for k in range(len(bounds) - 1):
        if k > 0:
            e = events[k - 1]
            if e in reset_at:  # a segment starts here (before its first instruction runs)
                buf[:] = 0
            if e in is_load:
                sram, dram = int(c[e, COL["sram_base"]]), int(c[e, COL["dram_base"]])
                size = int(c[e, COL["y_size"]] * c[e, COL["x_size"]])
                rows = table[dram - table_base :][:size]
                buf[sram : sram + len(rows)] = rows
        group = loops[bounds[k] : bounds[k + 1]]
        if not len(group):
            continue
        pairs = c[group][:, [COL["uop_bgn"], COL["uop_end"]]]
        distinct, inverse = np.unique(pairs, axis=0, return_inverse=True)
        lo = np.zeros((len(distinct), 3), np.int64)
        hi = np.zeros((len(distinct), 3), np.int64)
        has = np.zeros(len(distinct), bool)
        for d, (b, e) in enumerate(distinct.tolist()):
            used = buf[b:e]
            if len(used):
                lo[d], hi[d], has[d] = used.min(0), used.max(0), True
        inverse = inverse.reshape(-1)
        mins[group], maxs[group], some[group] = lo[inverse], hi[inverse], has[inverse]
    return mins, maxs, some


# ---- joins ------------------------------------------------------------------------------------
PAIRS_PER_STEP = 2_000_000  # bounds the temporary arrays of the joins


def latest_overlap(q_idx, q_lo, q_hi, b_idx, b_lo, b_hi, floor, few_ranges: bool) -> np.ndarray:
    """For each query (instruction q_idx[i] accessing [q_lo[i], q_hi[i])), the latest event
    b_idx[j] < q_idx[i], b_idx[j] >= floor[i], whose range overlaps it (each range's lo below the
    other's hi); -1 if none. `few_ranges`: the events reuse few distinct ranges (SRAM), else
    they are spread out (DRAM)."""
    out = np.full(len(q_idx), -1, np.int64)
    if not len(q_idx) or not len(b_idx):
        return out
    join = _by_distinct_ranges if few_ranges else _by_interval_join
    found = join(q_idx, q_lo, q_hi, b_idx, b_lo, b_hi)
    return np.where(found >= floor, found, -1)


def _by_distinct_ranges(q_idx, q_lo, q_hi, b_idx, b_lo, b_hi) -> np.ndarray:
    """Few distinct ranges (buffers reused tile after tile): overlap the distinct ranges, then
    for each (query, overlapping event range) find that range's latest event before the
    query."""
    ub, b_id = _distinct(b_lo, b_hi)
    uq, q_id = _distinct(q_lo, q_hi)
    t = int(max(q_idx.max(), b_idx.max())) + 2
    keys = b_id * t + b_idx  # events grouped by range, in order within a range
    keys = keys[np.argsort(b_id, kind="stable")]
    out = np.full(len(q_idx), -1, np.int64)
    by_range = np.argsort(q_id, kind="stable")
    bounds = np.searchsorted(q_id[by_range], np.arange(len(uq) + 1))
    step = max(1, PAIRS_PER_STEP // len(ub))
    for a0 in range(0, len(uq), step):
        a1 = min(a0 + step, len(uq))
        hit = (uq[a0:a1, :1] < ub[None, :, 1]) & (ub[None, :, 0] < uq[a0:a1, 1:])
        ranges, neighbour = np.nonzero(hit)  # (query range - a0, event range), by query range
        queries = by_range[bounds[a0] : bounds[a1]]
        if not len(ranges) or not len(queries):
            continue
        # every query of range a with every event range overlapping a
        degree = np.bincount(ranges, minlength=a1 - a0)
        starts = np.concatenate([[0], np.cumsum(degree)])
        per_query = degree[q_id[queries] - a0]
        pair_q = np.repeat(queries, per_query)
        rank = np.arange(len(pair_q)) - np.repeat(np.cumsum(per_query) - per_query, per_query)
        b = neighbour[starts[q_id[pair_q] - a0] + rank]
        pos = np.searchsorted(keys, b * t + q_idx[pair_q], side="left") - 1
        found = keys[np.maximum(pos, 0)]
        ok = (pos >= 0) & (found // t == b)
        np.maximum.at(out, pair_q[ok], found[ok] % t)
    return out


def _distinct(lo: np.ndarray, hi: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The distinct (lo, hi) pairs, as an (m, 2) array in order, and each pair's index there."""
    base_lo, base_hi = lo.min(), hi.min()
    width = int(hi.max() - base_hi) + 1
    if (int(lo.max() - base_lo) + 1) * width < 1 << 62:  # one integer key per pair
        keys, index = np.unique((lo - base_lo) * width + (hi - base_hi), return_inverse=True)
        pairs = np.stack([keys // width + base_lo, keys % width + base_hi], 1)
        return pairs, index.reshape(-1)
    pairs, index = np.unique(np.stack([lo, hi], 1), axis=0, return_inverse=True)
    return pairs, index.reshape(-1)


def _by_interval_join(q_idx, q_lo, q_hi, b_idx, b_lo, b_hi) -> np.ndarray:
    """Spread-out, non-empty ranges (DRAM windows): enumerate the overlapping (query, event)
    pairs whatever their order (few: a load window overlaps the stores that wrote its rows),
    then keep the latest earlier event of each query. A pair overlaps when the event starts
    inside the query, or contains the query's start; the latter are found per class of event
    length, among the events starting at most that length before the query."""
    order = np.argsort(b_lo, kind="stable")
    lo, hi, idx = b_lo[order], b_hi[order], b_idx[order]
    found_q, found_b = [], []

    def pairs(sel, first, stop, keep) -> None:
        count = np.maximum(stop - first, 0)
        pair_q = np.repeat(np.arange(len(q_idx)), count)
        at = np.repeat(first, count) + (
            np.arange(len(pair_q)) - np.repeat(np.cumsum(count) - count, count)
        )
        ok = keep(pair_q, sel[at])
        found_q.append(pair_q[ok])
        found_b.append(idx[sel[at[ok]]])

    everything = np.arange(len(lo))
    # events starting inside the query
    pairs(
        everything,
        np.searchsorted(lo, q_lo, side="right"),
        np.searchsorted(lo, q_hi, side="left"),
        lambda q, b: np.ones(len(q), bool),
    )
    # events containing the query's start, by length class (2^k <= length < 2^(k+1))
    length_class = np.log2(np.maximum(hi - lo, 1)).astype(np.int64)
    for k in np.unique(length_class).tolist():
        sel = np.flatnonzero(length_class == k)  # still sorted by lo
        longest = int((hi[sel] - lo[sel]).max())
        pairs(
            sel,
            np.searchsorted(lo[sel], q_lo - longest, side="right"),
            np.searchsorted(lo[sel], q_lo, side="right"),
            lambda q, b: hi[b] > q_lo[q],
        )
    pair_q, pair_b = np.concatenate(found_q), np.concatenate(found_b)
    earlier = pair_b < q_idx[pair_q]
    out = np.full(len(q_idx), -1, np.int64)
    np.maximum.at(out, pair_q[earlier], pair_b[earlier])
    return out
