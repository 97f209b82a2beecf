"""The zoo ResNet-18 and MobileNetV2 (examples/zoo.py, quantized by the compiler) through the three
targets: `sim` (the simulated card), `opencl` (generated kernels) and `accel-opencl` (the
accelerator in OpenCL C plus generated kernels), each output compared with the simulated card's.

    python -m bench.opencl_targets compile --out DIR [--size 224]   # here: the artefacts
    python -m bench.opencl_targets run --out DIR [--device NVIDIA]  # where the OpenCL device is

The two steps may run on different machines: `run` needs only numpy, pyopencl and the runtime
(no xDSL, no onnx). Prints ms per image (best of 2 after a warm-up) and whether each target's
output equals the simulated card's.
"""

from __future__ import annotations

import argparse
import sys
import time
import warnings
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
MODELS = ("resnet18", "mobilenet_v2")
TARGETS = ("sim", "opencl", "accel-opencl")


def compile_all(out: Path, size: int) -> None:
    import onnx

    sys.path.insert(0, str(ROOT / "examples"))
    import zoo

    from canopy_ir.compiler.driver import compile_model

    out.mkdir(parents=True, exist_ok=True)
    np.save(out / "x.npy", zoo.sample_input(size, seed=3))
    rng = np.random.default_rng(5)
    for name in MODELS:
        onnx.save(zoo.MODELS[name](size=size), out / f"{name}.onnx")
        samples = rng.standard_normal((4, 3, size, size)).astype(np.float32)
        np.savez(out / f"{name}.calib.npz", input=samples)
        for target in TARGETS:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                compile_model(
                    out / f"{name}.onnx",
                    out / f"{name}.{target}.canopy",
                    calibrate=str(out / f"{name}.calib.npz"),
                    target=target,
                )
            print(f"compiled {name} for {target}", flush=True)


def run_all(out: Path, device: str) -> None:
    import canopy_ir

    x = np.load(out / "x.npy")
    for name in MODELS:
        reference = None
        for target in TARGETS:
            where = "sim" if target == "sim" else f"opencl:{device}" if device else "opencl"
            sess = canopy_ir.InferenceSession(str(out / f"{name}.{target}.canopy"), device=where)
            (y,) = sess.run(None, {"input": x})
            best = float("inf")
            for _ in range(2):
                start = time.perf_counter()
                sess.run(None, {"input": x})
                best = min(best, time.perf_counter() - start)
            reference = y if reference is None else reference
            print(
                f"{name:13s} {target:13s} {best * 1e3:9.2f} ms/img  equal to sim: "
                f"{np.array_equal(y, reference)} (max |diff| {np.abs(y - reference).max():.3g})",
                flush=True,
            )


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("step", choices=("compile", "run"))
    ap.add_argument("--out", type=Path, required=True, help="folder of the artefacts")
    ap.add_argument("--size", type=int, default=224)
    ap.add_argument("--device", default="", help="OpenCL device name or index")
    args = ap.parse_args(argv)
    if args.step == "compile":
        compile_all(args.out, args.size)
    else:
        run_all(args.out, args.device)


if __name__ == "__main__":
    main()
