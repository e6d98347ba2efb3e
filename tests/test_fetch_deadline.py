"""Every fetch honours one deadline, and strangers' documents cannot starve the pages (issue
#10, item 4).

A raw loopback server (allowed in these tests only: `allow_loopback=True`) trickles a
response one byte every half second and never finishes its headers; every read gets a byte
long before any per-read timeout, so only an overall deadline ends the fetch. Durations are
checked against the configured deadline with a slack computed from it.
"""

from __future__ import annotations

import os
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from click.testing import CliRunner
from fastapi.testclient import TestClient

from issuer.cli.main import main as cli_main
from issuer.issuance.issue_requests import IssueRequest
from issuer.issuance.service import IssuerService
from issuer.issuance.verification_context import bounded_fetcher
from issuer.openbadges import fetch
from issuer.openbadges.fetch import Fetcher, FetchError, FetchSlots
from issuer.settings import Settings
from issuer.web import create_app
from issuer.web.views import verifier

BYTE_INTERVAL = 0.5
TRICKLED_RESPONSE = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nX-Padding: " + b"a" * 4096
BIG_BODY = b"[" + b"0," * 5000 + b"0]"


def slack(deadline: float) -> float:
    """What a fetch may take beyond its deadline: one scheduling delay on a busy machine,
    generously the deadline again (at least a second), never a trickle's worth of bytes."""
    return max(1.0, deadline)


@dataclass
class TrickleServer:
    """`/big` answers at once with BIG_BODY; any other path trickles TRICKLED_RESPONSE."""

    listener: socket.socket
    stop: threading.Event = field(default_factory=threading.Event)
    threads: list[threading.Thread] = field(default_factory=list)
    connections: int = 0

    @property
    def url(self) -> str:
        host, port = self.listener.getsockname()
        return f"http://{host}:{port}"

    def serve(self) -> None:
        while not self.stop.is_set():
            try:
                connection, _ = self.listener.accept()
            except OSError:
                return
            self.connections += 1
            thread = threading.Thread(target=self._answer, args=(connection,), daemon=True)
            self.threads.append(thread)
            thread.start()

    def _answer(self, connection: socket.socket) -> None:
        with connection:
            try:
                request = connection.recv(65536)
                if request.split(b" ")[1:2] == [b"/big"]:
                    connection.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                                       + f"Content-Length: {len(BIG_BODY)}\r\n\r\n".encode()
                                       + BIG_BODY)
                    return
                for byte in TRICKLED_RESPONSE:
                    if self.stop.wait(BYTE_INTERVAL):
                        return
                    connection.sendall(bytes([byte]))
            except OSError:
                return  # the fetcher hung up: what it should do at its deadline


@pytest.fixture(scope="module")
def trickle() -> Iterator[TrickleServer]:
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("127.0.0.1", 0))
    listener.listen(64)
    server = TrickleServer(listener)
    acceptor = threading.Thread(target=server.serve, daemon=True)
    acceptor.start()
    yield server
    server.stop.set()
    listener.close()
    for thread in [acceptor, *server.threads]:
        thread.join(timeout=5)


@pytest.fixture
def home(tmp_path: Path) -> Iterator[Path]:
    with pytest.MonkeyPatch.context() as patch:
        for variable in [name for name in os.environ if name.startswith("ISSUER_")]:
            patch.delenv(variable)
        patch.delenv("DATABASE_URL", raising=False)
        patch.setenv("ISSUER_HOME", str(tmp_path))
        patch.setenv("ISSUER_BASE_URL", "https://badges.example.org")
        yield tmp_path


def _timed_refusal(fetcher: Fetcher, url: str) -> tuple[FetchError, float]:
    started = time.monotonic()
    with pytest.raises(FetchError) as refused:
        fetcher.get_bytes(url)
    return refused.value, time.monotonic() - started


# --- one deadline ------------------------------------------------------------------------------

def test_headers_trickled_byte_by_byte_end_at_the_configured_deadline(
        home: Path, trickle: TrickleServer) -> None:
    settings = Settings.load(fetch_timeout=2.0)
    fetcher = bounded_fetcher(settings, allow_loopback=True)
    error, elapsed = _timed_refusal(fetcher, f"{trickle.url}/did.json")
    assert error.code == "fetch.timeout"
    deadline = settings.fetch_timeout
    assert deadline * 0.9 <= elapsed <= deadline + slack(deadline)


