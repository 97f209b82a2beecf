"""`OpenCLHostValues`: the host's part of a model run as generated OpenCL kernels, with its values
kept in device buffers (a `HostValues` store, backend/pcie/host.py).

    factory = OpenCLHost("pocl")          # a device by name substring or index (see select_device)
    Session(path, "opencl", host_values=factory)   # what Session does itself for opencl targets

Each host op is mapped to a generator (`generate`: `codegen` for convolutions, dense layers,
pooling, elementwise ops, softmax and layer norm; `host_kernels` for the quantization ops) and its
kernel is built once per op and kept by the factory, with its constant buffers (weights,
per-channel multipliers) and its output buffers, so later runs only enqueue launches. A
convolution or dense layer whose only user is its requantization (both host ops) runs as one
kernel with the requantization fused. Ops without a generator (or with parameters a generator
refuses) run in numpy (`canopy_ir.kernels`), their operands read back from the device; the
factory counts which ran where (`counts`) and why numpy ran (`fallbacks`).

Values move only where they must: a value `put` by the caller is uploaded when a kernel first
reads it, a device value is read back when `get` asks for it (a model output, a tensor the card
reads next, a numpy op's operand), and reshapes are views of the same buffer. Integer ops equal
NumpyHostValues bit for bit; float ops (softmax, layer norm, float average pooling) are within
the tolerances documented in `codegen.norm` and `codegen.pool`.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

import numpy as np

from canopy_ir.errors import CanopyError
from canopy_ir.kernels import run as run_numpy
from canopy_ir.quant import Requant

from . import host_kernels
from .codegen import binary, clip, conv2d, dense, layer_norm, pool2d, relu, softmax
from .codegen.kernel import Kernel
from .codegen.runtime import Runtime, get_runtime

LINEAR = ("graph.conv2d", "graph.dense")
REQUANTIZE = "graph.requantize"
Types = list[tuple[tuple[int, ...], str]]  # (shape, numpy dtype name) per operand or result


def requant_of(a: dict) -> Requant:
    """graph.requantize's properties as the generators take them."""
    multipliers = tuple(int(m) for m in (a.get("multipliers") or (1,)))
    return Requant(
        a["shift"], a["zero_point"], a["clip_min"], a["clip_max"], a.get("pre_shift") or 0,
        multipliers,
    )  # fmt: skip


def _linear(op: dict, ins: Types, dot: str, rq: Requant | None) -> Kernel | None:
    """graph.conv2d / graph.dense on int8 (int32 bias), optionally with its requantization."""
    (x, xt), (w, wt) = ins[:2]
    if (xt, wt) != ("int8", "int8") or (len(ins) == 3 and ins[2][1] != "int32"):
        return None
    a, bias, layer = op["attrs"], len(ins) == 3, op["layer"]
    if op["op"] == "graph.conv2d" and len(x) == 4:
        s, p, d, g = a["strides"], a["pads"], a["dilations"], a["group"]
        return conv2d(x, w, s, p, d, g, bias=bias, requant=rq, dot=dot, layer=layer)
    if op["op"] == "graph.dense" and len(x) == 2:
        return dense(x[0], w[0], x[1], bias=bias, requant=rq, dot=dot, layer=layer)
    return None


