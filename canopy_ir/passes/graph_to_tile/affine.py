"""The per-channel affine map (`graph.qaffine`, a quantized BatchNormalization) on the
accelerator: int8 in, int8 out, one `tile.kernel`. It computes

    u = M_c · x + O'_c,   O'_c = O_c − M_c · z_x + 2^(shift−1) (+ zero_point · 2^shift)
    y = clip((u >> shift) (+ zero_point), clip_min, clip_max)

exactly, which is graph.qaffine's formula with the input zero point's and the rounding's
constants folded into one int32 per channel, and the output zero point too where every sum stays
inside 31 bits. A packed activation holds, for each image and channel block,
H·W consecutive elements (hw/layout.py): the kernel walks these runs, whole runs per tile (or
pieces of one run when a run does not fit), so that the elements of a run share their channels'
parameters. Per tile of `runs` runs of `length` elements:

    LOAD WGT  the digit matrices of the tile's channel blocks        (load module)
    LOAD INP  x[e0 : e0 + runs · length]
    LOAD ACC  O' of the tile's channel blocks, one slot per run
    GEMM      reset acc[0 : runs · length]
    for each balanced base-2^8 digit j of M (−128..127), most significant first:
      ALU     SHR −8 (a left shift; not before the first digit)
      GEMM    acc += x · diag(d_cj), the run's block's matrix (wgt_factor_out)
    ALU       ADD the run's slot (broadcast over the run), SHR shift, (ADD zero point,) MAX, MIN
    STORE     acc[0 : runs · length] → y

As in eltwise.py, the multipliers (|M| < 2^22) never meet the ALU's narrow MUL: the GEMM
multiplies by one int8 digit per step, and every partial sum stays inside 31 bits
(graph.MAX_AFFINE_OFFSET). Signed digits use all of int8, so 22 bits take three digits, not the
four of 7-bit ones."""

from __future__ import annotations

import numpy as np
from xdsl.builder import ImplicitBuilder
from xdsl.dialects.builtin import DictionaryAttr, IntegerAttr, i8, i32, i64

from canopy_ir.dialects import graph, tile
from canopy_ir.errors import LoweringError
from canopy_ir.hw.isa import AluOp
from canopy_ir.hw.layout import pack_bias, packed_activation_shape
from canopy_ir.passes.graph_to_tile.kit import (
    Rect,
    add_constant,
    alu,
    gemm,
    kv,
    loop,
    reset,
    transfer,
)
from canopy_ir.passes.graph_to_tile.tiling import FIELD_MAX, ITER_MAX

SIGNED_DIGIT_BITS = 8  # int8 weights hold the balanced base-256 digits −128..127


def signed_digits(m: int) -> list[int]:
    """m in balanced base 2^8 (digits −128..127), most significant first: m = Σ d_j · 256^j.
    A 22-bit multiplier takes three digits (unsigned 7-bit ones: four)."""
    out = []
    while m or not out:
        d = (m + 128) % 256 - 128
        out.append(d)
        m = (m - d) >> SIGNED_DIGIT_BITS
    return out[::-1]


