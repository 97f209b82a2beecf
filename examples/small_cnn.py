"""Build a small int8 CNN as a QDQ ONNX model: conv-relu-conv-relu-flatten-gemm.

Random weights from a fixed seed; power-of-two quantization scales (calibrated on random inputs
with canopy-ir's own float interpreter), so the accelerator requantizes with exact shifts.

    python examples/small_cnn.py -o small_cnn.onnx --input input.npy
"""

from __future__ import annotations

import argparse
import math

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper


def _pow2_scale(max_abs: float, qmax: int = 127) -> float:
    return 2.0 ** math.ceil(math.log2(max(max_abs, 1e-8) / qmax))


def float_model(seed: int = 0, channels=(3, 8, 16), size: int = 12, classes: int = 10):
    rng = np.random.default_rng(seed)
    c0, c1, c2 = channels
    w1 = rng.normal(0, 1 / math.sqrt(c0 * 9), (c1, c0, 3, 3)).astype(np.float32)
    b1 = rng.normal(0, 0.1, c1).astype(np.float32)
    w2 = rng.normal(0, 1 / math.sqrt(c1 * 9), (c2, c1, 3, 3)).astype(np.float32)
    b2 = rng.normal(0, 0.1, c2).astype(np.float32)
    flat = c2 * (size // 2) * (size // 2)
    w3 = rng.normal(0, 1 / math.sqrt(flat), (classes, flat)).astype(np.float32)
    b3 = rng.normal(0, 0.1, classes).astype(np.float32)
    return dict(w1=w1, b1=b1, w2=w2, b2=b2, w3=w3, b3=b3, shape=(1, c0, size, size))


def _float_forward(p, x):
    from canopy_ir.kernels import conv2d, dense

    a1 = np.maximum(conv2d(x, p["w1"], p["b1"], (1, 1), (1, 1, 1, 1), (1, 1), 1), 0)
    a2 = np.maximum(conv2d(a1, p["w2"], p["b2"], (2, 2), (1, 1, 1, 1), (1, 1), 1), 0)
    y = dense(a2.reshape(a2.shape[0], -1), p["w3"], p["b3"])
    return a1, a2, y


def build_small_cnn(seed: int = 0, size: int = 12) -> onnx.ModelProto:
    """The QDQ model: every tensor between layers is int8 with a power-of-two scale."""
    p = float_model(seed, size=size)
    calib = np.random.default_rng(seed + 1).uniform(-1, 1, (8, *p["shape"][1:])).astype(np.float32)
    a1, a2, y = _float_forward(p, calib)
    s_in = _pow2_scale(1.0)
    s1, s2, s3 = (_pow2_scale(float(np.abs(t).max())) for t in (a1, a2, y))
    inits, nodes = [], []

    def const(name, array):
        inits.append(numpy_helper.from_array(np.asarray(array), name))
        return name

    def qdq(x, scale, name):
        sc = const(f"{name}.scale", np.float32(scale))
        zp = const(f"{name}.zp", np.int8(0))
        nodes.append(
            helper.make_node("QuantizeLinear", [x, sc, zp], [f"{name}.q"], name=f"{name}_Q")
        )
        nodes.append(
            helper.make_node(
                "DequantizeLinear", [f"{name}.q", sc, zp], [f"{name}.dq"], name=f"{name}_DQ"
            )
        )
        return f"{name}.dq"

    def weight(name, w, x_scale):
        sw = _pow2_scale(float(np.abs(w).max()))
        q = np.clip(np.rint(w / sw), -127, 127).astype(np.int8)
        nodes.append(
            helper.make_node(
                "DequantizeLinear",
                [
                    const(f"{name}.q", q),
                    const(f"{name}.scale", np.float32(sw)),
                    const(f"{name}.zp", np.int8(0)),
                ],
                [f"{name}.dq"],
                name=f"{name}_DQ",
            )
        )
        return f"{name}.dq", sw

    def bias(name, b, scale):
        q = np.rint(b / scale).astype(np.int32)
        nodes.append(
            helper.make_node(
                "DequantizeLinear",
                [
                    const(f"{name}.q", q),
                    const(f"{name}.scale", np.float32(scale)),
                    const(f"{name}.zp", np.int32(0)),
                ],
                [f"{name}.dq"],
                name=f"{name}_DQ",
            )
        )
        return f"{name}.dq"

    x = qdq("input", s_in, "input")
    w1, sw1 = weight("conv1.weight", p["w1"], s_in)
    b1 = bias("conv1.bias", p["b1"], s_in * sw1)
    nodes.append(helper.make_node("Conv", [x, w1, b1], ["conv1"], name="conv1", pads=[1, 1, 1, 1]))
    nodes.append(helper.make_node("Relu", ["conv1"], ["relu1"], name="relu1"))
    x = qdq("relu1", s1, "act1")
    w2, sw2 = weight("conv2.weight", p["w2"], s1)
    b2 = bias("conv2.bias", p["b2"], s1 * sw2)
    nodes.append(
        helper.make_node(
            "Conv", [x, w2, b2], ["conv2"], name="conv2", pads=[1, 1, 1, 1], strides=[2, 2]
        )
    )
    nodes.append(helper.make_node("Relu", ["conv2"], ["relu2"], name="relu2"))
    x = qdq("relu2", s2, "act2")
    nodes.append(helper.make_node("Flatten", [x], ["flat"], name="flatten"))
    w3, sw3 = weight("fc.weight", p["w3"], s2)
    b3 = bias("fc.bias", p["b3"], s2 * sw3)
    nodes.append(helper.make_node("Gemm", ["flat", w3, b3], ["fc"], name="fc", transB=1))
    y = qdq("fc", s3, "logits")
    nodes.append(helper.make_node("Identity", [y], ["output"], name="output"))
    g = helper.make_graph(
        nodes,
        "small_cnn",
        [helper.make_tensor_value_info("input", TensorProto.FLOAT, list(p["shape"]))],
        [helper.make_tensor_value_info("output", TensorProto.FLOAT, [p["shape"][0], 10])],
        inits,
    )
    model = helper.make_model(
        g, opset_imports=[helper.make_opsetid("", 13)], producer_name="canopy-ir"
    )
    onnx.checker.check_model(model)
    return model


def sample_input(seed: int = 0, size: int = 12) -> np.ndarray:
    return np.random.default_rng(seed + 2).uniform(-1, 1, (1, 3, size, size)).astype(np.float32)


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("-o", "--output", default="small_cnn.onnx")
    ap.add_argument("--input", default="input.npy", help="where to save a sample input")
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    onnx.save(build_small_cnn(args.seed), args.output)
    np.save(args.input, sample_input(args.seed))
    print(f"wrote {args.output} and {args.input}")


if __name__ == "__main__":
    main()
