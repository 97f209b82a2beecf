"""Frontends: importers that turn a model of another framework into a `graph`-dialect module
(`func.func @main` over graph ops, weights in a `WeightPool`), where the compiler starts.

- `onnx/`: the ONNX importer (`import_onnx`), its op converters by category in `onnx/ops/`, and
  an `onnx.backend` Backend over the graph interpreter;
- `tvm/`: TVM interoperation (optional extra).

A new frontend is a package of its own, `frontends/<name>/`, installed as
`canopy_ir.frontends.<name>` (list it and its subpackages in pyproject.toml's `packages`). Heavy
dependencies are imported inside functions and are optional extras. Frontends sit beside the
interpreters in docs/architecture.md's layers: they use the IR, dialects and errors, never
passes, the compiler or the runtime.
"""
