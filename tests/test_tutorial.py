"""docs/tutorial.md cannot rot: its shell blocks run in order, in a fresh folder, as a newcomer
would run them (the repository's examples/ beside them, the installed commands on PATH)."""

import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def blocks(doc: Path) -> list[str]:
    return re.findall(r"```bash\n(.*?)\n```", doc.read_text(), re.S)


def test_every_tutorial_command_runs(tmp_path):
    (tmp_path / "examples").symlink_to(ROOT / "examples")
    env = dict(os.environ, PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}")
    steps = blocks(ROOT / "docs" / "tutorial.md")
    assert len(steps) >= 8
    for block in steps:
        result = subprocess.run(
            ["bash", "-euo", "pipefail", "-c", block],
            cwd=tmp_path,
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert result.returncode == 0, (
            f"{block}\n--- stdout\n{result.stdout}\n--- stderr\n{result.stderr}"
        )
    for name in ("small_cnn.canopy", "dump/pipeline.txt", "trace.json", "report.html"):
        assert (tmp_path / name).exists(), name
