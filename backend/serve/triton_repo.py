"""A Triton Inference Server model repository for a compiled artefact (Python backend).

Takes an artefact and the serving choices (model name, instances, device list, batch size);
writes

    <out>/<name>/config.pbtxt      backend "python"; inputs and outputs from the artefact
    <out>/<name>/1/model.py        imports `triton_model.TritonPythonModel`
    <out>/<name>/1/model.canopy    the artefact

`tritonserver --model-repository <out>` then serves it (Triton's Python backend, with canopy-ir
installed in the Python environment the backend runs). When every input and output has a leading
dimension of 1 (a batch-1 model), the config declares `max_batch_size` and the dims without it,
and Triton's dynamic batcher gathers requests; otherwise `max_batch_size: 0` and the full shapes.
`model_config` is the same configuration as the JSON Triton hands `initialize`.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from canopy_ir.artefact import Artefact
from canopy_ir.backend.pcie.multi import model_io
from canopy_ir.errors import CanopyError

TRITON_TYPES = {
    "bool": "TYPE_BOOL",
    "uint8": "TYPE_UINT8",
    "int8": "TYPE_INT8",
    "int16": "TYPE_INT16",
    "int32": "TYPE_INT32",
    "int64": "TYPE_INT64",
    "float16": "TYPE_FP16",
    "float32": "TYPE_FP32",
    "float64": "TYPE_FP64",
}
MODEL_PY = '''"""Triton Python-backend entry point of a canopy-ir model."""

from canopy_ir.backend.serve.triton_model import TritonPythonModel  # noqa: F401
'''


def _io(art: Artefact) -> dict[str, tuple[tuple[int, ...], str]]:
    """name → (shape, numpy dtype name) of every model input and output."""
    found = {}
    for r in art.regions:
        if r.role in ("input", "output"):
            # quantized regions take and give float32; unquantized ones int8
            found[r.onnx_name] = (tuple(r.logical_shape), "float32" if r.scale else "int8")
    for t in art.host["tensors"].values():
        if t["role"] in ("input", "output"):
            found[t["onnx_name"]] = (tuple(t["shape"]), t["dtype"])
    return found


def model_config(
    art: Artefact,
    name: str = "canopy",
    instances: int = 1,
    devices: str = "sim",
    max_batch: int = 8,
    kind: str = "KIND_CPU",
    queue_delay_us: int = 2000,
) -> dict:
    """The model's Triton configuration, as the JSON form Triton gives `initialize`."""
    inputs, outputs = model_io(art)
    io = _io(art)
    batching = max_batch > 0 and all(io[n][0][:1] == (1,) for n in [*inputs, *outputs])

    def tensor(n: str) -> dict:
        shape, dtype = io[n]
        if dtype not in TRITON_TYPES:
            raise CanopyError(f"tensor '{n}' has dtype {dtype}, which Triton has no type for")
        return {
            "name": n,
            "data_type": TRITON_TYPES[dtype],
            "dims": list(shape[1:] if batching else shape),
        }

    config = {
        "name": name,
        "backend": "python",
        "max_batch_size": max_batch if batching else 0,
        "input": [tensor(n) for n in inputs],
        "output": [tensor(n) for n in outputs],
        "instance_group": [{"count": instances, "kind": kind}],
        "parameters": {
            "artefact": {"string_value": "model.canopy"},
            "devices": {"string_value": devices},
        },
    }
    if batching:
        config["dynamic_batching"] = {"max_queue_delay_microseconds": queue_delay_us}
    return config


def render_pbtxt(config: dict) -> str:
    """`config` (as `model_config` makes it) in protobuf text format, as config.pbtxt."""

    def tensors(key: str) -> list[str]:
        out = [f"{key} ["]
        for i, t in enumerate(config[key]):
            dims = ", ".join(str(d) for d in t["dims"])
            out += [
                "  {",
                f'    name: "{t["name"]}"',
                f"    data_type: {t['data_type']}",
                f"    dims: [ {dims} ]",
                "  }" + ("," if i + 1 < len(config[key]) else ""),
            ]
        return [*out, "]"]

    lines = [
        f'name: "{config["name"]}"',
        f'backend: "{config["backend"]}"',
        f"max_batch_size: {config['max_batch_size']}",
        *tensors("input"),
        *tensors("output"),
        "instance_group [",
        *[f"  {{ count: {g['count']} kind: {g['kind']} }}" for g in config["instance_group"]],
        "]",
    ]
    if "dynamic_batching" in config:
        delay = config["dynamic_batching"]["max_queue_delay_microseconds"]
        lines.append(f"dynamic_batching {{ max_queue_delay_microseconds: {delay} }}")
    for key, value in config["parameters"].items():
        lines.append(
            f'parameters: {{ key: "{key}" value: {{ string_value: "{value["string_value"]}" }} }}'
        )
    return "\n".join(lines) + "\n"


def write_model_repository(artefact: str | Path, out: str | Path, **choices) -> Path:
    """Write the repository (see the module docstring); `choices` as `model_config` takes
    them. Returns the model's folder."""
    art = Artefact.load(artefact)
    config = model_config(art, **choices)
    folder = Path(out) / config["name"]
    (folder / "1").mkdir(parents=True, exist_ok=True)
    (folder / "config.pbtxt").write_text(render_pbtxt(config))
    (folder / "1" / "model.py").write_text(MODEL_PY)
    shutil.copyfile(artefact, folder / "1" / "model.canopy")
    return folder
