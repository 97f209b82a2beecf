"""Run a module stage by stage and evaluate each stage's interpreter on float inputs: the
harness of the lowering properties (tests and `canopy-fuzz`)."""

from __future__ import annotations

import numpy as np

from canopy_ir.compiler.pipeline import run_passes
from canopy_ir.dialects import tile
from canopy_ir.frontends.onnx import import_onnx
from canopy_ir.hw.layout import pack_activation, unpack_activation
from canopy_ir.interpreters.graph import run_graph
from canopy_ir.ir import module_config, set_module_config
from canopy_ir.quant import dequantize, quantize


def io_specs(module):
    """(name, role, logical shape, scale, zero point) of the tile tensors or accel regions."""
    from canopy_ir.dialects import accel

    specs = []
    for op in module.ops:
        if isinstance(op, tile.TensorOp | accel.RegionOp) and op.role.data in ("input", "output"):
            a = op.attributes
            specs.append(
                (
                    op.sym_name.data,
                    op.role.data,
                    tuple(a["logical_shape"].get_values()),
                    a["scale"].value.data,
                    a["zero_point"].value.data,
                )
            )
    return specs


def run_lowered(module, x: np.ndarray, runner, **kw) -> np.ndarray:
    """Quantize + pack x, run a tile/accel module, unpack + dequantize its single output."""
    cfg = module_config(module)
    specs = io_specs(module)
    ((in_name, _, _, s_in, z_in),) = [s for s in specs if s[1] == "input"]
    ((out_name, _, out_shape, s_out, z_out),) = [s for s in specs if s[1] == "output"]
    packed = pack_activation(quantize(x, s_in, z_in), cfg)
    out = runner(module, {in_name: packed}, **kw)[out_name]
    return dequantize(unpack_activation(out, out_shape, cfg), s_out, z_out)


def integer_graph(model, cfg=None):
    module = import_onnx(model)
    run_passes(module, ["import-qdq"])
    if cfg is not None:
        set_module_config(module, cfg)
    return module


def graph_output(module, x):
    return run_graph(module, x)[0]
