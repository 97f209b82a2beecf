"""int8 convolution on channels-last tensors (layout.NHWC), the form whole models run in: the
implicit GEMM C[pixel, oc] = Σ_k A[pixel, k]·W[oc, k] over k = (r, s, c), its A rows gathered
straight from the input (16 or 4 channels of one input pixel per load, zeros in the padding:
no im2col buffer), with an epilogue that adds the bias, requantizes (graph.requantize) and, when
a residual graph.qadd follows, adds the other operand and requantizes again, storing int8 side by
side along the output channels.

Engines: "mma" (NVIDIA tensor cores, mma.mma_core, split-K for layers with few output tiles),
"tiled" (gemm.gemm_core with 4-way dot products, any OpenCL device), "direct" (one work-item per
output value, for grouped and depthwise layers). All equal graph.conv2d + graph.requantize (+
graph.qadd) of canopy_ir.kernels bit for bit.

Operands: x in NHWC(cp) (`layout.nhwc`); weights in OHWI(cp, k) (`layout.ohwi`, packed once
from the model's constant) for the GEMM engines, as they are (O, C/groups, KH, KW) for "direct";
the residual, when fused, in the output's layout, which is NHWC or NCHW.
"""

from __future__ import annotations

from dataclasses import dataclass

from canopy_ir.errors import CanopyError
from canopy_ir.quant import Requant

from .conv import output_hw
from .gemm import GemmTiles, Operand, gemm_core, rows_operand
from .kernel import (
    SHIFT_C,
    WRAP_C,
    Buffer,
    Kernel,
    ceil_div,
    check_reduction,
    check_requant,
    header,
    kernel_params,
    requant_buffers,
    requant_c,
    round_up,
)
from .layout import NCHW, Layout, nhwc, ohwi
from .mma import MmaTiles, TileOut, mma_core, split_buffers, split_steps

ENGINES = ("mma", "tiled", "direct")


@dataclass(frozen=True)
class Residual:
    """graph.qadd of the requantized convolution (zero point za, multiplier ma) and another
    int8 tensor of the output's shape (zb, mb): clip(round_shift(ma·(a − za) + mb·(b − zb),
    shift) + zero point)."""

    za: int
    ma: int
    zb: int
    mb: int
    shift: int
    zero_point: int
    lo: int
    hi: int

    def check(self, where: str) -> None:
        if not (-128 <= self.lo <= self.hi <= 127 and -63 <= self.shift <= 63):
            raise CanopyError(f"qadd clip [{self.lo}, {self.hi}] or shift out of range", where)


def choose_engine(groups: int, nvidia: bool) -> str:
    """Tensor cores on NVIDIA, the portable tiled product elsewhere, direct for grouped layers."""
    if groups > 1:
        return "direct"
    return "mma" if nvidia else "tiled"


# Tensor-core tiles for convolutions, largest first: 128×64 down to 32×32 outputs (on an H100
# 128×128 tiles were no faster than 128×64 on any ResNet-50 layer at batch 32: bench.opencl_conv).
CONV_MMA_TILES = (
    MmaTiles(2, 2, 4, 4, 64),
    MmaTiles(2, 2, 2, 4, 64),
    MmaTiles(2, 2, 2, 2, 64),
    MmaTiles(1, 2, 2, 2, 64),
)


