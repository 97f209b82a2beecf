"""`OpenCLHostValues`: the host's part of a model run as generated OpenCL kernels, with its values
kept in device buffers (a `HostValues` store, backend/pcie/host.py).

    factory = OpenCLHost("pocl")          # a device by name substring or index (see pick_device)
    Session(path, "opencl", host_values=factory)   # what Session does itself for opencl targets

`bind` plans once per model (host_plan.py): convolutions fused with their requantization and a
following residual add, and which values stay channels-last. Each op (or fused chain) gets its
kernel from `host_ops` on first use; the factory keeps it built, with its constant, scratch and
output buffers, so later runs only enqueue launches, with no wait between them: the first wait
of a run is the read of its first result. Ops without a generator (or with parameters a
generator refuses), and float reductions unless `float_kernels`, run in numpy
(`canopy_ir.kernels`), their operands read back from the device; the factory counts which ran
where (`counts`) and why numpy ran (`fallbacks`).

Values move only where they must: a value `put` by the caller is uploaded (through pinned
memory, staging.py) when a kernel first reads it, a device value is read back when `get` asks
for it (a model output, a tensor the card reads next, a numpy op's operand), reshapes are views
of the same buffer, and a value in another layout than a kernel reads is converted once per run
(on the device; constants once per session, on the host). `transfers` counts the bytes of values
crossing the bus (model constants apart). Integer ops equal NumpyHostValues bit for bit, and so
do float ops unless `float_kernels` (softmax, layer norm and float averages then are within the
tolerances documented in `codegen.norm` and `codegen.pool`).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

import numpy as np

from canopy_ir.errors import CanopyError
from canopy_ir.kernels import run as run_numpy

from .codegen.layout import NCHW, Layout, convert, pack, unpack
from .codegen.runtime import Runtime, get_runtime
from .command_buffer import CommandBuffers, Sequencer
from .enqueue import DirectLaunches
from .host_compiled import Compiled, DeviceValue, Memo, Types, build, dtype_name, fits
from .host_ops import Target, float_reason, generate, linear
from .host_plan import LINEAR, QADD, REQUANTIZE, FusionPlan, plan_fusions
from .replay import Replayable, RunRecorder
from .staging import PinnedStaging

Chain = list[tuple[dict, Types]]  # ops fused into one kernel, each with its result types


@dataclass
class OpenCLHost:
    """The factory of per-run stores for one Session: the device, the built kernels of its ops,
    resident constants, the fusion and layout plan, transfer counts and where ops ran. Its
    stores reuse the kernels' output buffers from run to run, so they serve one run at a time
    (Session's lock). `conv_engine`, `emulate_mma`, `float_kernels`: see host_ops.Target."""

    device: str | int | Runtime | None = None
    options: tuple[str, ...] = ()  # extra build options for every kernel
    counts: Counter = field(default_factory=Counter)  # ("opencl" | "numpy", op name) -> runs
    fallbacks: dict = field(default_factory=dict)  # layer -> why numpy ran it
    profile: bool = False  # keep each launch's event in `events` (device time per op)
    conv_engine: str = "auto"
    emulate_mma: bool = False
    float_kernels: bool = False
    graphs: bool = True  # replay recorded launch sequences where the device can (not profiling)
    direct_launches: bool = True  # replays launch via enqueue.py (not profiling, no sequences)

    def __post_init__(self):
        dev = self.device
        self.runtime = dev if isinstance(dev, Runtime) else get_runtime(dev)
        rt, cl = self.runtime, self.runtime.cl
        self.target = Target(
            rt.dot, rt.is_nvidia, rt.device.max_compute_units, self.conv_engine,
            self.emulate_mma, self.float_kernels,
        )  # fmt: skip
        self.compiled: dict[tuple, Compiled | None] = {}
        self.resident: dict[tuple[str, Layout], object] = {}  # model constants, per layout
        self.staged: dict[tuple[str, Layout], object] = {}  # buffers of uploaded values
        self.plan = FusionPlan()
        self.events: list[tuple[str, object]] = []  # (label, OpenCL event) when profiling
        self.memo: dict[tuple, Memo] = {}  # (id(op), fused ops, residual) -> Memo
        self.transfers: Counter = Counter()  # bytes "to_device" / "from_device", per value
        # Runs enqueue on a queue without profiling (NVIDIA's OpenCL spends microseconds per
        # command on timestamps); `profile` runs on the runtime's profiling queue.
        self.plain_queue = cl.CommandQueue(rt.context, rt.device)
        self.queue = rt.queue if self.profile else self.plain_queue
        bus = not rt.device.type & cl.device_type.CPU
        self.stage = PinnedStaging(rt.context, self.queue, pinned=bus)
        # Launches wait until a segment of them is there or the host needs the device (a read,
        # an upload): a sequence seen before runs as one recorded command.
        self.sequences = CommandBuffers(self.plain_queue, rt.device) if self.graphs else None
        usable = self.sequences is not None and self.sequences.available
        self.sequencer = Sequencer(self.sequences, self.plain_queue) if usable else None
        self.recorder = RunRecorder()  # runs' device actions, replayed without the plan walk
        self.direct = DirectLaunches(self.plain_queue) if self.direct_launches else None

    @property
    def fused(self) -> set[str]:
        """conv/dense results computed by their requantize's kernel."""
        return self.plan.into_requantize

    def pinned_array(self, nbytes: int) -> np.ndarray:
        """Pinned host memory (uint8): a value put from it is uploaded by DMA alone."""
        return self.stage.host_array(nbytes)

    def bind(self, plan) -> None:
        """Plan fusions and layouts from the host plan (backend/pcie/host.py HostPlan)."""
        self.plan = plan_fusions(plan)

    def __call__(self) -> OpenCLHostValues:
        self.flush()
        queue = self.runtime.queue if self.profile else self.plain_queue
        if queue is not self.queue:  # one queue per run: the other one drained first
            self.stage.drain()
            self.queue.finish()
            self.queue = self.stage.queue = queue
        return OpenCLHostValues(self)

    @property
    def name(self) -> str:
        return self.runtime.name

    def kernel_for(self, key: tuple, where: str, make) -> Compiled | None:
        """The built kernel of `key` (None: numpy runs it), made by `make()` on first use."""
        if key not in self.compiled:
            self.compiled[key] = None
            try:
                kernel = make()
            except CanopyError as e:  # a generator refusing these parameters
                self.fallbacks[where] = str(e).splitlines()[0]
                return None
            if kernel is None:
                self.fallbacks[where] = "no OpenCL generator for these operands"
                return None
            self.compiled[key] = build(self.runtime, self.queue, kernel, key[1], self.options)
        return self.compiled[key]

    def upload(self, name: str, value: np.ndarray, layout: Layout, const: bool) -> object:
        """A device copy of `value` arranged as `layout`: constants once per session, other
        values into a buffer kept per name (so the kernels' arguments stay the same from run to
        run), through pinned memory."""
        rt, cl = self.runtime, self.runtime.cl
        if const:
            key = (name, layout)
            if key not in self.resident:
                self.resident[key] = rt.upload(pack(layout, value))
            return self.resident[key]
        self.flush()  # the copy lands after every launch before it
        data = pack(layout, value)
        buf = self.staged.get((name, layout))
        if buf is None or buf.size != max(data.nbytes, 1):
            buf = cl.Buffer(rt.context, cl.mem_flags.READ_WRITE, max(data.nbytes, 1))
            self.staged[(name, layout)] = buf
        self.stage.write(buf, data)
        self.transfers["to_device"] += data.nbytes
        self.recorder.note("upload", name, layout)
        return buf

    def launch(self, c: Compiled, args: tuple) -> None:
        """Run `c` with `args`, after everything launched before (no wait)."""
        self.recorder.note("launch", c, args)
        last = c.args
        if args is not last and (
            len(args) != len(last) or any(a is not b for a, b in zip(args, last, strict=True))
        ):
            c.cl_kernel.set_args(*args)
            c.args = args
            c.version += 1
        self.counts["opencl", c.label] += 1
        if self.profile or self.sequencer is None:
            k = c.kernel
            event = self.runtime.cl.enqueue_nd_range_kernel(
                self.queue, c.cl_kernel, k.global_size, k.local_size
            )
            if self.profile:
                self.events.append((c.label, event))
            return
        self.sequencer.add(c)

    def flush(self) -> None:
        """Enqueue the launches held back (see command_buffer.Sequencer)."""
        if self.sequencer is not None:
            self.sequencer.flush()

    @property
    def replays(self) -> int:
        return self.sequencer.replays if self.sequencer is not None else 0


class OpenCLHostValues(Replayable):
    """One run's values: numpy arrays where the caller put them or numpy made them, device
    buffers where kernels made them, and results left pending for the kernel they fuse into."""

    def __init__(self, host: OpenCLHost):
        self.f = host
        self.host: dict[str, np.ndarray] = {}
        self.device: dict[str, DeviceValue] = {}
        self.views: dict[str, dict[Layout, object]] = {}  # converted copies, this run
        self.consts: set[str] = set()
        self.pending: dict[str, Chain] = {}

    def has(self, name: str) -> bool:
        return name in self.host or name in self.device or name in self.pending

    def put(self, name: str, value: np.ndarray) -> None:
        self.host[name] = value if isinstance(value, np.ndarray) else np.asarray(value)
        self.device.pop(name, None)
        if self.views:  # converted copies of the old value
            self.views.pop(name, None)

    def put_const(self, name: str, value: np.ndarray) -> None:
        """A model constant (the same array every run): uploaded once per session."""
        self.put(name, value)
        self.consts.add(name)

    def get(self, name: str) -> np.ndarray:
        if name in self.pending:  # asked for after all: compute it unfused
            self._materialize(name)
        if name not in self.host:
            v = self.device[name]
            self.f.flush()
            raw = np.empty(v.layout.physical(v.shape), v.dtype)
            self.f.stage.read(v.buffer, raw)
            self.f.transfers["from_device"] += raw.nbytes
            self.host[name] = unpack(v.layout, raw, v.shape)
        return self.host[name]

    def _type(self, name: str) -> tuple[tuple[int, ...], str]:
        v = self.device.get(name)
        if v is not None:
            return v.shape, v.dtype
        if name in self.pending:
            shape, dtype = self.pending[name][-1][1][0]
            return tuple(shape), str(dtype)
        a = self.host[name]
        return a.shape, dtype_name(a.dtype)

    def _sig(self, name: str) -> tuple:
        """(shape, dtype, layout or None) of a value: what decides its kernel."""
        v = self.device.get(name)
        if v is not None:
            return v.shape, v.dtype, v.layout
        return (*self._type(name), None)

    def _layout(self, name: str) -> Layout | None:
        v = self.device.get(name)
        return v.layout if v is not None else None

    def _buffer(self, name: str, layout: Layout | None) -> object:
        """`name`'s device buffer arranged as `layout` (None: row-major)."""
        want = layout or NCHW
        if name in self.pending:  # read by another op after all: compute it on its own
            self._materialize(name)
        v = self.device.get(name)
        if v is not None and v.layout == want:
            return v.buffer
        if name in self.consts:  # resident, one copy per layout
            return self.f.upload(name, self.host[name] if v is None else self.get(name), want, True)
        view = self.views.get(name, {}).get(want)
        if view is not None:
            return view
        if v is not None:
            if want.kind != "ohwi" and len(v.shape) == 4:
                view = self._convert(name, v, want)
            else:  # no kernel for this arrangement: through the host, once per run
                view = self.f.upload(name, self.get(name), want, False)
        else:
            view = self.f.upload(name, self.host[name], want, False)
            if want == NCHW:
                arr = self.host[name]
                self.bind(name, DeviceValue(view, arr.shape, dtype_name(arr.dtype)), False)
                return view
        self.views.setdefault(name, {})[want] = view
        return view

    def _convert(self, name: str, v: DeviceValue, want: Layout) -> object:
        key = ("convert", "layout conversion", name, v.layout, want, v.shape, v.dtype)
        c = self.f.kernel_for(key, name, lambda: convert(v.shape, v.dtype, v.layout, want))
        self.f.launch(c, (v.buffer, c.outs[0]))
        return c.outs[0]

    def run(self, op: dict, outputs: Types) -> None:
        kind, ins, result = op["op"], op["inputs"], op["outputs"][0]
        plan = self.f.plan
        if kind in LINEAR and result in plan.into_requantize:
            self.pending[result] = [(op, outputs)]  # its requantize computes it
            return
        # Fused results stay pending: computed on their own only if asked for after all.
        if kind == REQUANTIZE and ins[0] in self.pending and len(self.pending[ins[0]]) == 1:
            chain = [*self.pending[ins[0]], (op, outputs)]
            if result in plan.into_add and chain[0][0]["op"] == "graph.conv2d":
                self.pending[result] = chain  # the residual add computes it
                return
            if self._launch(chain, [result]):
                return
            self._materialize(ins[0])  # no fused kernel: one after the other
        if kind == QADD:
            for side, name in enumerate(ins):
                chain = self.pending.get(name)
                if chain is not None and len(chain) == 2:
                    other = ins[1 - side]
                    if self._launch([*chain, (op, outputs)], [result], (other, side)):
                        return
        if kind == "graph.reshape" and self._reshape(ins[0], result, outputs[0]):
            return
        self._compute(op, outputs)

    def _reshape(self, src: str, result: str, out: tuple) -> bool:
        """A view of the same buffer, where the bytes are already in row-major order."""
        if src in self.pending:
            self._materialize(src)
        v = self.device.get(src)
        if v is None:
            return False
        lay = v.layout
        flat = lay.kind == "nhwc" and v.shape[2:] == (1, 1) and lay.cp == v.shape[1]
        buffer = v.buffer if lay == NCHW or flat else self._buffer(src, NCHW)
        self.bind(result, DeviceValue(buffer, tuple(out[0]), v.dtype), True)
        self.f.counts["opencl", "graph.reshape"] += 1
        self.f.recorder.note("count", ("opencl", "graph.reshape"))
        return True

    def _materialize(self, name: str) -> None:
        chain = self.pending.pop(name)
        if not self._launch(chain, [name]):
            for op, outputs in chain:
                self._compute(op, outputs)

    def _compute(self, op: dict, outputs: Types) -> None:
        if not self._launch([(op, outputs)], op["outputs"]):
            self.compute_in_numpy(op, outputs)

    def _launch(self, chain: Chain, names: list[str], residual=None) -> bool:
        """Run the ops of `chain` fused as one kernel (with the residual add's other operand
        `residual` = (name, side of the convolution's result)), its results named `names`;
        False: it has no kernel."""
        first = chain[0][0]
        memo_key = (id(first), len(chain), residual)
        memo = self.f.memo.get(memo_key)
        device, host = self.device, self.host
        if memo is not None and memo.op is first and memo.probes is not None:
            for name, value, shape in memo.probes:
                if value is None:  # a resident constant of the same shape
                    if name not in self.consts or host[name].shape != shape:
                        break
                elif device.get(name) is not value:
                    break
            else:  # the same operands as when the arguments were worked out
                self._launch_into(memo, names)
                return True
        if memo is not None and memo.op is first:
            in_names = memo.in_names
        else:
            in_names = list(first["inputs"]) + ([residual[0]] if residual else [])
        sig = tuple([self._sig(n) for n in in_names])
        if memo is None or memo.op is not first or memo.sig != sig:
            memo = Memo(first, in_names, sig, self._kernel(chain, names, residual, sig))
            self.f.memo[memo_key] = memo
        c = memo.compiled
        if c is None:
            return False
        args = list(c.template)
        probes = []
        for slot, name, layout in zip(c.slots, in_names, c.layouts, strict=True):
            v = device.get(name)
            if v is not None and v.layout == layout:
                args[slot] = v.buffer
                probes.append((name, v, None))
                continue
            args[slot] = self._buffer(name, layout)
            const = name in self.consts and name not in device
            probes.append((name, None, host[name].shape) if const else None)
        memo.args = tuple(args)
        memo.probes = None if None in probes else probes
        self._launch_into(memo, names)
        return True

    def _launch_into(self, memo: Memo, names: list[str]) -> None:
        """Launch a memo's kernel on its arguments; its results become the values `names`, on
        the device (any host copy of them is stale)."""
        c = memo.compiled
        self.f.launch(c, memo.args)
        for name, value in zip(names, c.values, strict=True):
            self.bind(name, value, True)

    def _kernel(self, chain: Chain, names: list[str], residual, sig: tuple) -> Compiled | None:
        """The built kernel of a chain whose operands have signature `sig` (None: numpy)."""
        first = chain[0][0]
        ins = [(shape, dtype) for shape, dtype, _ in sig]
        layouts = [layout for _, _, layout in sig]
        kinds = tuple(op["op"] for op, _ in chain)
        label = "+".join([kinds[0], *(k.split(".")[-1] for k in kinds[1:])])
        outs = [(tuple(shape), str(dtype)) for shape, dtype in chain[-1][1]]
        nhwc_out = names[0] in self.f.plan.nhwc
        key = (first["layer"], label, tuple(names), sig, nhwc_out)
        target = self.f.target

        def make():
            reason = float_reason(first, ins, target)
            if reason is not None:
                raise CanopyError(reason)
            if len(chain) > 1 or first["op"] in LINEAR:
                ops = [op for op, _ in chain]
                side = residual[1] if residual else None
                kernel = linear(ops, ins[: len(first["inputs"])], nhwc_out, target, side)
            else:
                kernel = generate(first, ins, outs, layouts, nhwc_out, target)
            if kernel is not None and not fits(kernel, ins, outs):
                raise CanopyError("operand types differ from the generated kernel's")
            return kernel

        return self.f.kernel_for(key, f"{first['layer']} ({label})", make)

    def compute_in_numpy(self, op: dict, outputs: Types) -> None:
        args = [self.get(n) for n in op["inputs"]]  # (launching what they wait for first)
        consts = tuple((n, self.host[n]) for n in op["inputs"] if n in self.consts)
        self.f.recorder.note("numpy", op, outputs, consts)
        results = run_numpy(op["op"], op["attrs"], args, outputs)
        for name, value in zip(op["outputs"], results, strict=True):
            self.put(name, value)
        self.f.counts["numpy", op["op"]] += 1
