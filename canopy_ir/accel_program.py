"""Reading an accel module back as plain records: regions, micro-ops, instructions."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from xdsl.dialects.builtin import (
    ArrayAttr,
    FloatAttr,
    IntegerAttr,
    ModuleOp,
    StringAttr,
    TensorType,
)

from canopy_ir.dialects import accel
from canopy_ir.errors import CanopyError
from canopy_ir.hw import isa
from canopy_ir.hw.config import HwConfig
from canopy_ir.ir import module_config


@dataclass
class Region:
    name: str
    offset: int
    nbytes: int
    role: str
    packed_shape: tuple[int, ...]
    dtype: str
    weight: str | None = None
    logical_shape: tuple[int, ...] | None = None
    scale: float | None = None
    zero_point: int | None = None
    onnx_name: str | None = None

    def to_json(self) -> dict:
        return {k: (list(v) if isinstance(v, tuple) else v) for k, v in self.__dict__.items()}

    @classmethod
    def from_json(cls, raw: dict) -> Region:
        raw = dict(raw)
        for k in ("packed_shape", "logical_shape"):
            if raw.get(k) is not None:
                raw[k] = tuple(raw[k])
        return cls(**raw)


@dataclass
class AccelProgram:
    config: HwConfig
    regions: list[Region]
    uop_offset: int
    uops: isa.Uops
    insns: list[isa.Insn]
    layers: list[str | None] | None = None  # the model layer of each instruction, when known

    @property
    def arena_bytes(self) -> int:
        ends = [r.offset + r.nbytes for r in self.regions] + [self.uop_offset + 4 * len(self.uops)]
        return max(ends)


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
    """Regions, micro-ops and instructions of an accel module (before or after `encode`)."""
    cfg = module_config(module)
    regions = [_region(op) for op in module.ops if isinstance(op, accel.RegionOp)]
    table = next((op for op in module.ops if isinstance(op, accel.UopTableOp)), None)
    program = next((op for op in module.ops if isinstance(op, accel.ProgramOp)), None)
    binary = next((op for op in module.ops if isinstance(op, accel.BinaryOp)), None)
    if binary is not None:
        insns = isa.decode_insns(bytes.fromhex(binary.kv("insns")), cfg)
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
    uops = isa.Uops.from_triples(np.asarray(table.kv("uops"), np.int64))
    ops = list(program.body.block.ops)
    return AccelProgram(
        cfg,
        regions,
        table.kv("offset"),
        uops,
        [op.to_record() for op in ops],
        [op.layer for op in ops],
    )


def expand_layer_ranges(ranges, count: int) -> list[str | None]:
    layers: list[str | None] = [None] * count
    for name, first, end in ranges:
        layers[first:end] = [None if name == "(unnamed)" else name] * (end - first)
    return layers


def layer_ranges(layers: list[str | None]) -> list[tuple[str, int, int]]:
    """Run-length form [(layer, first, end)] of per-instruction layer names (None: unnamed)."""
    ranges: list[tuple[str, int, int]] = []
    for i, name in enumerate(layers):
        name = name or "(unnamed)"
        if ranges and ranges[-1][0] == name and ranges[-1][2] == i:
            ranges[-1] = (name, ranges[-1][1], i + 1)
        else:
            ranges.append((name, i, i + 1))
    return ranges
