"""`OpenCLHostValues`, op by op, against `NumpyHostValues` (canopy_ir.kernels): every integer op
and every exact float op (quantize, dequantize, elementwise) bit for bit, softmax, layer norm and
float averages within the generators' tolerances; ops without a generator run in numpy and are
counted there; a convolution fuses with its requantization only where the plan allows it, and a
fused result asked for on its own is still computed."""

from types import SimpleNamespace

import numpy as np
import pytest

from canopy_ir.backend.pcie.host import NumpyHostValues

RNG = np.random.default_rng(0)


def i8(*shape):
    return RNG.integers(-128, 128, shape, dtype=np.int8)


def i32(*shape, bits=20):
    return RNG.integers(-(2**bits), 2**bits, shape).astype(np.int32)


def f32(*shape):
    return RNG.normal(0, 2, shape).astype(np.float32)


RQ = dict(shift=20, zero_point=-3, clip_min=-128, clip_max=127, pre_shift=2)
WINDOW = dict(kernel=[3, 3], strides=[2, 2], pads=[1, 1, 1, 1], dilations=[1, 1])
QAVG = dict(WINDOW, input_zero_point=-4, pre_shift=0, shift=20, zero_point=2)
QAVG |= dict(clip_min=-128, clip_max=127, count_include_pad=0)
QAVG |= dict(multipliers=[round(2**20 / c) for c in range(1, 10)])
GLOBAL = dict(QAVG, kernel=[7, 7], strides=[1, 1], pads=[0, 0, 0, 0], multipliers=[21400])
QADD = dict(lhs_zero_point=3, rhs_zero_point=-2, lhs_multiplier=2**20 + 5)
QADD |= dict(rhs_multiplier=3 * 2**19, shift=21, zero_point=-1, clip_min=-100, clip_max=120)
# x / 0.25 lands exactly halfway between integers: rounding half to even decides
TIES = ((np.arange(-40, 40) + 0.5) * 0.25).astype(np.float32).reshape(1, 80)

