"""Reading an accel module back as plain records (`canopy_ir.hw.program`): regions, micro-ops,
instructions, and the host's part of a partitioned model."""

from __future__ import annotations

from xdsl.dialects.builtin import (
    ArrayAttr,
    FloatAttr,
    IntegerAttr,
    ModuleOp,
    StringAttr,
    TensorType,
)

from canopy_ir.dialects import accel, host
from canopy_ir.errors import CanopyError
from canopy_ir.hw import isa
from canopy_ir.hw.program import AccelProgram, Region, expand_layer_ranges
from canopy_ir.hw.stream import Stream
from canopy_ir.ir import attribute_value, elem_to_numpy, module_config, string_list


def _region(op: accel.RegionOp) -> Region:
    attrs = op.attributes
    t = attrs["type"]
    assert isinstance(t, TensorType)

    def get(key):
        a = attrs.get(key)
        if isinstance(a, StringAttr):
            return a.data
        if isinstance(a, IntegerAttr):
            return a.value.data
        if isinstance(a, FloatAttr):
            return a.value.data
        return tuple(a.get_values()) if a is not None else None

    return Region(
        op.sym_name.data,
        op.offset.value.data,
        op.nbytes.value.data,
        op.role.data,
        tuple(t.get_shape()),
        f"int{t.get_element_type().width.data}",
        get("weight"),
        get("logical_shape"),
        get("scale"),
        get("zero_point"),
        get("onnx_name"),
    )


def read_program(module: ModuleOp) -> AccelProgram:
    """Regions, micro-ops and instructions of an accel module (before or after `encode`). The
    instructions are a `Stream` (columns; also a sequence of `isa` records)."""
    cfg = module_config(module)
    regions = [_region(op) for op in module.ops if isinstance(op, accel.RegionOp)]
    table = next((op for op in module.ops if isinstance(op, accel.UopTableOp)), None)
    program = next((op for op in module.ops if isinstance(op, accel.ProgramOp)), None)
    binary = next((op for op in module.ops if isinstance(op, accel.BinaryOp)), None)
    if binary is not None:
        insns = Stream.decode(bytes.fromhex(binary.kv("insns")), cfg)
        uops = isa.decode_uops(bytes.fromhex(binary.kv("uops")), cfg)
        layers = None
        if isinstance(binary.attributes.get("layers"), ArrayAttr):
            ranges = [
                (r.data[0].data, r.data[1].value.data, r.data[2].value.data)
                for r in binary.attributes["layers"].data
            ]
            layers = expand_layer_ranges(ranges, len(insns))
        return AccelProgram(cfg, regions, binary.kv("uop_offset"), uops, insns, layers)
    if table is None or program is None:
        raise CanopyError("not an accel module: it needs accel.uop_table and accel.program")
    uops = isa.Uops.from_triples(table.table())
    return AccelProgram(
        cfg, regions, table.kv("offset"), uops, program.stream(), program.instruction_layers()
    )


def read_host_plan(module: ModuleOp) -> dict:
    """The host's part of a partitioned accel module as plain data (the artefact's
    `manifest["host"]`): the model's input and output names in order, the host tensors, and the
    host ops with their properties as plain values and the segment each follows."""
    tensors = {}
    ops = []
    for op in module.ops:
        if isinstance(op, host.TensorOp):
            entry = {
                "role": op.role.data,
                "shape": [int(d) for d in op.type.get_shape()],
                "dtype": elem_to_numpy(op.type.get_element_type()).name,
            }
            for key in ("onnx_name", "weight", "card"):
                if isinstance(op.attributes.get(key), StringAttr):
                    entry[key] = op.attributes[key].data
            tensors[op.sym_name.data] = entry
        elif isinstance(op, host.HostOp):
            reason = op.attributes.get("reason")
            ops.append(
                {
                    "layer": op.layer.data,
                    "op": op.op.data,
                    "attrs": {k: attribute_value(v) for k, v in op.attrs.data.items()},
                    "inputs": op.input_names,
                    "outputs": op.output_names,
                    "segment": op.segment.value.data,
                    "reason": reason.data if isinstance(reason, StringAttr) else "",
                }
            )
    return {
        "inputs": string_list(module, "canopy.inputs"),
        "outputs": string_list(module, "canopy.outputs"),
        "tensors": tensors,
        "ops": ops,
    }
