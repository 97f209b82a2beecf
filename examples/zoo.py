"""Real CNN architectures as float ONNX models, built in code: ResNet-18 and MobileNetV2.

The layer structure is torchvision's (`torchvision.models.resnet18` / `mobilenet_v2`), and so are
the initializer names (`conv1.weight`, `layer2.0.downsample.1.running_var`, ...), so a torchvision
state dict can be plugged in through `params`. Without it the weights are seeded random
(torchvision's initialisation: Kaiming-normal convolutions, its classifier init) and every
BatchNormalization gets *calibrated* statistics: its running mean and variance are those of its
input on a few seeded input images, as training would leave them, with affine parameters close to
one and zero. Activations therefore stay in the range of a trained network's (unit scale after
every BN) however deep the model, which is what quantization and accelerator tests need.
With `batchnorm="initial"` every BatchNormalization is torch.nn.BatchNorm2d as constructed
(weight 1, bias 0, running mean 0, running variance 1): the model that exporting a freshly built
torchvision network gives (`torch.onnx.export(torchvision.models.resnet18(), ...)`); every other
layer's weights are the calibrated model's (the same seeded draws). Such a
network is far less sensitive to a one-step change of an early activation than one with
calibrated statistics (see bench/ort_int8.py).

Both models take one input `input` (N x 3 x size x size, float32; ImageNet-normalised images are
close to `sample_input`'s standard normal values) and give `output` (N x classes logits), opset 13:
Conv (no bias) → BatchNormalization → Relu / Clip(0, 6), MaxPool, Add (residuals),
GlobalAveragePool, Flatten, Gemm.

    python examples/zoo.py resnet18 -o resnet18.onnx --size 224
    python examples/zoo.py mobilenet_v2 -o mobilenet_v2.onnx --size 96 --input input.npy
    python examples/zoo.py resnet18 -o fresh.onnx --batchnorm initial
"""

from __future__ import annotations

import argparse
import math
from collections.abc import Mapping, Sequence

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

OPSET = 13
# BatchNorm statistics are measured on enough seeded images that every channel of the last stage
# (size/32 pixels square) sees at least this many values.
CALIBRATION_VALUES = 64
# BatchNormalization statistics: "calibrated" (measured, as training leaves them) or "initial"
# (torch.nn.BatchNorm2d as constructed: weight 1, bias 0, running mean 0, running variance 1).
BATCHNORM = ("calibrated", "initial")


def sample_input(size: int = 224, batch: int = 1, seed: int = 0) -> np.ndarray:
    """A seeded input for the zoo's models: N x 3 x size x size, standard normal float32."""
    return np.random.default_rng(seed).standard_normal((batch, 3, size, size)).astype(np.float32)


