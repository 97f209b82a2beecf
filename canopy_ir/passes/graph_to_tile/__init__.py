"""`graph-to-tile`: cut an integer graph into tiles that fit the accelerator's buffers.

Takes: an integer graph module (after `import-qdq`, and `graph-partition`, which it runs with
its defaults when the ops carry no `canopy.target` yet).
Produces: a tile module: one `tile.tensor` per card DRAM tensor (packed layouts, `docs/isa.md`
§ packed layouts) and, in program order, one `tile.kernel` per accelerator layer and one
`host.op` per host op (with `host.tensor`s for what lives in host memory). Each kernel walks
output tiles (batch block × output-channel blocks × output rows × output columns; full width
whenever one output row fits) and reduction chunks (input-channel blocks); the tile sizes
minimise the estimated cycles, then the DRAM traffic, under the buffer capacities of the
`HwConfig`, and are recorded on the kernel.

A Flatten feeding a dense layer costs nothing: the dense weights are permuted to read the packed
activation in place.

Modules: `support` (what the accelerator runs: the partition's one source of truth), `pass_` (the
pass: graph walk, tensor declarations, host ops), `tiling` (geometry and tiling search), `fields`
(input windows, DMA field splitting), `emitter` (the tile program of a dense convolution or dense
layer); the other lowerings: `pool` (max and average pooling), `eltwise` (residual add, rescale),
`affine` (per-channel affine map: a quantized BatchNormalization), `grouped` (depthwise and grouped
convolution), `placement` (concat, zero-point pad, layout-only reshapes), with `window` (their
tiling) and `kit` (shared emit helpers); the requantization arithmetic is `canopy_ir.quant`'s.
"""

from canopy_ir.passes.graph_to_tile.pass_ import GraphToTilePass

__all__ = ["GraphToTilePass"]
