"""GEMM and ALU instructions compiled into numpy steps for `sim_plan.CompiledStream`.

A step is a pair `(function, args)`; running it is `function(*args)`. The steps are bound once to
the simulator's buffers, with every index the instruction's micro-op loop nest reaches worked out
in advance from the micro-ops the compiled stream knows are loaded (`docs/isa.md` §4).

GEMM: the micro-ops are grouped by destination (a convolution's taps and input blocks of one output
block), and each group becomes one matrix product of the gathered input rows (an im2col matrix)
with the group's weights, in float32. Every product of two int8 values is at most 2^14 in
magnitude, so a sum of at most 1024 of them, and every partial sum on the way, is an integer below
2^24: float32 holds it exactly whatever order BLAS adds in. Longer reductions are split into
chunks of 1024, each converted to int32 and added with 32-bit wrap-around, as the accumulators do.

ALU: a loop whose destinations are distinct and which never reads an accumulator it wrote itself
is one vectorised operation, in place when its destinations form a contiguous range.

A function returns None where it does not handle an instruction; the compiled stream then runs it
through the simulator itself.
"""

from __future__ import annotations

import numpy as np

from canopy_ir.hw.isa import AluInsn, AluOp, GemmInsn
from canopy_ir.hw.simulator import _alu_apply

CHUNK = 1024  # longest int8 x int8 reduction that float32 sums exactly (1024 * 2^14 = 2^24)

Step = tuple  # (function, args)


def _contiguous(idx: np.ndarray) -> bool:
    """Whether `idx` is lo, lo + 1, ..., lo + n - 1."""
    return (
        len(idx) > 0
        and int(idx[-1]) - int(idx[0]) == len(idx) - 1
        and bool(np.all(np.diff(idx) == 1))
    )


def zero_steps(acc: np.ndarray, dst: np.ndarray) -> list[Step]:
    """acc[dst] = 0 (a reset GEMM or ALU)."""
    rows = np.unique(dst)
    if len(rows) == 0:
        return []
    if _contiguous(rows):
        return [(acc[int(rows[0]) : int(rows[-1]) + 1].fill, (0,))]
    return [(acc.__setitem__, (rows, 0))]


# ---- GEMM --------------------------------------------------------------------------------------


def gemm_steps(sim, wgt_t: np.ndarray, insn: GemmInsn, uops) -> list[Step] | None:
    """acc[dst] += inp[src] x wgt[w]^T over the loop nest, for weights that depend on the micro-op
    only (wgt_factor_out = wgt_factor_in = 0) and destination groups of equal size. `wgt_t` is the
    weight buffer in float32, each element transposed to [BLOCK_IN][BLOCK_OUT]; `uops` holds the
    (dst, src, wgt) columns of micro-ops uop_bgn..uop_end."""
    if insn.wgt_factor_out or insn.wgt_factor_in:
        return None
    ud, us, uw = uops
    io, ii = insn.iter_out, insn.iter_in
    b, bi, bo = sim.cfg.batch, sim.cfg.block_in, sim.cfg.block_out
    order = np.lexsort((uw, ud))  # by destination, then by weight element
    heads, counts = np.unique(ud[order], return_counts=True)
    if np.any(counts != counts[0]):
        return None
    groups, per = len(heads), int(counts[0])
    ks, ws = us[order], uw[order]
    k, m = per * bi, io * ii

    # weights: (groups, K, BO), a view of wgt_t when the groups read consecutive elements
    if _contiguous(ws):
        weights = wgt_t[int(ws[0]) : int(ws[0]) + len(ws)].reshape(groups, k, bo)
        gather_w = None
    else:
        weights, gather_w = None, ws

    # inputs: element ks[p] + i * src_factor_out + j * src_factor_in, gathered into an im2col
    # matrix of M rows (iterations) and the micro-ops' input elements, in float32
    offs = np.arange(io)[:, None] * insn.src_factor_out + np.arange(ii) * insn.src_factor_in
    offs = offs.reshape(-1)
    inp = sim.inp

    # destinations: group head + i * dst_factor_out + j * dst_factor_in, in (group, i, j) order
    dsts = np.arange(io)[:, None] * insn.dst_factor_out + np.arange(ii) * insn.dst_factor_in
    add = _accumulator(sim.acc, (heads[:, None] + dsts.reshape(1, -1)).reshape(-1))

    def gemm():
        x = np.take(inp, np.add.outer(offs, ks), axis=0).astype(np.float32)
        if b == 1:
            x = x.reshape(m, groups, k).transpose(1, 0, 2)
        else:
            x = x.reshape(m, groups, per, b, bi).transpose(1, 0, 3, 2, 4).reshape(groups, m * b, k)
        w = weights if gather_w is None else wgt_t[gather_w].reshape(groups, k, bo)
        y = np.matmul(x[:, :, :CHUNK], w[:, :CHUNK]).astype(np.int32)
        for c in range(CHUNK, k, CHUNK):
            y += np.matmul(x[:, :, c : c + CHUNK], w[:, c : c + CHUNK]).astype(np.int32)
        add(y.reshape(groups * m, b, bo))

    return [(gemm, ())]


