"""Tiled int8 matrix products: the core shared by dense and convolution, and `dense` itself.

C[m, n] = Σ_k A[m, k] · B[n, k]: both operands are k-contiguous (dense's weights are (out, in),
a convolution's are (out, in·kh·kw)), so every 32-bit word holds four consecutive k of one row
and a 4-way int8 dot product consumes a pair of words.

A work-group computes a BM×BN block of C, stepping through k in BK-wide tiles that are staged in
local memory as words, k-major ([k/4][row]), so that a work-item fetches the words of four
neighbouring rows with one 16-byte load. Each work-item owns TM×TN accumulators in registers,
rows {s·4·TY + ty·4 + e}: slabs of four adjacent rows, the slabs one work-group row apart, so a
quarter-warp's 16-byte loads cover 128 contiguous bytes (no bank conflicts). Tiles are double
buffered: the next tile is fetched from global memory into registers while the current one is
multiplied, and one barrier per tile separates the two buffers' uses.
"""

from __future__ import annotations

from collections.abc import Callable
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
    dot4_c,
    header,
    requant_buffers,
    requant_c,
)

PAD = 4  # words added to every local row: keeps 16-byte alignment, staggers the banks of stores


@dataclass(frozen=True)
class GemmTiles:
    """Work-group block bm×bn, k-tile bk (int8 elements), tm×tn accumulators per work-item."""

    bm: int = 64
    bn: int = 64
    bk: int = 32
    tm: int = 4
    tn: int = 4

    @property
    def tx(self) -> int:
        return self.bn // self.tn

    @property
    def ty(self) -> int:
        return self.bm // self.tm

    @property
    def threads(self) -> int:
        return self.tx * self.ty

    def check(self, where: str) -> None:
        ok = (
            self.tm % 4 == 0
            and self.tn % 4 == 0
            and self.bk % 16 == 0
            and self.bm % self.tm == 0
            and self.bn % self.tn == 0
            and 1 <= self.threads <= 1024
        )
        if not ok:
            raise CanopyError(
                f"invalid GEMM tiles {self}: tm, tn multiples of 4 dividing bm, bn; bk a "
                "multiple of 16; at most 1024 work-items",
                where,
            )

    def local_bytes(self) -> int:
        return 2 * (self.bk // 4) * (self.bm + self.bn + 2 * PAD) * 4


@dataclass(frozen=True)
class Operand:
    """How one side of the product is fetched. `load(row, k)` is a C expression for the words at
    row `row` (0 ≤ row < rows) and k..k+15 (`vec`, an int4) or k..k+3 (an int); with `guarded`
    the core wraps it in the bounds check (row < rows && k < K), else `load` checks itself."""

    rows: int
    load: Callable[[str, str], str]
    vec: bool
    guarded: bool = True


def rows_operand(ptr: str, rows: int, k_len: int) -> Operand:
    """A row-major int8 matrix `ptr`[rows][k_len]: 16-byte loads when every row starts on a
    16-byte boundary, 4-byte loads at 4, else bytes assembled into words."""
    if k_len % 16 == 0:
        return Operand(
            rows,
            lambda r, k: f"vload4(0, (global const int*)({ptr} + ({r}) * {k_len} + ({k})))",
            True,
        )
    if k_len % 4 == 0:
        return Operand(
            rows, lambda r, k: f"*(global const int*)({ptr} + ({r}) * {k_len} + ({k}))", False
        )
    return Operand(
        rows,
        lambda r, k: f"(({r}) < {rows} ? pack4({ptr} + ({r}) * {k_len}, {k}, {k_len}) : 0)",
        False,
        guarded=False,
    )


PACK4_C = """static inline int pack4(global const char* row, int k, int len) {
    uint w = 0;
    for (int e = 0; e < 4; ++e)
        if (k + e < len) w |= (uint)(uchar)row[k + e] << (8 * e);
    return as_int(w);
}
"""


def _stage(side: str, op: Operand, t: GemmTiles, rows: int, k_len: int, full: bool):
    """C for fetching one tile of `side` into registers, and for storing them to local memory."""
    block = t.bm if side == "a" else t.bn
    per = 16 if op.vec else 4
    cpr = t.bk // per  # chunks per row of the tile
    chunks = block * cpr
    n = ceil_div(chunks, t.threads)
    exact = chunks % t.threads == 0
    base = "m0" if side == "a" else "n0"
    zero = "(int4)(0)" if op.vec else "0"
    ctype = "int4" if op.vec else "int"
    decl = f"    {ctype} {side}_r[{n}];\n"
    fetch, store = [], []
    for j in range(n):
        idx = f"(lid + {j * t.threads})"
        row, kq = f"({idx} / {cpr})", f"({idx} % {cpr})"
        grow, gk = f"({base} + {row})", f"(k0 + {kq} * {per})"
        expr = op.load(grow, gk)
        conds = [] if exact else [f"{idx} < {chunks}"]
        if op.guarded and not full:
            conds += [f"{grow} < {rows}", f"{gk} < {k_len}"]
        if conds:
            expr = f"({' && '.join(conds)}) ? {expr} : {zero}"
        fetch.append(f"{side}_r[{j}] = {expr};")
        dst = f"({side}_s + buf * {t.bk // 4 * (block + PAD)})"
        lanes = [".s0", ".s1", ".s2", ".s3"] if op.vec else [""]
        body = " ".join(
            f"{dst}[({kq} * {len(lanes)} + {e}) * {block + PAD} + {row}] = {side}_r[{j}]{lane};"
            for e, lane in enumerate(lanes)
        )
        store.append(body if exact else f"if ({idx} < {chunks}) {{ {body} }}")
    return decl, fetch, store


def gemm_core(
    name: str,
    params: str,
    prologue: str,
    a: Operand,
    b: Operand,
    k_len: int,
    t: GemmTiles,
    dot: str,
    store4: Callable[[str, str, list[str]], str],
    helpers: str,
    title: str,
) -> str:
    """The OpenCL C of a tiled product. `params` are the kernel's arguments, `prologue` runs
    first (e.g. offsets a per-group pointer), `store4(row, col, accs)` writes the four
    accumulators of columns col..col+3 of row `row` (any of them may lie outside C)."""
    full = a.rows % t.bm == 0 and b.rows % t.bn == 0 and k_len % t.bk == 0
    a_decl, a_fetch, a_store = _stage("a", a, t, a.rows, k_len, full)
    b_decl, b_fetch, b_store = _stage("b", b, t, b.rows, k_len, full)
    kt = ceil_div(k_len, t.bk)
    words = t.bk // 4
    rs_a, rs_b = (t.bm + PAD) // 4, (t.bn + PAD) // 4  # row strides in int4
    rows = [s * 4 * t.ty for s in range(t.tm // 4)]
    cols = [s * 4 * t.tx for s in range(t.tn // 4)]
    acc = [[f"c{i}_{j}" for j in range(t.tn)] for i in range(t.tm)]
    lines = []
    for s in range(t.tm // 4):
        lines.append(f"int4 va{s} = a4[kk * {rs_a} + {s * t.ty} + ty];")
    for s in range(t.tn // 4):
        lines.append(f"int4 vb{s} = b4[kk * {rs_b} + {s * t.tx} + tx];")
    lane = [".s0", ".s1", ".s2", ".s3"]
    for i in range(t.tm):
        for j in range(t.tn):
            lines.append(f"DOT4({acc[i][j]}, va{i // 4}{lane[i % 4]}, vb{j // 4}{lane[j % 4]});")
    compute = "\n".join("                " + ln for ln in lines)
    stores = []
    for i in range(t.tm):
        row = f"m0 + {rows[i // 4]} + ty * 4 + {i % 4}"
        for s in range(t.tn // 4):
            col = f"n0 + {cols[s]} + tx * 4"
            stmt = store4("row", "col", acc[i][s * 4 : s * 4 + 4])
            stores.append(f"{{ const int row = {row}, col = {col};\n        {stmt} }}")
    decls = "\n".join("    int " + ", ".join(f"{c} = 0" for c in r) + ";" for r in acc)
    ind, ind0 = "\n" + " " * 8, "\n" + " " * 4
    return (
        header(title, dot4_c(dot), WRAP_C, helpers)
        + f"""
__kernel __attribute__((reqd_work_group_size({t.tx}, {t.ty}, 1)))
void {name}({params}) {{
    const int tx = get_local_id(0), ty = get_local_id(1);
    const int lid = ty * {t.tx} + tx;
    const int m0 = get_group_id(1) * {t.bm}, n0 = get_group_id(0) * {t.bn};
{prologue}
    local int4 a_s4[{2 * words * rs_a}];
    local int4 b_s4[{2 * words * rs_b}];
    local int* a_s = (local int*)a_s4;
    local int* b_s = (local int*)b_s4;
{decls}
{a_decl}{b_decl}
    int k0 = 0, buf = 0;
    {ind0.join(a_fetch + b_fetch)}
    {ind0.join(a_store + b_store)}
    barrier(CLK_LOCAL_MEM_FENCE);
    for (int kt = 0; kt < {kt}; ++kt) {{
        k0 = (kt + 1) * {t.bk};
        if (kt + 1 < {kt}) {{
        {ind.join(a_fetch + b_fetch)}
        }}
        {{
            local const int4* a4 = a_s4 + (kt & 1) * {words * rs_a};
            local const int4* b4 = b_s4 + (kt & 1) * {words * rs_b};
            #pragma unroll
            for (int kk = 0; kk < {words}; ++kk) {{
{compute}
            }}
        }}
        if (kt + 1 < {kt}) {{
            buf = (kt + 1) & 1;
        {ind.join(a_store + b_store)}
        }}
        barrier(CLK_LOCAL_MEM_FENCE);
    }}
    {(chr(10) + "    ").join(stores)}
}}
"""
    )


def dense(
    m: int,
    n: int,
    k: int,
    bias: bool = True,
    requant: Requant | None = None,
    tiles: GemmTiles | None = None,
    dot: str = "mad",
    layer: str | None = None,
) -> Kernel:
    """graph.dense on int8: y[m, n] = Σ_k x[m, k]·w[n, k] + bias[n] (int32, wrapping), stored as
    int32 or, with `requant`, requantized to int8 (multipliers per output feature n)."""
    name = "dense"
    where = f"kernel {name}" + (f" (layer {layer})" if layer else "")
    t = tiles or GemmTiles()
    t.check(where)
    check_reduction(k, where)
    check_requant(requant, n, where)
    extra, consts = requant_buffers(requant, n)
    out_t = "int32" if requant is None else "int8"
    buffers = [Buffer("x", "int8", (m, k)), Buffer("w", "int8", (n, k))]
    buffers += [Buffer("bias", "int32", (n,))] if bias else []
    buffers += extra + [Buffer("y", out_t, (m, n), "out")]
    params = ", ".join(
        f"global {'const ' if b.role != 'out' else ''}{_ct(b.dtype)}* restrict {b.name}"
        for b in buffers
    )
    mult = "multipliers" if extra else "0"
    vec_out = n % 4 == 0
    full_out = m % t.bm == 0 and n % t.bn == 0

    def store4(row: str, col: str, accs: list[str]) -> str:
        vals = [
            f"canopy_out({f'add_wrap({a}, bias[{col} + {e}])' if bias else a}, {col} + {e}, {mult})"
            for e, a in enumerate(accs)
        ]
        if vec_out:
            vt = "int4" if requant is None else "char4"
            stmt = f"vstore4(({vt})({', '.join(vals)}), 0, y + ({row}) * {n} + {col});"
            return stmt if full_out else f"if ({row} < {m} && {col} < {n}) {stmt}"
        return " ".join(
            f"if ({row} < {m} && {col} + {e} < {n}) y[({row}) * {n} + {col} + {e}] = {v};"
            for e, v in enumerate(vals)
        )

    source = gemm_core(
        name,
        params,
        "",
        rows_operand("x", m, k),
        rows_operand("w", n, k),
        k,
        t,
        dot,
        store4,
        PACK4_C + requant_c(requant),
        f"int8 dense {m}x{n}x{k}, tiles {t}, dot {dot}",
    )
    return Kernel(
        name,
        source,
        tuple(buffers),
        (ceil_div(n, t.bn) * t.tx, ceil_div(m, t.bm) * t.ty, 1),
        (t.tx, t.ty, 1),
        layer,
        2 * m * n * k,
        consts=consts,
    )


def _ct(dtype: str) -> str:
    return {"int8": "char", "int32": "int", "float32": "float"}[dtype]
