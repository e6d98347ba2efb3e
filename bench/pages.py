"""One public badge page under load, against the running service (issue #10, item 3).

`issuer serve` runs in its own process on a free loopback port, in a temporary ISSUER_HOME
(SQLite) holding one badge; this process sends `CONCURRENT` requests for the page
`/credentials/<id>` at once over real HTTP/1.1 (asyncio streams, one connection each) and times
each from its own start to the end of its body. Every answer must be a complete 200 (its
Content-Length received) whose verdict is "valid". Then the badge is revoked from this process
(as `issuer revoke` would, another process than the server) and the very next view must show
it revoked.

The load is sent by a few lines of asyncio rather than by httpx, on purpose: on this 2-core
machine the client shares the cores with the server it measures, and httpx's AsyncClient spent
about 12 ms of CPU per view here (2.4 s for the 200 views, about five times the server's own
CPU for them), so its figures timed mostly the client. The plain client costs about 0.4 ms per
view. The client's CPU time for the views is reported beside the server's.

Beside the page figures: the raw verification of the same stored credential in this process,
without any cache (`verify()` with the service's verification context), i.e. what each view
cost before verifications of our own credentials were cached; and the server's own CPU time
per view (Linux `/proc`), which does not depend on what else the machine is running.
"""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import httpx

from bench.credentials import BADGE_SLUG, EDITION
from issuer.issuance.issue_requests import IssueRequest
from issuer.issuance.service import IssuerService
from issuer.issuance.verification_context import verification_context_for
from issuer.openbadges.verification import verify
from issuer.settings import Settings
from issuer.storage.db import sqlite_url

CONCURRENT = 200
RAW_VERIFICATIONS = 20
START_TIMEOUT = 60.0
VIEW_TIMEOUT = 120.0
VALID_MARK = 'class="verdict valid"'
INVALID_MARK = 'class="verdict invalid"'


@dataclass(frozen=True)
class PageLoadResult:
    views: int
    errors: int
    p50: float                   # seconds
    p99: float
    slowest: float
    wall: float                  # all views, first sent to last answered
    raw_verification: float      # seconds, one uncached verification in this process
    revoked_on_next_view: bool
    revoked_view: float          # seconds, the view right after the revocation
    server_cpu_per_view: float | None = None   # seconds of the server process's CPU
    client_cpu_per_view: float | None = None   # seconds of this process's CPU, sending them
    load_average: float | None = None          # of the machine over the last minute, before

    @property
    def views_per_second(self) -> float:
        return self.views / self.wall if self.wall > 0 else float("inf")


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(fraction * len(ordered)) - 1))]


def _raw_verification_seconds(service: IssuerService, credential_json: str) -> float:
    verify(credential_json, verification_context_for(service, untrusted=False))  # warm-up
    start = time.perf_counter()
    for _ in range(RAW_VERIFICATIONS):
        report = verify(credential_json, verification_context_for(service, untrusted=False))
        if report.verdict != "valid":
            raise RuntimeError(f"the bench badge does not verify: {report.summary('en')}")
    return (time.perf_counter() - start) / RAW_VERIFICATIONS


