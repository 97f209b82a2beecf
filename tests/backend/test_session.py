"""The PCIe runtime: artefacts, relocation, the simulated card, sessions and their errors."""

import zipfile

import numpy as np
import pytest
from small_cnn import sample_input

from canopy_ir.artefact import Artefact
from canopy_ir.backend.pcie import InferenceSession, Session, SimCard
from canopy_ir.errors import ArtefactError, CanopyError, DeviceError


def test_weights_and_program_are_uploaded_once(artefact):
    sess = InferenceSession(artefact)
    uploaded = sess.counters.bytes_to_device
    x = sample_input()
    (y1,) = sess.run(None, {"input": x})
    (y2,) = sess.run(["output"], {"input": x})
    np.testing.assert_array_equal(y1, y2)
    c = sess.counters
    assert c.runs == 2
    assert c.bytes_to_device - uploaded == 2 * 12 * 12 * 16  # only the packed input, twice
    assert c.bytes_from_device == 2 * 16


def _model_of_36_segments(tmp_path):
    """A chain of 36 conv (accelerator) → sigmoid (host) pairs: 36 instruction segments. The
    artefact's path, an input, and the output's name."""
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    from canopy_ir.compiler.driver import compile_model

    rng = np.random.default_rng(0)
    nodes, inits, x = [], [], "x"
    for k in range(36):
        w = rng.normal(0, 0.3, (4, 4, 3, 3)).astype(np.float32)
        inits.append(numpy_helper.from_array(w, f"w{k}"))
        nodes.append(helper.make_node("Conv", [x, f"w{k}"], [f"c{k}"], pads=[1] * 4))
        nodes.append(helper.make_node("Sigmoid", [f"c{k}"], [f"s{k}"]))
        x = f"s{k}"
    graph = helper.make_graph(
        nodes,
        "chain",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 4, 6, 6])],
        [helper.make_tensor_value_info(x, TensorProto.FLOAT, [1, 4, 6, 6])],
        inits,
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    onnx.save(model, tmp_path / "m.onnx")
    feeds = {"x": rng.uniform(-1, 1, (1, 4, 6, 6)).astype(np.float32)}
    np.savez(tmp_path / "calib.npz", x=feeds["x"][None])
    compile_model(tmp_path / "m.onnx", tmp_path / "m.canopy", calibrate=tmp_path / "calib.npz")
    assert len(Artefact.load(tmp_path / "m.canopy").segments()) == 36
    return tmp_path / "m.canopy", feeds, x


def test_a_model_of_many_segments_runs_its_segments_from_the_card_after_the_first_run(
    tmp_path, monkeypatch
):
    """The card decodes, plans and models each of a model's 36 segments once, on the first run;
    the second run decodes nothing again. A cycle-paced card around a card that does not model
    its own streams (the process card) models each segment once too."""
    from canopy_ir.backend.pcie import paced
    from canopy_ir.backend.pcie.process_card import ProcessCard
    from canopy_ir.hw import isa

    path, feeds, out = _model_of_36_segments(tmp_path)
    decoded, modelled = [], []
    real_decode, real_model = isa.decode_insns, paced.cycle_model
    monkeypatch.setattr(
        isa, "decode_insns", lambda *a, **k: decoded.append(1) or real_decode(*a, **k)
    )
    monkeypatch.setattr(
        paced, "cycle_model", lambda *a, **k: modelled.append(1) or real_model(*a, **k)
    )
    sess = Session(path, SimCard())
    before = len(decoded)
    first = sess.run(feeds)
    assert len(decoded) - before == 36
    np.testing.assert_array_equal(sess.run(feeds)[out], first[out])
    assert len(decoded) - before == 36  # every segment ran from the card's resident streams

    with ProcessCard() as card:
        sess = Session(path, paced.PacedCard(card, sleep=False))
        np.testing.assert_array_equal(sess.run(feeds)[out], first[out])
        assert len(modelled) == 36
        sess.run(feeds)
        assert len(modelled) == 36


