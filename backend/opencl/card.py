"""`OpenCLCard`: an OpenCL device (CPU, GPU or FPGA board) as an accelerator card.

It offers the `Device` protocol of `backend/pcie/device.py`, so `Session` runs artefacts on it
unchanged: the card's memory is one device buffer managed by the same first-fit allocator as the
simulated card's; DMA is an enqueued copy, staged through pinned host memory (`staging.py`:
host copies and DMA overlapped) for large transfers to a discrete device; the registers start
the accelerator of `accel/vta.cl`, which fetches and executes the encoded stream from card
memory; `wait` blocks until it is done. Results are bit-identical to `SimCard`'s
(tests/backend/opencl).

Launching is asynchronous: writing CTRL_START enqueues the run, `wait(timeout)` waits for it. A
run that outlives its timeout leaves the card in the error state; OpenCL cannot preempt a kernel,
so `reset` waits for the device to drain before the card accepts the next run.
"""

from __future__ import annotations

import threading
from pathlib import Path

import numpy as np

import canopy_ir.backend.opencl.runtime as runtime
from canopy_ir.backend.opencl.defines import build_options, kernel_source
from canopy_ir.backend.opencl.staging import PinnedStaging
from canopy_ir.backend.opencl.stream import STATUS_WORDS, Launch, plan, status_message
from canopy_ir.backend.pcie.device import (
    CTRL_START,
    REG_CTRL,
    REG_INSN_ADDR,
    REG_INSN_COUNT,
    REG_STATUS,
    STATUS_BUSY,
    STATUS_DONE,
    STATUS_ERROR,
    STATUS_IDLE,
    DevicePtr,
    OffsetAllocator,
)
from canopy_ir.errors import DeviceError, DeviceTimeout
from canopy_ir.hw import isa
from canopy_ir.hw.config import HwConfig

DEFAULT_MEMORY = 256 << 20  # as the simulated card


