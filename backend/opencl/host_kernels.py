"""OpenCL C for the ops of a model's host part that `codegen` has no generator for:
graph.quantize, graph.dequantize, a lone graph.requantize, graph.qadd, graph.rescale,
graph.qaffine, graph.qavg_pool, and the data movement of graph.pad (constant) and graph.concat. Same
conventions as `codegen` (a `Kernel` of plain parameters, shapes baked in, one work-item per
output element), so `OpenCLHostValues` runs a whole quantized model on the device without values
leaving it between layers.

Exactness, against canopy_ir.kernels / canopy_ir.quant: the integer ops compute in 64-bit like the
reference (every product and sum is exact there), so they are equal bit for bit. quantize divides
in float32 with the correctly rounded division (the build option below) and rounds half to even
with rint(), as numpy does; dequantize is one exact subtraction and one correctly rounded
product. Both equal the reference bit for bit.
"""

from __future__ import annotations

import numpy as np

from canopy_ir.errors import CanopyError
from canopy_ir.quant import Requant

from .codegen.kernel import (
    SHIFT_C,
    Buffer,
    Kernel,
    c_type,
    check_requant,
    header,
    requant_buffers,
    requant_c,
    round_up,
)

GROUP = 256
EXACT_DIV = ("-cl-fp32-correctly-rounded-divide-sqrt",)


def _flat(name, title, buffers, body, total, layer, helpers="", options=(), consts=None):
    """A kernel of one work-item per element of a `total`-element output (the tail masked)."""
    params = ", ".join(
        f"global {'const ' if b.role != 'out' else ''}{c_type(b.dtype)}* restrict {b.name}"
        for b in buffers
    )
    source = header(title, helpers) + (
        f"\n__kernel void {name}({params}) {{\n"
        "    const int i = get_global_id(0);\n"
        f"    if (i >= {total}) return;\n{body}}}\n"
    )
    size = (max(round_up(total, GROUP), GROUP),)
    return Kernel(name, source, tuple(buffers), size, (GROUP,), layer, total, options, consts or {})


def _float(value: float) -> str:
    return f"({float(np.float32(value)).hex()}f)"  # hexadecimal: exact


def quantize(
    shape, scale: float, zero_point: int, out_dtype="int8", layer=None, out_layout=None
) -> Kernel:
    """graph.quantize of float32: clip(rint(x / scale) + zero point) to int8 or uint8; with an
    NHWC `out_layout` the 4-D result is written channels-last (padding lanes zero)."""
    out = np.dtype(out_dtype).name
    if out not in ("int8", "uint8"):
        raise CanopyError(f"quantize to {out} is not generated (int8, uint8)")
    info = np.iinfo(out)
    total = int(np.prod(shape, dtype=np.int64))
    read = "x[i]"
    head = ""
    if out_layout is not None and out_layout.kind == "nhwc":
        n, c, h, w = shape
        total = n * h * w * out_layout.cp
        head = (
            f"    const int ch = i % {out_layout.cp}, pix = i / {out_layout.cp};\n"
            f"    if (ch >= {c}) {{ y[i] = 0; return; }}\n"
        )
        read = f"x[(pix / {h * w} * {c} + ch) * {h * w} + pix % {h * w}]"
    # float32 throughout, as the reference: the zero point is added to the rounded quotient.
    body = head + (
        f"    float q = rint({read} / {_float(scale)}) + {float(zero_point)}f;\n"
        f"    y[i] = ({c_type(out)})clamp(q, {float(info.min)}f, {float(info.max)}f);\n"
    )
    buffers = [
        Buffer("x", "float32", tuple(shape)),
        Buffer("y", out, tuple(shape), "out", layout=out_layout),
    ]
    title = f"quantize float32{list(shape)} scale {scale} zero point {zero_point} -> {out}"
    title += f" {out_layout}" if out_layout is not None else ""
    return _flat("quantize", title, buffers, body, total, layer, options=EXACT_DIV)


