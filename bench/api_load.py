"""`POST /api/v1/verify` of one of our credentials under 50 concurrent clients, served by two
worker processes on one PostgreSQL database (issue 14, performance goal 1).

The server is what `issuer serve --workers 2` runs (`serve` below: the same uvicorn
configuration, `issuer.cli.server.server_config`, with its JSON access line for every request,
and the same supervisor, two processes sharing the listening socket), on a database of the
bench's PostgreSQL server (`bench.postgres`), in a temporary ISSUER_HOME holding one badge
issued by the service. Only the app factory is the bench's (`bench_app`), for the rate limit:

The verification rate limit (30 a minute per client address, `issuer.web.rate_limit`) would
refuse all but the first 30 requests, every client being 127.0.0.1: the bench app gives the
verification a limiter of a million a minute, through the documented hook
(`app.state.verification_rate_limiter`). It is the limiter `issuer serve` uses on PostgreSQL
(`shared_rate_limiter`: each request counted in the database, shared by the workers), only
with a higher limit, so its cost is measured with the verification's.

The load: `CLIENTS` clients, each on its own keep-alive HTTP/1.1 connection (a few lines of
asyncio, as `bench.pages` does, because httpx's client CPU on these two cores would be timed
too), each sending its share of the requests one after the other. Every answer must be a 200
whose verdict is "valid".
"""

from __future__ import annotations

import asyncio
import json
import math
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from bench.credentials import BADGE_SLUG, BASE_URL, EDITION
from bench.pages import _cpu_seconds, _free_port, _percentile
from bench.postgres import BenchPostgres

CLIENTS = 50
WORKERS = 2
START_TIMEOUT = 90.0
REQUEST_TIMEOUT = 60.0
PATH = "/api/v1/verify"


@dataclass(frozen=True)
class ApiLoadResult:
    requests: int
    clients: int
    workers: int
    errors: int
    distinct: int
    wall: float
    p50: float
    p99: float
    server_cpu_per_request: float | None
    load_average: float | None

    @property
    def per_second(self) -> float:
        return self.requests / self.wall if self.wall > 0 else float("inf")


def bench_app() -> Any:
    """The app each worker serves (a uvicorn factory): the service's `create_app`, with the
    verification rate limit raised out of the way (see the module docstring)."""
    from issuer.issuance.rate_limits import shared_rate_limiter
    from issuer.web import create_app

    app = create_app()
    app.state.verification_rate_limiter = shared_rate_limiter(
        app.state.service.database, "verification", limit=1_000_000)
    return app


def serve(port: int) -> None:
    """`issuer serve --workers 2` with the bench's app factory (run by `run_api_load`)."""
    from issuer.cli.server import _run_workers, server_config

    _run_workers(server_config("bench.api_load:bench_app", host="127.0.0.1", port=port,
                               workers=WORKERS, log_level="warning"))


def _issue(home: Path, database_url: str, count: int) -> list[str]:
    """`count` badges issued by the service (each its own holder), as their JSON."""
    from issuer.issuance.issue_requests import IssueRequest
    from issuer.issuance.service import IssuerService
    from issuer.settings import Settings

    service = IssuerService(Settings(home=home, base_url=BASE_URL, database_url=database_url))
    try:
        service.init()
        role = service.catalogue.badge(BADGE_SLUG).roles[0].slug
        requests = [IssueRequest(badge_slug=BADGE_SLUG, email=f"api{n}@example.org",
                                 name="Camille Exemple", event_number=EDITION, role=role)
                    for n in range(count)]
        if count == 1:
            return [service.issue(requests[0]).credential_json]
        return [issued.credential_json for issued in service.issue_many(requests)]
    finally:
        service.database.dispose()


def _children(pid: int) -> list[int]:
    try:
        text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    except OSError:
        return []
    return [int(child) for child in text.split()]


async def _client(host: str, port: int, requests: list[bytes], count: int,
                  latencies: list[float], address: str) -> int:
    """`count` requests on one keep-alive connection from `address`, taking `requests` in
    turn; returns the errors."""
    errors = 0
    reader, writer = await asyncio.open_connection(host, port, local_addr=(address, 0))
    try:
        for number in range(count):
            start = time.perf_counter()
            try:
                writer.write(requests[number % len(requests)])
                head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), REQUEST_TIMEOUT)
                lines = head.decode("latin-1").split("\r\n")
                headers = dict(line.lower().split(":", 1) for line in lines[1:] if ":" in line)
                body = await reader.readexactly(int(headers.get("content-length", "0")))
                ok = lines[0].startswith("HTTP/1.1 200 ") and \
                    json.loads(body).get("verdict") == "valid"
            except (OSError, TimeoutError, ValueError, asyncio.IncompleteReadError):
                ok = False
            latencies.append(time.perf_counter() - start)
            errors += not ok
            if not ok:  # start afresh on a new connection
                writer.close()
                reader, writer = await asyncio.open_connection(host, port,
                                                               local_addr=(address, 0))
    finally:
        writer.close()
    return errors


