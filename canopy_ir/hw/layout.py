"""Packed DRAM layouts of `docs/isa.md` §6 and their inverses (host side and compiler side).

Activations NCHW → [N/B, C/BI, H, W, B, BI]; 2-D activations [N, K] are NCHW with H = W = 1.
Weights OIHW → [O/BO, I/BI, KH, KW, BO, BI]; biases [O] → [O/BO, B, BO] (repeated over batch rows).
Channels (and batch) that are not multiples of the block are zero-padded.
"""

from __future__ import annotations

import numpy as np

from canopy_ir.hw.config import HwConfig


def ceil_div(a: int, b: int) -> int:
    return -(-a // b)


def as_nchw(shape: tuple[int, ...]) -> tuple[int, int, int, int]:
    if len(shape) == 4:
        return tuple(shape)  # type: ignore[return-value]
    if len(shape) == 2:
        return (shape[0], shape[1], 1, 1)
    raise ValueError(f"activations must be 2-D or 4-D, got shape {shape}")


def activation_grid(shape: tuple[int, ...], cfg: HwConfig, lanes: int | None = None):
    """Element grid (Nb, Cb, H, W) of a packed activation."""
    n, c, h, w = as_nchw(shape)
    return (ceil_div(n, cfg.batch), ceil_div(c, lanes or cfg.block_in), h, w)


def packed_activation_shape(shape, cfg: HwConfig) -> tuple[int, ...]:
    return (*activation_grid(shape, cfg), cfg.batch, cfg.block_in)


def pack_activation(x: np.ndarray, cfg: HwConfig) -> np.ndarray:
    n, c, h, w = as_nchw(x.shape)
    x4 = x.reshape(n, c, h, w)
    nb, cb, _, _ = activation_grid(x.shape, cfg)
    b, bi = cfg.batch, cfg.block_in
    padded = np.zeros((nb * b, cb * bi, h, w), x.dtype)
    padded[:n, :c] = x4
    return np.ascontiguousarray(padded.reshape(nb, b, cb, bi, h, w).transpose(0, 2, 4, 5, 1, 3))


def unpack_activation(packed: np.ndarray, shape: tuple[int, ...], cfg: HwConfig) -> np.ndarray:
    n, c, h, w = as_nchw(shape)
    nb, cb = packed.shape[:2]
    b, bi = packed.shape[4], packed.shape[5]
    full = packed.transpose(0, 4, 1, 5, 2, 3).reshape(nb * b, cb * bi, h, w)
    return np.ascontiguousarray(full[:n, :c]).reshape(shape)


def pack_weight(w: np.ndarray, cfg: HwConfig) -> np.ndarray:
    o, i, kh, kw = w.shape
    bo, bi = cfg.block_out, cfg.block_in
    ob, ib = ceil_div(o, bo), ceil_div(i, bi)
    padded = np.zeros((ob * bo, ib * bi, kh, kw), w.dtype)
    padded[:o, :i] = w
    return np.ascontiguousarray(padded.reshape(ob, bo, ib, bi, kh, kw).transpose(0, 2, 4, 5, 1, 3))


def pack_bias(bias: np.ndarray, cfg: HwConfig) -> np.ndarray:
    (o,) = bias.shape
    ob = ceil_div(o, cfg.block_out)
    padded = np.zeros(ob * cfg.block_out, np.int32)
    padded[:o] = bias
    return np.ascontiguousarray(
        np.broadcast_to(padded.reshape(ob, 1, cfg.block_out), (ob, cfg.batch, cfg.block_out))
    )


def flatten_permuted_weight(w: np.ndarray, chw: tuple[int, int, int], cfg: HwConfig) -> np.ndarray:
    """Dense weight [O, C*H*W] reordered to read a packed [C/BI, H, W, BI] activation directly,
    so a Flatten between a convolution and a dense layer costs no data movement."""
    c, h, wd = chw
    cb = ceil_div(c, cfg.block_in)
    o = w.shape[0]
    w4 = np.zeros((o, cb * cfg.block_in, h, wd), w.dtype)
    w4[:, :c] = w.reshape(o, c, h, wd)
    # feature order of the packed activation: (cb, h, w, lane)
    return np.ascontiguousarray(
        w4.reshape(o, cb, cfg.block_in, h, wd).transpose(0, 1, 3, 4, 2).reshape(o, -1)
    )
