"""Load test of the Ray Serve deployment on loopback: throughput and p50/p99 latency with 1, 2
and 4 cycle-paced simulated cards (one replica each), a ResNet-18 (examples/zoo.py) served.

    python -m bench.serve_load [--size 32] [--cards 1,2,4] [--clocks config,10]
                               [--card paced|paced-process] [--clients 16] [--requests 300]
                               [--seconds 20] [--no-record]

Per clock (`config`: the hardware configuration's clock; a number: MHz) and card count: the
application is (re)deployed with that many replicas on `paced@<clock>` cards, warmed up (each
card compiles the stream on its first run), then `--clients` client threads send .npy requests of
one image in a closed loop until `--requests` answers or `--seconds` have passed, whichever comes
first. Throughput = answers / elapsed; latency is per request, client side. One answer per
configuration is compared with a local single card's, bit for bit. The card limit (cards /
modelled seconds per image) is printed beside each throughput.

`--card paced-process` puts each simulated card in a process of its own (backend/serve/replica.py),
so that its simulation does not compete with the replica's serving work for one interpreter lock.

Why two clocks: at the configuration's clock the simulator computes an image in about the time
the modelled card takes, so on a host with fewer cores than cards the cards wait for the CPU
rather than for their modelled time; at a lower clock the cards spend most of their time asleep
and the serving stack's own scaling shows. Appends one BENCHMARKS.md row per clock.
"""

from __future__ import annotations

import argparse
import datetime
import io
import os
import platform
import socket
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

import numpy as np

from bench.multi_card import compile_resnet

ROOT = Path(__file__).resolve().parent.parent
NPY = "application/x-npy"


def _post(url: str, x: np.ndarray) -> np.ndarray:
    buffer = io.BytesIO()
    np.save(buffer, x)
    request = urllib.request.Request(url, buffer.getvalue(), {"Content-Type": NPY})
    with urllib.request.urlopen(request, timeout=60) as response:
        return np.load(io.BytesIO(response.read()))


def load(url: str, images: np.ndarray, clients: int, requests: int, seconds: float) -> dict:
    """Closed-loop load: `clients` threads, each sending its next request when answered."""
    latencies: list[float] = []
    lock = threading.Lock()
    deadline = time.perf_counter() + seconds
    sent = [0]

    def client(k: int) -> None:
        while time.perf_counter() < deadline:
            with lock:
                if sent[0] >= requests:
                    return
                sent[0] += 1
                i = sent[0]
            start = time.perf_counter()
            _post(url, images[i % len(images)][None])
            with lock:
                latencies.append(time.perf_counter() - start)

    start = time.perf_counter()
    threads = [threading.Thread(target=client, args=(k,)) for k in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - start
    ms = np.array(latencies) * 1e3
    return {
        "answers": len(latencies),
        "throughput": len(latencies) / elapsed,
        "p50": float(np.percentile(ms, 50)),
        "p99": float(np.percentile(ms, 99)),
    }


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--size", type=int, default=32)
    ap.add_argument("--cards", default="1,2,4")
    ap.add_argument("--clocks", default="config,10", help="'config' or MHz, comma-separated")
    ap.add_argument("--card", choices=("paced", "paced-process"), default="paced")
    ap.add_argument("--clients", type=int, default=16)
    ap.add_argument("--requests", type=int, default=300, help="answers per configuration")
    ap.add_argument("--seconds", type=float, default=20.0, help="time per configuration")
    ap.add_argument("--no-record", action="store_true")
    args = ap.parse_args(argv)

    from canopy_ir.artefact import Artefact
    from canopy_ir.backend.pcie import InferenceSession, SimCard
    from canopy_ir.backend.pcie.session import Session
    from canopy_ir.backend.serve import ray_app

    cards = [int(c) for c in args.cards.split(",")]
    load_start = os.getloadavg()[0]
    images = np.random.default_rng(7).standard_normal((16, 3, args.size, args.size))
    images = images.astype(np.float32)
    rows = []
    with tempfile.TemporaryDirectory() as d:
        path = compile_resnet(Path(d), args.size)
        art = Artefact.load(path)
        card = SimCard(art.config)
        Session(art, card).run({"input": images[:1]})
        cycles = card.last_cycles.total_cycles
        (expected,) = InferenceSession(str(path)).run(None, {"input": images[:1]})
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        try:
            for clock in args.clocks.split(","):
                mhz = art.config.CLOCK_MHZ if clock == "config" else float(clock)
                per_image = cycles / (mhz * 1e6)
                results = {}
                for n in cards:
                    app = ray_app.build_app(path, n, f"{args.card}@{mhz:g}")
                    url = ray_app.start(app, port)
                    warm = load(url, images, 2 * n, 2 * n, 60.0)  # each card's first run
                    assert warm["answers"] == 2 * n
                    exact = bool(np.array_equal(_post(url, images[:1]), expected))
                    r = load(url, images, args.clients, args.requests, args.seconds)
                    r.update(exact=exact, limit=n / per_image)
                    results[n] = r
                    print(
                        f"{mhz:g} MHz, {n} card(s): {r['throughput']:.1f} req/s (card limit "
                        f"{r['limit']:.1f}), p50 {r['p50']:.1f} ms, p99 {r['p99']:.1f} ms, "
                        f"{r['answers']} answers, bit-exact: {exact}",
                        flush=True,
                    )
                rows.append((mhz, per_image, results))
        finally:
            ray_app.stop()
    for mhz, _, results in rows:
        base = results[cards[0]]["throughput"]
        for n in cards[1:]:
            print(f"{mhz:g} MHz: {n} cards / {cards[0]}: {results[n]['throughput'] / base:.2f}x")
    if args.no_record:
        return
    machine = (
        f"{platform.machine()} {os.cpu_count()} cores, Python {platform.python_version()}, "
        f"load average {load_start:.1f} at the start / {os.getloadavg()[0]:.1f} at the end"
    )
    option = "" if args.card == "paced" else f" --card {args.card}"
    with open(ROOT / "BENCHMARKS.md", "a") as f:
        for mhz, per_image, results in rows:
            base = results[cards[0]]
            parts = []
            for n, r in results.items():
                scale = (
                    "reference, same run"
                    if n == cards[0]
                    else (f"{r['throughput'] / base['throughput']:.2f}x")
                )
                parts.append(
                    f"{n} card(s) {r['throughput']:.1f} req/s ({scale}; card limit "
                    f"{r['limit']:.1f}), p50 {r['p50']:.0f} ms, p99 {r['p99']:.0f} ms"
                    + ("" if r["exact"] else ", NOT bit-exact")
                )
            f.write(
                f"| {datetime.date.today()} | {machine} | `python -m bench.serve_load{option}` "
                f"| ResNet-18 "
                f"(examples/zoo.py) {args.size}x{args.size}, Ray Serve on loopback, paced "
                f"simulated cards at {mhz:g} MHz ({per_image * 1e3:.1f} ms/img modelled)"
                f"{', each in a process of its own' if args.card == 'paced-process' else ''}, "
                f"{args.clients} closed-loop clients, .npy requests of 1 image | "
                f"{'; '.join(parts)} |\n"
            )


if __name__ == "__main__":
    main()
