"""Random CNN-shaped DAGs (residual adds, pools, global pooling, concat, depthwise convolutions,
softmax heads; canopy_ir.fuzz.dag) compile for random small hardware configs and run on the
simulated card exactly as the integer graph interpreter runs them, whatever the partition puts
on the host; every stream passes the verifier (the artefact is loaded back), and partitioning and
compiling again give the same artefact, byte for byte."""

import tempfile
from pathlib import Path

import numpy as np
import onnx
from hypothesis import given, settings
from hypothesis import strategies as st

import canopy_ir
from canopy_ir.artefact import Artefact
from canopy_ir.compiler.driver import compile_model
from canopy_ir.compiler.pipeline import run_passes
from canopy_ir.frontends.onnx import import_onnx
from canopy_ir.fuzz.dag import build_dag, dag_nets
from canopy_ir.fuzz.models import random_input
from canopy_ir.fuzz.strategies import hw_configs
from canopy_ir.interpreters.graph import run_graph


@settings(max_examples=max(10, settings().max_examples // 2))
@given(
    net=dag_nets(), cfg=hw_configs(inp_depths=(9, 11), acc_depths=(9, 11)), seed=st.integers(0, 9)
)
def test_random_dags_run_on_the_card_as_the_integer_graph(net, cfg, seed):
    shape, steps = net
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        onnx.save(build_dag(shape, steps, seed), tmp / "m.onnx")
        cfg.save(tmp / "cfg.json")
        first = compile_model(tmp / "m.onnx", tmp / "a.canopy", config=str(tmp / "cfg.json"))
        again = compile_model(tmp / "m.onnx", tmp / "b.canopy", config=str(tmp / "cfg.json"))
        for a, b in ((first.artefact, again.artefact),):
            assert (a.insns, a.uops, a.weights) == (b.insns, b.uops, b.weights)
            assert a.manifest["host"] == b.manifest["host"]
        Artefact.load(tmp / "a.canopy")  # decodes and verifies the stream
        module = import_onnx(tmp / "m.onnx")
        run_passes(module, ["import-qdq"])
        x = random_input(shape, seed)
        (expected,) = run_graph(module, x)
        (y,) = canopy_ir.InferenceSession(str(tmp / "a.canopy")).run(None, {"input": x})
        np.testing.assert_array_equal(y, expected)