def generate(op: dict, ins: Types, outs: Types, dot: str = "mad") -> Kernel | None:
    """The kernel computing host op `op` from operands of types `ins` (None: no generator)."""
    name, a, layer = op["op"], op["attrs"], op["layer"]
    if len(outs) != 1:
        return None
    (shape, dtype), types = outs[0], [t for _, t in ins]
    if name in LINEAR:
        return _linear(op, ins, dot, None)
    if name == REQUANTIZE and types == ["int32"]:
        return host_kernels.requantize(shape, requant_of(a), layer)
    if name == "graph.quantize" and types == ["float32"]:
        return host_kernels.quantize(shape, a["scale"], a["zero_point"], dtype, layer)
    if name == "graph.dequantize" and dtype == "float32":
        return host_kernels.dequantize(shape, a["scale"], a["zero_point"], types[0], layer)
    if name == "graph.qadd" and types == ["int8", "int8"] and ins[0][0] == ins[1][0] == shape:
        keys = ("lhs_zero_point", "rhs_zero_point", "lhs_multiplier", "rhs_multiplier")
        tail = ("shift", "zero_point", "clip_min", "clip_max")
        return host_kernels.qadd(shape, *(a[k] for k in keys + tail), layer=layer)
    if name == "graph.rescale" and types == ["int8"]:
        keys = ("input_zero_point", "multiplier", "shift", "zero_point", "clip_min", "clip_max")
        return host_kernels.rescale(shape, *(a[k] for k in keys), layer=layer)
    if name == "graph.qavg_pool" and types == ["int8"] and len(shape) == 4:
        return host_kernels.qavg_pool(ins[0][0], shape[2:], a, layer)
    if name == "graph.pad" and a["mode"] == "constant" and len(ins) == 1:
        return host_kernels.pad(ins[0][0], a["pads"], a["value"], types[0], layer)
    if name == "graph.concat" and len(set(types)) == 1:
        return host_kernels.concat([s for s, _ in ins], a["axis"], types[0], layer)
    if name == "graph.pool" and len(shape) == 4:
        window = (a["kernel"], a["strides"], a["pads"], a["dilations"])
        incl = bool(a["count_include_pad"])
        return pool2d(ins[0][0], a["kind"], *window, incl, tuple(shape[2:]), types[0], layer)
    if name in ("graph.add", "graph.sub", "graph.mul") and types[0] == types[1]:
        return binary(name[len("graph.") :], ins[0][0], ins[1][0], types[0], dtype, layer)
    if name == "graph.relu":
        return relu(shape, dtype, layer)
    if name == "graph.clip":
        return clip(shape, dtype, a.get("min"), a.get("max"), layer)
    if name == "graph.softmax" and dtype == "float32":
        return softmax(shape, a["axis"], layer=layer)
    if name == "graph.layer_norm" and types[0] == "float32":
        return layer_norm(shape, a["axis"], a["epsilon"], bias=len(ins) == 3, layer=layer)
    return None


@dataclass
class Compiled:
    """One op's kernel, built, with its constant and output buffers (kept across runs)."""

    kernel: Kernel
    cl_kernel: object
    consts: dict
    outs: list
    args: tuple = ()  # the arguments last set: launches with the same buffers skip set_args


@dataclass
class DeviceValue:
    buffer: object
    shape: tuple[int, ...]
    dtype: str


