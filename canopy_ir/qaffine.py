"""graph.qaffine's arithmetic: the host's and the interpreters' (numpy, int64), and the choice of
its integer parameters for a normalisation y = a_c · x + b_c between a DequantizeLinear (s_x) and
a QuantizeLinear (s_y), e.g. a BatchNormalization that onnxruntime's quantize_static leaves
between quantizations when quant_pre_process did not fold it into the convolution before.

In output steps the map is y/s_y = r_c · (x_q − z_x) + o_c, r_c = s_x · a_c / s_y, o_c = b_c / s_y;
graph.qaffine holds M_c = round(r_c · 2^shift) and O_c = round(o_c · 2^shift) for the largest
shift (≤ 30) at which every M_c and O_c is inside the op's bounds (|M| < 2^22, |O| < 2^29): about
22 significant bits for the channel of the largest ratio.

ONNX defines the result by float32 arithmetic, which differs from the exact value near rounding
ties. For a convolution that cannot be helped (the reference's sums depend on their order), but
an int8 map has 256 inputs: `batchnorm_table` computes ONNX's result for each, and `fit_table`
moves each channel's M_c and O_c (by a few units) to integers that reproduce all 256. One input
value near a tie would otherwise flip every element that holds it, thousands at once (seen on a
MobileNet-v2: 1853 of 401408 elements of one layer, from a value whose float32 form was exactly
54.5 where the exact one is 54.500001). What no affine integer map reproduces stays as the exact
value rounds: exact ties, which ONNX rounds half to even and graph.qaffine up.
"""

from __future__ import annotations

import numpy as np

from canopy_ir.errors import QuantizationError
from canopy_ir.quant import dequantize, quantize, rounding_shift

# |x − z_x| <= 255: multipliers below 2^22 keep each product below 2^30, and offsets below 2^29
# keep u (and the accelerator's sums of it with the zero point's and the rounding's constants)
# inside 31 bits. graph.QAffineOp verifies these bounds.
MAX_MULTIPLIER = 1 << 22
MAX_OFFSET = 1 << 29
MAX_SHIFT = 30


def qaffine(x, x_zero_point, multipliers, offsets, shift, zero_point, lo, hi) -> np.ndarray:
    """clip(rounding_shift(M_c · (x − z_x) + O_c, shift) + zero point), c along axis 1."""
    per_channel = (1, -1) + (1,) * (x.ndim - 2)
    m = np.asarray(multipliers, np.int64).reshape(per_channel)
    o = np.asarray(offsets, np.int64).reshape(per_channel)
    u = (x.astype(np.int64) - x_zero_point) * m + o
    return np.clip(rounding_shift(u, shift) + zero_point, lo, hi).astype(np.int8)


def affine_parameters(
    ratios: np.ndarray, offsets: np.ndarray, where: str
) -> tuple[np.ndarray, np.ndarray, int]:
    """(M, O, shift) for ratios r_c and offsets o_c in output steps (see the module docstring).

    An offset beyond 255·|r_c| + 256 saturates the output whatever x is (|x − z_x| ≤ 255, the
    result is clipped to int8): it is clamped there, so that one dead channel's large offset does
    not cost the other channels their precision."""
    r = np.asarray(ratios, np.float64)
    reach = 255 * np.abs(r) + 256
    o = np.clip(np.asarray(offsets, np.float64), -reach, reach)
    if not (np.isfinite(r).all() and np.isfinite(o).all()):
        raise QuantizationError(f"{where}: the normalisation has a non-finite scale or offset")
    for shift in range(MAX_SHIFT, -1, -1):
        m, off = np.rint(r * 2.0**shift), np.rint(o * 2.0**shift)
        if np.abs(m).max(initial=0) < MAX_MULTIPLIER and np.abs(off).max(initial=0) < MAX_OFFSET:
            return m.astype(np.int64), off.astype(np.int64), shift
    raise QuantizationError(
        f"{where}: a per-channel ratio of scales up to {np.abs(r).max():.3g} does not fit an "
        f"integer multiplier below 2^22"
    )


def fit_table(table: np.ndarray, x_zero_point: int, multipliers, offsets, shift, zero_point,
              lo, hi, window: int = 64) -> tuple[np.ndarray, np.ndarray]:  # fmt: skip
    """Multipliers and offsets, per channel, whose graph.qaffine reproduces `table` ([channels,
    256]: the int8 result for each int8 input −128..127, as ONNX's float32 arithmetic gives it)
    exactly, found among the multipliers within `window` of the given ones (each with its range
    of fitting offsets, the one nearest the given offset taken); channels that no such pair fits
    keep their parameters (then they differ from the table on near-ties only)."""
    m_out, o_out = np.array(multipliers, np.int64), np.array(offsets, np.int64)
    t = np.arange(-128, 128, dtype=np.int64) - x_zero_point
    rounding = (1 << (shift - 1)) if shift > 0 else 0
    got = qaffine(np.arange(-128, 128).reshape(1, 1, -1).repeat(len(m_out), 1).astype(np.int8),
                  x_zero_point, m_out, o_out, shift, zero_point, lo, hi)[0]  # fmt: skip
    mismatched = np.nonzero((got != table).any(axis=1))[0] if lo < hi else []
    for c in mismatched:
        k = table[c].astype(np.int64) - zero_point  # the shifted value each input must give
        inner = (table[c] > lo) & (table[c] < hi)
        low = np.where(inner | (table[c] == hi), k << shift, -(1 << 62))  # v >= low
        high = np.where(inner | (table[c] == lo), (k + 1) << shift, 1 << 62)  # v < high
        m = m_out[c] + np.arange(-window, window + 1, dtype=np.int64)[:, None]
        first = (low - m * t - rounding).max(axis=1)
        last = (high - m * t - rounding).min(axis=1) - 1
        first, last = np.maximum(first, 1 - MAX_OFFSET), np.minimum(last, MAX_OFFSET - 1)
        fits = (first <= last) & (np.abs(m[:, 0]) < MAX_MULTIPLIER)
        if not fits.any():
            continue
        best = np.nonzero(fits)[0][np.argmin(np.abs(m[fits, 0] - m_out[c]))]
        m_out[c] = m[best, 0]
        o_out[c] = np.clip(o_out[c], first[best], last[best])
    return m_out, o_out


def batchnorm_table(sx, zx, sy, zy, scale, bias, mean, var, epsilon, relu) -> np.ndarray:
    """[channels, 256]: ONNX's int8 result of QuantizeLinear((Relu)(BatchNormalization(
    DequantizeLinear(x)))) for each int8 x −128..127, computed in float32 with the operations of
    onnx.reference (scale · (x − mean) / sqrt(var + ε) + bias), which numpy performs exactly as
    it does."""
    x = dequantize(np.arange(-128, 128), sx, zx)[None, :]
    s, b, m, v = (np.asarray(p, np.float32).reshape(-1, 1) for p in (scale, bias, mean, var))
    y = s * (x - m) / np.sqrt(v + epsilon) + b
    return quantize(np.maximum(y, np.float32(0)) if relu else y, sy, zy)
