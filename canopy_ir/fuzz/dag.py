"""Random QDQ ONNX networks shaped like real CNNs (not chains): residual adds of branches with
their own scales, max and average pooling, global average pooling, channel concatenation,
depthwise and grouped convolutions, odd channel counts, and sometimes a softmax head. A network is
described by a list of steps (`dag_nets` draws them), built with seeded weights by `build_dag`.

Steps act on a list of live tensors; the last step's result is the model's output:
    ("conv", src, out, k, stride, pad, groups, relu)   groups = 1, or = channels (depthwise)
    ("maxpool", src, k, stride, pad) | ("avgpool", src, k, stride, pad, count_include_pad)
    ("gap", src) | ("add", a, b, relu) | ("concat", a, b) | ("head", classes, softmax)
    ("batchnorm", src, relu)   a BatchNormalization left between quantizations (signed scales)
`src`, `a`, `b` index the live tensors (taken modulo their number); steps whose operands do not fit
(shapes differ, kernel larger than the image) are skipped by `build_dag`, so every drawn list
builds a valid model.
"""

from __future__ import annotations

import numpy as np
import onnx
from hypothesis import strategies as st
from onnx import TensorProto, helper, numpy_helper


class _Builder:
    def __init__(self, seed: int):
        self.rng = np.random.default_rng(seed)
        self.inits: list = []
        self.nodes: list = []
        self.count = 0

    def name(self, prefix: str) -> str:
        self.count += 1
        return f"{prefix}{self.count}"

    def const(self, array) -> str:
        name = self.name("c")
        self.inits.append(numpy_helper.from_array(np.asarray(array), name))
        return name

    def node(self, op: str, inputs: list[str], **attrs) -> str:
        out = self.name(op.lower())
        self.nodes.append(helper.make_node(op, inputs, [out], name=out, **attrs))
        return out

    def qdq(self, x: str, scale: float) -> str:
        sc, zp = self.const(np.float32(scale)), self.const(np.int8(0))
        q = self.node("QuantizeLinear", [x, sc, zp])
        return self.node("DequantizeLinear", [q, sc, zp])

    def weight(self, values: np.ndarray, scale: float) -> str:
        zp = np.int32(0) if values.dtype == np.int32 else np.int8(0)
        return self.node(
            "DequantizeLinear", [self.const(values), self.const(np.float32(scale)), self.const(zp)]
        )


def _out_hw(h: int, k: int, stride: int, pad: int) -> int:
    return (h + 2 * pad - k) // stride + 1


