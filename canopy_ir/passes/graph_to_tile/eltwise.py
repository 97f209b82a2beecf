"""The residual add (`graph.qadd`) and the rescale (`graph.rescale`) on the accelerator: int8 in,
int8 out, one `tile.kernel` each. Both compute

    u = Σ_k M_k · (x_k − z_k)                    (one operand: rescale; two: qadd)
    y = clip(((u + 2^(shift−1)) >> shift) + zero_point, clip_min, clip_max)

exactly. The tensors are walked as flat runs of packed elements (elementwise ops ignore the
layout), `n` elements per tile; per tile:

    LOAD INP  x_k[e0 : e0 + n] for each operand             (load module)
    GEMM      reset acc[0 : n]
    for each base-2^7 digit j of the multipliers, most significant first:
      ALU     SHR −7 (a left shift; not before the first digit)
      GEMM    acc += x_k · (d_kj · I), one micro-op per operand
      ALU     ADD −Σ_k d_kj · z_k   (a 16-bit immediate: |d| < 2^7, |z| <= 128), unless the
              constant is folded into the rounding (`constants`, the usual case)
    ALU       the rounding shift (ADD, SHR; four steps past 15 bits), ADD zero point, MAX, MIN
    STORE     acc[0 : n] → y[e0 : e0 + n]

The multipliers (below 2^22) never meet the ALU's narrow MUL: the GEMM multiplies by one int8
digit per step and the left shifts of Horner's scheme lose nothing, so u is exact in 31 bits
(graph.py's MAX_RESCALE_MULTIPLIER bound holds for every partial sum). The digit matrices d·I
form a small weight tensor loaded once per buffer copy.

Not fused into the producing convolution's epilogue: each add reads both operands back from DRAM
(the residual branch is usually read twice anyway; fusing would need the convolution's output
tile as an accumulator operand, emitter.py's job)."""

from __future__ import annotations

from xdsl.builder import ImplicitBuilder
from xdsl.dialects.builtin import DictionaryAttr, IntegerAttr, i8, i64

from canopy_ir.dialects import graph, tile
from canopy_ir.errors import LoweringError
from canopy_ir.hw.cycles import dma_estimate, tiles_cycles
from canopy_ir.hw.isa import AluOp
from canopy_ir.hw.layout import packed_activation_shape
from canopy_ir.passes.graph_to_tile.kit import (
    IMM_MAX,
    Rect,
    add_constant,
    alu,
    diagonal_elements,
    digits,
    gemm,
    kv,
    reset,
    transfer,
)
from canopy_ir.passes.graph_to_tile.tiling import DOUBLE_BUFFER_GAIN, FIELD_MAX, ITER_MAX
from canopy_ir.quant import ALU_IMM_SHIFT_MAX, AluStep, rounding_shift_steps

DIGIT_BITS = 7  # int8 weights hold non-negative digits below 2^7


def operands(op) -> list[tuple]:
    """(value, zero point, multiplier) of each operand."""
    if isinstance(op, graph.QAddOp):
        return [
            (op.lhs, op.lhs_zero_point.value.data, op.lhs_multiplier.value.data),
            (op.rhs, op.rhs_zero_point.value.data, op.rhs_multiplier.value.data),
        ]
    return [(op.input, op.input_zero_point.value.data, op.multiplier.value.data)]


def digit_table(multipliers: list[int]) -> list[list[int]]:
    """Per digit position (most significant first), each operand's digit."""
    per = [digits(m, DIGIT_BITS) for m in multipliers]
    k = max(len(d) for d in per)
    per = [[0] * (k - len(d)) + d for d in per]
    return [[d[j] for d in per] for j in range(k)]


FOLDED_ZERO_POINT_MAX = 4 * IMM_MAX  # a zero point + q added in at most 4 immediates


def constants(op, args, table) -> tuple[list[int], list[AluStep]]:
    """Where the constant −C = −Σ_k M_k·z_k of u goes, and the ALU steps after the digits.

    Folded into the rounding when the shift s > 0 (fewer ALU passes): with K = 2^(s−1) − C =
    q·2^s + r, 0 <= r < 2^s, floor((u' − C + 2^(s−1)) / 2^s) = floor((u' + r) / 2^s) + q for the
    digits' sum u' (|u'| < 2^30): ADD r, SHR s (past 15 bits: ADD r mod 2^(s−15), SHR s−15,
    ADD r >> (s−15), SHR 15), ADD zero_point + q. Otherwise −Σ_k d_kj·z_k after each digit's GEMM
    and graph.qadd's own rounding steps. ADD immediates here may exceed 16 bits (split later)."""
    shift, zp = op.shift.value.data, op.zero_point.value.data
    clip = [AluStep("MAX", imm=op.clip_min.value.data), AluStep("MIN", imm=op.clip_max.value.data)]
    total = sum(m * z for _, z, m in args)
    if shift > 0 and total:
        q, r = divmod((1 << (shift - 1)) - total, 1 << shift)
        if abs(q + zp) <= FOLDED_ZERO_POINT_MAX:
            if shift <= ALU_IMM_SHIFT_MAX:
                steps = [AluStep("ADD", imm=r), AluStep("SHR", imm=shift)]
            else:
                low = shift - ALU_IMM_SHIFT_MAX
                steps = [
                    AluStep("ADD", imm=r % (1 << low)),
                    AluStep("SHR", imm=low),
                    AluStep("ADD", imm=r >> low),
                    AluStep("SHR", imm=ALU_IMM_SHIFT_MAX),
                ]
            return [0] * len(table), [*steps, AluStep("ADD", imm=zp + q), *clip]
    per_digit = [sum(d * z for d, (_, z, _) in zip(row, args, strict=True)) for row in table]
    return per_digit, [*rounding_shift_steps(shift), AluStep("ADD", imm=zp), *clip]


