"""A non-editable install puts one package, `canopy_ir`, into site-packages (the repository's
backend/ and frontends/ folders inside it), with its data files, and the main job runs from it."""

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SKIP = shutil.ignore_patterns(".venv", ".git", "build", "*.egg-info", "__pycache__", ".*_cache")


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    work = tmp_path_factory.mktemp("install")
    src = work / "src"
    shutil.copytree(ROOT, src, ignore=SKIP)  # a clean copy: no stale build/ leaks into the wheel
    target = work / "site"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "-q",
            "--no-deps",
            "--target",
            str(target),
            str(src),
        ],
        check=True,
    )
    return target


def test_one_top_level_package(installed):
    tops = sorted(p.name for p in installed.iterdir() if p.name != "bin")
    assert [t for t in tops if not t.endswith(".dist-info")] == ["canopy_ir"]
    assert (installed / "canopy_ir" / "backend" / "pcie" / "session.py").is_file()
    assert (installed / "canopy_ir" / "frontends" / "__init__.py").is_file()
    assert list((installed / "canopy_ir" / "hw" / "presets").glob("*.json"))


def test_main_job_runs_from_the_installed_package(installed, tmp_path):
    env = {"PYTHONPATH": str(installed), "PATH": str(Path(sys.executable).parent)}

    def run(*args):
        return subprocess.run(
            [sys.executable, *args],
            check=True,
            cwd=tmp_path,
            env=env,
            capture_output=True,
            text=True,
        )

    where = run(
        "-c",
        "import canopy_ir.backend.pcie as m, canopy_ir.frontends.onnx as f; "
        "print(m.__file__); print(f.__file__)",
    ).stdout.split()
    assert all(w.startswith(str(installed)) for w in where), where
    run(str(ROOT / "examples" / "small_cnn.py"), "-o", "m.onnx", "--input", "x.npy")
    run("-m", "canopy_ir.compile", "m.onnx", "-o", "m.canopy", "--config", "arria10", "-q")
    out = run("-m", "canopy_ir.tools.run", "m.canopy", "--input", "x.npy").stdout
    assert "output" in out
