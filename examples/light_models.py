"""The real CNNs shipped in the onnx wheel (onnx/backend/test/data/light): ResNet-50, SqueezeNet,
VGG-19, Inception v1/v2, DenseNet-121, ShuffleNet, AlexNet, ZFNet-512 — paths, their data input,
and seeded random weights in place of their ConstantOfShape fills (used by tests and benches)."""

from __future__ import annotations

import math
import os

import numpy as np
import onnx
from onnx import numpy_helper

LIGHT = os.path.join(os.path.dirname(onnx.__file__), "backend", "test", "data", "light")
MODELS = [
    "resnet50",
    "squeezenet",
    "vgg19",
    "inception_v1",
    "inception_v2",
    "densenet121",
    "shufflenet",
    "bvlc_alexnet",
    "zfnet512",
]


def path(name: str) -> str:
    return os.path.join(LIGHT, f"light_{name}.onnx")


def data_input(model: onnx.ModelProto):
    inits = {i.name for i in model.graph.initializer}
    (info,) = [
        i
        for i in model.graph.input
        if i.name not in inits and len(i.type.tensor_type.shape.dim) == 4
    ]
    return info.name, [d.dim_value for d in info.type.tensor_type.shape.dim]


def with_random_weights(model: onnx.ModelProto, seed: int) -> onnx.ModelProto:
    """Replace each ConstantOfShape weight by seeded random values (He-scaled; batch-norm
    variances positive) so that the network computes something non-trivial."""
    rng = np.random.default_rng(seed)
    consts = {i.name: numpy_helper.to_array(i) for i in model.graph.initializer}
    variances = {n.input[4] for n in model.graph.node if n.op_type == "BatchNormalization"}
    scales = {n.input[1] for n in model.graph.node if n.op_type == "BatchNormalization"}
    out = onnx.ModelProto()
    out.CopyFrom(model)
    nodes = []
    for node in out.graph.node:
        if node.op_type != "ConstantOfShape" or node.input[0] not in consts:
            nodes.append(node)
            continue
        shape = tuple(int(d) for d in consts[node.input[0]])
        name = node.output[0]
        if name in variances:
            value = rng.uniform(0.5, 1.5, shape)
        elif name in scales:
            value = rng.uniform(0.8, 1.2, shape)
        elif len(shape) >= 2:
            value = rng.normal(0, math.sqrt(2.0 / np.prod(shape[1:])), shape)
        else:
            value = rng.normal(0, 0.05, shape)
        out.graph.initializer.append(numpy_helper.from_array(value.astype(np.float32), name))
    del out.graph.node[:]
    out.graph.node.extend(nodes)
    return out
