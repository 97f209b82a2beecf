"""Which kernel computes a host op: graph op, operand types and layouts in, a `Kernel` out (None:
no generator; numpy runs the op). The generators are `codegen`'s and `host_kernels`'.

    generate(op, ins, outs, layouts, nhwc_out, target)     # one op
    linear(ops, ins, nhwc_out, target, residual)           # conv/dense [+ requantize [+ qadd]]

`layouts` are where the operands are now (codegen/layout.py; None: row-major); the kernel's
input buffers say which layout it reads (the store converts what differs) and its outputs where
it leaves its results. Elementwise ops run on NHWC buffers as they are; pooling follows its
input; quantize writes NHWC when `nhwc_out`; convolutions read NHWC always (their input is
converted once if it is row-major) and write NHWC when `nhwc_out`, else row-major.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from canopy_ir.quant import Requant

from . import host_kernels
from .codegen import binary, clip, dense, layer_norm, pool2d, relu, softmax
from .codegen.conv import output_hw
from .codegen.conv_nhwc import Residual, choose_engine, conv2d_nhwc, mma_plan
from .codegen.gemv import MAX_ROWS, dense_rows
from .codegen.kernel import Kernel
from .codegen.layout import NCHW, Layout, nhwc, ohwi
from .codegen.mma import dense_mma
from .host_compiled import Types
from .host_plan import ELEMENTWISE, REQUANTIZE

FLOAT_ONLY = ("graph.softmax", "graph.layer_norm")  # never bit-identical to numpy


@dataclass(frozen=True)
class Target:
    """What the generators may use on the device. `conv_engine`: "auto" (tensor cores on
    NVIDIA, the tiled product elsewhere) or one of codegen.conv_nhwc.ENGINES; `emulate_mma`:
    tensor-core kernels with their instruction emulated (tests them on any device);
    `float_kernels`: float reductions (softmax, layer norm, float averages) as kernels, within
    their documented tolerances, instead of numpy's bit-exact results."""

    dot: str = "mad"
    nvidia: bool = False
    units: int = 1
    conv_engine: str = "auto"
    emulate_mma: bool = False
    float_kernels: bool = False

    @property
    def mma(self) -> bool:
        return self.nvidia or self.emulate_mma


def requant_of(a: dict) -> Requant:
    """graph.requantize's properties as the generators take them."""
    multipliers = tuple(int(m) for m in (a.get("multipliers") or (1,)))
    return Requant(
        a["shift"], a["zero_point"], a["clip_min"], a["clip_max"], a.get("pre_shift") or 0,
        multipliers,
    )  # fmt: skip


def residual_of(add: dict, conv_side: int) -> Residual:
    """The graph.qadd `add` as a convolution epilogue whose result is operand `conv_side`."""
    a = add["attrs"]
    sides = [
        (a["lhs_zero_point"], a["lhs_multiplier"]),
        (a["rhs_zero_point"], a["rhs_multiplier"]),
    ]
    (za, ma), (zb, mb) = sides[conv_side], sides[1 - conv_side]
    return Residual(
        int(za), int(ma), int(zb), int(mb), int(a["shift"]), int(a["zero_point"]),
        int(a["clip_min"]), int(a["clip_max"]),
    )  # fmt: skip


def linear(
    ops: list[dict], ins: Types, nhwc_out: bool, target: Target, residual_side: int | None = None
) -> Kernel | None:
    """graph.conv2d / graph.dense on int8 (int32 bias) with the requantize (`ops[1]`) and the
    residual qadd (`ops[2]`, the convolution's result being its operand `residual_side`) that
    follow it fused."""
    op = ops[0]
    (x, xt), (w, wt) = ins[:2]
    if (xt, wt) != ("int8", "int8") or (len(ins) == 3 and ins[2][1] != "int32"):
        return None
    a, bias, layer = op["attrs"], len(ins) == 3, op["layer"]
    rq = requant_of(ops[1]["attrs"]) if len(ops) > 1 else None
    if op["op"] == "graph.conv2d" and len(x) == 4:
        res = residual_of(ops[2], residual_side) if len(ops) > 2 else None
        engine = target.conv_engine
        if engine == "auto" or (engine != "direct" and a["group"] > 1):
            engine = choose_engine(a["group"], target.mma)
        tiles, split = None, 1
        if engine == "mma" and not target.emulate_mma:  # tiles for this device's units
            window = (a["strides"], a["pads"], a["dilations"])
            oh, ow = output_hw(x[2], x[3], w[2], w[3], *window)
            k_len = ohwi(w, nhwc(x[1]).cp).k
            tiles, split = mma_plan(x[0] * oh * ow, w[0], k_len, target.units)
        out = nhwc(w[0]) if nhwc_out else NCHW
        return conv2d_nhwc(
            x, w, a["strides"], a["pads"], a["dilations"], a["group"], bias, rq, res, out,
            engine, tiles, split, emulate=target.emulate_mma, dot=target.dot, layer=layer,
        )  # fmt: skip
    if op["op"] == "graph.dense" and len(x) == 2 and len(ops) <= 2:
        m, k = x
        if m <= MAX_ROWS:
            return dense_rows(m, w[0], k, bias, rq, target.dot, layer)
        if target.mma and k % 16 == 0:
            tiles, split = mma_plan(m, w[0], k, max(target.units, 1))
            return dense_mma(m, w[0], k, bias, rq, tiles, target.emulate_mma, layer, split)
        return dense(m, w[0], k, bias=bias, requant=rq, dot=target.dot, layer=layer)
    return None


