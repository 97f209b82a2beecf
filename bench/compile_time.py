"""Compile time: `compile_model(model, out)` (ONNX → artefact) of three float networks, each
quantized while compiling from 16 synthetic calibration samples (fixed-point scales, the default),
next to a reference tree compiling the same files in the same sitting.

    python -m bench.compile_time [--reference TREE [--reference-python PY]] [--runs 3]
                                 [--models resnet18,mobilenet_v2,resnet50]
                                 [--no-record | --record-in FILE]

The models: ResNet-18 and MobileNet-v2 from examples/zoo.py and the onnx wheel's ResNet-50
(examples/light_models.py, seeded random weights, seed 0), all 224x224. Each compile runs in a
fresh process (lazy imports included, as for a user); the figures are its wall time around
`compile_model` (best of `--runs`, the two trees alternating so that they share the machine's
load), the `graph-quantize` step's share of it, and the process's peak RSS. With `--reference`
(a checkout of another commit, run with its own Python: `--reference-python`, default its
.venv's), the row says for which models both trees' artefacts hold identical instructions,
micro-ops and weights. The load average before and after goes into the row (BENCHMARKS.md of
this tree, or `--record-in`): on a shared machine the times move with it.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import subprocess
import sys
import tempfile
import warnings
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MODELS = ("resnet18", "mobilenet_v2", "resnet50")
LABELS = {"resnet18": "ResNet-18", "mobilenet_v2": "MobileNet-v2", "resnet50": "ResNet-50"}
COMPARED = ("insns.bin", "uops.bin", "weights.bin")

# Run in a fresh interpreter with the tree's root as the working directory.
# Peak RSS: VmHWM, the high-water mark of the process's own memory (ru_maxrss keeps the
# parent's across fork and exec).
CHILD = """
import json, resource, sys, time, warnings
warnings.simplefilter("ignore")
from canopy_ir.compiler.driver import compile_model
start = time.perf_counter()
result = compile_model(sys.argv[1], sys.argv[2])
wall = time.perf_counter() - start
try:
    with open("/proc/self/status") as f:
        rss = next(int(l.split()[1]) * 1024 for l in f if l.startswith("VmHWM:"))
