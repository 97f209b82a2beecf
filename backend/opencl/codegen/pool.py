"""Max and average pooling (graph.pool2d, NCHW), one work-item per output value.

Windows follow canopy_ir.interpreters.graph.pool2d: padding never wins a max, windows that run
past the padded input (ceil_mode) are clipped to it, and an average divides by the number of
taps inside the input, or inside the padded input with `count_include_pad`.

Exactness: max pooling (any type) and int8 average pooling equal the reference bit for bit (int8
averages sum exactly and divide truncating toward zero, as the reference's float division and
cast do). float32 averages sum in float32 where the reference sums in float64: they differ by at
most kh·kw·2^-24 relative to the largest |input| in the window.
"""

from __future__ import annotations

import numpy as np

from canopy_ir.errors import CanopyError

from .kernel import Buffer, Kernel, c_type, header, round_up
from .layout import Layout


def pool_output_hw(h, w, kernel, strides, pads, dilations, ceil_mode=False) -> tuple[int, int]:
    """ONNX's output size (floor, or ceil with `ceil_mode`)."""
    out = []
    for size, k, s, lo, hi, d in zip(
        (h, w), kernel, strides, (pads[0], pads[1]), (pads[2], pads[3]), dilations, strict=True
    ):
        span = size + lo + hi - d * (k - 1) - 1
        out.append((-(-span // s) if ceil_mode else span // s) + 1)
    return out[0], out[1]


def pool2d(
    x_shape: tuple[int, int, int, int],
    kind: str,
    kernel: tuple[int, int],
    strides=(1, 1),
    pads=(0, 0, 0, 0),
    dilations=(1, 1),
    count_include_pad: bool = False,
    out_hw: tuple[int, int] | None = None,
    dtype="float32",
    layer: str | None = None,
    layout: Layout | None = None,
) -> Kernel:
    """graph.pool2d of `kind` "max" or "avg" on float32 or int8; `out_hw` as the op's result
    type gives it (default: the floor formula). With an NHWC `layout` the input and output are
    channels-last (one work-item per output element, padding lanes written as zero)."""
    dtype = np.dtype(dtype).name
    ct = c_type(dtype)
    n, c, h, w = x_shape
    kh, kw = kernel
    if kind not in ("max", "avg"):
        raise CanopyError(f"unknown pooling {kind!r} (max, avg)")
    if dtype not in ("float32", "int8"):
        raise CanopyError(f"pooling of {dtype} is not generated (float32, int8)")
    oh, ow = out_hw or pool_output_hw(h, w, kernel, strides, pads, dilations)
    pt, pl, pb, pr = pads
    geo = dict(
        H=h, W=w, C=c, OH=oh, OW=ow, KH=kh, KW=kw, SH=strides[0], SW=strides[1],
        PT=pt, PL=pl, DH=dilations[0], DW=dilations[1],
        # The region that counts towards an average's divisor, in padded coordinates.
        CY0=0 if count_include_pad else pt, CY1=h + pt + pb if count_include_pad else pt + h,
        CX0=0 if count_include_pad else pl, CX1=w + pl + pr if count_include_pad else pl + w,
    )  # fmt: skip
    defines = "".join(f"#define {k} {v}\n" for k, v in geo.items())
    if kind == "max":
        init = "-INFINITY" if dtype == "float32" else "-128"
        acc_t, start, update = ct, init, "acc = (v > acc) ? v : acc;"
        finish = "acc"
    else:
        acc_t = "float" if dtype == "float32" else "int"
        start, update = "0", "acc += v;"
        # Integer averages: C's division truncates toward zero like the reference's cast.
        finish = f"({ct})(acc / ({acc_t})max(count, 1))"
    body = f"""
__kernel __attribute__((reqd_work_group_size(8, 8, 1)))
void pool2d(global const {ct}* restrict x, global {ct}* restrict y) {{
    const int ox = get_global_id(0), oy = get_global_id(1), plane = get_global_id(2);
    if (ox >= OW || oy >= OH) return;
    global const {ct}* xp = x + plane * (H * W);
    {acc_t} acc = {start};
    int count = 0;
    #pragma unroll
    for (int r = 0; r < KH; ++r) {{
        const int py = oy * SH + r * DH;  /* padded coordinates */
        #pragma unroll
        for (int s = 0; s < KW; ++s) {{
            const int px = ox * SW + s * DW;
            count += (py >= CY0 && py < CY1 && px >= CX0 && px < CX1);
            const int iy = py - PT, ix = px - PL;
            if (iy >= 0 && iy < H && ix >= 0 && ix < W) {{
                const {acc_t} v = xp[iy * W + ix];
                {update}
            }}
        }}
    }}
    y[(plane * OH + oy) * OW + ox] = {finish};
}}
"""
    title = f"{kind} pool {dtype}{list(x_shape)} kernel {kh}x{kw} -> {oh}x{ow}"
    ops = n * c * oh * ow * kh * kw
    if layout is not None and layout.kind == "nhwc":
        total = n * oh * ow * layout.cp
        body = NHWC_BODY.format(
            ct=ct, acc_t=acc_t, start=start, update=update, finish=finish, cp=layout.cp,
            total=total,
        )  # fmt: skip
        buffers = (
            Buffer("x", dtype, tuple(x_shape), layout=layout),
            Buffer("y", dtype, (n, c, oh, ow), "out", layout=layout),
        )
        size = (max(round_up(total, 256), 256),)
        title += f", {layout}"
        return Kernel("pool2d", header(title, defines) + body, buffers, size, (256,), layer, ops)
    buffers = (Buffer("x", dtype, tuple(x_shape)), Buffer("y", dtype, (n, c, oh, ow), "out"))
    size = (round_up(ow, 8), round_up(oh, 8), n * c)
    return Kernel("pool2d", header(title, defines) + body, buffers, size, (8, 8, 1), layer, ops)


NHWC_BODY = """
__kernel void pool2d(global const {ct}* restrict x, global {ct}* restrict y) {{
    const int i = get_global_id(0);
    if (i >= {total}) return;
    const int ch = i % {cp}, pix = i / {cp};
    if (ch >= C) {{ y[i] = 0; return; }}
    const int ox = pix % OW, oy = pix / OW % OH, img = pix / (OW * OH);
    global const {ct}* xp = x + img * (H * W * {cp}) + ch;
    {acc_t} acc = {start};
    int count = 0;
    #pragma unroll
    for (int r = 0; r < KH; ++r) {{
        const int py = oy * SH + r * DH;  /* padded coordinates */
        #pragma unroll
        for (int s = 0; s < KW; ++s) {{
            const int px = ox * SW + s * DW;
            count += (py >= CY0 && py < CY1 && px >= CX0 && px < CX1);
            const int iy = py - PT, ix = px - PL;
            if (iy >= 0 && iy < H && ix >= 0 && ix < W) {{
                const {acc_t} v = xp[(iy * W + ix) * {cp}];
                {update}
            }}
        }}
    }}
    y[i] = {finish};
}}
"""
