"""Fixtures shared by the runtime tests."""

import pytest
from small_cnn import build_small_cnn

from canopy_ir.accel_program import read_program
from canopy_ir.artefact import Artefact
from canopy_ir.compiler.pipeline import run_passes
from canopy_ir.frontends.onnx import import_onnx
from canopy_ir.ir import pool_of


@pytest.fixture(scope="session")
def artefact(tmp_path_factory):
    """The example int8 CNN (examples/small_cnn.py) compiled for the simulated card."""
    module = import_onnx(build_small_cnn())
    run_passes(module)
    path = tmp_path_factory.mktemp("art") / "model.canopy"
    Artefact.from_program(read_program(module), pool_of(module)).save(path)
    return path