except OSError:
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
print(json.dumps({
    "wall": wall,
    "rss": rss,
    "insns": result.artefact.insn_count,
    "quantize": sum(s.seconds for s in result.steps if s.name == "graph-quantize"),
}))
"""


def write_models(names: list[str], folder: Path) -> dict[str, Path]:
    sys.path.insert(0, str(ROOT / "examples"))
    import light_models
    import onnx
    import zoo

    paths = {}
    for name in names:
        if name == "resnet50":
            model = light_models.with_random_weights(onnx.load(light_models.path(name)), 0)
        else:
            model = zoo.MODELS[name](size=224)
        paths[name] = folder / f"{name}.onnx"
        onnx.save(model, paths[name])
    return paths


def compile_once(python: str, tree: Path, model: Path, out: Path) -> dict:
    env = dict(os.environ)
    if tree != ROOT:  # the other tree imports its own canopy_ir, not one PYTHONPATH names
        env.pop("PYTHONPATH", None)
    proc = subprocess.run(
        [python, "-c", CHILD, str(model), str(out)],
        cwd=tree,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if proc.returncode != 0:
        sys.exit(f"compiling {model.name} in {tree} failed:\n{proc.stderr[-2000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def same_streams(a: Path, b: Path) -> bool:
    with zipfile.ZipFile(a) as za, zipfile.ZipFile(b) as zb:
        return all(za.read(m) == zb.read(m) for m in COMPARED)


def best(runs: list[dict]) -> dict:
    return min(runs, key=lambda r: r["wall"])


def commit_of(tree: Path) -> str:
    try:
        out = subprocess.run(
            ["git", "-C", str(tree), "rev-parse", "--short", "HEAD"],
            capture_output=True,
            text=True,
            check=True,
        )
        return out.stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown commit"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--reference", type=Path, help="another checkout, timed alongside")
    parser.add_argument("--reference-python", help="its Python (default: TREE/.venv/bin/python)")
    parser.add_argument("--runs", type=int, default=3, help="compiles per model and tree")
    parser.add_argument("--models", default=",".join(MODELS), help="comma-separated")
    parser.add_argument("--no-record", action="store_true", help="do not append to BENCHMARKS.md")
    parser.add_argument(
        "--record-in", type=Path, default=ROOT / "BENCHMARKS.md", help="the file to append to"
    )
    args = parser.parse_args(argv)
    names = [m for m in args.models.split(",") if m]
    unknown = sorted(set(names) - set(MODELS))
    if unknown or args.runs < 1:
        parser.error(f"--models from {', '.join(MODELS)}; --runs >= 1 (got {unknown or args.runs})")
    trees = {"this tree": (sys.executable, ROOT)}
    if args.reference is not None:
        ref_python = args.reference_python or str(args.reference / ".venv" / "bin" / "python")
        if not Path(ref_python).exists():
            parser.error(f"no Python at {ref_python}; give --reference-python")
        trees["reference"] = (ref_python, args.reference.resolve())
    load_before = os.getloadavg()
    results: dict[str, dict[str, list[dict]]] = {}
    identical: dict[str, bool] = {}
    with tempfile.TemporaryDirectory() as tmp, warnings.catch_warnings():
        warnings.simplefilter("ignore")
        folder = Path(tmp)
        paths = write_models(names, folder)
        for name in names:
            results[name] = {label: [] for label in trees}
            for run in range(args.runs):
                for label, (python, tree) in trees.items():
                    out = folder / f"{name}.{label.replace(' ', '_')}.canopy"
                    results[name][label].append(compile_once(python, tree, paths[name], out))
                    print(f"{name} {label} run {run + 1}: {results[name][label][-1]['wall']:.2f} s")
            if len(trees) == 2:
                identical[name] = same_streams(
                    folder / f"{name}.this_tree.canopy", folder / f"{name}.reference.canopy"
                )
    load_after = os.getloadavg()

    figures = []
    print(f"\n{'model':14} {'tree':10} {'insns':>7} {'wall s':>7} {'quantize s':>10} {'RSS GB':>7}")
    for name in names:
        for label, runs in results[name].items():
            r = best(runs)
            print(
                f"{LABELS[name]:14} {label:10} {r['insns']:7d} {r['wall']:7.2f} "
                f"{r['quantize']:10.2f} {r['rss'] / 1e9:7.2f}"
            )
        r = best(results[name]["this tree"])
        text = (
            f"{LABELS[name]} {r['insns']} insns: {r['wall']:.2f} s (graph-quantize "
            f"{r['quantize']:.2f} s), {r['rss'] / 1e9:.2f} GB"
        )
        if "reference" in results[name]:
            ref = best(results[name]["reference"])
            text += (
                f" (reference {ref['wall']:.2f} s, graph-quantize {ref['quantize']:.2f} s, "
                f"{ref['rss'] / 1e9:.2f} GB)"
            )
        figures.append(text)
    loads = f"load average {load_before[0]:.2f} before, {load_after[0]:.2f} after"
    print(loads)
    if len(trees) == 2:
        print(f"identical {'/'.join(COMPARED)}: {identical}")
    if args.no_record:
        return
    machine = f"{platform.machine()} {os.cpu_count()} cores, Python {platform.python_version()}"
    reference = ""
    if args.reference is not None:
        reference = (
            f"; reference: the tree at {commit_of(args.reference)} (its own Python), the same "
            "files in the same sitting, alternating"
        )
        same = [LABELS[n] for n in names if identical[n]]
        if len(same) == len(names):
            figures.append(f"identical {'/'.join(COMPARED)}")
        else:
            figures.append(f"identical {'/'.join(COMPARED)} for: {', '.join(same) or 'none'}")
    workload = (
        "ResNet-18 (examples/zoo.py), MobileNet-v2 (examples/zoo.py), ResNet-50 (onnx wheel light "
        "model, random weights), 224x224"
    )
    if names != list(MODELS):
        workload = ", ".join(LABELS[n] for n in names) + ", 224x224"
    with open(args.record_in, "a") as f:
        f.write(
            f"| {datetime.date.today()} | {machine}, {loads} | `python -m bench.compile_time`: "
            "`compile_model(model, out)` (ONNX → artefact, float models quantized from 16 "
            f"synthetic samples), wall (best of {args.runs}, fresh process each) and peak RSS of "
            f"the process{reference} | {workload} | {'; '.join(figures)} |\n"
        )


if __name__ == "__main__":
    main()