def digit_matrices(multipliers: list[int], cfg) -> tuple[np.ndarray, int]:
    """(weight elements [blocks · k, BO, BI] int8, k): per channel block b and digit j (most
    significant first) diag(d_cj) of the block's channels c, the signed digits of their
    multipliers. Horner's partial sums stay below |x · M| + |x| · 2^8 < 2^30."""
    per_channel = [signed_digits(m) for m in multipliers]
    k = max(len(d) for d in per_channel)
    blocks = -(-len(multipliers) // cfg.block_out)
    lanes = np.zeros((blocks * cfg.block_out, k), np.int64)
    for c, d in enumerate(per_channel):
        lanes[c, k - len(d) :] = d
    per = lanes.reshape(blocks, cfg.block_out, k).transpose(0, 2, 1)  # [block, digit, lane]
    eye = np.eye(cfg.block_out, dtype=np.int64)
    matrices = (per[..., None] * eye).reshape(blocks * k, cfg.block_out, cfg.block_in)
    return matrices.astype(np.int8), k


def choose_tiles(run: int, blocks: int, k: int, cfg) -> tuple[int, int, int]:
    """(runs per tile, elements per run piece, buffer copies): whole runs per tile where a run
    and its slot fit the buffers, else pieces of one run; two copies where the kernel has more
    than one tile (the load of the next overlaps the compute of this one)."""
    fits = None
    for buffers in (2, 1):
        acc, inp, wgt = (cfg.depth(b) // buffers for b in ("acc", "inp", "wgt"))
        if wgt < k or acc < 2:
            continue
        if run + 1 <= acc and run <= inp:
            runs = min(blocks, acc // (run + 1), inp // run, wgt // k, ITER_MAX)
            fits = (runs, run, buffers)
        else:
            fits = (1, min(run, acc - 1, inp, ITER_MAX, FIELD_MAX), buffers)
        tiles = -(-blocks // fits[0]) * -(-run // fits[1])
        if buffers == 1 or tiles >= 2:
            return fits
    if fits is None:
        raise ValueError("no tile fits")
    return fits


def tiles_of(images: int, blocks: int, run: int, runs: int, length: int):
    """(first block, runs, first element of the run piece, elements) of each tile, per image."""
    for n in range(images):
        if runs > 1 or length == run:
            for b0 in range(0, blocks, runs):
                yield n, b0, min(runs, blocks - b0), 0, run
        else:
            for b in range(blocks):
                for h0 in range(0, run, length):
                    yield n, b, 1, h0, min(length, run - h0)


def lower_affine(low, op: graph.QAffineOp) -> None:
    cfg, layer = low.cfg, op.node_name
    multipliers = list(op.multipliers.get_values())
    shift, zx = op.shift.value.data, op.input_zero_point.value.data
    folded = np.array(op.offsets.get_values(), np.int64) - np.array(multipliers, np.int64) * zx
    folded += (1 << (shift - 1)) if shift else 0
    # The zero point joins the constant where every sum stays inside 31 bits (one ALU pass less).
    zero_point = op.zero_point.value.data
    with_zero_point = folded + (zero_point << shift)
    extremes = np.outer([-128, 127], multipliers) + with_zero_point
    if max(np.abs(extremes).max(), np.abs(with_zero_point).max()) < 1 << 31:
        folded, zero_point = with_zero_point, 0
    weights, k = digit_matrices(multipliers, cfg)
    w_name = low.weight(f"{layer}.digits", weights, i8)
    o_name = low.weight(f"{layer}.offsets", pack_bias(folded, cfg), i32)
    source = low.activation(op.input, f"{layer}.in0")
    dest = low.activation(op.output, f"{layer}.out")
    images, blocks, h, w = packed_activation_shape(graph.shape_of(op.output), cfg)[:4]
    run = h * w
    try:
        runs, length, buffers = choose_tiles(run, blocks, k, cfg)
    except ValueError:
        raise LoweringError(
            f"{k} digit matrices or a run of {run} elements do not fit the buffers",
            f"layer '{layer}'",
        ) from None
    capacity = runs * length  # accumulator elements of a tile; the runs' slots follow
    kernel = tile.KernelOp(layer)
    kernel.attributes["tiling"] = DictionaryAttr(
        {
            "runs": IntegerAttr(runs, i64),
            "elements": IntegerAttr(length, i64),
            "digits": IntegerAttr(k, i64),
            "buffers": IntegerAttr(buffers, i64),
        }
    )
    with ImplicitBuilder(kernel.body):
        bufs = [
            (
                tile.AllocOp("acc", capacity + runs).buf,
                tile.AllocOp("inp", capacity).buf,
                tile.AllocOp("wgt", runs * k).buf,
            )
            for _ in range(buffers)
        ]
        for t, (n, b0, count, h0, size) in enumerate(tiles_of(images, blocks, run, runs, length)):
            acc, inp, wgt = bufs[t % buffers]
            e0, total = (n * blocks + b0) * run + h0, count * size
            load = dict(y_size=1, x_size=count * k, x_stride=count * k)
            kv(tile.LoadOp, [wgt], offset=0, tensor=w_name, dram_offset=b0 * k, **load)
            transfer(tile.LoadOp, inp, offset=0, tensor=source, dram_offset=e0, y_size=1,
                     x_size=total)  # fmt: skip
            kv(tile.LoadOp, [acc], offset=capacity, tensor=o_name, dram_offset=b0, y_size=1,
               x_size=count, x_stride=count)  # fmt: skip
            reset(acc, inp, wgt, [0], 1, total)
            whole = Rect(0, 1, 0, total)
            runs_loop = dict(iter_out=count, iter_in=size, dst_factor_out=size, dst_factor_in=1)
            for j in range(k):
                if j:
                    alu(acc, AluOp.SHR, whole, total, [0], imm=-SIGNED_DIGIT_BITS)
                gemm(acc, inp, wgt, [0, 0, j], **runs_loop, src_factor_out=size, src_factor_in=1,
                     wgt_factor_out=k, wgt_factor_in=0)  # fmt: skip
            kv(tile.AluOp, [acc], op=int(AluOp.ADD), **loop(**runs_loop, src_factor_out=1),
               uops=[0, capacity])  # fmt: skip
            if shift:
                alu(acc, AluOp.SHR, whole, total, [0], imm=shift)
            add_constant(acc, zero_point, whole, total, [0])  # none when folded
            alu(acc, AluOp.MAX, whole, total, [0], imm=op.clip_min.value.data)
            alu(acc, AluOp.MIN, whole, total, [0], imm=op.clip_max.value.data)
            transfer(tile.StoreOp, acc, offset=0, tensor=dest, dram_offset=e0, y_size=1,
                     x_size=total)  # fmt: skip
    low.kernels.append(kernel)
