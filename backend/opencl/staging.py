"""Host↔device copies through pinned (page-locked) memory, the way both the OpenCL card and the
generated-kernel host store move tensors across PCIe.

    stage = PinnedStaging(context, queue)
    stage.write(device_buffer, array, offset)       # returns once `array` may be reused
    stage.read(device_buffer, out, offset)          # returns once `out` holds the bytes

A copy from ordinary (pageable) memory makes the driver stage it through its own pinned buffer,
one core copying (≈15 GB/s on an H100 host against ≈55 GB/s for DMA from pinned memory). Here
the bytes go through a few pinned slots (ALLOC_HOST_PTR buffers, mapped once for good): a slot
is filled by several threads at once (ctypes.memmove releases the GIL) while the device reads the
previous slot, so the host copy and the DMA overlap and the transfer runs at about the speed of
the slower of the two. Small transfers (under `direct_below`) are one plain enqueued copy, and
on a device without a bus (a CPU) every transfer is.

Where the host copy is the slower side (a host whose pinned memory is slow to fill, as on the
H100 machine these were measured on), the plain copy from pageable memory can be faster: the
first two large transfers each way are timed, one through the slots and one plain, and the
faster way is kept. Memory from `host_array` is pinned already: it goes straight to the device
(or comes straight back), no host copy at all, at the bus's own speed.

`write` does not wait for the device: the last slots may still be in flight when it returns,
and the next use of a slot waits for the device to have read it. Commands enqueued after a
write on the same in-order queue see its data.
"""

from __future__ import annotations

import ctypes
import time
from concurrent.futures import ThreadPoolExecutor

import numpy as np

CHUNK = 4 << 20  # bytes per slot
SLOTS = 3
DIRECT_BELOW = 1 << 16
THREAD_MIN = 1 << 20  # below this a slot is filled by one thread