class _Net:
    """Collects ONNX nodes and initializers while running the same layers in numpy on the
    calibration images; a tensor is its ONNX name plus its value on those images."""

    def __init__(
        self,
        size: int,
        seed: int,
        params: Mapping[str, np.ndarray] | None,
        batchnorm: str = "calibrated",
    ):
        from canopy_ir.kernels import conv2d, pool2d

        if batchnorm not in BATCHNORM:
            raise ValueError(f"batchnorm must be one of {BATCHNORM}, not {batchnorm!r}")
        self.batchnorm = batchnorm

        self._conv2d, self._pool2d = conv2d, pool2d
        self.rng = np.random.default_rng(seed)
        self.params = dict(params or {})
        self.unused = {k for k in self.params if not k.endswith("num_batches_tracked")}
        self.nodes: list[onnx.NodeProto] = []
        self.inits: list[onnx.TensorProto] = []
        last_stage = max(1, size // 32) ** 2
        calib = sample_input(size, max(2, -(-CALIBRATION_VALUES // last_stage)), seed + 1)
        self.input = ("input", calib)
        self.clip_bounds = False

    # ---- parameters ---------------------------------------------------------------------------
    def param(self, name: str, shape: Sequence[int], default) -> np.ndarray:
        """The parameter `name`: from `params` when given there, else `default()` (seeded)."""
        if name in self.params:
            value = np.asarray(self.params[name], np.float32)
            if value.shape != tuple(shape):
                raise ValueError(f"parameter {name} has shape {value.shape}, expected {shape}")
            self.unused.discard(name)
        else:
            value = np.asarray(default(), np.float32).reshape(shape)
        self.inits.append(numpy_helper.from_array(value, name))
        return value

    def node(self, op: str, inputs: list[str], name: str, **attrs) -> str:
        self.nodes.append(helper.make_node(op, inputs, [name], name=name, **attrs))
        return name

    # ---- layers (each returns the new tensor) ---------------------------------------------------
    def conv(self, x, name: str, out_ch: int, k: int, stride: int = 1, groups: int = 1):
        """Conv k x k, 'same' padding (k // 2), no bias; Kaiming-normal (fan out) weights."""
        in_ch = x[1].shape[1]
        shape = (out_ch, in_ch // groups, k, k)
        std = math.sqrt(2.0 / (out_ch * k * k))
        w = self.param(f"{name}.weight", shape, lambda: self.rng.normal(0, std, shape))
        pad = k // 2
        y = self.node(
            "Conv",
            [x[0], f"{name}.weight"],
            name,
            kernel_shape=[k, k],
            strides=[stride, stride],
            pads=[pad] * 4,
            group=groups,
        )
        value = self._conv2d(x[1], w, None, (stride, stride), (pad,) * 4, (1, 1), groups)
        return y, value

    def bn(self, x, name: str):
        """BatchNormalization whose running statistics are measured on the calibration images
        (`batchnorm="calibrated"`), or torch.nn.BatchNorm2d's as constructed (`"initial"`)."""
        c = x[1].shape[1]
        # drawn either way, so that both choices give every other layer the same weights
        drawn_gamma, drawn_beta = self.rng.uniform(0.5, 1.5, c), self.rng.normal(0, 0.1, c)
        if self.batchnorm == "initial":
            gamma = self.param(f"{name}.weight", (c,), lambda: np.ones(c))
            beta = self.param(f"{name}.bias", (c,), lambda: np.zeros(c))
            mean = self.param(f"{name}.running_mean", (c,), lambda: np.zeros(c))
            var = self.param(f"{name}.running_var", (c,), lambda: np.ones(c))
        else:
            gamma = self.param(f"{name}.weight", (c,), lambda: drawn_gamma)
            beta = self.param(f"{name}.bias", (c,), lambda: drawn_beta)
            mean = self.param(f"{name}.running_mean", (c,), lambda: x[1].mean(axis=(0, 2, 3)))
            var = self.param(f"{name}.running_var", (c,), lambda: x[1].var(axis=(0, 2, 3)) + 1e-3)
        inputs = [x[0]] + [f"{name}.{p}" for p in ("weight", "bias", "running_mean", "running_var")]
        y = self.node("BatchNormalization", inputs, name, epsilon=1e-5)
        shape = (1, c, 1, 1)
        factor = (gamma / np.sqrt(var + np.float32(1e-5))).reshape(shape)
        return y, ((x[1] - mean.reshape(shape)) * factor + beta.reshape(shape)).astype(np.float32)

    def relu(self, x, name: str):
        return self.node("Relu", [x[0]], name), np.maximum(x[1], 0)

    def relu6(self, x, name: str):
        """torchvision's ReLU6, as its ONNX export spells it: Clip with min 0 and max 6."""
        if not self.clip_bounds:
            self.inits.append(numpy_helper.from_array(np.float32(0), "clip.min"))
            self.inits.append(numpy_helper.from_array(np.float32(6), "clip.max"))
            self.clip_bounds = True
        return self.node("Clip", [x[0], "clip.min", "clip.max"], name), np.clip(x[1], 0, 6)

    def add(self, a, b, name: str):
        return self.node("Add", [a[0], b[0]], name), a[1] + b[1]

    def max_pool(self, x, name: str):
        """3 x 3 max pooling, stride 2, padding 1 (ResNet's stem)."""
        y = self.node("MaxPool", [x[0]], name, kernel_shape=[3, 3], strides=[2, 2], pads=[1] * 4)
        h, w = x[1].shape[2:]
        out_hw = ((h - 1) // 2 + 1, (w - 1) // 2 + 1)
        value = self._pool2d(x[1], "max", (3, 3), (2, 2), (1,) * 4, (1, 1), 0, out_hw)
        return y, value

    def head(self, x, name: str, classes: int, init: str):
        """GlobalAveragePool → Flatten → Gemm (`name` is the classifier's parameter prefix)."""
        pooled = self.node("GlobalAveragePool", [x[0]], "avgpool")
        flat = self.node("Flatten", [pooled], "flatten", axis=1)
        features = x[1].mean(axis=(2, 3))
        k = features.shape[1]
        if init == "uniform":  # torch.nn.Linear's default
            bound = 1 / math.sqrt(k)
            w = self.param(
                f"{name}.weight",
                (classes, k),
                lambda: self.rng.uniform(-bound, bound, (classes, k)),
            )
            b = self.param(
                f"{name}.bias", (classes,), lambda: self.rng.uniform(-bound, bound, classes)
            )
        else:  # torchvision's MobileNetV2 classifier
            w = self.param(
                f"{name}.weight", (classes, k), lambda: self.rng.normal(0, 0.01, (classes, k))
            )
            b = self.param(f"{name}.bias", (classes,), lambda: np.zeros(classes))
        y = self.node("Gemm", [flat, f"{name}.weight", f"{name}.bias"], "output", transB=1)
        return y, features @ w.T + b

    def model(self, graph_name: str, batch: int, size: int, classes: int) -> onnx.ModelProto:
        if self.unused:
            raise ValueError(f"unknown parameter(s): {', '.join(sorted(self.unused))}")
        g = helper.make_graph(
            self.nodes,
            graph_name,
            [helper.make_tensor_value_info("input", TensorProto.FLOAT, [batch, 3, size, size])],
            [helper.make_tensor_value_info("output", TensorProto.FLOAT, [batch, classes])],
            self.inits,
        )
        model = helper.make_model(
            g, opset_imports=[helper.make_opsetid("", OPSET)], producer_name="canopy-ir zoo"
        )
        onnx.checker.check_model(model)
        return model


def resnet18(
    size: int = 224,
    classes: int = 1000,
    batch: int = 1,
    seed: int = 0,
    params: Mapping[str, np.ndarray] | None = None,
    batchnorm: str = "calibrated",
) -> onnx.ModelProto:
    """torchvision's ResNet-18 (BasicBlock, layers 2-2-2-2) as a float ONNX model.

    Input `input` batch x 3 x size x size (size ≥ 32 and a multiple of 32 keeps every stage's
    stride exact; 224 is ImageNet's), output `output` batch x classes. `params`: torchvision
    state-dict entries that replace the seeded ones (e.g. a pretrained network's); `batchnorm`:
    see BATCHNORM."""
    net = _Net(size, seed, params, batchnorm)
    x = net.relu(net.bn(net.conv(net.input, "conv1", 64, 7, 2), "bn1"), "relu")
    x = net.max_pool(x, "maxpool")
    for stage, (width, stride) in enumerate(((64, 1), (128, 2), (256, 2), (512, 2)), start=1):
        for block in range(2):
            p = f"layer{stage}.{block}"
            s = stride if block == 0 else 1
            y = net.relu(net.bn(net.conv(x, f"{p}.conv1", width, 3, s), f"{p}.bn1"), f"{p}.relu1")
            y = net.bn(net.conv(y, f"{p}.conv2", width, 3), f"{p}.bn2")
            if s != 1 or x[1].shape[1] != width:
                x = net.bn(net.conv(x, f"{p}.downsample.0", width, 1, s), f"{p}.downsample.1")
            x = net.relu(net.add(y, x, f"{p}.add"), f"{p}.relu2")
    net.head(x, "fc", classes, init="uniform")
    return net.model("resnet18", batch, size, classes)


def _divisible(v: float, divisor: int = 8) -> int:
    """torchvision's _make_divisible: round to a multiple of 8, never more than 10 % below."""
    new = max(divisor, int(v + divisor / 2) // divisor * divisor)
    return new + divisor if new < 0.9 * v else new


# (expansion t, output channels c, repeats n, first stride s), torchvision's table
MOBILENET_V2_SETTINGS = (
    (1, 16, 1, 1),
    (6, 24, 2, 2),
    (6, 32, 3, 2),
    (6, 64, 4, 2),
    (6, 96, 3, 1),
    (6, 160, 3, 2),
    (6, 320, 1, 1),
)


def mobilenet_v2(
    size: int = 224,
    classes: int = 1000,
    batch: int = 1,
    seed: int = 0,
    width_mult: float = 1.0,
    params: Mapping[str, np.ndarray] | None = None,
    batchnorm: str = "calibrated",
) -> onnx.ModelProto:
    """torchvision's MobileNetV2 as a float ONNX model: inverted residual blocks (1x1 expansion,
    3x3 depthwise conv, linear 1x1 projection, residual add when shapes allow), ReLU6 as Clip.

    Input `input` batch x 3 x size x size (a multiple of 32), output `output` batch x classes;
    `width_mult` scales every layer's channels (torchvision's option; 0.35 for a fast model).
    Parameter names follow torchvision (`features.2.conv.1.0.weight`, ...); `batchnorm`: see
    BATCHNORM."""
    net = _Net(size, seed, params, batchnorm)

    def conv_bn_relu6(x, prefix: str, out_ch: int, k: int, stride: int = 1, groups: int = 1):
        y = net.bn(net.conv(x, f"{prefix}.0", out_ch, k, stride, groups), f"{prefix}.1")
        return net.relu6(y, f"{prefix}.2")

    channels = _divisible(32 * width_mult)
    x = conv_bn_relu6(net.input, "features.0", channels, 3, 2)
    index = 1
    for t, c, n, s in MOBILENET_V2_SETTINGS:
        out_ch = _divisible(c * width_mult)
        for i in range(n):
            stride = s if i == 0 else 1
            p = f"features.{index}.conv"
            hidden = channels * t
            y, layer = x, 0
            if t != 1:
                y = conv_bn_relu6(y, f"{p}.0", hidden, 1)
                layer = 1
            y = conv_bn_relu6(y, f"{p}.{layer}", hidden, 3, stride, groups=hidden)
            y = net.bn(net.conv(y, f"{p}.{layer + 1}", out_ch, 1), f"{p}.{layer + 2}")
            x = net.add(x, y, f"features.{index}.add") if stride == 1 and channels == out_ch else y
            channels, index = out_ch, index + 1
    last = _divisible(1280 * max(1.0, width_mult))
    x = conv_bn_relu6(x, f"features.{index}", last, 1)
    net.head(x, "classifier.1", classes, init="normal")
    return net.model("mobilenet_v2", batch, size, classes)


MODELS = {"resnet18": resnet18, "mobilenet_v2": mobilenet_v2}


def with_batch(model: onnx.ModelProto, batch: int) -> onnx.ModelProto:
    """The same model for `batch` images: its input's and output's first dimension set, the
    intermediate shapes left to be inferred again (any model whose graph does not spell out its
    batch size, e.g. the zoo's, float or quantized)."""
    m = onnx.ModelProto()
    m.CopyFrom(model)
    for value in (*m.graph.input, *m.graph.output):
        value.type.tensor_type.shape.dim[0].dim_value = batch
    del m.graph.value_info[:]
    return m


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("model", choices=sorted(MODELS))
    ap.add_argument("-o", "--output", required=True, help="where to write the ONNX model")
    ap.add_argument("--size", type=int, default=224, help="input height and width")
    ap.add_argument("--classes", type=int, default=1000)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--batchnorm", choices=BATCHNORM, default="calibrated")
    ap.add_argument("--input", help="also save a sample input (.npy) here")
    args = ap.parse_args(argv)
    build = MODELS[args.model]
    model = build(size=args.size, classes=args.classes, seed=args.seed, batchnorm=args.batchnorm)
    onnx.save(model, args.output)
    if args.input:
        np.save(args.input, sample_input(args.size, seed=args.seed))
    print(f"wrote {args.output}" + (f" and {args.input}" if args.input else ""))


if __name__ == "__main__":
    main()
