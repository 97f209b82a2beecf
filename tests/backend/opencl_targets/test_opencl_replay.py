"""Runs of the OpenCL host store replayed from the recorded actions of earlier runs, without
walking the host plan (backend/opencl/replay.py): bit for bit the same outputs, launches and
transfers as walked runs."""

from collections import Counter
from types import SimpleNamespace

import numpy as np
import pytest
from conftest import SHAPE

from canopy_ir.backend.opencl.replay import RunRecorder
from canopy_ir.backend.pcie import Session
from canopy_ir.errors import CanopyError


@pytest.mark.parametrize("graphs", [False, True], ids=["direct-launches", "sequences"])
def test_runs_replay_their_recorded_actions_bit_exact(rt, residual, graphs):
    """Runs 1 and 2 walk the plan and agree on their actions; runs 3 on replay them. Every
    output equals the simulated card's; each run launches the same kernels, runs the same numpy
    ops (the softmax head) and moves the same bytes as a walked run. Without recorded command
    sequences, replayed launches go straight to the queue (enqueue.py)."""
    from canopy_ir.backend.opencl.host_values import OpenCLHost

    host = OpenCLHost(rt, graphs=graphs)
    sess = Session(residual["opencl"], "opencl", host_values=host)
    reference = Session(residual["sim"])
    per_run = []
    for seed in range(6):
        x = {"x": np.random.default_rng(seed).uniform(-1, 1, SHAPE).astype(np.float32)}
        counts, moved = Counter(host.counts), Counter(host.transfers)
        (got,), (want,) = sess.run(x).values(), reference.run(x).values()
        np.testing.assert_array_equal(got, want)
        per_run.append((Counter(host.counts) - counts, Counter(host.transfers) - moved))
        assert host.recorder.replayed == max(0, seed - 1)
    assert all(run == per_run[0] for run in per_run)
    direct = host.sequencer is None
    assert (host.recorder.prepared is not None) == direct
    if direct:
        prepared = host.recorder.prepared[1]
        assert sum(a[0] == "direct" for a in prepared) > 0
        assert not any(a[0] == "launch" for a in prepared)
    launches = [a for a in host.recorder.script[1] if a[0] == "launch"]
    views = ("opencl", "graph.reshape")  # counted, but no launch
    assert len(launches) == sum(n for k, n in per_run[0][0].items() if k[0] == "opencl") - sum(
        n for k, n in per_run[0][0].items() if k == views
    )


def test_a_profiled_replay_keeps_each_launch_event(rt, residual):
    """Profiling a replayed run launches through the profiling queue (one event per launch),
    not through the prepared direct launches; the output stays bit-exact."""
    from canopy_ir.backend.opencl.host_values import OpenCLHost

    host = OpenCLHost(rt, graphs=False)
    sess = Session(residual["opencl"], "opencl", host_values=host)
    x = {"x": np.random.default_rng(0).uniform(-1, 1, SHAPE).astype(np.float32)}
    want = [sess.run(x) for _ in range(3)][-1]
    assert host.recorder.replayed == 1 and host.recorder.prepared is not None
    host.profile = True
    got = sess.run(x)
    host.profile = False
    np.testing.assert_array_equal(next(iter(got.values())), next(iter(want.values())))
    launches = sum(a[0] == "launch" for a in host.recorder.script[1])
    assert host.recorder.replayed == 2 and len(host.events) == launches


def test_a_failing_direct_launch_names_the_kernel(rt):
    """An enqueue the device refuses (a work-group that does not divide the range) raises one
    CanopyError naming the kernel, its op and the OpenCL status."""
    import pyopencl as cl

    from canopy_ir.backend.opencl.enqueue import DirectLaunches

    src = "__kernel void twice(__global int *a) { a[get_global_id(0)] *= 2; }"
    kernel = cl.Program(rt.context, src).build().twice
    buf = cl.Buffer(rt.context, cl.mem_flags.READ_WRITE, 4 * 12)
    queue = cl.CommandQueue(rt.context, rt.device)
    direct = DirectLaunches(queue)
    assert direct.available
    direct.prepare(kernel, (buf,), (12,), (4,), "graph.test")()
    queue.finish()
    with pytest.raises(CanopyError, match=r"kernel twice \(graph.test\).*status -?\d+ \(INVALID"):
        direct.prepare(kernel, (buf,), (12,), (5,), "graph.test")()


def test_direct_launches_that_cannot_be_prepared_leave_pyopencl_launches(rt, residual):
    """A kernel the direct path cannot prepare (a refused clone) turns direct launches off for
    the store, says why in `fallbacks`, and the replay launches through pyopencl, bit-exact."""
    from canopy_ir.backend.opencl.host_values import OpenCLHost

    host = OpenCLHost(rt, graphs=False)
    sess = Session(residual["opencl"], "opencl", host_values=host)
    x = {"x": np.random.default_rng(0).uniform(-1, 1, SHAPE).astype(np.float32)}
    want = [sess.run(x) for _ in range(2)][-1]

    def refuse(kernel, *args):
        raise CanopyError(f"OpenCL: preparing kernel {kernel.function_name} failed: refused")

    host.direct.prepare = refuse
    got = sess.run(x)
    np.testing.assert_array_equal(next(iter(got.values())), next(iter(want.values())))
    assert host.recorder.replayed == 1 and not host.direct.available
    assert "preparing kernel" in host.fallbacks["direct launches"]
    assert host.direct.failure == host.fallbacks["direct launches"]


def _run(recorder: RunRecorder, signature, actions, finish=True):
    replayed = recorder.begin(signature)
    if replayed is None:
        for action in actions:
            recorder.note(*action)
        if finish:
            recorder.end()
    return replayed


def test_a_script_needs_two_finished_runs_that_agree():
    c, buf = SimpleNamespace(), object()
    actions = [("upload", "x", "nchw"), ("launch", c, (buf, 3))]
    r = RunRecorder()
    assert _run(r, ("x", 1), actions) is None  # recorded
    assert _run(r, ("x", 1), actions, finish=False) is None  # recorded, not finished
    assert _run(r, ("x", 1), actions) is None  # the run before did not finish: no script yet
    assert r.script is None
    assert _run(r, ("x", 1), actions) is None and r.script is not None
    assert _run(r, ("x", 1), actions) == actions and r.replayed == 1
    assert _run(r, ("x", 2), actions) is None  # inputs of other types walk the plan
    other = [("upload", "x", "nchw"), ("launch", c, (object(), 3))]  # another buffer
    r2 = RunRecorder()
    _run(r2, ("x", 1), actions)
    _run(r2, ("x", 1), other)
    assert r2.script is None