def test_the_cli_fetches_within_the_same_settings(home: Path, trickle: TrickleServer,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ISSUER_FETCH_TIMEOUT", "1.5")
    runner = CliRunner()
    started = time.monotonic()
    result = runner.invoke(cli_main, ["verify", "--allow-loopback", f"{trickle.url}/credential.json"])
    elapsed = time.monotonic() - started
    assert result.exit_code == 2, result.output
    assert "Délai dépassé" in result.output or "Timed out" in result.output
    assert elapsed <= 1.5 + slack(1.5)

    monkeypatch.setenv("ISSUER_FETCH_MAX_BYTES", "1000")
    result = runner.invoke(cli_main, ["verify", "--allow-loopback", f"{trickle.url}/big"])
    assert result.exit_code == 2
    assert "1000" in result.output  # "… dépasse la taille permise (1000 octets)"


def test_the_service_and_the_verifier_page_fetch_within_the_settings(home: Path) -> None:
    settings = Settings.load(fetch_timeout=3.5, fetch_max_bytes=123_456)
    fetcher = bounded_fetcher(settings)
    assert (fetcher.timeout, fetcher.max_bytes, fetcher.allow_loopback) == (3.5, 123_456, False)
    # A caller's own cap may only lower the setting (the verifier's 2 MB input cap).
    assert bounded_fetcher(settings, max_bytes=2_000_000).max_bytes == 123_456
    assert bounded_fetcher(settings, max_bytes=1_000).max_bytes == 1_000


# --- a cap on fetches and on live verifications --------------------------------------------------

def _in_background(target: object, *args: object,
                   **options: object) -> tuple[threading.Thread, list[object]]:
    outcome: list[object] = []

    def run() -> None:
        try:
            outcome.append(target(*args, **options))  # type: ignore[operator]
        except Exception as error:  # noqa: BLE001 - the outcome is what the test checks
            outcome.append(error)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread, outcome


def _wait_until(condition: object, limit: float) -> None:
    deadline = time.monotonic() + limit
    while not condition():  # type: ignore[operator]
        assert time.monotonic() < deadline, "the background requests never started"
        time.sleep(0.02)


@pytest.fixture
def city(home: Path) -> IssuerService:
    service = IssuerService(Settings.load())
    service.init()
    return service


def test_fetches_beyond_the_cap_are_refused_at_once_while_pages_answer(
        city: IssuerService, trickle: TrickleServer, monkeypatch: pytest.MonkeyPatch) -> None:
    slots = FetchSlots(2)
    monkeypatch.setattr(fetch, "OUTBOUND", slots)
    fetcher = Fetcher(allow_loopback=True, timeout=3.0)
    busy = [_in_background(fetcher.get_bytes, f"{trickle.url}/slow/{n}") for n in range(2)]
    _wait_until(lambda: slots.in_use == 2, fetcher.timeout)

    error, elapsed = _timed_refusal(fetcher, f"{trickle.url}/one-more")
    assert error.code == "fetch.busy"
    assert elapsed < fetcher.timeout / 10

    badge = city.issue(IssueRequest("petit-dejeuner-inclusion-numerique", "a@example.org",
                                    event_number=10, role="participant"))
    client = TestClient(create_app(city.settings, city))
    started = time.monotonic()
    assert client.get("/").status_code == 200
    assert 'class="verdict valid"' in client.get(f"/credentials/{badge.credential_id}").text
    assert time.monotonic() - started < fetcher.timeout

    for thread, outcome in busy:
        thread.join(timeout=fetcher.timeout + slack(fetcher.timeout))
        assert isinstance(outcome[0], FetchError) and outcome[0].code == "fetch.timeout"
    assert slots.in_use == 0


def test_live_verifications_beyond_their_cap_get_503_while_pages_answer(
        city: IssuerService, trickle: TrickleServer, monkeypatch: pytest.MonkeyPatch) -> None:
    slots = verifier.VerificationSlots(1)
    monkeypatch.setattr(verifier, "LIVE_VERIFICATIONS", slots)
    badge = city.issue(IssueRequest("petit-dejeuner-inclusion-numerique", "b@example.org",
                                    event_number=10, role="participant"))
    app = create_app(city.settings, city)
    # Strangers' addresses are never loopback in production; this test's server is.
    app.state.verifier_fetcher = Fetcher(allow_loopback=True, timeout=3.0)
    with TestClient(app) as client:
        thread, outcome = _in_background(
            client.post, "/api/v1/verify", json={"url": f"{trickle.url}/credential.json"})
        _wait_until(lambda: slots.in_use == 1, 3.0)

        started = time.monotonic()
        refused = client.post("/api/v1/verify", json={"url": f"{trickle.url}/other.json"})
        assert refused.status_code == 503
        assert refused.json()["error"]["code"] == "verify.busy"
        assert refused.headers["retry-after"] == str(verifier.BUSY_RETRY_SECONDS)
        assert client.get("/").status_code == 200
        # Our own badges need no live slot: their page and the API answer from the cache.
        assert 'class="verdict valid"' in client.get(f"/credentials/{badge.credential_id}").text
        own = client.post("/api/v1/verify", content=badge.credential_json.encode(),
                          headers={"content-type": "application/json"})
        assert own.json()["verdict"] == "valid"
        assert time.monotonic() - started < 3.0

        thread.join(timeout=3.0 + slack(3.0))
        answer = outcome[0]
        assert answer.status_code == 400  # type: ignore[attr-defined]
        assert answer.json()["error"]["code"] == "fetch.timeout"  # type: ignore[attr-defined]
    assert slots.in_use == 0