def _cpu_seconds(pid: int) -> float | None:
    """User + system CPU time of a process so far (Linux), else None."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _start_server(home: Path, port: int) -> subprocess.Popen[bytes]:
    environment = {**os.environ, "ISSUER_HOME": str(home),
                   "ISSUER_BASE_URL": f"http://127.0.0.1:{port}",
                   "DATABASE_URL": sqlite_url(home / "var" / "issuer.sqlite3")}
    return subprocess.Popen(
        [sys.executable, "-c", "from issuer.cli.main import main; main()", "serve",
         "--host", "127.0.0.1", "--port", str(port)],
        env=environment, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def _wait_until_up(base_url: str, server: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"`issuer serve` stopped (exit code {server.returncode})")
        try:
            if httpx.get(f"{base_url}/", timeout=2.0).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"`issuer serve` did not answer within {START_TIMEOUT:.0f} s")


async def _view(host: str, port: int, request: bytes) -> bool:
    """One view on its own connection: True for a complete 200 answer showing "valid"."""
    reader, writer = await asyncio.open_connection(host, port)
    try:
        writer.write(request)
        answer = await reader.read()  # `Connection: close`: the server ends it after the body
    finally:
        writer.close()
    head, _, body = answer.partition(b"\r\n\r\n")
    status_line, *header_lines = head.decode("latin-1").split("\r\n")
    headers = dict(line.lower().split(":", 1) for line in header_lines if ":" in line)
    return (status_line.startswith("HTTP/1.1 200 ")
            and headers.get("content-length", "").strip() == str(len(body))
            and VALID_MARK.encode("ascii") in body)


async def _views(url: str, count: int) -> tuple[list[float], int, float]:
    """(latency of each view, errors, wall time): `count` requests sent at once."""
    address = urlsplit(url)
    host, port = address.hostname or "127.0.0.1", address.port or 80
    request = (f"GET {address.path} HTTP/1.1\r\nHost: {address.netloc}\r\n"
               "Accept: text/html\r\nConnection: close\r\n\r\n").encode("ascii")

    async def one() -> tuple[float, bool]:
        start = time.perf_counter()
        try:
            ok = await asyncio.wait_for(_view(host, port, request), VIEW_TIMEOUT)
        except (OSError, TimeoutError, UnicodeError, ValueError):
            ok = False
        return time.perf_counter() - start, ok

    start = time.perf_counter()
    outcomes = await asyncio.gather(*(one() for _ in range(count)))
    wall = time.perf_counter() - start
    return [seconds for seconds, _ in outcomes], sum(not ok for _, ok in outcomes), wall


def run_page_load(concurrent: int = CONCURRENT) -> PageLoadResult:
    with tempfile.TemporaryDirectory(prefix="issuer-bench-pages-") as folder:
        home = Path(folder)
        port = _free_port()
        base_url = f"http://127.0.0.1:{port}"
        settings = Settings(home=home, base_url=base_url,
                            database_url=sqlite_url(home / "var" / "issuer.sqlite3"))
        service = IssuerService(settings)
        service.init()
        role = service.catalogue.badge(BADGE_SLUG).roles[0].slug
        issued = service.issue(IssueRequest(badge_slug=BADGE_SLUG, email="bench@example.org",
                                            name="Camille Exemple", event_number=EDITION,
                                            role=role))
        raw = _raw_verification_seconds(service, issued.credential_json)
        page = f"{base_url}/credentials/{issued.credential_id}"
        server = _start_server(home, port)
        try:
            _wait_until_up(base_url, server)
            httpx.get(page, timeout=60.0)  # the first view of a fresh process (imports, caches)
            load = os.getloadavg()[0] if hasattr(os, "getloadavg") else None
            cpu_before = _cpu_seconds(server.pid)
            client_before = time.process_time()
            latencies, errors, wall = asyncio.run(_views(page, concurrent))
            client_cpu = (time.process_time() - client_before) / concurrent
            cpu_after = _cpu_seconds(server.pid)
            service.revoke(issued.credential_id, "bench: revoked between two views")
            start = time.perf_counter()
            after = httpx.get(page, timeout=60.0)
            revoked_view = time.perf_counter() - start
            revoked = after.status_code == 200 and INVALID_MARK in after.text
        finally:
            server.send_signal(signal.SIGINT)
            try:
                server.wait(timeout=15)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()
            service.database.dispose()
    return PageLoadResult(
        views=concurrent, errors=errors, p50=statistics.median(latencies),
        p99=_percentile(latencies, 0.99), slowest=max(latencies), wall=wall,
        raw_verification=raw, revoked_on_next_view=revoked, revoked_view=revoked_view,
        server_cpu_per_view=None if cpu_before is None or cpu_after is None
        else (cpu_after - cpu_before) / concurrent, client_cpu_per_view=client_cpu,
        load_average=load)
