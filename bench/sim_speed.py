"""Simulator speed: canopy-ir's simulated card against apache/tvm-vta's own functional simulator,
on the same instruction stream, in one run.

    python -m bench.sim_speed --tvm-vta PATH    # prints a table, appends a row to BENCHMARKS.md

PATH is a checkout or a bare clone of github.com/apache/tvm-vta; `bench/vta_sim/fsim.py` builds
its simulator (src/sim/sim_driver.cc and what it needs, g++ -O2) into `bench/vta_sim/build/`.

The stream is bench/e2e.py's ResNet-18-shaped model (compiled here, or `--artefact` to reuse a
compiled one). canopy-ir's card runs it through a Session as `python -m bench.e2e` does (the
first run decodes and compiles the resident stream; the figure is the best of `--runs` later
ones); VTA's simulator gets the same arena bytes (weights, micro-ops and the quantized input the
card started from) and the same stream, relocated to where its DRAM holds the arena, and runs it
with VTADeviceRun. Both arenas must come out identical byte for byte, outputs and every scratch
region alike.
"""

from __future__ import annotations

import argparse
import datetime
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
MODEL = "resnet18-shaped convs 224x224"


def _artefact(path: str | None, tmp: str):
    import onnx

    from bench.e2e import models
    from canopy_ir.artefact import Artefact
    from canopy_ir.compiler.driver import compile_model

    if path is None:
        _, model, _ = next(m for m in models() if m[0] == MODEL)
        onnx.save(model, f"{tmp}/m.onnx")
        path = f"{tmp}/m.canopy"
        compile_model(f"{tmp}/m.onnx", path)
    return Artefact.load(path)


