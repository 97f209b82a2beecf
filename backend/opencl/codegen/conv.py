"""int8 NCHW convolution (graph.conv2d with int8 operands and an int32 bias), fused
requantization optional.

Two kernels: "tiled", the implicit GEMM of gemm.gemm_core per group (A: the group's weights,
rows = output channels, k = (c, kh, kw); B: the im2col window of each output pixel, gathered
straight from x while staging a tile, so no im2col buffer exists), and "direct", one work-item per
output value, for depthwise and other layers whose per-group product is too thin to tile (few
output channels or a short reduction).
"""

from __future__ import annotations

from canopy_ir.errors import CanopyError
from canopy_ir.quant import Requant

from .gemm import PACK4_C, GemmTiles, Operand, gemm_core, rows_operand
from .kernel import (
    WRAP_C,
    Buffer,
    Kernel,
    ceil_div,
    check_reduction,
    check_requant,
    header,
    requant_buffers,
    requant_c,
    round_up,
)


def output_hw(h, w, kh, kw, strides, pads, dilations) -> tuple[int, int]:
    """Output size; pads are (top, left, bottom, right) as in ONNX and graph.conv2d."""
    oh = (h + pads[0] + pads[2] - dilations[0] * (kh - 1) - 1) // strides[0] + 1
    ow = (w + pads[1] + pads[3] - dilations[1] * (kw - 1) - 1) // strides[1] + 1
    return oh, ow


def choose_variant(cg: int, og: int, kh: int, kw: int) -> str:
    """The direct kernel where a tile would be mostly empty: depthwise-like groups (under 8
    output channels) or reductions shorter than one 16-wide k step."""
    return "direct" if og < 8 or cg * kh * kw < 16 else "tiled"


def default_tiles(og: int) -> GemmTiles:
    """Output channels on the tile's rows: narrow layers get short tiles, pixels fill the rest."""
    bm = 64 if og >= 64 else (32 if og >= 32 else 16)
    return GemmTiles(bm=bm, bn=64, bk=32, tm=4, tn=4)


def conv2d(
    x_shape: tuple[int, int, int, int],
    w_shape: tuple[int, int, int, int],
    strides=(1, 1),
    pads=(0, 0, 0, 0),
    dilations=(1, 1),
    groups: int = 1,
    bias: bool = True,
    requant: Requant | None = None,
    variant: str = "auto",
    tiles: GemmTiles | None = None,
    dot: str = "mad",
    layer: str | None = None,
) -> Kernel:
    """y = conv2d(x, w) + bias as graph.conv2d computes it on int8 (int32, wrapping), stored as
    int32 or, with `requant`, requantized to int8 (multipliers per output channel)."""
    n, c, h, w = x_shape
    o, cg, kh, kw = w_shape
    where = "kernel conv2d" + (f" (layer {layer})" if layer else "")
    if groups < 1 or c != cg * groups or o % groups:
        raise CanopyError(
            f"conv2d: {c} input channels, weights {w_shape} and {groups} groups do not agree",
            where,
        )
    oh, ow = output_hw(h, w, kh, kw, strides, pads, dilations)
    if oh < 1 or ow < 1:
        raise CanopyError(f"conv2d output would be {oh}x{ow}", where)
    og = o // groups
    check_reduction(cg * kh * kw, where)
    check_requant(requant, o, where)
    extra, consts = requant_buffers(requant, o)
    buffers = [Buffer("x", "int8", tuple(x_shape)), Buffer("w", "int8", tuple(w_shape))]
    buffers += [Buffer("bias", "int32", (o,))] if bias else []
    out_t = "int32" if requant is None else "int8"
    buffers += extra + [Buffer("y", out_t, (n, o, oh, ow), "out")]
    params = ", ".join(
        f"global {'const ' if b.role != 'out' else ''}"
        f"{ {'int8': 'char', 'int32': 'int'}[b.dtype] }* restrict {b.name}"
        for b in buffers
    )
    geo = dict(
        N=n, C=c, H=h, W=w, O=o, CG=cg, OG=og, KH=kh, KW=kw, OH=oh, OW=ow,
        SH=strides[0], SW=strides[1], PT=pads[0], PL=pads[1], DH=dilations[0], DW=dilations[1],
    )  # fmt: skip
    defines = "".join(f"#define {k} {v}\n" for k, v in geo.items())
    mult = "multipliers" if extra else "0"
    bias_of = "add_wrap(acc, bias[oc])" if bias else "acc"
    if variant == "auto":
        variant = choose_variant(cg, og, kh, kw)
    title = f"int8 conv2d x{tuple(x_shape)} w{tuple(w_shape)} groups {groups}, {variant}"
    ops = 2 * n * o * oh * ow * cg * kh * kw
    if variant == "direct":
        source = header(title, WRAP_C, defines, requant_c(requant)) + DIRECT.format(
            params=params, bias=bias_of, mult=mult
        )
        local = (8, 8, 1)
        size = (round_up(ow, 8), round_up(oh, 8), n * o)
        return Kernel("conv2d", source, tuple(buffers), size, local, layer, ops, consts=consts)
    if variant != "tiled":
        raise CanopyError(f"unknown conv2d variant {variant!r} (auto, tiled, direct)", where)
    t = tiles or default_tiles(og)
    t.check(where)
    k_len = cg * kh * kw
    pixels = n * oh * ow
    weights = rows_operand("wg", og, k_len)
    window = Operand(pixels, lambda p, k: f"im2col4(xg, {p}, {k})", vec=False, guarded=False)
    prologue = (
        "    const int g = get_group_id(2);\n"
        "    global const char* wg = w + g * (OG * CG * KH * KW);\n"
        "    global const char* xg = x + g * (CG * H * W);\n"
    )

    def store4(row: str, col: str, accs: list[str]) -> str:
        out = []
        for e, a in enumerate(accs):
            p = f"({col} + {e})"
            out.append(
                f"if ({row} < OG && {p} < {pixels}) {{ const int oc = g * OG + {row}; "
                f"const int acc = {a}; y[({p} / (OH * OW) * O + oc) * (OH * OW) + {p} % (OH * OW)]"
                f" = canopy_out({bias_of}, oc, {mult}); }}"
            )
        return "\n    ".join(out)

    source = gemm_core(
        "conv2d",
        params,
        prologue,
        weights,
        window,
        k_len,
        t,
        dot,
        store4,
        defines + IM2COL + PACK4_C + requant_c(requant),
        title + f", tiles {t}, dot {dot}",
    )
    size = (ceil_div(pixels, t.bn) * t.tx, ceil_div(og, t.bm) * t.ty, groups)
    return Kernel(
        "conv2d", source, tuple(buffers), size, (t.tx, t.ty, 1), layer, ops, consts=consts
    )


