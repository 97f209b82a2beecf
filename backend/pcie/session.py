"""Run compiled models on a card: weights, micro-ops and instructions are uploaded once and stay
resident; each `run` moves only the inputs in and the outputs out.

The artefact's DRAM addresses are relative to its arena; the session relocates them to where the
arena lands in card memory (the loader's job on any system without shared virtual memory).

The artefact's target (manifest["target"]) says which devices may run it: `sim` the simulated
card; `accel-opencl` an OpenCL device, the accelerator running as an OpenCL kernel
(`backend/opencl/card.py`) and the host ops as generated kernels; `opencl` an OpenCL device with
no card at all, every op a generated kernel (`backend/opencl/host_values.py`). With OpenCL host
values, the "host" seconds count enqueuing kernels; waiting for them lands in "output".
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
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
from canopy_ir.backend.pcie.host import HostPlan, HostValues, NumpyHostValues
from canopy_ir.backend.pcie.simcard import SimCard
from canopy_ir.errors import ArtefactError, CanopyError, DeviceError
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
        default_factory=lambda: {
            "upload": 0.0,
            "input": 0.0,
            "execute": 0.0,
            "host": 0.0,
            "output": 0.0,
        }
    )


class Session:
    """A compiled model resident on one card (or, for target opencl, on one OpenCL device)."""

    def __init__(
        self,
        artefact: Artefact | str | Path,
        device: Device | str = "sim",
        timeout: float = 60.0,
        host_values: Callable[[], HostValues] | None = None,
    ):
        """`device`: "sim", "opencl" or "opencl:NAME|INDEX" (an OpenCL device by name substring
        or index; default $CANOPY_OPENCL_DEVICE, else the first GPU), or a `Device`; it must
        suit the target the artefact was compiled for. `host_values` makes the store the host
        ops run in for one run (default: numpy for sim, generated OpenCL kernels on the OpenCL
        device otherwise)."""
        self.artefact = artefact if isinstance(artefact, Artefact) else Artefact.load(artefact)
        art, cfg = self.artefact, self.artefact.config
        self.target = artefact_target(art)
        kind, spec = device_kind(device)
        check_target(self.target, kind, device)
        self.host = HostPlan(art)
        if host_values is None and kind == "opencl" and isinstance(device, str):
            host_values = opencl_host_values(spec)  # a card object keeps numpy, as before
        self.host_values = host_values or NumpyHostValues
        bind = getattr(self.host_values, "bind", None)
        if bind is not None:
            bind(self.host)
        self.timeout = timeout
        self.counters = Counters()
        self.inputs = art.io("input")  # quantized by the host, read by the card
        self.outputs = art.io("output")  # written by the card, dequantized by the host
        self.layers = art.instruction_layers()
        self.segments = art.segments()
        self.regions = {r.name: r for r in art.regions}
        # the model's inputs and outputs in ONNX order, whether the card or the host reads them
        self.input_args = _args(
            self.inputs, self.host.tensors_of("input"), self.host.plan["inputs"]
        )
        self.output_args = _args(
            self.outputs, self.host.tensors_of("output"), self.host.plan["outputs"]
        )
        if self.target == "opencl":  # no accelerator: its stream is a lone FINISH, no card
            if art.insn_count != 1 or art.regions:
                raise ArtefactError("a target-opencl artefact holds accelerator instructions")
            self.device = None
            self.lock = threading.Lock()
            return
        if device == "sim":
            device = SimCard(cfg)
        elif isinstance(device, str):
            device = opencl_card(cfg, spec)
        card_cfg = getattr(device, "config", cfg)
        if card_cfg != cfg:
            raise DeviceError(
                "the artefact was compiled for a different hardware configuration "
                "than the card implements; recompile with the card's vta_config.json"
            )
        self.device = device
        self.lock = _CARD_LOCKS.setdefault(id(device), threading.Lock())
        t = time.perf_counter()
        self.arena = device.alloc(art.arena_bytes, align=max(4096, arena_alignment(cfg)))
        self.insn_buf = device.alloc(len(art.insns), align=64)
        self._dma_in(self.arena, art.weights, 0)
        self._dma_in(self.arena, art.uops, art.uop_offset)
        self._dma_in(self.insn_buf, relocate(art.insns, cfg, self.arena.addr), 0)
        self.counters.seconds["upload"] += time.perf_counter() - t

    def _dma_in(self, ptr, data: bytes, offset: int) -> None:
        self.device.dma_to_device(ptr, data, offset)
        self.counters.bytes_to_device += len(data)

    def close(self) -> None:
        if self.device is not None:
            self.device.free(self.arena)
            self.device.free(self.insn_buf)

    def run(self, feeds: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        """Float inputs by ONNX name → float outputs by ONNX name. The card's instruction
        segments run in order; the host's ops run between them, and only the tensors that cross
        between host and card cross PCIe."""
        names = [a.name for a in self.input_args]
        unknown = set(feeds) - set(names)
        if unknown:
            raise CanopyError(f"unknown input(s) {sorted(unknown)}; the model takes {names}")
        missing = [n for n in names if n not in feeds]
        if missing:
            raise CanopyError(f"input '{missing[0]}' is missing")
        cfg = self.artefact.config
        seconds = dict.fromkeys(("input", "execute", "host", "output"), 0.0)
        with self.lock:
            t = time.perf_counter()
            for r in self.inputs:
                self._dma_in(self.arena, _encode_input(r, feeds[r.onnx_name], cfg), r.offset)
            values = self.host_values()
            for name, value in self.host.inputs(feeds).items():
                values.put(name, value)
            seconds["input"] += time.perf_counter() - t
            for k, (first, end) in enumerate(self.segments):
                t = time.perf_counter()
                self._run_host(k, values)
                t1 = time.perf_counter()
                if self.device is not None:
                    self._launch(first, end)
                seconds["host"] += t1 - t
                seconds["execute"] += time.perf_counter() - t1
            t = time.perf_counter()
            self._run_host(len(self.segments), values)
            t1 = time.perf_counter()
            results = {}
            for r in self.outputs:
                q = self._read_card(r)
                results[r.onnx_name] = (
                    q if r.scale is None else dequantize(q, r.scale, r.zero_point)
                )
            for name, t_ in self.host.tensors_named("output"):
                results[t_["onnx_name"]] = values.get(name)
            seconds["host"] += t1 - t
            seconds["output"] += time.perf_counter() - t1
        c = self.counters
        c.runs += 1
        c.instructions += self.artefact.insn_count if self.device is not None else 0
        for key, dt in seconds.items():
            c.seconds[key] = c.seconds.get(key, 0.0) + dt
        return results

    def _launch(self, first: int, end: int) -> None:
        """Run instructions [first, end) on the card and wait for its FINISH."""
        if hasattr(self.device, "layers"):  # a simulated card can attribute cycles to layers
            self.device.layers = self.layers[first:end]
        self.device.write_reg(REG_INSN_ADDR, self.insn_buf.addr + first * isa.INSN_BYTES)
        self.device.write_reg(REG_INSN_COUNT, end - first)
        self.device.write_reg(REG_CTRL, CTRL_START)
        try:
            self.device.wait(self.timeout)
        except DeviceError:
            self.device.reset()
            raise

    def _read_card(self, r: Region) -> np.ndarray:
        """A card tensor in its logical shape (int8), moved across PCIe."""
        raw = self.device.dma_from_device(self.arena, r.nbytes, r.offset)
        self.counters.bytes_from_device += r.nbytes
        packed = np.frombuffer(raw, np.int8).reshape(r.packed_shape)
        return unpack_activation(packed, r.logical_shape, self.artefact.config)

    def _run_host(self, segment: int, values: HostValues) -> None:
        """The host ops that follow `segment` instruction segments, in order."""
        for op in self.host.ops_before(segment):
            for name in op["inputs"]:
                if not values.has(name):
                    if name in self.regions:
                        values.put(name, self._read_card(self.regions[name]))
                    else:
                        values.put_const(name, self.host.const(name))
            outs = [self.host.result_type(n) for n in op["outputs"]]
            try:
                values.run(op, outs)
            except CanopyError:
                raise
            except Exception as exc:  # numpy errors: name the op the host was running
                raise CanopyError(f"host op failed: {exc}", f"layer '{op['layer']}'") from None
            for name in op["outputs"]:
                card = self.host.tensors[name].get("card")
                if card is not None:  # the card reads it next: pack it into its region
                    r = self.regions[card]
                    value = np.asarray(values.get(name), np.int8)
                    packed = pack_activation(value, self.artefact.config)
                    self._dma_in(self.arena, packed.tobytes(), r.offset)


# The kind of device each target runs on: the simulated card, or an OpenCL device (as the
# accelerator card plus generated kernels for the host ops, or generated kernels alone).
TARGET_KINDS = {"sim": "sim", "accel-opencl": "opencl", "opencl": "opencl"}
DEVICES = "sim, opencl, opencl:NAME or opencl:INDEX (an OpenCL device by name substring or index)"


def artefact_target(art: Artefact) -> str:
    """The target `art` was compiled for (artefacts from before targets: the simulated card's)."""
    target = art.manifest.get("target", "sim")
    if target not in TARGET_KINDS:
        raise ArtefactError(
            f"unknown target '{target}' (this build runs {', '.join(TARGET_KINDS)})"
        )
    return target


def device_kind(device: Device | str) -> tuple[str, str | None]:
    """("sim" | "opencl" | "card", the OpenCL device's name or index) of a device argument."""
    if not isinstance(device, str):
        if isinstance(device, SimCard):
            return "sim", None
        module = type(device).__module__
        return ("opencl" if module.startswith("canopy_ir.backend.opencl") else "card"), None
    name, sep, spec = device.partition(":")
    if device == "sim":
        return "sim", None
    if name == "opencl" and (spec or not sep):
        return "opencl", spec or None
    raise CanopyError(f"device '{device}' is not available (this build offers: {DEVICES})")


def check_target(target: str, kind: str, device) -> None:
    """Refuse a device that cannot run the artefact's target, naming both. A card object runs
    any accelerator stream (sim and accel-opencl artefacts hold the same one), except that the
    simulated card is not an OpenCL device; a target-opencl artefact needs no card at all."""
    if isinstance(device, str):
        ok = TARGET_KINDS[target] == kind
    else:
        ok = target != "opencl" and not (kind == "sim" and target == "accel-opencl")
    if not ok:
        label = device if isinstance(device, str) else type(device).__name__
        want = "sim" if target == "sim" else "opencl (or opencl:NAME|INDEX)"
        raise CanopyError(
            f"the artefact was compiled for target '{target}' and cannot run on device "
            f"'{label}'; run it on device {want}, or recompile it with --target for this device"
        )


def opencl_host_values(spec: str | None):
    """The store factory that runs host ops as generated kernels on OpenCL device `spec`."""
    from canopy_ir.backend.opencl.host_values import OpenCLHost

    return OpenCLHost(spec)


def opencl_card(cfg: HwConfig, spec: str | None) -> Device:
    """The accelerator as an OpenCL kernel (backend/opencl/card.py) on device `spec`."""
    try:
        from canopy_ir.backend.opencl import OpenCLCard
    except (ImportError, AttributeError):
        raise CanopyError(
            "target accel-opencl needs the OpenCL accelerator card "
            "(canopy_ir.backend.opencl.OpenCLCard), which this build does not have"
        ) from None
    return OpenCLCard(cfg, device=spec)


def _args(regions: list[Region], host_tensors: list[dict], order: list[str]) -> list[NodeArg]:
    """NodeArgs of the card's boundary regions and the host's model tensors, in ONNX order."""
    shapes = {r.onnx_name: r.logical_shape for r in regions}
    shapes.update({t["onnx_name"]: t["shape"] for t in host_tensors})
    names = [n for n in order if n in shapes] + [n for n in shapes if n not in order]
    return [NodeArg(n, list(shapes[n])) for n in names]


def _encode_input(r: Region, value, cfg: HwConfig) -> bytes:
    x = np.asarray(value)
    if x.dtype.kind not in "fiu":
        raise CanopyError(f"input '{r.onnx_name}' must be numeric, got dtype {x.dtype}")
    if tuple(x.shape) != tuple(r.logical_shape):
        raise CanopyError(
            f"input '{r.onnx_name}' has shape {tuple(x.shape)}; the model was "
            f"compiled for {tuple(r.logical_shape)}"
        )
    q = (
        x.astype(np.int8)
        if r.scale is None
        else quantize(x.astype(np.float32), r.scale, r.zero_point)
    )
    return pack_activation(q, cfg).tobytes()


@dataclass(frozen=True)
class NodeArg:
    """onnxruntime-style description of an input or output."""

    name: str
    shape: list[int]
    type: str = "tensor(float)"


class InferenceSession:
    """onnxruntime-style entry point: `InferenceSession("model.canopy").run(None, {"input": x})`."""

    def __init__(
        self,
        path: str | Path,
        device: Device | str = "sim",
        timeout: float = 60.0,
        host_values: Callable[[], HostValues] | None = None,
    ):
        self.session = Session(path, device, timeout, host_values)

    def get_inputs(self) -> list[NodeArg]:
        return self.session.input_args

    def get_outputs(self) -> list[NodeArg]:
        return self.session.output_args

    def run(self, output_names: list[str] | None, feeds: dict[str, np.ndarray]) -> list[np.ndarray]:
        results = self.session.run(feeds)
        names = output_names or [a.name for a in self.session.output_args]
        missing = [n for n in names if n not in results]
        if missing:
            raise CanopyError(f"unknown output(s) {missing}; the model produces {list(results)}")
        return [results[n] for n in names]

    @property
    def counters(self) -> Counters:
        return self.session.counters
