"""`POST /api/v1/verify` of one of our badges answered before routing (issue #14, performance
goal 1: `issuer.web.verify_fast_path`, `issuer.issuance.verify_counted`), on SQLite and on a
real PostgreSQL server:

- the fast answer is the endpoint's answer: same status, body and headers, verified or cached;
- it is given only for a badge of ours sent as its stored JSON; anything else (a tampered copy,
  a JWT, another issuer's input, an address, no Content-Length, a body over 64 KiB) is the
  endpoint's;
- every request is counted once in the verification limit, whichever path answers it;
- a revocation made by another process is in the very next answer;
- on PostgreSQL the count and the row are one statement on the quick connection, which never
  makes a request wait to connect, is bounded by a lock or statement timeout, and is replaced
  after the server dropped it (the request is then answered the usual way, never a 500).
"""

from __future__ import annotations

import asyncio
import json
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import psycopg
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text

from issuer.issuance import own_verification
from issuer.issuance.issue_requests import IssuedBadge, IssueRequest
from issuer.issuance.rate_limits import DatabaseRateLimiter, RateLimiter
from issuer.issuance.service import IssuerService
from issuer.issuance.verify_counted import counted_cached_report
from issuer.settings import Settings
from issuer.storage import quick_connection
from issuer.web import create_app
from issuer.web.verify_fast_path import OWN_BADGE_MAX_BYTES, OwnCredentialFastPath, RouteName
from tests.plugins.factory import ServiceFactory

BASE_URL = "https://badges.example.org"
JSON = {"content-type": "application/json"}
VARYING = {"x-request-id", "date"}


class RouteSeen:
    """The app, noting for each request whether the fast path answered it (the route it left
    in the scope for the access line)."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.fast: list[bool] = []

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        await self.app(scope, receive, send)
        if scope["type"] == "http":
            self.fast.append(isinstance(scope.get("route"), RouteName))


@pytest.fixture
def service(database_url: str, tmp_path: Path,
            service_factory: ServiceFactory) -> IssuerService:
    return service_factory(Settings(home=tmp_path / "home", base_url=BASE_URL,
                                    database_url=database_url))


@pytest.fixture
def cli(service: IssuerService) -> Iterator[IssuerService]:
    """Another service on the same home and database: what `issuer revoke` is."""
    other = IssuerService(service.settings)
    yield other
    other.database.dispose()


def _quick_ready(service: IssuerService) -> None:
    """On PostgreSQL, wait until the quick connection is open (it opens in the background)."""
    quick = service.database.quick_connection()
    if quick is None:
        return
    deadline = time.monotonic() + 20
    while quick.get() is None:
        assert time.monotonic() < deadline, "the quick connection did not open"
        time.sleep(0.05)


def _app(service: IssuerService, limit: int = 10_000) -> tuple[TestClient, RouteSeen]:
    app = create_app(service.settings, service)
    if service.database.engine.dialect.name == "postgresql":
        app.state.verification_rate_limiter = DatabaseRateLimiter(
            service.database, "verification", limit=limit)
    else:
        app.state.verification_rate_limiter = RateLimiter(limit=limit)
    seen = RouteSeen(app)
    _quick_ready(service)
    return TestClient(seen, base_url=BASE_URL), seen


def _issue(service: IssuerService, email: str = "camille@example.org") -> IssuedBadge:
    return service.issue(IssueRequest("petit-dejeuner-inclusion-numerique", email,
                                      name="Camille Exemple", event_number=10,
                                      role="participant"))


def _tampered(issued: IssuedBadge) -> str:
    """The badge's JSON with its achievement renamed: its own `id`, not its signed text."""
    data = json.loads(issued.credential_json)
    data["credentialSubject"]["achievement"]["name"] += " (modifié)"
    return json.dumps(data, ensure_ascii=False)


def _post(client: TestClient, body: str | bytes, **headers: str) -> Any:
    content = body.encode() if isinstance(body, str) else body
    return client.post("/api/v1/verify", content=content, headers={**JSON, **headers})


def _headers(answer: Any) -> list[tuple[str, str]]:
    return [(name, value) for name, value in answer.headers.multi_items()
            if name not in VARYING]


def _chunked(client: TestClient, body: str) -> Any:
    """The same request without a Content-Length: the endpoint answers it."""
    return client.post("/api/v1/verify", headers=JSON, content=iter([body.encode()]))


