"""int8 products on NVIDIA tensor cores: OpenCL C with inline PTX `mma.sync` (m16n8k32,
s8·s8→s32), for NVIDIA's OpenCL only. `mma_core` is the kernel body shared by `dense_mma` (same
arguments and results as gemm.dense, bit for bit: the tensor cores' int32 accumulation is exact
and wraps) and the NHWC implicit-GEMM convolution (`conv_nhwc`), which hand it their own loaders
of the A rows (pixels, gathered from the input without an im2col buffer) and their own stores.

Each warp (32 consecutive work-items of a 1-D work-group) owns MT×NT fragments of 16×8 outputs.
Fragments follow PTX's layout for m16n8k32 with A row-major and B column-major, which is
exactly the k-contiguous layout of x and w: lane (g = lane / 4, t = lane % 4) holds the words
A[g][t], A[g+8][t], A[g][t+4], A[g+8][t+4] (a word = 4 consecutive k), B[g][t], B[g][t+4], and
accumulates C[g][2t], C[g][2t+1], C[g+8][2t], C[g+8][2t+1]. Tiles are staged in local memory
row-major with rows padded to a word stride whose residues mod 32 banks differ for the 8 rows a
fragment load touches (conflict-free), double buffered as in gemm.

Split-K (`split` > 1) serves products with few output tiles and a long reduction (batch-1 layers
at 7×7): the k-tiles are shared among `split` work-groups per output tile (NDRange dimension 2),
each adds its int32 partial sums into a workspace with atomic adds, and the last to arrive (a
per-tile counter) reads the sums back, resetting workspace and counter to zero for the next
launch, and runs the epilogue. Integer addition is associative, so the result does not depend
on the order of arrival: it equals the unsplit product bit for bit.

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
    kernel_params,
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
// Output q (0..3) of a lane's m16n8k32 fragment from the fragments every lane of its warp
// published in local memory: row lane/4 (+8), column 2·(lane%4) (+1).
static inline int mma_part(local const int* xa, local const int* xb, int warp0, int lane, int q) {
    const int row = lane / 4 + 8 * (q / 2), col = 2 * (lane % 4) + q % 2;
    int s = 0;
    for (int kw = 0; kw < 8; ++kw) {
        const int a = xa[(warp0 + (row % 8) * 4 + kw % 4) * 4 + row / 8 + 2 * (kw / 4)];
        const int b = xb[(warp0 + col * 4 + kw % 4) * 2 + kw / 4];
        s += dot4(a, b);
    }
    return s;
}
// One warp's m16n8k32 through local memory: every lane publishes its fragments, then adds the
// four outputs it holds (wrapping, as the tensor cores do).
#define MMA(c, a0, a1, a2, a3, b0, b1) do { \\
    const int lid_ = get_local_id(0), lane_ = lid_ & 31, warp0_ = lid_ - lane_; \\
    xa[lid_ * 4 + 0] = a0; xa[lid_ * 4 + 1] = a1; xa[lid_ * 4 + 2] = a2; \\
    xa[lid_ * 4 + 3] = a3; xb[lid_ * 2 + 0] = b0; xb[lid_ * 2 + 1] = b1; \\
    barrier(CLK_LOCAL_MEM_FENCE); \\
    c##0 = as_int(as_uint(c##0) + as_uint(mma_part(xa, xb, warp0_, lane_, 0))); \\
    c##1 = as_int(as_uint(c##1) + as_uint(mma_part(xa, xb, warp0_, lane_, 1))); \\
    c##2 = as_int(as_uint(c##2) + as_uint(mma_part(xa, xb, warp0_, lane_, 2))); \\
    c##3 = as_int(as_uint(c##3) + as_uint(mma_part(xa, xb, warp0_, lane_, 3))); \\
    barrier(CLK_LOCAL_MEM_FENCE); \\
} while (0)
"""


def split_steps(k: int, bk: int, split: int) -> tuple[int, int]:
    """(k-tiles per split, splits actually used) when `split` work-groups share k's tiles."""
    tiles = ceil_div(k, bk)
    per = ceil_div(tiles, max(1, min(split, tiles)))
    return per, ceil_div(tiles, per)