def build_dag(input_shape, steps, seed: int = 0) -> onnx.ModelProto:
    """The QDQ model of `steps` (see the module docstring) on an input of `input_shape` (NCHW)."""
    b = _Builder(seed)
    live = [(b.qdq("input", 2.0**-6), tuple(input_shape), 2.0**-6)]  # (name, shape, scale)
    for step in steps:
        kind = step[0]
        x, shape, s_x = live[step[1] % len(live)] if kind != "head" else live[-1]
        n, c, h, w = shape if len(shape) == 4 else (*shape, 1, 1)
        if kind == "conv":
            _, _, out, k, stride, pad, groups, relu = step
            out, pad = (c if groups > 1 else out), min(pad, k // 2)
            if len(shape) != 4 or min(h, w) + 2 * pad < k:
                continue
            wv = b.rng.integers(-127, 128, (out, c // (c if groups > 1 else 1), k, k))
            bias = b.rng.integers(-2000, 2000, out).astype(np.int32)
            y = b.node(
                "Conv",
                [x, b.weight(wv.astype(np.int8), 2.0**-7), b.weight(bias, s_x * 2.0**-7)],
                kernel_shape=[k, k],
                strides=[stride, stride],
                pads=[pad] * 4,
                group=c if groups > 1 else 1,
            )
            if relu:
                y = b.node("Relu", [y])
            fan_in = (1 if groups > 1 else c) * k * k
            shift = int(np.clip(np.round(np.log2(np.sqrt(fan_in) * 127 * 127 / 64)), 1, 20))
            s_y = s_x * 2.0**-7 * 2.0**shift
            new = (n, out, _out_hw(h, k, stride, pad), _out_hw(w, k, stride, pad))
        elif kind in ("maxpool", "avgpool"):
            k, stride, pad = step[2:5]
            if len(shape) != 4 or min(h, w) + 2 * pad < k or pad >= k:
                continue
            attrs = dict(kernel_shape=[k, k], strides=[stride, stride], pads=[pad] * 4)
            if kind == "avgpool":
                attrs["count_include_pad"] = int(step[5])
            y = b.node("MaxPool" if kind == "maxpool" else "AveragePool", [x], **attrs)
            s_y = s_x
            new = (n, c, _out_hw(h, k, stride, pad), _out_hw(w, k, stride, pad))
        elif kind == "gap":
            if len(shape) != 4:
                continue
            y, s_y, new = b.node("GlobalAveragePool", [x]), s_x, (n, c, 1, 1)
        elif kind == "batchnorm":
            if len(shape) != 4:
                continue
            scale = b.rng.uniform(0.25, 2.0, c) * b.rng.choice([-1, 1], c)
            shift = b.rng.uniform(-64, 64, c) * s_x  # bias and mean: tens of input steps
            params = [scale, shift, b.rng.uniform(-32, 32, c) * s_x, b.rng.uniform(0.5, 2.0, c)]
            y = b.node("BatchNormalization", [x, *(b.const(v.astype(np.float32)) for v in params)])
            if step[2]:
                y = b.node("Relu", [y])
            s_y, new = s_x * 2, shape
        elif kind in ("add", "concat"):
            x2, shape2, s_x2 = live[step[2] % len(live)]
            if kind == "add":
                if shape2 != shape:
                    continue
                y = b.node("Add", [x, x2])
                if step[3]:
                    y = b.node("Relu", [y])
                new, s_y = shape, max(s_x, s_x2) * 2
            else:
                if len(shape) != 4 or shape2[:1] + shape2[2:] != shape[:1] + shape[2:]:
                    continue
                y = b.node("Concat", [x, x2], axis=1)
                new, s_y = (n, c + shape2[1], h, w), max(s_x, s_x2)
        elif kind == "head":
            _, classes, softmax = step
            flat = b.node("Flatten", [x]) if len(shape) == 4 else x
            k = int(np.prod(shape[1:]))
            wv = b.rng.integers(-127, 128, (classes, k)).astype(np.int8)
            y = b.node("Gemm", [flat, b.weight(wv, 2.0**-7)], transB=1)
            shift = int(np.clip(np.round(np.log2(np.sqrt(k) * 127 * 127 / 64)), 1, 20))
            s_y = s_x * 2.0**-7 * 2.0**shift
            new = (n, classes)
            if softmax:
                y, s_y = b.node("Softmax", [b.qdq(y, s_y)], axis=1), 2.0**-7
        else:
            raise ValueError(f"unknown step {step!r}")
        live.append((b.qdq(y, s_y), new, s_y))
    out, shape, _ = live[-1]
    b.nodes.append(helper.make_node("Identity", [out], ["output"], name="output"))
    g = helper.make_graph(
        b.nodes,
        "random_dag",
        [helper.make_tensor_value_info("input", TensorProto.FLOAT, list(input_shape))],
        [helper.make_tensor_value_info("output", TensorProto.FLOAT, list(shape))],
        b.inits,
    )
    model = helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)])
    onnx.checker.check_model(model)
    return model


@st.composite
def dag_nets(draw, max_steps: int = 6, channels=(1, 20), sizes=(3, 10)):
    """(input shape, steps) of a random CNN-shaped DAG (see the module docstring)."""
    shape = (
        draw(st.integers(1, 2)),
        draw(st.integers(*channels)),
        draw(st.integers(*sizes)),
        draw(st.integers(*sizes)),
    )
    idx = st.integers(0, 7)
    conv = st.tuples(
        st.just("conv"),
        idx,
        st.integers(*channels),
        st.sampled_from([1, 3]),
        st.integers(1, 2),
        st.integers(0, 1),
        st.sampled_from([1, 1, 2]),
        st.booleans(),
    )
    step = st.one_of(
        conv,
        conv,  # convolutions are most of a CNN: drawn twice as often as each other step
        st.tuples(st.just("maxpool"), idx, st.integers(2, 3), st.integers(1, 2), st.integers(0, 1)),
        st.tuples(
            st.just("avgpool"),
            idx,
            st.integers(2, 3),
            st.integers(1, 2),
            st.integers(0, 1),
            st.booleans(),
        ),
        st.tuples(st.just("gap"), idx),
        st.tuples(st.just("add"), idx, idx, st.booleans()),
        st.tuples(st.just("concat"), idx, idx),
        st.tuples(st.just("batchnorm"), idx, st.booleans()),
    )
    steps = draw(st.lists(step, min_size=1, max_size=max_steps))
    if draw(st.booleans()):
        steps.append(("head", draw(st.integers(2, 12)), draw(st.booleans())))
    return shape, steps
