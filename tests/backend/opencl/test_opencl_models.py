"""Whole compiled models through `Session`: an OpenCLCard and the simulated card give identical
outputs (every bit), in both kernel forms, with GEMMs split across the device or not, on the
default configuration and on one with small buffers (many tiles, the input buffer deeper than
the accumulator)."""

from pathlib import Path

import numpy as np
import onnx
import pytest
from small_cnn import build_small_cnn, sample_input

from canopy_ir.backend.pcie import InferenceSession, Session, SimCard
from canopy_ir.compiler.driver import compile_model
from canopy_ir.errors import DeviceError
from canopy_ir.fuzz.models import build_qdq_model, random_input
from canopy_ir.hw.config import HwConfig

TINY = Path(__file__).resolve().parents[2] / "golden" / "tiny_buffers.json"
MEMORY = 16 << 20


def _compile(tmp_path_factory, name, model, config=None):
    folder = tmp_path_factory.mktemp(name)
    onnx.save(model, folder / "m.onnx")
    compile_model(folder / "m.onnx", folder / "m.canopy", config=config)
    return folder / "m.canopy"


@pytest.fixture(scope="module")
def small_cnn(tmp_path_factory):
    return _compile(tmp_path_factory, "cnn", build_small_cnn())


@pytest.fixture(scope="module")
def tiny_net(tmp_path_factory):
    layers = [
        ("conv", 12, 3, 1, 1, 1, True, True),
        ("conv", 20, 3, 2, 1, 1, True, True),
        ("conv", 9, 1, 1, 0, 1, False, True),
        ("flatten",),
        ("dense", 7, False, True),
    ]
    model = build_qdq_model((2, 5, 9, 9), layers)
    return _compile(tmp_path_factory, "tiny", model, str(TINY)), (2, 5, 9, 9)


def _card(config, **kw):
    from canopy_ir.backend.opencl import OpenCLCard

    return OpenCLCard(config, memory_bytes=MEMORY, **kw)


def _same(path, feeds, card, runs=2):
    reference = Session(path, SimCard(card.config)).run(feeds)
    session = Session(path, card)
    for _ in range(runs):  # a second run starts from empty on-chip buffers again
        out = session.run(feeds)
        assert out.keys() == reference.keys()
        for name in out:
            np.testing.assert_array_equal(out[name], reference[name], err_msg=name)
    return session


@pytest.mark.parametrize(
    "kw",
    [{}, {"split_min": 0, "local_size": 8}, {"local_size": 1}, {"form": "fpga"}],
    ids=["portable", "split", "one-item", "fpga"],
)
def test_small_cnn_matches_the_simulated_card(small_cnn, kw):
    _same(small_cnn, {"input": sample_input()}, _card(HwConfig(), **kw))


@pytest.mark.parametrize("kw", [{"local_size": 32}, {"form": "fpga"}], ids=["portable", "fpga"])
def test_tiled_net_on_small_buffers_matches(tiny_net, kw):
    path, shape = tiny_net
    config = HwConfig.load(TINY)
    _same(path, {"input": random_input(shape, 1)}, _card(config, **kw))


def test_models_share_a_card_anywhere_in_its_memory(small_cnn):
    card = _card(HwConfig())
    card.alloc(123_456)  # the arenas land at non-zero card addresses
    x = {"input": sample_input()}
    a = _same(small_cnn, x, card, runs=1)
    b = _same(small_cnn, x, card, runs=1)
    assert b.arena.addr > a.arena.addr > 0
    a.close()
    np.testing.assert_array_equal(b.run(x)["output"], Session(small_cnn).run(x)["output"])


def test_inference_session_takes_the_card(small_cnn):
    sess = InferenceSession(small_cnn, device=_card(HwConfig()))
    (y,) = sess.run(None, {"input": sample_input()})
    (want,) = InferenceSession(small_cnn).run(None, {"input": sample_input()})
    np.testing.assert_array_equal(y, want)
    assert sess.counters.runs == 1


def test_a_card_for_another_configuration_refuses_the_artefact(small_cnn):
    with pytest.raises(DeviceError, match="different hardware configuration"):
        Session(small_cnn, _card(HwConfig.load(TINY)))
