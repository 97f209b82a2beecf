"""Batched inference: one artefact for N images, on configs whose GEMM core takes BATCH rows
(LOG_BATCH > 0) and on the default one. A batch gives every image exactly the result it gets
alone, and on a LOG_BATCH config it costs fewer modelled cycles per image than one at a time
(the weights are loaded once per batch and each GEMM cycle does BATCH rows)."""

import json

import numpy as np
import onnx
import pytest
import zoo

import canopy_ir
from canopy_ir.artefact import Artefact
from canopy_ir.compiler.driver import compile_model
from canopy_ir.hw import isa
from canopy_ir.hw.config import HwConfig
from canopy_ir.hw.cycles import cycle_model

quantization = pytest.importorskip("onnxruntime.quantization")
SIZE = 32


@pytest.fixture(scope="module")
def qdq_resnet18(tmp_path_factory):
    """The zoo's ResNet-18 quantized by onnxruntime (defaults, four seeded calibration images)."""
    tmp = tmp_path_factory.mktemp("batch")
    rng = np.random.default_rng(0)

    class Reader(quantization.CalibrationDataReader):
        def __init__(self):
            shape = (1, 3, SIZE, SIZE)
            self.data = iter([{"input": rng.standard_normal(shape, np.float32)} for _ in range(4)])

        def get_next(self):
            return next(self.data, None)

    onnx.save(zoo.resnet18(size=SIZE, classes=10), tmp / "float.onnx")
    quantization.quantize_static(tmp / "float.onnx", tmp / "int8.onnx", Reader())
    return tmp, onnx.load(tmp / "int8.onnx")


def batched_config(tmp, log_batch: int) -> str:
    cfg = HwConfig.preset("vta-default").to_dict() | {"LOG_BATCH": log_batch}
    path = tmp / f"batch{log_batch}.json"
    path.write_text(json.dumps(cfg))
    return str(path)


def compiled(tmp, model, batch: int, log_batch: int) -> str:
    src, out = tmp / f"b{batch}.onnx", tmp / f"b{batch}-l{log_batch}.canopy"
    onnx.save(zoo.with_batch(model, batch), src)
    compile_model(src, out, config=batched_config(tmp, log_batch))
    return str(out)


def cycles(path: str) -> int:
    art = Artefact.load(path)
    insns = isa.decode_insns(art.insns, art.config)
    return cycle_model(insns, art.config, art.instruction_layers()).total_cycles


@pytest.mark.parametrize("batch, log_batch", [(2, 1), (2, 0), (4, 2), (3, 1)])
def test_a_batch_gives_each_image_its_own_result(qdq_resnet18, batch, log_batch):
    tmp, model = qdq_resnet18
    single = canopy_ir.InferenceSession(compiled(tmp, model, 1, 0))
    batched = canopy_ir.InferenceSession(compiled(tmp, model, batch, log_batch))
    x = np.random.default_rng(7).standard_normal((batch, 3, SIZE, SIZE), np.float32)
    (y,) = batched.run(None, {"input": x})
    for k in range(batch):
        (alone,) = single.run(None, {"input": x[k : k + 1]})
        np.testing.assert_array_equal(y[k : k + 1], alone)


def test_a_batched_core_costs_fewer_cycles_per_image(qdq_resnet18):
    tmp, model = qdq_resnet18
    one = cycles(compiled(tmp, model, 1, 0))
    assert cycles(compiled(tmp, model, 2, 1)) / 2 < 0.75 * one
    assert cycles(compiled(tmp, model, 4, 2)) / 4 < 0.5 * one
