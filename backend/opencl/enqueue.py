"""Kernel launches straight through the OpenCL ICD loader (ctypes), each with its own kernel
object and no event.

A replayed run (replay.py) enqueues the same kernels with the same arguments every time. Through
pyopencl each launch also builds and drops an event object and goes through its argument
checks; on an H100 at batch 1 (ResNet-50, 58 launches) the host enqueues no faster than the GPU
runs the kernels, so every microsecond of a launch is a microsecond of latency. Here each
recorded launch gets its own kernel object (a clone of the built one, its arguments set once),
so a replayed launch is one `clEnqueueNDRangeKernel` call with no event:

    direct = DirectLaunches(queue)          # .available False: no loader found (use pyopencl)
    go = direct.prepare(compiled.cl_kernel, args, (1024,), (64,), "graph.conv2d")
    go()                                    # enqueued on `queue`, after what is there

The loader is the one pyopencl itself links (its wheel bundles one), else the system's
libOpenCL.so.1; any ICD loader dispatches any platform's handles.
"""

from __future__ import annotations

import ctypes
import glob
import os

from canopy_ir.errors import CanopyError

_P = ctypes.c_void_p


def _entry_point():
    """clEnqueueNDRangeKernel of the loader pyopencl uses (None: none could be loaded)."""
    import pyopencl

    bundled = glob.glob(os.path.join(os.path.dirname(pyopencl.__file__), ".libs", "libOpenCL*"))
    for path in [*sorted(bundled), "libOpenCL.so.1"]:
        try:
            # PyDLL keeps the interpreter lock across the call, as pyopencl does: CDLL would drop
            # it, and getting it back behind another busy Python thread (a multi-card session's)
            # costs up to a switch interval (5 ms) per launch
            fn = ctypes.PyDLL(path).clEnqueueNDRangeKernel
        except (OSError, AttributeError):
            continue
        # (queue, kernel, work_dim, offset, global, local, wait count, wait list, event)
        fn.argtypes = [_P, _P, ctypes.c_uint, _P, _P, _P, ctypes.c_uint, _P, _P]
        fn.restype = ctypes.c_int32
        return fn
    return None


class DirectLaunches:
    """Prepared launches on one in-order queue (see the module docstring)."""

    def __init__(self, queue):
        self.queue = queue
        self.fn = _entry_point()
        self.available = self.fn is not None
        self.failure: str | None = None  # why preparing launches failed (then not available)

    def prepare(self, kernel, args: tuple, global_size, local_size, label: str):
        """A function that enqueues `kernel` with `args` (set now, on a clone kept by the
        function), after everything on the queue, and returns nothing. A clone or argument the
        device refuses raises CanopyError naming the kernel."""
        import pyopencl as cl

        try:
            own = cl.Kernel(kernel.program, kernel.function_name)
            own.set_args(*args)
        except cl.Error as exc:
            raise CanopyError(
                f"OpenCL: preparing kernel {kernel.function_name} ({label}) for direct launches "
                f"failed: {exc}"
            ) from None
        dim = len(global_size)
        sizes = (ctypes.c_size_t * dim)(*global_size)
        local = (ctypes.c_size_t * dim)(*local_size) if local_size else None
        fn, queue, handle = self.fn, _P(self.queue.int_ptr), _P(own.int_ptr)

        def launch() -> None:
            status = fn(queue, handle, dim, None, sizes, local, 0, None, None)
            if status != 0:
                raise CanopyError(
                    f"OpenCL: enqueueing kernel {kernel.function_name} ({label}) failed with "
                    f"status {status} ({_status_name(status)})"
                )

        launch.kernel = own  # held: the handle stays valid while the function lives
        return launch


def _status_name(status: int) -> str:
    import pyopencl as cl

    names = {v: k for k, v in vars(cl.status_code).items() if isinstance(v, int) and k.isupper()}
    return names.get(status, "unknown status")
