"""int8 dense layers of few rows (a classifier at small batch): one work-group per output feature,
its work-items sharing the reduction 16 bytes at a time and summing their parts in local memory,
so a 1×2048 · 2048×1000 layer spreads over a thousand work-groups instead of the handful of
output tiles a tiled product would have. Same arguments and results as gemm.dense, bit for bit
(int32 sums wrap; the order of integer additions does not change them).
"""

from __future__ import annotations

from canopy_ir.errors import CanopyError
from canopy_ir.quant import Requant

from .kernel import (
    WRAP_C,
    Buffer,
    Kernel,
    check_reduction,
    check_requant,
    dot4_c,
    header,
    kernel_params,
    requant_buffers,
    requant_c,
)

MAX_ROWS = 32  # accumulators per work-item
GROUP = 64


def dense_rows(
    m: int,
    n: int,
    k: int,
    bias: bool = True,
    requant: Requant | None = None,
    dot: str = "mad",
    layer: str | None = None,
) -> Kernel:
    """graph.dense on int8 for m ≤ MAX_ROWS rows: y[m, n] = Σ_k x[m, k]·w[n, k] + bias[n]
    (int32, wrapping), or requantized to int8 with `requant` (multipliers per feature n)."""
    where = "kernel dense_rows" + (f" (layer {layer})" if layer else "")
    if not 1 <= m <= MAX_ROWS:
        raise CanopyError(f"dense_rows takes 1 to {MAX_ROWS} rows, not {m}", where)
    check_reduction(k, where)
    check_requant(requant, n, where)
    extra, consts = requant_buffers(requant, n)
    out_t = "int32" if requant is None else "int8"
    buffers = [Buffer("x", "int8", (m, k)), Buffer("w", "int8", (n, k))]
    buffers += [Buffer("bias", "int32", (n,))] if bias else []
    buffers += extra + [Buffer("y", out_t, (m, n), "out")]
    mult = "multipliers" if extra else "0"
    value = "add_wrap(s, bias[col])" if bias else "s"
    if k % 16 == 0:  # whole 16-byte chunks, every row 16-byte aligned
        step = f"""    for (int kk = lid * 16; kk < {k}; kk += {GROUP * 16}) {{
        const int4 wv = vload4(0, (global const int*)(wr + kk));
        #pragma unroll
        for (int r = 0; r < {m}; ++r) {{
            const int4 xv = vload4(0, (global const int*)(x + r * {k} + kk));
            DOT4(acc[r], xv.s0, wv.s0); DOT4(acc[r], xv.s1, wv.s1);
            DOT4(acc[r], xv.s2, wv.s2); DOT4(acc[r], xv.s3, wv.s3);
        }}
    }}
"""
    else:
        step = f"""    for (int kk = lid; kk < {k}; kk += {GROUP}) {{
        const int wv = wr[kk];
        #pragma unroll
        for (int r = 0; r < {m}; ++r) acc[r] += (int)x[r * {k} + kk] * wv;
    }}
"""
    title = f"int8 dense {m}x{n}x{k}, one work-group per output feature, dot {dot}"
    source = header(title, dot4_c(dot), WRAP_C, requant_c(requant)) + f"""
__kernel __attribute__((reqd_work_group_size({GROUP}, 1, 1)))
void dense_rows({kernel_params(buffers)}) {{
    const int col = get_group_id(0), lid = get_local_id(0);
    local int part[{GROUP * m}];
    int acc[{m}];
    #pragma unroll
    for (int r = 0; r < {m}; ++r) acc[r] = 0;
    global const char* wr = w + col * {k};
{step}    #pragma unroll
    for (int r = 0; r < {m}; ++r) part[r * {GROUP} + lid] = acc[r];
    barrier(CLK_LOCAL_MEM_FENCE);
    if (lid < {m}) {{
        int s = 0;
        for (int j = 0; j < {GROUP}; ++j) s = add_wrap(s, part[lid * {GROUP} + j]);
        y[lid * {n} + col] = canopy_out({value}, col, {mult});
    }}
}}
"""
    return Kernel(
        "dense_rows",
        source,
        tuple(buffers),
        (n * GROUP,),
        (GROUP,),
        layer,
        2 * m * n * k,
        consts=consts,
    )