def split_buffers(m: int, n: int, t: MmaTiles, split: int) -> list[Buffer]:
    """The scratch buffers of a split-K kernel: the int32 workspace and the per-tile counters."""
    if split <= 1:
        return []
    tiles = ceil_div(m, t.bm) * ceil_div(n, t.bn)
    return [Buffer("ws", "int32", (m, n), "scratch"), Buffer("sem", "int32", (tiles,), "scratch")]


# A device-wide fence: the partial sums of every work-item are performed before the tile
# counter moves. NVIDIA's OpenCL scopes mem_fence to the work-group, so PTX's membar.gl.
FENCE_PTX = '#define GLOBAL_FENCE() asm volatile("membar.gl;" ::: "memory")\n'
FENCE_CL = "#define GLOBAL_FENCE() mem_fence(CLK_GLOBAL_MEM_FENCE)\n"


@dataclass(frozen=True)
class TileOut:
    """An epilogue writing the output tile row by row: C[row, col] is the int8
    `value(row, col, acc, r)` (r: the residual's int8 at the same place, from `res` when
    `residual`), stored at y[row·stride + col]; rows are `stride` bytes (a multiple of 4) and
    bytes between n and the stride are padding the tile may overwrite."""

    stride: int
    value: object
    residual: bool = False


def _tile_stores(t: MmaTiles, m: int, n: int, values, out: TileOut) -> str:
    """The tile through local memory (the staging buffers, free once the k loop is done): the
    residual tile read in whole words, each work-item's values computed in place, then whole
    words written. Word accesses are coalesced, where a work-item's own values are scattered."""
    ls = t.bn + 4  # bytes per local row
    words = t.bn // 4
    chunks = t.bm * words

    def rows_loop(body: str) -> str:
        return (
            f"for (int q = lid; q < {chunks}; q += {t.threads}) {{\n"
            f"        const int lr = q / {words}, lc = q % {words} * 4;\n"
            f"        const int row = m0 + lr, col = n0 + lc;\n"
            f"        if (row < {m} && col < {out.stride}) {body}\n    }}"
        )

    lines = ["local char* tile_ = (local char*)x_s4;", "barrier(CLK_LOCAL_MEM_FENCE);"]
    if out.residual:
        lines.append(rows_loop(
            f"*(local int*)(tile_ + lr * {ls} + lc) = *(global const int*)(res + row * "
            f"{out.stride} + col);"
        ))  # fmt: skip
        lines.append("barrier(CLK_LOCAL_MEM_FENCE);")
    for r, c, v in values:
        at = f"tile_[(row - m0) * {ls} + col - n0]"
        resid = at if out.residual else "0"
        lines.append(
            f"{{ const int row = {r}, col = {c}; if (row < {m} && col < {n}) "
            f"{at} = {out.value('row', 'col', v, resid)}; }}"
        )
    lines.append("barrier(CLK_LOCAL_MEM_FENCE);")
    lines.append(rows_loop(
        f"*(global int*)(y + row * {out.stride} + col) = *(local int*)(tile_ + lr * {ls} + lc);"
    ))  # fmt: skip
    return "\n    ".join(lines)


