"""Host side of the OpenCL accelerator: how a run is cut into kernel launches, and what the
kernel's status words mean.

The portable form runs instruction ranges in one work-group (`vta_run`); a GEMM with enough work
to fill the whole device gets a launch of its own across every compute unit (`vta_gemm`). The
cut depends only on the instruction words (opcode and GEMM loop sizes), read raw so that a
corrupted stream still runs up to its bad instruction, where the kernel reports it as the
reference simulator would.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from canopy_ir.hw import isa
from canopy_ir.hw.config import HwConfig
from canopy_ir.hw.encoding import unpack_columns
from canopy_ir.hw.isa import MemId, Opcode

# Status words written by the kernel (vta.cl): code, instruction, four details, finished.
STATUS_WORDS = 8
E_OPCODE, E_STRAY, E_MEMTYPE, E_DRAM, E_SRAM, E_LOAD_OUT = 1, 2, 3, 4, 5, 6
E_STORE_TYPE, E_STORE_PAD, E_UOP_RANGE, E_INDEX, E_ALU_OP, E_MUL = 7, 8, 9, 10, 11, 12


@dataclass(frozen=True)
class Launch:
    """`vta_run` over instructions [first, last), or `vta_gemm` of instruction `first`."""

    kernel: str
    first: int
    last: int
    items: int = 0  # GEMM work items (iteration x micro-op x lane), to size the NDRange


def gemm_items(words: np.ndarray, config: HwConfig) -> np.ndarray:
    """Per instruction: iterations x micro-ops x lanes if it is a GEMM, else 0."""
    opcodes = words[:, 0] & np.uint64(7)
    rows = np.flatnonzero(opcodes == Opcode.GEMM)
    items = np.zeros(len(words), np.int64)
    if len(rows):
        layout = isa.layouts(config).insn[Opcode.GEMM]
        columns, _ = unpack_columns(words[rows], layout)
        col = {f.name: c for f, c in zip(layout, columns, strict=True)}
        uops = np.maximum(col["uop_end"] - col["uop_bgn"], 0)
        lanes = config.batch * config.block_out
        items[rows] = col["iter_out"] * col["iter_in"] * uops * lanes
    return items


def plan(stream: bytes, config: HwConfig, split_min: int) -> list[Launch]:
    """The launches of one run: GEMMs of at least `split_min` items alone, the rest in ranges."""
    words = np.frombuffer(stream, "<u8").reshape(-1, 2)
    items = gemm_items(words, config)
    launches: list[Launch] = []
    start = 0
    for k in np.flatnonzero((items > 0) & (items >= split_min)).tolist():
        if k > start:
            launches.append(Launch("vta_run", start, k))
        launches.append(Launch("vta_gemm", k, k + 1, int(items[k])))
        start = k + 1
    if start < len(words):
        launches.append(Launch("vta_run", start, len(words)))
    return launches


def status_message(status: np.ndarray) -> str | None:
    """The error the kernel stopped with, worded as the reference simulator words it (without
    the card's prefix), or None if it did not stop."""
    code, pc, a, b, c, d = (int(v) for v in status[:6])
    if code == 0:
        return None
    where = f"instruction {pc}: "
    if code == E_OPCODE:
        return where + f"unknown opcode {a}"
    if code == E_STRAY:
        return where + f"{Opcode(a).name} has non-zero bits outside its fields (corrupted?)"
    if code == E_MEMTYPE:
        return where + f"LOAD of unknown memory type {a}"
    if code == E_DRAM:
        what = "STORE" if d == Opcode.STORE else f"LOAD {MemId(a).name}"
        return (
            where + f"{what} touches DRAM element {b}, beyond the card's {c} elements of that type"
        )
    if code == E_SRAM:
        name = "ACC" if a == MemId.OUT else MemId(a).name
        return where + f"{name} buffer access [{b}, {c}) exceeds its {d} elements"
    if code == E_LOAD_OUT:
        return where + "LOAD into memory OUT is not allowed"
    if code == E_STORE_TYPE:
        return where + "STORE must use memory type OUT"
    if code == E_STORE_PAD:
        return where + "STORE cannot pad"
    if code == E_UOP_RANGE:
        return where + f"micro-op range [{a}, {b}) is invalid"
    if code == E_INDEX:
        name = ("dst (ACC)", "src", "wgt (WGT)")[a]
        return where + f"{name} index {b} exceeds the buffer's {c} elements"
    if code == E_ALU_OP:
        return where + f"unknown ALU opcode {a}"
    if code == E_MUL:
        return where + f"MUL operand exceeds the ALU's {a}-bit multiplier"
    return where + f"unknown error code {code}"
