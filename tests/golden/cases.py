"""The golden IR cases: small models compiled with their dumps kept as the expected IR text.

`python tests/golden/cases.py` rewrites the goldens after an intended change of a pass's output;
review the diff (`git diff tests/golden`) as you would review the code change.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

# name -> (model builder, compile options)
CASES = {}


def case(name: str, **options):
    def register(build):
        CASES[name] = (build, options)
        return build

    return register


@case("conv_dense_int8")
def conv_dense_int8() -> onnx.ModelProto:
    """A QDQ conv (3x3, stride 2, bias, ReLU) → flatten → dense, default VTA config."""
    from models import build_qdq_model

    layers = [("conv", 12, 3, 2, 1, 1, True, True), ("flatten",), ("dense", 7, False, True)]
    return build_qdq_model((1, 5, 9, 9), layers, seed=3)


@case("conv_tiny_buffers", config=str(HERE / "tiny_buffers.json"))
def conv_tiny_buffers() -> onnx.ModelProto:
    """Two convolutions on an 8x8 core with small buffers: several tiles and reduction chunks."""
    from models import build_qdq_model

    layers = [("conv", 16, 3, 1, 1, 1, True, True), ("conv", 24, 1, 1, 0, 1, False, True)]
    return build_qdq_model((1, 20, 10, 10), layers, seed=5)


@case("conv_repeats", config=str(HERE / "repeat_buffers.json"))
def conv_repeats() -> onnx.ModelProto:
    """Two convolutions on a 4x4 core with small buffers: runs of equal tiles become
    `tile.repeat`s. The first layer keeps each output-channel chunk's weights resident (two
    copies, one per chunk) while its tiles alternate between two copies of the accumulators and
    inputs (double buffering), so each repetition rotates them; the second layer's tiles repeat
    with one copy of every buffer."""
    from models import build_qdq_model

    layers = [("conv", 8, 3, 1, 1, 1, True, True), ("conv", 16, 3, 2, 1, 1, True, True)]
    return build_qdq_model((1, 4, 7, 7), layers, seed=7)


GRAPH_PASSES = ("graph-canonicalize", "graph-fold-batchnorm", "graph-constant-fold", "graph-dce")


def conv_bn_float() -> onnx.ModelProto:
    """Float conv → BatchNormalization → Relu → Reshape round trip, for the graph passes."""
    rng = np.random.default_rng(0)
    inits = [
        numpy_helper.from_array(a.astype(np.float32), n)
        for n, a in [
            ("w", rng.normal(size=(4, 3, 3, 3))),
            ("b", rng.normal(size=4)),
            ("gamma", rng.uniform(0.5, 1.5, 4)),
            ("beta", rng.normal(size=4)),
            ("mean", rng.normal(size=4)),
            ("var", rng.uniform(0.5, 1.5, 4)),
        ]
    ]
    inits.append(numpy_helper.from_array(np.array([1, 64], np.int64), "flat"))
    inits.append(numpy_helper.from_array(np.array([1, 4, 4, 4], np.int64), "back"))
    nodes = [
        helper.make_node("Conv", ["x", "w", "b"], ["c"], pads=[1, 1, 1, 1], name="conv"),
        helper.make_node(
            "BatchNormalization", ["c", "gamma", "beta", "mean", "var"], ["n"], name="bn"
        ),
        helper.make_node("Relu", ["n"], ["r"], name="relu"),
        helper.make_node("Reshape", ["r", "flat"], ["f"], name="flatten"),
        helper.make_node("Reshape", ["f", "back"], ["y"], name="unflatten"),
    ]
    g = helper.make_graph(
        nodes,
        "conv_bn",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 3, 4, 4])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 4, 4, 4])],
        inits,
    )
    return helper.make_model(g, opset_imports=[helper.make_opsetid("", 17)])


def compile_case(name: str, out: Path) -> None:
    """Write the dumps of case `name` into `out` (NN-pass.mlir + weights.npz)."""
    from canopy_ir.compiler.driver import compile_model

    build, options = CASES[name]
    out.mkdir(parents=True, exist_ok=True)
    onnx.save(build(), out / "model.onnx")
    compile_model(out / "model.onnx", out / "model.canopy", dump_dir=out, **options)
    (out / "model.onnx").unlink()
    (out / "model.canopy").unlink()


def graph_case(out: Path) -> None:
    """Dumps of the graph passes, one after the other, on the float conv/batch-norm model."""
    from canopy_ir.compiler.pipeline import run_passes
    from canopy_ir.frontends.onnx import import_onnx
    from canopy_ir.ir import pool_of, print_module

    out.mkdir(parents=True, exist_ok=True)
    module = import_onnx(conv_bn_float())
    (out / "00-onnx-import.mlir").write_text(print_module(module, "weights.npz") + "\n")
    for i, name in enumerate(GRAPH_PASSES, 1):
        run_passes(module, [name])
        (out / f"{i:02d}-{name}.mlir").write_text(print_module(module, "weights.npz") + "\n")
    pool_of(module).save(out / "weights.npz")


def regenerate() -> None:
    for name in CASES:
        shutil.rmtree(HERE / name, ignore_errors=True)
        compile_case(name, HERE / name)
    shutil.rmtree(HERE / "conv_bn_float", ignore_errors=True)
    graph_case(HERE / "conv_bn_float")


if __name__ == "__main__":
    regenerate()
