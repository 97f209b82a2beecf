"""Generated float32 softmax and layer norm against canopy_ir.kernels, within norm.py's stated
tolerance (1e-5 relative plus 1e-6 absolute; layer norm 1e-5·max(|scale|, 1) absolute)."""

import numpy as np
import pytest
from clgen_support import unoptimized
from hypothesis import given
from hypothesis import strategies as st

from canopy_ir import kernels as ref
from canopy_ir.backend.opencl.codegen import layer_norm, softmax
from canopy_ir.errors import CanopyError

shapes = st.lists(st.integers(1, 24), min_size=1, max_size=3)


@given(shapes, st.data(), st.sampled_from([1.0, 10.0, 60.0]), st.integers(0, 2**16))
def test_softmax_within_tolerance(rt, shape, data, spread, seed):
    axis = data.draw(st.integers(-len(shape), len(shape) - 1))
    x = (np.random.default_rng(seed).standard_normal(shape) * spread).astype(np.float32)
    y = rt.run(unoptimized(softmax(tuple(shape), axis, group=16)), x)
    (expected,) = ref.run("graph.softmax", {"axis": axis}, [x], [])
    np.testing.assert_allclose(y, expected, rtol=1e-5, atol=1e-6)


@given(shapes, st.data(), st.booleans(), st.sampled_from([1e-5, 1e-3]), st.integers(0, 2**16))
def test_layer_norm_within_tolerance(rt, shape, data, bias, eps, seed):
    axis = data.draw(st.integers(-len(shape), len(shape) - 1))
    rng = np.random.default_rng(seed)
    x = (rng.standard_normal(shape) * 3 + 1).astype(np.float32)
    tail = tuple(shape[axis % len(shape) :])
    scale = rng.standard_normal(tail).astype(np.float32)
    args = [x, scale] + ([rng.standard_normal(tail).astype(np.float32)] if bias else [])
    y = rt.run(unoptimized(layer_norm(tuple(shape), axis, eps, bias, group=16)), *args)
    (expected,) = ref.run("graph.layer_norm", {"axis": axis, "epsilon": eps}, args, [])
    atol = 1e-5 * max(float(np.abs(scale).max()), 1.0)
    np.testing.assert_allclose(y, expected, rtol=1e-5, atol=atol)


@pytest.mark.parametrize("shape, axis", [((2, 1000), -1), ((3, 300, 2), 1), ((4096,), 0)])
def test_long_rows_use_whole_work_groups(rt, shape, axis):
    x = np.random.default_rng(1).standard_normal(shape).astype(np.float32) * 4
    kernel = softmax(shape, axis)
    assert kernel.local_size == (256,)
    np.testing.assert_allclose(
        rt.run(kernel, x), ref.run("graph.softmax", {"axis": axis}, [x], [])[0], 1e-5, 1e-6
    )
    scale = np.linspace(-2, 2, shape[-1], dtype=np.float32)
    y = rt.run(layer_norm(shape, -1, 1e-5, False), x, scale)
    expected = ref.run("graph.layer_norm", {"axis": -1, "epsilon": 1e-5}, [x, scale], [])[0]
    np.testing.assert_allclose(y, expected, rtol=1e-5, atol=2e-5)


def test_axis_out_of_range():
    with pytest.raises(CanopyError, match="axis 2"):
        softmax((3, 4), 2)
    with pytest.raises(CanopyError, match="axis -3"):
        layer_norm((3, 4), -3)