# (op, attrs, operands, result shape, result dtype, tolerance or None for bit-exact)
CASES = {
    "requantize per channel": (
        "graph.requantize", dict(RQ, multipliers=[int(m) for m in RNG.integers(1, 2**21, 5)]),
        [i32(2, 5, 3, 3)], (2, 5, 3, 3), "int8", None),
    "requantize left shift": (
        "graph.requantize", dict(RQ, shift=-2, pre_shift=0, multipliers=[3]),
        [i32(4, 6, bits=10)], (4, 6), "int8", None),
    "rescale": (
        "graph.rescale", dict(input_zero_point=-7, multiplier=1234567, shift=21, zero_point=5,
                              clip_min=-128, clip_max=127),
        [i8(1, 4, 5, 5)], (1, 4, 5, 5), "int8", None),
    "qaffine": (
        "graph.qaffine", dict(input_zero_point=-7, multipliers=[1234567, -4000000, 0, 3],
                              offsets=[-(1 << 28), 12345678, 5, 0], shift=21, zero_point=5,
                              clip_min=-128, clip_max=127),
        [i8(2, 4, 5, 3)], (2, 4, 5, 3), "int8", None),
    "qadd": ("graph.qadd", QADD, [i8(1, 4, 5, 5), i8(1, 4, 5, 5)], (1, 4, 5, 5), "int8", None),
    "qavg_pool padded": ("graph.qavg_pool", QAVG, [i8(1, 3, 7, 7)], (1, 3, 4, 4), "int8", None),
    "qavg_pool global": ("graph.qavg_pool", dict(GLOBAL, count_include_pad=1),
                         [i8(2, 3, 7, 7)], (2, 3, 1, 1), "int8", None),
    "quantize ties": ("graph.quantize", dict(scale=0.25, zero_point=3), [TIES], (1, 80), "int8",
                      None),
    "quantize uint8": ("graph.quantize", dict(scale=0.037, zero_point=128), [f32(3, 50)],
                       (3, 50), "uint8", None),
    "dequantize int8": ("graph.dequantize", dict(scale=0.037, zero_point=-5), [i8(3, 50)],
                        (3, 50), "float32", None),
    "dequantize int32": ("graph.dequantize", dict(scale=1e-4, zero_point=0), [i32(3, 7)],
                         (3, 7), "float32", None),
    "max pool ceil mode": ("graph.pool", dict(WINDOW, kind="max", count_include_pad=0),
                           [i8(1, 2, 8, 8)], (1, 2, 5, 5), "int8", None),
    "avg pool int8": ("graph.pool", dict(WINDOW, kind="avg", count_include_pad=1),
                      [i8(1, 2, 7, 7)], (1, 2, 4, 4), "int8", None),
    "avg pool float": ("graph.pool", dict(WINDOW, kind="avg", count_include_pad=0),
                       [f32(1, 2, 7, 7)], (1, 2, 4, 4), "float32", dict(rtol=1e-6, atol=1e-6)),
    "add int8 wraps": ("graph.add", {}, [i8(2, 9), i8(2, 9)], (2, 9), "int8", None),
    "sub int32": ("graph.sub", {}, [i32(2, 9, bits=31), i32(2, 9, bits=31)], (2, 9), "int32", None),
    "mul broadcast": ("graph.mul", {}, [f32(2, 3, 4), f32(3, 1)], (2, 3, 4), "float32", None),
    "relu": ("graph.relu", {}, [np.array([-0.0, 0.0, -1.5, 2.0, np.nan], np.float32)], (5,),
             "float32", None),
    "clip int8": ("graph.clip", dict(min=-5.0, max=7.0), [i8(3, 11)], (3, 11), "int8", None),
    "softmax": ("graph.softmax", dict(axis=1), [f32(4, 10)], (4, 10), "float32",
                dict(rtol=1e-5, atol=1e-6)),
    "layer norm": ("graph.layer_norm", dict(axis=-1, epsilon=1e-5),
                   [f32(3, 16), f32(16), f32(16)], (3, 16), "float32", dict(rtol=1e-5, atol=1e-5)),
    "pad": ("graph.pad", dict(pads=[0, 1, 2, 0, 0, 0, 1, 1], mode="constant", value=3.0),
            [i8(1, 2, 5, 5)], (1, 3, 8, 6), "int8", None),
    "concat": ("graph.concat", dict(axis=1), [i8(2, 1, 3), i8(2, 4, 3), i8(2, 2, 3)], (2, 7, 3),
               "int8", None),
    "conv grouped dilated": ("graph.conv2d", dict(strides=[1, 2], pads=[2, 1, 2, 0],
                                                  dilations=[2, 1], group=2),
                             [i8(1, 4, 9, 9), i8(6, 2, 3, 3), i32(6, bits=12)], (1, 6, 9, 4),
                             "int32", None),
    "dense": ("graph.dense", {}, [i8(3, 40), i8(7, 40)], (3, 7), "int32", None),
}  # fmt: skip


@pytest.fixture(scope="module")
def host(rt):
    from canopy_ir.backend.opencl.host_values import OpenCLHost

    # Unoptimised builds are several times faster on PoCL; the kernels have no undefined
    # behaviour for the optimiser to exploit, so results do not depend on it.
    return OpenCLHost(rt, options=("-cl-opt-disable",))


@pytest.fixture(scope="module")
def float_host(rt):
    """Float reductions as kernels too (within tolerance) instead of numpy's exact results."""
    from canopy_ir.backend.opencl.host_values import OpenCLHost

    return OpenCLHost(rt, options=("-cl-opt-disable",), float_kernels=True)


def _op(kind: str, attrs: dict, n: int, layer: str) -> dict:
    inputs = [f"{layer}.in{k}" for k in range(n)]
    return dict(layer=layer, op=kind, attrs=attrs, inputs=inputs, outputs=[f"{layer}.out"])


def _run(store, op: dict, args, outputs) -> np.ndarray:
    for name, value in zip(op["inputs"], args, strict=True):
        store.put(name, value)
    store.run(op, outputs)
    return store.get(op["outputs"][0])


