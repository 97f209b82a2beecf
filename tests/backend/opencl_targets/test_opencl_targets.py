"""`--target opencl` (every op as generated OpenCL kernels, no card) and `accel-opencl` (the
accelerator as an OpenCL kernel, host ops as generated kernels) run on an OpenCL device and equal
`--target sim` on the simulated card: bit for bit when the model ends in an int8 dequantize, within
the softmax kernel's tolerance otherwise. Artefacts refuse devices of another target, and device
names that match nothing, or a machine without OpenCL, get one error saying what to do."""

import sys
import zipfile

import numpy as np
import pytest
from small_cnn import sample_input

from canopy_ir.artefact import Artefact
from canopy_ir.backend.pcie import InferenceSession, Session, SimCard
from canopy_ir.backend.pcie.host import NumpyHostValues
from canopy_ir.errors import CanopyError
from canopy_ir.tools.compile import main as compile_main
from canopy_ir.tools.run import main as run_main

SOFTMAX_TOL = dict(rtol=1e-5, atol=1e-6)  # backend/opencl/codegen/norm.py
SHAPE = (1, 3, 16, 16)  # the residual nets' input (conftest.py)


def _where(session) -> dict:
    counts = session.host_values.counts
    return {w: {op for (k, op), n in counts.items() if k == w and n} for w in ("opencl", "numpy")}


def test_small_cnn_opencl_target_is_bit_exact(rt, small_cnn):
    art = Artefact.load(small_cnn["opencl"])
    assert art.manifest["target"] == "opencl"
    assert art.insn_count == 1 and not art.regions  # a lone FINISH: no accelerator work
    assert Artefact.load(small_cnn["sim"]).manifest["target"] == "sim"
    sess = Session(small_cnn["opencl"], "opencl")
    assert sess.device is None
    reference = Session(small_cnn["sim"])
    for seed in range(3):
        x = {"input": np.random.default_rng(seed).uniform(-1, 1, (1, 3, 12, 12)).astype("f4")}
        np.testing.assert_array_equal(sess.run(x)["output"], reference.run(x)["output"])
    where = _where(sess)
    assert where["numpy"] == set() and sess.host_values.fallbacks == {}
    assert {"graph.conv2d+requantize", "graph.dense+requantize"} <= where["opencl"]
    assert "graph.conv2d" not in where["opencl"]  # every convolution ran fused


def test_quantize_static_net_matches_sim(rt, residual):
    """Zero-point padding, max pooling, a residual graph.qadd, graph.qavg_pool, dense: all as
    kernels on the device, no value leaving it until the output."""
    sess = Session(residual["opencl"], "opencl")
    reference = Session(residual["sim"])
    for seed in range(3):
        x = {"x": np.random.default_rng(seed).uniform(-1, 1, SHAPE).astype(np.float32)}
        (got,), (want,) = sess.run(x).values(), reference.run(x).values()
        if residual["softmax"]:
            np.testing.assert_allclose(got, want, **SOFTMAX_TOL)
        else:
            np.testing.assert_array_equal(got, want)
    where = _where(sess)
    assert where["numpy"] == set(), sess.host_values.fallbacks
    expected = {"graph.pad", "graph.pool", "graph.qadd", "graph.qavg_pool", "graph.quantize"}
    assert expected <= where["opencl"]
    assert ("graph.softmax" in where["opencl"]) == residual["softmax"]


@pytest.mark.parametrize("residual", [True], indirect=True, ids=["softmax-head"])
def test_host_segments_of_a_partitioned_model_run_as_kernels(rt, residual):
    """The simulated card runs the accelerator's part; the host's part (the softmax head and its
    conversions) runs as OpenCL kernels, its operands read from the card and its results
    returned."""
    from canopy_ir.backend.opencl.host_values import OpenCLHost

    host = OpenCLHost(rt)
    sess = Session(residual["sim"], "sim", host_values=host)
    numpy = Session(residual["sim"], "sim", host_values=NumpyHostValues)
    x = {"x": np.random.default_rng(7).uniform(-1, 1, SHAPE).astype(np.float32)}
    (got,), (want,) = sess.run(x).values(), numpy.run(x).values()
    np.testing.assert_allclose(got, want, **SOFTMAX_TOL)
    assert got.argmax() == want.argmax()
    assert _where(sess)["opencl"] >= {"graph.softmax", "graph.dequantize", "graph.quantize"}


def test_accel_opencl_target_runs_the_card_and_kernels(rt, small_cnn):
    art = Artefact.load(small_cnn["accel-opencl"])
    assert art.manifest["target"] == "accel-opencl" and art.insn_count > 1
    sess = InferenceSession(small_cnn["accel-opencl"], device="opencl")
    assert type(sess.session.device).__name__ == "OpenCLCard"
    (got,) = sess.run(None, {"input": sample_input()})
    (want,) = InferenceSession(small_cnn["sim"]).run(None, {"input": sample_input()})
    np.testing.assert_array_equal(got, want)


