"""The card's side of `ProcessCard`: a `SimCard` served by a process of its own, and the message
protocol between that process and the driver.

    python -m canopy_ir.backend.pcie.card_server MEMORY_FD SOCKET_FD CONFIG_JSON POLICY_JSON

MEMORY_FD is the card's DRAM, a shared-memory file (memfd) the driver maps too: the driver's DMA
is a copy into its mapping, as into a PCIe BAR. SOCKET_FD is one end of a socket pair carrying
length-prefixed messages (`MessageLink`):

    card -> driver  READY  b"R" <pid u32>                       once, when the card is up
    driver -> card  START  b"S" <insn addr u64, insn count u32, ctrl u32,
                               check-table addr u64, check entries u32, fault u8>
    card -> driver  DONE   b"D" <instructions executed u64, seconds f64>
                    ERROR  b"E" <JSON {"error": class name, "message": text}>

Each START gets one DONE or ERROR. `fault` injects what `faults.py` arms on the driver's side:
FAULT_HANG (the card never answers), FAULT_RESET (the card drops off mid-run: the process exits
with EXIT_RESET). The process exits when the driver closes its end of the socket.
"""

from __future__ import annotations

import json
import math
import mmap
import os
import select
import socket
import struct
import sys
import time

import numpy as np

from canopy_ir.backend.pcie.device import (
    REG_CHECK_ADDR,
    REG_CHECK_COUNT,
    REG_CTRL,
    REG_INSN_ADDR,
    REG_INSN_COUNT,
    DeviceIntegrityError,
    DeviceResetError,
)
from canopy_ir.backend.pcie.simcard import SimCard
from canopy_ir.errors import CanopyError, DeadlockError, DeviceError, DeviceTimeout
from canopy_ir.hw.config import HwConfig
from canopy_ir.hw.isa import Module

READY, START, DONE, ERROR = b"R", b"S", b"D", b"E"
START_FORMAT = struct.Struct("<QIIQIB")
DONE_FORMAT = struct.Struct("<Qd")
FAULT_NONE, FAULT_HANG, FAULT_RESET = 0, 1, 2
EXIT_RESET = 75
# the errors a card reports, by class name (anything else arrives as DeviceError)
ERRORS = {
    cls.__name__: cls
    for cls in (DeviceError, DeviceTimeout, DeadlockError, DeviceIntegrityError, DeviceResetError)
}
_LENGTH = struct.Struct("<I")


class MessageLink:
    """Length-prefixed messages over a stream socket."""

    def __init__(self, sock: socket.socket):
        self.sock = sock
        self._buffer = bytearray()

    def send(self, payload: bytes) -> None:
        self.sock.sendall(_LENGTH.pack(len(payload)) + payload)

    def receive(self, deadline: float = math.inf) -> bytes | None:
        """The next message, or None if none arrived by `deadline` (time.monotonic); raises
        EOFError once the other side has closed its end (its process ended)."""
        while True:
            if len(self._buffer) >= _LENGTH.size:
                (n,) = _LENGTH.unpack_from(self._buffer)
                if len(self._buffer) >= _LENGTH.size + n:
                    message = bytes(self._buffer[_LENGTH.size : _LENGTH.size + n])
                    del self._buffer[: _LENGTH.size + n]
                    return message
            left = deadline - time.monotonic()
            ready, _, _ = select.select(
                [self.sock], [], [], None if left == math.inf else max(0, left)
            )
            if not ready:
                return None
            try:
                chunk = self.sock.recv(1 << 16)
            except ConnectionResetError:  # it died with our request unread
                chunk = b""
            if not chunk:
                raise EOFError("the other end of the card link closed")
            self._buffer += chunk


def encode_policy(policy) -> str:
    return json.dumps(policy if isinstance(policy, str) else [Module(m).name for m in policy])


def decode_policy(text: str):
    policy = json.loads(text)
    return policy if isinstance(policy, str) else tuple(Module[name] for name in policy)


def error_message(payload: bytes) -> CanopyError:
    """The exception an ERROR message carries."""
    report = json.loads(payload)
    return ERRORS.get(report["error"], DeviceError)(report["message"])


def _run(card: SimCard, request: bytes) -> bytes:
    insn_addr, insn_count, ctrl, check_addr, check_count, fault = START_FORMAT.unpack(request)
    if fault == FAULT_HANG:
        while True:  # a hung card: the driver gives up after its timeout and kills the process
            time.sleep(3600)
    if fault == FAULT_RESET:
        os._exit(EXIT_RESET)
    card.reset()
    card.regs.update({REG_INSN_ADDR: insn_addr, REG_INSN_COUNT: insn_count})
    card.regs.update({REG_CHECK_ADDR: check_addr, REG_CHECK_COUNT: check_count})
    start = time.perf_counter()
    try:
        card.write_reg(REG_CTRL, ctrl)
        card.wait(math.inf)
    except CanopyError as exc:
        report = {"error": type(exc).__name__, "message": str(exc)}
        return ERROR + json.dumps(report).encode()
    except Exception as exc:  # a bug in the card's simulator: report it, keep serving
        report = {"error": "DeviceError", "message": f"card process failed: {exc!r}"}
        return ERROR + json.dumps(report).encode()
    insns = card.last_stats.insns if card.last_stats is not None else 0
    return DONE + DONE_FORMAT.pack(insns, time.perf_counter() - start)


def serve(link: MessageLink, card: SimCard) -> None:
    link.send(READY + _LENGTH.pack(os.getpid()))
    while True:
        try:
            message = link.receive()
        except EOFError:
            return
        if message[:1] == START:
            link.send(_run(card, message[1:]))
        else:
            report = {"error": "DeviceError", "message": f"unknown request {message[:1]!r}"}
            link.send(ERROR + json.dumps(report).encode())


def main(argv: list[str]) -> int:
    memory_fd, socket_fd, config, policy = argv
    dram = mmap.mmap(int(memory_fd), 0)
    os.close(int(memory_fd))
    card = SimCard(
        HwConfig.from_dict(json.loads(config)),
        policy=decode_policy(policy),
        backing=np.frombuffer(dram, np.uint8),
    )
    serve(MessageLink(socket.socket(fileno=int(socket_fd))), card)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
