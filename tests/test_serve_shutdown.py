"""`issuer serve` on SIGTERM (issue #14, item 2): it stops accepting connections and finishes
the requests in flight before it exits. The app runs in its own process exactly as
`issuer serve` runs it (`server_config`), plus one route that takes a while to answer, so that
the signal arrives while a request is in flight."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from issuer.issuance.service import IssuerService
from issuer.settings import Settings
from tests.plugins.factory import IssuerHomes

SERVER = """
import asyncio, sys
import uvicorn
from starlette.requests import Request
from starlette.responses import PlainTextResponse
from issuer.cli.server import server_config
from issuer.web import create_app

async def slow(request: Request):
    await asyncio.sleep(2)
    return PlainTextResponse("fini")

app = create_app()
app.add_api_route("/lent", slow)
uvicorn.Server(server_config(app, port=int(sys.argv[1]))).run()
"""


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def served(tmp_path: Path, issuer_homes: IssuerHomes) -> Iterator[tuple[subprocess.Popen[str], str]]:
    home = tmp_path / "home"
    service: IssuerService = issuer_homes.service(Settings.load(home=home))
    service.database.dispose()
    port = free_port()
    environment = {name: value for name, value in os.environ.items()
                   if not name.startswith("ISSUER_") and name != "DATABASE_URL"}
    process = subprocess.Popen([sys.executable, "-c", SERVER, str(port)], text=True,
                               env={**environment, "ISSUER_HOME": str(home)},
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                break
        except httpx.TransportError:
            pass
        assert process.poll() is None, process.communicate()
        assert time.monotonic() < deadline, "the server did not start"
        time.sleep(0.1)
    try:
        yield process, base
    finally:
        process.kill()
        process.communicate()


def test_sigterm_lets_the_request_in_flight_finish_and_refuses_new_ones(
        served: tuple[subprocess.Popen[str], str]) -> None:
    process, base = served
    answers: list[httpx.Response] = []
    in_flight = threading.Thread(target=lambda: answers.append(httpx.get(f"{base}/lent",
                                                                           timeout=30)))
    in_flight.start()
    time.sleep(0.5)  # the request is being answered
    process.send_signal(signal.SIGTERM)
    time.sleep(0.3)
    with pytest.raises(httpx.TransportError):
        httpx.get(f"{base}/healthz", timeout=2)  # no longer accepting
    in_flight.join(30)
    [answer] = answers
    assert (answer.status_code, answer.text) == (200, "fini")
    # uvicorn ends by raising the signal again once done: the exit systemd counts as clean.
    assert process.wait(30) in (0, -signal.SIGTERM)
    stdout, _stderr = process.communicate()
    assert '"route": "/lent", "status": 200' in stdout  # logged when it finished