def dequantize(shape, scale: float, zero_point: int, in_dtype="int8", layer=None) -> Kernel:
    """graph.dequantize: (x − zero point) · scale in float32."""
    dtype = np.dtype(in_dtype).name
    if dtype not in ("int8", "uint8", "int32"):
        raise CanopyError(f"dequantize of {dtype} is not generated (int8, uint8, int32)")
    total = int(np.prod(shape, dtype=np.int64))
    body = f"    y[i] = (float)((long)x[i] - {int(zero_point)}L) * {_float(scale)};\n"
    buffers = [Buffer("x", dtype, tuple(shape)), Buffer("y", "float32", tuple(shape), "out")]
    title = f"dequantize {dtype}{list(shape)} scale {scale} zero point {zero_point}"
    return _flat("dequantize", title, buffers, body, total, layer)


def _channel_of(shape, layout=None) -> str:
    """C for the axis-1 index of flat element i (per-channel multipliers); in NHWC the lane,
    the padding lanes reading the last channel's multiplier."""
    if layout is not None and layout.kind == "nhwc":
        return f"min(i % {layout.cp}, {shape[1] - 1})"
    if len(shape) < 2:
        return "0"
    inner = int(np.prod(shape[2:], dtype=np.int64))
    return f"(i / {inner}) % {shape[1]}"


def requantize(shape, rq: Requant, layer=None, layout=None) -> Kernel:
    """graph.requantize of an int32 tensor (multipliers along axis 1), as canopy_ir.quant; input
    and output in `layout` (default: row-major)."""
    channels = shape[1] if len(shape) > 1 else 1
    where = f"kernel requantize (layer {layer})" if layer else "kernel requantize"
    if rq.per_channel and len(shape) < 2:
        raise CanopyError("per-channel requantization needs a channel axis", where)
    check_requant(rq, channels, where)
    extra, consts = requant_buffers(rq, channels)
    mult = "multipliers" if extra else "0"
    x = Buffer("x", "int32", tuple(shape), layout=layout)
    y = Buffer("y", "int8", tuple(shape), "out", layout=layout)
    total = x.nbytes // 4
    body = f"    y[i] = canopy_out(x[i], {_channel_of(shape, layout)}, {mult});\n"
    title = f"requantize int32{list(shape)} {rq}"
    return _flat("requantize", title, [x, *extra, y], body, total, layer, requant_c(rq),
                 consts=consts)  # fmt: skip


def rescale(shape, x_zero_point, multiplier, shift, zero_point, lo, hi, layer=None) -> Kernel:
    """graph.rescale: graph.requantize of x − x zero point by one multiplier."""
    rq = Requant(shift, zero_point, lo, hi, 0, (multiplier,))
    check_requant(rq, 1, f"kernel rescale (layer {layer})" if layer else "kernel rescale")
    total = int(np.prod(shape, dtype=np.int64))
    buffers = [Buffer("x", "int8", tuple(shape)), Buffer("y", "int8", tuple(shape), "out")]
    body = f"    y[i] = canopy_out((int)x[i] - {int(x_zero_point)}, 0, 0);\n"
    title = f"rescale int8{list(shape)} {rq}"
    return _flat("rescale", title, buffers, body, total, layer, requant_c(rq))


def qaffine(shape, x_zero_point, multipliers, offsets, shift, zero_point, lo, hi, layer=None):
    """graph.qaffine: clip(round_shift(M_c · (x − z_x) + O_c, shift) + zero point), c along
    axis 1 (row-major)."""
    if not (-128 <= lo <= hi <= 127 and 0 <= shift <= 30 and len(shape) >= 2):
        raise CanopyError(f"qaffine clip [{lo}, {hi}], shift {shift} or shape {shape} out of range")
    total = int(np.prod(shape, dtype=np.int64))
    channels = (shape[1],)
    buffers = [
        Buffer("x", "int8", tuple(shape)),
        Buffer("multipliers", "int32", channels, "const"),
        Buffer("offsets", "int32", channels, "const"),
        Buffer("y", "int8", tuple(shape), "out"),
    ]
    consts = {k: np.asarray(v, np.int32) for k, v in (("multipliers", multipliers),
                                                       ("offsets", offsets))}  # fmt: skip
    body = (
        f"    const int c = {_channel_of(shape)};\n"
        f"    long u = ((long)x[i] - {int(x_zero_point)}L) * multipliers[c] + offsets[c];\n"
        f"    y[i] = (char)clamp(round_shift(u, {shift}) + {zero_point}L, {lo}L, {hi}L);\n"
    )
    title = f"qaffine int8{list(shape)} shift {shift}"
    return _flat("qaffine", title, buffers, body, total, layer, SHIFT_C, consts=consts)