def mma_plan(m: int, n: int, k: int, units: int) -> tuple[MmaTiles, int]:
    """(tiles, split-K) for an m×n×k product on a device of `units` compute units: the largest
    tile that still gives every unit a work-group, else the smallest with the reduction split
    until the work-groups cover the units twice (each split keeping two k-tiles at least)."""
    for t in CONV_MMA_TILES:
        if t.bn > round_up(n, 8) and t is not CONV_MMA_TILES[-1]:  # wider than the channels
            continue
        if ceil_div(m, t.bm) * ceil_div(n, t.bn) >= units:
            return t, 1
    t = CONV_MMA_TILES[-1]
    groups = ceil_div(m, t.bm) * ceil_div(n, t.bn)
    k_tiles = ceil_div(k, t.bk)
    want = min(ceil_div(2 * units, groups), max(1, k_tiles // 2), 32)
    return t, split_steps(k, t.bk, want)[1]


def _epilogue(bias: bool, rq: Requant | None, res: Residual | None, out: Layout, geo) -> str:
    """C of OUT_INDEX(p, oc), conv_value(acc, oc, r, bias, mult): the stored value of output
    channel oc from its int32 sum (r: the residual's int8 there), and conv_finish(acc, oc,
    index, bias, mult, res), the same reading r from res[index]."""
    o, oh, ow = geo["O"], geo["OH"], geo["OW"]
    if out.kind == "nhwc":
        index = f"#define OUT_INDEX(p, oc) ((p) * {out.cp} + (oc))\n"
    else:
        index = (
            f"#define OUT_INDEX(p, oc) "
            f"(((p) / {oh * ow} * {o} + (oc)) * {oh * ow} + (p) % {oh * ow})\n"
        )
    lines = ["int v = add_wrap(acc, bias[oc]);" if bias else "int v = acc;"]
    if rq is None:
        lines.append("return v;")
        out_t = "int"
    else:
        lines.append("const char q = canopy_out(v, oc, mult);")
        out_t = "char"
        if res is None:
            lines.append("return q;")
        else:
            lines.append(
                f"const long u = {res.ma}L * ((long)q - {res.za}L)"
                f" + {res.mb}L * ((long)r - {res.zb}L);"
            )
            lines.append(
                f"return (char)clamp(round_shift(u, {res.shift}) + {res.zero_point}L, "
                f"{res.lo}L, {res.hi}L);"
            )
    body = "\n    ".join(lines)
    read = "(res)[index]" if res is not None else "0"
    return index + (
        f"static inline {out_t} conv_value(int acc, int oc, int r, global const int* bias, "
        "global const int* mult) {\n"
        f"    {body}\n}}\n"
        f"#define conv_finish(acc, oc, index, bias, mult, res) "
        f"conv_value(acc, oc, {read}, bias, mult)\n"
    )


# 16 consecutive k = (r, s, c) of output pixel p's window as an int4: zeros for taps in the
# padding and past the last tap, and for p past the last pixel.
IM2COL16 = """static inline int4 im2col16(global const char* x, int p, int k) {
    if (p >= M_PIX) return (int4)(0);
    const int img = p / (OH * OW), rem = p % (OH * OW);
    const int y0 = rem / OW * SH - PT, x0 = rem % OW * SW - PL;
    global const char* xn = x + img * (H * W * CP);
#if CP % 16 == 0
    const int tap = k / CP, c = k % CP;
    const int iy = y0 + tap / KW * DH, ix = x0 + tap % KW * DW;
    if (tap >= KH * KW || iy < 0 || iy >= H || ix < 0 || ix >= W) return (int4)(0);
    return vload4(0, (global const int*)(xn + (iy * W + ix) * CP + c));
#else
    int word[4];
    #pragma unroll
    for (int e = 0; e < 4; ++e) {
        const int kk = k + 4 * e, tap = kk / CP, c = kk % CP;
        const int iy = y0 + tap / KW * DH, ix = x0 + tap % KW * DW;
        word[e] = (tap < KH * KW && iy >= 0 && iy < H && ix >= 0 && ix < W)
            ? *(global const int*)(xn + (iy * W + ix) * CP + c) : 0;
    }
    return (int4)(word[0], word[1], word[2], word[3]);
#endif
}
"""


def conv2d_nhwc(
    x_shape: tuple[int, int, int, int],
    w_shape: tuple[int, int, int, int],
    strides=(1, 1),
    pads=(0, 0, 0, 0),
    dilations=(1, 1),
    groups: int = 1,
    bias: bool = True,
    requant: Requant | None = None,
    residual: Residual | None = None,
    out_layout: Layout | None = None,
    engine: str = "tiled",
    tiles: GemmTiles | MmaTiles | None = None,
    split: int = 1,
    emulate: bool = False,
    dot: str = "mad",
    layer: str | None = None,
) -> Kernel:
    """graph.conv2d on int8 (int32 bias) reading x in NHWC, with graph.requantize and a residual
    graph.qadd optionally fused; the result in `out_layout` (default NHWC): int32 without
    `requant`, int8 with it. `tiles`/`split` choose the engine's blocking (default: mma_plan
    for "mma" on `units`=132, GemmTiles(64, 64, 32, 4, 4) for "tiled")."""
    n, c, h, w = x_shape
    o, cg, kh, kw = w_shape
    where = "kernel conv2d_nhwc" + (f" (layer {layer})" if layer else "")
    if groups < 1 or c != cg * groups or o % groups:
        raise CanopyError(
            f"conv2d: {c} input channels, weights {w_shape} and {groups} groups do not agree",
            where,
        )
    if engine not in ENGINES:
        raise CanopyError(f"unknown conv2d engine {engine!r} ({', '.join(ENGINES)})", where)
    if engine != "direct" and groups != 1:
        raise CanopyError(f"engine {engine} computes ungrouped convolutions only", where)
    if residual is not None and requant is None:
        raise CanopyError("a fused residual add needs the requantization before it", where)
    oh, ow = output_hw(h, w, kh, kw, strides, pads, dilations)
    if oh < 1 or ow < 1:
        raise CanopyError(f"conv2d output would be {oh}x{ow}", where)
    check_reduction(cg * kh * kw, where)
    check_requant(requant, o, where)
    if residual is not None:
        residual.check(where)
    x_layout = nhwc(c)
    out_layout = out_layout or nhwc(o)
    w_layout = NCHW if engine == "direct" else ohwi(w_shape, x_layout.cp)
    extra, consts = requant_buffers(requant, o)
    out_t = "int8" if requant is not None else "int32"
    y_shape = (n, o, oh, ow)
    buffers = [
        Buffer("x", "int8", tuple(x_shape), layout=x_layout),
        Buffer("w", "int8", tuple(w_shape), layout=w_layout),
    ]
    buffers += [Buffer("bias", "int32", (o,))] if bias else []
    buffers += [Buffer("res", "int8", y_shape, layout=out_layout)] if residual else []
    buffers += extra + [Buffer("y", out_t, y_shape, "out", layout=out_layout)]
    geo = dict(
        N=n, C=c, H=h, W=w, O=o, CG=cg, OG=o // groups, KH=kh, KW=kw, OH=oh, OW=ow,
        SH=strides[0], SW=strides[1], PT=pads[0], PL=pads[1], DH=dilations[0], DW=dilations[1],
        CP=x_layout.cp, M_PIX=n * oh * ow,
    )  # fmt: skip
    defines = "".join(f"#define {key} {v}\n" for key, v in geo.items())
    helpers = defines + requant_c(requant) + SHIFT_C + _epilogue(
        bias, requant, residual, out_layout, geo
    )
    args = ", ".join(
        ["bias" if bias else "0", "multipliers" if extra else "0", "res" if residual else "0"]
    )

    def store(row: str, col: str, acc: str) -> str:
        at = f"OUT_INDEX({row}, {col})"
        return f"y[{at}] = conv_finish({acc}, {col}, {at}, {args});"

    pixels = n * oh * ow
    fused = " + requantize" if requant else ""
    fused += " + qadd" if residual else ""
    title = f"int8 conv2d NHWC x{tuple(x_shape)} w{tuple(w_shape)} groups {groups}{fused}"
    title += f" -> {out_layout}, {engine}"
    ops = 2 * n * o * oh * ow * cg * kh * kw
    if engine == "direct":
        params = kernel_params(buffers)
        source = header(title, WRAP_C, helpers) + DIRECT_NHWC.format(
            params=params, total=pixels * o, store=store("p", "oc", "acc")
        )
        size = (max(round_up(pixels * o, 128), 128),)
        return Kernel("conv2d_nhwc", source, tuple(buffers), size, (128,), layer, ops,
                      consts=consts)  # fmt: skip
    k_len = w_layout.k
    plain = kh == kw == 1 and strides == (1, 1) and pads == (0, 0, 0, 0) and x_layout.cp % 16 == 0
    if plain:  # the input is the A matrix itself: rows of cp channels
        a_load = lambda r, kk: f"vload4(0, (global const int*)(x + {r} * CP + {kk}))"  # noqa: E731
    else:
        a_load = lambda r, kk: f"im2col16(x, {r}, {kk})"  # noqa: E731
    if engine == "mma":
        t, split = (tiles, split) if tiles is not None else mma_plan(pixels, o, k_len, 132)
        if not isinstance(t, MmaTiles) or t.bk % 32:
            raise CanopyError(f"engine mma takes MmaTiles with bk a multiple of 32, not {t}", where)
        split = split_steps(k_len, t.bk, split)[1]  # no split without k-tiles
        buffers += split_buffers(pixels, o, t, split)
        tile_out = None
        if requant is not None and out_layout.kind == "nhwc":  # int8 rows: whole words out
            consts_args = ", ".join(args.split(", ")[:2])
            tile_out = TileOut(
                out_layout.cp,
                lambda row, col, acc, r: f"conv_value({acc}, {col}, {r}, {consts_args})",
                residual is not None,
            )
        source = mma_core(
            "conv2d_nhwc", kernel_params(buffers), pixels, o, k_len, t, a_load,
            lambda r, kk: f"vload4(0, (global const int*)(w + {r} * {k_len} + {kk}))",
            store, helpers + IM2COL16, title + f", {t}, split-K {split}", emulate, split,
            a_guarded=plain, tile_out=tile_out,
        )  # fmt: skip
        size = (ceil_div(o, t.bn) * t.threads, ceil_div(pixels, t.bm), split)
        return Kernel("conv2d_nhwc", source, tuple(buffers), size, (t.threads, 1, 1), layer,
                      ops, consts=consts)  # fmt: skip
    t = tiles or GemmTiles(64, 64 if o >= 64 else 32 if o >= 32 else 16, 32, 4, 4)
    if not isinstance(t, GemmTiles):
        raise CanopyError(f"engine tiled takes GemmTiles, not {t}", where)
    t.check(where)

    def store4(row: str, col: str, accs: list[str]) -> str:
        return " ".join(
            f"if ({row} < {pixels} && {col} + {e} < {o}) "
            + store(row, f"({col} + {e})", a)
            for e, a in enumerate(accs)
        )

    source = gemm_core(
        "conv2d_nhwc",
        kernel_params(buffers),
        "",
        Operand(pixels, a_load, vec=True, guarded=plain),
        rows_operand("w", o, k_len),
        k_len,
        t,
        dot,
        store4,
        helpers + IM2COL16,
        title + f", tiles {t}, dot {dot}",
    )
    size = (ceil_div(o, t.bn) * t.tx, ceil_div(pixels, t.bm) * t.ty, 1)
    return Kernel("conv2d_nhwc", source, tuple(buffers), size, (t.tx, t.ty, 1), layer, ops,
                  consts=consts)  # fmt: skip


DIRECT_NHWC = """
__kernel void conv2d_nhwc({params}) {{
    const int i = get_global_id(0);
    if (i >= {total}) return;
    const int oc = i % O, p = i / O;
    const int img = p / (OH * OW), rem = p % (OH * OW);
    const int y0 = rem / OW * SH - PT, x0 = rem % OW * SW - PL;
    global const char* xn = x + img * (H * W * CP) + oc / OG * CG;
    global const char* wo = w + oc * (CG * KH * KW);
    int acc = 0;
    for (int r = 0; r < KH; ++r) {{
        const int iy = y0 + r * DH;
        if (iy < 0 || iy >= H) continue;
        for (int s = 0; s < KW; ++s) {{
            const int ix = x0 + s * DW;
            if (ix < 0 || ix >= W) continue;
            global const char* xp = xn + (iy * W + ix) * CP;
            for (int c = 0; c < CG; ++c)
                acc += (int)xp[c] * (int)wo[(c * KH + r) * KW + s];
        }}
    }}
    {store}
}}
"""
