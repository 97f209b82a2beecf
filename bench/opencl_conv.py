"""The convolutions of ResNet-50 (the onnx wheel's, every distinct layer once) as channels-last
kernels (codegen/conv_nhwc.py) with requantization fused, on one OpenCL device: each engine and
tile choice timed by the device's profiling counters, each output checked bit for bit against
canopy_ir.kernels on its first and last image, and the network's total conv time per engine.

    python -m bench.opencl_conv [--device NVIDIA] [--batches 1,32] [--budget 240] [--json f]

Variants per layer: "plan" (what the host store picks: codegen.conv_nhwc.mma_plan on NVIDIA,
the tiled engine elsewhere), the portable "tiled" engine, and on NVIDIA every tensor-core tile
of CONV_MMA_TILES unsplit plus the smallest one with the reduction split 2 to 16 ways. After
`--budget` seconds only "plan" is timed for the remaining layers.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from collections import Counter
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent


def resnet50_convs() -> Counter:
    """(C, H, W, weight shape, strides, pads) -> how many layers of ResNet-50 have it."""
    import onnx
    from onnx import numpy_helper, shape_inference

    sys.path.insert(0, str(ROOT / "examples"))
    import light_models

    model = shape_inference.infer_shapes(onnx.load(light_models.path("resnet50")))
    shapes = {}
    for v in [*model.graph.input, *model.graph.value_info]:
        shapes[v.name] = [d.dim_value for d in v.type.tensor_type.shape.dim]
    for init in model.graph.initializer:
        shapes[init.name] = list(numpy_helper.to_array(init).shape)
    found: Counter = Counter()
    for node in model.graph.node:
        if node.op_type != "Conv":
            continue
        attrs = {a.name: list(a.ints) for a in node.attribute}
        w = shapes.get(node.input[1])
        if not w:  # ConstantOfShape weights: their shape is the node's input
            producer = next(n for n in model.graph.node if node.input[1] in n.output)
            const = next(i for i in model.graph.initializer if i.name == producer.input[0])
            w = [int(d) for d in numpy_helper.to_array(const)]
        _, c, h, wd = shapes[node.input[0]]
        strides, pads = tuple(attrs.get("strides", [1, 1])), tuple(attrs.get("pads", [0] * 4))
        found[(c, h, wd, tuple(w), strides, pads)] += 1
    return found


def variants(rt, pixels: int, o: int, k_len: int) -> list[tuple[str, str, object, int]]:
    from canopy_ir.backend.opencl.codegen.conv_nhwc import CONV_MMA_TILES, mma_plan

    out = []
    if rt.is_nvidia:
        tiles, split = mma_plan(pixels, o, k_len, rt.device.max_compute_units)
        out.append(("plan", "mma", tiles, split))
        for t in CONV_MMA_TILES:
            if (t, 1) != (tiles, split):
                out.append((f"mma {t.bm}x{t.bn}", "mma", t, 1))
        small = CONV_MMA_TILES[-1]
        for s in (2, 4, 8, 16):
            if (small, s) != (tiles, split) and k_len // small.bk >= 2 * s:
                out.append((f"mma {small.bm}x{small.bn} split {s}", "mma", small, s))
    else:
        out.append(("plan", "tiled", None, 1))
    out.append(("tiled", "tiled", None, 1))
    return out


def measure(rt, layer, batch: int, quick: bool, repeats: int) -> list[dict]:
    from canopy_ir.backend.opencl.codegen.conv import output_hw
    from canopy_ir.backend.opencl.codegen.conv_nhwc import conv2d_nhwc
    from canopy_ir.backend.opencl.codegen.layout import nhwc, ohwi
    from canopy_ir.kernels import conv2d as conv_ref
    from canopy_ir.quant import Requant, requantize

    c, h, w, w_shape, strides, pads = layer
    o = w_shape[0]
    rng = np.random.default_rng(0)
    x = rng.integers(-128, 128, (batch, c, h, w), dtype=np.int8)
    wt = rng.integers(-128, 128, w_shape, dtype=np.int8)
    bias = rng.integers(-(2**20), 2**20, o).astype(np.int32)
    rq = Requant(20, 0, 0, 127, 0, tuple(int(m) for m in rng.integers(1 << 10, 1 << 12, o)))
    oh, ow = output_hw(h, w, w_shape[2], w_shape[3], strides, pads, (1, 1))
    k_len = ohwi(w_shape, nhwc(c).cp).k
    want = {}
    for i in {0, batch - 1}:
        acc = conv_ref(x[i : i + 1], wt, bias, strides, pads, (1, 1), 1)
        want[i] = requantize(acc, rq.shift, rq.zero_point, rq.lo, rq.hi, rq.multipliers, 0)
    rows = []
    inputs = None
    for label, engine, tiles, split in variants(rt, batch * oh * ow, o, k_len):
        if quick and label != "plan":
            continue
        row = {"variant": label}
        try:
            kernel = conv2d_nhwc(x.shape, w_shape, strides, pads, (1, 1), 1, True, rq, None,
                                 None, engine, tiles, split, dot=rt.dot)  # fmt: skip
            if inputs is None:
                inputs = [rt.upload(a) for a in _packed(kernel, [x, wt, bias])]
            launch = rt.launch(kernel, *inputs)
            row["us"] = statistics.median(launch.time(repeats)) * 1e6
            y = launch.read()[0]
            row["exact"] = all(np.array_equal(y[i : i + 1], want[i]) for i in want)
            row["tops"] = kernel.ops / (row["us"] * 1e-6) / 1e12
        except Exception as e:  # a variant that does not build or run: reported, skipped
            row["error"] = f"{type(e).__name__}: {str(e).splitlines()[0][:200]}"
        rows.append(row)
    return rows


def _packed(kernel, arrays):
    from canopy_ir.backend.opencl.codegen.layout import NCHW, pack

    inputs = [b for b in kernel.buffers if b.role == "in"]
    return [pack(b.layout or NCHW, a) for b, a in zip(inputs, arrays, strict=True)]


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--device")
    ap.add_argument("--batches", default="1,32")
    ap.add_argument("--budget", type=float, default=240.0, help="seconds of full sweeps")
    ap.add_argument("--repeats", type=int, default=20)
    ap.add_argument("--json")
    args = ap.parse_args(argv)
    from canopy_ir.backend.opencl.codegen.runtime import get_runtime

    rt = get_runtime(args.device)
    layers = resnet50_convs()
    print(f"{rt.name}: {len(layers)} distinct convolutions, {sum(layers.values())} layers")
    start, results, bad = time.perf_counter(), [], 0
    for batch in [int(b) for b in args.batches.split(",")]:
        totals: Counter = Counter()
        for layer, count in layers.items():
            quick = time.perf_counter() - start > args.budget
            rows = measure(rt, layer, batch, quick, args.repeats)
            ok = [r for r in rows if r.get("exact")]
            bad += sum(1 for r in rows if r.get("exact") is False)
            best = min(ok, key=lambda r: r["us"]) if ok else None
            plan = next((r for r in rows if r["variant"] == "plan" and "us" in r), None)
            totals["plan"] += count * (plan["us"] if plan else float("nan"))
            totals["best"] += count * (best["us"] if best else float("nan"))
            results.append({"batch": batch, "layer": str(layer), "count": count, "rows": rows})
            cells = "; ".join(
                f"{r['variant']} {r['us']:.1f} us{'' if r['exact'] else ' WRONG'}" if "us" in r
                else f"{r['variant']} {r['error']}"
                for r in rows
            )  # fmt: skip
            print(f"b{batch} x{count} {layer}: {cells}", flush=True)
        print(f"batch {batch}: convs as planned {totals['plan'] / 1e3:.3f} ms, best variant per "
              f"layer {totals['best'] / 1e3:.3f} ms", flush=True)  # fmt: skip
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=1))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