def relabel(kernel: Kernel, layout: Layout, shapes: dict[str, tuple[int, ...]]) -> Kernel:
    """An elementwise kernel generated on a buffer's physical shape, its in/out buffers renamed
    to the tensors' logical `shapes` in `layout` (the same bytes, the same element order)."""
    buffers = tuple(
        dataclasses.replace(b, shape=tuple(shapes[b.name]), layout=layout)
        if b.name in shapes
        else b
        for b in kernel.buffers
    )
    return dataclasses.replace(kernel, buffers=buffers)


def _common_nhwc(ins: Types, layouts: list) -> Layout | None:
    """The NHWC layout every operand has (all of one 4-D shape), else None."""
    if not layouts or any(lay is None or lay.kind != "nhwc" for lay in layouts):
        return None
    if len({lay for lay in layouts}) != 1 or len({tuple(s) for s, _ in ins}) != 1:
        return None
    return layouts[0]


def generate(
    op: dict, ins: Types, outs: Types, layouts: list, nhwc_out: bool, target: Target
) -> Kernel | None:
    """The kernel computing host op `op` from operands of types `ins` lying in `layouts`."""
    name, a, layer = op["op"], op["attrs"], op["layer"]
    if len(outs) != 1:
        return None
    if name in ("graph.conv2d", "graph.dense"):
        return linear([op], ins, nhwc_out, target)
    (shape, dtype), types = outs[0], [t for _, t in ins]
    if name in ELEMENTWISE and len(shape) == 4:
        common = _common_nhwc(ins, layouts)
        if common is not None:  # the same kernel over the physical buffers
            if name == REQUANTIZE:  # per-channel multipliers: the channel is the lane
                if types != ["int32"]:
                    return None
                return host_kernels.requantize(tuple(shape), requant_of(a), layer, common)
            physical = common.physical(shape)
            kernel = generate(op, [(physical, t) for t in types], [(physical, dtype)],
                              [None] * len(ins), False, target)  # fmt: skip
            if kernel is None:
                return None
            names = {b.name: shape for b in kernel.buffers if b.role in ("in", "out")}
            return relabel(kernel, common, names)
    if name == "graph.requantize" and types == ["int32"]:
        return host_kernels.requantize(shape, requant_of(a), layer)
    if name == "graph.quantize" and types == ["float32"]:
        out = nhwc(shape[1]) if nhwc_out and len(shape) == 4 else None
        return host_kernels.quantize(shape, a["scale"], a["zero_point"], dtype, layer, out)
    if name == "graph.dequantize" and dtype == "float32":
        return host_kernels.dequantize(shape, a["scale"], a["zero_point"], types[0], layer)
    if name == "graph.qadd" and types == ["int8", "int8"] and ins[0][0] == ins[1][0] == shape:
        keys = ("lhs_zero_point", "rhs_zero_point", "lhs_multiplier", "rhs_multiplier")
        tail = ("shift", "zero_point", "clip_min", "clip_max")
        return host_kernels.qadd(shape, *(a[k] for k in keys + tail), layer=layer)
    if name == "graph.qaffine" and types == ["int8"] and len(shape) >= 2:
        keys = ("input_zero_point", "multipliers", "offsets", "shift", "zero_point")
        return host_kernels.qaffine(shape, *(a[k] for k in keys + ("clip_min", "clip_max")),
                                    layer=layer)  # fmt: skip
    if name == "graph.rescale" and types == ["int8"]:
        keys = ("input_zero_point", "multiplier", "shift", "zero_point", "clip_min", "clip_max")
        return host_kernels.rescale(shape, *(a[k] for k in keys), layer=layer)
    in_layout = layouts[0] if layouts and layouts[0] is not None else NCHW
    pool_layout = in_layout if in_layout.kind == "nhwc" else None
    if name == "graph.qavg_pool" and types == ["int8"] and len(shape) == 4:
        return host_kernels.qavg_pool(ins[0][0], shape[2:], a, layer, pool_layout)
    if name == "graph.pad" and a["mode"] == "constant" and len(ins) == 1:
        return host_kernels.pad(ins[0][0], a["pads"], a["value"], types[0], layer)
    if name == "graph.concat" and len(set(types)) == 1:
        return host_kernels.concat([s for s, _ in ins], a["axis"], types[0], layer)
    if name == "graph.pool" and len(shape) == 4:
        window = (a["kernel"], a["strides"], a["pads"], a["dilations"])
        incl = bool(a["count_include_pad"])
        return pool2d(ins[0][0], a["kind"], *window, incl, tuple(shape[2:]), types[0], layer,
                      pool_layout)  # fmt: skip
    if name in ("graph.add", "graph.sub", "graph.mul") and types[0] == types[1]:
        return binary(name[len("graph.") :], ins[0][0], ins[1][0], types[0], dtype, layer)
    if name == "graph.relu":
        return relu(shape, dtype, layer)
    if name == "graph.clip":
        return clip(shape, dtype, a.get("min"), a.get("max"), layer)
    if name == "graph.softmax" and dtype == "float32":
        return softmax(shape, a["axis"], layer=layer)
    if name == "graph.layer_norm" and types[0] == "float32":
        return layer_norm(shape, a["axis"], a["epsilon"], bias=len(ins) == 3, layer=layer)
    return None


def float_reason(op: dict, ins: Types, target: Target) -> str | None:
    """Why a float op runs in numpy although it has a kernel, or None: unless `float_kernels`,
    float reductions run where their results are bit-identical to the reference's."""
    if target.float_kernels:
        return None
    avg = op["op"] == "graph.pool" and op["attrs"]["kind"] == "avg"
    if op["op"] in FLOAT_ONLY or (avg and ins and ins[0][1] == "float32"):
        return "float reduction: numpy's result, bit for bit (float_kernels=False)"
    return None
