"""The OpenCL card tests need pyopencl and an OpenCL platform (PoCL for the CPU is enough): they
skip with the reason when either is missing, except under CANOPY_CI=1, where that fails them.
Tests marked `no_opencl` (sources, scripts, error wording) run everywhere."""

from pathlib import Path

import pytest

import canopy_ir

try:
    import canopy_ir.backend  # noqa: F401
except ImportError:  # a source tree that is not installed: backend/ sits beside canopy_ir/
    canopy_ir.__path__.append(str(Path(__file__).resolve().parents[3]))

from opencl_harness import require_opencl  # noqa: E402 (needs canopy_ir.backend)


def pytest_configure(config):
    config.addinivalue_line("markers", "no_opencl: runs without an OpenCL platform")


@pytest.fixture(autouse=True)
def _opencl_platform(request):
    if request.node.get_closest_marker("no_opencl") is None:
        require_opencl()
