"""Helpers of the OpenCL card tests: the availability rule, a card cache, random instructions, and
one run of a stream on both the card and the reference simulator (`canopy_ir.hw.simulator`),
compared bit for bit: error messages, card memory and, for the portable form, every buffer."""

from __future__ import annotations

import functools
import os

import numpy as np
import pytest
from hypothesis import strategies as st

from canopy_ir.backend.pcie.device import (
    CTRL_START,
    REG_CTRL,
    REG_INSN_ADDR,
    REG_INSN_COUNT,
    DevicePtr,
)
from canopy_ir.errors import DeviceError
from canopy_ir.hw import isa
from canopy_ir.hw.config import HwConfig
from canopy_ir.hw.isa import AluOp, MemId
from canopy_ir.hw.simulator import FunctionalSimulator

CONFIGS = {
    "default": HwConfig(),
    # 8x8 core, small buffers, the input buffer deeper than the accumulator (tests/golden)
    "tiny": HwConfig.from_dict(
        dict(
            LOG_BLOCK=3,
            LOG_UOP_BUFF_SIZE=12,
            LOG_INP_BUFF_SIZE=11,
            LOG_WGT_BUFF_SIZE=12,
            LOG_ACC_BUFF_SIZE=12,
        )
    ),
    # two batch rows, BLOCK_IN != BLOCK_OUT
    "batch2": HwConfig.from_dict(
        dict(
            LOG_BATCH=1,
            LOG_BLOCK_IN=3,
            LOG_BLOCK_OUT=4,
            LOG_UOP_BUFF_SIZE=11,
            LOG_INP_BUFF_SIZE=11,
            LOG_WGT_BUFF_SIZE=13,
            LOG_ACC_BUFF_SIZE=13,
        )
    ),
    # 2-byte input elements (byte-wise moves) and a 12-bit multiplier
    "narrow": HwConfig.from_dict(
        dict(
            LOG_BLOCK_IN=1,
            LOG_BLOCK_OUT=2,
            LOG_UOP_BUFF_SIZE=10,
            LOG_INP_BUFF_SIZE=9,
            LOG_WGT_BUFF_SIZE=9,
            LOG_ACC_BUFF_SIZE=10,
            ALU_MUL_BITS=12,
        )
    ),
}
MEMORY = 1 << 16  # card memory of the instruction tests
STREAM_AT = 48 << 10  # the stream lives here; STOREs stay below it
UOPS_AT, ACC_AT = 8 << 10, 12 << 10  # DRAM regions of the preamble's micro-ops and accumulators


def unavailable() -> str | None:
    """Why no OpenCL card can be made here, or None."""
    try:
        from canopy_ir.backend.opencl import runtime

        runtime.devices()
    except DeviceError as exc:
        return str(exc)
    return None


def require_opencl() -> None:
    """Skip without an OpenCL platform; under CANOPY_CI=1 that is a failure instead."""
    reason = _REASON()
    if reason is None:
        return
    if os.environ.get("CANOPY_CI") == "1":
        pytest.fail(f"CANOPY_CI=1 requires an OpenCL platform: {reason}", pytrace=False)
    pytest.skip(reason)


_REASON = functools.lru_cache(maxsize=1)(unavailable)


@functools.cache
def card(config_name: str, form: str = "portable", local_size: int = 16, split_min=None):
    """One card per variant for the whole session (building a program takes seconds)."""
    from canopy_ir.backend.opencl import OpenCLCard

    return OpenCLCard(
        CONFIGS[config_name],
        memory_bytes=MEMORY,
        form=form,
        local_size=local_size,
        split_min=split_min,
    )


# Card variants the instruction tests run on: the work-group form as a GPU runs it (split GEMMs
# included), with one work-item, and the FPGA form (on-chip arrays: small configurations only).
VARIANTS = [
    ("default", "portable", 16, None),
    ("default", "portable", 8, 0),
    ("tiny", "portable", 32, None),
    ("tiny", "fpga", 1, None),
    ("batch2", "portable", 1, None),
    ("narrow", "portable", 4, 0),
    ("narrow", "fpga", 1, None),
]


# ---- random state and instructions --------------------------------------------------------


