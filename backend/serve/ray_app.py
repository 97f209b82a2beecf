"""A compiled model served by Ray Serve: one replica per card, request batching, an HTTP
endpoint on loopback. Needs the optional extra `serve` (`pip install "canopy-ir[serve]"`).

Takes an artefact path, a number of cards and a device list (`replica.card_for`: `sim`,
`paced@MHZ`, `opencl:0,opencl:1`, ...); produces a Ray Serve application whose replica k holds
the model resident on card k (`replica.CardReplica`, an `InferenceSession`). Requests reach a
replica through Ray Serve's router (it sends each to the less busy of two replicas); a replica
gathers the requests that arrive while its card is busy (`@serve.batch`, up to `max_batch`
requests or `batch_wait_s` after the first) and runs their items one after the other on its
card in a worker thread, so the replica keeps accepting requests meanwhile.

HTTP: POST to the route with a body in one of `protocol`'s formats; the response carries the
outputs in the same format and the header `x-canopy-card` (the replica's card). Replicas take no
CPU reservation (`num_cpus=0`): a card, not a core, is what each one occupies.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import ray
from ray import serve
from starlette.requests import Request
from starlette.responses import Response

from canopy_ir.backend.serve.protocol import (
    JSON,
    BadRequest,
    decode_request,
    encode_response,
    error_body,
)
from canopy_ir.backend.serve.replica import CardReplica, parse_devices
from canopy_ir.errors import CanopyError

APP_NAME = "canopy"


@serve.deployment(ray_actor_options={"num_cpus": 0})
class CardDeployment:
    """A Ray Serve replica: the model on the card of the replica's rank."""

    def __init__(
        self, artefact: str, devices: str, max_batch: int, batch_wait_s: float, timeout: float
    ):
        rank = serve.get_replica_context().rank
        self.replica = CardReplica(artefact, devices, int(getattr(rank, "rank", rank)), timeout)
        self.infer.set_max_batch_size(max_batch)
        self.infer.set_batch_wait_timeout_s(batch_wait_s)

    @serve.batch(max_batch_size=8, batch_wait_timeout_s=0.002)
    async def infer(self, requests: list[list]) -> list:
        """The outputs of a batch of requests (each a list of items), or the error each met."""
        return await asyncio.to_thread(self.replica.run_requests, requests)

    async def __call__(self, request: Request) -> Response:
        headers = {"x-canopy-card": str(self.replica.index)}
        replica = self.replica
        try:
            items, kind = decode_request(
                await request.body(),
                request.headers.get("content-type"),
                replica.inputs,
                replica.outputs,
            )
        except BadRequest as exc:
            return Response(error_body(exc), exc.status, headers, JSON)
        answer = await self.infer(items)
        if isinstance(answer, CanopyError):  # the card failed: not the request's fault
            return Response(error_body(answer), 500, headers, JSON)
        return Response(encode_response(answer, kind, replica.outputs), 200, headers, kind)


def build_app(
    artefact: str | Path,
    cards: int,
    devices: str = "sim",
    max_batch: int = 8,
    batch_wait_s: float = 0.002,
    timeout: float = 60.0,
):
    """The Ray Serve application: `cards` replicas, replica k on entry k of `devices`."""
    if cards < 1 or max_batch < 1:
        raise CanopyError(f"need at least one card and a batch of one (got {cards}, {max_batch})")
    path = Path(artefact).resolve()
    if not path.is_file():
        raise CanopyError("file not found", str(artefact))
    parse_devices(devices)  # a bad list fails here, not in every replica
    deployment = CardDeployment.options(
        num_replicas=cards, max_ongoing_requests=max(16, 2 * max_batch)
    )
    return deployment.bind(str(path), devices, max_batch, batch_wait_s, timeout)


def start(app, port: int, host: str = "127.0.0.1") -> str:
    """Start Ray on this machine (if not running), then Serve's HTTP proxy on `host`:`port`,
    and deploy `app`; returns its URL once every replica is up."""
    if not ray.is_initialized():
        ray.init(
            include_dashboard=False,
            log_to_driver=False,
            object_store_memory=128 << 20,  # requests are small; Ray's default is 30% of RAM
            _node_ip_address=host,
        )
    serve.start(http_options={"host": host, "port": port})
    try:
        serve.run(app, name=APP_NAME, route_prefix="/")
    except RuntimeError as exc:  # a replica's constructor failed: Ray names the deployment
        raise CanopyError(
            f"Ray Serve could not start the replicas ({exc}); the replicas' own errors are in "
            "Ray's log, /tmp/ray/session_latest/logs/serve/"
        ) from None
    return f"http://{host}:{port}/"


def stop() -> None:
    """Shut Serve and the Ray instance `start` began down."""
    serve.shutdown()
    ray.shutdown()
