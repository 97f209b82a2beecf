"""Where a tensor's elements lie in its device buffer, and the kernels that move a tensor from
one arrangement to another.

    NCHW          the logical row-major order: what every graph op's reference computes on, what
                  the host and the card exchange. Every tensor may have it.
    NHWC(cp)      a 4-D tensor channels-last with the channel axis padded to `cp` (a multiple of
                  4): element (n, c, h, w) at ((n·H + h)·W + w)·cp + c. Lanes c ≥ C hold
                  unspecified values: every kernel ignores them and conversions drop them. A
                  convolution reads 16 (or 4) consecutive channels of one input pixel with one
                  load and writes consecutive output channels side by side.
    OHWI(cp, k)   convolution weights (O, C/groups, KH, KW) as the rows of an O×k matrix, each row
                  the taps (r, s) in order with their channels padded to `cp`, zero-filled up to k
                  (a multiple of 16): the B operand of the implicit GEMM. Built once, on the host,
                  from the model's constant weights.

Conversions are exact (bytes move, nothing is computed): `pack`/`unpack` in numpy for host
arrays, `convert` as a kernel for values already on the device.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from canopy_ir.errors import CanopyError

from .kernel import Buffer, Kernel, c_type, header, round_up

GROUP = 256


class Layout(NamedTuple):
    """An arrangement of a tensor in memory: kind "nchw", "nhwc" (cp) or "ohwi" (cp, k). (A
    tuple: stores look layouts up on every launch, and tuples hash fast.)"""

    kind: str = "nchw"
    cp: int = 0
    k: int = 0

    def physical(self, shape: tuple[int, ...]) -> tuple[int, ...]:
        """The buffer's shape (row-major) for a tensor of logical `shape`."""
        if self.kind == "nchw":
            return tuple(shape)
        if self.kind == "nhwc":
            n, _, h, w = shape
            return (n, h, w, self.cp)
        return (shape[0], self.k)

    def nbytes(self, shape, dtype) -> int:
        return int(np.prod(self.physical(shape), dtype=np.int64)) * np.dtype(dtype).itemsize

    def __str__(self) -> str:
        if self.kind == "nchw":
            return "nchw"
        return f"{self.kind}{self.cp}" + (f"/k{self.k}" if self.kind == "ohwi" else "")


NCHW = Layout()


def channel_pad(channels: int) -> int:
    """The padded channel count of NHWC: whole 16-byte loads from 16 channels up, else words."""
    return round_up(channels, 16) if channels >= 16 else round_up(channels, 4)


def nhwc(channels: int) -> Layout:
    return Layout("nhwc", channel_pad(channels))


def ohwi(w_shape: tuple[int, ...], cp: int) -> Layout:
    """The weight layout of a convolution whose input has `cp` padded channels per group."""
    _, _, kh, kw = w_shape
    return Layout("ohwi", cp, round_up(kh * kw * cp, 16))


def pack(layout: Layout, array: np.ndarray) -> np.ndarray:
    """`array` (logical) arranged as `layout`, padding zero-filled."""
    a = np.asarray(array)
    if layout.kind == "nchw":
        return np.ascontiguousarray(a)
    if layout.kind == "nhwc":
        n, c, h, w = a.shape
        out = np.zeros((n, h, w, layout.cp), a.dtype)
        out[..., :c] = a.transpose(0, 2, 3, 1)
        return out
    o, cg, kh, kw = a.shape
    taps = np.zeros((o, kh, kw, layout.cp), a.dtype)
    taps[..., :cg] = a.transpose(0, 2, 3, 1)
    out = np.zeros((o, layout.k), a.dtype)
    out[:, : kh * kw * layout.cp] = taps.reshape(o, -1)
    return out


def unpack(layout: Layout, physical: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    """The logical tensor of `shape` from its buffer contents arranged as `layout`."""
    a = np.asarray(physical).reshape(layout.physical(shape))
    if layout.kind == "nchw":
        return a
    if layout.kind == "nhwc":
        return np.ascontiguousarray(a[..., : shape[1]].transpose(0, 3, 1, 2))
    raise CanopyError(f"weights in layout {layout} are not read back")


def convert(shape: tuple[int, ...], dtype: str, src: Layout, dst: Layout, layer=None) -> Kernel:
    """A kernel copying a 4-D tensor from layout `src` to `dst` (nchw ↔ nhwc, or nhwc of another
    padding); one work-item per element of the destination, padding lanes written as zero."""
    if src.kind == "ohwi" or dst.kind == "ohwi" or len(shape) != 4:
        raise CanopyError(f"no conversion from {src} to {dst} for shape {list(shape)}")
    dtype = np.dtype(dtype).name
    n, c, h, w = shape
    total = int(np.prod(dst.physical(shape), dtype=np.int64))
    if dst.kind == "nhwc":
        lines = [
            f"    const int ch = i % {dst.cp}, pix = i / {dst.cp};",
            f"    if (ch >= {c}) {{ y[i] = 0; return; }}",
        ]
        if src.kind == "nhwc":
            lines.append(f"    y[i] = x[pix * {src.cp} + ch];")
        else:
            lines.append(f"    const int img = pix / {h * w}, hw = pix % {h * w};")
            lines.append(f"    y[i] = x[(img * {c} + ch) * {h * w} + hw];")
    else:
        lines = [
            f"    const int hw = i % {h * w}, ch = i / {h * w} % {c}, img = i / {c * h * w};",
            f"    y[i] = x[(img * {h * w} + hw) * {src.cp} + ch];",
        ]
    ct = c_type(dtype)
    source = header(f"convert {dtype}{list(shape)} from {src} to {dst}") + (
        f"\n__kernel void convert(global const {ct}* restrict x, global {ct}* restrict y) {{\n"
        "    const int i = get_global_id(0);\n"
        f"    if (i >= {total}) return;\n" + "\n".join(lines) + "\n}\n"
    )
    buffers = (
        Buffer("x", dtype, tuple(shape), layout=src),
        Buffer("y", dtype, tuple(shape), "out", layout=dst),
    )
    size = (max(round_up(total, GROUP), GROUP),)
    return Kernel("convert", source, buffers, size, (GROUP,), layer, 0)
