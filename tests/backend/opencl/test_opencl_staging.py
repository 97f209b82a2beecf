"""Pinned staging (backend/opencl/staging.py): bytes arrive intact whichever way they go (through
the pinned slots, plain, or straight from pinned host arrays without any host copy), and the
faster of slots and plain copies is chosen from the first two large transfers each way."""

import numpy as np
import pytest

from canopy_ir.backend.opencl import staging


@pytest.fixture
def stage(monkeypatch):
    from canopy_ir.backend.opencl.codegen.runtime import get_runtime

    rt = get_runtime()
    monkeypatch.setattr(staging, "THREAD_MIN", 1 << 12)  # thread and time small transfers
    queue = rt.cl.CommandQueue(rt.context, rt.device)
    return staging.PinnedStaging(rt.context, queue, chunk=1 << 14, slots=2, threads=3), rt


def test_pinned_host_arrays_move_by_dma_alone(stage):
    stage, rt = stage
    n = 50_000
    buf = rt.cl.Buffer(rt.context, rt.cl.mem_flags.READ_WRITE, n)
    host = stage.host_array(n)
    host[:] = np.random.default_rng(0).integers(0, 256, n, dtype=np.uint8)
    stage.write(buf, host)
    back = stage.host_array(n)
    stage.read(buf, back)
    np.testing.assert_array_equal(back, host)
    assert stage._views == [] and stage.way == {"write": None, "read": None}  # no slot used


def test_the_faster_way_is_chosen_and_every_way_is_exact(stage):
    stage, rt = stage
    n = 100_003
    buf = rt.cl.Buffer(rt.context, rt.cl.mem_flags.READ_WRITE, n + 17)
    rng = np.random.default_rng(1)
    for _ in range(4):  # slots, plain, then the chosen one twice
        data = rng.integers(0, 256, n, dtype=np.uint8)
        stage.write(buf, data, 17)
        out = np.empty(n, np.uint8)
        stage.read(buf, out, 17)
        np.testing.assert_array_equal(out, data)
    assert stage.way["write"] in ("slots", "plain") and stage.way["read"] in ("slots", "plain")
    assert set(stage._timed["write"]) == {"slots", "plain"}
    stage.drain()
