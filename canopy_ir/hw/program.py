"""A program for the card as plain records: the DRAM arena's regions, the micro-op table and the
instruction stream. The compiler reads it out of an accel module (`canopy_ir.accel_program`), the
artefact stores it, the runtime loads it; nothing here knows about IR.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from canopy_ir.errors import CanopyError
from canopy_ir.hw import isa
from canopy_ir.hw.config import HwConfig


def arena_alignment(cfg: HwConfig) -> int:
    """Byte alignment of every region in the arena: the widest buffer element, so any region can
    be addressed by every LOAD/STORE memory type."""
    return max(cfg.elem_bytes(b) for b in ("uop", "inp", "wgt", "acc", "out"))


@dataclass
class Region:
    """A byte range of the arena: a weight, a model input/output, or scratch between layers."""

    name: str
    offset: int
    nbytes: int
    role: str  # weight | input | output | scratch
    packed_shape: tuple[int, ...]
    dtype: str
    weight: str | None = None  # key in the weight pool (weights)
    logical_shape: tuple[int, ...] | None = None  # ONNX shape (inputs/outputs)
    scale: float | None = None  # quantization of inputs/outputs
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


def weights_image(regions: list[Region], pool: Mapping[str, np.ndarray]) -> bytes:
    """The arena bytes from 0 to the end of the last weight region (weights.bin)."""
    weights = [r for r in regions if r.role == "weight"]
    top = max((r.offset + r.nbytes for r in weights), default=0)
    image = np.zeros(top, np.uint8)
    for r in weights:
        data = np.ascontiguousarray(pool[r.weight]).view(np.uint8).reshape(-1)
        if data.size != r.nbytes:
            raise CanopyError(f"weight '{r.weight}' has {data.size} bytes, its region {r.nbytes}")
        image[r.offset : r.offset + r.nbytes] = data
    return image.tobytes()


def expand_layer_ranges(ranges, count: int) -> list[str | None]:
    """Per-instruction layer names from the run-length form of `layer_ranges`."""
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
