"""Train a small CNN on a procedurally generated data set (no downloads) and export it to ONNX.

Six classes of 8x8 single-channel images — horizontal bar, vertical bar, diagonal,
anti-diagonal, square outline, plus sign — at random positions and sizes with Gaussian noise.
Two CNNs, trained with numpy (SGD with momentum, hand-written gradients):
- `simple`: conv3x3(1->8, stride 2) - relu - flatten - dense(6);
- `residual` (the default): conv3x3(1->8) - relu - a residual block (conv3x3 - relu - conv3x3,
  plus the block's input, relu) - 2x2 max pool - flatten - dense(6).

    python examples/train_shapes.py -o shapes_cnn.onnx --data shapes.npz [--model simple]
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


def _patches(x: np.ndarray) -> np.ndarray:
    """Patches of a 3x3, stride 1, pad 1 convolution: [N*H*W, C*9]."""
    n, c, h, w = x.shape
    xp = np.pad(x, ((0, 0), (0, 0), (1, 1), (1, 1)))
    win = np.lib.stride_tricks.sliding_window_view(xp, (3, 3), axis=(2, 3))
    return win.transpose(0, 2, 3, 1, 4, 5).reshape(n * h * w, c * 9)


def _conv(x: np.ndarray, w: np.ndarray, b: np.ndarray):
    """3x3 stride-1 pad-1 convolution: (NCHW result, patches for the backward pass)."""
    n, _, h, wd = x.shape
    cols = _patches(x)
    y = cols @ w.reshape(len(w), -1).T + b
    return y.reshape(n, h, wd, -1).transpose(0, 3, 1, 2), cols


def _conv_backward(dy, cols, x_shape, w):
    """Gradients of `_conv` (weights, bias, input) from the result's gradient."""
    n, c, h, wd = x_shape
    dflat = dy.transpose(0, 2, 3, 1).reshape(n * h * wd, -1)
    dw = (dflat.T @ cols).reshape(w.shape)
    dcols = (dflat @ w.reshape(len(w), -1)).reshape(n, h, wd, c, 3, 3)
    dxp = np.zeros((n, c, h + 2, wd + 2))
    for i in range(3):
        for j in range(3):
            dxp[:, :, i : i + h, j : j + wd] += dcols[..., i, j].transpose(0, 3, 1, 2)
    return dw, dflat.sum(0), dxp[:, :, 1:-1, 1:-1]


def train_residual(seed: int = 0, steps: int = 300) -> dict[str, np.ndarray]:
    """The residual CNN (see the module docstring), trained on `make_dataset`."""
    x, y = make_dataset(3000, seed)
    rng = np.random.default_rng(seed + 1)
    params = {
        "w1": rng.normal(0, 0.4, (8, 1, 3, 3)),
        "b1": np.zeros(8),
        "w2": rng.normal(0, 0.15, (8, 8, 3, 3)),
        "b2": np.zeros(8),
        "w3": rng.normal(0, 0.05, (8, 8, 3, 3)),
        "b3": np.zeros(8),
        "w4": rng.normal(0, 0.1, (6, 128)),
        "b4": np.zeros(6),
    }
    velocity = {k: np.zeros_like(v) for k, v in params.items()}
    for step in range(steps):
        idx = rng.integers(0, len(x), 64)
        xb, yb = x[idx].astype(np.float64), y[idx]
        z1, c1 = _conv(xb, params["w1"], params["b1"])
        a1 = np.maximum(z1, 0)
        z2, c2 = _conv(a1, params["w2"], params["b2"])
        a2 = np.maximum(z2, 0)
        z3, c3 = _conv(a2, params["w3"], params["b3"])
        s = z3 + a1
        a3 = np.maximum(s, 0)
        win = a3.reshape(64, 8, 4, 2, 4, 2)
        pooled = win.max(axis=(3, 5))
        flat = pooled.reshape(64, 128)
        logits = flat @ params["w4"].T + params["b4"]
        p = np.exp(logits - logits.max(1, keepdims=True))
        p /= p.sum(1, keepdims=True)
        dlogits = (p - np.eye(6)[yb]) / 64
        grads = {"w4": dlogits.T @ flat, "b4": dlogits.sum(0)}
        dpooled = (dlogits @ params["w4"]).reshape(64, 8, 4, 1, 4, 1)
        mask = win == pooled.reshape(64, 8, 4, 1, 4, 1)
        da3 = (mask * dpooled).reshape(64, 8, 8, 8)
        ds = da3 * (s > 0)
        grads["w3"], grads["b3"], da2 = _conv_backward(ds, c3, a2.shape, params["w3"])
        dz2 = da2 * (z2 > 0)
        grads["w2"], grads["b2"], da1 = _conv_backward(dz2, c2, a1.shape, params["w2"])
        dz1 = (da1 + ds) * (z1 > 0)
        grads["w1"], grads["b1"], _ = _conv_backward(dz1, c1, xb.shape, params["w1"])
        lr = 0.05 if step < steps * 2 // 3 else 0.01
        for k in params:
            velocity[k] = 0.9 * velocity[k] - lr * grads[k]
            params[k] += velocity[k]
    return {k: v.astype(np.float32) for k, v in params.items()}