def make_image(cfg: HwConfig, seed: int, wide_acc: bool = False) -> np.ndarray:
    """Card memory: random bytes, small micro-op fields at UOPS_AT, accumulators at ACC_AT
    that fit the multiplier (so MUL operands often do) or, with `wide_acc`, any int32."""
    rng = np.random.default_rng(seed)
    image = rng.integers(0, 256, MEMORY, dtype=np.uint8)
    n = 64
    uops = isa.Uops(
        rng.integers(0, min(cfg.depth("acc"), 24), n),
        rng.integers(0, min(cfg.depth("acc"), cfg.depth("inp"), 24), n),
        rng.integers(0, min(cfg.depth("wgt"), 24), n),
    )
    words = np.frombuffer(isa.encode_uops(uops, cfg), np.uint8)
    image[UOPS_AT : UOPS_AT + len(words)] = words
    lanes = 64 * cfg.batch * cfg.block_out
    limit = 1 << (31 if wide_acc else cfg.ALU_MUL_BITS - 1)
    acc = rng.integers(-limit, limit, lanes, dtype=np.int64).astype("<i4")
    image[ACC_AT : ACC_AT + 4 * lanes] = np.frombuffer(acc.tobytes(), np.uint8)
    return image


def images(cfg: HwConfig):
    return st.builds(make_image, st.just(cfg), st.integers(0, 2**32 - 1), st.booleans())


def preamble(cfg: HwConfig) -> list[isa.Insn]:
    """LOADs that fill part of every buffer from the image, so instructions act on data."""

    def load(mem, at_byte, count):
        eb = isa.dram_elem_bytes(mem, cfg)
        count = min(count, cfg.depth(MemId(mem).name.lower()))
        return isa.LoadInsn(
            memory_type=mem, dram_base=at_byte // eb, y_size=1, x_size=count, x_stride=count
        )

    return [
        load(MemId.UOP, UOPS_AT, 64),
        load(MemId.INP, 0, 64),
        load(MemId.WGT, 1024, 32),
        load(MemId.ACC, ACC_AT, 64),
    ]


def _flags(draw):
    return {f: draw(st.integers(0, 1)) for f in isa.DEP_FLAGS}


