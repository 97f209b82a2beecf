"""Run compiled models on a card: weights, micro-ops and instructions are uploaded once and stay
resident; each `run` moves only the inputs in and the outputs out.

The artefact's DRAM addresses are relative to its arena; the session relocates them to where the
arena lands in card memory (the loader's job on any system without shared virtual memory).
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from canopy_ir.artefact import Artefact
from canopy_ir.backend.pcie.device import (
    CTRL_START,
    REG_CTRL,
    REG_INSN_ADDR,
    REG_INSN_COUNT,
    Device,
)
from canopy_ir.backend.pcie.simcard import SimCard
from canopy_ir.errors import CanopyError, DeviceError
from canopy_ir.hw import isa
from canopy_ir.hw.config import HwConfig
from canopy_ir.hw.layout import pack_activation, unpack_activation
from canopy_ir.hw.program import Region, arena_alignment
from canopy_ir.quant import dequantize, quantize

_CARD_LOCKS: dict[int, threading.Lock] = {}


def relocate(insns: bytes, cfg: HwConfig, arena_addr: int) -> bytes:
    """Shift every LOAD/STORE's dram_base by the arena's card address (in its element size)."""
    out = []
    for insn in isa.decode_insns(insns, cfg):
        if isinstance(insn, isa.LoadInsn | isa.StoreInsn):
            eb = isa.dram_elem_bytes(insn.memory_type, cfg)
            insn.dram_base += arena_addr // eb
        out.append(insn)
    return isa.encode_insns(out, cfg)


@dataclass
class Counters:
    runs: int = 0
    bytes_to_device: int = 0
    bytes_from_device: int = 0
    instructions: int = 0
    seconds: dict[str, float] = field(
        default_factory=lambda: {"upload": 0.0, "input": 0.0, "execute": 0.0, "output": 0.0}
    )


class Session:
    """A compiled model resident on one card."""

    def __init__(
        self, artefact: Artefact | str | Path, device: Device | str = "sim", timeout: float = 60.0
    ):
        self.artefact = artefact if isinstance(artefact, Artefact) else Artefact.load(artefact)
        cfg = self.artefact.config
        if device == "sim":
            device = SimCard(cfg)
        elif isinstance(device, str):
            raise CanopyError(f"device '{device}' is not available (this build offers: sim)")
        card_cfg = getattr(device, "config", cfg)
        if card_cfg != cfg:
            raise DeviceError(
                "the artefact was compiled for a different hardware configuration "
                "than the card implements; recompile with the card's vta_config.json"
            )
        self.device = device
        self.timeout = timeout
        self.counters = Counters()
        self.lock = _CARD_LOCKS.setdefault(id(device), threading.Lock())
        t = time.perf_counter()
        art = self.artefact
        self.arena = device.alloc(art.arena_bytes, align=max(4096, arena_alignment(cfg)))
        self.insn_buf = device.alloc(len(art.insns), align=64)
        self._dma_in(self.arena, art.weights, 0)
        self._dma_in(self.arena, art.uops, art.uop_offset)
        self._dma_in(self.insn_buf, relocate(art.insns, cfg, self.arena.addr), 0)
        self.counters.seconds["upload"] += time.perf_counter() - t
        self.inputs = art.io("input")
        self.outputs = art.io("output")
        if hasattr(device, "layers"):  # a simulated card can attribute cycles to layers
            device.layers = art.instruction_layers()

    def _dma_in(self, ptr, data: bytes, offset: int) -> None:
        self.device.dma_to_device(ptr, data, offset)
        self.counters.bytes_to_device += len(data)

    def close(self) -> None:
        self.device.free(self.arena)
        self.device.free(self.insn_buf)

    def run(self, feeds: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        """Float inputs by ONNX name → float outputs by ONNX name (quantized on the host)."""
        unknown = set(feeds) - {r.onnx_name for r in self.inputs}
        if unknown:
            raise CanopyError(
                f"unknown input(s) {sorted(unknown)}; the model takes "
                f"{[r.onnx_name for r in self.inputs]}"
            )
        cfg = self.artefact.config
        with self.lock:
            t = time.perf_counter()
            for r in self.inputs:
                if r.onnx_name not in feeds:
                    raise CanopyError(f"input '{r.onnx_name}' is missing")
                self._dma_in(self.arena, _encode_input(r, feeds[r.onnx_name], cfg), r.offset)
            t1 = time.perf_counter()
            self.device.write_reg(REG_INSN_ADDR, self.insn_buf.addr)
            self.device.write_reg(REG_INSN_COUNT, self.artefact.insn_count)
            self.device.write_reg(REG_CTRL, CTRL_START)
            try:
                self.device.wait(self.timeout)
            except DeviceError:
                self.device.reset()
                raise
            t2 = time.perf_counter()
            results = {}
            for r in self.outputs:
                raw = self.device.dma_from_device(self.arena, r.nbytes, r.offset)
                self.counters.bytes_from_device += r.nbytes
                packed = np.frombuffer(raw, np.int8).reshape(r.packed_shape)
                q = unpack_activation(packed, r.logical_shape, cfg)
                results[r.onnx_name] = dequantize(q, r.scale, r.zero_point)
            t3 = time.perf_counter()
        c = self.counters
        c.runs += 1
        c.instructions += self.artefact.insn_count
        for key, dt in (("input", t1 - t), ("execute", t2 - t1), ("output", t3 - t2)):
            c.seconds[key] += dt
        return results


def _encode_input(r: Region, value, cfg: HwConfig) -> bytes:
    x = np.asarray(value)
    if x.dtype.kind not in "fiu":
        raise CanopyError(f"input '{r.onnx_name}' must be numeric, got dtype {x.dtype}")
    if tuple(x.shape) != tuple(r.logical_shape):
        raise CanopyError(
            f"input '{r.onnx_name}' has shape {tuple(x.shape)}; the model was "
            f"compiled for {tuple(r.logical_shape)}"
        )
    q = quantize(x.astype(np.float32), r.scale, r.zero_point)
    return pack_activation(q, cfg).tobytes()


@dataclass(frozen=True)
class NodeArg:
    """onnxruntime-style description of an input or output."""

    name: str
    shape: list[int]
    type: str = "tensor(float)"


class InferenceSession:
    """onnxruntime-style entry point: `InferenceSession("model.canopy").run(None, {"input": x})`."""

    def __init__(self, path: str | Path, device: Device | str = "sim", timeout: float = 60.0):
        self.session = Session(path, device, timeout)

    def get_inputs(self) -> list[NodeArg]:
        return [NodeArg(r.onnx_name, list(r.logical_shape)) for r in self.session.inputs]

    def get_outputs(self) -> list[NodeArg]:
        return [NodeArg(r.onnx_name, list(r.logical_shape)) for r in self.session.outputs]

    def run(self, output_names: list[str] | None, feeds: dict[str, np.ndarray]) -> list[np.ndarray]:
        results = self.session.run(feeds)
        names = output_names or [r.onnx_name for r in self.session.outputs]
        missing = [n for n in names if n not in results]
        if missing:
            raise CanopyError(f"unknown output(s) {missing}; the model produces {list(results)}")
        return [results[n] for n in names]

    @property
    def counters(self) -> Counters:
        return self.session.counters
