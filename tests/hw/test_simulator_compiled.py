"""The compiled simulator (`canopy_ir.hw.sim_plan`) against the interpreting one: same DRAM, same
buffers, same statistics and same errors, on random streams and on compiled models."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from canopy_ir.hw import isa, sim_loops
from canopy_ir.hw.config import HwConfig
from canopy_ir.hw.isa import AluOp, MemId, Module
from canopy_ir.hw.schedule import PIPELINE_ORDER
from canopy_ir.hw.sim_plan import CompiledStream
from canopy_ir.hw.simulator import FunctionalSimulator

# small buffers, so that random indices collide, overlap and (in wild streams) run off the end
SMALL = {
    "LOG_BLOCK_IN": 2,
    "LOG_BLOCK_OUT": 2,
    "LOG_UOP_BUFF_SIZE": 8,
    "LOG_INP_BUFF_SIZE": 9,
    "LOG_WGT_BUFF_SIZE": 9,
    "LOG_ACC_BUFF_SIZE": 11,
}
CONFIGS = [HwConfig.from_dict(SMALL), HwConfig.from_dict({**SMALL, "LOG_BATCH": 1})]
DRAM_BYTES = 4096
TABLE = 3072  # byte offset of the micro-op table in DRAM; the data lies below it
POLICIES = ["sequential", PIPELINE_ORDER, (Module.STORE, Module.COMPUTE, Module.LOAD)]


def outcome(make_and_run, sim):
    try:
        make_and_run()
        error = None
    except Exception as exc:  # the two must fail alike, whatever the error
        error = (type(exc).__name__, str(exc))
    buffers = [sim.inp, sim.wgt, sim.acc, *sim.uop]
    return error, sim.stats, sim.dram.copy(), [b.copy() for b in buffers]


def assert_same(a, b):
    assert a[0] == b[0]
    assert a[1] == b[1]
    np.testing.assert_array_equal(a[2], b[2])
    for x, y in zip(a[3], b[3], strict=True):
        np.testing.assert_array_equal(x, y)


def check_stream(cfg, dram, insns, policy):
    ref = FunctionalSimulator(cfg, dram.copy())
    expected = outcome(lambda: ref.run(insns, policy), ref)
    sim = FunctionalSimulator(cfg, dram.copy())
    compiled = []
    got = outcome(
        lambda: compiled.append(CompiledStream(sim, insns, policy)) or compiled[0].run(), sim
    )
    assert_same(expected, got)
    if compiled:  # a second run starts from zeroed buffers, as a fresh simulator does
        assert compiled[0].matches()
        sim.dram[:] = dram
        assert_same(expected, outcome(compiled[0].run, sim))
    return compiled[0] if compiled else None


# ---- random streams --------------------------------------------------------------------------


@st.composite
def streams(draw):
    """A random stream over random DRAM. Most are valid, so that they run to the end through every
    compiled form; a wild one has fields out of range, bad memory types and random tokens, so that
    it stops with an error or a deadlock somewhere."""
    cfg = draw(st.sampled_from(CONFIGS))
    wild = draw(st.integers(0, 4)) == 0
    depth = {b: cfg.depth(b) for b in ("uop", "inp", "wgt", "acc")}
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))

    def upto(hi):  # 0..hi, sometimes beyond when wild
        return draw(st.integers(0, max(hi + 3 if wild else hi, 0)))

    def flags(insn):
        if wild and draw(st.booleans()):
            for f in isa.DEP_FLAGS:
                setattr(insn, f, draw(st.integers(0, 1)))
        return insn

    def mem_fields(mem, buf):
        y, x = draw(st.integers(0, 3)), draw(st.integers(0, 4))
        stride = draw(st.sampled_from([x, x, x + 1, max(x - 1, 0), 0, 5]))
        pads = [draw(st.sampled_from([0, 0, 1, 2])) for _ in range(4)]
        if mem == MemId.UOP or buf == "acc" and draw(st.booleans()):
            pads = [0, 0, 0, 0] if not wild else [draw(st.integers(0, 1)) for _ in range(4)]
        elem = {MemId.UOP: isa.UOP_BYTES, 6: 16}.get(mem) or isa.dram_elem_bytes(mem, cfg)
        first, limit = (TABLE // 4, DRAM_BYTES // 4) if mem == MemId.UOP else (0, TABLE // elem)
        span = (y - 1) * stride + x if y else 0
        block = (pads[0] + y + pads[1]) * (pads[2] + x + pads[3])
        return dict(
            memory_type=mem,
            sram_base=upto(depth[buf] - block),
            dram_base=first + upto(limit - first - span),
            y_size=y,
            x_size=x,
            x_stride=stride,
            y_pad_0=pads[0],
            y_pad_1=pads[1],
            x_pad_0=pads[2],
            x_pad_1=pads[3],
        )

    per = draw(st.integers(1, 4))  # micro-ops per destination group in the GEMM-like half

    def loop_fields(alu):
        # micro-ops 0..19 are GEMM-like (groups sharing a destination), 20..39 ALU-like
        if alu and draw(st.integers(0, 3)):
            bgn = draw(st.integers(20, 39))
            end = bgn + draw(st.sampled_from([1, 1, 2, 3]))
        elif draw(st.integers(0, 3)):  # whole groups
            bgn = per * draw(st.integers(0, 20 // per - 1))
            end = min(bgn + per * draw(st.integers(1, 3)), 20)
        else:
            bgn = draw(st.integers(0, 18))
            end = bgn + draw(st.integers(0, 4))
        io, ii = draw(st.integers(0, 3)), draw(st.integers(0, 4))
        dense = draw(st.integers(0, 2)) > 0  # destinations one after the other, as a tile's are
        return dict(
            reset_reg=int(draw(st.integers(0, 5)) == 0),
            uop_bgn=bgn,
            uop_end=end if not wild or draw(st.integers(0, 9)) else bgn - 1,
            iter_out=io,
            iter_in=ii,
            dst_factor_out=ii if dense else upto(8),
            dst_factor_in=1 if dense else upto(3),
            src_factor_out=upto(8),
            src_factor_in=upto(3),
        )

    insns = [  # the micro-op table first, so that the loops find micro-ops
        isa.LoadInsn(memory_type=MemId.UOP, dram_base=TABLE // 4, y_size=1, x_size=40, x_stride=40)
    ]
    mems = {MemId.INP: "inp", MemId.WGT: "wgt", MemId.ACC: "acc", MemId.ACC_8BIT: "acc"}
    for _ in range(draw(st.integers(1, 24))):
        kind = draw(st.sampled_from(["load", "load", "run", "store", "gemm", "gemm", "alu", "alu"]))
        if kind == "load":
            mem = draw(st.sampled_from([*mems, MemId.UOP]))
            if wild and draw(st.integers(0, 4)) == 0:
                mem = draw(st.sampled_from([MemId.OUT, 6]))
            fields = mem_fields(mem, mems.get(mem, "uop" if mem == MemId.UOP else "acc"))
            insns.append(flags(isa.LoadInsn(**fields)))
        elif kind == "run":  # LOADs that continue one another (or nearly)
            mem = draw(st.sampled_from(list(mems)))
            at, base, n = upto(depth[mems[mem]] - 12), draw(st.integers(0, 50)), upto(5)
            step, dstep = draw(st.sampled_from([(1, 1), (1, 1), (1, 2), (2, 1)]))
            for k in range(n):
                fields = dict(memory_type=mem, y_size=1, x_size=1, x_stride=1)
                insns.append(
                    isa.LoadInsn(sram_base=at + k * step, dram_base=base + k * dstep, **fields)
                )
        elif kind == "store":
            mem = MemId.ACC if wild and draw(st.integers(0, 4)) == 0 else MemId.OUT
            fields = mem_fields(mem, "acc")
            if not wild or draw(st.booleans()):
                fields.update(y_pad_0=0, y_pad_1=0, x_pad_0=0, x_pad_1=0)
            insns.append(flags(isa.StoreInsn(**fields)))
        elif kind == "gemm":
            w = [draw(st.integers(0, 2)) if draw(st.integers(0, 4)) == 0 else 0 for _ in range(2)]
            fields = loop_fields(alu=False)
            insns.append(flags(isa.GemmInsn(wgt_factor_out=w[0], wgt_factor_in=w[1], **fields)))
        else:
            op = draw(st.sampled_from(list(AluOp) + ([5] if wild else [])))
            use_imm = draw(st.integers(0, 1))
            if op == AluOp.MUL and not wild:  # MUL of two accumulators: only small ones fit
                use_imm = int(draw(st.integers(0, 3)) > 0)
            imm = draw(st.one_of(st.integers(-40, 40), st.integers(-(2**15), 2**15 - 1)))
            if op == AluOp.MUL and not wild:
                imm = draw(st.integers(-128, 127))
            fields = loop_fields(alu=True)
            insns.append(flags(isa.AluInsn(alu_opcode=op, use_imm=use_imm, imm=imm, **fields)))
    if not wild or draw(st.integers(0, 4)):
        insns.append(isa.FinishInsn())
    dram = rng.integers(0, 256, DRAM_BYTES, dtype=np.uint8)
    if draw(st.booleans()):  # small values, so that MUL of two accumulators stays in range
        dram[:TABLE] = rng.integers(0, 2, TABLE, dtype=np.uint8)
    # the micro-op table: 20 in groups of equal size sharing a destination, as convolutions have
    # them, then 20 for the ALU: destinations 12 apart (room for a 3 x 4 tile each), cycling,
    # reading accumulators past them
    half = min(depth["acc"], depth["inp"]) // 2
    rows = []
    while len(rows) < 20:
        dst = rng.integers(0, half)
        srcs = rng.integers(0, half, per)
        wgts = rng.integers(0, depth["wgt"] // 2, per) if rng.random() < 0.5 else np.arange(per) + 2
        rows += [(dst, s, w) for s, w in zip(srcs, wgts, strict=True)]
    dsts = rng.permutation(half // 12 + 1) * 12
    srcs = rng.integers(half, half + half // 8, 20)
    rows = rows[:20] + [(dsts[k % len(dsts)], srcs[k], 0) for k in range(20)]
    table = isa.encode_uops(isa.Uops.from_triples(rows), cfg)
    dram[TABLE : TABLE + len(table)] = np.frombuffer(table, np.uint8)
    return cfg, dram, insns, draw(st.sampled_from(POLICIES))


@settings(max_examples=max(300, settings.default.max_examples))
@given(streams())
def test_compiled_stream_equals_the_interpreter(case):
    check_stream(*case)


@st.composite
def loop_streams(draw):
    """Buffers loaded whole with random data, then a few GEMM and ALU instructions over random
    micro-ops: groups sharing a destination or distinct destinations, tiles laid out densely or
    at random, sources apart from the destinations or among them."""
    cfg = draw(st.sampled_from(CONFIGS))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    depth = {b: cfg.depth(b) for b in ("uop", "inp", "wgt", "acc")}
    nacc = depth["acc"] // 2  # the data; loops reach up to twice as far
    small = draw(st.booleans())  # accumulators small enough for MUL of two of them
    data = {
        MemId.INP: rng.integers(-128, 128, depth["inp"] * cfg.batch * cfg.block_in),
        MemId.WGT: rng.integers(-128, 128, depth["wgt"] * cfg.block_out * cfg.block_in),
        MemId.ACC: rng.integers(-9, 9, nacc * cfg.batch * cfg.block_out)
        if small
        else rng.integers(-(2**31), 2**31, nacc * cfg.batch * cfg.block_out),
    }
    dram, at, insns = [], 0, []
    for mem, values in data.items():
        raw = values.astype(np.int32 if mem == MemId.ACC else np.int8).view(np.uint8)
        elem = isa.dram_elem_bytes(mem, cfg)
        n = len(raw) // elem
        insns.append(
            isa.LoadInsn(memory_type=mem, dram_base=at // elem, y_size=1, x_size=n, x_stride=n)
        )
        dram.append(raw)
        at += len(raw)
    per = draw(st.integers(1, 4))
    heads = rng.integers(0, nacc // 2, 16)
    rows = [
        (heads[k // per], rng.integers(0, depth["inp"] // 2), rng.integers(0, depth["wgt"]))
        for k in range(16)
    ]
    spaced = rng.permutation(nacc // 2 // 12) * 12
    for k in range(16):  # distinct destinations 12 apart; sources apart or among them
        src = rng.integers(nacc // 2, nacc) if rng.random() < 0.6 else spaced[(k + 1) % len(spaced)]
        rows.append((spaced[k % len(spaced)], src, 0))
    table = np.frombuffer(isa.encode_uops(isa.Uops.from_triples(rows), cfg), np.uint8)
    insns.append(
        isa.LoadInsn(memory_type=MemId.UOP, dram_base=at // 4, y_size=1, x_size=32, x_stride=32)
    )
    dram.append(table)
    for _ in range(draw(st.integers(1, 3))):
        alu = draw(st.booleans())
        if alu and draw(st.integers(0, 3)):
            bgn = 16 + draw(st.integers(0, 15))
            end = min(bgn + draw(st.sampled_from([1, 1, 2, 3])), 32)
        else:
            bgn = per * draw(st.integers(0, 16 // per - 1))
            end = min(bgn + per * draw(st.integers(1, 3)), 16)
        io, ii = draw(st.integers(1, 3)), draw(st.integers(1, 4))
        dense = draw(st.integers(0, 2)) > 0
        fields = dict(
            reset_reg=int(draw(st.integers(0, 7)) == 0),
            uop_bgn=bgn,
            uop_end=end,
            iter_out=io,
            iter_in=ii,
            dst_factor_out=ii if dense else draw(st.integers(0, 4)),
            dst_factor_in=1 if dense else draw(st.integers(0, 2)),
            src_factor_out=draw(st.integers(0, 4)),
            src_factor_in=draw(st.integers(0, 2)),
        )
        if alu:
            op = draw(st.sampled_from(list(AluOp)))
            use_imm = draw(st.integers(0, 1)) if op != AluOp.MUL or small else 1
            imm = draw(st.integers(-128, 127) if op == AluOp.MUL else st.integers(-40, 40))
            insns.append(isa.AluInsn(alu_opcode=op, use_imm=use_imm, imm=imm, **fields))
        else:
            w = [draw(st.integers(0, 2)) if draw(st.integers(0, 4)) == 0 else 0 for _ in range(2)]
            insns.append(isa.GemmInsn(wgt_factor_out=w[0], wgt_factor_in=w[1], **fields))
    insns.append(isa.FinishInsn())
    return cfg, np.concatenate(dram), insns, "sequential"


@settings(max_examples=max(300, settings.default.max_examples))
@given(loop_streams())
def test_compiled_loops_equal_the_interpreter(case):
    check_stream(*case)


# ---- targeted cases --------------------------------------------------------------------------


def _gemm_stream(cfg, per, value):
    """One GEMM of `per` micro-ops into one accumulator: sum of per * BLOCK_IN products."""
    bi = cfg.block_in
    uops = isa.encode_uops(isa.Uops.from_triples([(0, k, k) for k in range(per)]), cfg)
    dram = np.zeros(1 << 20, np.uint8)
    inp = np.full((per, bi), value, np.int8)
    inp[-1, -1] = 1
    wgt = np.full((per, cfg.block_out, bi), value, np.int8)
    wgt[-1, :, -1] = 1
    dram[: inp.size] = inp.view(np.uint8).reshape(-1)
    wgt_at = 1 << 16
    dram[wgt_at : wgt_at + wgt.size] = wgt.view(np.uint8).reshape(-1)
    uop_at = 1 << 19
    dram[uop_at : uop_at + len(uops)] = np.frombuffer(uops, np.uint8)
    insns = [
        isa.LoadInsn(memory_type=MemId.INP, y_size=1, x_size=per, x_stride=per),
        isa.LoadInsn(
            memory_type=MemId.WGT,
            dram_base=wgt_at // wgt[0].nbytes,
            y_size=1,
            x_size=per,
            x_stride=per,
        ),
        isa.LoadInsn(
            memory_type=MemId.UOP, dram_base=uop_at // 4, y_size=1, x_size=per, x_stride=per
        ),
        isa.GemmInsn(uop_end=per),
        isa.FinishInsn(),
    ]
    exact = (per * bi - 1) * int(value) ** 2 + 1
    return dram, insns, exact


def test_reductions_longer_than_float32_holds_are_split():
    """65 micro-ops of 16 products each, 1039 of (-128)^2 and one of 1: 17022977, odd and beyond
    the integers float32 holds (2^24), yet every lane comes out exact."""
    cfg = HwConfig()
    dram, insns, exact = _gemm_stream(cfg, 65, -128)
    assert exact > 2**24 and exact % 2
    assert int(np.float32(exact)) != exact  # one float32 reduction could not give it
    sim = FunctionalSimulator(cfg, dram)
    CompiledStream(sim, insns).run()
    assert (sim.acc[0] == exact).all()
    assert check_stream(cfg, dram, insns, PIPELINE_ORDER).interpreted == 0


def test_chunk_is_the_float32_bound():
    assert sim_loops.CHUNK * 128 * 128 == 2**24


def test_a_stream_that_overwrites_its_micro_ops_is_interpreted():
    """A STORE onto the micro-op table before a LOAD UOP reads it: the micro-ops are not known
    when compiling, so every instruction runs through the interpreter."""
    cfg = HwConfig()
    dram, insns, _ = _gemm_stream(cfg, 3, 5)
    table = (1 << 19) // 16  # OUT elements are 16 bytes
    insns[-1:] = [
        isa.StoreInsn(dram_base=table, y_size=1, x_size=1, x_stride=1),
        insns[2],  # LOAD UOP again
        insns[3],  # GEMM again
        isa.StoreInsn(dram_base=table + 4, y_size=1, x_size=1, x_stride=1),
        isa.FinishInsn(),
    ]
    assert check_stream(cfg, dram, insns, PIPELINE_ORDER).interpreted == len(insns)


@pytest.mark.parametrize("tamper", [False, True])
def test_card_compiles_once_and_recompiles_when_the_micro_ops_change(tamper):
    from canopy_ir.backend.pcie.device import CTRL_START, REG_CTRL, REG_INSN_ADDR, REG_INSN_COUNT
    from canopy_ir.backend.pcie.simcard import SimCard

    cfg = HwConfig()
    dram, insns, exact = _gemm_stream(cfg, 3, 5)
    card = SimCard(cfg, memory_bytes=2 << 20)
    card.memory[: len(dram)] = dram
    stream = isa.encode_insns(insns, cfg)
    at = 1 << 20
    card.memory[at : at + len(stream)] = np.frombuffer(stream, np.uint8)

    def run():
        card.write_reg(REG_INSN_ADDR, at)
        card.write_reg(REG_INSN_COUNT, len(insns))
        card.write_reg(REG_CTRL, CTRL_START)
        card.wait(10.0)
        (resident,) = card._resident.values()
        return next(iter(resident.compiled.values()))

    first = run()
    if tamper:  # micro-op 2 now adds into accumulator 1
        word = isa.encode_uops(isa.Uops.from_triples([(1, 2, 2)]), cfg)
        card.memory[(1 << 19) + 8 : (1 << 19) + 12] = np.frombuffer(word, np.uint8)
    second = run()
    assert (second is first) != tamper
    expected = FunctionalSimulator(cfg, card.memory.copy())
    expected.run(insns)
    np.testing.assert_array_equal(card._sim.acc, expected.acc)


def test_compiled_models_run_without_interpreting(tmp_path):
    """Every instruction of a compiled CNN has a compiled form (none falls back)."""
    import onnx
    from small_cnn import build_small_cnn

    from canopy_ir.artefact import Artefact
    from canopy_ir.compiler.driver import compile_model

    onnx.save(build_small_cnn(), tmp_path / "m.onnx")
    compile_model(str(tmp_path / "m.onnx"), str(tmp_path / "m.canopy"))
    art = Artefact.load(tmp_path / "m.canopy")
    insns = isa.decode_insns(art.insns, art.config)
    dram = np.zeros(art.arena_bytes, np.uint8)
    dram[: len(art.weights)] = np.frombuffer(art.weights, np.uint8)
    dram[art.uop_offset : art.uop_offset + len(art.uops)] = np.frombuffer(art.uops, np.uint8)
    dram[: art.uop_offset] |= np.random.default_rng(0).integers(0, 3, art.uop_offset, np.uint8)
    for policy in POLICIES:
        assert check_stream(art.config, dram, insns, policy).interpreted == 0