# The four k = (c, r, s) values k..k+3 of output pixel p's window, packed into one word; taps in
# the padding, past K or past the last pixel read as zero.
IM2COL = """static inline int im2col4(global const char* x, int p, int k) {
    if (p >= N * OH * OW) return 0;
    const int img = p / (OH * OW), rem = p % (OH * OW);
    const int y0 = rem / OW * SH - PT, x0 = rem % OW * SW - PL;
    global const char* xn = x + img * (C * H * W);
    uint word = 0;
    #pragma unroll
    for (int e = 0; e < 4; ++e) {
        const int kk = k + e;
        const int c = kk / (KH * KW), r = kk / KW % KH, s = kk % KW;
        const int iy = y0 + r * DH, ix = x0 + s * DW;
        if (kk < CG * KH * KW && iy >= 0 && iy < H && ix >= 0 && ix < W)
            word |= (uint)(uchar)xn[(c * H + iy) * W + ix] << (8 * e);
    }
    return as_int(word);
}
"""

DIRECT = """
__kernel __attribute__((reqd_work_group_size(8, 8, 1)))
void conv2d({params}) {{
    const int ox = get_global_id(0), oy = get_global_id(1);
    const int img = get_global_id(2) / O, oc = get_global_id(2) % O;
    if (ox >= OW || oy >= OH) return;
    const int g = oc / OG;
    global const char* xn = x + (img * C + g * CG) * (H * W);
    global const char* wo = w + oc * (CG * KH * KW);
    const int y0 = oy * SH - PT, x0 = ox * SW - PL;
    int acc = 0;
    for (int c = 0; c < CG; ++c) {{
        #pragma unroll
        for (int r = 0; r < KH; ++r) {{
            const int iy = y0 + r * DH;
            if (iy < 0 || iy >= H) continue;
            #pragma unroll
            for (int s = 0; s < KW; ++s) {{
                const int ix = x0 + s * DW;
                if (ix >= 0 && ix < W)
                    acc += (int)xn[(c * H + iy) * W + ix] * (int)wo[(c * KH + r) * KW + s];
            }}
        }}
    }}
    y[((img * O + oc) * OH + oy) * OW + ox] = canopy_out({bias}, oc, {mult});
}}
"""
