"""Repeating a run of the OpenCL host store without walking the host plan again.

A run of `OpenCLHostValues` (host_values.py) walks the model's host ops in Python: fusions,
layouts, memoised kernel arguments — some microseconds an op, as much as the launches themselves
at batch 1. What reaches the device is a short list of actions:

- ("upload", name, layout): a host value into its staged buffer;
- ("launch", compiled, args): a kernel on buffers kept from run to run;
- ("bind", name, device value, drop host copy): a name now stands for a device buffer;
- ("numpy", op, outputs, constants): an op left to numpy, and the constants it reads;
- ("count", key): an op done without a launch (a reshape as a view), for the store's counts.

Where launches go straight to the queue (no profiling, no recorded command sequences), a
script's launches are replayed through kernels of their own with their arguments set once
(enqueue.py): one `clEnqueueNDRangeKernel` call each, no event, no argument checks.

`RunRecorder` keeps that list for a run. Once two runs in a row with the same input types gave
the same list (the same kernels, the same argument buffers), later runs with those input types
replay it (`replay`) instead of walking the plan. Every buffer a replayed action names is one the
walk would use again (the store keeps kernels' outputs, staged uploads and constants for the
session), so a replayed run computes what a walked run does, bit for bit.
"""

from __future__ import annotations

from canopy_ir.errors import CanopyError

Action = tuple
Script = tuple[tuple, list[Action]]  # (input signature, actions)


class RunRecorder:
    """The actions of the run being recorded, the last complete run's, and the script: the
    actions two consecutive runs agreed on, replayed for runs with its input signature."""

    def __init__(self) -> None:
        self.trace: list[Action] | None = None
        self.signature: tuple = ()
        self.previous: Script | None = None
        self.script: Script | None = None
        self.replayed = 0  # runs replayed
        self.prepared: tuple[Script, list[Action]] | None = None  # the script, launches direct

    def note(self, *action) -> None:
        if self.trace is not None:
            self.trace.append(action)

    def begin(self, signature: tuple) -> list[Action] | None:
        """The actions to replay for a run whose inputs have `signature`; None: the run walks
        the plan, and is recorded."""
        if self.script is not None and self.script[0] == signature:
            self.trace = None
            self.replayed += 1
            return self.script[1]
        if self.trace is not None:  # the run recorded last did not finish
            self.previous = None
        self.trace, self.signature = [], signature
        return None

    def end(self) -> None:
        """The run finished: its actions become the script if the run before had the same."""
        trace, self.trace = self.trace, None
        if trace is None:
            return
        run = (self.signature, trace)
        if self.previous is not None and _same_run(self.previous, run):
            self.script = run
        self.previous = run


class Replayable:
    """What a run's store (OpenCLHostValues) adds for replays: `replay`, `done`, and `bind`,
    through which every device value gets its name (so that it is recorded)."""

    def replay(self) -> bool:
        """Called once the inputs are put: True when the run was carried out by replaying the
        recorded actions of earlier runs with inputs of these types; False: the caller walks
        the plan, and the run is recorded until `done`."""
        signature = tuple((n, a.shape, a.dtype.str) for n, a in self.host.items())
        f = self.f
        recorder, direct = f.recorder, f.direct
        actions = recorder.begin(signature)
        if actions is None:
            return False
        # launches straight to the queue: not while profiling (launches keep their events) nor
        # where recorded sequences take them (command_buffer.py)
        if direct is not None and direct.available and not f.profile and f.sequencer is None:
            if recorder.prepared is None or recorder.prepared[0] is not recorder.script:
                try:
                    recorder.prepared = (recorder.script, prepare(direct, actions))
                except CanopyError as exc:  # pyopencl's launches still work: keep them
                    direct.available, direct.failure = False, str(exc)
                    f.fallbacks["direct launches"] = str(exc)
            if direct.available:
                actions = recorder.prepared[1]
        replay(self, actions)
        return True

    def done(self) -> None:
        """The run is over (its outputs taken)."""
        self.f.recorder.end()

    def bind(self, name: str, value, drop_host_copy: bool) -> None:
        """`name` is now the device value `value`."""
        self.f.recorder.note("bind", name, value, drop_host_copy)
        self.device[name] = value
        if drop_host_copy and self.host:
            self.host.pop(name, None)


def replay(values, actions: list[Action]) -> None:
    """Carry out recorded `actions` on a run's store `values` (an OpenCLHostValues)."""
    f = values.f
    for action in actions:
        kind = action[0]
        if kind == "direct":
            action[1]()
            f.counts[action[2]] += 1
        elif kind == "launch":
            f.launch(action[1], action[2])
        elif kind == "bind":
            values.bind(action[1], action[2], action[3])
        elif kind == "upload":
            f.upload(action[1], values.get(action[1]), action[2], False)
        elif kind == "count":
            f.counts[action[1]] += 1
        else:
            _, op, outputs, constants = action
            for name, value in constants:
                values.put_const(name, value)
            values.compute_in_numpy(op, outputs)


def prepare(direct, actions: list[Action]) -> list[Action]:
    """`actions` with each launch as ("direct", enqueue function, count key) (enqueue.py)."""
    out = []
    for action in actions:
        if action[0] == "launch":
            c, args = action[1], action[2]
            k = c.kernel
            go = direct.prepare(c.cl_kernel, args, k.global_size, k.local_size, c.label)
            action = ("direct", go, ("opencl", c.label))
        out.append(action)
    return out


def _same_run(a: Script, b: Script) -> bool:
    return a[0] == b[0] and len(a[1]) == len(b[1]) and all(map(_same, a[1], b[1]))


def _same(x: Action, y: Action) -> bool:
    """The same action on the same objects (buffers and kernels by identity)."""
    if x[0] != y[0]:
        return False
    if x[0] == "launch":
        return x[1] is y[1] and len(x[2]) == len(y[2]) and all(map(_identical, x[2], y[2]))
    if x[0] == "bind":
        v, w = x[2], y[2]
        same_value = v.buffer is w.buffer and (v.shape, v.dtype, v.layout) == (
            w.shape,
            w.dtype,
            w.layout,
        )
        return x[1] == y[1] and same_value and x[3] == y[3]
    if x[0] in ("upload", "count"):
        return x[1:] == y[1:]
    return x[1] is y[1] and x[2] == y[2] and [n for n, _ in x[3]] == [n for n, _ in y[3]]


def _identical(a, b) -> bool:
    return a is b
