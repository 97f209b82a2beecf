"""Elementwise kernels: add/sub/mul with numpy broadcasting, relu, clip; one work-item per
output element.

Semantics follow canopy_ir.interpreters.graph: float32 arithmetic is IEEE single precision (so
equal bit for bit: one correctly rounded operation per element); integer arithmetic is exact and
wraps to the output type (int8 + int8 → int8 wraps as numpy's does, an i32 result wraps like
wrap_i32); relu and clip pick NaN and signed zeros as numpy's maximum/minimum do.
"""

from __future__ import annotations

import numpy as np

from canopy_ir.errors import CanopyError

from .kernel import WRAP_C, Buffer, Kernel, c_type, header, round_up

GROUP = 256  # work-items per group; the NDRange is rounded up to it and the tail masked
OPS = {"add": ("+", "add_wrap"), "sub": ("-", "sub_wrap"), "mul": ("*", "mul_wrap")}


def _strides(shape: tuple[int, ...], out: tuple[int, ...]) -> list[int]:
    """Element strides of `shape` read at each index of `out` (0 along broadcast axes)."""
    shape = (1,) * (len(out) - len(shape)) + tuple(shape)
    strides, step = [], 1
    for d in reversed(shape):
        strides.append(0 if d == 1 else step)
        step *= d
    return strides[::-1]


def _offsets(out: tuple[int, ...], operands: dict[str, tuple[int, ...]]) -> str:
    """C declaring `off_<name>` for each operand from the flat output index `i`."""
    if all(tuple(s) == tuple(out) for s in operands.values()):
        return "".join(f"    const int off_{n} = i;\n" for n in operands)
    lines = ["    int rem = i;"] + [f"    int off_{n} = 0;" for n in operands]
    strides = {n: _strides(s, out) for n, s in operands.items()}
    for axis in reversed(range(len(out))):
        lines.append(f"    {{ const int idx = rem % {out[axis]}; rem /= {out[axis]};")
        for n in operands:
            if strides[n][axis]:
                lines.append(f"      off_{n} += idx * {strides[n][axis]};")
        lines.append("    }")
    return "\n".join(lines) + "\n"


def _kernel(name, title, buffers, body, out_shape, layer, helpers="") -> Kernel:
    total = int(np.prod(out_shape, dtype=np.int64))
    params = ", ".join(
        f"global {'const ' if b.role != 'out' else ''}{c_type(b.dtype)}* restrict {b.name}"
        for b in buffers
    )
    source = header(title, WRAP_C, helpers) + (
        f"\n__kernel void {name}({params}) {{\n"
        "    const int i = get_global_id(0);\n"
        f"    if (i >= {total}) return;\n{body}}}\n"
    )
    size = (max(round_up(total, GROUP), GROUP),)
    return Kernel(name, source, tuple(buffers), size, (GROUP,), layer, total)


def binary(
    op: str,
    a_shape: tuple[int, ...],
    b_shape: tuple[int, ...],
    dtype="float32",
    out_dtype=None,
    layer: str | None = None,
) -> Kernel:
    """graph.add/sub/mul of two `dtype` tensors, broadcast as numpy does; the result is
    `out_dtype` (default `dtype`; integers wrap to it)."""
    if op not in OPS:
        raise CanopyError(f"unknown elementwise op {op!r} (one of {', '.join(OPS)})")
    dtype = np.dtype(dtype).name
    out_dtype = np.dtype(out_dtype or dtype).name
    try:
        out_shape = tuple(np.broadcast_shapes(tuple(a_shape), tuple(b_shape)))
    except ValueError as e:
        raise CanopyError(f"{op}: shapes {a_shape} and {b_shape} do not broadcast") from e
    buffers = [
        Buffer("a", dtype, tuple(a_shape)),
        Buffer("b", dtype, tuple(b_shape)),
        Buffer("y", out_dtype, out_shape, "out"),
    ]
    symbol, wrap = OPS[op]
    offsets = _offsets(out_shape, {"a": a_shape, "b": b_shape})
    if dtype == "float32":
        if out_dtype != "float32":
            raise CanopyError(f"{op}: float32 operands give float32, not {out_dtype}")
        value = f"a[off_a] {symbol} b[off_b]"
    else:
        # int8 operands are promoted to int first: their exact result always fits 32 bits.
        value = f"{wrap}((int)a[off_a], (int)b[off_b])"
        if out_dtype == "int8":
            value = f"to_char_wrap({value})"
        elif out_dtype != "int32":
            raise CanopyError(f"{op}: integer results are int8 or int32, not {out_dtype}")
    body = offsets + f"    y[i] = {value};\n"
    title = f"{op} {dtype}{list(a_shape)} {dtype}{list(b_shape)} -> {out_dtype}{list(out_shape)}"
    return _kernel(op, title, buffers, body, out_shape, layer)


def clip(shape: tuple[int, ...], dtype="float32", lo=None, hi=None, layer=None) -> Kernel:
    """graph.clip: max(x, lo) then min(·, hi), each bound optional."""
    return _clip("clip", shape, dtype, lo, hi, layer)


def relu(shape: tuple[int, ...], dtype="float32", layer=None) -> Kernel:
    """graph.relu: max(x, 0)."""
    return _clip("relu", shape, dtype, 0, None, layer)


def _clip(name, shape, dtype, lo, hi, layer) -> Kernel:
    dtype = np.dtype(dtype).name
    ct = c_type(dtype)
    # numpy's maximum(v, lo) is v when v > lo or v is NaN, else lo (so max(-0.0, 0.0) is
    # +0.0); minimum likewise.
    nan = " || isnan(v)" if dtype == "float32" else ""
    lines = [f"    {ct} v = x[i];"]
    if lo is not None:
        lines.append(f"    v = (v > ({ct}){_lit(lo, dtype)}{nan}) ? v : ({ct}){_lit(lo, dtype)};")
    if hi is not None:
        lines.append(f"    v = (v < ({ct}){_lit(hi, dtype)}{nan}) ? v : ({ct}){_lit(hi, dtype)};")
    lines.append("    y[i] = v;")
    buffers = [Buffer("x", dtype, tuple(shape)), Buffer("y", dtype, tuple(shape), "out")]
    title = f"{name} {dtype}{list(shape)} to [{lo}, {hi}]"
    return _kernel(name, title, buffers, "\n".join(lines) + "\n", tuple(shape), layer)


def _lit(value, dtype: str) -> str:
    """A C literal of `value` converted to `dtype` as numpy converts it (np.asarray(v).astype)."""
    v = np.asarray(value).astype(dtype)[()]
    if dtype == "float32":
        if np.isnan(v):
            return "NAN"
        if np.isinf(v):
            return "INFINITY" if v > 0 else "-INFINITY"
        return f"({float(v).hex()}f)"  # hexadecimal: exact
    return str(int(v))
