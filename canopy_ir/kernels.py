"""The numpy semantics of every `graph` op, keyed by op name: what the graph interpreter runs and
what the runtime runs for the host segments of a partitioned model (numpy only, no IR).

A kernel takes the op's properties as plain values (`attrs`: ints, floats, strings, lists of
numbers), its input arrays, and the shapes and dtypes of its results; it returns the results.
Integer ops wrap to int32 like the accelerator's accumulators (quantization: canopy_ir.quant);
convolution is im2col and one matrix product per group, never a Python loop over pixels.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from canopy_ir.errors import CanopyError
from canopy_ir.qaffine import qaffine
from canopy_ir.quant import (
    dequantize,
    qadd,
    quantize,
    requantize,
    rescale,
    rounding_shift,
    wrap_i32,
)

Outputs = Sequence[tuple[tuple[int, ...], str]]  # (shape, numpy dtype name) per result
Kernel = Callable[[dict, list[np.ndarray], Outputs], list[np.ndarray]]


def conv_output_hw(h, w, kh, kw, strides, pads, dilations) -> tuple[int, int]:
    """Output spatial size; pads are (top, left, bottom, right) as in ONNX."""
    oh = (h + pads[0] + pads[2] - dilations[0] * (kh - 1) - 1) // strides[0] + 1
    ow = (w + pads[1] + pads[3] - dilations[1] * (kw - 1) - 1) // strides[1] + 1
    return oh, ow


def conv2d(x, w, b, strides, pads, dilations, group) -> np.ndarray:
    """NCHW convolution in float64 (exact for integers, which wrap to int32): per group a BLAS
    product of im2col rows, tap by tap when depthwise. Float32 products are exact in float64, whose
    rounding of the sums lies far below float32's: float results do not depend on the order."""
    (n, c, h, wd), (o, cg, kh, kw) = x.shape, w.shape
    (pt, pl, pb, pr), (sh, sw), (dh, dw), og = pads, strides, dilations, o // group
    oh, ow = conv_output_hw(h, wd, kh, kw, strides, pads, dilations)
    xp = np.zeros((n, c, h + pt + pb, wd + pl + pr))  # float64, C order
    xp[:, :, pt : pt + h, pl : pl + wd] = x
    # + 0.0: no sum comes out as -0.0 (a BLAS accumulator starts at +0.0)
    bias = np.zeros((1, o, 1, 1)) if b is None else b.astype(np.float64).reshape(1, -1, 1, 1) + 0.0
    out = np.empty((n, o, oh, ow), np.float64 if x.dtype.kind in "iu" else x.dtype)
    if cg == 1 and group > 1:
        np.add(_depthwise(xp, w, (oh, ow), strides, dilations), bias, out=out, dtype=np.float64)
    for g in range(group) if cg > 1 or group == 1 else []:
        # the im2col rows as a view of xp where the reshape allows one (a pointwise layer):
        # the memory order of the operands decides the BLAS call, and with it the order of sums
        xg = xp[:, g * cg : (g + 1) * cg]
        if kh == kw == 1:
            cols = xg[:, :, : sh * (oh - 1) + 1 : sh, : sw * (ow - 1) + 1 : sw]
            cols = cols.transpose(0, 2, 3, 1).reshape(-1, cg)
        else:
            win = np.lib.stride_tricks.sliding_window_view(
                xg, ((kh - 1) * dh + 1, (kw - 1) * dw + 1), axis=(2, 3)
            )[:, :, ::sh, ::sw, ::dh, ::dw][:, :, :oh, :ow]
            cols = win.transpose(0, 2, 3, 1, 4, 5).reshape(n * oh * ow, cg * kh * kw)
        wg = w[g * og : (g + 1) * og].reshape(og, -1).astype(np.float64)
        products = (cols @ wg.T).reshape(n, oh, ow, og).transpose(0, 3, 1, 2)
        group_out = slice(g * og, (g + 1) * og)
        np.add(products, bias[:, group_out], out=out[:, group_out], dtype=np.float64)
    return wrap_i32(out.astype(np.int64)) if x.dtype.kind in "iu" else out


