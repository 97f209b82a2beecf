"""Recorded launch sequences (cl_khr_command_buffer, called through ctypes: pyopencl has no
wrapper): a run of a model enqueues the same kernels with the same buffers every time, so a
sequence recorded once is replayed with one enqueue call instead of one per kernel, which is
where batch-1 inference spends its host time (~9 µs per clEnqueueNDRangeKernel on an H100).

    graphs = CommandBuffers(queue, device)          # .available: the device has the extension
    handle = graphs.record([(kernel, global_size, local_size), ...])   # arguments as now set
    graphs.enqueue(handle)

A kernel's arguments are captured when its command is recorded (the extension's rule), so a
handle replays the buffers the kernels had then. Commands wait for the one before them (sync
points), so a sequence runs in order as it would on the in-order queue. Any failure of the
extension's entry points makes `available` False with the reason in `why_not`; callers then
enqueue kernel by kernel.
"""

from __future__ import annotations

import ctypes
import time

EXTENSION = "cl_khr_command_buffer"
_FUNCTIONS = (
    "clCreateCommandBufferKHR",
    "clCommandNDRangeKernelKHR",
    "clFinalizeCommandBufferKHR",
    "clEnqueueCommandBufferKHR",
    "clReleaseCommandBufferKHR",
)
_P = ctypes.c_void_p
_U = ctypes.c_uint32


class CommandBuffers:
    """Recording and replaying kernel sequences on one command queue."""

    def __init__(self, queue, device):
        self.queue, self.device = queue, device
        self.available, self.why_not = False, None
        self.fn: dict[str, object] = {}
        self.handles: list[int] = []
        if EXTENSION not in device.extensions.split():
            self.why_not = f"{device.name.strip()} does not offer {EXTENSION}"
            return
        try:
            self._load()
            self.available = True
        except (OSError, AttributeError, RuntimeError) as e:
            self.why_not = f"{EXTENSION} entry points unavailable: {e}"

    def _load(self) -> None:
        lib = ctypes.CDLL("libOpenCL.so.1")
        lookup = lib.clGetExtensionFunctionAddressForPlatform
        lookup.restype, lookup.argtypes = _P, [_P, ctypes.c_char_p]
        platform = self.device.platform.int_ptr
        signatures = {
            "clCreateCommandBufferKHR": (_P, [_U, _P, _P, ctypes.POINTER(ctypes.c_int32)]),
            # (buffer, queue, properties, kernel, work_dim, offset, global, local,
            #  sync points waited for, their list, this command's sync point, mutable handle)
            "clCommandNDRangeKernelKHR": (
                ctypes.c_int32, [_P, _P, _P, _P, _U, _P, _P, _P, _U, _P, _P, _P]
            ),
            "clFinalizeCommandBufferKHR": (ctypes.c_int32, [_P]),
            "clEnqueueCommandBufferKHR": (ctypes.c_int32, [_U, _P, _P, _U, _P, _P]),
            "clReleaseCommandBufferKHR": (ctypes.c_int32, [_P]),
        }
        for name in _FUNCTIONS:
            address = lookup(_P(platform), name.encode())
            if not address:
                raise RuntimeError(f"{name} not found")
            restype, argtypes = signatures[name]
            self.fn[name] = ctypes.CFUNCTYPE(restype, *argtypes)(address)

    def _check(self, status: int, what: str) -> None:
        if status != 0:
            raise RuntimeError(f"{what} failed with OpenCL status {status}")

    def record(self, launches) -> int | None:
        """A finalized command buffer of `launches` ((pyopencl kernel, global size, local size
        or None) with their arguments set), or None (the extension refused: `available` turns
        False)."""
        if not self.available:
            return None
        try:
            status = ctypes.c_int32(0)
            queues = (_P * 1)(self.queue.int_ptr)
            handle = self.fn["clCreateCommandBufferKHR"](1, queues, None, ctypes.byref(status))
            self._check(status.value, "clCreateCommandBufferKHR")
            self.handles.append(handle)
            previous = None
            for kernel, global_size, local_size in launches:
                dim = len(global_size)
                sizes = (ctypes.c_size_t * dim)(*global_size)
                local = (ctypes.c_size_t * dim)(*local_size) if local_size else None
                wait = (_U * 1)(previous.value) if previous is not None else None
                point = _U(0)
                self._check(
                    self.fn["clCommandNDRangeKernelKHR"](
                        handle, None, None, kernel.int_ptr, dim, None, sizes, local,
                        0 if wait is None else 1, wait, ctypes.byref(point), None,
                    ),
                    "clCommandNDRangeKernelKHR",
                )  # fmt: skip
                previous = point
            self._check(self.fn["clFinalizeCommandBufferKHR"](handle), "finalize")
            return handle
        except RuntimeError as e:
            self.available, self.why_not = False, str(e)
            return None

    def enqueue(self, handle: int) -> None:
        """Run a recorded sequence on the queue (after what is already enqueued there)."""
        status = self.fn["clEnqueueCommandBufferKHR"](0, None, handle, 0, None, None)
        self._check(status, "clEnqueueCommandBufferKHR")

    def close(self) -> None:
        for handle in self.handles:
            self.fn["clReleaseCommandBufferKHR"](handle)
        self.handles.clear()


SEGMENT = 8  # launches per recorded sequence: the device starts while the host goes on


class Sequencer:
    """Launches held back and sent in segments: a segment of SEGMENT launches (or fewer, when
    the host needs the device: `flush`) that was seen before, with the same kernels and the
    same arguments (each kernel's `version` counts its set_args), runs as its recording; a new
    one runs kernel by kernel and is recorded for the next time. A recording whose replay takes
    the host longer than enqueuing its kernels one by one did is not replayed again (an
    implementation may make the enqueue of a recording expensive). Kernels are objects with
    `cl_kernel`, `kernel.global_size`, `kernel.local_size` and `version`."""

    def __init__(self, graphs: CommandBuffers, queue):
        self.graphs, self.queue = graphs, queue
        self.held: list = []
        self.recorded: dict[tuple, tuple] = {}  # ((id, version), ...) -> (handle, kernels, s)
        self.replays = 0

    def add(self, c) -> None:
        self.held.append(c)
        if len(self.held) >= SEGMENT:
            self.flush()

    def flush(self) -> None:
        import pyopencl as cl

        batch, self.held = self.held, []
        if not batch:
            return
        key = tuple((id(c), c.version) for c in batch)
        known = self.recorded.get(key)
        if known is not None and known[0] is not None:
            t = time.perf_counter()
            self.graphs.enqueue(known[0])
            if time.perf_counter() - t > known[2]:
                self.recorded[key] = (None, batch, known[2])
            self.replays += 1
            return
        t = time.perf_counter()
        for c in batch:
            cl.enqueue_nd_range_kernel(
                self.queue, c.cl_kernel, c.kernel.global_size, c.kernel.local_size
            )
        one_by_one = time.perf_counter() - t
        if known is None and len({id(c) for c in batch}) == len(batch):  # arguments: one set
            launches = [(c.cl_kernel, c.kernel.global_size, c.kernel.local_size) for c in batch]
            handle = self.graphs.record(launches)
            if handle is not None:
                self.recorded[key] = (handle, batch, one_by_one)  # the kernels stay alive
