"""Host↔device transfers of the OpenCL runtime against a plain pinned copy of the same size, in
the same run: what `OpenCLCard.dma_to_device` / `dma_from_device` (the Session's DMA on target
accel-opencl) and the host store's uploads and read-backs (target opencl; both through
backend/opencl/staging.py) reach, next to `enqueue_copy` from and to an already pinned, mapped
buffer (the bus's own speed) and from ordinary numpy memory.

    python -m bench.pcie_opencl [--device NVIDIA] [--sizes 1,4,16,64] [--repeats 10] [--json f]

Each figure is the median of --repeats copies, each timed until the device has the data (a
write ends with the queue finished) or the host has it (a read). Sizes are MiB.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

import numpy as np


def timed(fn, repeats: int) -> float:
    fn()  # warm-up: first-touch, slot allocation
    out = []
    for _ in range(repeats):
        t = time.perf_counter()
        fn()
        out.append(time.perf_counter() - t)
    return statistics.median(out)


def one_size(cl, n, card, host, ptr, view, target, rng, repeats) -> list[dict]:
    """GB/s of the four ways, host to device ("in") and back ("out"), for `n` bytes."""
    q, ctx = card.queue, card.memory.context
    data = rng.integers(0, 256, n, dtype=np.uint8)
    view[:n] = data
    blob = data.tobytes()
    out = np.empty(n, np.uint8)
    store_buf = cl.Buffer(ctx, cl.mem_flags.READ_WRITE, n)

    def card_in():
        card.dma_to_device(ptr, blob, 0)
        q.finish()

    def store_in():
        host.stage.write(store_buf, data)
        host.queue.finish()

    staged = card.pinned_array(n)  # where a caller that knows the card builds its data
    staged[:] = data

    def card_in_pinned():
        card.dma_to_device(ptr, staged, 0)
        q.finish()

    ways = {
        "in": (
            lambda: cl.enqueue_copy(q, target, view[:n], is_blocking=True),
            lambda: cl.enqueue_copy(q, target, data, is_blocking=True),
            card_in,
            store_in,
            card_in_pinned,
        ),
        "out": (
            lambda: cl.enqueue_copy(q, view[:n], target, is_blocking=True),
            lambda: cl.enqueue_copy(q, out, target, is_blocking=True),
            lambda: card.dma_from_device(ptr, n, 0),
            lambda: host.stage.read(store_buf, out),
            lambda: card.dma_from_device(ptr, n, 0, out=staged),
        ),
    }
    rows = []
    for direction, fns in ways.items():
        gbs = [n / timed(fn, repeats) / 1e9 for fn in fns]
        rows.append(dict(mib=n / (1 << 20), direction=direction, pinned=gbs[0],
                         pageable=gbs[1], card=gbs[2], store=gbs[3], card_pinned=gbs[4],
                         ways=dict(card.stage.way)))  # fmt: skip
    if card.dma_from_device(ptr, n, 0) != blob or not np.array_equal(out, data):
        raise SystemExit(f"the {n} bytes did not arrive intact")
    return rows


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--device")
    ap.add_argument("--sizes", default="1,4,16,64")
    ap.add_argument("--repeats", type=int, default=10)
    ap.add_argument("--json")
    ap.add_argument("--record", action="store_true", help="append a row to BENCHMARKS.md")
    args = ap.parse_args(argv)
    from canopy_ir.backend.opencl import OpenCLCard
    from canopy_ir.backend.opencl.host_values import OpenCLHost
    from canopy_ir.backend.opencl.runtime import cl as get_cl
    from canopy_ir.backend.opencl.runtime import describe

    cl = get_cl()
    sizes = [int(float(s) * (1 << 20)) for s in args.sizes.split(",")]
    card = OpenCLCard(device=args.device, memory_bytes=max(sizes) + (1 << 20))
    host = OpenCLHost(args.device)
    q, ctx = card.queue, card.memory.context
    big = max(sizes)
    pinned = cl.Buffer(ctx, cl.mem_flags.READ_WRITE | cl.mem_flags.ALLOC_HOST_PTR, big)
    rw = cl.map_flags.READ | cl.map_flags.WRITE
    view, _ = cl.enqueue_map_buffer(q, pinned, rw, 0, (big,), np.uint8)
    target = cl.Buffer(ctx, cl.mem_flags.READ_WRITE, big)
    ptr = card.alloc(big, align=4096)
    rng = np.random.default_rng(0)
    rows = []
    print(f"{describe(card.cl_device)}; {args.repeats} copies per figure, GB/s")
    print(f"{'MiB':>6} {'dir':>4} {'pinned':>8} {'pageable':>9} {'card':>8} {'store':>8} "
          f"{'card/pinned':>12} {'store/pinned':>13} {'card from pinned':>17}")  # fmt: skip
    for n in sizes:
        for row in one_size(cl, n, card, host, ptr, view, target, rng, args.repeats):
            rows.append(row)
            g = [row[k] for k in ("pinned", "pageable", "card", "store", "card_pinned")]
            print(f"{row['mib']:6.1f} {row['direction']:>4} {g[0]:8.2f} {g[1]:9.2f} "
                  f"{g[2]:8.2f} {g[3]:8.2f} {g[2] / g[0]:12.2f} {g[3] / g[0]:13.2f} "
                  f"{g[4] / g[0]:17.2f}  (ways {row['ways']})", flush=True)  # fmt: skip
    if args.json:
        Path(args.json).write_text(json.dumps(rows, indent=1))
    if args.record:
        record(rows, describe(card.cl_device), args.repeats)
    return 0


def record(rows: list[dict], device: str, repeats: int) -> None:
    """One BENCHMARKS.md row: per size and direction, each way's share of the pinned copy."""
    import datetime
    import os
    import platform

    cells = [
        f"{r['mib']:g} MiB {r['direction']}: pinned {r['pinned']:.1f} GB/s, card "
        f"{r['card'] / r['pinned']:.0%}, store {r['store'] / r['pinned']:.0%}, card from its "
        f"pinned memory {r['card_pinned'] / r['pinned']:.0%}, pageable "
        f"{r['pageable'] / r['pinned']:.0%}"
        for r in rows
    ]
    machine = f"{platform.machine()} {os.cpu_count()} cores, Python {platform.python_version()}"
    root = Path(__file__).resolve().parent.parent
    with open(root / "BENCHMARKS.md", "a") as f:
        f.write(
            f"| {datetime.date.today()} | {machine}, {device} | `python -m bench.pcie_opencl` | "
            f"host<->device copies, median of {repeats}: OpenCLCard DMA (target accel-opencl), "
            "the host store's uploads/read-backs (target opencl), against enqueue_copy from a "
            "pinned mapped buffer (reference, same run) | " + "; ".join(cells) + " |\n"
        )


if __name__ == "__main__":
    sys.exit(main())
