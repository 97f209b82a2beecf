"""`onnx.backend.base.Backend` over canopy-ir's graph interpreter, so the onnx package's own
backend tests (and anything else written against that API) can run models through canopy-ir.

    from canopy_ir.frontends.onnx.backend import CanopyBackend
    outputs = CanopyBackend.run_model(model, [x])
"""

from __future__ import annotations

from collections import namedtuple

import numpy as np
import onnx
from onnx.backend.base import Backend, BackendRep

from canopy_ir.frontends.onnx import CONVERTERS, import_onnx
from canopy_ir.interpreters.graph import run_graph
from canopy_ir.ir import string_list

# Inputs in these positions are parameters of the op (shapes, axes, pads, quantization
# parameters, bounds), which the compiler needs as constants. When a model feeds them at run
# time, the backend specialises the model on their values, as TVM binds parameters.
PARAM_SLOTS: dict[str, set[int]] = {
    "Clip": {1, 2},
    "ReduceMean": {1},
    "ReduceSum": {1},
    "ReduceMax": {1},
    "ReduceMin": {1},
    "ReduceProd": {1},
    "Slice": {1, 2, 3, 4},
    "Pad": {1, 2, 3},
    "QuantizeLinear": {1, 2},
    "DequantizeLinear": {1, 2},
    "QLinearConv": {1, 2, 4, 5, 6, 7, 8},
    "QLinearMatMul": {1, 2, 4, 5, 6, 7},
    "Resize": {1, 2, 3},
    "Upsample": {1},
    "Reshape": {1},
    "Squeeze": {1},
    "Unsqueeze": {1},
    "Split": {1},
    "Range": {0, 1, 2},
    "ConstantOfShape": {0},
}


def parameter_inputs(model: onnx.ModelProto) -> set[str]:
    return {
        name
        for node in model.graph.node
        for i, name in enumerate(node.input)
        if i in PARAM_SLOTS.get(node.op_type, ()) and name
    }


def bind_inputs(model: onnx.ModelProto, values: dict[str, np.ndarray]) -> onnx.ModelProto:
    """A copy of `model` whose inputs `values` are initializers."""
    bound = onnx.ModelProto()
    bound.CopyFrom(model)
    keep = [i for i in bound.graph.input if i.name not in values]
    del bound.graph.input[:]
    bound.graph.input.extend(keep)
    bound.graph.initializer.extend(onnx.numpy_helper.from_array(v, k) for k, v in values.items())
    return bound


class CanopyRep(BackendRep):
    """A prepared model: imported per distinct input shapes (and parameter values), run on the
    graph interpreter (the float reference)."""

    def __init__(self, model: onnx.ModelProto):
        self.model = model
        self.params = parameter_inputs(model)
        self.modules: dict[tuple, object] = {}

    def run(self, inputs, **kwargs):
        inits = {t.name for t in self.model.graph.initializer}
        names = [i.name for i in self.model.graph.input if i.name not in inits]
        if isinstance(inputs, dict):
            feeds = inputs
        else:
            items = inputs if isinstance(inputs, list | tuple) else [inputs]
            feeds = dict(zip(names, items, strict=False))
        arrays = {
            k: onnx.numpy_helper.to_array(v) if isinstance(v, onnx.TensorProto) else np.asarray(v)
            for k, v in feeds.items()
        }
        bound = {k: v for k, v in arrays.items() if k in self.params}
        data = {k: v for k, v in arrays.items() if k not in self.params}
        key = (
            tuple((k, v.shape, str(v.dtype)) for k, v in sorted(data.items())),
            tuple((k, v.tobytes(), str(v.dtype), v.shape) for k, v in sorted(bound.items())),
        )
        if key not in self.modules:
            model = bind_inputs(self.model, bound) if bound else self.model
            self.modules[key] = import_onnx(model, {k: v.shape for k, v in data.items()})
        module = self.modules[key]
        args = [data[name] for name in string_list(module, "canopy.inputs")]
        outputs = run_graph(module, *args)
        names = string_list(module, "canopy.outputs")
        return namedtuple("Outputs", [f"o{i}" for i in range(len(names))])(*outputs)


class CanopyBackend(Backend):
    @classmethod
    def is_compatible(cls, model, device: str = "CPU", **kwargs) -> bool:
        return all(n.op_type in CONVERTERS for n in model.graph.node)

    @classmethod
    def prepare(cls, model: onnx.ModelProto, device: str = "CPU", **kwargs) -> CanopyRep:
        super().prepare(model, device, **kwargs)
        return CanopyRep(model)

    @classmethod
    def run_model(cls, model, inputs, device: str = "CPU", **kwargs):
        return cls.prepare(model, device, **kwargs).run(inputs)

    @classmethod
    def supports_device(cls, device: str) -> bool:
        return device == "CPU"


prepare = CanopyBackend.prepare
run_model = CanopyBackend.run_model
supports_device = CanopyBackend.supports_device
