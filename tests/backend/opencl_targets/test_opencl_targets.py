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
    """Zero-point padding, max pooling, a residual graph.qadd (fused into the convolution that
    produces one of its operands), graph.qavg_pool, dense: all as kernels on the device, no
    value leaving it until the output."""
    sess = Session(residual["opencl"], "opencl")
    reference = Session(residual["sim"])
    for seed in range(3):
        x = {"x": np.random.default_rng(seed).uniform(-1, 1, SHAPE).astype(np.float32)}
        (got,), (want,) = sess.run(x).values(), reference.run(x).values()
        np.testing.assert_array_equal(got, want)
    where = _where(sess)
    expected = {"graph.pad", "graph.pool", "graph.qavg_pool", "graph.quantize"}
    assert expected | {"graph.conv2d+requantize+qadd"} <= where["opencl"]
    assert "graph.qadd" not in where["opencl"]
    if residual["softmax"]:  # bit-exact by default: numpy computes the float reduction
        assert where["numpy"] == {"graph.softmax"}, sess.host_values.fallbacks
    else:
        assert where["numpy"] == set(), sess.host_values.fallbacks


@pytest.mark.parametrize("residual", [True], indirect=True, ids=["softmax-head"])
def test_host_segments_of_a_partitioned_model_run_as_kernels(rt, residual):
    """The simulated card runs the accelerator's part; the host's part (the softmax head and its
    conversions) runs as OpenCL kernels, its operands read from the card and its results
    returned: the softmax too with float_kernels (within its tolerance), else in numpy (bit for
    bit)."""
    from canopy_ir.backend.opencl.host_values import OpenCLHost

    numpy = Session(residual["sim"], "sim", host_values=NumpyHostValues)
    x = {"x": np.random.default_rng(7).uniform(-1, 1, SHAPE).astype(np.float32)}
    (want,) = numpy.run(x).values()
    for float_kernels in (True, False):
        host = OpenCLHost(rt, float_kernels=float_kernels)
        sess = Session(residual["sim"], "sim", host_values=host)
        (got,) = sess.run(x).values()
        where = _where(sess)
        assert where["opencl"] >= {"graph.dequantize", "graph.quantize"}
        if float_kernels:
            np.testing.assert_allclose(got, want, **SOFTMAX_TOL)
            assert got.argmax() == want.argmax() and "graph.softmax" in where["opencl"]
        else:
            np.testing.assert_array_equal(got, want)
            assert where["numpy"] == {"graph.softmax"}


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
    from canopy_ir.backend.opencl.runtime import describe, devices

    labels = [describe(d) for d in devices()]
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
    pyopencl = pytest.importorskip("pyopencl")
    monkeypatch.setattr(pyopencl, "get_platforms", lambda: [])
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


def test_tensor_core_path_through_the_store_is_bit_exact(rt, residual):
    """The store as it runs on NVIDIA (tensor-core convolutions, split-K where tiles are few,
    the residual add in the epilogue, NHWC between layers), its tensor-core instruction
    emulated so that it runs here."""
    from canopy_ir.backend.opencl.host_values import OpenCLHost

    host = OpenCLHost(rt, emulate_mma=True)
    sess = Session(residual["opencl"], "opencl", host_values=host)
    reference = Session(residual["sim"])
    x = {"x": np.random.default_rng(4).uniform(-1, 1, SHAPE).astype(np.float32)}
    for _ in range(2):
        np.testing.assert_array_equal(*sess.run(x).values(), *reference.run(x).values())
    kernels = [k for k, c in host.compiled.items() if c is not None]
    assert any("mma_part(" in host.compiled[k].kernel.source for k in kernels)
    assert host.plan.nhwc and host.plan.into_add  # layouts and the residual fusion planned


def test_bytes_per_inference_are_input_and_output(rt, small_cnn):
    """What crosses the bus per run is the model's input and output and nothing else, in the
    Session's counters: the card's DMA on target accel-opencl, the store's transfers on target
    opencl (which the store also counts itself)."""
    x = {"input": sample_input()}
    sess = Session(small_cnn["accel-opencl"], "opencl")
    sess.run(x)
    before = (sess.counters.bytes_to_device, sess.counters.bytes_from_device)
    sess.run(x)
    moved = (sess.counters.bytes_to_device - before[0],
             sess.counters.bytes_from_device - before[1])  # fmt: skip
    assert moved == (sum(r.nbytes for r in sess.inputs), sum(r.nbytes for r in sess.outputs))
    assert moved[0] > 0 and moved[1] > 0
    store = Session(small_cnn["opencl"], "opencl")
    host = store.host_values
    out = store.run(x)
    before = dict(host.transfers)
    out = store.run(x)
    per_run = {k: v - before.get(k, 0) for k, v in host.transfers.items()}
    assert per_run == {"to_device": x["input"].nbytes,
                       "from_device": sum(v.nbytes for v in out.values())}  # fmt: skip
    counted = (store.counters.bytes_to_device, store.counters.bytes_from_device)
    assert counted == (2 * per_run["to_device"], 2 * per_run["from_device"])  # two runs


def test_recorded_launch_sequences_replay_bit_exact(rt, residual):
    """From the second run on, the launches of a run go as recorded sequences (where the
    device offers cl_khr_command_buffer, as PoCL does), with the same results as one by one."""
    from canopy_ir.backend.opencl.host_values import OpenCLHost

    runs = {}
    for graphs in (True, False):
        host = OpenCLHost(rt, graphs=graphs)
        sess = Session(residual["opencl"], "opencl", host_values=host)
        xs = [np.random.default_rng(s).uniform(-1, 1, SHAPE).astype(np.float32) for s in range(3)]
        runs[graphs] = [next(iter(sess.run({"x": x}).values())) for x in xs]
        if graphs and host.sequences.available:
            assert host.replays > 0 and host.sequencer.recorded
        if not graphs:
            assert host.sequences is None and host.replays == 0
    for a, b in zip(runs[True], runs[False], strict=True):
        np.testing.assert_array_equal(a, b)
