"""What the OpenCL host store keeps per kernel and per value: `Compiled` (a built kernel with its
constant, scratch and output buffers, the device values of its outputs and its argument list),
`DeviceValue` (a tensor in a device buffer, in a layout), `Memo` (what a launch of an op worked
out, so the next run's launch of it is a few identity checks), and the type checks between a
generated kernel and the operands it is given.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .codegen.kernel import Kernel
from .codegen.layout import NCHW, Layout

Types = list[tuple[tuple[int, ...], str]]  # (shape, numpy dtype name) per operand or result


@dataclass
class DeviceValue:
    buffer: object
    shape: tuple[int, ...]
    dtype: str
    layout: Layout = NCHW


@dataclass
class Compiled:
    """One kernel, built, with its constant, scratch and output buffers (kept across runs), the
    device values of its outputs, and its argument list with the inputs left open (`slots`:
    the positions of the "in" buffers, in order)."""

    kernel: Kernel
    cl_kernel: object
    consts: dict
    scratch: dict
    outs: list
    label: str
    values: list = field(default_factory=list)
    template: list = field(default_factory=list)
    slots: list = field(default_factory=list)
    layouts: list = field(default_factory=list)  # the layout each input is read in
    args: tuple = ()  # the arguments last set: launches with the same buffers skip set_args
    version: int = 0  # counts set_args calls: recorded sequences hold the arguments of theirs

    def __post_init__(self):
        made = iter(self.outs)
        for i, b in enumerate(self.kernel.buffers):
            if b.role == "in":
                self.slots.append(i)
                self.layouts.append(b.layout or NCHW)
                self.template.append(None)
            elif b.role == "out":
                self.template.append(next(made))
            else:
                fixed = self.consts if b.role == "const" else self.scratch
                self.template.append(fixed[b.name])
        self.values = [
            DeviceValue(buf, tuple(b.shape), b.dtype, b.layout or NCHW)
            for b, buf in zip(self.kernel.outputs, self.outs, strict=True)
        ]


@dataclass
class Memo:
    """What `_launch` worked out for an op (held, so its id cannot be reused) with operands of
    signature `sig`: their names and the kernel (None: numpy)."""

    op: dict
    in_names: list
    sig: tuple
    compiled: Compiled | None
    # When every operand was a kernel's result in the layout read, or a resident constant:
    # per operand (name, the DeviceValue it was, or None for a constant, and its shape), and
    # the argument tuple, which a run whose operands are the same objects launches as it is.
    probes: list | None = None
    args: tuple | None = None


_DTYPE_NAMES: dict = {}


def dtype_name(dtype) -> str:
    """np.dtype(...).name, memoised (its property is slow for a per-launch check)."""
    name = _DTYPE_NAMES.get(dtype)
    if name is None:
        name = _DTYPE_NAMES[dtype] = np.dtype(dtype).name
    return name


def build(runtime, queue, kernel: Kernel, label: str, options: tuple = ()) -> Compiled:
    """`kernel` built on the runtime's device (with extra build `options`), its constants
    uploaded, its scratch buffers zeroed (on `queue`; every launch leaves them zeroed) and its
    output buffers allocated."""
    import dataclasses

    rt, cl = runtime, runtime.cl
    if options:
        kernel = dataclasses.replace(kernel, options=(*kernel.options, *options))
    cl_kernel = cl.Kernel(rt.program(kernel), kernel.name)
    consts = {b.name: rt.upload(kernel.consts[b.name]) for b in kernel.buffers
              if b.role == "const"}  # fmt: skip
    flags = cl.mem_flags.READ_WRITE
    scratch = {}
    for b in kernel.buffers:
        if b.role == "scratch":
            scratch[b.name] = cl.Buffer(rt.context, flags, b.nbytes)
            cl.enqueue_fill_buffer(queue, scratch[b.name], np.uint8(0), 0, b.nbytes)
    outs = [cl.Buffer(rt.context, flags, max(b.nbytes, 1)) for b in kernel.outputs]
    return Compiled(kernel, cl_kernel, consts, scratch, outs, label)


def fits(kernel: Kernel, ins: Types, outs: Types) -> bool:
    """The kernel's operand and result types are these (logical shapes)."""
    want = [(tuple(b.shape), b.dtype) for b in kernel.inputs]
    got = [(tuple(s), d) for s, d in outs]
    return (
        want == [(tuple(s), d) for s, d in ins]
        and [(tuple(b.shape), b.dtype) for b in kernel.outputs] == got
    )