def mma_core(
    name: str,
    params: str,
    m: int,
    n: int,
    k: int,
    t: MmaTiles,
    a_load,
    b_load,
    store,
    helpers: str,
    title: str,
    emulate: bool = False,
    split: int = 1,
    a_guarded: bool = True,
    b_guarded: bool = True,
    tile_out: TileOut | None = None,
) -> str:
    """The OpenCL C of C[m, n] = Σ_k A[m, k]·B[n, k] on tensor cores. `a_load(row, k)` and
    `b_load(row, k)` are C expressions of the int4 holding k..k+15 of a row (with `*_guarded`
    the core adds the bounds checks, else the loader returns zeros outside itself);
    `store(row, col, acc)` is a C statement storing output (row, col) from its int32 sum
    (called inside the bounds check), unless `tile_out` stores whole rows of a channels-last
    result through local memory. `params` must end with the split-K buffers (ws, sem) when
    `split` > 1 (see split_buffers)."""
    rs = t.bk // 4 + 4  # words per local row
    cpr = t.bk // 16  # 16-byte chunks per tile row
    full = m % t.bm == 0 and n % t.bn == 0 and k % t.bk == 0
    lines = []

    def stage(side: str, block: int, rows: int, first: bool) -> None:
        chunks = block * cpr
        exact = chunks % t.threads == 0
        load_fn, guarded = (a_load, a_guarded) if side == "x" else (b_load, b_guarded)
        for j in range(ceil_div(chunks, t.threads)):
            idx = f"(lid + {j * t.threads})"
            row, q = f"{idx} / {cpr}", f"{idx} % {cpr}"
            grow, gk = f"({'m0' if side == 'x' else 'n0'} + {row})", f"(k0 + {q} * 16)"
            conds = ([] if exact else [f"{idx} < {chunks}"]) + (
                [f"{grow} < {rows}", f"{gk} < {k}"] if guarded and not full else []
            )
            load = load_fn(grow, gk)
            dst = f"{side}_s4[(buf * {block} + {row}) * {rs // 4} + {q}]"
            if first:
                guarded_load = f"({' && '.join(conds)}) ? {load} : (int4)(0)" if conds else load
                lines.append(f"{side}_r[{j}] = {guarded_load};")
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
    fetch, stage_store = fetch_store
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
        body.append(f"const int b{j}0 = ws_[{r}], b{j}1 = ws_[{r} + 4];")
    for i in range(t.mt):
        for j in range(t.nt):
            body.append(f"MMA(c{i}_{j}_, a{i}0, a{i}1, a{i}2, a{i}3, b{j}0, b{j}1);")
    compute = "\n                ".join(body)
    # (row, col, accumulator) of every value this work-item holds
    values = []
    for i in range(t.mt):
        for j in range(t.nt):
            for h in range(2):  # rows g and g + 8
                for e in range(2):
                    row = f"m0 + wrow + {i * 16 + 8 * h} + g"
                    col = f"n0 + wcol + {j * 8} + 2 * tq + {e}"
                    values.append((row, col, f"c{i}_{j}_{2 * h + e}"))

    def guard(row: str, col: str) -> str:
        return "" if full else f"if ({row} < {m} && {col} < {n}) "

    reduce = ""
    if split > 1:
        adds = "\n    ".join(
            f"{{ const int row = {r}, col = {c}; {guard('row', 'col')}"
            f"atomic_add(ws + row * {n} + col, {v}); }}"
            for r, c, v in values
        )
        takes = "\n    ".join(
            f"{{ const int row = {r}, col = {c}; {guard('row', 'col')}"
            f"{v} = atomic_xchg(ws + row * {n} + col, 0); }}"
            for r, c, v in values
        )
        tile = f"get_group_id(1) * {ceil_div(n, t.bn)} + get_group_id(0)"
        reduce = f"""
    {adds}
    GLOBAL_FENCE();
    barrier(CLK_LOCAL_MEM_FENCE | CLK_GLOBAL_MEM_FENCE);
    if (lid == 0) last_ = atomic_inc(sem + {tile}) == {split - 1};
    barrier(CLK_LOCAL_MEM_FENCE);
    if (!last_) return;
    if (lid == 0) atomic_xchg(sem + {tile}, 0);
    GLOBAL_FENCE();
    {takes}
"""
    if tile_out is not None and t.bn + 4 <= 8 * rs:
        stores = _tile_stores(t, m, n, values, tile_out)
    else:
        stores = "\n    ".join(
            f"{{ const int row = {r}, col = {c}; {guard('row', 'col')}{store('row', 'col', v)} }}"
            for r, c, v in values
        )
    scratch = (
        f"local int xa[{t.threads * 4}];\n    local int xb[{t.threads * 2}];" if emulate else ""
    )
    per, used = split_steps(k, t.bk, split)
    if used != split:
        raise CanopyError(f"split-K of {split} leaves splits without k-tiles (use {used})")
    kt_all = ceil_div(k, t.bk)
    fence = FENCE_CL if emulate else FENCE_PTX
    source = header(title, MMA_EMULATED if emulate else MMA_PTX, fence, WRAP_C, helpers)
    source += f"""
__kernel __attribute__((reqd_work_group_size({t.threads}, 1, 1)))
void {name}({params}) {{
    const int lid = get_local_id(0), lane = lid & 31, warp = lid >> 5;
    const int g = lane >> 2, tq = lane & 3;
    const int wrow = (warp / {t.wn}) * {t.mt * 16}, wcol = (warp % {t.wn}) * {t.nt * 8};
    const int m0 = get_group_id(1) * {t.bm}, n0 = get_group_id(0) * {t.bn};
    const int kt0 = get_group_id(2) * {per}, kt1 = min({kt_all}, kt0 + {per});
    local int4 x_s4[{2 * t.bm * rs // 4}];
    local int4 w_s4[{2 * t.bn * rs // 4}];
    local int last_;
    {scratch}
    {decl}
    int4 x_r[{nx}], w_r[{nw}];
    int k0 = kt0 * {t.bk}, buf = 0;
    {fetch}
    {stage_store}
    barrier(CLK_LOCAL_MEM_FENCE);
    for (int kt = kt0; kt < kt1; ++kt) {{
        k0 = (kt + 1) * {t.bk};
        if (kt + 1 < kt1) {{
        {fetch}
        }}
        local const int* xs = (local const int*)x_s4 + ((kt - kt0) & 1) * {t.bm * rs} + tq;
        local const int* ws_ = (local const int*)w_s4 + ((kt - kt0) & 1) * {t.bn * rs} + tq;
        #pragma unroll
        for (int kw = 0; kw < {t.bk // 4}; kw += 8) {{
                {compute}
        }}
        if (kt + 1 < kt1) {{
            buf = (kt + 1 - kt0) & 1;
        {stage_store}
        }}
        barrier(CLK_LOCAL_MEM_FENCE);
    }}{reduce}
    {stores}
}}
"""
    return source


