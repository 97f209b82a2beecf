"""The host's part of a partitioned model at run time: the plan (`HostPlan`: the artefact's host
tensors and ops, by segment) and the store the host ops run in (`HostValues`).

`NumpyHostValues` keeps values as numpy arrays and runs each op with `canopy_ir.kernels`, the
graph interpreter's own code. Another executor (`backend/opencl/host_values.py` keeps values on
an OpenCL device and runs generated kernels) implements the same methods; `Session` only moves
values in and out of it where they cross to the card or leave the model. A factory of stores may
offer `bind(plan)`: `Session` calls it once with the `HostPlan`, e.g. to plan fusions.
"""

from __future__ import annotations

from typing import Protocol

import numpy as np

from canopy_ir.artefact import Artefact
from canopy_ir.errors import CanopyError
from canopy_ir.hw.config import HwConfig
from canopy_ir.hw.layout import pack_activation
from canopy_ir.hw.program import Region
from canopy_ir.kernels import run as run_kernel
from canopy_ir.quant import quantize


class HostValues(Protocol):
    def has(self, name: str) -> bool: ...

    def put(self, name: str, value: np.ndarray) -> None: ...

    def put_const(self, name: str, value: np.ndarray) -> None:
        """A model constant: the same array on every run, so a store may keep it resident."""

    def get(self, name: str) -> np.ndarray: ...

    def run(self, op: dict, outputs: list[tuple[tuple[int, ...], str]]) -> None:
        """Compute `op["outputs"]` from `op["inputs"]` (all present)."""


class NumpyHostValues:
    """Values as numpy arrays; ops run by `canopy_ir.kernels`."""

    def __init__(self):
        self.values: dict[str, np.ndarray] = {}

    def has(self, name: str) -> bool:
        return name in self.values

    def put(self, name: str, value: np.ndarray) -> None:
        self.values[name] = value

    put_const = put

    def get(self, name: str) -> np.ndarray:
        return self.values[name]

    def run(self, op: dict, outputs) -> None:
        args = [self.values[n] for n in op["inputs"]]
        results = run_kernel(op["op"], op["attrs"], args, outputs)
        self.values.update(zip(op["outputs"], results, strict=True))


class HostPlan:
    """The host's part of a partitioned model (`Artefact.host`), indexed for `Session.run`."""

    def __init__(self, artefact: Artefact):
        self.plan = artefact.host
        self.tensors: dict[str, dict] = self.plan["tensors"]
        self.consts = artefact.host_consts
        self.by_segment: dict[int, list[dict]] = {}
        for op in self.plan["ops"]:
            self.by_segment.setdefault(op["segment"], []).append(op)

    def tensors_named(self, role: str) -> list[tuple[str, dict]]:
        return [(n, t) for n, t in self.tensors.items() if t["role"] == role]

    def tensors_of(self, role: str) -> list[dict]:
        return [t for _, t in self.tensors_named(role)]

    def ops_before(self, segment: int) -> list[dict]:
        return self.by_segment.get(segment, [])

    def result_type(self, name: str) -> tuple[tuple[int, ...], str]:
        t = self.tensors[name]
        return tuple(t["shape"]), t["dtype"]

    def const(self, name: str) -> np.ndarray:
        t = self.tensors[name]
        return self.consts[t["weight"]].reshape(t["shape"])

    def inputs(self, feeds: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        """The host-read model inputs, checked against their shapes."""
        values = {}
        for name, t in self.tensors_named("input"):
            x = np.asarray(feeds[t["onnx_name"]])
            if tuple(x.shape) != tuple(t["shape"]):
                raise CanopyError(
                    f"input '{t['onnx_name']}' has shape {tuple(x.shape)}; the model was "
                    f"compiled for {tuple(t['shape'])}"
                )
            values[name] = x.astype(t["dtype"], copy=False)  # no copy when it has the type
        return values


def encode_card_input(r: Region, value, cfg: HwConfig) -> bytes:
    """A model input the card reads: checked, quantized (float inputs) and packed."""
    x = np.asarray(value)
    if x.dtype.kind not in "fiu":
        raise CanopyError(f"input '{r.onnx_name}' must be numeric, got dtype {x.dtype}")
    if tuple(x.shape) != tuple(r.logical_shape):
        raise CanopyError(
            f"input '{r.onnx_name}' has shape {tuple(x.shape)}; the model was "
            f"compiled for {tuple(r.logical_shape)}"
        )
    q = (
        x.astype(np.int8)
        if r.scale is None
        else quantize(x.astype(np.float32), r.scale, r.zero_point)
    )
    return pack_activation(q, cfg).tobytes()