@st.composite
def mem_insns(draw, cfg: HwConfig, store: bool):
    if store:
        mem = draw(st.sampled_from([MemId.OUT] * 9 + [MemId.ACC]))
        depth = cfg.depth("acc")
    else:
        mem = draw(
            st.sampled_from(
                [MemId.UOP, MemId.WGT, MemId.INP, MemId.INP, MemId.ACC, MemId.ACC_8BIT, MemId.OUT]
            )
        )
        depth = cfg.depth("acc" if mem in (MemId.ACC_8BIT, MemId.OUT) else mem.name.lower())
    eb = isa.dram_elem_bytes(mem, cfg)
    y, x = draw(st.integers(0, 4)), draw(st.integers(0, 4))
    stride = draw(st.integers(0, 6))
    pads = [draw(st.sampled_from([0, 0, 0, 1, 2])) for _ in range(4)] if not store else [0] * 4
    if store and draw(st.integers(0, 19)) == 0:
        pads[0] = 1  # a STORE cannot pad
    limit = (STREAM_AT if store else MEMORY) // eb
    span = max(y - 1, 0) * stride + x
    if draw(st.integers(0, 9)):
        dram = draw(st.integers(0, max(limit - span, 0)))  # inside memory (below the stream)
    else:
        dram = draw(st.integers(MEMORY // eb - span, MEMORY // eb + 8))  # runs off the end
    sram = draw(st.one_of(st.integers(0, min(depth - 1, 40)), st.integers(0, depth + 4)))
    cls = isa.StoreInsn if store else isa.LoadInsn
    return cls(
        **_flags(draw),
        memory_type=mem,
        sram_base=min(sram, 0xFFFF),
        dram_base=max(dram, 0),
        y_size=y,
        x_size=x,
        x_stride=stride,
        y_pad_0=pads[0],
        y_pad_1=pads[1],
        x_pad_0=pads[2],
        x_pad_1=pads[3],
    )


@st.composite
def loop_insns(draw, cfg: HwConfig, gemm: bool):
    nuops = min(64, cfg.depth("uop"))
    bgn = draw(st.integers(0, nuops - 1))
    end = draw(st.one_of(st.integers(bgn, min(bgn + 4, nuops)), st.integers(0, nuops)))
    small = st.integers(0, 3)
    fields = dict(
        **_flags(draw),
        reset_reg=int(draw(st.integers(0, 9)) == 0),
        uop_bgn=bgn,
        uop_end=end,
        iter_out=draw(st.integers(0, 4)),
        iter_in=draw(st.integers(0, 5)),
        dst_factor_out=draw(st.sampled_from([0, 1, 4, 6, 12])),
        dst_factor_in=draw(small),
        src_factor_out=draw(st.sampled_from([0, 1, 5, 8])),
        src_factor_in=draw(small),
    )
    if gemm:
        return isa.GemmInsn(**fields, wgt_factor_out=draw(small), wgt_factor_in=draw(small))
    op = draw(st.sampled_from(list(AluOp)))
    half = 1 << (cfg.ALU_MUL_BITS - 1)
    imm = draw(
        st.integers(-40, 40)
        if op == AluOp.SHR
        else st.one_of(st.integers(-half, half - 1), st.integers(-32768, 32767))
    )
    return isa.AluInsn(**fields, alu_opcode=op, use_imm=draw(st.integers(0, 1)), imm=imm)


def instructions(cfg: HwConfig):
    return st.one_of(
        mem_insns(cfg, store=False),
        mem_insns(cfg, store=True),
        loop_insns(cfg, gemm=True),
        loop_insns(cfg, gemm=False),
        loop_insns(cfg, gemm=False),
        st.just(isa.FinishInsn()),
    )


# ---- one run on both ----------------------------------------------------------------------


def sim_run(cfg: HwConfig, image: np.ndarray, insns: list[isa.Insn]):
    """The reference: (simulator, its error message or None)."""
    sim = FunctionalSimulator(cfg, image.copy())
    try:
        sim.run(insns, "sequential")
    except DeviceError as exc:
        return sim, str(exc)
    return sim, None


def card_run(dev, image: np.ndarray, stream: bytes) -> str | None:
    """Load `image` with `stream` at STREAM_AT into the card and run it: the error or None."""
    data = image.copy()
    data[STREAM_AT : STREAM_AT + len(stream)] = np.frombuffer(stream, np.uint8)
    dev.dma_to_device(DevicePtr(0, MEMORY), data.tobytes())
    dev.write_reg(REG_INSN_ADDR, STREAM_AT)
    dev.write_reg(REG_INSN_COUNT, len(stream) // isa.INSN_BYTES)
    dev.write_reg(REG_CTRL, CTRL_START)
    try:
        dev.wait(60)
    except DeviceError as exc:
        dev.reset()
        return str(exc)
    return None


def check_same(dev, cfg: HwConfig, image: np.ndarray, insns: list[isa.Insn]) -> str | None:
    """Run `insns` + FINISH on the card and on the simulator; assert identical outcomes."""
    insns = [*insns, isa.FinishInsn()]
    stream = isa.encode_insns(insns, cfg)
    assert STREAM_AT + len(stream) <= MEMORY
    image = image.copy()
    image[STREAM_AT : STREAM_AT + len(stream)] = np.frombuffer(stream, np.uint8)
    sim, sim_error = sim_run(cfg, image, insns)
    error = card_run(dev, image, stream)
    expected = None if sim_error is None else f"card stopped with an error: {sim_error}"
    assert error == expected
    memory = np.frombuffer(dev.dma_from_device(DevicePtr(0, MEMORY), MEMORY), np.uint8)
    np.testing.assert_array_equal(memory, sim.dram, err_msg="card memory")
    if dev.form == "portable":
        bufs = dev.buffers()
        np.testing.assert_array_equal(bufs["inp"], sim.inp, err_msg="INP buffer")
        np.testing.assert_array_equal(bufs["wgt"], sim.wgt, err_msg="WGT buffer")
        np.testing.assert_array_equal(bufs["acc"], sim.acc, err_msg="ACC buffer")
        uops = isa.decode_uops(bufs["uop"].tobytes(), cfg)
        for name, got, want in zip(
            "dst src wgt".split(), (uops.dst, uops.src, uops.wgt), sim.uop, strict=True
        ):
            np.testing.assert_array_equal(got, want, err_msg=f"micro-op {name} fields")
    return sim_error
