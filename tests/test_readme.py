"""The README's two set-up commands are the contract with a new user: keep CI running the same."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_ci_runs_the_readme_test_command():
    blocks = re.findall(r"```bash\n(.*?)\n```", (ROOT / "README.md").read_text(), re.S)
    setup = [b for b in blocks if "python3 -m venv" in b]
    assert len(setup) == 2, "README must have exactly two set-up commands"
    assert "pytest" in setup[1] and "canopy-run" in setup[0]
    assert setup[1] in (ROOT / ".ci" / "run").read_text()