def qadd(shape, za, zb, ma, mb, shift, zero_point, lo, hi, layer=None) -> Kernel:
    """graph.qadd of two int8 tensors of one shape: clip(round_shift(Ma·(a − za) + Mb·(b − zb),
    shift) + zero point)."""
    if not (-128 <= lo <= hi <= 127 and -63 <= shift <= 63):
        raise CanopyError(f"qadd clip [{lo}, {hi}] or shift {shift} out of range")
    total = int(np.prod(shape, dtype=np.int64))
    buffers = [
        Buffer("a", "int8", tuple(shape)),
        Buffer("b", "int8", tuple(shape)),
        Buffer("y", "int8", tuple(shape), "out"),
    ]
    body = (
        f"    long u = {int(ma)}L * ((long)a[i] - {int(za)}L)"
        f" + {int(mb)}L * ((long)b[i] - {int(zb)}L);\n"
        f"    y[i] = (char)clamp(round_shift(u, {int(shift)}) + {int(zero_point)}L,"
        f" {int(lo)}L, {int(hi)}L);\n"
    )
    title = f"qadd int8{list(shape)} multipliers {ma}, {mb} shift {shift}"
    return _flat("qadd", title, buffers, body, total, layer, SHIFT_C)


def qavg_pool(x_shape, out_hw, a: dict, layer=None, layout=None) -> Kernel:
    """graph.qavg_pool: the window sum of x − input zero point over the taps inside the input,
    requantized by the multiplier of the window's tap count (canopy_ir.kernels.qavg_pool); input
    and output in `layout` (row-major or NHWC)."""
    n, c, h, w = x_shape
    oh, ow = out_hw
    (kh, kw), (sh, sw), (dh, dw) = a["kernel"], a["strides"], a["dilations"]
    pt, pl, pb, pr = a["pads"]
    table = [int(m) for m in a["multipliers"]]
    if not (-128 <= a["clip_min"] <= a["clip_max"] <= 127) or any(
        not 0 <= m < 2**31 for m in table
    ):
        raise CanopyError("qavg_pool clip range or multipliers out of range", layer or "")
    cy1, cx1 = (h + pt + pb, w + pl + pr) if a["count_include_pad"] else (pt + h, pl + w)
    cy0, cx0 = (0, 0) if a["count_include_pad"] else (pt, pl)
    consts = {"table": np.asarray(table, np.int32)}
    nhwc = layout is not None and layout.kind == "nhwc"
    buffers = [
        Buffer("x", "int8", tuple(x_shape), layout=layout),
        Buffer("table", "int32", (len(table),), "const"),
        Buffer("y", "int8", (n, c, oh, ow), "out", layout=layout),
    ]
    m = "(long)table[0]" if len(table) == 1 else "(long)table[max(count, 1) - 1]"
    pre = f"s = round_shift(s, {a['pre_shift']});\n" if a["pre_shift"] else ""
    if nhwc:  # i runs over (n, oy, ox, lane); padding lanes are written as zero
        cp = layout.cp
        place = (
            f"const int ch = i % {cp}, pix = i / {cp};\n"
            f"    if (ch >= {c}) {{ y[i] = 0; return; }}\n"
            f"    const int ox = pix % {ow}, oy = pix / {ow} % {oh};\n"
            f"    global const char* xp = x + pix / {ow * oh} * {h * w * cp} + ch;"
        )
        step, total = cp, n * oh * ow * cp
    else:
        place = (
            f"const int ox = i % {ow}, oy = i / {ow} % {oh}, plane = i / {ow * oh};\n"
            f"    global const char* xp = x + plane * {h * w};"
        )
        step, total = 1, n * c * oh * ow
    body = f"""    {place}
    long s = 0;
    int count = 0;
    for (int r = 0; r < {kh}; ++r) {{
        const int py = oy * {sh} + r * {dh};  /* padded coordinates */
        for (int q = 0; q < {kw}; ++q) {{
            const int px = ox * {sw} + q * {dw};
            count += (py >= {cy0} && py < {cy1} && px >= {cx0} && px < {cx1});
            const int iy = py - {pt}, ix = px - {pl};
            if (iy >= 0 && iy < {h} && ix >= 0 && ix < {w})
                s += (long)xp[(iy * {w} + ix) * {step}] - {int(a["input_zero_point"])}L;
        }}
    }}
    {pre}const long v = round_shift(s * {m}, {a["shift"]}) + {a["zero_point"]}L;
    y[i] = (char)clamp(v, {a["clip_min"]}L, {a["clip_max"]}L);
"""
    title = f"qavg_pool int8{list(x_shape)} kernel {kh}x{kw} -> {oh}x{ow}"
    title += f", {layout}" if nhwc else ""
    return _flat("qavg_pool", title, buffers, body, total, layer, SHIFT_C, (), consts)


