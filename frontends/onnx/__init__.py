"""ONNX → `graph` dialect.

Produces `func.func @main` whose arguments are the model's (non-initializer) inputs and whose
results are its outputs; weights go to a `WeightPool`, never into the IR text.

- Shapes: ONNX's own shape inference (with data propagation) runs after the user's
  `input_shapes` are applied, so every value gets a static type; a dimension that stays unknown
  is an error naming the tensor and the CLI option that fixes it.
- Constant subgraphs (Shape → Gather → Concat → Reshape chains, ConstantOfShape, ...) are folded
  at import with the onnx package's reference evaluator when every input is a constant.
- Other nodes are decomposed into the small core of graph ops (e.g. LeakyRelu → relu, min, mul,
  add; Gelu → erf; QLinearConv → dequantize, conv, quantize).

Layout (after onnx-mlir's importer and per-category conversions):

- `loader`: reading a model file and its external data;
- `importer`: `import_onnx`, the `_Importer` (shape inference, constant folding, the walk over
  the nodes) and the converter registry (`CONVERTERS`, `CONTRIB_CONVERTERS`, `register`);
- `nodes`: reading a node's name, attributes and optional inputs;
- `ops/`: the converters by category (`math`, `nn`, `tensor`, `quantization`), registered when
  this package is imported;
- `backend`: the `onnx.backend` API over the graph interpreter (`CanopyBackend`).
"""

from canopy_ir.frontends.onnx import ops  # noqa: F401  (importing it registers the converters)
from canopy_ir.frontends.onnx.importer import (
    ALWAYS_FOLD,
    CONTRIB_CONVERTERS,
    CONVERTERS,
    FOLD_MAX_ELEMENTS,
    NEVER_FOLD,
    import_onnx,
)
from canopy_ir.frontends.onnx.loader import load_onnx

__all__ = [
    "ALWAYS_FOLD",
    "CONTRIB_CONVERTERS",
    "CONVERTERS",
    "FOLD_MAX_ELEMENTS",
    "NEVER_FOLD",
    "import_onnx",
    "load_onnx",
]
