"""Running generated kernels with pyopencl: a device's context and profiling queue, its built
programs, a failed build turned into one error that shows the source, buffers in and out.

    rt = Runtime("pocl")            # a name substring, an index, or $CANOPY_OPENCL_DEVICE
    y = rt.run(dense(64, 32, 128, dot=rt.dot), x, w, bias)

The device is chosen, and programs are cached, by `backend/opencl/runtime.py`, the same chooser
and cache as the OpenCL card's. pyopencl is imported on first use, so the generators work (and
the source can be read) on machines without it.
"""

from __future__ import annotations

import re

import numpy as np

from canopy_ir.backend.opencl import runtime as cl_runtime
from canopy_ir.backend.opencl.runtime import describe, pick_device
from canopy_ir.errors import CanopyError

from .kernel import Kernel
from .layout import NCHW, pack, unpack


def build_error(kernel: Kernel, log: str, device: str) -> CanopyError:
    """One error naming the kernel and layer, the compiler's error lines, and the whole source
    numbered with `>>` on every line the log blames (compilers print "<file>:LINE:COL")."""
    errors = [ln.strip() for ln in log.splitlines() if "error" in ln.lower()]
    blamed = set()
    for ln in errors:
        m = re.search(r":(\d+):(\d+)", ln)
        if m:
            blamed.add(int(m.group(1)))
    listing = "\n".join(
        f"{'>>' if i in blamed else '  '} {i:4d} | {text}"
        for i, text in enumerate(kernel.source.splitlines(), 1)
    )
    summary = "; ".join(errors[:5]) or log.strip()[-800:]
    return CanopyError(f"OpenCL build failed on {device}: {summary}\n{listing}", kernel.where)


class Runtime:
    """One device, its context (shared with the OpenCL card's) and a profiling queue."""

    def __init__(self, device=None):
        cl = cl_runtime.cl()
        self.cl = cl
        self.device = device if isinstance(device, cl.Device) else pick_device(device)
        self.context = cl_runtime.context(self.device)
        self.queue = cl.CommandQueue(
            self.context, properties=cl.command_queue_properties.PROFILING_ENABLE
        )

    @property
    def name(self) -> str:
        return describe(self.device)

    @property
    def dot(self) -> str:
        """The dot-product mode for generators: the extension's dot() when the device reports
        it, else char multiply-adds (fused to dp4a-like instructions by GPU compilers)."""
        return "khr" if "cl_khr_integer_dot_product" in self.device.extensions else "mad"

    @property
    def is_nvidia(self) -> bool:
        return "NVIDIA" in self.device.platform.name

    def program(self, kernel: Kernel):
        """The built program of `kernel` (cached); a failed build raises build_error()."""
        return cl_runtime.program(
            self.device,
            kernel.source,
            kernel.options,
            error=lambda log: build_error(kernel, log, self.name),
        )

    def launch(self, kernel: Kernel, *inputs) -> Launch:
        """Buffers allocated and arguments set; inputs are numpy arrays or device buffers."""
        return Launch(self, kernel, inputs)

    def upload(self, array: np.ndarray):
        """A read-only device copy of `array`, to pass to several launches."""
        flags = self.cl.mem_flags.READ_ONLY | self.cl.mem_flags.COPY_HOST_PTR
        return self.cl.Buffer(self.context, flags, hostbuf=np.ascontiguousarray(array))

    def run(self, kernel: Kernel, *inputs: np.ndarray):
        """Upload the inputs, run once, return the output (a tuple when there are several)."""
        launch = self.launch(kernel, *inputs)
        launch.enqueue()
        out = launch.read()
        return out[0] if len(out) == 1 else out