def _depthwise(xp, w, out_hw, strides, dilations) -> np.ndarray:
    """Float64 sums [n, o, oh, ow] of a depthwise convolution (o / c outputs per channel) of the
    padded input, taps added in order (per-channel BLAS calls cost more than the arithmetic)."""
    n, c, (o, _, kh, kw), (oh, ow) = *xp.shape[:2], w.shape, out_hw
    (sh, sw), (dh, dw) = strides, dilations
    taps = w.reshape(1, c, o // c, kh, kw, 1, 1).astype(np.float64)
    acc, term = np.empty((n, c, o // c, oh, ow)), np.empty((n, c, o // c, oh, ow))
    for t in range(kh * kw):
        y0, x0 = t // kw * dh, t % kw * dw
        view = xp[:, :, None, y0 : y0 + sh * (oh - 1) + 1 : sh, x0 : x0 + sw * (ow - 1) + 1 : sw]
        np.multiply(view, taps[..., t // kw, t % kw, :, :], out=term if t else acc)
        if t:
            acc += term
    return acc.reshape(n, o, oh, ow)


def dense(x, w, b) -> np.ndarray:
    integer = x.dtype.kind in "iu"
    work = np.float64
    out = x.astype(work) @ w.astype(work).T
    if b is not None:
        out = out + b.astype(work)
    return wrap_i32(out.astype(np.int64)) if integer else out.astype(x.dtype)


def pool2d(x, kind, kernel, strides, pads, dilations, count_include_pad, out_hw) -> np.ndarray:
    """Max/average pooling; windows past the padded input (ceil_mode) are clipped to it."""
    n, c, h, w = x.shape
    (kh, kw), (sh, sw), (dh, dw), (pt, pl, pb, pr) = kernel, strides, dilations, pads
    oh, ow = out_hw
    extra_h = max(0, (oh - 1) * sh + (kh - 1) * dh + 1 - (h + pt + pb))
    extra_w = max(0, (ow - 1) * sw + (kw - 1) * dw + 1 - (w + pl + pr))
    fill = -np.inf if kind == "max" else 0.0
    xp = np.full((n, c, h + pt + pb + extra_h, w + pl + pr + extra_w), fill, np.float64)
    xp[:, :, pt : pt + h, pl : pl + w] = x

    def windows(a):
        v = np.lib.stride_tricks.sliding_window_view(
            a, ((kh - 1) * dh + 1, (kw - 1) * dw + 1), axis=(2, 3)
        )
        return v[:, :, ::sh, ::sw, ::dh, ::dw][:, :, :oh, :ow]

    if kind == "max":
        return windows(xp).max(axis=(4, 5)).astype(x.dtype)
    total = windows(xp).sum(axis=(4, 5))
    inside = np.zeros(xp.shape[2:], np.float64)
    if count_include_pad:
        inside[: h + pt + pb, : w + pl + pr] = 1  # padding counts, ceil_mode overhang does not
    else:
        inside[pt : pt + h, pl : pl + w] = 1
    count = windows(inside[None, None])[0, 0].sum(axis=(2, 3))
    return (total / np.maximum(count, 1)).astype(x.dtype)


def window_sums(x, kernel, strides, pads, dilations, count_include_pad, out_hw):
    """Per output position of a 2-D pooling: the exact int64 sum of x over the window's positions
    inside the input (padding adds 0), and the window's count (graph.qavg_pool's c)."""
    n, c, h, w = x.shape
    (kh, kw), (sh, sw), (dh, dw), (pt, pl, pb, pr) = kernel, strides, dilations, pads
    oh, ow = out_hw
    full_h = max(h + pt + pb, (oh - 1) * sh + (kh - 1) * dh + 1)
    full_w = max(w + pl + pr, (ow - 1) * sw + (kw - 1) * dw + 1)
    xp = np.zeros((n, c, full_h, full_w), np.int64)
    xp[:, :, pt : pt + h, pl : pl + w] = x
    inside = np.zeros((1, 1, full_h, full_w), np.int64)
    if count_include_pad:
        inside[..., : h + pt + pb, : w + pl + pr] = 1  # padding counts, ceil_mode overhang does not
    else:
        inside[..., pt : pt + h, pl : pl + w] = 1

    def windows(a):
        v = np.lib.stride_tricks.sliding_window_view(
            a, ((kh - 1) * dh + 1, (kw - 1) * dw + 1), axis=(2, 3)
        )
        return v[:, :, ::sh, ::sw, ::dh, ::dw][:, :, :oh, :ow].sum(axis=(4, 5))

    return windows(xp), windows(inside)[0, 0]


def qavg_pool(a, x, out_hw) -> np.ndarray:
    """graph.qavg_pool: the window sum of x − input zero point, requantized by the count's
    multiplier (graph.requantize's arithmetic)."""
    sums, counts = window_sums(
        x.astype(np.int64) - a["input_zero_point"],
        a["kernel"],
        a["strides"],
        a["pads"],
        a["dilations"],
        a["count_include_pad"],
        out_hw,
    )
    table = np.asarray(a["multipliers"], np.int64)
    m = table[0] if table.size == 1 else table[np.maximum(counts, 1) - 1]
    t = rounding_shift(sums, a["pre_shift"]) if a["pre_shift"] else sums
    v = rounding_shift(t * m, a["shift"]) + a["zero_point"]
    return np.clip(v, a["clip_min"], a["clip_max"]).astype(np.int8)


def lrn(x, size, alpha, beta, bias) -> np.ndarray:
    sq = np.square(x.astype(np.float64))
    c = x.shape[1]
    lo, hi = (size - 1) // 2, size // 2  # ONNX: floor((size-1)/2) before, ceil((size-1)/2) after
    padded = np.pad(sq, [(0, 0), (lo, hi)] + [(0, 0)] * (x.ndim - 2))
    window = sum(padded[:, i : i + c] for i in range(size))
    return (x / (bias + alpha / size * window) ** beta).astype(x.dtype)


def resize_nearest(x, out_shape, coord: str, nearest: str) -> np.ndarray:
    out = x
    for axis, (n_in, n_out) in enumerate(zip(x.shape, out_shape, strict=True)):
        if n_in == n_out:
            continue
        scale = n_out / n_in
        o = np.arange(n_out, dtype=np.float64)
        if coord == "asymmetric":
            src = o / scale
        elif coord == "align_corners":
            src = o * (n_in - 1) / max(n_out - 1, 1)
        elif coord == "pytorch_half_pixel":
            src = (o + 0.5) / scale - 0.5 if n_out > 1 else np.zeros(n_out)
        else:  # half_pixel, tf_half_pixel_for_nn
            src = (o + 0.5) / scale - (0.5 if coord == "half_pixel" else 0.0)
        if nearest == "floor":
            idx = np.floor(src)
        elif nearest == "ceil":
            idx = np.ceil(src)
        elif nearest == "round_prefer_ceil":
            idx = np.floor(src + 0.5)
        else:  # round_prefer_floor
            idx = np.ceil(src - 0.5)
        out = np.take(out, np.clip(idx, 0, n_in - 1).astype(np.int64), axis=axis)
    return out


def _sigmoid(x):
    return (1.0 / (1.0 + np.exp(-x.astype(np.float64)))).astype(x.dtype)


def _erf(x):
    from math import erf

    return np.vectorize(erf, otypes=[np.float64])(x).astype(x.dtype)


UNARY = {
    "exp": np.exp,
    "log": np.log,
    "sqrt": np.sqrt,
    "tanh": np.tanh,
    "erf": _erf,
    "sigmoid": _sigmoid,
    "abs": np.abs,
    "neg": np.negative,
    "reciprocal": np.reciprocal,
    "floor": np.floor,
    "ceil": np.ceil,
    "sin": np.sin,
    "cos": np.cos,
    "round": np.rint,
    "sign": np.sign,
}


def _div(a, b):
    if a.dtype.kind in "iu" and np.asarray(b).dtype.kind in "iu":
        return np.trunc(a / b).astype(a.dtype)  # ONNX integer division truncates
    return np.divide(a, b)


BINARY = {
    "graph.add": np.add,
    "graph.sub": np.subtract,
    "graph.mul": np.multiply,
    "graph.div": _div,
    "graph.pow": np.power,
    "graph.max": np.maximum,
    "graph.min": np.minimum,
    "graph.matmul": np.matmul,
}

REDUCE = {"sum": np.sum, "mean": np.mean, "max": np.max, "min": np.min, "prod": np.prod}


_NONE = -(2**63)  # a slice end meaning "to the end" (stepping backwards past index 0)


def _conv(a, x, w, *b):
    return conv2d(x, w, b[0] if b else None, a["strides"], a["pads"], a["dilations"], a["group"])


def _binary(name):
    def run(a, args, outs):
        x, y = args
        if x.dtype.kind in "iu" and outs[0][1] == "int32":
            return [wrap_i32(BINARY[name](x.astype(np.int64), y))]
        result = BINARY[name](x, y)
        return [np.asarray(result).astype(np.result_type(x, y), copy=False)]

    return run


def _clip(a, x):
    if a.get("min") is not None:
        x = np.maximum(x, np.asarray(a["min"]).astype(x.dtype))
    if a.get("max") is not None:
        x = np.minimum(x, np.asarray(a["max"]).astype(x.dtype))
    return x


def _slice(a, x):
    index = tuple(
        slice(s, None if e == _NONE else e, st)
        for s, e, st in zip(a["starts"], a["ends"], a["steps"], strict=True)
    )
    return x[index]


def _pad(a, x):
    pads = a["pads"]
    r = len(pads) // 2
    width = list(zip(pads[:r], pads[r:], strict=True))
    if a["mode"] == "constant":
        return np.pad(x, width, constant_values=np.asarray(a["value"]).astype(x.dtype))
    return np.pad(x, width, mode="reflect" if a["mode"] == "reflect" else "edge")


def _reduce(a, x, shape):
    result = REDUCE[a["fn"]](x, axis=tuple(a["axes"]), keepdims=bool(a["keepdims"]))
    return np.asarray(result).astype(x.dtype).reshape(shape)


def _softmax(a, x):
    e = np.exp(x - x.max(axis=a["axis"], keepdims=True))
    return (e / e.sum(axis=a["axis"], keepdims=True)).astype(x.dtype)


def _gather(a, data, indices):
    idx = np.where(indices < 0, indices + data.shape[a["axis"]], indices)
    return np.take(data, idx, axis=a["axis"])


def _batch_norm(a, x, scale, bias, mean, var):
    shape = (1, -1) + (1,) * (x.ndim - 2)
    factor = scale / np.sqrt(var + np.float32(a["epsilon"]))
    return ((x - mean.reshape(shape)) * factor.reshape(shape) + bias.reshape(shape)).astype(x.dtype)


def _layer_norm(a, x, scale, *bias):
    axes = tuple(range(a["axis"] % x.ndim, x.ndim))
    mean = x.mean(axis=axes, keepdims=True)
    var = np.square(x - mean).mean(axis=axes, keepdims=True)
    y = (x - mean) / np.sqrt(var + a["epsilon"]) * scale
    return (y + bias[0] if bias else y).astype(x.dtype)


def _unary(a, x):
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.asarray(UNARY[a["fn"]](x)).astype(x.dtype)


def _requantize(a, x):
    return requantize(
        x,
        a["shift"],
        a["zero_point"],
        a["clip_min"],
        a["clip_max"],
        tuple(a.get("multipliers") or (1,)),
        a.get("pre_shift") or 0,
    )


def _dequantize_channels(a, x):
    shape = [1] * x.ndim
    shape[a["axis"]] = -1
    scales = np.asarray(a["scales"], np.float32).reshape(shape)
    return (x.astype(np.float32) * scales).astype(np.float32)


def _one(fn) -> Kernel:
    """A kernel of one result from fn(attrs, *inputs)."""
    return lambda a, args, outs: [fn(a, *args)]


def _shaped(fn) -> Kernel:
    """A kernel of one result from fn(attrs, *inputs, result shape)."""
    return lambda a, args, outs: [fn(a, *args, tuple(outs[0][0]))]


def _named(fn, *keys: str) -> Kernel:
    """A kernel of one result from fn(*inputs, *attrs[keys], *requantization tail)."""
    keys = (*keys, "shift", "zero_point", "clip_min", "clip_max")
    return lambda a, args, outs: [fn(*args, *(a[k] for k in keys))]


KERNELS: dict[str, Kernel] = {
    "graph.conv2d": _one(_conv),
    "graph.dense": _one(lambda a, x, w, *b: dense(x, w, b[0] if b else None)),
    **{name: _binary(name) for name in BINARY},
    "graph.relu": _one(lambda a, x: np.maximum(x, 0).astype(x.dtype)),
    "graph.reshape": _shaped(lambda a, x, shape: x.reshape(shape)),
    "graph.quantize": lambda a, args, outs: [
        quantize(args[0], a["scale"], a["zero_point"], np.dtype(outs[0][1]))
    ],
    "graph.dequantize": _one(lambda a, x: dequantize(x, a["scale"], a["zero_point"])),
    "graph.requantize": _one(_requantize),
    "graph.dequantize_channels": _one(_dequantize_channels),
    "graph.unary": _one(_unary),
    "graph.clip": _one(_clip),
    "graph.cast": lambda a, args, outs: [args[0].astype(np.dtype(outs[0][1]))],
    "graph.transpose": _one(lambda a, x: np.transpose(x, a["perm"])),
    "graph.slice": _one(_slice),
    "graph.pad": _one(_pad),
    "graph.pool": _shaped(
        lambda a, x, shape: pool2d(
            x,
            a["kind"],
            a["kernel"],
            a["strides"],
            a["pads"],
            a["dilations"],
            a["count_include_pad"],
            shape[2:],
        )
    ),
    "graph.reduce": _shaped(_reduce),
    "graph.softmax": _one(_softmax),
    "graph.lrn": _one(lambda a, x: lrn(x, a["size"], a["alpha"], a["beta"], a["bias"])),
    "graph.resize": _shaped(lambda a, x, shape: resize_nearest(x, shape, a["coord"], a["nearest"])),
    "graph.concat": lambda a, args, outs: [np.concatenate(args, axis=a["axis"])],
    "graph.gather": _one(_gather),
    "graph.batch_norm": _one(_batch_norm),
    "graph.layer_norm": _one(_layer_norm),
    "graph.qadd": _named(
        qadd, "lhs_zero_point", "rhs_zero_point", "lhs_multiplier", "rhs_multiplier"
    ),
    "graph.rescale": _named(rescale, "input_zero_point", "multiplier"),
    "graph.qaffine": _named(qaffine, "input_zero_point", "multipliers", "offsets"),
    "graph.qavg_pool": _shaped(lambda a, x, shape: qavg_pool(a, x, shape[2:])),
}


def run(name: str, attrs: dict, inputs: list[np.ndarray], outputs: Outputs) -> list[np.ndarray]:
    """Run op `name` on numpy `inputs`; `outputs` gives each result's shape and dtype name."""
    kernel = KERNELS.get(name)
    if kernel is None:
        raise CanopyError(f"{name} has no host implementation")
    return kernel(attrs, list(inputs), outputs)