class OpenCLCard:
    """A card with `memory_bytes` of device memory running the accelerator for `config`.

    `device`: index or name substring (see `runtime.pick_device`; default: the
    CANOPY_OPENCL_DEVICE environment variable, else the first GPU, else the first device).
    `form`: "portable" (work-groups, the default) or "fpga" (the single work-item kernel of the
    FPGA builds, run here as an OpenCL kernel like any other). `local_size`: work-items of the
    interpreting work-group. `split_min`: GEMMs with at least this many work items
    (iterations x micro-ops x lanes) get a launch across the whole device. `binary`: a prebuilt
    image of the FPGA form (accel/build_aoc.sh, accel/build_vpp.sh) for the device, instead of
    building the source; it must implement `config`.
    """

    def __init__(
        self,
        config: HwConfig | None = None,
        device: str | int | None = None,
        memory_bytes: int = DEFAULT_MEMORY,
        *,
        form: str = "portable",
        local_size: int | None = None,
        split_min: int | None = None,
        binary: str | Path | None = None,
    ):
        cl = self._cl = runtime.cl()
        self.config = config or HwConfig()
        self.cl_device = runtime.pick_device(device)
        self.name = f"opencl:{self.cl_device.name.strip()}"
        self.form = form
        ctx = runtime.context(self.cl_device)
        self.queue = cl.CommandQueue(ctx, self.cl_device)
        if binary is not None:
            if form != "fpga":
                raise DeviceError("a prebuilt binary holds the FPGA form: pass form='fpga'")
            path = Path(binary)
            try:
                image = path.read_bytes()
            except OSError as exc:
                raise DeviceError(f"cannot read the device binary {path}: {exc.strerror}") from None
            prog = runtime.program_from_binary(self.cl_device, image, path.name)
        else:
            prog = runtime.program(
                self.cl_device, kernel_source(), build_options(self.config, form)
            )
        if memory_bytes < 4096:
            raise DeviceError(f"card memory of {memory_bytes} bytes is too small (4096 at least)")
        self.memory_bytes = memory_bytes
        mf = cl.mem_flags
        self.memory = cl.Buffer(ctx, mf.READ_WRITE, memory_bytes)
        cl.enqueue_fill_buffer(self.queue, self.memory, np.uint8(0), 0, memory_bytes)
        self.allocator = OffsetAllocator(memory_bytes)
        self.regs = {REG_INSN_ADDR: 0, REG_INSN_COUNT: 0, REG_CTRL: 0, REG_STATUS: STATUS_IDLE}
        self.last_error: str | None = None
        self.last_launches: list[Launch] = []
        self._status = cl.Buffer(ctx, mf.READ_WRITE, 8 * STATUS_WORDS)
        # (stream address, count) -> its launches and their instruction ranges on the device
        self._plans: dict[tuple[int, int], tuple[list[Launch], object]] = {}
        self._event = None
        self._outcome: DeviceError | None = None
        gpu_like = not self.cl_device.type & cl.device_type.CPU
        # pinned staging pays off across a bus, not in host memory
        self.stage = PinnedStaging(ctx, self.queue, pinned=gpu_like)
        cfg = self.config
        lanes = cfg.batch * cfg.block_out
        if form == "fpga":
            self._core = cl.Kernel(prog, "vta_core")
            self._scratch = {}
            return
        words = lambda n: max(4, -(-n // 4) * 4)  # noqa: E731 (buffer bytes, whole words)
        self._scratch = {
            "uop": cl.Buffer(ctx, mf.READ_WRITE, 4 * cfg.depth("uop")),
            "inp": cl.Buffer(ctx, mf.READ_WRITE, words(cfg.depth("inp") * cfg.elem_bytes("inp"))),
            "wgt": cl.Buffer(ctx, mf.READ_WRITE, words(cfg.depth("wgt") * cfg.elem_bytes("wgt"))),
            "acc": cl.Buffer(ctx, mf.READ_WRITE, 4 * cfg.depth("acc") * lanes),
            "first": cl.Buffer(ctx, mf.READ_WRITE, 4 * cfg.depth("acc")),
        }
        self._run = cl.Kernel(prog, "vta_run")
        self._gemm = cl.Kernel(prog, "vta_gemm")
        wg_size = cl.kernel_work_group_info.WORK_GROUP_SIZE
        limit = min(
            self._run.get_work_group_info(wg_size, self.cl_device),
            self._gemm.get_work_group_info(wg_size, self.cl_device),
        )
        self.local_size = min(local_size or (256 if gpu_like else 16), limit)
        self.compute_units = self.cl_device.max_compute_units
        if split_min is None:  # measured on an H100 (bench/opencl_accel.py): 64 x 256 items
            split_min = 64 * self.local_size
        self.split_min = split_min
        self._bufs = [self._scratch[k] for k in ("uop", "inp", "wgt", "acc")]

    # ---- memory ---------------------------------------------------------------------------
    def alloc(self, nbytes: int, align: int = 64) -> DevicePtr:
        return DevicePtr(self.allocator.alloc(nbytes, align), nbytes)

    def free(self, ptr: DevicePtr) -> None:
        self.allocator.free(ptr.addr, ptr.nbytes)
        self._forget(ptr.addr, ptr.addr + ptr.nbytes)

    def _check(self, ptr: DevicePtr, offset: int, nbytes: int) -> None:
        if offset < 0 or offset + nbytes > ptr.nbytes:
            raise DeviceError(
                f"DMA of {nbytes} bytes at offset {offset} overruns a {ptr.nbytes}-byte allocation"
            )

    def _forget(self, lo: int, hi: int) -> None:
        """Drop the launch plans of streams in [lo, hi): the host is rewriting that memory."""
        for key in [k for k in self._plans if k[0] < hi and lo < k[0] + k[1] * isa.INSN_BYTES]:
            del self._plans[key]

    def dma_to_device(self, ptr: DevicePtr, data: bytes, offset: int = 0) -> None:
        host = np.frombuffer(data, np.uint8)
        self._check(ptr, offset, len(host))
        start = ptr.addr + offset
        self._forget(start, start + len(host))
        if len(host):
            self.stage.write(self.memory, host, start)  # `data` may be reused on return

    def dma_from_device(self, ptr: DevicePtr, nbytes: int, offset: int = 0, out=None) -> bytes:
        """The bytes at `offset`: a new bytearray, or `out` (a writable buffer of `nbytes`, e.g.
        from `pinned_array`: then DMA alone fills it)."""
        self._check(ptr, offset, nbytes)
        if not nbytes:
            return b""
        if out is None:
            out = bytearray(nbytes)  # bytes-like, filled in place: no copy on the way out
        self.stage.read(self.memory, np.frombuffer(out, np.uint8, nbytes), ptr.addr + offset)
        return out

    def pinned_array(self, nbytes: int) -> np.ndarray:
        """Pinned host memory (uint8): bytes placed there and passed to `dma_to_device`, or read
        into it by `dma_from_device(..., out=)`, cross the bus by DMA alone (no host copy)."""
        return self.stage.host_array(nbytes)

    # ---- registers ------------------------------------------------------------------------
    def write_reg(self, reg: int, value: int) -> None:
        if reg not in self.regs:
            raise DeviceError(f"no register at offset {reg:#x}")
        if reg == REG_CTRL and value & CTRL_START:
            if self.regs[REG_STATUS] == STATUS_ERROR:
                raise DeviceError("card is in the error state; reset it first")
            if self.regs[REG_STATUS] == STATUS_BUSY:
                raise DeviceError("card is busy; wait for the running stream first")
            self.regs[reg] = value
            self._start()
            return
        self.regs[reg] = value

    def read_reg(self, reg: int) -> int:
        if reg not in self.regs:
            raise DeviceError(f"no register at offset {reg:#x}")
        if reg == REG_STATUS and self.regs[REG_STATUS] == STATUS_BUSY:
            if self._event.command_execution_status == self._cl.command_execution_status.COMPLETE:
                self._finish()
        return self.regs[reg]

    def _start(self) -> None:
        addr, count = self.regs[REG_INSN_ADDR], self.regs[REG_INSN_COUNT]
        self.regs[REG_STATUS] = STATUS_BUSY
        self._outcome = None
        if addr % isa.INSN_BYTES or addr + count * isa.INSN_BYTES > self.memory_bytes:
            self._outcome = DeviceError(
                f"card stopped with an error: the instruction stream at {addr:#x} "
                f"({count} instructions) must be 16-byte aligned and lie in card memory"
            )
            self._event = None
            return
        cl, q = self._cl, self.queue
        cl.enqueue_fill_buffer(q, self._status, np.uint64(0), 0, 8 * STATUS_WORDS)
        if self.form == "fpga":
            self._core.set_args(
                self.memory,
                np.uint64(self.memory_bytes),
                np.uint32(addr),
                np.uint32(count),
                self._status,
            )
            self.last_launches = [Launch("vta_core", 0, count)]
            self._event = cl.enqueue_nd_range_kernel(q, self._core, (1,), (1,))
            return
        # Every run starts from empty on-chip buffers, as the reference simulator does.
        for name, buf in self._scratch.items():
            pattern = np.uint32(0xFFFFFFFF if name == "first" else 0)
            cl.enqueue_fill_buffer(q, buf, pattern, 0, buf.size)
        if (addr, count) not in self._plans:
            stream = np.empty(count * isa.INSN_BYTES, np.uint8)
            if count:
                cl.enqueue_copy(q, stream, self.memory, src_offset=addr)
            launches = plan(stream.tobytes(), self.config, self.split_min)
            table = np.array([[k.first, k.last] for k in launches] or [[0, 0]], np.uint32)
            flags = cl.mem_flags.READ_ONLY | cl.mem_flags.COPY_HOST_PTR
            ranges = cl.Buffer(runtime.context(self.cl_device), flags, hostbuf=table)
            self._plans[(addr, count)] = (launches, ranges)
        launches, ranges = self._plans[(addr, count)]
        self.last_launches = launches
        self._run.set_args(
            self.memory,
            np.uint64(self.memory_bytes),
            np.uint32(addr),
            ranges,
            self._status,
            *self._bufs,
            self._scratch["first"],
        )
        self._gemm.set_args(self.memory, np.uint32(addr), ranges, self._status, *self._bufs)
        ls = self.local_size
        event = None
        for k, launch in enumerate(launches):  # the global offset tells a launch its range
            if launch.kernel == "vta_run":
                event = cl.enqueue_nd_range_kernel(q, self._run, (ls,), (ls,), (k,))
            else:
                groups = max(1, min(-(-launch.items // ls), 4 * self.compute_units))
                event = cl.enqueue_nd_range_kernel(q, self._gemm, (groups * ls,), (ls,), (k,))
        self._event = event if event is not None else cl.enqueue_marker(q)
        q.flush()

    def _finish(self) -> None:
        """The run has ended: set the status register from the kernel's status words."""
        status = np.empty(STATUS_WORDS, np.uint64)
        self._cl.enqueue_copy(self.queue, status, self._status)
        message = status_message(status)
        if message is not None:
            self.regs[REG_STATUS] = STATUS_ERROR
            self.last_error = message
            self._outcome = DeviceError(f"card stopped with an error: {message}")
        elif not status[6]:
            self.regs[REG_STATUS] = STATUS_ERROR
            self._outcome = DeviceTimeout(
                "the stream ended without FINISH: the card never signals done"
            )
        else:
            self.regs[REG_STATUS] = STATUS_DONE

    def wait(self, timeout: float) -> None:
        if self.regs[REG_STATUS] == STATUS_BUSY:
            if self._event is None:  # refused at start
                self.regs[REG_STATUS] = STATUS_ERROR
            else:
                done = threading.Event()
                event = self._event

                def waiter() -> None:
                    event.wait()
                    done.set()

                threading.Thread(target=waiter, daemon=True).start()
                if not done.wait(timeout):
                    self.regs[REG_STATUS] = STATUS_ERROR
                    self._outcome = DeviceTimeout(f"card did not finish within {timeout:g} s")
                else:
                    self._finish()
        outcome, self._outcome = self._outcome, None
        if outcome is not None:
            raise outcome

    def reset(self) -> None:
        self.queue.finish()  # a kernel cannot be preempted: let the last run drain
        self.regs.update({REG_CTRL: 0, REG_STATUS: STATUS_IDLE})
        self.last_error = None
        self._outcome = None

    def close(self) -> None:
        """Let queued work finish and release the pinned staging memory (the card's memory
        goes with the object)."""
        self.queue.finish()
        self.stage.drain()

    # ---- inspection -----------------------------------------------------------------------
    def buffers(self) -> dict[str, np.ndarray]:
        """The on-chip buffers after the last run, shaped as the reference simulator's (uop:
        the raw 32-bit micro-op words). Only the portable form keeps them in device memory."""
        if self.form == "fpga":
            raise DeviceError("the FPGA form keeps its buffers on chip; they cannot be read back")
        self.queue.finish()
        cfg = self.config
        b, bi, bo = cfg.batch, cfg.block_in, cfg.block_out
        shapes = {
            "uop": (np.uint32, (cfg.depth("uop"),)),
            "inp": (np.int8, (cfg.depth("inp"), b, bi)),
            "wgt": (np.int8, (cfg.depth("wgt"), bo, bi)),
            "acc": (np.int32, (cfg.depth("acc"), b, bo)),
        }
        out = {}
        for name, (dtype, shape) in shapes.items():
            raw = np.empty(self._scratch[name].size, np.uint8)
            self._cl.enqueue_copy(self.queue, raw, self._scratch[name])
            count = int(np.prod(shape)) * np.dtype(dtype).itemsize
            out[name] = raw[:count].view(dtype).reshape(shape)
        return out
