"""Test helpers over ONNX models; the model builder and the strategies live in canopy_ir.fuzz
(so `canopy-fuzz` can use them when installed)."""

from __future__ import annotations

import numpy as np
import onnx
from onnx import numpy_helper

from canopy_ir.fuzz.models import build_qdq_model, random_input
from canopy_ir.fuzz.strategies import conv_nets, hw_configs

__all__ = [
    "build_qdq_model",
    "conv_nets",
    "hw_configs",
    "initializer",
    "output_scale",
    "random_input",
    "set_initializer",
]


def initializer(model: onnx.ModelProto, name: str) -> np.ndarray:
    return next(numpy_helper.to_array(i) for i in model.graph.initializer if i.name == name)


def output_scale(model: onnx.ModelProto) -> float:
    """Scale of the last QuantizeLinear: one step of the model's int8 output."""
    last_q = [n for n in model.graph.node if n.op_type == "QuantizeLinear"][-1]
    return float(initializer(model, last_q.input[1]))


def set_initializer(model: onnx.ModelProto, name: str, value: np.ndarray) -> None:
    for init in model.graph.initializer:
        if init.name == name:
            init.CopyFrom(numpy_helper.from_array(np.asarray(value), name))
