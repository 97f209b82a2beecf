"""OpenCL accelerator benchmark: instructions per second and seconds per image of the accelerator
in OpenCL C (backend/opencl) on a ResNet-18-shaped instruction stream, against the simulated
card in the same run, with a check that both give the same outputs bit for bit.

    python -m bench.opencl_accel                                  # compiles the stream first
    python -m bench.opencl_accel --artefact out/r18.canopy --device "NVIDIA CUDA"
    python -m bench.opencl_accel --model small_cnn --variants "ls=16;ls=64,split=inf" --breakdown

The stream is bench/e2e.py's "resnet18-shaped convs 224x224" (compiled here unless --artefact
names a compiled one). Each variant is a card setting: ls=<work-items of the interpreting
work-group>, split=<GEMM work items from which a GEMM gets a launch of its own across the
device; inf: never>, form=fpga (the single work-item form of the FPGA builds). The table gives,
per card: seconds per image (Session.run, best of --runs after one warm-up run), the card's
share of it (execute), instructions per second over that share, the launches per run and
whether the outputs equal the simulated card's. --breakdown also times the stream's LOADs,
GEMMs (with their micro-op loads), ALU instructions and STOREs run alone on the first variant.

Runs from a source tree that is not installed, too (the GPU machines): it then maps
canopy_ir.backend onto the tree's backend/ folder itself.
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent


def _import_backend() -> None:
    import canopy_ir

    try:
        import canopy_ir.backend  # noqa: F401
    except ImportError:  # not installed: backend/ sits beside canopy_ir/ in the source tree
        canopy_ir.__path__.append(str(ROOT))


def compile_stream(model: str, folder: Path) -> Path:
    """The artefact of `model` (resnet18 or small_cnn), compiled as bench/e2e.py compiles it."""
    import onnx

    sys.path.insert(0, str(ROOT / "examples"))
    from bench.e2e import models
    from canopy_ir.compiler.driver import compile_model

    want = "resnet18" if model == "resnet18" else "small_cnn"
    for name, proto, _ in models():
        if want in name:
            onnx.save(proto, folder / "m.onnx")
            t = time.perf_counter()
            compile_model(folder / "m.onnx", folder / "m.canopy")
            print(f"compiled {name} in {time.perf_counter() - t:.1f} s", flush=True)
            return folder / "m.canopy"
    raise SystemExit(f"unknown model {model}")


def parse_variant(text: str) -> dict:
    kw: dict = {}
    for part in filter(None, (p.strip() for p in text.split(","))):
        key, _, value = part.partition("=")
        if key == "ls":
            kw["local_size"] = int(value)
        elif key == "split":
            kw["split_min"] = 1 << 62 if value == "inf" else int(value)
        elif key == "form":
            kw["form"] = value
        elif key != "default":
            raise SystemExit(f"unknown variant setting '{part}' (ls=, split=, form=)")
    return kw


def time_session(session, feeds: dict, runs: int):
    """(best seconds per image, its execute seconds, outputs) over `runs` after a warm-up."""
    outputs = session.run(feeds)
    best = (float("inf"), 0.0)
    for _ in range(runs):
        before = session.counters.seconds["execute"]
        t = time.perf_counter()
        outputs = session.run(feeds)
        total = time.perf_counter() - t
        best = min(best, (total, session.counters.seconds["execute"] - before))
    return best[0], best[1], outputs


def breakdown(card, session, runs: int) -> list[tuple[str, int, float]]:
    """(part, instructions, best seconds) of the stream's instruction kinds run alone."""
    from canopy_ir.backend.pcie.device import (
        CTRL_START,
        REG_CTRL,
        REG_INSN_ADDR,
        REG_INSN_COUNT,
    )
    from canopy_ir.hw import isa

    cfg = card.config
    raw = card.dma_from_device(session.insn_buf, session.insn_buf.nbytes)
    insns = isa.decode_insns(raw, cfg)

    def uop_load(i) -> bool:
        return isinstance(i, isa.LoadInsn) and i.memory_type == isa.MemId.UOP

    parts = {
        "LOADs": lambda i: isinstance(i, isa.LoadInsn),
        "GEMMs (+ UOP loads)": lambda i: isinstance(i, isa.GemmInsn) or uop_load(i),
        "ALU (+ UOP loads)": lambda i: isinstance(i, isa.AluInsn) or uop_load(i),
        "STOREs": lambda i: isinstance(i, isa.StoreInsn),
    }
    rows = []
    for name, keep in parts.items():
        part = [i for i in insns if keep(i)] + [isa.FinishInsn()]
        stream = isa.encode_insns(part, cfg)
        ptr = card.alloc(len(stream), align=64)
        card.dma_to_device(ptr, stream)
        best = float("inf")
        for _ in range(runs + 1):  # the first run plans the launches
            t = time.perf_counter()
            card.write_reg(REG_INSN_ADDR, ptr.addr)
            card.write_reg(REG_INSN_COUNT, len(part))
            card.write_reg(REG_CTRL, CTRL_START)
            card.wait(600)
            best = min(best, time.perf_counter() - t)
        card.free(ptr)
        rows.append((name, len(part) - 1, best))
    return rows


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--artefact", help="a compiled artefact (default: compile --model)")
    ap.add_argument("--model", choices=["resnet18", "small_cnn"], default="resnet18")
    ap.add_argument("--device", help="OpenCL device: index or name substring")
    ap.add_argument("--variants", default="default", help="';'-separated card settings")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--breakdown", action="store_true")
    ap.add_argument("--skip-sim", action="store_true", help="no simulated-card reference")
    args = ap.parse_args(argv)
    _import_backend()
    from canopy_ir.backend.opencl import OpenCLCard, runtime
    from canopy_ir.backend.pcie import Session, SimCard

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(args.artefact) if args.artefact else compile_stream(args.model, Path(tmp))
        reference_session = Session(path, SimCard())
        cfg = reference_session.artefact.config
        inputs = reference_session.inputs
        rng = np.random.default_rng(0)
        feeds = {
            r.onnx_name: rng.uniform(-1, 1, r.logical_shape).astype(np.float32) for r in inputs
        }
        count = reference_session.artefact.insn_count
        device = runtime.pick_device(args.device)
        print(
            f"stream: {path.name}, {count} instructions; OpenCL device: "
            f"{runtime.describe(device)}; host: {platform.machine()} {os.cpu_count()} cores, "
            f"Python {platform.python_version()}",
            flush=True,
        )
        rows, reference = [], None
        if not args.skip_sim:
            total, execute, reference = time_session(reference_session, feeds, args.runs)
            rows.append(("SimCard (numpy)", "-", total, execute, count / execute, 1, "reference"))
            print(f"SimCard: {total:.4f} s/img", flush=True)
        first_card = first_session = None
        for text in args.variants.split(";"):
            kw = parse_variant(text)
            t = time.perf_counter()
            card = OpenCLCard(
                cfg, device=args.device, memory_bytes=_memory(reference_session.artefact), **kw
            )
            session = Session(path, card, timeout=600)
            setup = time.perf_counter() - t
            total, execute, out = time_session(session, feeds, args.runs)
            exact = (
                "-"
                if reference is None
                else str(all(np.array_equal(out[k], reference[k]) for k in reference))
            )
            label = text.strip() or "default"
            if card.form != "fpga":
                label += f" (ls={card.local_size})"
            rows.append(
                (
                    "OpenCLCard",
                    label,
                    total,
                    execute,
                    count / execute,
                    len(card.last_launches),
                    exact,
                )
            )
            print(f"{label}: {total:.4f} s/img (setup {setup:.1f} s)", flush=True)
            if first_card is None:
                first_card, first_session = card, session
        print()
        print(
            "{:16} {:32} {:>9} {:>9} {:>12} {:>9} {:>10}".format(
                "card", "variant", "s/img", "exec s", "insn/s", "launches", "bit-exact"
            )
        )
        for card_name, label, total, execute, ips, launches, exact in rows:
            print(
                f"{card_name:16} {label:32} {total:9.4f} {execute:9.4f} {ips:12.4g} "
                f"{launches:9d} {exact:>10}"
            )
        if args.breakdown and first_card is not None:
            print("\nthe stream's parts alone, first variant:")
            for name, n, seconds in breakdown(first_card, first_session, args.runs):
                print(f"  {name:22} {n:7d} insns {seconds:9.4f} s  {n / seconds:12.4g} insn/s")
        if reference is not None and any(r[6] == "False" for r in rows):
            raise SystemExit("an OpenCL card's outputs differ from the simulated card's")


def _memory(art) -> int:
    """Card memory for an artefact: its arena and stream with room to spare."""
    need = art.arena_bytes + len(art.insns) + (8 << 20)
    return max(64 << 20, 1 << (need - 1).bit_length())


if __name__ == "__main__":
    main()
