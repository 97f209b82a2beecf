"""int8 dense on NVIDIA tensor cores: OpenCL C with inline PTX `mma.sync` (m16n8k32, s8·s8→s32),
for NVIDIA's OpenCL only. Same arguments and results as gemm.dense, bit for bit (the tensor
cores' int32 accumulation is exact and wraps).

Each warp (32 consecutive work-items of a 1-D work-group) owns MT×NT fragments of 16×8 outputs.
Fragments follow PTX's layout for m16n8k32 with A row-major and B column-major, which is
exactly the k-contiguous layout of x and w: lane (g = lane / 4, t = lane % 4) holds the words
A[g][t], A[g+8][t], A[g][t+4], A[g+8][t+4] (a word = 4 consecutive k), B[g][t], B[g][t+4], and
accumulates C[g][2t], C[g][2t+1], C[g+8][2t], C[g+8][2t+1]. Tiles are staged in local memory
row-major with rows padded to a word stride whose residues mod 32 banks differ for the 8 rows a
fragment load touches (conflict-free), double buffered as in gemm.

`emulate=True` replaces the PTX instruction with the same computation through local memory
(lanes publish their fragments, then each computes its four outputs), so the fragment
bookkeeping is tested on any OpenCL device, e.g. PoCL.
"""

from __future__ import annotations

from dataclasses import dataclass

from canopy_ir.errors import CanopyError
from canopy_ir.quant import Requant

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
)


