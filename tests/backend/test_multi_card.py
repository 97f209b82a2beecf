"""Several cards in one host: data-parallel batches and pipeline stages give a single card's
outputs bit for bit (ResNet-18 at 32x32 from examples/zoo.py, and a partitioned model whose host
ops run between segments); stage streams cut inside a segment verify; the split is balanced; the
cycle-paced card never returns before its modelled time and lets cards run concurrently."""

import os
import time
import warnings
from itertools import combinations

import numpy as np
import onnx
import pytest
import zoo
from hypothesis import given, settings
from hypothesis import strategies as st
from onnx import TensorProto, helper, numpy_helper
from small_cnn import build_small_cnn, sample_input

from canopy_ir.artefact import Artefact
from canopy_ir.backend.pcie import Session, SimCard
from canopy_ir.backend.pcie.multi import DataParallelSession, PipelineSession
from canopy_ir.backend.pcie.paced import PacedCard, paced_sim_cards
from canopy_ir.backend.pcie.stages import _balance, cut_points, split_artefact
from canopy_ir.compiler.driver import compile_model
from canopy_ir.errors import CanopyError, DeviceTimeout


def _compile(model: onnx.ModelProto, folder, name: str, calib=None) -> Artefact:
    onnx.save(model, folder / f"{name}.onnx")
    if calib is not None:
        np.savez(folder / f"{name}.npz", input=calib)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        compile_model(
            folder / f"{name}.onnx",
            folder / f"{name}.canopy",
            calibrate=str(folder / f"{name}.npz") if calib is not None else None,
        )
    return Artefact.load(folder / f"{name}.canopy")


def _gated_net() -> onnx.ModelProto:
    """conv → sigmoid (host) → conv → fc → softmax (host): two segments, host ops between."""
    rng = np.random.default_rng(0)

    def init(name, *shape, scale=0.2):
        return numpy_helper.from_array(rng.normal(0, scale, shape).astype(np.float32), name)

    nodes = [
        helper.make_node("Conv", ["x", "w1", "b1"], ["c1"], pads=[1, 1, 1, 1], name="conv1"),
        helper.make_node("Relu", ["c1"], ["r1"], name="relu1"),
        helper.make_node("Sigmoid", ["r1"], ["p1"], name="gate"),
        helper.make_node(
            "Conv", ["p1", "w2", "b2"], ["c2"], pads=[1, 1, 1, 1], strides=[4, 4], name="conv2"
        ),
        helper.make_node("Relu", ["c2"], ["r2"], name="relu2"),
        helper.make_node("Flatten", ["r2"], ["f"], name="flatten"),
        helper.make_node("Gemm", ["f", "w3", "b3"], ["g"], transB=1, name="fc"),
        helper.make_node("Softmax", ["g"], ["y"], axis=1, name="softmax"),
    ]
    inits = [
        init("w1", 8, 3, 3, 3, scale=0.3),
        init("b1", 8, scale=0.1),
        init("w2", 16, 8, 3, 3),
        init("b2", 16, scale=0.1),
        init("w3", 10, 144, scale=0.05),
        init("b3", 10, scale=0.1),
    ]
    graph = helper.make_graph(
        nodes,
        "gated",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 3, 12, 12])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 10])],
        inits,
    )
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])


@pytest.fixture(scope="module")
def resnet(tmp_path_factory):
    calib = np.random.default_rng(5).standard_normal((2, 3, 32, 32)).astype(np.float32)
    return _compile(zoo.resnet18(size=32), tmp_path_factory.mktemp("r18"), "r18", calib)


@pytest.fixture(scope="module")
def gated(tmp_path_factory):
    return _compile(_gated_net(), tmp_path_factory.mktemp("gated"), "gated")


@pytest.fixture(scope="module")
def small(tmp_path_factory):
    return _compile(build_small_cnn(), tmp_path_factory.mktemp("small"), "small")


