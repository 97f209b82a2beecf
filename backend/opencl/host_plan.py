"""What the OpenCL host store decides once per model, from its host plan (backend/pcie/host.py
HostPlan): which ops run fused into one kernel, and which tensors the kernels keep channels-last.

Fusions (each one kernel, its inner results never written to memory):
- graph.conv2d / graph.dense + graph.requantize, where only that requantize reads the int32
  result (not the card, not the caller, no other op);
- that pair + graph.qadd (a residual add), where only the qadd reads the requantized result:
  the convolution's epilogue reads the qadd's other operand and adds it.

Layouts (codegen/layout.py): a 4-D value is kept NHWC when every op reading it works on NHWC
(a convolution's input, pooling, graph.qavg_pool, elementwise ops whose own results are kept
NHWC, a flatten of a 1×1 map whose channels need no padding), and neither the card nor the
caller reads it; everything else is row-major. A store converts a value whose layout is not the
one a kernel wants (a kernel on the device, or numpy on the host for host arrays).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from .codegen.layout import channel_pad

LINEAR = ("graph.conv2d", "graph.dense")
REQUANTIZE = "graph.requantize"
QADD = "graph.qadd"
# Ops computing element i of their result from element i of each operand (all of one shape):
# they run on NHWC buffers as they are, their result in the same layout.
ELEMENTWISE = (
    "graph.qadd",
    "graph.rescale",
    "graph.relu",
    "graph.clip",
    "graph.quantize",
    "graph.dequantize",
    "graph.add",
    "graph.sub",
    "graph.mul",
    REQUANTIZE,
)
NHWC_POOLS = ("graph.pool", "graph.qavg_pool")


@dataclass
class FusionPlan:
    """`into_requantize`: conv/dense results computed by their requantize's kernel;
    `into_add`: requantized convolution results computed by the qadd that reads them;
    `nhwc`: tensors kept channels-last."""

    into_requantize: set[str] = field(default_factory=set)
    into_add: set[str] = field(default_factory=set)
    nhwc: set[str] = field(default_factory=set)


def _private(tensors: dict, name: str) -> bool:
    """A value only host ops read: not a model output, not read by the card."""
    t = tensors.get(name, {})
    return t.get("role") == "value" and "card" not in t


def plan_fusions(plan) -> FusionPlan:
    """The fusions and layouts of a host plan (anything with `.plan["ops"]` and `.tensors`)."""
    ops, tensors = plan.plan["ops"], plan.tensors
    readers: dict[str, list[tuple[dict, int]]] = defaultdict(list)
    producer: dict[str, dict] = {}
    for op in ops:
        for index, name in enumerate(op["inputs"]):
            readers[name].append((op, index))
        for name in op["outputs"]:
            producer[name] = op
    out = FusionPlan()
    for op in ops:
        if op["op"] != REQUANTIZE:
            continue
        (src,) = op["inputs"]
        first = producer.get(src)
        if first is None or first["op"] not in LINEAR:
            continue
        if not _private(tensors, src) or len(readers[src]) != 1:
            continue
        out.into_requantize.add(src)
        result = op["outputs"][0]
        users = readers[result]
        if first["op"] == "graph.conv2d" and _private(tensors, result) and len(users) == 1:
            add, _ = users[0]
            if add["op"] == QADD and len(set(add["inputs"])) == 2:
                out.into_add.add(result)
    for op in reversed(ops):  # readers before producers: their wishes are known
        for name in op["outputs"]:
            shape = tensors.get(name, {}).get("shape")
            users = readers[name]
            if shape is None or len(shape) != 4 or not users or not _private(tensors, name):
                continue
            if all(_reads_nhwc(user, index, tensors, out.nhwc) for user, index in users):
                out.nhwc.add(name)
    return out


def _reads_nhwc(op: dict, index: int, tensors: dict, nhwc: set[str]) -> bool:
    kind = op["op"]
    if kind == "graph.conv2d":
        return index == 0
    if kind in NHWC_POOLS:
        return True
    if kind in ELEMENTWISE:
        return all(name in nhwc for name in op["outputs"])
    if kind == "graph.reshape":  # a flatten of N×C×1×1: the same bytes when C needs no padding
        shape = tensors.get(op["inputs"][0], {}).get("shape") or ()
        return len(shape) == 4 and tuple(shape[2:]) == (1, 1) and channel_pad(shape[1]) == shape[1]
    return False