def _index_c(shape) -> str:
    """C declaring idx0..idx{r-1}, the coordinates of flat element i of `shape`."""
    lines = ["    int rem = i;"]
    for axis in reversed(range(len(shape))):
        lines.append(f"    const int idx{axis} = rem % {shape[axis]}; rem /= {shape[axis]};")
    return "\n".join(lines) + "\n"


def pad(x_shape, pads, value, dtype, layer=None) -> Kernel:
    """graph.pad in constant mode: `pads` are ONNX's (begins..., ends...), none negative;
    `value` converted to the element type as numpy converts it."""
    if min(pads) < 0:
        raise CanopyError("pad: negative pads are not generated")
    dtype = np.dtype(dtype).name
    rank = len(x_shape)
    begin, end = pads[:rank], pads[rank:]
    out = tuple(d + b + e for d, b, e in zip(x_shape, begin, end, strict=True))
    fill = np.asarray(value).astype(dtype)[()]
    fill_c = _float(fill) if dtype == "float32" else str(int(fill))
    inside, offset = [], []
    stride = 1
    for axis in reversed(range(rank)):
        src = f"(idx{axis} - {begin[axis]})"
        inside.append(f"{src} >= 0 && {src} < {x_shape[axis]}")
        offset.append(f"{src} * {stride}")
        stride *= x_shape[axis]
    body = _index_c(out) + (
        f"    y[i] = ({' && '.join(inside) or '1'}) ? x[{' + '.join(offset) or '0'}] : {fill_c};\n"
    )
    buffers = [Buffer("x", dtype, tuple(x_shape)), Buffer("y", dtype, out, "out")]
    title = f"pad {dtype}{list(x_shape)} by {list(pads)} with {fill}"
    total = int(np.prod(out, dtype=np.int64))
    return _flat("pad", title, buffers, body, total, layer)


def concat(shapes, axis: int, dtype, layer=None) -> Kernel:
    """graph.concat of tensors of one element type along `axis`."""
    dtype = np.dtype(dtype).name
    rank = len(shapes[0])
    axis %= rank
    out = list(shapes[0])
    out[axis] = sum(s[axis] for s in shapes)
    inner = int(np.prod(out[axis + 1 :], dtype=np.int64))
    lines = [f"    const int outer = i / {out[axis] * inner}, a = i / {inner} % {out[axis]},"]
    lines.append(f"        r = i % {inner};")
    start = 0
    for k, s in enumerate(shapes):
        cond = f"a < {start + s[axis]}" if k < len(shapes) - 1 else "1"
        lines.append(
            f"    {'if' if k == 0 else 'else if'} ({cond}) "
            f"y[i] = x{k}[(outer * {s[axis]} + a - {start}) * {inner} + r];"
        )
        start += s[axis]
    buffers = [Buffer(f"x{k}", dtype, tuple(s)) for k, s in enumerate(shapes)]
    buffers.append(Buffer("y", dtype, tuple(out), "out"))
    title = f"concat {len(shapes)} x {dtype} along axis {axis} -> {out}"
    total = int(np.prod(out, dtype=np.int64))
    return _flat("concat", title, buffers, "\n".join(lines) + "\n", total, layer)