def _request(port: int, body: bytes) -> bytes:
    return (f"POST {PATH} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
            f"Content-Type: application/json\r\nAccept: application/json\r\n"
            f"Content-Length: {len(body)}\r\n\r\n").encode("ascii") + body


async def _load(port: int, bodies: list[bytes], total: int
                ) -> tuple[list[float], int, float]:
    """`total` requests from `CLIENTS` clients. With several bodies, client n sends bodies n,
    n + CLIENTS, n + 2 × CLIENTS… (modulo their number): all of them in turn, in the same
    order every round, so a badge comes back only after every other one was sent."""
    requests = [_request(port, body) for body in bodies]
    latencies: list[float] = []
    shares = [total // CLIENTS + (n < total % CLIENTS) for n in range(CLIENTS)]
    start = time.perf_counter()
    # Each client from its own loopback address (127.0.0.2, .3, …: all of 127.0.0.0/8 is this
    # machine), as 50 visitors are 50 addresses: each has its own count in the shared limit.
    errors = await asyncio.gather(*(
        _client("127.0.0.1", port, _turns(requests, number), share, latencies,
                f"127.0.0.{number + 2}")
        for number, share in enumerate(shares)))
    return latencies, sum(errors), time.perf_counter() - start


def _turns(requests: list[bytes], client: int) -> list[bytes]:
    if len(requests) == 1:
        return requests
    step = math.gcd(CLIENTS, len(requests))
    rounds = len(requests) // step
    return [requests[(client + turn * CLIENTS) % len(requests)] for turn in range(rounds)]


def run_api_load(pg: BenchPostgres, total: int, *, distinct: int = 1) -> ApiLoadResult:
    """`total` requests; `distinct` badges sent in turn (1: the same badge, its report cached
    after the first request; more than the own-verification cache holds: every request is a
    cache miss, a Data Integrity verification)."""
    database_url, _ = pg.database("api_load", fresh=True)
    with tempfile.TemporaryDirectory(prefix="issuer-bench-api-") as folder:
        home = Path(folder)
        bodies = [text.encode("utf-8") for text in _issue(home, database_url, distinct)]
        body = bodies[0]
        port = _free_port()
        environment = {**os.environ, "ISSUER_HOME": str(home), "ISSUER_BASE_URL": BASE_URL,
                       "DATABASE_URL": database_url}
        repository = Path(__file__).resolve().parent.parent
        server = subprocess.Popen(
            [sys.executable, "-m", "bench.api_load", str(port)],
            env=environment, cwd=repository, stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL)
        try:
            _wait_for_workers(port, server, body)
            workers = _children(server.pid)
            cpu_before = [_cpu_seconds(pid) for pid in workers]
            load = os.getloadavg()[0]
            latencies, errors, wall = asyncio.run(_load(port, bodies, total))
            cpu_after = [_cpu_seconds(pid) for pid in workers]
        finally:
            server.send_signal(signal.SIGINT)
            try:
                server.wait(timeout=30)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()
    cpu = None
    if workers and None not in cpu_before and None not in cpu_after:
        cpu = sum(a - b for a, b in zip(cpu_after, cpu_before, strict=True)  # type: ignore[operator]
                  ) / total
    return ApiLoadResult(requests=total, clients=CLIENTS, workers=WORKERS, errors=errors,
                         distinct=distinct,
                         wall=wall, p50=statistics.median(latencies),
                         p99=_percentile(latencies, 0.99), server_cpu_per_request=cpu,
                         load_average=load)


def _wait_for_workers(port: int, server: subprocess.Popen[bytes], body: bytes) -> None:
    """Up when both workers answer (each warmed by a few verifications, untimed)."""
    deadline = time.monotonic() + START_TIMEOUT
    url = f"http://127.0.0.1:{port}{PATH}"
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"the server stopped (exit code {server.returncode})")
        try:
            answer = httpx.post(url, content=body, timeout=10.0,
                                headers={"content-type": "application/json"})
            if answer.status_code == 200 and len(_children(server.pid)) >= WORKERS:
                if answer.json().get("verdict") != "valid":
                    raise RuntimeError(f"the bench badge does not verify: {answer.text[:300]}")
                for _ in range(20):  # reaches both workers (new connections)
                    httpx.post(url, content=body, timeout=30.0,
                               headers={"content-type": "application/json"})
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    raise RuntimeError(f"the server did not answer within {START_TIMEOUT:.0f} s")


if __name__ == "__main__":
    serve(int(sys.argv[1]))
