"""graph.qaffine's arithmetic: the host's and the interpreters' (numpy, int64), and the choice of
its integer parameters for a normalisation y = a_c · x + b_c between a DequantizeLinear (s_x) and
a QuantizeLinear (s_y), e.g. a BatchNormalization that onnxruntime's quantize_static leaves
between quantizations when quant_pre_process did not fold it into the convolution before.

In output steps the map is y/s_y = r_c · (x_q − z_x) + o_c, r_c = s_x · a_c / s_y, o_c = b_c / s_y;
graph.qaffine holds M_c = round(r_c · 2^shift) and O_c = round(o_c · 2^shift) for the largest
shift (≤ 30) at which every M_c and O_c is inside the op's bounds (|M| < 2^22, |O| < 2^29): about
22 significant bits for the channel of the largest ratio, finer than the float32 arithmetic
(~2^-24 per operation, several operations) by which ONNX defines the result only near ties.
"""

from __future__ import annotations

import numpy as np

from canopy_ir.errors import QuantizationError
from canopy_ir.quant import rounding_shift

MAX_MULTIPLIER = 1 << 22  # graph.MAX_RESCALE_MULTIPLIER
MAX_OFFSET = 1 << 29  # graph.MAX_AFFINE_OFFSET
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
