"""Functional simulator of the accelerator: bit-exact VTA semantics over a card's DRAM image.

The simulator implements the instruction semantics of `docs/isa.md` §4 and models the three
modules (load, compute, store) and the four dependency-token queues between them (`docs/isa.md`
§5). A `policy` chooses which ready module runs next: any correct stream gives the same result
under every policy, so tests run several to expose missing tokens. `policy="sequential"` ignores
tokens and runs in program order (the meaning of a stream before `insert-deps`). Each instruction
is executed with numpy over its whole micro-op loop nest.

This is the interpreting simulator, instruction by instruction: the reference. A card runs the same
stream over and over, and compiles it once instead (`sim_plan.CompiledStream`: the execution order
recorded, loops turned into a few numpy calls each), which gives the same DRAM, buffers, statistics
and errors as `run` (`tests/hw/test_simulator_compiled.py`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from canopy_ir.errors import DeviceError
from canopy_ir.hw.config import HwConfig
from canopy_ir.hw.isa import (
    AluInsn,
    AluOp,
    FinishInsn,
    GemmInsn,
    Insn,
    LoadInsn,
    MemId,
    Module,
    StoreInsn,
    decode_uops,
)
from canopy_ir.hw.schedule import DEFAULT_QUEUE_DEPTH, PIPELINE_ORDER, Plan, schedule
from canopy_ir.hw.sim_blas import single_blas_thread


@dataclass
class SimStats:
    insns: int = 0
    by_opcode: dict[str, int] = field(default_factory=dict)
    macs: int = 0
    alu_lanes: int = 0
    dram_read_bytes: int = 0
    dram_write_bytes: int = 0
    finished: bool = False


class FunctionalSimulator:
    """Executes decoded instructions against `dram` (a uint8 array: the card's memory)."""

    def __init__(self, config: HwConfig, dram: np.ndarray, queue_depth: int = DEFAULT_QUEUE_DEPTH):
        self.cfg = config
        self.dram = dram
        self.queue_depth = queue_depth
        b, bi, bo = config.batch, config.block_in, config.block_out
        self.inp = np.zeros((config.depth("inp"), b, bi), np.int8)
        self.wgt = np.zeros((config.depth("wgt"), bo, bi), np.int8)
        self.acc = np.zeros((config.depth("acc"), b, bo), np.int32)
        self.uop = [np.zeros(config.depth("uop"), np.int64) for _ in range(3)]  # dst, src, wgt
        self.stats = SimStats()
        self._views: dict[int, np.ndarray] = {}
        self._buffers = {
            MemId.INP: self.inp,
            MemId.WGT: self.wgt,
            MemId.ACC: self.acc,
            MemId.ACC_8BIT: self.acc,
        }

    def reset(self) -> None:
        """Zero every buffer and the statistics, as a freshly made simulator has them."""
        for buf in (self.inp, self.wgt, self.acc, *self.uop):
            buf.fill(0)
        self.stats = SimStats()

    # ---- DRAM views: element arrays over the card memory, indexed by dram_base ----------------
    def _dram_view(self, mem: int) -> np.ndarray:
        view = self._views.get(mem)
        if view is None:
            cfg = self.cfg
            b, bi, bo = cfg.batch, cfg.block_in, cfg.block_out
            dtype, shape = {
                MemId.INP: (np.int8, (b, bi)),
                MemId.WGT: (np.int8, (bo, bi)),
                MemId.ACC: (np.int32, (b, bo)),
                MemId.ACC_8BIT: (np.int8, (b, bo)),
                MemId.OUT: (np.int8, (b, bo)),
                MemId.UOP: (np.uint32, ()),
            }[MemId(mem)]
            elem = int(np.prod(shape, dtype=np.int64)) * np.dtype(dtype).itemsize
            usable = len(self.dram) // elem * elem
            view = self._views[mem] = self.dram[:usable].view(dtype).reshape(-1, *shape)
        return view

    def _dram_rows(self, insn, index: int, view: np.ndarray) -> np.ndarray:
        """The y_size x x_size DRAM elements of a LOAD/STORE as a (zero-copy) view."""
        end = insn.dram_base + (insn.y_size - 1) * insn.x_stride + insn.x_size
        if insn.y_size and end > len(view):
            what = (
                "STORE" if isinstance(insn, StoreInsn) else f"LOAD {MemId(insn.memory_type).name}"
            )
            raise DeviceError(
                f"{what} touches DRAM element {end - 1}, beyond the card's "
                f"{len(view)} elements of that type",
                f"instruction {index}",
            )
        if insn.y_size == 1 or insn.x_stride == insn.x_size:  # contiguous: a plain slice
            flat = view[insn.dram_base : insn.dram_base + insn.y_size * insn.x_size]
            return flat.reshape(insn.y_size, insn.x_size, *view.shape[1:])
        return np.lib.stride_tricks.as_strided(
            view[insn.dram_base :],
            shape=(insn.y_size, insn.x_size, *view.shape[1:]),
            strides=(insn.x_stride * view.strides[0], *view.strides),
        )

    # ---- instructions --------------------------------------------------------------------
    def _load(self, insn: LoadInsn, index: int) -> None:
        if insn.x_size == 0:
            return
        mem = insn.memory_type
        view = self._dram_view(mem)
        data = self._dram_rows(insn, index, view)
        rows = insn.y_pad_0 + insn.y_size + insn.y_pad_1
        cols = insn.x_pad_0 + insn.x_size + insn.x_pad_1
        padded = rows != insn.y_size or cols != insn.x_size
        if mem == MemId.UOP:
            self._check_sram(insn, index, rows * cols, len(self.uop[0]))
            decoded = decode_uops(data.astype("<u4").tobytes(), self.cfg)
            for k, column in enumerate((decoded.dst, decoded.src, decoded.wgt)):
                block = np.zeros((rows, cols), np.int64)
                block[
                    insn.y_pad_0 : insn.y_pad_0 + insn.y_size,
                    insn.x_pad_0 : insn.x_pad_0 + insn.x_size,
                ] = column.reshape(data.shape[:2])
                self.uop[k][insn.sram_base : insn.sram_base + rows * cols] = block.reshape(-1)
            self.stats.dram_read_bytes += data.size * 4
            return
        buf = self._buffers.get(mem)
        if buf is None:
            raise DeviceError(
                f"LOAD into memory {MemId(mem).name} is not allowed", f"instruction {index}"
            )
        self._check_sram(insn, index, rows * cols, len(buf))
        target = buf[insn.sram_base : insn.sram_base + rows * cols]
        if padded:
            block = target.reshape(rows, cols, *buf.shape[1:])
            block[...] = 0  # every padding element is zero
            block[
                insn.y_pad_0 : insn.y_pad_0 + insn.y_size, insn.x_pad_0 : insn.x_pad_0 + insn.x_size
            ] = data
        else:
            target[...] = data.reshape(-1, *buf.shape[1:])
        self.stats.dram_read_bytes += data.size * data.itemsize

    def _check_sram(self, insn, index: int, count: int, depth: int) -> None:
        if insn.sram_base + count > depth:
            name = "ACC" if isinstance(insn, StoreInsn) else MemId(insn.memory_type).name
            raise DeviceError(
                f"{name} buffer access [{insn.sram_base}, {insn.sram_base + count}) exceeds its "
                f"{depth} elements",
                f"instruction {index}",
            )

    def _store(self, insn: StoreInsn, index: int) -> None:
        if insn.x_size == 0:
            return
        if insn.memory_type != MemId.OUT:
            raise DeviceError("STORE must use memory type OUT", f"instruction {index}")
        if insn.y_pad_0 or insn.y_pad_1 or insn.x_pad_0 or insn.x_pad_1:
            raise DeviceError("STORE cannot pad", f"instruction {index}")
        view = self._dram_view(MemId.OUT)
        target = self._dram_rows(insn, index, view)
        count = insn.y_size * insn.x_size
        self._check_sram(insn, index, count, len(self.acc))
        # Narrowing keeps the low bits (two's complement wrap), it does not saturate.
        values = self.acc[insn.sram_base : insn.sram_base + count].astype(np.int8)
        values = values.reshape(insn.y_size, insn.x_size, *values.shape[1:])
        if insn.x_stride >= insn.x_size or insn.y_size == 1:
            target[...] = values  # rows do not overlap
        else:  # overlapping rows: later rows win, as in the hardware's row order
            for y in range(insn.y_size):
                target[y] = values[y]
        self.stats.dram_write_bytes += values.nbytes

    def _loop_indices(self, insn, index: int, src_depth: int, with_wgt: bool):
        if insn.uop_end > len(self.uop[0]) or insn.uop_bgn > insn.uop_end:
            raise DeviceError(
                f"micro-op range [{insn.uop_bgn}, {insn.uop_end}) is invalid",
                f"instruction {index}",
            )
        k = slice(insn.uop_bgn, insn.uop_end)
        i = np.arange(insn.iter_out)[:, None, None]
        j = np.arange(insn.iter_in)[None, :, None]
        dst = (
            self.uop[0][k][None, None, :] + i * insn.dst_factor_out + j * insn.dst_factor_in
        ).reshape(-1)
        src = (
            self.uop[1][k][None, None, :] + i * insn.src_factor_out + j * insn.src_factor_in
        ).reshape(-1)
        checks = [("dst (ACC)", dst, len(self.acc)), ("src", src, src_depth)]
        wgt = None
        if with_wgt:
            wgt = (
                self.uop[2][k][None, None, :] + i * insn.wgt_factor_out + j * insn.wgt_factor_in
            ).reshape(-1)
            checks.append(("wgt (WGT)", wgt, len(self.wgt)))
        for name, arr, depth in checks:
            if arr.size and arr.max() >= depth:
                raise DeviceError(
                    f"{name} index {int(arr.max())} exceeds the buffer's {depth} elements",
                    f"instruction {index}",
                )
        return dst, src, wgt

    def _gemm(self, insn: GemmInsn, index: int) -> None:
        dst, src, wgt = self._loop_indices(insn, index, len(self.inp), with_wgt=True)
        if insn.reset_reg:
            self.acc[dst] = 0
            return
        if len(dst) == 0:
            return
        uops = insn.uop_end - insn.uop_bgn
        self.stats.macs += len(dst) * self.cfg.batch * self.cfg.block_out * self.cfg.block_in
        if insn.wgt_factor_out == 0 and insn.wgt_factor_in == 0:
            self._gemm_by_destination(insn, dst, src, wgt[:uops], uops)
            return
        # General case: one BLOCK_IN-long int8 dot product per (iteration, micro-op) is below
        # 2^24 in magnitude, so float32 is exact for it; sums across them are done in integers.
        x = self.inp[src].astype(np.float32)
        prod = np.einsum("nbk,nok->nbo", x, self.wgt[wgt].astype(np.float32))
        self._accumulate(dst, prod.astype(np.int64))

    def _gemm_by_destination(self, insn: GemmInsn, dst, src, wgt, uops: int) -> None:
        """Weights that depend on the micro-op only (convolutions, dense layers): the micro-ops
        that share a destination (every tap and input block of one output block) form one
        im2col matrix product, in float64 (exact: |sum| < 2^53)."""
        iters = len(dst) // uops
        b, bi, bo = self.cfg.batch, self.cfg.block_in, self.cfg.block_out
        x = self.inp[src].reshape(iters, uops, b, bi)
        dst = dst.reshape(iters, uops)
        uop_dst = self.uop[0][insn.uop_bgn : insn.uop_end]
        starts = np.flatnonzero(np.r_[True, uop_dst[1:] != uop_dst[:-1]])
        groups = len(starts)
        if (
            uops % groups == 0
            and np.all(np.diff(np.r_[starts, uops]) == uops // groups)
            and len(np.unique(uop_dst[starts])) == groups
        ):
            # equal, contiguous groups (a convolution's taps x input blocks per output block):
            # one batched matrix product for all of them
            per = uops // groups
            cols = x.reshape(iters, groups, per, b, bi).transpose(1, 0, 3, 2, 4)
            cols = cols.reshape(groups, iters * b, per * bi).astype(np.float64)
            w = self.wgt[wgt].reshape(groups, per, bo, bi).transpose(0, 1, 3, 2)
            w = w.reshape(groups, per * bi, bo).astype(np.float64)
            sums = np.matmul(cols, w).astype(np.int64)  # (groups, iters*b, bo)
            sums = sums.reshape(groups, iters, b, bo).transpose(1, 0, 2, 3).reshape(-1, b, bo)
            targets = dst[:, starts].reshape(-1)
            self._accumulate(targets, sums)
            return
        for d in np.unique(uop_dst):
            sel = np.flatnonzero(uop_dst == d)
            cols = x[:, sel].transpose(0, 2, 1, 3).reshape(iters * self.cfg.batch, -1)
            w = self.wgt[wgt[sel]].transpose(0, 2, 1).reshape(-1, self.cfg.block_out)
            sums = (cols.astype(np.float64) @ w.astype(np.float64)).astype(np.int64)
            sums = sums.reshape(iters, self.cfg.batch, self.cfg.block_out)
            targets = dst[:, sel[0]]
            self._accumulate(targets, sums)

    def _accumulate(self, dst: np.ndarray, values: np.ndarray) -> None:
        """acc[dst[n]] += values[n] for every n; repeated destinations add up; wraps at 32 bit."""
        if len(np.unique(dst)) == len(dst):  # distinct destinations: a plain indexed add
            self.acc[dst] = (self.acc[dst].astype(np.int64) + values).astype(np.int32)
            return
        order = np.argsort(dst, kind="stable")
        sorted_dst = dst[order]
        starts = np.flatnonzero(np.r_[True, sorted_dst[1:] != sorted_dst[:-1]])
        sums = np.add.reduceat(values[order], starts, axis=0)
        targets = sorted_dst[starts]
        self.acc[targets] = (self.acc[targets].astype(np.int64) + sums).astype(np.int32)

    def _alu(self, insn: AluInsn, index: int) -> None:
        dst, src, _ = self._loop_indices(insn, index, len(self.acc), with_wgt=False)
        if insn.reset_reg:
            self.acc[dst] = 0
            return
        op = AluOp(insn.alu_opcode)
        if op == AluOp.MUL:
            operand = np.int64(insn.imm) if insn.use_imm else self.acc[src]
            limit = 1 << (self.cfg.ALU_MUL_BITS - 1)
            if np.any(operand < -limit) or np.any(operand >= limit):
                raise DeviceError(
                    f"MUL operand exceeds the ALU's {self.cfg.ALU_MUL_BITS}-bit multiplier",
                    f"instruction {index}",
                )
        n = np.arange(len(dst))
        first_write = np.full(len(self.acc), len(dst), np.int64)
        np.minimum.at(first_write, dst, n)
        unique_dst = len(np.unique(dst)) == len(dst)
        reads_written = (not insn.use_imm) and bool(np.any(first_write[src] < n))
        if unique_dst and not reads_written:
            rhs = np.int32(insn.imm) if insn.use_imm else self.acc[src]
            self.acc[dst] = _alu_apply(op, self.acc[dst], rhs)
        else:  # the loop reads values it wrote itself: keep the hardware's sequential order
            for d, s in zip(dst, src, strict=True):
                rhs = np.int32(insn.imm) if insn.use_imm else self.acc[s].copy()
                self.acc[d] = _alu_apply(op, self.acc[d], rhs)
        self.stats.alu_lanes += len(dst) * self.cfg.batch * self.cfg.block_out

    def execute(self, insn: Insn, index: int) -> None:
        name = type(insn).__name__
        self.stats.insns += 1
        self.stats.by_opcode[name] = self.stats.by_opcode.get(name, 0) + 1
        if isinstance(insn, LoadInsn):
            self._load(insn, index)
        elif isinstance(insn, StoreInsn):
            self._store(insn, index)
        elif isinstance(insn, GemmInsn):
            self._gemm(insn, index)
        elif isinstance(insn, AluInsn):
            self._alu(insn, index)
        elif isinstance(insn, FinishInsn):
            self.stats.finished = True

    # ---- scheduling over the three modules --------------------------------------------------
    def run(
        self,
        insns: Sequence[Insn],
        policy: str | Sequence[Module] = PIPELINE_ORDER,
        plan: Plan | None = None,
    ) -> SimStats:
        with single_blas_thread():  # its matrix products are small (see sim_blas)
            if policy == "sequential":
                for i, insn in enumerate(insns):
                    self.execute(insn, i)
            else:
                schedule(insns, policy, self.queue_depth, self.execute, plan)
        return self.stats


def _alu_apply(op: AluOp, a: np.ndarray, b) -> np.ndarray:
    a = np.asarray(a, np.int32)
    if op == AluOp.MIN:
        return np.minimum(a, b)
    if op == AluOp.MAX:
        return np.maximum(a, b)
    if op == AluOp.ADD:
        return (a.astype(np.int64) + b).astype(np.int32)  # wraps at 32 bits
    if op == AluOp.MUL:
        return (a.astype(np.int64) * b).astype(np.int32)  # low 32 bits of the product
    if op == AluOp.SHR:
        # y >= 0: arithmetic shift right; y < 0: shift left. Amounts saturate at 31 / 32 bits.
        b = np.broadcast_to(np.asarray(b, np.int64), a.shape)
        right = a.astype(np.int64) >> np.minimum(b, 31).clip(0)
        left = (a.astype(np.int64) << np.minimum(-b, 32).clip(0)).astype(np.int64)
        return np.where(b >= 0, right, left).astype(np.int32)
    raise DeviceError(f"unknown ALU opcode {op}")