@pytest.mark.parametrize("case", CASES)
def test_op_matches_numpy(host, float_host, case):
    kind, attrs, args, shape, dtype, tolerance = CASES[case]
    op = _op(kind, attrs, len(args), case.replace(" ", "_"))
    outputs = [(shape, dtype)]
    want = _run(NumpyHostValues(), op, args, outputs)
    if tolerance is not None:  # by default numpy computes it: bit for bit
        before = host.counts["numpy", kind]
        np.testing.assert_array_equal(_run(host(), op, args, outputs), want)
        assert host.counts["numpy", kind] == before + 1
        assert "bit for bit" in host.fallbacks[f"{op['layer']} ({kind})"]
        host = float_host
    before = host.counts["opencl", kind]
    got = _run(host(), op, args, outputs)
    assert host.counts["opencl", kind] == before + 1, host.fallbacks
    assert got.dtype == want.dtype and got.shape == want.shape
    if tolerance is None:
        np.testing.assert_array_equal(got, want)
    else:
        np.testing.assert_allclose(got, want, **tolerance)


def test_op_without_generator_runs_in_numpy_between_kernels(host):
    """transpose has no generator: its operand comes back from the device, its result goes
    there again for the next kernel."""
    x = f32(2, 3, 4)
    ops = [
        (_op("graph.relu", {}, 1, "t_relu"), [((2, 3, 4), "float32")]),
        (_op("graph.transpose", dict(perm=[2, 0, 1]), 1, "t_perm"), [((4, 2, 3), "float32")]),
        (_op("graph.mul", {}, 2, "t_mul"), [((4, 2, 3), "float32")]),
    ]
    ops[1][0]["inputs"] = ["t_relu.out"]
    ops[2][0]["inputs"] = ["t_perm.out", "t_mul.in1"]
    results = []
    for store in (NumpyHostValues(), host()):
        store.put("t_relu.in0", x)
        store.put("t_mul.in1", np.float32(3.0) * np.ones((4, 2, 3), np.float32))
        for op, outputs in ops:
            store.run(op, outputs)
        results.append(store.get("t_mul.out"))
    np.testing.assert_array_equal(results[1], results[0])
    assert host.counts["numpy", "graph.transpose"] == 1
    assert "t_perm (graph.transpose)" in host.fallbacks


def _conv_plan(card: bool):
    conv = _op("graph.conv2d", dict(strides=[1, 1], pads=[1, 1, 1, 1], dilations=[1, 1], group=1),
               3, "f_conv")  # fmt: skip
    rq = _op("graph.requantize", dict(RQ, shift=9, multipliers=[3, 5, 7, 11, 13, 17, 19, 23]), 1,
             "f_rq")  # fmt: skip
    rq["inputs"] = conv["outputs"]
    tensor = dict(role="value", card="f_conv.region") if card else dict(role="value")
    plan = SimpleNamespace(plan={"ops": [conv, rq]}, tensors={"f_conv.out": tensor})
    return plan, conv, rq


@pytest.mark.parametrize("card", [False, True], ids=["fused", "read-by-card"])
def test_conv_requantize_fusion(rt, card):
    from canopy_ir.backend.opencl.host_values import OpenCLHost

    plan, conv, rq = _conv_plan(card)
    host = OpenCLHost(rt, options=("-cl-opt-disable",))
    host.bind(plan)
    assert host.fused == (set() if card else {"f_conv.out"})
    args = [i8(1, 5, 6, 6), i8(8, 5, 3, 3), i32(8, bits=12)]
    conv_out, rq_out = [((1, 8, 6, 6), "int32")], [((1, 8, 6, 6), "int8")]
    numpy = NumpyHostValues()
    want = _run(numpy, conv, args, conv_out)
    want_rq = _run(numpy, rq, [want], rq_out)
    store = host()
    for name, value in zip(conv["inputs"], args, strict=True):
        store.put(name, value)
    store.run(conv, conv_out)
    store.run(rq, rq_out)
    np.testing.assert_array_equal(store.get("f_rq.out"), want_rq)
    assert host.counts["opencl", "graph.conv2d+requantize"] == (0 if card else 1)
    np.testing.assert_array_equal(store.get("f_conv.out"), want)  # asked for after all
    # a fused result asked for before its requantize: computed on its own, then requantized
    store = host()
    _run(store, conv, args, conv_out)
    store.run(rq, rq_out)
    np.testing.assert_array_equal(store.get("f_rq.out"), want_rq)
    assert host.counts["opencl", "graph.conv2d+requantize"] == (0 if card else 1)
