"""Random instruction streams for the columnar stream code (tests/hw/test_stream.py,
tests/passes/test_insert_deps.py), and the record-by-record `insert-deps` the columnar pass
replaced, kept as the reference it must agree with instruction for instruction.

The streams are small and dense: a tiny configuration, a few buffer elements and DRAM elements,
so that accesses overlap often, in every buffer and in DRAM, across segments and modules."""

from __future__ import annotations

from hypothesis import strategies as st

from canopy_ir.hw import isa
from canopy_ir.hw.config import HwConfig
from canopy_ir.hw.isa import MemId, Module
from canopy_ir.hw.schedule import Footprints, Range

TINY = HwConfig(
    LOG_BLOCK_IN=2, LOG_BLOCK_OUT=2, LOG_INP_BUFF_SIZE=8, LOG_WGT_BUFF_SIZE=9, LOG_ACC_BUFF_SIZE=9
)
UOPS = isa.Uops.from_triples([(d % 7, (3 * d) % 11, d % 5) for d in range(12)])
TABLE_OFFSET = 4096  # bytes: micro-op k lies at DRAM element 1024 + k


@st.composite
def instructions(draw, flags: bool = False):
    """One instruction of any kind with small fields (flags only when asked)."""
    small = st.integers(0, 6)
    kind = draw(st.sampled_from(["inp", "wgt", "uop", "acc", "acc8", "store", "gemm", "alu"]))
    head = {f: draw(st.integers(0, 1)) for f in isa.DEP_FLAGS} if flags else {}
    if kind in ("inp", "wgt", "acc", "acc8", "store"):
        mem = {"inp": MemId.INP, "wgt": MemId.WGT, "acc": MemId.ACC, "acc8": MemId.ACC_8BIT}
        fields = dict(
            sram_base=draw(small),
            dram_base=draw(st.integers(0, 40)),
            y_size=draw(st.integers(0, 3)),
            x_size=draw(st.integers(0, 3)),
            x_stride=draw(st.integers(0, 5)),
        )
        if kind == "store":
            return isa.StoreInsn(**fields, **head)
        pads = {p: draw(st.integers(0, 1)) for p in ("y_pad_0", "y_pad_1", "x_pad_0", "x_pad_1")}
        return isa.LoadInsn(memory_type=mem[kind], **fields, **pads, **head)
    if kind == "uop":
        x = draw(st.integers(0, 3))
        return isa.LoadInsn(
            memory_type=MemId.UOP,
            sram_base=draw(st.integers(0, 8)),
            dram_base=TABLE_OFFSET // 4 + draw(st.integers(0, len(UOPS) - x)),
            y_size=1,
            x_size=x,
            x_stride=x,
            **head,
        )
    bgn = draw(st.integers(0, 10))
    loop = dict(
        uop_bgn=bgn,
        uop_end=bgn + draw(st.integers(0, 3)),
        iter_out=draw(st.integers(0, 3)),
        iter_in=draw(st.integers(0, 3)),
        dst_factor_out=draw(small),
        dst_factor_in=draw(small),
        src_factor_out=draw(small),
        src_factor_in=draw(small),
        **head,
    )
    if kind == "gemm":
        return isa.GemmInsn(
            reset_reg=draw(st.integers(0, 1)),
            wgt_factor_out=draw(small),
            wgt_factor_in=draw(small),
            **loop,
        )
    return isa.AluInsn(
        alu_opcode=draw(st.integers(0, 4)),
        use_imm=draw(st.integers(0, 1)),
        imm=draw(st.integers(-3, 3)),
        **loop,
    )


@st.composite
def streams(draw, flags: bool = False, max_size: int = 80) -> list[isa.Insn]:
    """Instructions with a few FINISHes among them (segments) and one at the end."""
    body = draw(st.lists(instructions(flags), min_size=20, max_size=max_size))
    for _ in range(draw(st.integers(0, 3))):
        body.insert(draw(st.integers(0, len(body))), isa.FinishInsn())
    return [*body, isa.FinishInsn()]