@dataclass
class OpenCLHost:
    """The factory of per-run stores for one Session: the device, the built kernels of its ops,
    resident constants, the fusion plan and the counts of where ops ran. Its stores reuse the
    kernels' output buffers from run to run, so they serve one run at a time (Session's lock)."""

    device: str | int | Runtime | None = None
    options: tuple[str, ...] = ()  # extra build options for every kernel
    counts: Counter = field(default_factory=Counter)  # ("opencl" | "numpy", op name) -> runs
    fallbacks: dict = field(default_factory=dict)  # layer -> why numpy ran it
    profile: bool = False  # keep each launch's event in `events` (device time per op)

    def __post_init__(self):
        dev = self.device
        self.runtime = dev if isinstance(dev, Runtime) else get_runtime(dev)
        self.compiled: dict[tuple, Compiled | None] = {}
        self.resident: dict[str, DeviceValue] = {}  # model constants
        self.staged: dict[str, object] = {}  # input buffers, reused by every run
        self.fused: set[str] = set()  # linear outputs computed by their requantize's kernel
        self.events: list[tuple[str, object]] = []  # (op name, OpenCL event) when profiling

    def bind(self, plan) -> None:
        """Plan fusions from the host plan (backend/pcie/host.py HostPlan): a conv/dense whose
        int32 result only its graph.requantize reads, neither the card nor the caller."""
        ops = plan.plan["ops"]
        readers = Counter(name for op in ops for name in op["inputs"])
        for op in ops:
            if op["op"] == REQUANTIZE:
                (src,) = op["inputs"]
                t = plan.tensors.get(src, {})
                producer = [p for p in ops if src in p["outputs"]]
                ok = t.get("role") == "value" and "card" not in t and readers[src] == 1
                if ok and len(producer) == 1 and producer[0]["op"] in LINEAR:
                    self.fused.add(src)

    def __call__(self) -> OpenCLHostValues:
        return OpenCLHostValues(self)

    @property
    def name(self) -> str:
        return self.runtime.name

    def kernel_for(self, key: tuple, make) -> Compiled | None:
        """The op's built kernel (None: numpy runs it), made by `make()` on first use."""
        if key not in self.compiled:
            self.compiled[key] = None
            try:
                kernel = make()
            except CanopyError as e:  # a generator refusing these parameters
                self.fallbacks[f"{key[0]} ({key[1]})"] = str(e).splitlines()[0]
                return None
            if kernel is None:
                self.fallbacks[f"{key[0]} ({key[1]})"] = "no OpenCL generator for these operands"
                return None
            self.compiled[key] = self._build(kernel)
        return self.compiled[key]

    def _build(self, kernel: Kernel) -> Compiled:
        import dataclasses

        rt, cl = self.runtime, self.runtime.cl
        if self.options:
            kernel = dataclasses.replace(kernel, options=(*kernel.options, *self.options))
        cl_kernel = cl.Kernel(rt.program(kernel), kernel.name)
        consts = {
            b.name: rt.upload(kernel.consts[b.name]) for b in kernel.buffers if b.role == "const"
        }
        flags = cl.mem_flags.READ_WRITE
        outs = [cl.Buffer(rt.context, flags, max(b.nbytes, 1)) for b in kernel.outputs]
        return Compiled(kernel, cl_kernel, consts, outs)

    def upload(self, name: str, value: np.ndarray, const: bool) -> object:
        """A device copy of `value`: constants once per session, other values into a buffer
        kept per name (so the kernels' arguments stay the same from run to run)."""
        rt, cl = self.runtime, self.runtime.cl
        if const:
            if name not in self.resident:
                v = np.asarray(value)
                self.resident[name] = DeviceValue(rt.upload(v), v.shape, v.dtype.name)
            return self.resident[name].buffer
        value = np.ascontiguousarray(value)
        buf = self.staged.get(name)
        if buf is None or buf.size != max(value.nbytes, 1):
            buf = cl.Buffer(rt.context, cl.mem_flags.READ_ONLY, max(value.nbytes, 1))
            self.staged[name] = buf
        cl.enqueue_copy(rt.queue, buf, value)
        return buf


