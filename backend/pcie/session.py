"""Run compiled models on a card: weights, micro-ops and instructions are uploaded once and stay
resident; each `run` moves only the inputs in and the outputs out.

The artefact's DRAM addresses are relative to its arena; the session relocates them to where the
arena lands in card memory (the loader's job on any system without shared virtual memory).

What the session keeps on the card is a `ResidentImage` (resident.py). A run that fails on the
card (timeout, DMA error, a reset, data that no longer matches its checksum) frees it, and so
does a card restart; the next run uploads it again (`counters.uploads` counts uploads), so one
fault costs one failed run. `close()` frees it for good.

The artefact's target says which devices may run it (targets.py). With OpenCL host values, the
"host" seconds count enqueuing kernels; waiting for them lands in "output".
"""

from __future__ import annotations

import threading
import time
import weakref
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from canopy_ir.artefact import Artefact
from canopy_ir.backend.pcie.device import (
    CHECK_ENTRY,
    CTRL_START,
    CTRL_VERIFY,
    REG_CHECK_ADDR,
    REG_CHECK_COUNT,
    REG_CTRL,
    REG_INSN_ADDR,
    REG_INSN_COUNT,
    Device,
    DevicePtr,
)
from canopy_ir.backend.pcie.host import HostPlan, HostValues, NumpyHostValues, encode_card_input
from canopy_ir.backend.pcie.resident import ResidentImage, relocate
from canopy_ir.backend.pcie.targets import (
    DEVICES,
    TARGET_KINDS,
    artefact_target,
    check_target,
    device_kind,
    make_card,
    opencl_card,
    opencl_host_values,
)
from canopy_ir.errors import ArtefactError, CanopyError, DeviceError
from canopy_ir.hw import isa
from canopy_ir.hw.layout import pack_activation, unpack_activation
from canopy_ir.hw.program import Region
from canopy_ir.quant import dequantize

# the device-string helpers lived here before targets.py: importable from here as before
__all__ = [
    "DEVICES",
    "TARGET_KINDS",
    "Counters",
    "InferenceSession",
    "NodeArg",
    "Session",
    "artefact_target",
    "check_target",
    "device_kind",
    "opencl_card",
    "opencl_host_values",
    "relocate",
]

# One lock per card, so sessions sharing a card never interleave their commands; weak keys, so
# a card's lock goes with the card (by id for a card that cannot be weakly referenced).
_CARD_LOCKS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
_CARD_LOCKS_BY_ID: dict[int, threading.Lock] = {}
_CARD_LOCKS_GUARD = threading.Lock()


def card_lock(device: Device) -> threading.Lock:
    with _CARD_LOCKS_GUARD:
        try:
            return _CARD_LOCKS.setdefault(device, threading.Lock())
        except TypeError:
            return _CARD_LOCKS_BY_ID.setdefault(id(device), threading.Lock())