def choose_run(total: int, ops: int, pieces: int, cfg) -> tuple[int, int]:
    """(elements per tile, buffer copies): the fastest estimate of one or two copies."""
    e = cfg.elem_bytes("inp")
    best = None
    for buffers in (1, 2):
        n = min(
            total,
            cfg.depth("inp") // (buffers * ops),
            cfg.depth("acc") // buffers,
            ITER_MAX,
            FIELD_MAX,
        )
        if n < 1 or ops * pieces > cfg.depth("wgt") // buffers:
            continue
        tiles = -(-total // n)
        load = dma_estimate(n * e * (ops + 1), ops + 1, cfg)
        compute = n * (1 + ops * pieces + 3 * pieces + 6)
        estimate = tiles_cycles(load, compute, tiles, buffers)
        if best is None or (
            estimate < DOUBLE_BUFFER_GAIN * best[0] and (buffers == 1 or tiles >= 2)
        ):
            best = (estimate, n, buffers)
    if best is None:
        raise ValueError("no tile fits")
    return best[1], best[2]


def lower_eltwise(low, op) -> None:
    cfg, layer = low.cfg, op.node_name
    args = operands(op)
    table = digit_table([m for _, _, m in args])
    weights = diagonal_elements([d for row in table for d in row], cfg)
    w_name = low.weight(f"{layer}.digits", weights, i8)
    names = [low.activation(v, f"{layer}.in{k}") for k, (v, _, _) in enumerate(args)]
    dest = low.activation(op.output, f"{layer}.out")
    shape = packed_activation_shape(graph.shape_of(op.output), cfg)
    total = shape[0] * shape[1] * shape[2] * shape[3]
    ops, pieces = len(args), len(table)
    try:
        n, buffers = choose_run(total, ops, pieces, cfg)
    except ValueError:
        raise LoweringError(
            f"{ops} input elements and {ops * pieces} weight elements do not fit the buffers",
            f"layer '{layer}'",
        ) from None
    kernel = tile.KernelOp(layer)
    kernel.attributes["tiling"] = DictionaryAttr(
        {
            "elements": IntegerAttr(n, i64),
            "digits": IntegerAttr(pieces, i64),
            "buffers": IntegerAttr(buffers, i64),
        }
    )
    per_digit, tail = constants(op, args, table)
    with ImplicitBuilder(kernel.body):
        bufs = []
        for _ in range(buffers):
            acc = tile.AllocOp("acc", n).buf
            inp = tile.AllocOp("inp", n * ops).buf
            wgt = tile.AllocOp("wgt", ops * pieces).buf
            kv(
                tile.LoadOp,
                [wgt],
                tensor=w_name,
                y_size=1,
                x_size=ops * pieces,
                x_stride=ops * pieces,
            )
            bufs.append((acc, inp, wgt))
        for t, e0 in enumerate(range(0, total, n)):
            acc, inp, wgt = bufs[t % buffers]
            size = min(n, total - e0)
            for k, name in enumerate(names):
                transfer(
                    tile.LoadOp,
                    inp,
                    offset=k * n,
                    tensor=name,
                    dram_offset=e0,
                    y_size=1,
                    x_size=size,
                )
            reset(acc, inp, wgt, [0], 1, size)
            whole = Rect(0, 1, 0, size)
            for j, row in enumerate(table):
                if j:
                    alu(acc, AluOp.SHR, whole, size, [0], imm=-DIGIT_BITS)
                uops = [v for k, d in enumerate(row) if d for v in (0, k * n, j * ops + k)]
                if uops:
                    gemm(acc, inp, wgt, uops, iter_in=size, dst_factor_in=1, src_factor_in=1)
                add_constant(acc, -per_digit[j], whole, size, [0])
            for step in tail:
                if step.op == "ADD":
                    add_constant(acc, step.imm, whole, size, [0])  # none when 0
                else:
                    alu(acc, AluOp[step.op], whole, size, [0], imm=step.imm)
            transfer(
                tile.StoreOp, acc, offset=0, tensor=dest, dram_offset=e0, y_size=1, x_size=size
            )
    low.kernels.append(kernel)
