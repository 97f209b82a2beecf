"""The HTTP body formats of the serving endpoint: requests in, responses out.

A request holds one set of model inputs; every input may stack B items of its compiled shape
along axis 0 (B images of a batch-1 model), and every output comes back stacked the same way.
Three formats, chosen by the request's Content-Type (the response uses the same one):

- `application/json`: `{"inputs": {"<input name>": <nested lists>, ...}}` →
  `{"outputs": {"<output name>": <nested lists>, ...}}` (float32 values, exact as JSON numbers).
- `application/x-npy`: the body is one `.npy` array (`numpy.save`), for a model with one input
  and one output; the response is the output as `.npy`.
- `application/x-npz`: the body is an `.npz` archive (`numpy.savez`) of the inputs by name; the
  response is an `.npz` of the outputs by name.

A bad request gets status 400 (415 for an unknown Content-Type) and `{"error": "<one line>"}`.
Arrays are read without pickle.
"""

from __future__ import annotations

import io
import json

import numpy as np

from canopy_ir.backend.pcie.multi import split_batch, stack_results
from canopy_ir.errors import CanopyError

JSON, NPY, NPZ = "application/json", "application/x-npy", "application/x-npz"
Feeds = dict[str, np.ndarray]


class BadRequest(CanopyError):
    """A request the endpoint cannot read; `status` is its HTTP status."""

    def __init__(self, message: str, status: int = 400):
        super().__init__(message, "request")
        self.status = status


def body_format(content_type: str | None) -> str:
    kind = (content_type or JSON).split(";")[0].strip().lower()
    if kind not in (JSON, NPY, NPZ):
        raise BadRequest(f"Content-Type '{kind}' is not one of {JSON}, {NPY}, {NPZ}", 415)
    return kind


def decode_request(
    body: bytes, content_type: str | None, inputs: dict[str, tuple[int, ...]], outputs: list[str]
) -> tuple[list[Feeds], str]:
    """(the items of the request, its format); `inputs`: name → compiled shape."""
    kind = body_format(content_type)
    try:
        if kind == JSON:
            raw = json.loads(body)
            if not isinstance(raw, dict) or not isinstance(raw.get("inputs"), dict):
                raise BadRequest('a JSON request is {"inputs": {"<input name>": [...]}}')
            feeds = {n: _array(v, n) for n, v in raw["inputs"].items()}
        elif kind == NPY:
            if len(inputs) != 1 or len(outputs) != 1:
                raise BadRequest(
                    f"the model takes {list(inputs)} and gives {outputs}; an .npy body is for "
                    f"one input and one output: send {NPZ} or {JSON}"
                )
            feeds = {next(iter(inputs)): np.load(io.BytesIO(body), allow_pickle=False)}
        else:
            with np.load(io.BytesIO(body), allow_pickle=False) as archive:
                feeds = {n: archive[n] for n in archive.files}
    except (ValueError, OSError, EOFError) as exc:  # json.JSONDecodeError is a ValueError
        raise BadRequest(f"the {kind} body cannot be read ({exc})") from None
    try:
        return split_batch(feeds, inputs), kind
    except CanopyError as exc:
        raise BadRequest(str(exc)) from None


def _array(value, name: str) -> np.ndarray:
    array = np.asarray(value)
    if array.dtype.kind not in "fiub":
        raise BadRequest(f"input '{name}' is not a numeric array")
    return array.astype(np.float32) if array.dtype.kind == "f" else array


def encode_response(results: list[Feeds], kind: str, outputs: list[str]) -> bytes:
    """The body answering a request in format `kind` whose items gave `results`."""
    stacked = stack_results(results, outputs)
    if kind == JSON:
        return json.dumps({"outputs": {n: v.tolist() for n, v in stacked.items()}}).encode()
    buffer = io.BytesIO()
    if kind == NPY:
        np.save(buffer, stacked[outputs[0]], allow_pickle=False)
    else:
        np.savez(buffer, **stacked)
    return buffer.getvalue()


def error_body(exc: Exception) -> bytes:
    return json.dumps({"error": str(exc)}).encode()