class OpenCLHostValues:
    """One run's values: numpy arrays where the caller put them or numpy made them, device
    buffers where kernels made them, and conv/dense results left for their fused requantize."""

    def __init__(self, host: OpenCLHost):
        self.f = host
        self.host: dict[str, np.ndarray] = {}
        self.device: dict[str, DeviceValue] = {}
        self.consts: set[str] = set()
        self.pending: dict[str, tuple[dict, Types]] = {}

    def has(self, name: str) -> bool:
        return name in self.host or name in self.device or name in self.pending

    def put(self, name: str, value: np.ndarray) -> None:
        self.host[name] = np.asarray(value)
        self.device.pop(name, None)

    def put_const(self, name: str, value: np.ndarray) -> None:
        """A model constant (the same array every run): uploaded once per session."""
        self.put(name, value)
        self.consts.add(name)

    def get(self, name: str) -> np.ndarray:
        if name in self.pending:  # asked for after all: compute it unfused
            self._compute(*self.pending.pop(name))
        if name not in self.host:
            v = self.device[name]
            out = np.empty(v.shape, v.dtype)
            self.f.runtime.cl.enqueue_copy(self.f.runtime.queue, out, v.buffer)
            self.host[name] = out
        return self.host[name]

    def _type(self, name: str) -> tuple[tuple[int, ...], str]:
        if name in self.device:
            v = self.device[name]
            return tuple(v.shape), v.dtype
        if name in self.pending:
            return tuple(self.pending[name][1][0][0]), self.pending[name][1][0][1]
        return tuple(self.host[name].shape), self.host[name].dtype.name

    def _buffer(self, name: str) -> object:
        if name in self.pending:  # read by another op after all: compute it on its own
            self._compute(*self.pending.pop(name))
        if name not in self.device:
            v = self.host[name]
            buf = self.f.upload(name, v, name in self.consts)
            self.device[name] = DeviceValue(buf, tuple(v.shape), v.dtype.name)
        return self.device[name].buffer

    def run(self, op: dict, outputs: Types) -> None:
        outputs = [(tuple(s), str(d)) for s, d in outputs]
        kind, ins, result = op["op"], op["inputs"], op["outputs"][0]
        if kind in LINEAR and result in self.f.fused:
            self.pending[result] = (op, outputs)  # its requantize computes it
            return
        if kind == "graph.reshape" and ins[0] in self.device:  # a view: no data moves
            v = self.device[ins[0]]
            self.device[result] = DeviceValue(v.buffer, outputs[0][0], v.dtype)
            self.f.counts["opencl", kind] += 1
            return
        if kind == REQUANTIZE and ins[0] in self.pending:
            # The int32 result stays pending: computed only if someone asks for it after all.
            if self._launch(self.pending[ins[0]][0], outputs, [result], rq_op=op):
                return
            self._compute(*self.pending.pop(ins[0]))  # no fused kernel: one after the other
        self._compute(op, outputs)

    def _compute(self, op: dict, outputs: Types) -> None:
        if not self._launch(op, outputs, op["outputs"]):
            self._numpy(op, outputs)

    def _launch(self, op: dict, outs: Types, names: list[str], rq_op: dict | None = None) -> bool:
        """Run `op` (with `rq_op`'s requantization fused) as its kernel, its results named
        `names`; False: it has no kernel."""
        ins = [self._type(n) for n in op["inputs"]]
        key = (op["layer"], op["op"], tuple(names), rq_op is not None)
        dot = self.f.runtime.dot

        def make():
            if rq_op is not None:
                return _linear(op, ins, dot, requant_of(rq_op["attrs"]))
            return generate(op, ins, outs, dot)

        c = self.f.kernel_for(key, make)
        if c is None:
            return False
        if not _fits(c.kernel, ins, outs):
            where = f"{op['layer']} ({op['op']})"
            self.f.fallbacks[where] = "operand types differ from the compiled kernel's"
            return False
        given = iter([self._buffer(n) for n in op["inputs"]])
        made = iter(c.outs)
        args = tuple(
            next(given) if b.role == "in" else c.consts[b.name] if b.role == "const" else next(made)
            for b in c.kernel.buffers
        )
        if args != c.args:
            c.cl_kernel.set_args(*args)
            c.args = args
        k, rt = c.kernel, self.f.runtime
        event = rt.cl.enqueue_nd_range_kernel(rt.queue, c.cl_kernel, k.global_size, k.local_size)
        if self.f.profile:
            self.f.events.append((op["op"] + ("+requantize" if rq_op else ""), event))
        for name, b, buf in zip(names, k.outputs, c.outs, strict=True):
            self.device[name] = DeviceValue(buf, tuple(b.shape), b.dtype)
            self.host.pop(name, None)
        self.f.counts["opencl", op["op"] + ("+requantize" if rq_op else "")] += 1
        return True

    def _numpy(self, op: dict, outputs: Types) -> None:
        args = [self.get(n) for n in op["inputs"]]
        results = run_numpy(op["op"], op["attrs"], args, outputs)
        for name, value in zip(op["outputs"], results, strict=True):
            self.put(name, value)
        self.f.counts["numpy", op["op"]] += 1


def _fits(kernel: Kernel, ins: Types, outs: Types) -> bool:
    """The kernel's operand and result types are these (checked on every launch: a store may be
    handed values of other shapes than the ones its kernels were built for)."""
    want = [(tuple(b.shape), b.dtype) for b in kernel.inputs]
    got = [(tuple(s), d) for s, d in outs]
    return (
        want == [(tuple(s), d) for s, d in ins]
        and [(tuple(b.shape), b.dtype) for b in kernel.outputs] == got
    )
