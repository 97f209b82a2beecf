"""Serving: the Ray Serve deployment answers HTTP on loopback with a single card's outputs (JSON,
.npy batches), refuses bad requests with one-line errors and spreads concurrent requests over its
cards; the Triton Python-backend model, driven through a test double of Triton's
`triton_python_backend_utils`, answers requests and batches and reports errors per request."""

import importlib.util
import io
import json
import os
import socket
import sys
import types
import urllib.error
import urllib.request
import warnings
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import onnx
import pytest
from small_cnn import build_small_cnn, sample_input

from canopy_ir.artefact import Artefact
from canopy_ir.backend.pcie import InferenceSession
from canopy_ir.backend.serve.protocol import NPY
from canopy_ir.backend.serve.triton_repo import model_config, write_model_repository
from canopy_ir.compiler.driver import compile_model
from canopy_ir.errors import CanopyError

# Ray Serve's own configuration classes use pydantic features deprecated in pydantic 2
pytestmark = pytest.mark.filterwarnings("ignore:Using extra keyword arguments on `Field`")
HAS_RAY = importlib.util.find_spec("ray") is not None
# CI installs the serve extra: there a missing ray fails the Ray tests instead of skipping them
needs_ray = pytest.mark.skipif(
    not HAS_RAY and os.environ.get("CANOPY_CI") != "1",
    reason="ray is not installed (the optional extra: pip install 'canopy-ir[serve]')",
)


@pytest.fixture(scope="module")
def artefact(tmp_path_factory):
    folder = tmp_path_factory.mktemp("serve")
    onnx.save(build_small_cnn(), folder / "small.onnx")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        compile_model(folder / "small.onnx", folder / "small.canopy")
    return folder / "small.canopy"


@pytest.fixture(scope="module")
def reference(artefact):
    session = InferenceSession(str(artefact))

    def run(x: np.ndarray) -> np.ndarray:
        return np.concatenate(
            [session.run(None, {"input": x[i : i + 1]})[0] for i in range(len(x))]
        )

    return run


def _images(count: int, seed: int = 0) -> np.ndarray:
    return np.concatenate([sample_input(seed=seed + i) for i in range(count)])


# ---- Ray Serve ---------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def url(artefact):
    from canopy_ir.backend.serve import ray_app

    with socket.socket() as s:  # a free port on loopback
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    # paced cards at 0.1 MHz: the small model's ~9000 cycles take ~0.09 s, so requests overlap;
    # replica 0's simulated card runs in the replica's process, replica 1's in its own
    app = ray_app.build_app(artefact, cards=2, devices="paced@0.1,paced-process@0.1", max_batch=4)
    try:
        yield ray_app.start(app, port)
    finally:
        ray_app.stop()


def _post(url: str, body: bytes, content_type: str):
    request = urllib.request.Request(url, body, {"Content-Type": content_type})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, response.headers, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.headers, exc.read()


@needs_ray
def test_json_request_gets_a_single_cards_outputs(url, reference):
    x = _images(1)
    status, headers, body = _post(
        url, json.dumps({"inputs": {"input": x.tolist()}}).encode(), "application/json"
    )
    assert status == 200 and headers["x-canopy-card"] in ("0", "1")
    y = np.asarray(json.loads(body)["outputs"]["output"], np.float32)
    np.testing.assert_array_equal(y, reference(x))


@needs_ray
def test_npy_batch_request_gets_stacked_outputs(url, reference):
    x = _images(3, seed=10)
    buffer = io.BytesIO()
    np.save(buffer, x)
    status, headers, body = _post(url, buffer.getvalue(), NPY)
    assert status == 200 and headers["content-type"] == NPY
    np.testing.assert_array_equal(np.load(io.BytesIO(body)), reference(x))


@needs_ray
def test_bad_requests_get_one_line_errors(url):
    bad_shape = json.dumps({"inputs": {"input": np.zeros((1, 3, 5, 5)).tolist()}}).encode()
    status, _, body = _post(url, bad_shape, "application/json")
    assert status == 400
    assert "input 'input' has shape (1, 3, 5, 5)" in json.loads(body)["error"]
    status, _, body = _post(url, b"{}", "application/json")
    assert status == 400 and '{"inputs"' in json.loads(body)["error"]
    status, _, body = _post(url, b"x", "text/plain")
    assert status == 415 and "text/plain" in json.loads(body)["error"]


@needs_ray
def test_concurrent_requests_are_spread_over_the_cards(url, reference):
    images = [_images(1, seed=20 + i) for i in range(8)]

    def ask(x):
        buffer = io.BytesIO()
        np.save(buffer, x)
        return _post(url, buffer.getvalue(), NPY)

    with ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(ask, images))
    for x, (status, _, body) in zip(images, answers, strict=True):
        assert status == 200
        np.testing.assert_array_equal(np.load(io.BytesIO(body)), reference(x))
    assert {headers["x-canopy-card"] for _, headers, _ in answers} == {"0", "1"}


# ---- replicas ----------------------------------------------------------------------------------
def test_device_lists_name_paced_cards_in_or_out_of_the_replicas_process():
    from canopy_ir.backend.serve.replica import parse_devices

    assert parse_devices("paced, paced-process@50 ,sim,opencl:1") == [
        ("paced", None),
        ("paced-process", 50.0),
        ("sim", None),
        ("opencl:1", None),
    ]
    for bad, why in (
        ("", "empty"),
        ("sim@10", "only a paced card takes a clock"),
        ("paced-process@x", "not a number"),
        ("paced@-1", "must be positive"),
    ):
        with pytest.raises(CanopyError, match=why):
            parse_devices(bad)


