"""float32 softmax and layer normalisation: one work-group per normalised row, the reductions
(max, sums) as tree reductions in local memory.

Tolerance: the reference (canopy_ir.interpreters.graph) reduces with numpy's pairwise sums and
libm's exp; these kernels reduce in a different order and use OpenCL's exp/sqrt/division (a few
ulp, full profile). Results agree within 1e-5 relative plus 1e-6 absolute for softmax, and, for
layer norm, 1e-5 relative plus 1e-5·max(|scale|, 1) absolute on rows of up to 2^16 values whose
spread is not tiny next to their mean (the cancellation in x − mean is the reference's too).
"""

from __future__ import annotations

import numpy as np

from canopy_ir.errors import CanopyError

from .kernel import Buffer, Kernel, header

REDUCE_C = """// Tree reduction of one value per work-item; every work-item gets the result.
static inline float reduce_max(local float* red, float v) {
    const int lid = get_local_id(0);
    red[lid] = v;
    barrier(CLK_LOCAL_MEM_FENCE);
    for (int step = LS / 2; step > 0; step /= 2) {
        if (lid < step) red[lid] = fmax(red[lid], red[lid + step]);
        barrier(CLK_LOCAL_MEM_FENCE);
    }
    const float r = red[0];
    barrier(CLK_LOCAL_MEM_FENCE);  /* red is reused by the next reduction */
    return r;
}
static inline float reduce_sum(local float* red, float v) {
    const int lid = get_local_id(0);
    red[lid] = v;
    barrier(CLK_LOCAL_MEM_FENCE);
    for (int step = LS / 2; step > 0; step /= 2) {
        if (lid < step) red[lid] += red[lid + step];
        barrier(CLK_LOCAL_MEM_FENCE);
    }
    const float r = red[0];
    barrier(CLK_LOCAL_MEM_FENCE);
    return r;
}
"""


def _group(length: int, limit: int) -> int:
    """Work-items per row: a power of two, enough to cover short rows, at most `limit`."""
    size = 1
    while size < min(length, limit):
        size *= 2
    return size


def _rows(shape: tuple[int, ...], axis: int) -> tuple[int, int, int]:
    """(outer, length, inner) of the normalised axis."""
    axis %= len(shape)
    outer = int(np.prod(shape[:axis], dtype=np.int64))
    inner = int(np.prod(shape[axis + 1 :], dtype=np.int64))
    return outer, shape[axis], inner


def softmax(shape: tuple[int, ...], axis: int = -1, group: int = 256, layer=None) -> Kernel:
    """graph.softmax along `axis`: exp(x − max) / Σ exp(x − max)."""
    shape = tuple(shape)
    if not -len(shape) <= axis < len(shape):
        raise CanopyError(f"softmax axis {axis} is outside a rank-{len(shape)} tensor")
    outer, length, inner = _rows(shape, axis)
    ls = _group(length, group)
    defines = f"#define LS {ls}\n#define L {length}\n#define INNER {inner}\n"
    body = """
__kernel __attribute__((reqd_work_group_size(LS, 1, 1)))
void softmax(global const float* restrict x, global float* restrict y) {
    local float red[LS];
    const int row = get_group_id(0), lid = get_local_id(0);
    const long base = (long)(row / INNER) * L * INNER + row % INNER;
    global const float* xr = x + base;
    global float* yr = y + base;
    float m = -INFINITY;
    for (int i = lid; i < L; i += LS) m = fmax(m, xr[(long)i * INNER]);
    m = reduce_max(red, m);
    float s = 0.0f;
    for (int i = lid; i < L; i += LS) s += exp(xr[(long)i * INNER] - m);
    s = reduce_sum(red, s);
    for (int i = lid; i < L; i += LS) yr[(long)i * INNER] = exp(xr[(long)i * INNER] - m) / s;
}
"""
    title = f"softmax float32{list(shape)} axis {axis}"
    buffers = (Buffer("x", "float32", shape), Buffer("y", "float32", shape, "out"))
    rows = outer * inner
    return Kernel(
        "softmax", header(title, defines, REDUCE_C) + body, buffers, (rows * ls,), (ls,), layer
    )


def layer_norm(
    shape: tuple[int, ...],
    axis: int = -1,
    epsilon: float = 1e-5,
    bias: bool = True,
    group: int = 256,
    layer=None,
) -> Kernel:
    """graph.layer_norm: normalise over the axes from `axis` on, (x − mean) / sqrt(var + eps),
    then · scale (+ bias), both shaped like those trailing axes."""
    shape = tuple(shape)
    if not -len(shape) <= axis < len(shape):
        raise CanopyError(f"layer_norm axis {axis} is outside a rank-{len(shape)} tensor")
    axis %= len(shape)
    rows = int(np.prod(shape[:axis], dtype=np.int64))
    length = int(np.prod(shape[axis:], dtype=np.int64))
    ls = _group(length, group)
    eps = float(np.float32(epsilon))  # the reference adds epsilon to a float32 variance
    defines = f"#define LS {ls}\n#define D {length}\n#define EPS ({eps.hex()}f)\n"
    add_bias = " + bias[i]" if bias else ""
    bias_param = ", global const float* restrict bias" if bias else ""
    body = f"""
__kernel __attribute__((reqd_work_group_size(LS, 1, 1)))
void layer_norm(global const float* restrict x, global const float* restrict scale{bias_param},
                global float* restrict y) {{
    local float red[LS];
    const int lid = get_local_id(0);
    global const float* xr = x + (long)get_group_id(0) * D;
    global float* yr = y + (long)get_group_id(0) * D;
    float s = 0.0f;
    for (int i = lid; i < D; i += LS) s += xr[i];
    const float mean = reduce_sum(red, s) / D;
    float q = 0.0f;
    for (int i = lid; i < D; i += LS) {{ const float d = xr[i] - mean; q += d * d; }}
    const float denom = sqrt(reduce_sum(red, q) / D + EPS);
    for (int i = lid; i < D; i += LS) yr[i] = (xr[i] - mean) / denom * scale[i]{add_bias};
}}
"""
    title = f"layer_norm float32{list(shape)} axis {axis} eps {epsilon}"
    buffers = [Buffer("x", "float32", shape), Buffer("scale", "float32", shape[axis:])]
    buffers += [Buffer("bias", "float32", shape[axis:])] if bias else []
    buffers.append(Buffer("y", "float32", shape, "out"))
    return Kernel(
        "layer_norm",
        header(title, defines, REDUCE_C) + body,
        tuple(buffers),
        (rows * ls,),
        (ls,),
        layer,
    )