class PinnedStaging:
    """Pinned slots and the threads that fill and drain them, for one command queue."""

    def __init__(
        self,
        context,
        queue,
        pinned: bool = True,
        chunk: int = CHUNK,
        slots: int = SLOTS,
        threads: int | None = None,
        direct_below: int = DIRECT_BELOW,
    ):
        import os

        from canopy_ir.backend.opencl.runtime import cl

        self.cl = cl()
        self.context, self.queue = context, queue
        self.pinned = pinned
        self.chunk, self.slots, self.direct_below = chunk, slots, direct_below
        self.threads = threads or max(1, min(8, (os.cpu_count() or 2) // 2))
        self._views: list[np.ndarray] = []  # mapped slots, made on first use
        self._buffers: list = []
        self._events: list = []
        self._pool: ThreadPoolExecutor | None = None
        self._arrays: list[tuple[int, int, object]] = []  # host_array ranges (start, end, buf)
        self.way = {"write": None, "read": None}  # "slots" | "plain", once timed
        self._timed: dict[str, dict[str, float]] = {"write": {}, "read": {}}

    def host_array(self, nbytes: int) -> np.ndarray:
        """A pinned host array of `nbytes` (uint8, kept mapped for this stage's life): data
        written there and handed to `write`, or a `read` into it, moves by DMA alone."""
        cl = self.cl
        flags = cl.mem_flags.READ_WRITE | cl.mem_flags.ALLOC_HOST_PTR
        rw = cl.map_flags.READ | cl.map_flags.WRITE
        buf = cl.Buffer(self.context, flags, max(nbytes, 1))
        view, _ = cl.enqueue_map_buffer(self.queue, buf, rw, 0, (max(nbytes, 1),), np.uint8)
        start = view.ctypes.data
        self._arrays.append((start, start + view.nbytes, buf))
        return view[:nbytes]

    def _pinned(self, a: np.ndarray) -> bool:
        start = a.ctypes.data
        return any(lo <= start and start + a.nbytes <= hi for lo, hi, _ in self._arrays)

    def _choose(self, direction: str, n: int, slots, plain) -> None:
        """Run one transfer: the known faster way, or, while undecided, time this one."""
        way = self.way[direction]
        if way is not None or n < THREAD_MIN:
            (slots if way != "plain" else plain)()
            return
        timed = self._timed[direction]
        trial = "slots" if "slots" not in timed else "plain"
        t = time.perf_counter()
        (slots if trial == "slots" else plain)()
        self.queue.finish()
        timed[trial] = (time.perf_counter() - t) / n
        if len(timed) == 2:
            self.way[direction] = min(timed, key=timed.get)

    def _slots(self) -> list[np.ndarray]:
        if not self._views:
            cl = self.cl
            flags = cl.mem_flags.READ_WRITE | cl.mem_flags.ALLOC_HOST_PTR
            rw = cl.map_flags.READ | cl.map_flags.WRITE
            for _ in range(self.slots):
                buf = cl.Buffer(self.context, flags, self.chunk)
                view, _ = cl.enqueue_map_buffer(self.queue, buf, rw, 0, (self.chunk,), np.uint8)
                self._buffers.append(buf)
                self._views.append(view)
                self._events.append(None)
        return self._views

    def _copy(self, dst: np.ndarray, src: np.ndarray) -> None:
        """dst[:] = src (contiguous bytes), split over the threads when large: ctypes.memmove
        releases the GIL, so the threads copy at once."""
        n = len(dst)
        if n < THREAD_MIN or self.threads == 1:
            dst[:] = src
            return
        if self._pool is None:
            self._pool = ThreadPoolExecutor(self.threads, thread_name_prefix="canopy-stage")
        step = -(-n // self.threads)
        d, s = dst.ctypes.data, src.ctypes.data
        parts = [(d + a, s + a, min(step, n - a)) for a in range(0, n, step)]
        list(self._pool.map(lambda p: ctypes.memmove(*p), parts))

    def _wait(self, slot: int) -> None:
        event = self._events[slot]
        if event is not None:
            event.wait()
            self._events[slot] = None

    def write(self, buffer, data: np.ndarray, offset: int = 0) -> None:
        """Copy the bytes of `data` (contiguous) into `buffer` at byte `offset`."""
        cl, q = self.cl, self.queue
        src = np.ascontiguousarray(data).reshape(-1).view(np.uint8)
        if not self.pinned or len(src) < self.direct_below or self._pinned(src):
            cl.enqueue_copy(q, buffer, src, dst_offset=offset)  # blocking: `data` reusable
            return
        self._choose(
            "write",
            len(src),
            lambda: self._write_slots(buffer, src, offset),
            lambda: cl.enqueue_copy(q, buffer, src, dst_offset=offset),
        )

    def _write_slots(self, buffer, src: np.ndarray, offset: int) -> None:
        cl, q = self.cl, self.queue
        views = self._slots()
        for k, at in enumerate(range(0, len(src), self.chunk)):
            slot = k % self.slots
            part = src[at : at + self.chunk]
            self._wait(slot)
            view = views[slot][: len(part)]
            self._copy(view, part)
            self._events[slot] = cl.enqueue_copy(
                q, buffer, view, dst_offset=offset + at, is_blocking=False
            )

    def read(self, buffer, out: np.ndarray, offset: int = 0) -> np.ndarray:
        """Copy `out.nbytes` bytes of `buffer` from byte `offset` into `out` (contiguous)."""
        cl, q = self.cl, self.queue
        dst = out.reshape(-1).view(np.uint8)
        if not self.pinned or len(dst) < self.direct_below or self._pinned(dst):
            cl.enqueue_copy(q, dst, buffer, src_offset=offset)
            return out
        self._choose(
            "read",
            len(dst),
            lambda: self._read_slots(buffer, dst, offset),
            lambda: cl.enqueue_copy(q, dst, buffer, src_offset=offset),
        )
        return out

    def _read_slots(self, buffer, dst: np.ndarray, offset: int) -> None:
        cl, q = self.cl, self.queue
        views = self._slots()
        starts = list(range(0, len(dst), self.chunk))

        def issue(k: int) -> None:
            slot, at = k % self.slots, starts[k]
            n = min(self.chunk, len(dst) - at)
            self._wait(slot)
            self._events[slot] = cl.enqueue_copy(
                q, views[slot][:n], buffer, src_offset=offset + at, is_blocking=False
            )

        for k in range(min(self.slots, len(starts))):
            issue(k)
        for k, at in enumerate(starts):
            slot = k % self.slots
            n = min(self.chunk, len(dst) - at)
            self._wait(slot)
            self._copy(dst[at : at + n], views[slot][:n])
            if k + self.slots < len(starts):
                issue(k + self.slots)

    def drain(self) -> None:
        """Wait for every slot (before the buffers they copy into are freed or reused)."""
        for slot in range(len(self._events)):
            self._wait(slot)