def _accumulator(acc: np.ndarray, targets: np.ndarray):
    """A function adding values[n] into acc[targets[n]] for every n, with 32-bit wrap-around;
    repeated targets add up."""
    if _contiguous(targets):
        view = acc[int(targets[0]) : int(targets[-1]) + 1]
        return lambda values: np.add(view, values, out=view)
    if len(np.unique(targets)) == len(targets):

        def scatter(values):
            acc[targets] += values

        return scatter
    order = np.argsort(targets, kind="stable")
    ordered = targets[order]
    starts = np.flatnonzero(np.r_[True, ordered[1:] != ordered[:-1]])
    rows = ordered[starts]

    def reduce(values):
        acc[rows] += np.add.reduceat(values[order], starts, axis=0)

    return reduce


# ---- ALU ---------------------------------------------------------------------------------------


def alu_steps(sim, insn: AluInsn, dst: np.ndarray, src: np.ndarray) -> list[Step] | None:
    """acc[dst] = op(acc[dst], imm or acc[src]) for a loop without read-after-write hazards; None
    for MUL of two accumulators (its operand check depends on the data), operands the simulator
    rejects, and loops that read their own results."""
    try:
        op = AluOp(insn.alu_opcode)
    except ValueError:
        return None
    acc = sim.acc
    if op == AluOp.MUL:
        limit = 1 << (sim.cfg.ALU_MUL_BITS - 1)
        if not insn.use_imm or not -limit <= insn.imm < limit:
            return None
    n = np.arange(len(dst))
    if len(np.unique(dst)) != len(dst):
        return None
    if not insn.use_imm:
        first_write = np.full(len(acc), len(dst), np.int64)
        first_write[dst] = n
        if np.any(first_write[src] < n):
            return None
    if len(dst) == 0:
        return []
    order = np.argsort(dst, kind="stable")
    dst, src = dst[order], src[order]
    if not _contiguous(dst):
        rhs = np.int32(insn.imm) if insn.use_imm else None
        return [(_alu_gather, (acc, op, dst, src, rhs))]
    view = acc[int(dst[0]) : int(dst[-1]) + 1]
    if not insn.use_imm:
        return [(_alu_rows, (acc, op, view, src))]
    imm = int(insn.imm)
    inplace = {AluOp.MIN: np.minimum, AluOp.MAX: np.maximum, AluOp.ADD: np.add}
    if op in inplace:
        return [(_inplace, (inplace[op], view, np.int32(imm)))]
    if op == AluOp.SHR and imm >= 0:
        return [(_inplace, (np.right_shift, view, np.int32(min(imm, 31))))]
    return [(_alu_into, (view, op, np.int32(imm)))]


def _inplace(ufunc, view, rhs) -> None:
    ufunc(view, rhs, out=view)


def _alu_into(view, op, rhs) -> None:
    view[...] = _alu_apply(op, view, rhs)


def _alu_rows(acc, op, view, src) -> None:
    rhs = acc[src]
    if op == AluOp.ADD:
        np.add(view, rhs, out=view)
    elif op == AluOp.MIN:
        np.minimum(view, rhs, out=view)
    elif op == AluOp.MAX:
        np.maximum(view, rhs, out=view)
    else:
        view[...] = _alu_apply(op, view, rhs)


def _alu_gather(acc, op, dst, src, rhs) -> None:
    acc[dst] = _alu_apply(op, acc[dst], acc[src] if rhs is None else rhs)
