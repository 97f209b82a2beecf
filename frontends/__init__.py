"""Model importers: ONNX (`frontends.onnx`) and, optionally, TVM."""
