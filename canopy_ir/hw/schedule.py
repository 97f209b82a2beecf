"""Static facts about instruction streams, shared by the simulator, `insert-deps`, the stream
verifier and the cycle model: which SRAM/DRAM ranges each instruction reads and writes, which
token queues it pops and pushes, and in what order the three modules can run it."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from canopy_ir.errors import DeadlockError, IsaError
from canopy_ir.hw import isa
from canopy_ir.hw.config import HwConfig
from canopy_ir.hw.isa import MemId, Module

DEFAULT_QUEUE_DEPTH = 512
PIPELINE_ORDER = (Module.LOAD, Module.COMPUTE, Module.STORE)
Queue = tuple[Module, Module]  # (from, to)
QUEUES: tuple[Queue, ...] = (
    (Module.LOAD, Module.COMPUTE),
    (Module.COMPUTE, Module.LOAD),
    (Module.COMPUTE, Module.STORE),
    (Module.STORE, Module.COMPUTE),
)


def token_queues(insn: isa.Insn, index: int) -> tuple[list[Queue], list[Queue]]:
    """(queues popped, queues pushed) by an instruction; a flag naming a queue its module does
    not have (e.g. push_prev on a load) is an error."""
    m = insn.module
    prev = Module(m - 1) if m > Module.LOAD else None
    nxt = Module(m + 1) if m < Module.STORE else None
    pops, pushes = [], []
    for flag, peer, is_pop in (
        ("pop_prev", prev, True),
        ("pop_next", nxt, True),
        ("push_prev", prev, False),
        ("push_next", nxt, False),
    ):
        if not getattr(insn, flag):
            continue
        if peer is None:
            raise IsaError(
                f"{flag} on a {m.name.lower()}-module instruction: that queue does not exist",
                f"instruction {index}",
            )
        (pops if is_pop else pushes).append((peer, m) if is_pop else (m, peer))
    return pops, pushes


class Plan:
    """What scheduling needs of a stream, computed once: instruction indices per module and the
    token queues each instruction pops and pushes."""

    def __init__(self, insns: Sequence[isa.Insn]):
        self.queues: dict[Module, list[int]] = {m: [] for m in Module}
        for i, insn in enumerate(insns):
            self.queues[insn.module].append(i)
        self.links = [token_queues(insn, i) for i, insn in enumerate(insns)]


def schedule(
    insns: Sequence[isa.Insn],
    order: Sequence[Module],
    queue_depth: int,
    execute: Callable[[isa.Insn, int], None],
    plan: Plan | None = None,
) -> None:
    """Run `insns` on three in-order modules linked by finite token queues, always advancing the
    first module of `order` that can. As in VTA's hardware, an instruction pops its tokens (it
    waits until they are there), runs, then pushes its tokens; a push to a full queue waits, and
    its module with it, until the queue has room. Raises DeadlockError (naming the stuck
    instructions) if no module can advance, or if tokens are left over at the end. `plan` may be
    given when the same stream runs repeatedly."""
    order = [Module(m) for m in order]
    plan = plan or Plan(insns)
    queues, links = plan.queues, plan.links
    heads = {m: 0 for m in Module}
    ran = {m: False for m in Module}  # the module's head instruction ran and waits to push
    tokens = {q: 0 for q in QUEUES}
    remaining = len(insns)
    while remaining:
        progressed = False
        for m in order:
            while heads[m] < len(queues[m]):
                index = queues[m][heads[m]]
                pops, pushes = links[index]
                if not ran[m]:
                    if any(tokens[q] == 0 for q in pops):
                        break
                    for q in pops:
                        tokens[q] -= 1
                    execute(insns[index], index)
                    ran[m] = progressed = True
                if any(tokens[q] >= queue_depth for q in pushes):
                    break
                for q in pushes:
                    tokens[q] += 1
                ran[m] = False
                heads[m] += 1
                remaining -= 1
                progressed = True
            if progressed:
                break  # re-evaluate from the highest-priority module
        if not progressed:
            raise DeadlockError(_deadlock_report(insns, queues, heads, ran, tokens, links))
    leftover = {_name(q): n for q, n in tokens.items() if n}
    if leftover:
        raise DeadlockError(
            f"stream ends with unconsumed dependency tokens {leftover}: the next "
            "run on this card would start with stale tokens"
        )


def _name(q: Queue) -> str:
    return f"{q[0].name.lower()}->{q[1].name.lower()}"


def _deadlock_report(insns, queues, heads, ran, tokens, links) -> str:
    waits = []
    for m in Module:
        if heads[m] < len(queues[m]):
            index = queues[m][heads[m]]
            pops, pushes = links[index]
            if ran[m]:
                why = f"cannot push to full {[_name(q) for q in pushes if tokens[q] > 0]}"
            else:
                why = f"waits for a token on {', '.join(_name(q) for q in pops if not tokens[q])}"
            waits.append(
                f"{m.name.lower()} module at instruction {index} "
                f"({type(insns[index]).__name__}) {why}"
            )
    return "deadlock: " + "; ".join(waits)


def runs_to_completion(modules: np.ndarray, flags: np.ndarray, queue_depth: int) -> bool:
    """Whether `schedule` would run a stream to the end without a deadlock and with no token
    left over, decided without running it. `modules` is each instruction's module, `flags` its
    (pop_prev, pop_next, push_prev, push_next); flags must name queues the module has.

    Each instruction is two events, its pops (then it runs) and its pushes, and each module
    passes through its events in order. Events wait for events of other modules: the k-th pop
    of a queue for its k-th push, the k-th push for the (k - depth)-th pop (room in the queue).
    Every instruction runs iff these waits form no cycle and every awaited event exists; no
    token is left iff each queue is pushed as often as popped. A cycle leaves compute somewhere
    and comes back through the load or the store module; it exists iff one such detour comes
    back to compute no later than it left. Event 2i is instruction i's pops, 2i + 1 its pushes."""
    pop_prev, pop_next, push_prev, push_next = (flags[:, k].astype(bool) for k in range(4))
    where = {m: modules == m for m in Module}
    load, compute, store = where[Module.LOAD], where[Module.COMPUTE], where[Module.STORE]
    # queue -> (its pushes, its pops), as instruction indices in order
    ends = {
        (Module.LOAD, Module.COMPUTE): (load & push_next, compute & pop_prev),
        (Module.COMPUTE, Module.LOAD): (compute & push_prev, load & pop_next),
        (Module.COMPUTE, Module.STORE): (compute & push_next, store & pop_prev),
        (Module.STORE, Module.COMPUTE): (store & push_prev, compute & pop_next),
    }
    edges = []  # (from, to) arrays of waits between events of different modules
    for push, pop in ends.values():
        pushes, pops = np.flatnonzero(push), np.flatnonzero(pop)
        if len(pushes) != len(pops):
            return False  # a pop waits forever, or tokens are left
        if len(pushes) and queue_depth < 1:
            return False
        edges.append((2 * pushes + 1, 2 * pops))
        edges.append((2 * pops[: max(len(pops) - queue_depth, 0)], 2 * pushes[queue_depth:] + 1))
    for side in (load, store):
        out_x, out_s, in_s, in_y = [], [], [], []
        for a, b in edges:
            if len(a) and compute[a[0] // 2] and side[b[0] // 2]:
                out_x.append(a)
                out_s.append(b)
            elif len(a) and side[a[0] // 2] and compute[b[0] // 2]:
                in_s.append(a)
                in_y.append(b)
        if not out_x or not in_s:
            continue
        src, dst = np.concatenate(in_s), np.concatenate(in_y)
        order = np.argsort(src, kind="stable")
        src, back = src[order], np.minimum.accumulate(dst[order][::-1])[::-1]
        x, s_ = np.concatenate(out_x), np.concatenate(out_s)
        at = np.searchsorted(src, s_, side="left")
        reachable = at < len(src)
        if (back[np.minimum(at, len(src) - 1)][reachable] <= x[reachable]).any():
            return False
    return True


Range = tuple[str, int, int]  # (space, lo, hi) with hi exclusive
EVERYTHING = ("dram", 0, 1 << 62)


def loop_range(bases: np.ndarray, insn, f: str) -> tuple[int, int]:
    if len(bases) == 0:
        return (0, 0)
    hi = (
        int(bases.max())
        + (insn.iter_out - 1) * getattr(insn, f"{f}_factor_out")
        + (insn.iter_in - 1) * getattr(insn, f"{f}_factor_in")
        + 1
    )
    return int(bases.min()), hi


class Footprints:
    """Reads and writes of each instruction, tracking which micro-ops are on chip."""

    def __init__(self, cfg: HwConfig, uops: isa.Uops, table_offset: int = 0):
        self.cfg = cfg
        self.table = (
            np.stack([uops.dst, uops.src, uops.wgt], axis=1)
            if len(uops)
            else np.zeros((0, 3), np.int64)
        )
        self.uop_buf = np.zeros((cfg.depth("uop"), 3), np.int64)
        self.table_base = table_offset // isa.UOP_BYTES  # the table's first DRAM element

    def of(self, insn: isa.Insn) -> tuple[list[Range], list[Range]]:
        cfg = self.cfg
        if isinstance(insn, isa.FinishInsn):
            return [EVERYTHING], []
        if isinstance(insn, isa.LoadInsn | isa.StoreInsn):
            if insn.x_size == 0:
                return [], []
            mem = MemId(insn.memory_type)
            space = {
                MemId.UOP: "uop",
                MemId.INP: "inp",
                MemId.WGT: "wgt",
                MemId.ACC: "acc",
                MemId.ACC_8BIT: "acc",
                MemId.OUT: "acc",
            }[mem]
            lo, hi = isa.dram_span(insn, cfg)
            dram = [("dram", lo, hi)] if hi > lo else []  # padding-only loads touch no DRAM
            if isinstance(insn, isa.StoreInsn):
                return [("acc", insn.sram_base, insn.sram_base + insn.y_size * insn.x_size)], dram
            count = (insn.y_pad_0 + insn.y_size + insn.y_pad_1) * (
                insn.x_pad_0 + insn.x_size + insn.x_pad_1
            )
            if mem == MemId.UOP:
                rows = self.table[insn.dram_base - self.table_base :][: insn.y_size * insn.x_size]
                self.uop_buf[insn.sram_base : insn.sram_base + len(rows)] = rows
            return dram, [(space, insn.sram_base, insn.sram_base + count)]
        uops = self.uop_buf[insn.uop_bgn : insn.uop_end]
        uop_read = ("uop", insn.uop_bgn, insn.uop_end)
        dst = ("acc", *loop_range(uops[:, 0], insn, "dst"))
        if isinstance(insn, isa.GemmInsn):
            if insn.reset_reg:
                return [uop_read], [dst]
            return [
                uop_read,
                ("inp", *loop_range(uops[:, 1], insn, "src")),
                ("wgt", *loop_range(uops[:, 2], insn, "wgt")),
            ], [dst]
        reads = [uop_read, dst] + (
            [] if insn.use_imm else [("acc", *loop_range(uops[:, 1], insn, "src"))]
        )
        return reads, [dst]
