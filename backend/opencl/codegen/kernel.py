"""What every generator returns (`Kernel`: OpenCL C source, arguments, launch geometry) and the
C snippets they share: requantization, 4-way int8 dot products, exact int32/int8 wrapping.

Generators are pure functions of plain parameters (shapes, strides, quantization numbers): they
import neither pyopencl nor the IR, so the source of any layer can be produced and inspected
without a device. Shapes are baked into the source as constants, so the device compiler can
unroll, strength-reduce divisions and drop bounds checks for whole tiles.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from canopy_ir.errors import CanopyError
from canopy_ir.quant import Requant

DOT_MODES = ("mad", "khr", "ptx")
# Largest reduction length whose int8 x int8 sum cannot leave int32 (|a·b| <= 2^14): below it
# the int32 accumulators never overflow, so C's undefined signed overflow cannot change results.
MAX_REDUCTION = 2**31 // 2**14 - 1


@dataclass(frozen=True)
class Buffer:
    """One kernel argument: a global buffer of `dtype` and `shape`. `role` is "in" (the caller's
    operand), "out" (a result the runner reads back) or "const" (a value fixed at generation
    time, e.g. per-channel requantization multipliers, uploaded by the runner from
    `Kernel.consts`) or "scratch" (device memory the kernel keeps to itself from launch to
    launch, zero-filled once when the kernel is set up and left zeroed by every launch).
    `shape` is the tensor's logical shape; `layout` (a `layout.Layout`, None for the logical
    row-major order) says how its elements lie in the buffer."""

    name: str
    dtype: str
    shape: tuple[int, ...]
    role: str = "in"
    layout: object = None

    @property
    def nbytes(self) -> int:
        if self.layout is not None:
            return self.layout.nbytes(self.shape, self.dtype)
        return int(np.prod(self.shape, dtype=np.int64)) * np.dtype(self.dtype).itemsize


@dataclass(frozen=True)
class Kernel:
    """Generated OpenCL C: `name` is the __kernel function in `source`; `buffers` are its
    arguments in order; `global_size`/`local_size` the NDRange (dimension 0 fastest). `layer`
    names the model layer in error messages; `ops` counts arithmetic operations (2 per
    multiply-add) for throughput reports."""

    name: str
    source: str
    buffers: tuple[Buffer, ...]
    global_size: tuple[int, ...]
    local_size: tuple[int, ...] | None
    layer: str | None = None
    ops: int = 0
    options: tuple[str, ...] = ()
    consts: dict = field(default_factory=dict, compare=False, hash=False, repr=False)

    def __post_init__(self):
        # Kernels index with 32-bit ints: larger buffers would wrap silently.
        for b in self.buffers:
            if b.nbytes // np.dtype(b.dtype).itemsize >= 2**31:
                shape = list(b.shape)
                raise CanopyError(f"buffer {b.name}{shape} needs 64-bit indices", self.where)

    @property
    def inputs(self) -> tuple[Buffer, ...]:
        return tuple(b for b in self.buffers if b.role == "in")

    @property
    def outputs(self) -> tuple[Buffer, ...]:
        return tuple(b for b in self.buffers if b.role == "out")

    @property
    def where(self) -> str:
        return f"kernel {self.name}" + (f" (layer {self.layer})" if self.layer else "")


def ceil_div(a: int, b: int) -> int:
    return -(-a // b)


def round_up(a: int, b: int) -> int:
    return ceil_div(a, b) * b


def c_name(text: str) -> str:
    """A C identifier derived from a layer name (kernel names appear in device profilers)."""
    out = "".join(ch if ch.isalnum() else "_" for ch in text)
    return out if out[:1].isalpha() else "k_" + out


def check_reduction(length: int, where: str) -> None:
    if length > MAX_REDUCTION:
        raise CanopyError(
            f"int8 reduction of length {length} may overflow the int32 accumulators "
            f"(at most {MAX_REDUCTION})",
            where,
        )


def check_requant(rq: Requant | None, channels: int, where: str) -> None:
    """The limits graph.requantize's verifier enforces, checked again because generators take
    plain numbers."""
    if rq is None:
        return
    if not -128 <= rq.lo <= rq.hi <= 127:
        raise CanopyError(f"requantize clip range [{rq.lo}, {rq.hi}] is not inside int8", where)
    if not -31 <= rq.shift <= 31 or not 0 <= rq.pre_shift <= 31:
        raise CanopyError("requantize shifts must be within -31..31 (pre_shift 0..31)", where)
    if len(rq.multipliers) not in (1, channels):
        raise CanopyError(
            f"requantize has {len(rq.multipliers)} multipliers for {channels} channels", where
        )
    if any(not 0 < m < 2**31 for m in rq.multipliers):
        raise CanopyError("requantize multipliers must be in 1..2^31-1", where)


def requant_buffers(rq: Requant | None, channels: int) -> tuple[list[Buffer], dict]:
    """The extra kernel argument of per-channel multipliers (none for one multiplier)."""
    if rq is None or not rq.per_channel:
        return [], {}
    values = np.asarray(rq.multipliers, np.int32)
    return [Buffer("multipliers", "int32", (channels,), "const")], {"multipliers": values}


def requant_c(rq: Requant | None) -> str:
    """`OUT_T canopy_out(int acc, int channel, global const int* mult)`: the value stored for
    one accumulator. Without requantization it is the int32 itself; otherwise
    canopy_ir.quant.requantize computed in 64-bit like the reference (|t·M| < 2^62, and the
    left shift of a negative `shift` wraps through ulong exactly as numpy's int64 does)."""
    if rq is None:
        return (
            "#define OUT_T int\n"
            "static inline int canopy_out(int acc, int channel, global const int* mult) "
            "{ return acc; }\n"
        )
    body = ["long v = (long)acc;"]
    if rq.pre_shift:
        body.append(f"v = (v + {1 << (rq.pre_shift - 1)}L) >> {rq.pre_shift};")
    if rq.per_channel:
        body.append("v = v * (long)mult[channel];")
    elif rq.multipliers[0] != 1:
        body.append(f"v = v * {rq.multipliers[0]}L;")
    if rq.shift > 0:
        body.append(f"v = (v + {1 << (rq.shift - 1)}L) >> {rq.shift};")
    elif rq.shift < 0:
        body.append(f"v = as_long(as_ulong(v) << {-rq.shift});")
    body.append(f"v = clamp(v + {rq.zero_point}L, {rq.lo}L, {rq.hi}L);")
    body.append("return (char)v;")
    lines = "\n".join("    " + b for b in body)
    return (
        "#define OUT_T char\n"
        "static inline char canopy_out(int acc, int channel, global const int* mult) {\n"
        f"{lines}\n}}\n"
    )


def dot4_c(mode: str) -> str:
    """DOT4(acc, a, b): acc += the dot product of the int8 lanes of the 32-bit words a and b.

    "khr": cl_khr_integer_dot_product's dot_4x8packed_ss_int (the packed form, which every
    device reporting the extension supports; the char4 form is optional); "mad": four
    char multiply-adds, which compilers for GPUs with a 4-way int8 instruction fuse into it;
    "ptx": NVIDIA's dp4a through inline PTX, for NVIDIA OpenCL only, where the fusion of "mad"
    is not guaranteed."""
    if mode == "khr":
        return (
            "#pragma OPENCL EXTENSION cl_khr_integer_dot_product : enable\n"
            "#define DOT4(acc, a, b) acc += dot_4x8packed_ss_int(as_uint(a), as_uint(b))\n"
        )
    if mode == "mad":
        return (
            "#define DOT4(acc, a, b) do { char4 a_ = as_char4(a), b_ = as_char4(b); "
            "acc += a_.x * b_.x + a_.y * b_.y + a_.z * b_.z + a_.w * b_.w; } while (0)\n"
        )
    if mode == "ptx":
        return (
            '#define DOT4(acc, a, b) asm("dp4a.s32.s32 %0, %1, %2, %3;" '
            ': "=r"(acc) : "r"(a), "r"(b), "r"(acc))\n'
        )
    raise CanopyError(f"unknown dot-product mode {mode!r} (one of {', '.join(DOT_MODES)})")


# int32 arithmetic that wraps like numpy's, without C's undefined signed overflow. Helpers are
# `static inline`: a plain C99 `inline` definition emits no symbol, so a compiler that does not
# inline (NVIDIA's with -cl-opt-disable) fails to link the kernel.
WRAP_C = """static inline int add_wrap(int a, int b) { return as_int(as_uint(a) + as_uint(b)); }
static inline int mul_wrap(int a, int b) { return as_int(as_uint(a) * as_uint(b)); }
static inline int sub_wrap(int a, int b) { return as_int(as_uint(a) - as_uint(b)); }
static inline char to_char_wrap(int v) { return as_char((uchar)v); }
"""

# (v + 2^(s-1)) >> s for s > 0, v << -s otherwise (canopy_ir.quant.rounding_shift), on 64 bits;
# the left shift goes through ulong so that negative values wrap as numpy's int64 does.
SHIFT_C = """static inline long round_shift(long v, int s) {
    return s > 0 ? (v + (1L << (s - 1))) >> s : as_long(as_ulong(v) << (-s));
}
"""

C_TYPES = {"float32": "float", "int32": "int", "int8": "char", "uint8": "uchar"}


def c_type(dtype) -> str:
    name = np.dtype(dtype).name
    if name not in C_TYPES:
        raise CanopyError(f"element type {name} has no OpenCL kernel (one of {sorted(C_TYPES)})")
    return C_TYPES[name]


def kernel_params(buffers) -> str:
    """The C parameter list of `buffers`: restrict pointers, const unless written (outputs and
    scratch buffers)."""
    return ", ".join(
        f"global {'' if b.role in ('out', 'scratch') else 'const '}{c_type(b.dtype)}* "
        f"restrict {b.name}"
        for b in buffers
    )


def header(title: str, *parts: str) -> str:
    """The common prologue: a comment naming what the kernel computes, then shared snippets."""
    return f"// canopy-ir: {title}\n" + "".join(parts)
