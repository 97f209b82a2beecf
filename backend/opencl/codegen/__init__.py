"""OpenCL C code generation: kernels for the host segments of partitioned models, on GPUs and
CPUs (PoCL).

Generators take plain parameters (shapes, strides, quantization numbers as graph.requantize has
them, through canopy_ir.quant.Requant) and return a `Kernel`: the OpenCL C source, its buffers
and its launch geometry. Integer kernels equal canopy_ir.interpreters.graph and
canopy_ir.quant.requantize bit for bit; float kernels (softmax, layer norm, average pooling of
floats) are within the tolerance stated in `norm` and `pool`.

- `gemm.dense`, `conv.conv2d`: int8 products with int32 bias and optional fused requantization;
  `mma.dense_mma`: dense on NVIDIA tensor cores (inline PTX, NVIDIA's OpenCL only).
- `pool.pool2d`, `elementwise.binary/relu/clip`: pooling and elementwise ops.
- `norm.softmax`, `norm.layer_norm`: float32 reductions.
- `runtime`: device choice, the program cache, `run_kernel`; `tuning`: the GEMM tile search.
"""

from . import tuning
from .conv import conv2d
from .elementwise import binary, clip, relu
from .gemm import GemmTiles, dense
from .kernel import Buffer, Kernel
from .mma import MmaTiles, dense_mma
from .norm import layer_norm, softmax
from .pool import pool2d
from .runtime import Runtime, get_runtime, list_devices, run_kernel, select_device

__all__ = [
    "Buffer",
    "GemmTiles",
    "Kernel",
    "MmaTiles",
    "Runtime",
    "binary",
    "clip",
    "conv2d",
    "dense",
    "dense_mma",
    "get_runtime",
    "layer_norm",
    "list_devices",
    "pool2d",
    "relu",
    "run_kernel",
    "select_device",
    "softmax",
    "tuning",
]