def _best(times: list[float]) -> float:
    return min(times)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tvm-vta", required=True, type=Path, help="tvm-vta checkout or clone")
    parser.add_argument("--artefact", help="a compiled ResNet-18-shaped .canopy (default: compile)")
    parser.add_argument("--runs", type=int, default=5, help="SimCard runs timed (best counts)")
    parser.add_argument("--vta-runs", type=int, default=3, help="VTA simulator runs timed")
    parser.add_argument(
        "--interpreter-runs", type=int, default=3, help="interpreting simulator runs timed"
    )
    parser.add_argument("--no-record", action="store_true", help="do not append to BENCHMARKS.md")
    args = parser.parse_args(argv)

    from bench.vta_sim.fsim import VtaFsim, build, source_commit
    from canopy_ir.backend.pcie.session import Session, relocate
    from canopy_ir.backend.pcie.simcard import SimCard
    from canopy_ir.hw import isa
    from canopy_ir.hw.schedule import PIPELINE_ORDER, Plan
    from canopy_ir.hw.simulator import FunctionalSimulator

    with tempfile.TemporaryDirectory() as tmp:
        t = time.perf_counter()
        art = _artefact(args.artefact, tmp)
        compile_s = time.perf_counter() - t
    cfg = art.config
    segments = art.segments()
    if len(segments) != 1:
        sys.exit(f"the model runs as {len(segments)} card launches; this benchmark needs one")

    # ---- canopy-ir: the simulated card, through a session -----------------------------------
    card = SimCard(cfg)
    sess = Session(art, card)
    arena = slice(sess.arena.addr, sess.arena.addr + art.arena_bytes)
    before = card.memory[arena].copy()  # weights and micro-ops, nothing else yet
    (name,) = [a.name for a in sess.input_args]
    shape = [a.shape for a in sess.input_args][0]
    feeds = {name: np.random.default_rng(0).uniform(-1, 1, shape).astype(np.float32)}
    t = time.perf_counter()
    sess.run(feeds)  # decodes, plans, models and compiles the resident stream
    cold = time.perf_counter() - t
    after = card.memory[arena].copy()
    start = before.copy()  # what the card's stream started from: the input in place
    for r in sess.inputs:
        start[r.offset : r.offset + r.nbytes] = after[r.offset : r.offset + r.nbytes]
    per_image, execute = [], []
    for _ in range(args.runs):
        e = sess.counters.seconds["execute"]
        t = time.perf_counter()
        sess.run(feeds)
        per_image.append(time.perf_counter() - t)
        execute.append(sess.counters.seconds["execute"] - e)
    assert np.array_equal(card.memory[arena], after), "the card's runs differ"

    # ---- the interpreting simulator (instruction by instruction), the card's engine before ------
    stream = card.memory[sess.insn_buf.addr :][: len(art.insns)].tobytes()
    insns = isa.decode_insns(stream, cfg)
    plan = Plan(insns)
    interpreted = []
    for _ in range(args.interpreter_runs):
        t = time.perf_counter()
        FunctionalSimulator(cfg, card.memory).run(insns, PIPELINE_ORDER, plan)
        interpreted.append(time.perf_counter() - t)
    assert np.array_equal(card.memory[arena], after), "interpreter and compiled stream differ"

    # ---- VTA's functional simulator, same bytes -----------------------------------------------
    t = time.perf_counter()
    lib = build(args.tvm_vta, cfg)
    build_s = time.perf_counter() - t
    vta = VtaFsim(lib)
    ptr, phy = vta.alloc(art.arena_bytes)
    insn_ptr, insn_phy = vta.alloc(len(art.insns))
    vta.write(insn_ptr, relocate(art.insns, cfg, phy))
    vta_runs, identical = [], True
    for _ in range(args.vta_runs):
        vta.write(ptr, start.tobytes())
        t = time.perf_counter()
        vta.run(insn_phy, art.insn_count)
        vta_runs.append(time.perf_counter() - t)
        identical &= vta.read(ptr, art.arena_bytes) == after.tobytes()

    # ---- report ------------------------------------------------------------------------------
    macs = card.last_stats.macs
    commit = source_commit(args.tvm_vta)[:7]
    rows = [
        ("canopy-ir SimCard, execute (wait)", _best(execute), cold, args.runs),
        ("canopy-ir SimCard, per image (Session.run)", _best(per_image), cold, args.runs),
        (
            "canopy-ir interpreter (FunctionalSimulator.run)",
            _best(interpreted),
            None,
            len(interpreted),
        ),
        (
            f"tvm-vta {commit} sim_driver.cc, g++ -O2 (VTADeviceRun)",
            _best(vta_runs),
            None,
            len(vta_runs),
        ),
    ]
    print(
        f"{MODEL}: {art.insn_count} instructions, {macs / 1e9:.2f} GMAC, "
        f"cycle model {card.last_cycles.total_cycles} cycles"
    )
    print(f"{'simulator':58} {'best s':>8} {'first s':>8} {'runs':>5}")
    for label, best, first, n in rows:
        first_s = f"{first:8.3f}" if first is not None else f"{'':8}"
        print(f"{label:58} {best:8.3f} {first_s} {n:5d}")
    print(
        f"arenas identical after both ({art.arena_bytes} bytes: outputs and scratch): {identical}; "
        f"speed-up {_best(vta_runs) / _best(execute):.1f}x (execute), "
        f"{_best(vta_runs) / _best(per_image):.1f}x (per image); "
        f"compile {compile_s:.1f} s, VTA build {build_s:.1f} s"
    )
    if not identical:
        sys.exit("the two simulators disagree")
    if args.no_record:
        return
    machine = f"{platform.machine()} {os.cpu_count()} cores, Python {platform.python_version()}"
    with open(ROOT / "BENCHMARKS.md", "a") as f:
        f.write(
            f"| {datetime.date.today()} | {machine} | `python -m bench.sim_speed` | {MODEL}, "
            f"{art.insn_count} insns, {macs / 1e9:.2f} GMAC | SimCard {_best(per_image):.3f} s/img "
            f"(Session.run, best of {args.runs}; execute {_best(execute):.3f} s; first run "
            f"{cold:.2f} s with decode + compile; interpreting simulator "
            f"{_best(interpreted):.3f} s, instruction by instruction), tvm-vta {commit} functional "
            f"simulator (sim_driver.cc, g++ -O2) {_best(vta_runs):.3f} s (VTADeviceRun, best of "
            f"{len(vta_runs)}; reference, same run); arenas byte-identical |\n"
        )


if __name__ == "__main__":
    main()
