"""The three dialects: graph (ONNX-level tensors), tile (buffer tiles, DMA), accel (VTA insns)."""