def _images(count: int, shape, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return rng.standard_normal((count, *shape[1:])).astype(np.float32)


def _single(art: Artefact, name: str, x: np.ndarray) -> list[dict]:
    session = Session(art)
    return [session.run({name: x[i : i + 1]}) for i in range(len(x))]


def test_data_parallel_batch_is_bit_exact_and_in_order(resnet):
    x = _images(5, (1, 3, 32, 32))
    reference = _single(resnet, "input", x)
    with DataParallelSession(resnet, 3) as multi:
        y = multi.run({"input": x})["output"]
        timing = multi.last_timing
    assert y.shape == (5, 1000)
    for i in range(5):
        np.testing.assert_array_equal(y[i : i + 1], reference[i]["output"])
    # five runs of equal modelled time list-scheduled on three cards: two rounds
    per_image = timing.busy[0] / 2
    assert timing.modelled_seconds == pytest.approx(2 * per_image)
    assert sorted(round(b / per_image) for b in timing.busy) == [1, 2, 2]


def test_batch_of_the_wrong_shape_is_refused(small):
    with DataParallelSession(small, 2) as multi:
        with pytest.raises(CanopyError, match="stacks inputs of shape"):
            multi.run({"input": np.zeros((2, 3, 12, 13), np.float32)})
        with pytest.raises(CanopyError, match="the batch holds no items"):
            multi.run({"input": np.zeros((0, 3, 12, 12), np.float32)})
        with pytest.raises(CanopyError, match="input 'input' is missing"):
            multi.run_many([{}])


def test_pipeline_cut_at_every_cut_point_is_bit_exact(resnet):
    """One stage per block between cut points: every cut of the model at once."""
    boundaries = cut_points(resnet)
    x = _images(2, (1, 3, 32, 32))
    reference = _single(resnet, "input", x)
    with PipelineSession(resnet, len(boundaries) + 1, boundaries=boundaries) as pipe:
        results = pipe.run_many([{"input": x[i : i + 1]} for i in range(2)])
        assert len(pipe.last_timing.busy) == len(boundaries) + 1
    for got, want in zip(results, reference, strict=True):
        np.testing.assert_array_equal(got["output"], want["output"])


@pytest.mark.parametrize("cards", [2, 3, 4])
def test_balanced_pipeline_is_bit_exact(resnet, cards):
    x = _images(3, (1, 3, 32, 32), seed=cards)
    reference = _single(resnet, "input", x)
    with PipelineSession(resnet, cards) as pipe:
        y = pipe.run({"input": x})["output"]
        timing = pipe.last_timing
    for i in range(3):
        np.testing.assert_array_equal(y[i : i + 1], reference[i]["output"])
    # three items through the stages: the slowest stage's time three times, plus the others once
    per_item = [b / 3 for b in timing.busy]
    expected = sum(per_item) + 2 * max(per_item)
    assert timing.modelled_seconds == pytest.approx(expected, rel=1e-9)


def test_resnet_can_be_cut_between_every_pair_of_layers(resnet):
    layers = list(dict.fromkeys(n for n in resnet.instruction_layers() if n))
    assert cut_points(resnet) == layers[1:]


def test_pipeline_with_host_ops_across_segments_is_bit_exact(gated):
    assert len(gated.segments()) == 2 and gated.host["ops"]
    x = _images(3, (1, 3, 12, 12))
    reference = _single(gated, "x", x)
    names = cut_points(gated)
    assert len(names) >= 2  # the segment boundary and a cut inside a segment
    for k in (1, 2):
        for boundaries in combinations(names, k):
            with PipelineSession(gated, k + 1, boundaries=list(boundaries)) as pipe:
                y = pipe.run({"x": x})["y"]
            for i in range(3):
                np.testing.assert_array_equal(y[i : i + 1], reference[i]["y"])


def test_stages_hand_on_only_what_later_stages_use(resnet):
    stages = split_artefact(resnet, 3)
    assert stages[0].inputs == ["input"] and stages[-1].outputs == ["output"]
    for before, after in zip(stages, stages[1:], strict=False):
        assert set(after.inputs) <= set(before.outputs)
        assert all(n.startswith("@") for n in after.inputs)
    layers = [layer for s in stages for layer in s.layers]
    assert layers == list(dict.fromkeys(n for n in resnet.instruction_layers() if n))


def test_split_is_balanced_on_the_cycle_model(resnet):
    stages = split_artefact(resnet, 4)
    whole = Session(resnet, card := SimCard(resnet.config))
    whole.run({"input": _images(1, (1, 3, 32, 32))})
    total = card.last_cycles.total_cycles
    assert sum(s.estimated_cycles for s in stages) == pytest.approx(total, rel=0.01)
    assert max(s.estimated_cycles for s in stages) < 0.4 * total


@settings(max_examples=max(25, settings.default.max_examples), deadline=None)
@given(
    costs=st.lists(st.integers(0, 100), min_size=1, max_size=9),
    data=st.data(),
)
def test_balance_minimises_the_largest_stage(costs, data):
    n = data.draw(st.integers(1, len(costs)))
    starts = _balance(costs, n)
    assert starts[0] == 0 and len(starts) == n and starts == sorted(set(starts))

    def worst(s):
        return max(sum(costs[a:b]) for a, b in zip(s, [*s[1:], len(costs)], strict=True))

    best = min(worst([0, *c]) for c in combinations(range(1, len(costs)), n - 1))
    assert worst(starts) == best


def test_split_errors_name_the_problem(small):
    with pytest.raises(CanopyError, match="at most 3 stages"):
        split_artefact(small, 4)
    with pytest.raises(CanopyError, match="cannot be cut before layer 'nope'"):
        PipelineSession(small, 2, boundaries=["nope"])
    with pytest.raises(CanopyError, match="1 stage boundaries make 2 stages, but 3 cards"):
        PipelineSession(small, 3, boundaries=["fc"])


def test_paced_card_never_returns_before_its_modelled_time(small):
    clock = 0.05  # MHz: the small model's ~9000 cycles take ~0.2 s
    card = PacedCard(SimCard(small.config), clock_mhz=clock)
    session = Session(small, card)
    for _ in range(2):
        start = time.perf_counter()
        session.run({"input": sample_input()})
        wall = time.perf_counter() - start
        assert card.last_seconds == card.last_cycles.total_cycles / (clock * 1e6)
        assert wall >= card.last_seconds > 0.1
    assert card.launches == 2 and card.modelled_seconds == pytest.approx(2 * card.last_seconds)
    quick = PacedCard(SimCard(small.config), clock_mhz=clock, sleep=False)
    start = time.perf_counter()
    Session(small, quick).run({"input": sample_input()})
    assert time.perf_counter() - start < quick.last_seconds / 2


class _OpaqueCard:
    """A card that is not a `SimCard` (so the paced card models the stream itself)."""

    def __init__(self, card: SimCard):
        self.inner, self.config, self.name = card, card.config, "opaque"

    def __getattr__(self, name):
        return getattr(self.inner, name)


def test_paced_card_models_streams_of_any_card(small):
    sim = SimCard(small.config)
    paced = PacedCard(_OpaqueCard(sim), clock_mhz=1000, config=small.config)
    Session(small, paced).run({"input": sample_input()})
    assert paced.last_cycles.total_cycles == sim.last_cycles.total_cycles > 0


def test_paced_process_card_keeps_checksums_and_recovers(small):
    """Pacing a card in its own process keeps what the session relies on: the card's checksum
    checks (a weight bit flipped after upload is caught) and recovery (the next run uploads
    again and is exact)."""
    from canopy_ir.backend.pcie import faults
    from canopy_ir.backend.pcie.process_card import ProcessCard
    from canopy_ir.errors import DeviceError

    x = sample_input()
    expected = Session(small, SimCard(small.config)).run({"input": x})
    card = PacedCard(ProcessCard(small.config), clock_mhz=1000)
    try:
        session = Session(small, card)
        assert card.verifies_checksums
        np.testing.assert_array_equal(session.run({"input": x})["output"], expected["output"])
        faults.flip_bit_in(session, "weights")
        with pytest.raises(DeviceError):
            session.run({"input": x})
        np.testing.assert_array_equal(session.run({"input": x})["output"], expected["output"])
    finally:
        card.close()


def test_paced_card_times_out_like_a_card(small):
    card = PacedCard(SimCard(small.config), clock_mhz=0.001)  # ~9 s modelled
    session = Session(small, card, timeout=0.05)
    with pytest.raises(DeviceTimeout, match="cycle model gives"):
        session.run({"input": sample_input()})


def test_paced_cards_run_concurrently(small):
    clock = 0.05
    batch = [{"input": sample_input()} for _ in range(4)]
    with DataParallelSession(small, paced_sim_cards(4, small.config, clock)) as multi:
        multi.run_many(batch[:1] * 4)  # first runs compile each card's stream
        start = time.perf_counter()
        multi.run_many(batch)
        wall = time.perf_counter() - start
        per_run = multi.cards[0].last_seconds
    assert per_run > 0.1
    assert wall < 2.5 * per_run  # four runs one after the other would take 4 per_run


def test_opencl_cards_data_parallel_and_pipeline_match_the_simulated_card(tmp_path, small):
    """Two OpenCL cards (the accelerator in OpenCL C; PoCL on CI) in both modes."""
    from canopy_ir.backend.opencl.codegen.runtime import get_runtime

    try:
        get_runtime()
    except CanopyError as e:
        if os.environ.get("CANOPY_CI") == "1":
            pytest.fail(f"CANOPY_CI=1 needs an OpenCL device: {e}", pytrace=False)
        pytest.skip(str(e))
    onnx.save(build_small_cnn(), tmp_path / "small.onnx")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        compile_model(tmp_path / "small.onnx", tmp_path / "ocl.canopy", target="accel-opencl")
    x = np.concatenate([sample_input(seed=s) for s in range(3)])
    want = np.concatenate([r["output"] for r in _single(small, "input", x)])
    for cls in (DataParallelSession, PipelineSession):
        with cls(tmp_path / "ocl.canopy", ["opencl", "opencl"]) as multi:
            np.testing.assert_array_equal(multi.run({"input": x})["output"], want)
    # paced, an OpenCL card is modelled from the stream read back from its memory, and keeps its
    # pinned transfers
    from canopy_ir.backend.pcie.targets import opencl_card

    art = Artefact.load(tmp_path / "ocl.canopy")
    paced = PacedCard(opencl_card(art.config, None), sleep=False)
    got = Session(art, paced).run({"input": x[:1]})["output"]
    np.testing.assert_array_equal(got, want[:1])
    assert paced.launches == 1 and paced.last_cycles.total_cycles > 0


@pytest.mark.parametrize("cls", [DataParallelSession, PipelineSession])
def test_a_failing_item_is_reported_with_its_index(small, cls):
    good = {"input": sample_input()}
    bad = {"input": np.zeros((1, 3, 12, 11), np.float32)}
    with cls(small, 2) as multi:
        with pytest.raises(CanopyError, match=r"has shape \(1, 3, 12, 11\)") as info:
            multi.run_many([good, bad, good])
        assert "(batch item 1)" in info.value.__notes__
        np.testing.assert_array_equal(  # the cards still work afterwards
            multi.run_many([good])[0]["output"], _single(small, "input", good["input"])[0]["output"]
        )
