"""`graph-to-tile`: cut an integer graph into tiles that fit the accelerator's buffers.

Takes: an integer graph module (after `import-qdq`): `@main` whose arguments feed `graph.quantize`
ops, whose results come from `graph.dequantize`, and whose body is int8 `graph.conv2d`/`graph.dense`
each followed by `graph.requantize` (reshapes between a convolution and a dense layer allowed).
Produces: a tile module: one `tile.tensor` per DRAM tensor (packed layouts, `docs/isa.md`
§ packed layouts) and one `tile.kernel` per layer. Each kernel walks output tiles (batch block ×
output-channel blocks × output rows, full width) and reduction chunks (input-channel blocks); the
tile sizes minimise the estimated cycles, then the DRAM traffic, under the buffer capacities of
the `HwConfig`, and are recorded on the kernel.

A Flatten feeding a dense layer costs nothing: the dense weights are permuted to read the packed
activation in place.

Modules: `pass_` (the pass: graph walk, tensor declarations), `tiling` (geometry and tiling
search), `emitter` (the tile program of one layer); the requantization arithmetic is
`canopy_ir.quant`'s.
"""

from canopy_ir.passes.graph_to_tile.pass_ import GraphToTilePass

__all__ = ["GraphToTilePass"]
