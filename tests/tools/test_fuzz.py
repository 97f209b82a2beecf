"""canopy-fuzz: clean passes hold on random programs; an injected fault is found, shrunk to a
program of a few ops, saved, and replayed."""

import re

import numpy as np
import pytest

from canopy_ir.dialects import accel
from canopy_ir.hw import isa
from canopy_ir.hw.stream import Stream
from canopy_ir.passes.tile_to_accel import TileToAccelPass
from canopy_ir.tools.fuzz import main as fuzz_main


@pytest.mark.parametrize("pass_name", ["graph-to-tile", "tile-to-accel", "insert-deps", "encode"])
def test_lowering_passes_hold(pass_name, capsys):
    assert fuzz_main(["--pass", pass_name, "--examples", "25", "--seed", "3"]) == 0
    checked = re.search(rf"ok: {pass_name}: (\d+) programs checked", capsys.readouterr().out)
    assert checked and int(checked.group(1)) >= 20


def _drop_last_accumulating_gemm(monkeypatch):
    """The fault: tile-to-accel forgets the last GEMM that accumulates (not a reset)."""
    clean = TileToAccelPass.apply

    def faulty(self, ctx, module):
        clean(self, ctx, module)
        program = next(op for op in module.ops if isinstance(op, accel.ProgramOp))
        stream, layers = program.stream(), program.layer_index()
        gemms = np.flatnonzero(
            (stream.column("opcode") == isa.Opcode.GEMM) & (stream.column("reset_reg") == 0)
        )
        keep = np.arange(len(stream)) != gemms[-1]
        program.set_stream(Stream(stream.cols[keep]), (program.layer_names(), layers[keep]))

    monkeypatch.setattr(TileToAccelPass, "apply", faulty)


def test_injected_fault_is_found_shrunk_and_replayable(monkeypatch, tmp_path, capsys):
    _drop_last_accumulating_gemm(monkeypatch)
    argv = ["--pass", "tile-to-accel", "--examples", "200", "--out", str(tmp_path)]
    assert fuzz_main(argv) == 1
    out = capsys.readouterr().out
    assert "FAIL tile-to-accel" in out and "elements differ" in out
    saved = tmp_path / "tile-to-accel-seed0.mlir"
    text = saved.read_text()
    # shrunk: one layer, a handful of tile ops, printed in full
    assert text.count("tile.kernel") == 1 and text in out
    assert len(text.splitlines()) < 40
    assert f"canopy-opt {saved} -p tile-to-accel" in out
    replay = ["--pass", "tile-to-accel", "--replay", str(saved)]
    assert fuzz_main(replay) == 1  # still failing with the fault in
    monkeypatch.undo()
    capsys.readouterr()
    assert fuzz_main(replay) == 0  # the real pass is right on it
    assert "ok: tile-to-accel holds" in capsys.readouterr().out


def test_unknown_pass_is_a_usage_error(capsys):
    with pytest.raises(SystemExit) as exc:
        fuzz_main(["--pass", "no-such-pass"])
    assert exc.value.code == 2


def test_hardware_too_small_for_every_program_is_one_line(monkeypatch, capsys):
    from canopy_ir.errors import LoweringError
    from canopy_ir.fuzz import runner

    def nothing_fits(*args):
        raise LoweringError("does not fit the on-chip buffers")

    monkeypatch.setattr(runner, "_prepare", nothing_fits)
    assert fuzz_main(["--pass", "tile-to-accel", "--examples", "20"]) == 2
    out = capsys.readouterr().out
    assert out.count("\n") == 1 and "no drawn program fits the hardware" in out


def test_replay_with_the_wrong_pass_is_refused(monkeypatch, tmp_path, capsys):
    _drop_last_accumulating_gemm(monkeypatch)
    assert fuzz_main(["--pass", "tile-to-accel", "--examples", "50", "--out", str(tmp_path)]) == 1
    saved = tmp_path / "tile-to-accel-seed0.mlir"
    capsys.readouterr()
    assert fuzz_main(["--pass", "encode", "--replay", str(saved)]) == 2
    assert "this counterexample is for --pass tile-to-accel" in capsys.readouterr().out