def to_onnx_residual(params: dict[str, np.ndarray]) -> onnx.ModelProto:
    conv = dict(pads=[1, 1, 1, 1])
    nodes = [
        helper.make_node("Conv", ["image", "w1", "b1"], ["c1"], name="conv1", **conv),
        helper.make_node("Relu", ["c1"], ["r1"], name="relu1"),
        helper.make_node("Conv", ["r1", "w2", "b2"], ["c2"], name="block.conv1", **conv),
        helper.make_node("Relu", ["c2"], ["r2"], name="block.relu1"),
        helper.make_node("Conv", ["r2", "w3", "b3"], ["c3"], name="block.conv2", **conv),
        helper.make_node("Add", ["c3", "r1"], ["s"], name="block.add"),
        helper.make_node("Relu", ["s"], ["r3"], name="block.relu2"),
        helper.make_node(
            "MaxPool", ["r3"], ["p"], kernel_shape=[2, 2], strides=[2, 2], name="pool"
        ),
        helper.make_node("Flatten", ["p"], ["f"], name="flatten"),
        helper.make_node("Gemm", ["f", "w4", "b4"], ["logits"], transB=1, name="classifier"),
    ]
    return _model(nodes, params, "shapes_residual_cnn")


def _model(nodes, params, name: str) -> onnx.ModelProto:
    g = helper.make_graph(
        nodes,
        name,
        [helper.make_tensor_value_info("image", TensorProto.FLOAT, [1, 1, 8, 8])],
        [helper.make_tensor_value_info("logits", TensorProto.FLOAT, [1, 6])],
        [numpy_helper.from_array(v, k) for k, v in params.items()],
    )
    model = helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)])
    onnx.checker.check_model(model)
    return model


def to_onnx(params: dict[str, np.ndarray]) -> onnx.ModelProto:
    nodes = [
        helper.make_node(
            "Conv", ["image", "w1", "b1"], ["c1"], pads=[1, 1, 1, 1], strides=[2, 2], name="conv"
        ),
        helper.make_node("Relu", ["c1"], ["r1"], name="relu"),
        helper.make_node("Flatten", ["r1"], ["f"], name="flatten"),
        helper.make_node("Gemm", ["f", "w2", "b2"], ["logits"], transB=1, name="classifier"),
    ]
    return _model(nodes, params, "shapes_cnn")


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("-o", "--output", default="shapes_cnn.onnx")
    ap.add_argument("--data", default="shapes.npz", help="calibration (train) and test samples")
    ap.add_argument("--model", choices=("residual", "simple"), default="residual")
    args = ap.parse_args()
    if args.model == "residual":
        onnx.save(to_onnx_residual(train_residual()), args.output)
    else:
        onnx.save(to_onnx(train()), args.output)
    calib, _ = make_dataset(64, seed=10)
    test_x, test_y = make_dataset(600, seed=20)
    np.savez(args.data, image=calib, test_image=test_x, test_label=test_y)
    print(
        f"wrote {args.output} and {args.data} (calibrate with: canopy-compile {args.output} "
        f"--calibrate {args.data})"
    )


if __name__ == "__main__":
    main()