@dataclass
class Counters:
    runs: int = 0
    uploads: int = 0  # the model put on the card: once, and again after each failed run
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
        *,
        verify: bool = True,
    ):
        """`device`: "sim", "sim-process" (the simulated card in a process of its own, ended
        by `close`), "opencl" or "opencl:NAME|INDEX" (an OpenCL device by name substring or
        index; default $CANOPY_OPENCL_DEVICE, else the first GPU), or a `Device`; it must suit
        the target the artefact was compiled for. `host_values` makes the store the host ops
        run in for one run (default: numpy for sim, generated OpenCL kernels on the OpenCL
        device otherwise). `verify`: the card checks the uploaded weights, micro-ops and
        instructions against their checksums before each run (on cards that can)."""
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
        self.closed, self._owns_device = False, False
        self.image: ResidentImage | None = None
        self.counters = Counters()
        self._pinned: dict[str, np.ndarray] = {}  # region name -> pinned staging (some cards)
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
        self._owns_device = isinstance(device, str)  # made here: closed with the session
        self.device = device = make_card(device, cfg, spec) if self._owns_device else device
        try:
            card_cfg = getattr(device, "config", cfg)
            if card_cfg != cfg:
                raise DeviceError(
                    "the artefact was compiled for a different hardware configuration "
                    "than the card implements; recompile with the card's vta_config.json"
                )
            self.lock = card_lock(device)
            # a card with pinned host memory moves inputs and outputs by DMA alone, from
            # buffers kept for the session (from ordinary memory the bus waits on a host copy)
            if hasattr(device, "pinned_array"):
                regions = (*self.inputs, *self.outputs)
                self._pinned = {r.name: device.pinned_array(r.nbytes) for r in regions}
            self.image = ResidentImage(art, device, verify)
            with self.lock:
                self._upload()
        except BaseException:
            self._close_device()
            raise

    @property
    def arena(self) -> DevicePtr | None:
        return self.image.arena if self.image is not None else None

    @property
    def insn_buf(self) -> DevicePtr | None:
        return self.image.insn_buf if self.image is not None else None

    def _upload(self) -> None:
        t = time.perf_counter()
        self.image.upload(self._dma_in)
        self.counters.uploads += 1
        self.counters.seconds["upload"] += time.perf_counter() - t

    def _dma_in(self, ptr, data: bytes, offset: int) -> None:
        self.device.dma_to_device(ptr, data, offset)
        self.counters.bytes_to_device += len(data)

    def close(self) -> None:
        """Free everything the session holds on its card (and end a card it made itself).
        Closing twice is harmless; running after closing is an error."""
        with self.lock:
            if self.closed:
                return
            self.closed = True
            if self.image is not None:
                self.image.release()
        self._close_device()

    def _close_device(self) -> None:
        if self._owns_device and hasattr(self.device, "close"):
            self.device.close()

    def __enter__(self) -> Session:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

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
        seconds = dict.fromkeys(("input", "execute", "host", "output"), 0.0)
        with self.lock:
            if self.closed:
                raise CanopyError("the session is closed")
            if self.image is not None and not self.image.valid:
                self._upload()  # the last run failed, or the card restarted since
            try:
                results = self._run_locked(feeds, seconds)
            except DeviceError:
                if self.image is not None:  # the card's copy is suspect: upload it next run
                    self.image.release()
                raise
        c = self.counters
        c.runs += 1
        c.instructions += self.artefact.insn_count if self.device is not None else 0
        for key, dt in seconds.items():
            c.seconds[key] = c.seconds.get(key, 0.0) + dt
        return results

    def _run_locked(self, feeds: dict[str, np.ndarray], seconds: dict[str, float]) -> dict:
        """`run`'s work on the card and host, holding the card's lock; times go to `seconds`."""
        cfg = self.artefact.config
        t = time.perf_counter()
        for r in self.inputs:
            data, staged = encode_card_input(r, feeds[r.onnx_name], cfg), self._pinned.get(r.name)
            if staged is not None:
                staged[:], data = np.frombuffer(data, np.uint8), staged
            self._dma_in(self.arena, data, r.offset)
        values = self.host_values()
        # a store on a device (generated OpenCL kernels) counts the bytes its values move
        store_moved = getattr(self.host_values, "transfers", None)
        store_before = dict(store_moved) if store_moved is not None else {}
        for name, value in self.host.inputs(feeds).items():
            values.put(name, value)
        seconds["input"] += time.perf_counter() - t
        # with no card, a store may repeat an earlier run's work (OpenCL: replay.py)
        t = time.perf_counter()
        replay = getattr(values, "replay", None) if self.device is None else None
        replayed = replay is not None and replay()
        seconds["host"] += time.perf_counter() - t
        for k, (first, end) in enumerate(self.segments):
            t = time.perf_counter()
            if not replayed:
                self._run_host(k, values)
            t1 = time.perf_counter()
            if self.device is not None:
                self._launch(first, end, verify=k == 0)
            seconds["host"] += t1 - t
            seconds["execute"] += time.perf_counter() - t1
        t = time.perf_counter()
        if not replayed:
            self._run_host(len(self.segments), values)
        t1 = time.perf_counter()
        results = {}
        for r in self.outputs:
            q = self._read_card(r)
            results[r.onnx_name] = q if r.scale is None else dequantize(q, r.scale, r.zero_point)
        for name, t_ in self.host.tensors_named("output"):
            results[t_["onnx_name"]] = values.get(name)
        if hasattr(values, "done"):
            values.done()
        seconds["host"] += t1 - t
        seconds["output"] += time.perf_counter() - t1
        if store_moved is not None:
            c = self.counters
            c.bytes_to_device += store_moved["to_device"] - store_before.get("to_device", 0)
            c.bytes_from_device += store_moved["from_device"] - store_before.get("from_device", 0)
        return results

    def _launch(self, first: int, end: int, verify: bool = False) -> None:
        """Run instructions [first, end) on the card and wait for its FINISH; `verify`: the
        card checks the uploaded data first (once per run: the first segment's launch)."""
        if hasattr(self.device, "layers"):  # a simulated card can attribute cycles to layers
            self.device.layers = self.layers[first:end]
        self.device.write_reg(REG_INSN_ADDR, self.insn_buf.addr + first * isa.INSN_BYTES)
        self.device.write_reg(REG_INSN_COUNT, end - first)
        ctrl = CTRL_START
        table = self.image.check_table
        if verify and table is not None:
            self.device.write_reg(REG_CHECK_ADDR, table.addr)
            self.device.write_reg(REG_CHECK_COUNT, table.nbytes // CHECK_ENTRY.itemsize)
            ctrl |= CTRL_VERIFY
        self.device.write_reg(REG_CTRL, ctrl)
        try:
            self.device.wait(self.timeout)
        except DeviceError:
            self.device.reset()
            raise

    def _read_card(self, r: Region) -> np.ndarray:
        """A card tensor in its logical shape (int8), moved across PCIe."""
        staged = self._pinned.get(r.name)  # (copied out: the buffer is the next run's)
        if staged is not None:
            self.device.dma_from_device(self.arena, r.nbytes, r.offset, out=staged)
        raw = (
            self.device.dma_from_device(self.arena, r.nbytes, r.offset)
            if staged is None
            else staged.tobytes()
        )
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


def _args(regions: list[Region], host_tensors: list[dict], order: list[str]) -> list[NodeArg]:
    """NodeArgs of the card's boundary regions and the host's model tensors, in ONNX order."""
    shapes = {r.onnx_name: r.logical_shape for r in regions}
    shapes.update({t["onnx_name"]: t["shape"] for t in host_tensors})
    names = [n for n in order if n in shapes] + [n for n in shapes if n not in order]
    return [NodeArg(n, list(shapes[n])) for n in names]


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
        *,
        verify: bool = True,
    ):
        self.session = Session(path, device, timeout, host_values, verify=verify)

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

    def close(self) -> None:
        self.session.close()

    def __enter__(self) -> InferenceSession:
        return self

    def __exit__(self, *exc) -> None:
        self.close()
