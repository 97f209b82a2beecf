"""Injected faults on the in-process and the process card: each gives one clear error, frees
what the session held on the card, and the next run gives the right output again."""

import time

import numpy as np
import pytest
from small_cnn import sample_input

from canopy_ir.backend.pcie import (
    DeviceIntegrityError,
    DeviceResetError,
    ProcessCard,
    Session,
    SimCard,
    faults,
)
from canopy_ir.errors import CanopyError, DeviceError, DeviceTimeout

TIMEOUT = 0.4  # a hung card must be reported within TIMEOUT + 1 s


@pytest.fixture(scope="module")
def reference(artefact):
    return Session(artefact).run({"input": sample_input()})["output"]


@pytest.fixture(scope="module")
def process_card():
    with ProcessCard(memory_bytes=4 << 20) as card:
        yield card


@pytest.fixture(params=["sim", "process"])
def card(request, process_card):
    if request.param == "sim":
        yield SimCard(memory_bytes=4 << 20)
        return
    yield process_card
    process_card.faults.clear()
    assert process_card.allocator.live == {}  # every test closes its sessions


def _fails_once_then_recovers(sess, card, reference, error, match):
    """The run fails with `error`, leaving nothing allocated; the next run is right again."""
    uploads = sess.counters.uploads
    with pytest.raises(error, match=match):
        sess.run({"input": sample_input()})
    assert card.allocator.live == {}
    assert card.read_reg(0x0C) != 4  # not left in the error state
    np.testing.assert_array_equal(sess.run({"input": sample_input()})["output"], reference)
    assert sess.counters.uploads == uploads + 1
    sess.close()
    assert card.allocator.live == {}


def test_a_hung_card_times_out_and_is_restarted(artefact, card, reference):
    sess = Session(artefact, card, timeout=TIMEOUT)
    generation = card.generation
    faults.hang(card)
    start = time.monotonic()
    with pytest.raises(DeviceTimeout, match=f"card did not finish within {TIMEOUT:g} s; .*restart"):
        sess.run({"input": sample_input()})
    assert TIMEOUT <= time.monotonic() - start < TIMEOUT + 1.0
    assert card.generation == generation + 1 and card.allocator.live == {}
    np.testing.assert_array_equal(sess.run({"input": sample_input()})["output"], reference)
    sess.close()


@pytest.mark.parametrize(
    "direction, match",
    [
        # the packed 12x12x16 input; the 16-byte output
        ("to_device", "DMA to the card failed: 2304 bytes to card address 0x[0-9a-f]+ were not"),
        ("from_device", "DMA from the card failed: 16 bytes at card address 0x[0-9a-f]+ were not"),
    ],
    ids=["to_device", "from_device"],
)
def test_dma_errors(artefact, card, reference, direction, match):
    sess = Session(artefact, card)
    faults.dma_error(card, direction)
    _fails_once_then_recovers(sess, card, reference, DeviceError, match)


@pytest.mark.parametrize("what", ["weights", "micro-ops", "instructions"])
def test_a_flipped_bit_is_caught_before_the_card_runs(artefact, card, reference, what):
    sess = Session(artefact, card)
    addr = faults.flip_bit_in(sess, what, seed=1)
    lo, hi = next((a, a + n) for w, a, n in sess.image.spans() if w == what)
    assert lo <= addr < hi
    match = f"card memory check failed before the run: the {what} at card address 0x"
    _fails_once_then_recovers(sess, card, reference, DeviceIntegrityError, match)


def test_a_reset_mid_run_loses_the_card_memory(artefact, card, reference):
    sess = Session(artefact, card)
    generation = card.generation
    faults.reset_mid_run(card)
    _fails_once_then_recovers(sess, card, reference, DeviceResetError, "card reset during the run")
    assert card.generation == generation + 1


def test_unchecked_a_flipped_weight_bit_gives_wrong_output(artefact, reference):
    """Why the card checks: without the check the same fault goes unnoticed."""
    card = SimCard(memory_bytes=4 << 20)
    sess = Session(artefact, card, verify=False)
    assert sess.image.check_table is None
    for seed in range(4):
        faults.flip_bit(card, sess.arena.addr + seed * 257, 6)  # first conv's weights
    assert not np.array_equal(sess.run({"input": sample_input()})["output"], reference)


def test_a_fault_during_the_upload_again_leaves_nothing_allocated(artefact, card, reference):
    sess = Session(artefact, card)
    faults.reset_mid_run(card)
    with pytest.raises(DeviceResetError):
        sess.run({"input": sample_input()})
    faults.dma_error(card, "to_device", skip=1)  # the weights go, the micro-ops do not
    with pytest.raises(DeviceError, match="DMA to the card failed"):
        sess.run({"input": sample_input()})
    assert card.allocator.live == {}
    np.testing.assert_array_equal(sess.run({"input": sample_input()})["output"], reference)
    sess.close()
    assert card.allocator.live == {}
    with pytest.raises(CanopyError, match="the session is closed"):
        sess.run({"input": sample_input()})


def test_a_failed_session_start_frees_what_it_allocated(artefact, card):
    faults.dma_error(card, "to_device", skip=2)  # the instructions fail to upload
    with pytest.raises(DeviceError, match="DMA to the card failed"):
        Session(artefact, card)
    assert card.allocator.live == {}


def test_sessions_sharing_a_card_all_recover_from_its_restart(artefact, card, reference):
    a, b = Session(artefact, card), Session(artefact, card)
    faults.reset_mid_run(card)
    with pytest.raises(DeviceResetError):
        a.run({"input": sample_input()})
    for sess in (b, a):  # b's model was lost too, though b's run never failed
        np.testing.assert_array_equal(sess.run({"input": sample_input()})["output"], reference)
    assert (a.counters.uploads, b.counters.uploads) == (2, 2)
    a.close()
    b.close()
    b.close()  # harmless
    assert card.allocator.live == {}


def test_faults_fire_once_and_bad_requests_are_named(artefact):
    card = SimCard(memory_bytes=1 << 20)
    faults.dma_error(card, "from_device", skip=1)
    faults.hang(card)
    assert card.faults.pending() == ["dma_from_device", "hang"]
    ptr = card.alloc(64)
    card.dma_from_device(ptr, 8)  # let through
    with pytest.raises(DeviceError, match="DMA from the card failed: 8 bytes at card address"):
        card.dma_from_device(ptr, 8)
    card.dma_from_device(ptr, 8)  # fired once: disarmed
    assert card.faults.pending() == ["hang"]
    with pytest.raises(CanopyError, match="unknown fault 'melt'"):
        card.faults.arm("melt")
    with pytest.raises(CanopyError, match="DMA direction must be 'to_device' or 'from_device'"):
        faults.dma_error(card, "sideways")
    with pytest.raises(CanopyError, match="cannot flip bit 9 at card address 0x0"):
        faults.flip_bit(card, 0, 9)
    sess = Session(artefact, card, verify=False)
    sess.close()
    with pytest.raises(CanopyError, match="the session has no model on its card"):
        faults.flip_bit_in(sess, "weights")
