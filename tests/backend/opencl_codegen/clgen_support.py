"""Shared by the code-generator tests: operand generators, a requantization strategy and the
reference requantization."""

import numpy as np
from hypothesis import strategies as st

from canopy_ir.quant import Requant, requantize


def int8(rng, shape) -> np.ndarray:
    return rng.integers(-128, 128, shape, dtype=np.int8)


def int32(rng, shape, bits: int = 31) -> np.ndarray:
    return rng.integers(-(2**bits), 2**bits, shape, dtype=np.int64).astype(np.int32)


@st.composite
def requants(draw, channels: int):
    """graph.requantize parameters: None, one multiplier or one per channel; mostly the ranges
    the compiler produces (so that outputs are not all clipped), sometimes anything legal."""
    if draw(st.integers(0, 3)) == 0:
        return None
    wild = draw(st.booleans())
    per_channel = channels > 1 and draw(st.booleans())
    top = 2**31 - 1 if wild else 2**21
    mult = st.integers(1, top)
    multipliers = (
        tuple(draw(st.lists(mult, min_size=channels, max_size=channels)))
        if per_channel
        else (draw(mult),)
    )
    shift = draw(st.integers(-31, 31) if wild else st.integers(0, 30))
    pre = draw(st.integers(0, 31) if wild else st.integers(0, 8))
    lo = draw(st.integers(-128, 127))
    hi = draw(st.integers(lo, 127))
    return Requant(shift, draw(st.integers(-128, 127)), lo, hi, pre, multipliers)


def apply(rq: Requant | None, acc: np.ndarray) -> np.ndarray:
    """The reference: canopy_ir.quant.requantize (graph.requantize), or the int32 itself."""
    if rq is None:
        return acc
    return requantize(acc, rq.shift, rq.zero_point, rq.lo, rq.hi, rq.multipliers, rq.pre_shift)


def unoptimized(kernel):
    """`kernel` built with -cl-opt-disable: PoCL then compiles it several times faster, which
    lets the property tests try many shapes in the test budget. The OpenCL C has no undefined
    behaviour the optimiser could exploit, so results do not depend on it; fixed examples and
    the benchmark build at full optimisation."""
    import dataclasses

    return dataclasses.replace(kernel, options=("-cl-opt-disable",))
