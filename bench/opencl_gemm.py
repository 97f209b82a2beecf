"""int8 GEMM from the OpenCL code generator (backend/opencl/codegen): M=N=K=4096 by default.

    python -m bench.opencl_gemm [--size 4096] [--device NVIDIA] [--json out.json] [--no-ort]

Runs the tile search (tuning.search_dense: a few tile shapes × dot-product modes, each checked
bit for bit against numpy on sampled rows), then the fastest tiles again with bias and fused
per-channel requantization to int8. For scale, onnxruntime's CPU provider on the same host in the
same run: MatMulInteger (int8 × int8 → int32, also checked against numpy) and an fp32 MatMul.
Prints a table and a BENCHMARKS.md row (appended with --append). TOPS = 2·M·N·K / seconds;
device times come from OpenCL profiling events (median of the repeats, no host transfers).
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import statistics
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent


def _import_codegen():
    """The generator package; in a checkout that is only on PYTHONPATH (not pip-installed, as on
    a bare benchmark machine) backend/ is mapped to canopy_ir.backend by hand."""
    try:
        import canopy_ir.backend.opencl.codegen as codegen
    except ImportError:
        import canopy_ir

        canopy_ir.__path__.append(str(ROOT))
        import canopy_ir.backend.opencl.codegen as codegen
    return codegen


def _ort_models(x, w, fp32: bool):
    """onnxruntime CPU sessions of x·wᵀ: MatMulInteger on x + 128 as uint8 with zero point 128
    (exactly x·wᵀ; uint8 × int8 is the layout onnxruntime's int8 kernels are built for) and, with
    `fp32`, MatMul on floats. Each maps an input "a" to the product."""
    import onnxruntime as ort
    from onnx import TensorProto, helper, numpy_helper

    def session(node, a_type, y_type, initializers):
        k = x.shape[1]
        n = initializers[0].dims[1]
        graph = helper.make_graph(
            [node],
            "gemm",
            [helper.make_tensor_value_info("a", a_type, ["m", k])],
            [helper.make_tensor_value_info("y", y_type, ["m", n])],
            initializers,
        )
        model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
        model.ir_version = 8
        options = ort.SessionOptions()
        options.log_severity_level = 3
        return ort.InferenceSession(
            model.SerializeToString(), options, providers=["CPUExecutionProvider"]
        )

    shifted = (x.astype(np.int16) + 128).astype(np.uint8)
    integer = session(
        helper.make_node("MatMulInteger", ["a", "b", "za"], ["y"]),
        TensorProto.UINT8,
        TensorProto.INT32,
        [numpy_helper.from_array(w.T.copy(), "b"), numpy_helper.from_array(np.uint8(128), "za")],
    )
    out = {"MatMulInteger u8s8": (integer, shifted)}
    if fp32:
        floats = session(
            helper.make_node("MatMul", ["a", "b"], ["y"]),
            TensorProto.FLOAT,
            TensorProto.FLOAT,
            [numpy_helper.from_array(w.T.astype(np.float32), "b")],
        )
        out["MatMul fp32"] = (floats, x.astype(np.float32))
    return out


def _tiles(t) -> str:
    """A candidate in one short string (block, k-tile, per-work-item or per-warp tile)."""
    if hasattr(t, "tm"):
        return f"{t.bm}x{t.bn} bk{t.bk} {t.tm}x{t.tn}/item"
    return f"{t.bm}x{t.bn} bk{t.bk} {t.wm}x{t.wn} warps {t.mt}x{t.nt} frags"


def best_of(fn, runs: int) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=4096, help="M = N = K")
    parser.add_argument("--device", default=None, help="OpenCL device: name substring or index")
    parser.add_argument("--repeats", type=int, default=10)
    parser.add_argument("--quick", action="store_true", help="two small candidates only")
    parser.add_argument("--no-ort", action="store_true", help="skip onnxruntime")
    parser.add_argument("--json", default=None, help="write every figure to this file")
    parser.add_argument("--append", action="store_true", help="append the row to BENCHMARKS.md")
    parser.add_argument(
        "--save-binaries", default=None, help="directory for each variant's device code and log"
    )
    args = parser.parse_args(argv)
    codegen = _import_codegen()
    tuning = codegen.tuning
    from canopy_ir.kernels import dense as dense_ref
    from canopy_ir.quant import Requant, requantize

    size = args.size
    ops = 2 * size**3
    rt = codegen.Runtime(args.device)
    dev = rt.device
    print(
        f"device: {rt.name} ({dev.version.strip()}, driver {dev.driver_version}), "
        f"{dev.max_compute_units} compute units, integer dot product extension: "
        f"{'cl_khr_integer_dot_product' in dev.extensions}"
    )
    rng = np.random.default_rng(0)
    x = rng.integers(-128, 128, (size, size), dtype=np.int8)
    w = rng.integers(-128, 128, (size, size), dtype=np.int8)
    bias = rng.integers(-(2**20), 2**20, size, dtype=np.int32)
    rows = np.unique(np.r_[0:16, size - 16 : size, rng.integers(0, size, 96)])
    rows = rows[(rows >= 0) & (rows < size)]
    expected = dense_ref(x[rows], w, bias)  # float64 BLAS, exact for these sums, then int32
    device_inputs = (rt.upload(x), rt.upload(w), rt.upload(bias))

    def exact(y):
        return np.array_equal(y[rows], expected)

    candidates = tuning.CANDIDATES[-2:] if args.quick else tuning.CANDIDATES
    start = time.perf_counter()
    trials = tuning.search_dense(
        rt, device_inputs, size, size, size, exact, True, None, candidates, repeats=args.repeats
    )
    search_s = time.perf_counter() - start
    print(f"\ntile search ({len(trials)} variants, {search_s:.1f} s), int32 output with bias:")
    print(f"{'tiles':>36} {'dot':>4} {'ms':>8} {'TOPS':>7}  exact")
    for t in trials:
        shape = _tiles(t.tiles)
        if t.error:
            print(f"{shape:>36} {t.dot:>4}  skipped: {t.error}")
        else:
            print(f"{shape:>36} {t.dot:>4} {t.seconds * 1e3:8.3f} {t.tops(ops):7.2f}  {t.exact}")
    best = next((t for t in trials if t.exact), None)
    if args.save_binaries:
        _save_binaries(rt, trials, size, Path(args.save_binaries), tuning)
    results = {
        "date": str(datetime.date.today()),
        "device": rt.name,
        "driver": dev.driver_version,
        "size": size,
        "search_seconds": search_s,
        "trials": [
            {"tiles": _tiles(t.tiles), **t.tiles.__dict__, "dot": t.dot, "seconds": t.seconds,
             "exact": t.exact, "error": t.error, "detail": t.detail}
            for t in trials
        ],
    }  # fmt: skip
    if best is not None:
        mult = tuple(int(v) for v in rng.integers(2**19, 2**20, size))
        rq = Requant(shift=14, zero_point=-3, lo=-128, hi=127, pre_shift=9, multipliers=mult)
        kernel = tuning.make_dense(size, size, size, True, rq, best.tiles, best.dot)
        launch = rt.launch(kernel, *device_inputs)
        rq_s = statistics.median(launch.time(args.repeats))
        want = requantize(expected, rq.shift, rq.zero_point, rq.lo, rq.hi, mult, rq.pre_shift)
        rq_exact = bool(np.array_equal(launch.read()[0][rows], want))
        print(
            f"\nbest {_tiles(best.tiles)} dot {best.dot}: {best.seconds * 1e3:.3f} ms = "
            f"{best.tops(ops):.1f} TOPS (int32 out); fused per-channel requantization to "
            f"int8: {rq_s * 1e3:.3f} ms = {ops / rq_s / 1e12:.1f} TOPS, exact {rq_exact}"
        )
        results["best"] = {**results["trials"][0], "tops": best.tops(ops)}
        results["requant"] = {"seconds": rq_s, "tops": ops / rq_s / 1e12, "exact": rq_exact}
    if not args.no_ort:
        results["onnxruntime"] = _run_ort(x, w, rows, expected - bias, ops)
    machine = f"{platform.machine()} {os.cpu_count()} cores, Python {platform.python_version()}"
    results["host"] = machine
    figures = _figures(results)
    row = (
        f"| {results['date']} | {machine}, {rt.name} | `python -m bench.opencl_gemm` | "
        f"int8 GEMM {size}x{size}x{size} (OpenCL codegen) | {figures} |"
    )
    print("\n" + row)
    if args.append:
        with open(ROOT / "BENCHMARKS.md", "a") as f:
            f.write(row + "\n")
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=1, default=str))


def _save_binaries(rt, trials, size, folder: Path, tuning) -> None:
    """Each variant's device code (PTX on NVIDIA) and, for the four fastest, the build log with
    the compiler's resource report (registers, spills) where the platform has one."""
    import dataclasses

    folder.mkdir(parents=True, exist_ok=True)
    ran = [t for t in trials if t.error is None]
    for rank, t in enumerate(ran):
        kernel = tuning.make_dense(size, size, size, True, None, t.tiles, t.dot)
        name = f"{rank:02d}_{t.dot}_" + _tiles(t.tiles).replace(" ", "_").replace("/", "-")
        binary = rt.program(kernel).binaries[0]
        (folder / f"{name}.bin").write_bytes(binary)
        if rank < 4 and rt.is_nvidia:
            verbose = dataclasses.replace(kernel, options=("-cl-nv-verbose",))
            log = rt.program(verbose).get_build_info(rt.device, rt.cl.program_build_info.LOG)
            (folder / f"{name}.log").write_text(log)


def _run_ort(x, w, rows, expected_no_bias, ops) -> dict:
    try:
        import onnxruntime as ort

        sessions = _ort_models(x, w, fp32=True)
    except Exception as e:  # a missing package or an unsupported op: report, keep the rest
        print(f"onnxruntime skipped: {type(e).__name__}: {e}")
        return {"error": str(e)}
    out = {"version": ort.__version__}
    print(f"\nonnxruntime {ort.__version__} CPU provider ({os.cpu_count()} cores), best of 3:")
    for name, (sess, a) in sessions.items():
        sess.run(None, {"a": a})  # warm-up: weight pre-packing happens on the first run
        seconds = best_of(lambda s=sess, a=a: s.run(None, {"a": a}), 3)
        y = sess.run(None, {"a": a[rows]})[0] if "Integer" in name else None
        ok = None if y is None else bool(np.array_equal(y, expected_no_bias))
        print(
            f"  {name:20} {seconds * 1e3:9.1f} ms {ops / seconds / 1e12:7.2f} TOPS"
            + ("" if ok is None else f"  exact {ok}")
        )
        out[name] = {"seconds": seconds, "tops": ops / seconds / 1e12, "exact": ok}
    return out


def _figures(r: dict) -> str:
    parts = []
    if "best" in r:
        b = r["best"]
        parts.append(
            f"best {b['tiles']} dot {b['dot']}: {b['seconds'] * 1e3:.3f} ms = "
            f"{b['tops']:.1f} TOPS int32 out, bit-exact on sampled rows"
        )
        q = r["requant"]
        parts.append(f"fused requant to int8 {q['seconds'] * 1e3:.3f} ms = {q['tops']:.1f} TOPS")
    else:
        parts.append("no exact candidate")
    for name, v in r.get("onnxruntime", {}).items():
        if isinstance(v, dict):
            parts.append(
                f"onnxruntime CPU {name} {v['seconds'] * 1e3:.1f} ms = "
                f"{v['tops']:.2f} TOPS (reference, same run)"
            )
    parts.append(f"tile search {r['search_seconds']:.1f} s over {len(r['trials'])} variants")
    return ", ".join(parts)


if __name__ == "__main__":
    sys.exit(main())
