"""The README is the contract with a new user: its two set-up commands are what CI runs, and
every command and code sample in it runs here as written."""

import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text()


def _blocks(lang: str) -> list[str]:
    return re.findall(rf"```{lang}\n(.*?)\n```", README, re.S)


def test_ci_runs_the_readme_test_command():
    setup = [b for b in _blocks("bash") if "python3 -m venv" in b]
    assert len(setup) == 2, "README must have exactly two set-up commands"
    assert "pytest" in setup[1] and "canopy-run" in setup[0]
    assert setup[1] in (ROOT / ".ci" / "run").read_text()


def _run(script: str, cwd: Path) -> None:
    env = dict(os.environ, PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}")
    result = subprocess.run(
        ["bash", "-eu", "-c", script], cwd=cwd, env=env, capture_output=True, text=True, timeout=600
    )
    assert result.returncode == 0, (
        f"{script}\n--- stdout\n{result.stdout}\n--- stderr\n{result.stderr}"
    )


def test_main_job_usage_and_python_samples_run(tmp_path):
    (tmp_path / "examples").symlink_to(ROOT / "examples")
    setup = next(b for b in _blocks("bash") if "canopy-run" in b and "python3 -m venv" in b)
    # the main job after its install step (the install is what CI's clean clone tests)
    main_job = setup.split("pip install -e . && ", 1)[1]
    _run(main_job, tmp_path)
    usage = next(b for b in _blocks("bash") if b.startswith("canopy-compile small_cnn.onnx"))
    _run("\n".join(re.sub(r"\s+# .*$", "", line) for line in usage.splitlines()), tmp_path)
    for name in ("tile.mlir", "accel.mlir", "xdsl.mlir", "out.npz", "trace.json", "report.html"):
        assert (tmp_path / name).stat().st_size > 0, name
    for sample in _blocks("python"):
        _run(f"{sys.executable} - <<'PY'\n{sample}\nPY", tmp_path)
