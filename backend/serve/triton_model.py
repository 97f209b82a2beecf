"""A compiled model as a Triton Inference Server Python-backend model (`TritonPythonModel`).

Triton loads `<repository>/<model>/<version>/model.py` in its Python-backend stub, which provides
the module `triton_python_backend_utils`; `triton_repo.write_model_repository` writes a
`model.py` that imports this class, the artefact beside it and the `config.pbtxt`. The Python
environment Triton runs the stub in must have canopy-ir installed (Triton's
`EXECUTION_ENV_PATH` parameter, or the container's own Python).

- `initialize(args)`: reads `args["model_config"]` (the config as JSON), its parameters
  `artefact` (file name in the version folder, default model.canopy) and `devices` (a replica
  device list, `replica.card_for`: `sim`, `paced@MHZ`, `opencl:0,opencl:1`, ...); each model
  instance takes the entry of its `model_instance_device_id` (KIND_GPU instances: one OpenCL
  device each; KIND_CPU instances: device id 0, each with its own simulated card); checks the
  config's inputs and outputs against the artefact's.
- `execute(requests)`: one response per request; a request's inputs may stack several items
  along axis 0 (Triton's batch dimension when `max_batch_size` > 0), run one after the other on
  the instance's card; a bad request gets a response carrying a `TritonError`, the others run.
- `finalize()`: frees the model's card memory.
"""

from __future__ import annotations

import json
import os

from canopy_ir.backend.pcie.multi import split_batch, stack_results
from canopy_ir.backend.serve.replica import CardReplica
from canopy_ir.errors import CanopyError


class TritonPythonModel:
    def initialize(self, args: dict) -> None:
        import triton_python_backend_utils as pb_utils  # provided by Triton's Python backend

        self.pb = pb_utils
        config = json.loads(args["model_config"])
        params = {k: v.get("string_value", "") for k, v in config.get("parameters", {}).items()}
        folder = os.path.join(args["model_repository"], str(args["model_version"]))
        artefact = os.path.join(folder, params.get("artefact") or "model.canopy")
        index = int(args.get("model_instance_device_id") or 0)
        self.replica = CardReplica(artefact, params.get("devices") or "sim", index)
        where = f"Triton model '{config.get('name', args.get('model_name'))}'"
        declared = [i["name"] for i in config.get("input", [])]
        if sorted(declared) != sorted(self.replica.inputs):
            raise CanopyError(
                f"config.pbtxt declares inputs {declared}; the artefact takes "
                f"{list(self.replica.inputs)}",
                where,
            )
        self.output_types = {}
        for out in config.get("output", []):
            if out["name"] not in self.replica.outputs:
                raise CanopyError(
                    f"config.pbtxt declares output '{out['name']}'; the artefact gives "
                    f"{self.replica.outputs}",
                    where,
                )
            self.output_types[out["name"]] = pb_utils.triton_string_to_numpy(out["data_type"])

    def execute(self, requests: list) -> list:
        pb = self.pb
        responses = []
        for request in requests:
            try:
                feeds = {}
                for name in self.replica.inputs:
                    tensor = pb.get_input_tensor_by_name(request, name)
                    if tensor is None:
                        raise CanopyError(f"input '{name}' is missing")
                    feeds[name] = tensor.as_numpy()
                items = split_batch(feeds, self.replica.inputs)
                outputs = stack_results(self.replica.run(items), self.replica.outputs)
                tensors = [
                    pb.Tensor(name, outputs[name].astype(dtype))
                    for name, dtype in self.output_types.items()
                ]
                responses.append(pb.InferenceResponse(output_tensors=tensors))
            except CanopyError as exc:
                error = pb.TritonError(str(exc))
                responses.append(pb.InferenceResponse(output_tensors=[], error=error))
        return responses

    def finalize(self) -> None:
        self.replica.close()
