"""Command line of the serving package.

    python -m canopy_ir.backend.serve ray MODEL.canopy [--cards N] [--device LIST] [--port P]
        Serve MODEL with Ray Serve on 127.0.0.1:P, one replica per card, until Ctrl-C.
    python -m canopy_ir.backend.serve triton-repo MODEL.canopy --out DIR [--instances N] ...
        Write a Triton model repository (Python backend) serving MODEL.

Errors are one line (`error: <where>: <what>`, exit status 2); --debug shows the traceback.
"""

from __future__ import annotations

import argparse
import signal
import sys
import time

from canopy_ir.errors import CanopyError


def _parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(prog="python -m canopy_ir.backend.serve", description=__doc__)
    ap.add_argument("--debug", action="store_true", help="show tracebacks")
    sub = ap.add_subparsers(dest="command", required=True)
    ray = sub.add_parser("ray", help="serve with Ray Serve on loopback")
    ray.add_argument("artefact")
    ray.add_argument("--cards", type=int, default=1, help="replicas, one per card")
    ray.add_argument(
        "--device",
        default="sim",
        help="comma-separated device list, replica k takes entry k: sim, paced, paced@MHZ, "
        "paced-process, paced-process@MHZ, opencl, opencl:NAME|INDEX (default sim)",
    )
    ray.add_argument("--port", type=int, default=8000)
    ray.add_argument("--max-batch", type=int, default=8, help="requests per batch")
    ray.add_argument("--batch-wait-ms", type=float, default=2.0)
    triton = sub.add_parser("triton-repo", help="write a Triton model repository")
    triton.add_argument("artefact")
    triton.add_argument("--out", required=True, help="the model repository folder")
    triton.add_argument("--name", default="canopy")
    triton.add_argument("--instances", type=int, default=1)
    triton.add_argument("--device", default="sim", help="device list, as for ray")
    triton.add_argument("--kind", default="KIND_CPU", choices=("KIND_CPU", "KIND_GPU"))
    triton.add_argument("--max-batch", type=int, default=8)
    return ap


def _serve_ray(args) -> None:
    try:
        from canopy_ir.backend.serve import ray_app
    except ImportError:
        raise CanopyError("Ray Serve is not installed: pip install 'canopy-ir[serve]'") from None
    app = ray_app.build_app(
        args.artefact, args.cards, args.device, args.max_batch, args.batch_wait_ms / 1000
    )
    url = ray_app.start(app, args.port)
    # Ctrl-C or SIGTERM (a service manager's stop) shut Ray down, whatever the parent ignored
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    print(f"serving {args.artefact} on {args.cards} card(s) at {url} (Ctrl-C stops)", flush=True)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        pass
    finally:
        ray_app.stop()


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        if args.command == "ray":
            _serve_ray(args)
        else:
            from canopy_ir.backend.serve.triton_repo import write_model_repository

            folder = write_model_repository(
                args.artefact,
                args.out,
                name=args.name,
                instances=args.instances,
                devices=args.device,
                max_batch=args.max_batch,
                kind=args.kind,
            )
            print(f"wrote {folder} (config.pbtxt, 1/model.py, 1/model.canopy)")
    except CanopyError as exc:
        if args.debug:
            raise
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