# ---- the record-by-record insert-deps (the reference) -----------------------------------------
def _overlap(a: Range, b: Range) -> bool:
    return a[0] == b[0] and a[1] < b[2] and b[1] < a[2]


def _conflict(r1, w1, r2, w2) -> bool:
    return any(_overlap(a, b) for a in w1 for b in r2 + w2) or any(
        _overlap(a, b) for a in r1 for b in w2
    )


class _Tokens:
    def __init__(self):
        self.out: list[isa.Insn] = []
        self.layers: list = []
        self.layer = None
        self.clock: list[list[int]] = []
        self.history: dict = {m: [] for m in Module}

    def latest(self, m) -> int:
        return self.history[m][-1][0] if self.history[m] else -1

    def emit(self, insn, reads, writes) -> int:
        prev = self.latest(insn.module)
        self.out.append(insn)
        self.layers.append(self.layer)
        self.clock.append(list(self.clock[prev]) if prev >= 0 else [-1, -1, -1])
        self.history[insn.module].append((len(self.out) - 1, reads, writes))
        return len(self.out) - 1

    def sync(self, j: int, producer: int) -> None:
        a, b = self.out[producer].module, self.out[j].module
        if a < b:
            self.out[producer].push_next, self.out[j].pop_prev = 1, 1
        else:
            self.out[producer].push_prev, self.out[j].pop_next = 1, 1
        self.clock[j] = [
            max(x, y) for x, y in zip(self.clock[j], self.clock[producer], strict=True)
        ]
        self.clock[j][a] = max(self.clock[j][a], producer)

    def latest_conflict(self, other, own: int, reads, writes) -> int:
        known = self.clock[own][other] if own >= 0 else -1
        for i, r, w in reversed(self.history[other]):
            if i <= known:
                return -1
            if _conflict(r, w, reads, writes):
                return i
        return -1

    def covered(self, j: int, m, index: int) -> bool:
        return j >= 0 and self.clock[j][m] >= index

    def add(self, insn, reads, writes) -> None:
        m = insn.module
        own = self.latest(m)
        needs = {o: self.latest_conflict(o, own, reads, writes) for o in Module if o != m}
        far = [o for o in needs if abs(o - m) == 2 and needs[o] >= 0]
        for other in far:
            if not self.covered(self.latest(Module.COMPUTE), other, needs[other]):
                relay = self.emit(isa.LoadInsn(memory_type=MemId.UOP), [], [])
                self.sync(relay, self.latest(other))
        j = self.emit(insn, reads, writes)
        producers = {
            o: need
            for o, need in needs.items()
            if abs(o - m) == 1 and need >= 0 and not self.covered(j, o, need)
        }
        for other in far:
            via = producers.get(Module.COMPUTE)
            if not self.covered(j, other, needs[other]) and not self.covered(
                via if via is not None else -1, other, needs[other]
            ):
                producers[Module.COMPUTE] = self.latest(Module.COMPUTE)
        for producer in producers.values():
            self.sync(j, producer)


def reference_insert_deps(insns, cfg, uops, table_offset, layers=None):
    """Tokens instruction by instruction (insert-deps before it worked on columns)."""
    out, out_layers = [], []
    foot = tokens = None
    for k, insn in enumerate(insns):
        if tokens is None:
            foot, tokens = Footprints(cfg, uops, table_offset), _Tokens()
        insn = type(insn)(**insn.field_values())
        for flag in isa.DEP_FLAGS:
            setattr(insn, flag, 0)
        tokens.layer = layers[k] if layers else None
        tokens.add(insn, *foot.of(insn))
        if isinstance(insn, isa.FinishInsn) or k == len(insns) - 1:
            out += tokens.out
            out_layers += tokens.layers
            tokens = None
    return out, out_layers