def test_a_replica_on_a_paced_process_card_answers_and_ends_the_card(artefact, reference):
    """`paced-process`: the replica's simulated card in a process of its own, paced by the cycle
    model; the replica answers as a single card does, and closing it ends the card process."""
    from canopy_ir.backend.pcie.paced import PacedCard
    from canopy_ir.backend.pcie.process_card import ProcessCard
    from canopy_ir.backend.serve.replica import CardReplica

    replica = CardReplica(artefact, "sim,paced-process@1000", index=1)
    assert isinstance(replica.card, PacedCard) and isinstance(replica.card.card, ProcessCard)
    x = _images(2, seed=5)
    (answers,) = replica.run_requests([[{"input": x[i : i + 1]} for i in range(2)]])
    got = np.concatenate([a[replica.outputs[0]] for a in answers])
    np.testing.assert_array_equal(got, reference(x))
    assert replica.modelled_seconds > 0
    process = replica.card.card._process
    replica.close()
    assert process.poll() is not None


# ---- Triton Python backend -----------------------------------------------------------------
def _fake_triton_utils() -> types.ModuleType:
    """TEST DOUBLE of Triton's `triton_python_backend_utils`: only what the model uses, with the
    behaviour Triton's Python-backend documentation gives it."""
    pb = types.ModuleType("triton_python_backend_utils")

    class Tensor:
        def __init__(self, name, array):
            self._name, self._array = name, np.asarray(array)

        def name(self):
            return self._name

        def as_numpy(self):
            return self._array

    class InferenceRequest:
        def __init__(self, inputs):
            self.inputs = inputs

    class TritonError:
        def __init__(self, message):
            self._message = message

        def message(self):
            return self._message

    class InferenceResponse:
        def __init__(self, output_tensors, error=None):
            self._tensors, self._error = output_tensors, error

        def output_tensors(self):
            return self._tensors

        def has_error(self):
            return self._error is not None

        def error(self):
            return self._error

    def get_input_tensor_by_name(request, name):
        return next((t for t in request.inputs if t.name() == name), None)

    types_ = {"TYPE_FP32": np.float32, "TYPE_INT8": np.int8, "TYPE_INT64": np.int64}
    pb.Tensor, pb.InferenceRequest, pb.InferenceResponse = (
        Tensor,
        InferenceRequest,
        InferenceResponse,
    )
    pb.TritonError, pb.get_input_tensor_by_name = TritonError, get_input_tensor_by_name
    pb.triton_string_to_numpy = types_.__getitem__
    return pb


@pytest.fixture
def triton(monkeypatch, artefact, tmp_path):
    pb = _fake_triton_utils()
    monkeypatch.setitem(sys.modules, "triton_python_backend_utils", pb)
    folder = write_model_repository(artefact, tmp_path, name="small", instances=2)
    spec = importlib.util.spec_from_file_location("triton_model_py", folder / "1" / "model.py")
    model_py = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(model_py)  # the repository's model.py, as Triton loads it
    model = model_py.TritonPythonModel()
    args = {
        "model_config": json.dumps(
            model_config(Artefact.load(artefact), name="small", instances=2)
        ),
        "model_repository": str(folder),
        "model_version": "1",
        "model_instance_kind": "CPU",
        "model_instance_device_id": "0",
        "model_name": "small",
    }
    model.initialize(args)
    yield pb, model, folder, args
    model.finalize()


def test_triton_repository_declares_the_models_tensors(triton):
    _, _, folder, _ = triton
    text = (folder / "config.pbtxt").read_text()
    assert 'name: "small"' in text and 'backend: "python"' in text
    assert "max_batch_size: 8" in text and "dims: [ 3, 12, 12 ]" in text
    assert "dims: [ 10 ]" in text and "data_type: TYPE_FP32" in text
    assert "instance_group [\n  { count: 2 kind: KIND_CPU }\n]" in text
    assert 'parameters: { key: "artefact" value: { string_value: "model.canopy" } }' in text
    assert (folder / "1" / "model.canopy").is_file()


def test_triton_model_answers_each_request(triton, reference):
    pb, model, _, _ = triton
    one, three = _images(1, seed=30), _images(3, seed=31)
    requests = [
        pb.InferenceRequest([pb.Tensor("input", one)]),
        pb.InferenceRequest([pb.Tensor("input", three)]),  # Triton's batch dimension: 3 items
        pb.InferenceRequest([pb.Tensor("wrong", one)]),
        pb.InferenceRequest([pb.Tensor("input", one[:, :, :5])]),
    ]
    responses = model.execute(requests)
    assert len(responses) == 4
    for response, x in zip(responses[:2], (one, three), strict=True):
        assert not response.has_error()
        (tensor,) = response.output_tensors()
        assert tensor.name() == "output" and tensor.as_numpy().dtype == np.float32
        np.testing.assert_array_equal(tensor.as_numpy(), reference(x))
    assert responses[2].error().message() == "input 'input' is missing"
    assert "has shape (1, 3, 5, 12)" in responses[3].error().message()


def test_triton_model_refuses_a_config_that_does_not_match(triton):
    _, model, _, args = triton
    config = json.loads(args["model_config"])
    config["input"][0]["name"] = "image"
    with pytest.raises(CanopyError, match=r"declares inputs \['image'\]; the artefact takes"):
        type(model)().initialize(dict(args, model_config=json.dumps(config)))
