"""The simulated card in a process of its own (`ProcessCard`, device "sim-process"): same
results as the in-process card, its own address space, real timeouts, restarts."""

import os
import re
import signal

import numpy as np
import pytest
from small_cnn import sample_input

from canopy_ir.backend.pcie import DeviceResetError, InferenceSession, ProcessCard, Session
from canopy_ir.backend.pcie.device import CTRL_START, REG_CTRL, REG_STATUS, STATUS_IDLE
from canopy_ir.backend.pcie.targets import device_kind
from canopy_ir.errors import CanopyError, DeviceError, DeviceTimeout
from canopy_ir.tools.run import main as canopy_run


@pytest.fixture(scope="module")
def reference(artefact):
    return InferenceSession(artefact).run(None, {"input": sample_input()})[0]


def test_device_sim_process_runs_like_sim_and_close_ends_the_card(artefact, reference):
    with InferenceSession(artefact, "sim-process") as sess:
        card = sess.session.device
        assert isinstance(card, ProcessCard) and card.pid != os.getpid()
        for _ in range(3):
            np.testing.assert_array_equal(sess.run(None, {"input": sample_input()})[0], reference)
        assert card._process.poll() is None
    assert card._process.poll() == 0  # asked to exit, it did
    assert card.allocator.live == {}
    assert device_kind("sim-process") == ("sim", None) == device_kind(card)
    with pytest.raises(CanopyError, match="this build offers: sim, sim-process, opencl"):
        device_kind("sim-thread")


def test_canopy_run_device_sim_process(artefact, reference, tmp_path, capsys):
    np.save(tmp_path / "x.npy", sample_input())
    args = [str(artefact), "--input", str(tmp_path / "x.npy"), "-o", str(tmp_path / "y.npz")]
    assert canopy_run([*args, "--device", "sim-process"]) == 0
    captured = capsys.readouterr()
    printed = " ".join((captured.out + captured.err).split())  # the console may wrap lines
    assert re.search("device sim-process: [0-9]+ instructions", printed)
    np.testing.assert_array_equal(np.load(tmp_path / "y.npz")["output"], reference)


def test_driver_side_memory_and_registers():
    with ProcessCard(memory_bytes=1 << 20) as card:
        ptr = card.alloc(1000, align=4096)
        data = bytes(range(256)) * 4
        card.dma_to_device(ptr, data[:1000])
        assert card.dma_from_device(ptr, 10, offset=5) == data[5:15]
        assert card.memory[ptr.addr : ptr.addr + 3].tobytes() == data[:3]  # the mapped DRAM
        with pytest.raises(DeviceError, match="overruns a 1000-byte allocation"):
            card.dma_to_device(ptr, b"x" * 10, offset=995)
        with pytest.raises(DeviceError, match="no register at offset 0x40"):
            card.read_reg(0x40)
        card.wait(0.0)  # nothing running: returns at once
        assert card.read_reg(REG_STATUS) == STATUS_IDLE
        card.free(ptr)
    with pytest.raises(DeviceError, match="the card is closed"):
        card.write_reg(REG_CTRL, CTRL_START)


def test_card_errors_cross_the_process_boundary(artefact, reference):
    with ProcessCard(memory_bytes=4 << 20) as card:
        sess = Session(artefact, card, verify=False)
        card.memory[sess.insn_buf.addr : sess.insn_buf.addr + 16] = 0xFF  # clobber the stream
        with pytest.raises(
            DeviceError, match="^card stopped with an error: instruction 0: unknown opcode 7$"
        ):
            sess.run({"input": sample_input()})
        np.testing.assert_array_equal(sess.run({"input": sample_input()})["output"], reference)


def test_a_killed_card_process_is_restarted(artefact, reference):
    with ProcessCard(memory_bytes=4 << 20) as card:
        sess = Session(artefact, card)
        sess.run({"input": sample_input()})
        pid = card.pid
        os.kill(pid, signal.SIGKILL)  # the card drops off the bus
        with pytest.raises(DeviceResetError, match="its process ended \\(killed by signal 9\\)"):
            sess.run({"input": sample_input()})
        assert card.pid != pid and card.generation == 1
        np.testing.assert_array_equal(sess.run({"input": sample_input()})["output"], reference)


def test_a_slow_card_is_given_up_on_after_the_timeout(artefact, reference):
    """Not an injected fault: the first run (the card compiles the stream) outlasts 0.1 ms."""
    with ProcessCard(memory_bytes=4 << 20) as card:
        sess = Session(artefact, card, timeout=1e-4)
        with pytest.raises(DeviceTimeout, match="did not finish within 0.0001 s; its process"):
            sess.run({"input": sample_input()})
        assert card.generation == 1
        sess.timeout = 60.0
        np.testing.assert_array_equal(sess.run({"input": sample_input()})["output"], reference)


def test_a_card_process_that_cannot_start_is_reported(tmp_path, monkeypatch):
    fake = tmp_path / "python"
    fake.write_text("#!/bin/sh\necho 'no card in this slot' >&2\nexit 3\n")
    fake.chmod(0o755)
    monkeypatch.setattr("sys.executable", str(fake))
    with ProcessCard(memory_bytes=1 << 20) as card:
        with pytest.raises(
            DeviceError, match="exited while starting \\(exit status 3\\): no card in this slot"
        ):
            card.write_reg(REG_CTRL, CTRL_START)
