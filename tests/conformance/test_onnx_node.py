"""The onnx package's own backend node tests (generated from the cases shipped in the onnx wheel)
run through `canopy_ir.frontends.onnx.backend.CanopyBackend` for every op canopy-ir imports.
Cases that cannot pass are listed with a reason in excluded.txt; unsupported ops are not
collected."""

import re
import warnings
from pathlib import Path

import numpy as np
import onnx
import pytest

from canopy_ir.frontends.onnx import CONVERTERS
from canopy_ir.frontends.onnx.backend import CanopyBackend


def _exclusions() -> list[tuple[re.Pattern, str]]:
    rules = []
    for line in (Path(__file__).parent / "excluded.txt").read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            pattern, reason = line.rsplit(" | ", 1)
            rules.append((re.compile(pattern.strip(), re.IGNORECASE), reason.strip()))
    return rules


def _cases():
    from onnx.backend.test.case import node

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the case generators divide by zero on purpose
        cases = node.collect_testcases(None)
    return [c for c in cases if {n.op_type for n in c.model.graph.node} <= set(CONVERTERS)]


CASES = _cases()
EXCLUDED = _exclusions()


def _array(value):
    return (
        onnx.numpy_helper.to_array(value)
        if isinstance(value, onnx.TensorProto)
        else np.asarray(value)
    )


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_node(case):
    for pattern, reason in EXCLUDED:
        if pattern.search(case.name):
            pytest.skip(reason)
    rep = CanopyBackend.prepare(case.model)
    for inputs, expected in case.data_sets:
        with np.errstate(all="ignore"):
            outputs = rep.run(inputs)
        assert len(outputs) == len(expected)
        for got, want in zip(outputs, expected, strict=True):
            want = _array(want)
            assert got.shape == want.shape
            if want.dtype.kind in "fc":
                np.testing.assert_allclose(got, want, rtol=case.rtol, atol=case.atol)
            else:
                np.testing.assert_array_equal(got, want)


def test_exclusions_are_still_needed():
    """Every exclusion must match some collected case (stale lines get removed)."""
    names = [c.name for c in CASES]
    unused = [p.pattern for p, _ in EXCLUDED if not any(p.search(n) for n in names)]
    assert not unused
