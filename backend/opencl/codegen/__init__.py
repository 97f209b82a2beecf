"""OpenCL C code generation: kernels for the host segments of partitioned models, on GPUs and
CPUs (PoCL).

Generators take plain parameters (shapes, strides, quantization numbers as graph.requantize has
them, through canopy_ir.quant.Requant) and return a `Kernel`: the OpenCL C source, its buffers
and its launch geometry. Integer kernels equal canopy_ir.interpreters.graph and
canopy_ir.quant.requantize bit for bit; float kernels (softmax, layer norm, average pooling of
floats) are within the tolerance stated in `norm` and `pool`.

- `gemm.dense`, `conv.conv2d`: int8 products with int32 bias and optional fused requantization;
  `mma.dense_mma`: dense on NVIDIA tensor cores (inline PTX, NVIDIA's OpenCL only), split-K
  where output tiles are few; `gemv.dense_rows`: dense layers of few rows.
- `conv_nhwc.conv2d_nhwc`: convolutions on channels-last tensors, the form models run in
  (implicit GEMM on tensor cores or portable, direct for grouped layers), with requantization
  and a residual add fused; `layout`: NCHW / NHWC / packed-weight layouts and their conversions.
- `pool.pool2d`, `elementwise.binary/relu/clip`: pooling and elementwise ops.
- `norm.softmax`, `norm.layer_norm`: float32 reductions.
- `runtime`: `Runtime` (context, queue, launches), `run_kernel`; the device chooser and the
  program cache are `backend/opencl/runtime.py`'s; `tuning`: the GEMM tile search.
"""

from . import tuning
from .conv import conv2d
from .conv_nhwc import conv2d_nhwc
from .elementwise import binary, clip, relu
from .gemm import GemmTiles, dense
from .gemv import dense_rows
from .kernel import Buffer, Kernel
from .mma import MmaTiles, dense_mma
from .norm import layer_norm, softmax
from .pool import pool2d
from .runtime import Runtime, get_runtime, pick_device, run_kernel

__all__ = [
    "Buffer",
    "GemmTiles",
    "Kernel",
    "MmaTiles",
    "Runtime",
    "binary",
    "clip",
    "conv2d",
    "conv2d_nhwc",
    "dense",
    "dense_mma",
    "dense_rows",
    "get_runtime",
    "layer_norm",
    "pick_device",
    "pool2d",
    "relu",
    "run_kernel",
    "softmax",
    "tuning",
]
