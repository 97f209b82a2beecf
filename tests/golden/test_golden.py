"""Golden IR text: each dump, fed to `canopy-opt` with the next pass, gives the next dump byte for
byte; and compiling the case's model again reproduces every dump. After an intended change of a
pass's output, regenerate with `python tests/golden/cases.py` and review the diff."""

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from cases import CASES, HERE, compile_case, graph_case

from canopy_ir.tools.opt import main as opt_main

CASE_DIRS = [*CASES, "conv_bn_float"]


def _steps():
    for case in CASE_DIRS:
        dumps = sorted((HERE / case).glob("[0-9][0-9]-*.mlir"))
        for before, after in zip(dumps, dumps[1:], strict=False):
            yield pytest.param(before, after, id=f"{case}:{after.stem}")


@pytest.mark.parametrize("before,after", list(_steps()))
def test_opt_replays_each_pass(before: Path, after: Path, tmp_path):
    """Replayed in a copy of the case's folder (the output names the weights beside it), and
    the output feeds the next pass again."""
    case = tmp_path / before.parent.name
    shutil.copytree(before.parent, case)
    pass_name = re.sub(r"^\d\d-", "", after.stem)
    out = case / "out.mlir"
    assert opt_main([str(case / before.name), "-p", pass_name, "-o", str(out)]) == 0
    assert out.read_text() == after.read_text()
    following = sorted(before.parent.glob("[0-9][0-9]-*.mlir"))
    index = following.index(after)
    if index + 1 < len(following):
        next_pass = re.sub(r"^\d\d-", "", following[index + 1].stem)
        assert opt_main([str(out), "-p", next_pass, "-o", str(case / "next.mlir")]) == 0


@pytest.mark.parametrize("case", CASE_DIRS)
def test_compiling_again_reproduces_the_goldens(case, tmp_path):
    if case in CASES:
        compile_case(case, tmp_path)
    else:
        graph_case(tmp_path)
    for golden in sorted((HERE / case).glob("*.mlir")):
        assert (tmp_path / golden.name).read_text() == golden.read_text(), golden.name


@pytest.mark.parametrize(
    "case,before,after",
    [
        ("conv_dense_int8", "04-tile-to-accel", "05-insert-deps"),
        ("conv_bn_float", "00-onnx-import", "01-graph-canonicalize"),  # reads weights.npz
    ],
)
def test_stock_xdsl_opt_runs_our_passes(case, before, after):
    """`xdsl-opt` (xDSL's own driver) finds our dialects and passes through the `xdsl.universe`
    entry point, and prints what canopy-opt prints."""
    xdsl_opt = Path(sys.executable).parent / "xdsl-opt"
    pass_name = after[3:]
    result = subprocess.run(
        [str(xdsl_opt), "-p", pass_name, f"{before}.mlir"],
        capture_output=True,
        text=True,
        cwd=HERE / case,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.rstrip("\n") == (HERE / case / f"{after}.mlir").read_text().rstrip("\n")


def test_multiverse_has_no_clash():
    """Every canopy-ir pass and dialect is in xDSL's multiverse (which raises on duplicates)."""
    from xdsl.universe import Universe

    from canopy_ir.passes import ALL_PASSES

    universe = Universe.get_multiverse()
    assert set(ALL_PASSES) <= set(universe.all_passes)
    assert {"graph", "tile", "accel"} <= set(universe.all_dialects)
    for name in ALL_PASSES:
        assert universe.all_passes[name]().name == name
