"""Train a small CNN on a procedurally generated data set (no downloads) and export it to ONNX.

Six classes of 8x8 single-channel images — horizontal bar, vertical bar, diagonal,
anti-diagonal, square outline, plus sign — at random positions and sizes with Gaussian noise.
The CNN is conv3x3(1->8, stride 2) - relu - flatten - dense(6), trained with numpy (SGD with
momentum, hand-written gradients).

    python examples/train_shapes.py -o shapes_cnn.onnx --data shapes.npz
"""

from __future__ import annotations

import argparse

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

CLASSES = ("horizontal", "vertical", "diagonal", "anti-diagonal", "square", "plus")


def make_dataset(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    x = np.zeros((n, 1, 8, 8), np.float32)
    y = rng.integers(0, len(CLASSES), n)
    for i, label in enumerate(y):
        img = x[i, 0]
        size = rng.integers(4, 8)
        r, c = rng.integers(0, 8 - size + 1, 2)
        k = np.arange(size)
        if label == 0:
            img[r + size // 2, c + k] = 1
        elif label == 1:
            img[r + k, c + size // 2] = 1
        elif label == 2:
            img[r + k, c + k] = 1
        elif label == 3:
            img[r + k, c + size - 1 - k] = 1
        elif label == 4:
            img[r, c + k] = img[r + size - 1, c + k] = 1
            img[r + k, c] = img[r + k, c + size - 1] = 1
        else:
            img[r + size // 2, c + k] = img[r + k, c + size // 2] = 1
    x += rng.normal(0, 0.3, x.shape).astype(np.float32)
    return x, y


def _im2col(x: np.ndarray) -> np.ndarray:
    """Patches of a 3x3, stride 2, pad 1 convolution: [N*4*4, C*9]."""
    n, c, _, _ = x.shape
    xp = np.pad(x, ((0, 0), (0, 0), (1, 1), (1, 1)))
    win = np.lib.stride_tricks.sliding_window_view(xp, (3, 3), axis=(2, 3))[:, :, ::2, ::2]
    return win.transpose(0, 2, 3, 1, 4, 5).reshape(n * 16, c * 9)


def train(seed: int = 0, steps: int = 600) -> dict[str, np.ndarray]:
    x, y = make_dataset(3000, seed)
    rng = np.random.default_rng(seed + 1)
    params = {
        "w1": rng.normal(0, 0.4, (8, 1, 3, 3)),
        "b1": np.zeros(8),
        "w2": rng.normal(0, 0.1, (6, 128)),
        "b2": np.zeros(6),
    }
    velocity = {k: np.zeros_like(v) for k, v in params.items()}
    for step in range(steps):
        idx = rng.integers(0, len(x), 64)
        xb, yb = x[idx], y[idx]
        cols = _im2col(xb)  # [64*16, 9]
        pre = cols @ params["w1"].reshape(8, -1).T + params["b1"]  # [64*16, 8]
        act = np.maximum(pre, 0)
        flat = act.reshape(64, 16, 8).transpose(0, 2, 1).reshape(64, 128)  # NCHW flatten
        logits = flat @ params["w2"].T + params["b2"]
        p = np.exp(logits - logits.max(1, keepdims=True))
        p /= p.sum(1, keepdims=True)
        dlogits = (p - np.eye(6)[yb]) / 64
        grads = {"w2": dlogits.T @ flat, "b2": dlogits.sum(0)}
        dflat = dlogits @ params["w2"]
        dact = dflat.reshape(64, 8, 16).transpose(0, 2, 1).reshape(64 * 16, 8)
        dpre = dact * (pre > 0)
        grads["w1"] = (dpre.T @ cols).reshape(8, 1, 3, 3)
        grads["b1"] = dpre.sum(0)
        lr = 0.1 if step < steps * 2 // 3 else 0.02
        for k in params:
            velocity[k] = 0.9 * velocity[k] - lr * grads[k]
            params[k] += velocity[k]
    return {k: v.astype(np.float32) for k, v in params.items()}


def to_onnx(params: dict[str, np.ndarray]) -> onnx.ModelProto:
    nodes = [
        helper.make_node(
            "Conv", ["image", "w1", "b1"], ["c1"], pads=[1, 1, 1, 1], strides=[2, 2], name="conv"
        ),
        helper.make_node("Relu", ["c1"], ["r1"], name="relu"),
        helper.make_node("Flatten", ["r1"], ["f"], name="flatten"),
        helper.make_node("Gemm", ["f", "w2", "b2"], ["logits"], transB=1, name="classifier"),
    ]
    g = helper.make_graph(
        nodes,
        "shapes_cnn",
        [helper.make_tensor_value_info("image", TensorProto.FLOAT, [1, 1, 8, 8])],
        [helper.make_tensor_value_info("logits", TensorProto.FLOAT, [1, 6])],
        [numpy_helper.from_array(v, k) for k, v in params.items()],
    )
    model = helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)])
    onnx.checker.check_model(model)
    return model


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("-o", "--output", default="shapes_cnn.onnx")
    ap.add_argument("--data", default="shapes.npz", help="calibration (train) and test samples")
    args = ap.parse_args()
    params = train()
    onnx.save(to_onnx(params), args.output)
    calib, _ = make_dataset(64, seed=10)
    test_x, test_y = make_dataset(600, seed=20)
    np.savez(args.data, image=calib, test_image=test_x, test_label=test_y)
    print(
        f"wrote {args.output} and {args.data} (calibrate with: canopy-compile {args.output} "
        f"--calibrate {args.data})"
    )


if __name__ == "__main__":
    main()
