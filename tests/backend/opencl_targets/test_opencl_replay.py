"""Runs of the OpenCL host store replayed from the recorded actions of earlier runs, without
walking the host plan (backend/opencl/replay.py): bit for bit the same outputs, launches and
transfers as walked runs."""

from collections import Counter
from types import SimpleNamespace

import numpy as np
from conftest import SHAPE

from canopy_ir.backend.opencl.replay import RunRecorder
from canopy_ir.backend.pcie import Session


def test_runs_replay_their_recorded_actions_bit_exact(rt, residual):
    """Runs 1 and 2 walk the plan and agree on their actions; runs 3 on replay them. Every
    output equals the simulated card's; each run launches the same kernels, runs the same numpy
    ops (the softmax head) and moves the same bytes as a walked run."""
    from canopy_ir.backend.opencl.host_values import OpenCLHost

    host = OpenCLHost(rt)
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
    launches = [a for a in host.recorder.script[1] if a[0] == "launch"]
    views = ("opencl", "graph.reshape")  # counted, but no launch
    assert len(launches) == sum(n for k, n in per_run[0][0].items() if k[0] == "opencl") - sum(
        n for k, n in per_run[0][0].items() if k == views
    )


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