def test_the_fast_answer_is_the_endpoints_answer(
        service: IssuerService, cli: IssuerService) -> None:
    client, seen = _app(service)
    issued = _issue(service)
    for _ in range(2):  # verified, then cached
        fast, endpoint = _post(client, issued.credential_json), _chunked(
            client, issued.credential_json)
        assert fast.status_code == endpoint.status_code == 200
        assert fast.json()["verdict"] == "valid"
        assert fast.content == endpoint.content
        assert _headers(fast) == _headers(endpoint)
    cli.revoke(issued.credential_id, "erreur de saisie")
    fast, endpoint = _post(client, issued.credential_json), _chunked(
        client, issued.credential_json)
    assert fast.json()["revoked"] is True and fast.content == endpoint.content
    assert _headers(fast) == _headers(endpoint)
    assert seen.fast == [True, False] * 3
    assert fast.headers["x-request-id"] != endpoint.headers["x-request-id"]


def test_only_a_badge_of_ours_as_sent_takes_the_fast_path(
        service: IssuerService, caplog: pytest.LogCaptureFixture) -> None:
    client, seen = _app(service)
    issued = _issue(service)
    _post(client, issued.credential_json)
    assert _post(client, _tampered(issued)).json()["verdict"] == "invalid"
    assert _post(client, issued.credential_jwt, **{"content-type": "application/jwt"}
                 ).json()["verdict"] == "valid"
    assert _post(client, '{"url": "http://127.0.0.1/badge.json"}').status_code == 400
    assert _post(client, b"{not json").status_code == 400
    assert _chunked(client, issued.credential_json).json()["verdict"] == "valid"
    padded = issued.credential_json + " " * OWN_BADGE_MAX_BYTES  # parsed by the endpoint
    assert _post(client, padded).status_code == 200
    assert _post(client, issued.credential_json).json()["verdict"] == "valid"
    assert seen.fast == [True, False, False, False, False, False, False, True]
    assert not [record for record in caplog.records if record.levelname == "ERROR"]


def test_each_request_is_counted_once_whichever_path_answers(service: IssuerService) -> None:
    client, seen = _app(service, limit=4)
    issued = _issue(service)
    answers = [_post(client, issued.credential_json),
               _post(client, _tampered(issued)),
               _post(client, issued.credential_json),
               _post(client, issued.credential_json)]
    assert [answer.status_code for answer in answers] == [200, 200, 200, 200]
    assert seen.fast == [True, False, True, True]  # the tampered copy: counted, handed on
    refused = _post(client, issued.credential_json)
    assert refused.status_code == 429
    assert refused.json()["error"]["code"] == "verify.rate_limited"
    # Sliding window: past the end of this window, until the previous one weighs little enough.
    assert 1 <= int(refused.headers["retry-after"]) <= 2 * 60
    assert refused.headers["access-control-allow-origin"] == "*"
    if service.database.engine.dialect.name == "postgresql":
        with service.database.reading() as connection:
            hits = connection.execute(text(
                "SELECT sum(hits) FROM rate_limit_windows WHERE bucket = 'verification'"
            )).scalar_one()
        assert hits == 4  # the refusal is not counted


def test_a_revocation_by_another_process_is_in_the_next_answer(
        service: IssuerService, cli: IssuerService) -> None:
    client, seen = _app(service)
    issued = _issue(service)
    assert [_post(client, issued.credential_json).json()["verdict"] for _ in range(2)] == \
        ["valid", "valid"]
    cli.revoke(issued.credential_id, "erreur de saisie")
    answer = _post(client, issued.credential_json).json()
    assert answer["verdict"] == "invalid" and answer["revoked"] is True
    assert _post(client, issued.credential_json).json()["revoked"] is True
    assert seen.fast == [True, True, True, True]


def test_a_body_cut_short_reaches_the_endpoint_as_the_client_sent_it() -> None:
    """The replay: what the fast path read is handed on, then the disconnection."""
    received: list[dict[str, Any]] = []

    async def endpoint(scope: Any, receive: Any, send: Any) -> None:
        while True:
            message = await receive()
            received.append(message)
            if message["type"] == "http.disconnect" or not message.get("more_body"):
                return

    messages = iter([{"type": "http.request", "body": b'{"id": ', "more_body": True},
                     {"type": "http.disconnect"}])

    async def client_receive() -> dict[str, Any]:
        return next(messages)

    async def no_send(message: Any) -> None:
        raise AssertionError("nothing is sent to a client that left")

    scope = {"type": "http", "method": "POST", "path": "/api/v1/verify",
             "headers": [(b"content-type", b"application/json"), (b"content-length", b"400")]}
    # In a thread of its own: a browser test's event loop may be running in this one.
    with ThreadPoolExecutor(1) as thread:
        thread.submit(asyncio.run, OwnCredentialFastPath(endpoint)(
            scope, client_receive, no_send)).result(timeout=30)
    assert received == [{"type": "http.request", "body": b'{"id": ', "more_body": True},
                        {"type": "http.disconnect"}]


