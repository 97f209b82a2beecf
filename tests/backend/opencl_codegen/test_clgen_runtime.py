"""The runner: device choice (the OpenCL card's chooser), the program cache (the card's too),
build errors that show the failing source line, argument checks, and the install hint when
pyopencl or a platform is missing."""

import dataclasses
import sys

import numpy as np
import pytest

from canopy_ir.backend.opencl import runtime as cl_runtime
from canopy_ir.backend.opencl.codegen import dense, pick_device, relu, run_kernel
from canopy_ir.backend.opencl.codegen.runtime import Runtime, build_error
from canopy_ir.errors import CanopyError


def test_build_error_marks_the_failing_line_and_names_the_layer(rt):
    kernel = relu((4, 4), layer="stem/relu1")
    broken = kernel.source.replace("y[i] = v;", "y[i] = v + undefined_name;")
    kernel = dataclasses.replace(kernel, source=broken)
    line = next(i for i, s in enumerate(broken.splitlines(), 1) if "undefined_name" in s)
    with pytest.raises(CanopyError) as info:
        rt.program(kernel)
    message = str(info.value)
    assert message.startswith("kernel relu (layer stem/relu1): OpenCL build failed on ")
    assert "undefined_name" in message.splitlines()[0]  # the compiler's error line
    marked = [ln for ln in message.splitlines() if ln.startswith(">>")]
    assert marked == [f">> {line:4d} | {broken.splitlines()[line - 1]}"]
    assert f"   {line - 1:4d} | " in message  # the rest of the source, unmarked


def test_build_error_reads_the_line_numbers_of_other_compilers():
    kernel = relu((2,), layer="l")
    log = "<kernel>:3:5: error: expected ';'\n<kernel>:1:1: warning: unused\n"
    message = str(build_error(kernel, log, "NVIDIA CUDA: H100"))
    assert [ln[:7] for ln in message.splitlines() if ln.startswith(">>")] == [">>    3"]


def test_programs_are_cached_by_source_and_device(rt):
    a, b = relu((8,)), relu((9,))
    assert rt.program(a) is rt.program(relu((8,)))
    assert rt.program(a) is not rt.program(b)
    options = dataclasses.replace(a, options=("-cl-opt-disable",))
    assert rt.program(options) is not rt.program(a)
    # one cache and one context per device: the card's lookups find the kernels' programs
    assert cl_runtime.program(rt.device, a.source, a.options) is rt.program(a)
    assert rt.context is cl_runtime.context(rt.device)


def test_device_by_substring_index_and_environment(rt, monkeypatch):
    label = rt.name
    assert pick_device(label.split(":")[1].strip()[:6].upper()) == rt.device
    index = cl_runtime.devices().index(rt.device)
    assert pick_device(index) == rt.device and pick_device(str(index)) == rt.device
    monkeypatch.setenv("CANOPY_OPENCL_DEVICE", label[:5])
    assert pick_device() == pick_device(label[:5])
    with pytest.raises(
        CanopyError, match=r"no OpenCL device matches 'no-such-card'; available: \[0\] "
    ):
        pick_device("no-such-card")
    with pytest.raises(CanopyError, match="no OpenCL device 99; available: "):
        pick_device(99)


def test_run_checks_inputs_and_runs(rt):
    x = np.arange(-6, 6, dtype=np.float32).reshape(3, 4)
    np.testing.assert_array_equal(run_kernel(relu((3, 4)), x, device=rt.name), np.maximum(x, 0))
    with pytest.raises(CanopyError, match=r"input x must be float32\[3, 4\], got float64"):
        rt.run(relu((3, 4)), x.astype(np.float64))
    with pytest.raises(CanopyError, match=r"kernel dense: takes 3 inputs \(x, w, bias\), got 2"):
        rt.run(dense(2, 2, 4), np.zeros((2, 4), np.int8), np.zeros((2, 4), np.int8))


def test_timing_and_device_buffers(rt):
    x = np.ones((64, 32), np.int8)
    launch = rt.launch(dense(64, 64, 32, bias=False), rt.upload(x), x)
    times = launch.time(repeats=3)
    assert len(times) == 3 and all(t > 0 for t in times)
    np.testing.assert_array_equal(launch.read()[0], np.full((64, 64), 32, np.int32))


def test_no_platform_says_how_to_install_pocl(monkeypatch):
    cl = pytest.importorskip("pyopencl")
    monkeypatch.setattr(cl, "get_platforms", lambda: [])
    with pytest.raises(CanopyError) as info:
        Runtime("anything")
    message = str(info.value)
    assert "no OpenCL platform or device found" in message
    assert "apt-get install -y pocl-opencl-icd" in message and "pip install pyopencl" in message


def test_missing_pyopencl_says_how_to_install_it(monkeypatch):
    monkeypatch.setitem(sys.modules, "pyopencl", None)  # import pyopencl raises ImportError
    with pytest.raises(CanopyError, match="pyopencl is not installed: .*pip install pyopencl"):
        pick_device()
