"""The op converters, one module per category (as onnx-mlir groups its conversions): `math`,
`nn`, `tensor`, `quantization`, with the helpers they share in `common`. Importing this package
registers every converter with the importer; a new op goes in its category's module and its
`register` table."""

from canopy_ir.frontends.onnx.ops import math, nn, quantization, tensor

__all__ = ["math", "nn", "quantization", "tensor"]
