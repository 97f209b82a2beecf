"""`ProcessCard`: the simulated card served by a process of its own (`card_server.py`), so that
the card has its own address space and a hung card can really be given up on.

The card's DRAM is a shared-memory file (memfd) mapped by both processes, standing for the
PCIe BAR through which the driver reaches card memory: DMA is one copy into the mapping, as in
the in-process card, and nothing of a model's data crosses the socket. (Explicit DMA messages
would copy every transfer twice more and serialise it; an anonymous memfd, unlike a named
`multiprocessing.shared_memory` segment, needs no resource-tracker process and cannot leak a
name in /dev/shm when a process is killed: the kernel frees it with its last mapping.) The
allocator and registers live on the driver's side, as in Canopy's driver; writing CTRL_START
sends a START message with the registers, and `wait(timeout)` waits for the card's answer.

A card that does not answer within the timeout is killed (SIGKILL) and a new card process is
started on fresh memory: allocations are gone and `generation` counts up, which tells sessions
to upload their models again. A card process that exits mid-run (a crash, or the injected reset)
is restarted the same way. The new process boots in the background; the next START waits for it.
"""

from __future__ import annotations

import json
import mmap
import os
import socket
import subprocess
import sys
import tempfile
import time
import weakref

import numpy as np

from canopy_ir.backend.pcie.card_server import (
    DONE,
    DONE_FORMAT,
    ERROR,
    FAULT_HANG,
    FAULT_NONE,
    FAULT_RESET,
    READY,
    START,
    START_FORMAT,
    MessageLink,
    encode_policy,
    error_message,
)
from canopy_ir.backend.pcie.device import (
    CTRL_START,
    REG_CHECK_ADDR,
    REG_CHECK_COUNT,
    REG_CTRL,
    REG_INSN_ADDR,
    REG_INSN_COUNT,
    REG_STATUS,
    STATUS_BUSY,
    STATUS_DONE,
    STATUS_ERROR,
    STATUS_IDLE,
    DeviceResetError,
    MappedCard,
)
from canopy_ir.backend.pcie.simcard import DEFAULT_MEMORY
from canopy_ir.errors import CanopyError, DeviceError, DeviceTimeout
from canopy_ir.hw.config import HwConfig
from canopy_ir.hw.schedule import PIPELINE_ORDER


