"""The OpenCL device the code-generator tests run on (PoCL on CI): skipped with the reason when
pyopencl or a platform is missing, a failure instead when CANOPY_CI=1 (CI must run them)."""

import os

import pytest

from canopy_ir.errors import CanopyError


@pytest.fixture(scope="session")
def rt():
    from canopy_ir.backend.opencl.codegen.runtime import get_runtime

    try:
        return get_runtime()
    except CanopyError as e:
        if os.environ.get("CANOPY_CI") == "1":
            pytest.fail(f"CANOPY_CI=1 needs an OpenCL device: {e}")
        pytest.skip(str(e))