# --- PostgreSQL: the quick connection ----------------------------------------------------------

@pytest.fixture
def pg_service(postgres_server: Any, tmp_path: Path,
               service_factory: ServiceFactory) -> Iterator[IssuerService]:
    name, url = postgres_server.create_database("fastpath")
    try:
        yield service_factory(Settings(home=tmp_path / "home", base_url=BASE_URL,
                                       database_url=url))
    finally:
        postgres_server.drop_database(name)


def _backend_pids(service: IssuerService) -> list[int]:
    with service.database.reading() as connection:
        return list(connection.execute(text(
            "SELECT pid FROM pg_stat_activity WHERE application_name = 'issuer-quick'"
        )).scalars())


@pytest.mark.postgres
def test_the_quick_connection_dropped_by_the_server_is_replaced(
        pg_service: IssuerService, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(quick_connection, "RETRY_SECONDS", 0.0)  # not 5 s in a test
    client, seen = _app(pg_service)
    issued = _issue(pg_service)
    _post(client, issued.credential_json)
    assert _post(client, issued.credential_json).json()["verdict"] == "valid"
    [pid] = _backend_pids(pg_service)
    with pg_service.database.reading() as connection:
        assert connection.execute(text("SELECT pg_terminate_backend(:pid)"),
                                  {"pid": pid}).scalar()
    answer = _post(client, issued.credential_json)  # the usual path, not a 500
    assert answer.status_code == 200 and answer.json()["verdict"] == "valid"
    _quick_ready(pg_service)
    assert _post(client, issued.credential_json).json()["verdict"] == "valid"
    assert seen.fast == [True, True, False, True]
    assert _backend_pids(pg_service) != [pid]


@pytest.mark.postgres
def test_a_locked_counter_does_not_hold_the_event_loop(pg_service: IssuerService) -> None:
    """Another transaction holds the client's counter row: the quick statement gives up after
    its lock timeout (a quarter of a second), counts nothing, and leaves the connection
    usable; the caller takes the usual path."""
    issued = _issue(pg_service)
    limiter = DatabaseRateLimiter(pg_service.database, "verification", limit=100)
    _quick_ready(pg_service)
    own_verification.verify_own(pg_service, "badge", issued.credential_id,
                                issued.credential_json)  # cached
    body = issued.credential_json.encode()
    first = counted_cached_report(pg_service, limiter, "203.0.113.7", body)
    assert first is not None and first.report is not None and first.report.verdict == "valid"
    quick = pg_service.database.quick_connection()
    assert quick is not None
    conninfo = psycopg.conninfo.make_conninfo(**_libpq(pg_service))
    with psycopg.connect(conninfo) as holder:
        holder.execute("SELECT * FROM rate_limit_windows WHERE client = '203.0.113.7' "
                       "FOR UPDATE")
        started = time.monotonic()
        assert counted_cached_report(pg_service, limiter, "203.0.113.7", body) is None
        assert time.monotonic() - started < 2.0
        holder.rollback()
    again = counted_cached_report(pg_service, limiter, "203.0.113.7", body)
    assert again is not None and again.report is not None  # same connection, still usable
    with pg_service.database.reading() as connection:
        assert connection.execute(text(
            "SELECT hits FROM rate_limit_windows WHERE client = '203.0.113.7'")).scalar() == 2


def _libpq(service: IssuerService) -> dict[str, Any]:
    from issuer.storage.quick_connection import conninfo_of

    return conninfo_of(service.database.url)


@pytest.mark.postgres
def test_a_request_never_waits_for_the_quick_connection_to_open(
        pg_service: IssuerService, monkeypatch: pytest.MonkeyPatch) -> None:
    """While the connection opens (slowly here), requests are counted the usual way."""
    opening = threading.Event()
    real_connect = psycopg.connect

    def slow_connect(*args: Any, **kwargs: Any) -> Any:
        opening.wait(10)
        return real_connect(*args, **kwargs)

    monkeypatch.setattr(psycopg, "connect", slow_connect)
    issued = _issue(pg_service)
    limiter = DatabaseRateLimiter(pg_service.database, "verification", limit=100)
    started = time.monotonic()
    assert counted_cached_report(pg_service, limiter, "203.0.113.8",
                                 issued.credential_json.encode()) is None
    assert time.monotonic() - started < 1.0
    opening.set()
    _quick_ready(pg_service)