@pytest.mark.parametrize(
    ("target", "device", "words"),
    [
        ("opencl", "sim", ["'opencl'", "'sim'"]),
        ("sim", "opencl", ["'sim'", "'opencl'"]),
        ("accel-opencl", "sim", ["'accel-opencl'", "'sim'"]),
    ],
)
def test_target_mismatch_is_refused_naming_both(small_cnn, target, device, words):
    with pytest.raises(CanopyError) as err:
        Session(small_cnn[target], device)
    message = str(err.value)
    assert all(w in message for w in words) and "\n" not in message


def test_card_objects_follow_the_target(small_cnn):
    with pytest.raises(CanopyError, match="target 'opencl'"):
        Session(small_cnn["opencl"], SimCard())
    with pytest.raises(CanopyError, match="target 'accel-opencl'"):
        Session(small_cnn["accel-opencl"], SimCard())


def test_canopy_run_refuses_another_target(small_cnn, tmp_path, capsys):
    np.save(tmp_path / "x.npy", sample_input())
    assert run_main([small_cnn["opencl"], "--input", str(tmp_path / "x.npy")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "target 'opencl'" in err[0] and "device 'sim'" in err[0]


def test_bad_device_names(rt, small_cnn):
    with pytest.raises(CanopyError, match="no OpenCL device matches 'no-such-device'"):
        Session(small_cnn["opencl"], "opencl:no-such-device")
    with pytest.raises(CanopyError, match="no OpenCL device 99"):
        Session(small_cnn["opencl"], "opencl:99")
    with pytest.raises(CanopyError, match=r"device 'cuda' is not available .*opencl:NAME"):
        Session(small_cnn["opencl"], "cuda")


def test_device_by_name_index_and_environment(rt, small_cnn, monkeypatch):
    from canopy_ir.backend.opencl.codegen.runtime import list_devices

    labels = [label for label, _ in list_devices()]
    index = labels.index(rt.name)
    word = rt.device.name.strip().split()[0]
    x = {"input": sample_input()}
    want = Session(small_cnn["sim"]).run(x)["output"]
    for device in (f"opencl:{index}", f"opencl:{word}"):
        sess = Session(small_cnn["opencl"], device)
        assert sess.host_values.name == rt.name
        np.testing.assert_array_equal(sess.run(x)["output"], want)
    monkeypatch.setenv("CANOPY_OPENCL_DEVICE", "no-such-device")
    with pytest.raises(CanopyError, match="no-such-device"):
        Session(small_cnn["opencl"], "opencl")


def test_no_platform_is_one_error_saying_what_to_install(small_cnn, monkeypatch):
    from canopy_ir.backend.opencl.codegen import runtime

    monkeypatch.setattr(runtime, "list_devices", lambda: [])
    monkeypatch.setitem(sys.modules, "pyopencl", sys.modules.get("pyopencl") or object())
    with pytest.raises(CanopyError) as err:
        Session(small_cnn["opencl"], "opencl")
    message = str(err.value)
    assert "no OpenCL platform" in message
    assert "apt-get install -y pocl-opencl-icd" in message and "pip install pyopencl" in message
    monkeypatch.setitem(sys.modules, "pyopencl", None)  # not installed at all
    with pytest.raises(CanopyError, match="pyopencl is not installed.*pocl-opencl-icd"):
        Session(small_cnn["opencl"], "opencl")


def test_compile_cli_target(tmp_path, capsys):
    from small_cnn import build_small_cnn

    onnx = pytest.importorskip("onnx")
    onnx.save(build_small_cnn(), tmp_path / "m.onnx")
    out = tmp_path / "m.canopy"
    assert compile_main([str(tmp_path / "m.onnx"), "-o", str(out), "--target", "opencl"]) == 0
    assert "target opencl" in capsys.readouterr().err
    with zipfile.ZipFile(out) as z:
        assert '"target": "opencl"' in z.read("manifest.json").decode()
    args = [str(tmp_path / "m.onnx"), "-o", str(tmp_path / "n.canopy"), "--target", "opencl"]
    assert compile_main([*args, "--accel-only"]) == 2
    assert "contradicts --target opencl" in capsys.readouterr().err
    pipeline = "import-qdq,graph-partition{target=accel-opencl},graph-to-tile,tile-to-accel,"
    pipeline += "insert-deps,encode"
    assert compile_main([*args, "--pipeline", pipeline]) == 2
    assert "contradicts the pipeline's graph-partition" in capsys.readouterr().err
    assert compile_main([*args[:3], "--pipeline", pipeline]) == 0  # the pipeline's own target
    assert Artefact.load(tmp_path / "n.canopy").manifest["target"] == "accel-opencl"