class Launch:
    """A kernel with its buffers allocated and arguments set, ready to run repeatedly."""

    def __init__(self, runtime: Runtime, kernel: Kernel, inputs):
        cl = runtime.cl
        self.runtime, self.kernel = runtime, kernel
        wanted = kernel.inputs
        if len(inputs) != len(wanted):
            raise CanopyError(
                f"takes {len(wanted)} inputs ({', '.join(b.name for b in wanted)}), "
                f"got {len(inputs)}",
                kernel.where,
            )
        given = dict(zip((b.name for b in wanted), inputs, strict=True))
        given.update(kernel.consts)
        mf = cl.mem_flags
        self.buffers, self.outputs = [], []
        for b in kernel.buffers:
            if b.role in ("out", "scratch"):
                self.buffers.append(cl.Buffer(runtime.context, mf.READ_WRITE, max(b.nbytes, 1)))
                if b.role == "out":
                    self.outputs.append((b, self.buffers[-1]))
                else:
                    zero = np.uint8(0)
                    cl.enqueue_fill_buffer(runtime.queue, self.buffers[-1], zero, 0, b.nbytes)
                continue
            a = given[b.name]
            if isinstance(a, cl.MemoryObjectHolder):  # already on the device (benchmarks)
                self.buffers.append(a)
                continue
            a = np.asarray(a)
            if a.shape != b.shape or a.dtype != np.dtype(b.dtype):
                want, got = f"{b.dtype}{list(b.shape)}", f"{a.dtype}{list(a.shape)}"
                raise CanopyError(f"input {b.name} must be {want}, got {got}", kernel.where)
            a = pack(b.layout or NCHW, a)  # the tensor arranged as the kernel reads it
            flags = mf.READ_ONLY | mf.COPY_HOST_PTR
            self.buffers.append(cl.Buffer(runtime.context, flags, hostbuf=a))
        self._check_limits()
        self.cl_kernel = cl.Kernel(runtime.program(kernel), kernel.name)
        self.cl_kernel.set_args(*self.buffers)

    def _check_limits(self) -> None:
        local = self.kernel.local_size
        dev = self.runtime.device
        if local is not None and int(np.prod(local)) > dev.max_work_group_size:
            raise CanopyError(
                f"work-group of {int(np.prod(local))} work-items exceeds the device's "
                f"{dev.max_work_group_size}",
                self.kernel.where,
            )

    def enqueue(self):
        cl = self.runtime.cl
        return cl.enqueue_nd_range_kernel(
            self.runtime.queue, self.cl_kernel, self.kernel.global_size, self.kernel.local_size
        )

    def time(self, repeats: int = 10, warmup: int = 1) -> list[float]:
        """Seconds per run, from the device's profiling counters (no launch overhead)."""
        for _ in range(warmup):
            self.enqueue()
        events = [self.enqueue() for _ in range(repeats)]
        self.runtime.queue.finish()
        return [(e.profile.end - e.profile.start) * 1e-9 for e in events]

    def read(self) -> tuple[np.ndarray, ...]:
        """The outputs of the last run, in their logical shapes."""
        cl = self.runtime.cl
        out = []
        for b, buf in self.outputs:
            layout = b.layout or NCHW
            host = np.empty(layout.physical(b.shape), np.dtype(b.dtype))
            cl.enqueue_copy(self.runtime.queue, host, buf)
            out.append(host)
        self.runtime.queue.finish()
        return tuple(
            unpack(b.layout or NCHW, host, b.shape)
            for (b, _), host in zip(self.outputs, out, strict=True)
        )


_RUNTIMES: dict = {}


def get_runtime(device: str | int | None = None) -> Runtime:
    """The shared Runtime of a device (see `pick_device`)."""
    dev = pick_device(device)
    key = dev.int_ptr
    if key not in _RUNTIMES:
        _RUNTIMES[key] = Runtime(dev)
    return _RUNTIMES[key]


def run_kernel(kernel: Kernel, *inputs: np.ndarray, device: str | int | None = None):
    """Run a generated kernel once on `device` (see pick_device) and return its output."""
    return get_runtime(device).run(kernel, *inputs)