@dataclass(frozen=True)
class MmaTiles:
    """wm×wn warps per work-group, each mt×nt fragments (16×8 outputs); k-tile bk (int8)."""

    wm: int = 2
    wn: int = 4
    mt: int = 4
    nt: int = 4
    bk: int = 64

    @property
    def bm(self) -> int:
        return self.wm * self.mt * 16

    @property
    def bn(self) -> int:
        return self.wn * self.nt * 8

    @property
    def threads(self) -> int:
        return 32 * self.wm * self.wn

    def local_bytes(self) -> int:
        return 2 * (self.bm + self.bn) * (self.bk // 4 + 4) * 4


MMA_PTX = (
    '#define MMA(c, a0, a1, a2, a3, b0, b1) asm("mma.sync.aligned.m16n8k32.row.col.s32.s8.s8.s32 '
    '{%0,%1,%2,%3}, {%4,%5,%6,%7}, {%8,%9}, {%10,%11,%12,%13};" '
    ': "=r"(c##0), "=r"(c##1), "=r"(c##2), "=r"(c##3) '
    ': "r"(a0), "r"(a1), "r"(a2), "r"(a3), "r"(b0), "r"(b1), '
    '"r"(c##0), "r"(c##1), "r"(c##2), "r"(c##3))\n'
)

MMA_EMULATED = """static inline int dot4(int a, int b) {
    const char4 x = as_char4(a), y = as_char4(b);
    return x.x * y.x + x.y * y.y + x.z * y.z + x.w * y.w;
}
// One warp's m16n8k32 through local memory: every lane publishes its fragments, then computes
// its four outputs from the lanes that hold each row of A and column of B.
static inline void mma_emulated(int* c0, int* c1, int* c2, int* c3, int a0, int a1, int a2, int a3,
                         int b0, int b1, local int* xa, local int* xb) {
    const int lid = get_local_id(0), lane = lid & 31, warp0 = lid - lane;
    xa[lid * 4 + 0] = a0; xa[lid * 4 + 1] = a1; xa[lid * 4 + 2] = a2; xa[lid * 4 + 3] = a3;
    xb[lid * 2 + 0] = b0; xb[lid * 2 + 1] = b1;
    barrier(CLK_LOCAL_MEM_FENCE);
    int* c[4] = {c0, c1, c2, c3};
    for (int q = 0; q < 4; ++q) {
        const int row = lane / 4 + 8 * (q / 2), col = 2 * (lane % 4) + q % 2;
        int s = 0;
        for (int kw = 0; kw < 8; ++kw) {
            const int a = xa[(warp0 + (row % 8) * 4 + kw % 4) * 4 + row / 8 + 2 * (kw / 4)];
            const int b = xb[(warp0 + col * 4 + kw % 4) * 2 + kw / 4];
            s += dot4(a, b);
        }
        *c[q] += s;
    }
    barrier(CLK_LOCAL_MEM_FENCE);
}
#define MMA(c, a0, a1, a2, a3, b0, b1) \\
    mma_emulated(&c##0, &c##1, &c##2, &c##3, a0, a1, a2, a3, b0, b1, xa, xb)
"""


def dense_mma(
    m: int,
    n: int,
    k: int,
    bias: bool = True,
    requant: Requant | None = None,
    tiles: MmaTiles | None = None,
    emulate: bool = False,
    layer: str | None = None,
) -> Kernel:
    """gemm.dense on tensor cores (k a multiple of 16: rows are fetched 16 bytes at a time)."""
    where = "kernel dense_mma" + (f" (layer {layer})" if layer else "")
    t = tiles or MmaTiles()
    if k % 16 or t.bk % 32 or t.threads > 1024:
        raise CanopyError(f"dense_mma needs k and bk multiples of 16 and 32 ({k}, {t})", where)
    check_reduction(k, where)
    check_requant(requant, n, where)
    extra, consts = requant_buffers(requant, n)
    out_t = "int32" if requant is None else "int8"
    buffers = [Buffer("x", "int8", (m, k)), Buffer("w", "int8", (n, k))]
    buffers += [Buffer("bias", "int32", (n,))] if bias else []
    buffers += extra + [Buffer("y", out_t, (m, n), "out")]
    ctype = {"int8": "char", "int32": "int"}
    params = ", ".join(
        f"global {'const ' if b.role != 'out' else ''}{ctype[b.dtype]}* restrict {b.name}"
        for b in buffers
    )
    rs = t.bk // 4 + 4  # words per local row
    cpr = t.bk // 16  # 16-byte chunks per tile row
    lines = []

    full = m % t.bm == 0 and n % t.bn == 0 and k % t.bk == 0

    def stage(side: str, block: int, rows: int, first: bool) -> None:
        chunks = block * cpr
        exact = chunks % t.threads == 0
        for j in range(ceil_div(chunks, t.threads)):
            idx = f"(lid + {j * t.threads})"
            row, q = f"{idx} / {cpr}", f"{idx} % {cpr}"
            grow, gk = f"({'m0' if side == 'x' else 'n0'} + {row})", f"(k0 + {q} * 16)"
            conds = ([] if exact else [f"{idx} < {chunks}"]) + (
                [] if full else [f"{grow} < {rows}", f"{gk} < {k}"]
            )
            load = f"vload4(0, (global const int*)({side} + {grow} * {k} + {gk}))"
            dst = f"{side}_s4[(buf * {block} + {row}) * {rs // 4} + {q}]"
            if first:
                guarded = f"({' && '.join(conds)}) ? {load} : (int4)(0)" if conds else load
                lines.append(f"{side}_r[{j}] = {guarded};")
            else:
                lines.append(
                    f"{dst} = {side}_r[{j}];"
                    if exact
                    else f"if ({idx} < {chunks}) {dst} = {side}_r[{j}];"
                )

    fetch_store = []
    for first in (True, False):
        lines = []
        stage("x", t.bm, m, first)
        stage("w", t.bn, n, first)
        fetch_store.append("\n        ".join(lines))
    fetch, store = fetch_store
    nx, nw = ceil_div(t.bm * cpr, t.threads), ceil_div(t.bn * cpr, t.threads)
    acc = [f"c{i}_{j}_" for i in range(t.mt) for j in range(t.nt)]
    decl = "\n    ".join(f"int {a}0 = 0, {a}1 = 0, {a}2 = 0, {a}3 = 0;" for a in acc)
    body = []
    for i in range(t.mt):
        r = f"(wrow + {i * 16} + g) * {rs} + kw"
        body.append(
            f"const int a{i}0 = xs[{r}], a{i}1 = xs[{r} + {8 * rs}], "
            f"a{i}2 = xs[{r} + 4], a{i}3 = xs[{r} + {8 * rs} + 4];"
        )
    for j in range(t.nt):
        r = f"(wcol + {j * 8} + g) * {rs} + kw"
        body.append(f"const int b{j}0 = ws[{r}], b{j}1 = ws[{r} + 4];")
    for i in range(t.mt):
        for j in range(t.nt):
            body.append(f"MMA(c{i}_{j}_, a{i}0, a{i}1, a{i}2, a{i}3, b{j}0, b{j}1);")
    compute = "\n                ".join(body)
    mult = "multipliers" if extra else "0"
    stores = []
    for i in range(t.mt):
        for j in range(t.nt):
            for h in range(2):  # rows g and g + 8
                row = f"m0 + wrow + {i * 16 + 8 * h} + g"
                col = f"n0 + wcol + {j * 8} + 2 * tq"
                for e in range(2):
                    v = f"c{i}_{j}_{2 * h + e}"
                    v = f"add_wrap({v}, bias[col + {e}])" if bias else v
                    guard = "" if full else f"if (row < {m} && col + {e} < {n}) "
                    stores.append(
                        f"{{ const int row = {row}, col = {col}; {guard}"
                        f"y[row * {n} + col + {e}] = canopy_out({v}, col + {e}, {mult}); }}"
                    )
    scratch = (
        f"local int xa[{t.threads * 4}];\n    local int xb[{t.threads * 2}];" if emulate else ""
    )
    kt = ceil_div(k, t.bk)
    title = f"int8 dense {m}x{n}x{k} on tensor cores, {t}" + (" (emulated)" if emulate else "")
    source = header(title, MMA_EMULATED if emulate else MMA_PTX, WRAP_C, requant_c(requant))
    source += f"""
__kernel __attribute__((reqd_work_group_size({t.threads}, 1, 1)))
void dense_mma({params}) {{
    const int lid = get_local_id(0), lane = lid & 31, warp = lid >> 5;
    const int g = lane >> 2, tq = lane & 3;
    const int wrow = (warp / {t.wn}) * {t.mt * 16}, wcol = (warp % {t.wn}) * {t.nt * 8};
    const int m0 = get_group_id(1) * {t.bm}, n0 = get_group_id(0) * {t.bn};
    local int4 x_s4[{2 * t.bm * rs // 4}];
    local int4 w_s4[{2 * t.bn * rs // 4}];
    {scratch}
    {decl}
    int4 x_r[{nx}], w_r[{nw}];
    int k0 = 0, buf = 0;
    {fetch}
    {store}
    barrier(CLK_LOCAL_MEM_FENCE);
    for (int kt = 0; kt < {kt}; ++kt) {{
        k0 = (kt + 1) * {t.bk};
        if (kt + 1 < {kt}) {{
        {fetch}
        }}
        local const int* xs = (local const int*)x_s4 + (kt & 1) * {t.bm * rs} + tq;
        local const int* ws = (local const int*)w_s4 + (kt & 1) * {t.bn * rs} + tq;
        #pragma unroll
        for (int kw = 0; kw < {t.bk // 4}; kw += 8) {{
                {compute}
        }}
        if (kt + 1 < {kt}) {{
            buf = (kt + 1) & 1;
        {store}
        }}
        barrier(CLK_LOCAL_MEM_FENCE);
    }}
    {chr(10).join("    " + s for s in stores).lstrip()}
}}
"""
    return Kernel(
        "dense_mma",
        source,
        tuple(buffers),
        (ceil_div(n, t.bn) * t.threads, ceil_div(m, t.bm), 1),
        (t.threads, 1, 1),
        layer,
        2 * m * n * k,
        consts=consts,
    )