def test_relocation_runs_the_model_anywhere_in_card_memory(artefact):
    x = sample_input()
    (reference,) = InferenceSession(artefact).run(None, {"input": x})
    card = SimCard()
    card.alloc(123_456)  # the model's arena lands at a non-zero card address
    sess = Session(artefact, card)
    assert sess.arena.addr > 0
    np.testing.assert_array_equal(sess.run({"input": x})["output"], reference)


def test_two_models_share_one_card(artefact):
    card = SimCard()
    a, b = Session(artefact, card), Session(artefact, card)
    x = sample_input()
    np.testing.assert_array_equal(a.run({"input": x})["output"], b.run({"input": x})["output"])
    a.close()
    b.run({"input": x})


def test_bad_inputs_get_clear_errors(artefact):
    sess = InferenceSession(artefact)
    with pytest.raises(CanopyError, match="unknown input\\(s\\) \\['inp'\\]"):
        sess.run(None, {"inp": sample_input()})
    with pytest.raises(
        CanopyError,
        match="has shape \\(1, 3, 8, 8\\); the model was compiled for \\(1, 3, 12, 12\\)",
    ):
        sess.run(None, {"input": np.zeros((1, 3, 8, 8), np.float32)})
    with pytest.raises(CanopyError, match="unknown output"):
        sess.run(["logits"], {"input": sample_input()})


def _rewrite_member(src, dst, name, mutate):
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w") as zout:
        for item in zin.namelist():
            data = zin.read(item)
            zout.writestr(item, mutate(data) if item == name else data)


def test_corrupted_artefacts_are_refused(artefact, tmp_path):
    bad = tmp_path / "bad.canopy"
    _rewrite_member(artefact, bad, "insns.bin", lambda d: d[:-1] + bytes([d[-1] ^ 1]))
    with pytest.raises(ArtefactError, match="insns.bin is corrupted \\(sha256 mismatch\\)"):
        Artefact.load(bad)
    _rewrite_member(
        artefact, bad, "manifest.json", lambda d: d.replace(b'"version": 2', b'"version": 9')
    )
    with pytest.raises(ArtefactError, match="format version 9 is not supported"):
        Artefact.load(bad)
    (tmp_path / "junk.canopy").write_bytes(b"not a zip")
    with pytest.raises(ArtefactError, match="not a readable zip"):
        Artefact.load(tmp_path / "junk.canopy")
    with pytest.raises(ArtefactError, match="file not found"):
        Artefact.load(tmp_path / "missing.canopy")


def test_stream_whose_dma_leaves_the_arena_is_refused(artefact, tmp_path):
    from canopy_ir.hw import isa

    art = Artefact.load(artefact)
    insns = isa.decode_insns(art.insns, art.config)
    store = next(i for i in insns if isinstance(i, isa.StoreInsn))
    store.dram_base += art.arena_bytes  # points far beyond the model's memory
    art.insns = isa.encode_insns(insns, art.config)
    art.save(tmp_path / "oob.canopy")
    with pytest.raises(
        ArtefactError, match="fails verification: instruction .* \\(STORE\\): DMA reaches byte"
    ):
        Artefact.load(tmp_path / "oob.canopy")


def test_card_errors_reset_the_card_and_report(artefact):
    card = SimCard()
    # without the check of the uploaded data, which would refuse the clobbered stream before
    # the card decodes it (tests/backend/test_faults.py)
    sess = Session(artefact, card, verify=False)
    card.memory[sess.insn_buf.addr : sess.insn_buf.addr + 16] = 0xFF  # clobber the stream on card
    with pytest.raises(
        DeviceError, match="card stopped with an error: instruction 0: unknown opcode 7"
    ):
        sess.run({"input": sample_input()})
    assert card.read_reg(0x0C) == 0  # reset to idle by the session


def test_timeout(artefact):
    from canopy_ir.errors import DeviceTimeout

    sess = Session(artefact, SimCard(), timeout=0.0)
    with pytest.raises(DeviceTimeout, match="did not finish within 0 s"):
        sess.run({"input": sample_input()})
