"""Interpreter of the `tile` dialect: DRAM tensors by name, on-chip buffers per `tile.alloc`.

Written independently of the accelerator simulator (plain index arithmetic over each op's loop
nest), so that checking `tile-to-accel` against it means something. A `tile.repeat` runs its
template ops again, op by op, with the buffers and DRAM offsets of each repetition.
"""

from __future__ import annotations

import numpy as np
from xdsl.dialects.builtin import ModuleOp

from canopy_ir.dialects import tile
from canopy_ir.errors import CanopyError
from canopy_ir.hw.config import HwConfig
from canopy_ir.hw.isa import AluOp
from canopy_ir.ir import module_config, pool_of
from canopy_ir.quant import wrap_i32


def _elements(raw: np.ndarray, space: str, cfg: HwConfig) -> np.ndarray:
    """View a tensor's bytes as elements of an on-chip buffer type."""
    b, bi, bo = cfg.batch, cfg.block_in, cfg.block_out
    dtype, shape = {
        "inp": (np.int8, (b, bi)),
        "wgt": (np.int8, (bo, bi)),
        "acc": (np.int32, (b, bo)),
        "out": (np.int8, (b, bo)),
    }[space]
    return raw.view(dtype).reshape(-1, *shape)


def _loop_indices(op, stride: int) -> list[np.ndarray]:
    uops = np.asarray(op.kv("uops"), np.int64).reshape(-1, stride)
    i = np.arange(op.kv("iter_out"))[:, None, None]
    j = np.arange(op.kv("iter_in"))[None, :, None]
    names = ("dst", "src", "wgt")[:stride]
    return [
        (
            uops[:, c][None, None, :] + i * op.kv(f"{n}_factor_out") + j * op.kv(f"{n}_factor_in")
        ).reshape(-1)
        for c, n in enumerate(names)
    ]


def alu(op: AluOp, a: np.ndarray, b) -> np.ndarray:
    """One ALU operation on int32 accumulators with an int32 operand (immediate or element):
    ADD and MUL wrap; SHR shifts right arithmetically, or left by -b when b < 0."""
    a64 = a.astype(np.int64)
    if op == AluOp.MIN:
        return np.minimum(a64, b)
    if op == AluOp.MAX:
        return np.maximum(a64, b)
    if op == AluOp.ADD:
        return wrap_i32(a64 + b)
    if op == AluOp.MUL:
        return wrap_i32(a64 * b)
    b = np.asarray(b, np.int64)
    return wrap_i32(np.where(b >= 0, a64 >> np.clip(b, 0, 31), a64 << np.clip(-b, 0, 32)))


def run_tile(module: ModuleOp, inputs: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Run a tile module. `inputs` maps input tensor names to packed arrays; returns the packed
    arrays of the output tensors."""
    cfg = module_config(module)
    pool = pool_of(module)
    dram: dict[str, np.ndarray] = {}
    outputs = []
    for op in module.ops:
        if not isinstance(op, tile.TensorOp):
            continue
        name, role = op.sym_name.data, op.role.data
        nbytes = int(np.prod(op.type.get_shape())) * op.type.get_element_type().width.data // 8
        if role == "weight":
            data = pool[op.attributes["weight"].data]
        elif role == "input":
            if name not in inputs:
                raise CanopyError(f"missing input tensor '{name}'")
            data = inputs[name]
        else:
            data = np.zeros(nbytes, np.uint8)
            if role == "output":
                outputs.append(op)
        dram[name] = np.ascontiguousarray(data).view(np.uint8).reshape(-1).copy()
    for kernel in module.ops:
        if isinstance(kernel, tile.KernelOp):
            _run_kernel(kernel, dram, cfg)
    return {
        op.sym_name.data: dram[op.sym_name.data].view(np.int8).reshape(op.type.get_shape())
        for op in outputs
    }


def _run_kernel(kernel: tile.KernelOp, dram: dict[str, np.ndarray], cfg: HwConfig) -> None:
    b, bi, bo = cfg.batch, cfg.block_in, cfg.block_out
    bufs = {}
    for op in kernel.body.block.ops:
        if isinstance(op, tile.AllocOp):
            space, size = op.buf.type.space.data, op.buf.type.size.data
            shape = {"inp": (b, bi), "wgt": (bo, bi), "acc": (b, bo)}[space]
            bufs[op.buf] = np.zeros((size, *shape), np.int32 if space == "acc" else np.int8)
        elif isinstance(op, tile.RepeatOp):
            template = op.template()
            vary, deltas = op.kv("vary"), op.delta_table()
            for r in range(1, op.kv("count") + 1):
                swap = op.rotation(r)
                local = {v: bufs[swap.get(v, v)] for v in bufs}
                moved = dict(zip(vary, deltas[r - 1].tolist(), strict=True))
                for k, t in enumerate(template):
                    _execute(t, local, dram, cfg, moved.get(k, 0))
        else:
            _execute(op, bufs, dram, cfg, 0)


def _execute(op, bufs: dict, dram: dict[str, np.ndarray], cfg: HwConfig, moved: int) -> None:
    """One tile op; `moved` is added to a load's or store's DRAM offset (`tile.repeat`)."""
    if isinstance(op, tile.LoadOp):
        buf = bufs[op.buf]
        src = _elements(dram[op.kv("tensor")], op.buf.type.space.data, cfg)
        rows = op.kv("y_pad_0") + op.kv("y_size") + op.kv("y_pad_1")
        cols = op.kv("x_pad_0") + op.kv("x_size") + op.kv("x_pad_1")
        block = np.zeros((rows, cols, *buf.shape[1:]), buf.dtype)
        for y in range(op.kv("y_size")):
            start = op.kv("dram_offset") + moved + y * op.kv("x_stride")
            block[op.kv("y_pad_0") + y, op.kv("x_pad_0") : op.kv("x_pad_0") + op.kv("x_size")] = (
                src[start : start + op.kv("x_size")]
            )
        buf[op.kv("offset") : op.kv("offset") + rows * cols] = block.reshape(-1, *buf.shape[1:])
    elif isinstance(op, tile.StoreOp):
        out = _elements(dram[op.kv("tensor")], "out", cfg)
        acc = bufs[op.buf]
        for y in range(op.kv("y_size")):
            s = op.kv("offset") + y * op.kv("x_size")
            d = op.kv("dram_offset") + moved + y * op.kv("x_stride")
            out[d : d + op.kv("x_size")] = acc[s : s + op.kv("x_size")].astype(np.int8)
    elif isinstance(op, tile.GemmOp):
        acc, inp, wgt = bufs[op.acc], bufs[op.inp], bufs[op.wgt]
        dst, src, w = _loop_indices(op, 3)
        if op.kv("reset"):
            acc[dst] = 0
            return
        # acc[d] += inp[s] · wgt[k]ᵀ for every loop iteration; addition commutes, so all
        # products can be summed into their destinations at once.
        products = np.einsum("nbi,noi->nbo", inp[src].astype(np.int64), wgt[w].astype(np.int64))
        total = acc.astype(np.int64)
        np.add.at(total, dst, products)
        acc[:] = wrap_i32(total)
    elif isinstance(op, tile.AluOp):
        acc = bufs[op.acc]
        dst, src = _loop_indices(op, 2)
        code = AluOp(op.kv("op"))
        for d, s in zip(dst, src, strict=True):
            rhs = op.kv("imm") if op.kv("use_imm") else acc[s].astype(np.int64)
            acc[d] = alu(code, acc[d], rhs)
