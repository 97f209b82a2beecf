"""The three dialects: graph (ONNX-level tensors), tile (on-chip buffer tiles and DMA), accel (VTA instructions)."""