def dense_mma(
    m: int,
    n: int,
    k: int,
    bias: bool = True,
    requant: Requant | None = None,
    tiles: MmaTiles | None = None,
    emulate: bool = False,
    layer: str | None = None,
    split: int = 1,
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
    split = split_steps(k, t.bk, split)[1]  # no split without k-tiles
    buffers = [Buffer("x", "int8", (m, k)), Buffer("w", "int8", (n, k))]
    buffers += [Buffer("bias", "int32", (n,))] if bias else []
    buffers += extra + [Buffer("y", out_t, (m, n), "out")] + split_buffers(m, n, t, split)
    mult = "multipliers" if extra else "0"

    def store(row: str, col: str, acc: str) -> str:
        v = f"add_wrap({acc}, bias[{col}])" if bias else acc
        return f"y[{row} * {n} + {col}] = canopy_out({v}, {col}, {mult});"

    title = f"int8 dense {m}x{n}x{k} on tensor cores, {t}" + (" (emulated)" if emulate else "")
    title += f", split-K {split}" if split > 1 else ""
    source = mma_core(
        "dense_mma",
        kernel_params(buffers),
        m,
        n,
        k,
        t,
        lambda r, kk: f"vload4(0, (global const int*)(x + {r} * {k} + {kk}))",
        lambda r, kk: f"vload4(0, (global const int*)(w + {r} * {k} + {kk}))",
        store,
        requant_c(requant),
        title,
        emulate,
        split,
    )
    return Kernel(
        "dense_mma",
        source,
        tuple(buffers),
        (ceil_div(n, t.bn) * t.threads, ceil_div(m, t.bm), split),
        (t.threads, 1, 1),
        layer,
        2 * m * n * k,
        consts=consts,
    )
