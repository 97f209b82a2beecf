"""Loading an ONNX file: the protobuf is parsed and checked to have nodes; external weight data
is read only from inside the model's own folder."""

from __future__ import annotations

from pathlib import Path

import onnx

from canopy_ir.errors import FrontendError


def load_onnx(path: str | Path) -> onnx.ModelProto:
    """Read an ONNX file; external data is loaded only from inside the model's folder."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise FrontendError(f"cannot read model: {exc.strerror}", str(path)) from None
    try:
        model = onnx.load_from_string(data)
    except Exception as exc:  # protobuf raises DecodeError and friends
        raise FrontendError(f"not a valid ONNX model ({type(exc).__name__})", str(path)) from None
    if not model.graph.node:
        raise FrontendError("the model's graph has no nodes", str(path))
    _load_external_data(model, path.parent.resolve(), str(path))
    return model


def _load_external_data(model: onnx.ModelProto, base: Path, where: str) -> None:
    from onnx.external_data_helper import load_external_data_for_tensor, uses_external_data

    for tensor in model.graph.initializer:
        if not uses_external_data(tensor):
            continue
        location = next((e.value for e in tensor.external_data if e.key == "location"), "")
        target = (base / location).resolve()
        if Path(location).is_absolute() or base not in target.parents:
            raise FrontendError(
                f"initializer '{tensor.name}' points at external data "
                f"'{location}' outside the model's folder: refused",
                where,
            )
        if not target.is_file():
            raise FrontendError(
                f"external data file '{location}' of initializer '{tensor.name}' is missing", where
            )
        load_external_data_for_tensor(tensor, str(base))
        tensor.data_location = onnx.TensorProto.DEFAULT
        del tensor.external_data[:]