class ProcessCard(MappedCard):
    """A `SimCard` implementing `config` with `memory_bytes` of DRAM, in a child process.

    `start_timeout`: seconds the card process may take to boot. `policy`, `alloc_policy`: as
    for `SimCard`. `close()` (or a `with` block) ends the process; so does garbage collection.
    `last_run_seconds`: the card process's own time for the last launch."""

    verifies_checksums = True

    def __init__(
        self,
        config: HwConfig | None = None,
        memory_bytes: int = DEFAULT_MEMORY,
        policy=PIPELINE_ORDER,
        *,
        alloc_policy: str = "first",
        start_timeout: float = 60.0,
    ):
        if not hasattr(os, "memfd_create"):
            raise DeviceError("the process card needs os.memfd_create (Linux); use device 'sim'")
        self.name = "sim-process"
        self.config = config or HwConfig()
        self.policy = policy
        self.start_timeout = start_timeout
        self.last_run_seconds: float | None = None
        self._init_memory(memory_bytes, alloc_policy)
        self._closed = False
        self._boot()

    # ---- the card process -----------------------------------------------------------------
    def _boot(self) -> None:
        """Start a card process on fresh, zeroed memory; it reports READY when it is up."""
        size = self.allocator.size
        fd = os.memfd_create("canopy-card", os.MFD_CLOEXEC)
        host_end, card_end = socket.socketpair()
        errors = tempfile.TemporaryFile()
        try:
            os.ftruncate(fd, size)
            dram = mmap.mmap(fd, size)
            command = [
                sys.executable,
                "-m",
                "canopy_ir.backend.pcie.card_server",
                str(fd),
                str(card_end.fileno()),
                json.dumps(self.config.to_dict()),
                encode_policy(self.policy),
            ]
            process = subprocess.Popen(
                command,
                pass_fds=(fd, card_end.fileno()),
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=errors,
            )
        except OSError as exc:
            host_end.close()
            errors.close()
            raise DeviceError(f"cannot start the card process: {exc}") from None
        finally:
            os.close(fd)
            card_end.close()
        self.memory = np.frombuffer(dram, np.uint8)
        self.pid = process.pid
        self._process, self._errors = process, errors
        self._link = MessageLink(host_end)
        self._ready = False
        self._outcome: CanopyError | None = None
        self.regs = {
            REG_INSN_ADDR: 0,
            REG_INSN_COUNT: 0,
            REG_CTRL: 0,
            REG_STATUS: STATUS_IDLE,
            REG_CHECK_ADDR: 0,
            REG_CHECK_COUNT: 0,
        }
        self._stop = weakref.finalize(self, _stop, process, host_end, errors)

    def wait_ready(self) -> None:
        """Block until the card process is up (at most `start_timeout`); a START waits too."""
        if self._ready:
            return
        deadline = time.monotonic() + self.start_timeout
        try:
            message = self._link.receive(deadline)
        except EOFError:
            raise DeviceError(
                f"the card process exited while starting ({self._exit_status()}): "
                f"{self._stderr_tail()}"
            ) from None
        if message is None:
            self._stop()
            raise DeviceError(f"the card process did not start within {self.start_timeout:g} s")
        if message[:1] != READY:
            raise DeviceError(f"the card process sent {message[:1]!r} instead of READY")
        self._ready = True

    def restart(self) -> None:
        """Kill the card process and start a new one on fresh memory: allocations are lost and
        `generation` counts up."""
        if self._process.poll() is None:
            self._process.kill()  # a hung card answers nothing: no point asking it to exit
        self._stop()
        self.allocator.reset()
        self.generation += 1
        self._boot()

    def _exit_status(self) -> str:
        try:
            code = self._process.wait(timeout=1.0)
        except subprocess.TimeoutExpired:
            return "still running"
        return f"exit status {code}" if code >= 0 else f"killed by signal {-code}"

    def _stderr_tail(self, chars: int = 600) -> str:
        self._errors.seek(0, os.SEEK_END)
        self._errors.seek(max(0, self._errors.tell() - chars))
        text = self._errors.read().decode(errors="replace").strip()
        return text.splitlines()[-1] if text else "(no message)"

    def close(self) -> None:
        """End the card process; the card cannot be used afterwards."""
        self._closed = True
        self._stop()

    def __enter__(self) -> ProcessCard:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # ---- registers ------------------------------------------------------------------------
    def write_reg(self, reg: int, value: int) -> None:
        if reg not in self.regs:
            raise DeviceError(f"no register at offset {reg:#x}")
        if reg == REG_CTRL and value & CTRL_START:
            self._start(value)
        self.regs[reg] = value

    def _start(self, ctrl: int) -> None:
        if self._closed:
            raise DeviceError("the card is closed")
        if self.regs[REG_STATUS] == STATUS_ERROR:
            raise DeviceError("card is in the error state; reset it first")
        self.wait_ready()
        fault = FAULT_NONE
        if self.faults.fires("hang"):
            fault = FAULT_HANG
        elif self.faults.fires("reset"):
            fault = FAULT_RESET
        r = self.regs
        request = START_FORMAT.pack(
            r[REG_INSN_ADDR], r[REG_INSN_COUNT], ctrl, r[REG_CHECK_ADDR], r[REG_CHECK_COUNT], fault
        )
        self.regs[REG_STATUS] = STATUS_BUSY
        try:
            self._link.send(START + request)
        except OSError:  # the card process is gone; `wait` finds out and restarts it
            pass

    def read_reg(self, reg: int) -> int:
        if reg not in self.regs:
            raise DeviceError(f"no register at offset {reg:#x}")
        if reg == REG_STATUS and self.regs[REG_STATUS] == STATUS_BUSY:
            self._collect(time.monotonic())  # has the card answered yet?
        return self.regs[reg]

    def wait(self, timeout: float) -> None:
        if self.regs[REG_STATUS] == STATUS_BUSY and not self._collect(time.monotonic() + timeout):
            self.restart()  # a hung card cannot be stopped any other way
            self.regs[REG_STATUS] = STATUS_ERROR
            raise DeviceTimeout(
                f"card did not finish within {timeout:g} s; its process was killed and the "
                "card restarted (its memory and allocations are lost)"
            )
        outcome, self._outcome = self._outcome, None
        if outcome is not None:
            raise outcome

    def _collect(self, deadline: float) -> bool:
        """Take the card's answer to the running launch if it comes by `deadline`: the status
        register is set and an error kept for `wait` to raise. False if none came."""
        try:
            message = self._link.receive(deadline)
        except EOFError:
            status = self._exit_status()
            self.restart()
            self.regs[REG_STATUS] = STATUS_ERROR
            self._outcome = DeviceResetError(
                f"the card reset during the run: its process ended ({status}) and was "
                "restarted; card memory and allocations are lost"
            )
            return True
        if message is None:
            return False
        if message[:1] == DONE:
            _, self.last_run_seconds = DONE_FORMAT.unpack(message[1:])
            self.regs[REG_STATUS] = STATUS_DONE
        elif message[:1] == ERROR:
            self.regs[REG_STATUS] = STATUS_ERROR
            self._outcome = error_message(message[1:])
        else:
            self.regs[REG_STATUS] = STATUS_ERROR
            self._outcome = DeviceError(f"the card answered {message[:1]!r} to START")
        return True

    def reset(self) -> None:
        """Clear the error state. A card still running cannot be stopped gently: it is
        restarted (memory and allocations lost)."""
        if self.regs[REG_STATUS] == STATUS_BUSY:
            self.restart()
        self.regs.update({REG_CTRL: 0, REG_STATUS: STATUS_IDLE})
        self._outcome = None


def _stop(process: subprocess.Popen, link: socket.socket, errors) -> None:
    """End a card process: closing its socket asks it to exit; one that does not is killed."""
    link.close()
    try:
        process.wait(timeout=2.0)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
    errors.close()
