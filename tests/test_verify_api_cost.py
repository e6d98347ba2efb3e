"""`POST /api/v1/verify` of one of our credentials, made cheaper (issue #14, performance goal 1),
on a real PostgreSQL server, as `issuer serve --workers N` runs it:

- the answer is the report's JSON text, made once per report and kept with a cached report:
  byte for byte what a fresh verification renders, and a revocation, a suspension or a key
  revocation made by another process is in the answer to the very next request;
- the shared rate limit counts a request in one statement (one round trip), refused or not;
- a pooled connection is no longer tested at every checkout, only after `PING_AFTER_IDLE_SECONDS`
  unused: one the server dropped meanwhile is then replaced, not handed out.

A real service (generated keys, a temporary ISSUER_HOME) issues the badges; the API is driven
through FastAPI's TestClient; status and key changes are made by a second `IssuerService` on
the same home and database, as the CLI in another process would.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import event

from issuer.issuance import own_verification
from issuer.issuance.issue_requests import IssuedBadge, IssueRequest
from issuer.issuance.rate_limits import DatabaseRateLimiter
from issuer.issuance.service import IssuerService
from issuer.issuance.verification_context import verification_context_for
from issuer.openbadges.verification import verify
from issuer.settings import Settings
from issuer.web import create_app
from issuer.web.rate_limit import RateLimiter
from tests.plugins.postgres import PostgresServer

pytestmark = pytest.mark.postgres

BASE_URL = "https://badges.example.org"
JSON = {"content-type": "application/json"}


@pytest.fixture
def settings(postgres_server: PostgresServer, tmp_path: Path) -> Iterator[Settings]:
    name, url = postgres_server.create_database("verifycost")
    service = IssuerService(Settings(home=tmp_path, base_url=BASE_URL, database_url=url))
    service.init()
    service.database.dispose()
    try:
        yield service.settings
    finally:
        postgres_server.drop_database(name)


@pytest.fixture
def service(settings: Settings) -> Iterator[IssuerService]:
    service = IssuerService(settings)
    yield service
    service.database.dispose()


@pytest.fixture
def cli(settings: Settings) -> Iterator[IssuerService]:
    """Another service on the same home and database: what `issuer revoke` is."""
    other = IssuerService(settings)
    yield other
    other.database.dispose()


@pytest.fixture
def client(service: IssuerService) -> TestClient:
    app = create_app(service.settings, service)
    # Every request comes from the same test client: the limit is not what is tested here.
    app.state.verification_rate_limiter = RateLimiter(limit=10_000, window=60)
    return TestClient(app)


@pytest.fixture
def verifications(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every full run of `verify()` for our own credentials (cache misses)."""
    runs: list[str] = []
    real = own_verification.verify

    def counting(data: Any, context: Any) -> Any:
        runs.append(str(data)[:40])
        return real(data, context)

    monkeypatch.setattr(own_verification, "verify", counting)
    return runs


def _issue(service: IssuerService, email: str = "camille@example.org") -> IssuedBadge:
    return service.issue(IssueRequest("petit-dejeuner-inclusion-numerique", email,
                                      name="Camille Exemple", event_number=10,
                                      role="participant"))


def _fresh_answer(service: IssuerService, text: str) -> bytes:
    """What a verification without any cache answers, rendered as Starlette's JSONResponse."""
    report = verify(text, verification_context_for(service, untrusted=False))
    return json.dumps(report.to_json(), ensure_ascii=False, allow_nan=False, indent=None,
                      separators=(",", ":")).encode("utf-8")


def test_the_answer_is_a_fresh_verifications_json_byte_for_byte(
        service: IssuerService, client: TestClient, verifications: list[str]) -> None:
    issued = _issue(service)
    for form, text, media_type in (("json", issued.credential_json, "application/json"),
                                   ("jwt", issued.credential_jwt, "application/jwt")):
        answers = [client.post("/api/v1/verify", content=text.encode("utf-8"),
                               headers={"content-type": media_type}) for _ in range(3)]
        assert {answer.status_code for answer in answers} == {200}
        assert all(answer.headers["content-type"] == "application/json" for answer in answers)
        assert answers[0].content == answers[1].content == answers[2].content
        assert answers[0].content == _fresh_answer(service, text), form
        assert answers[0].json()["verdict"] == "valid"
    assert len(verifications) == 2  # once per form: the next requests reused it


def test_a_revocation_then_a_key_revocation_are_in_the_next_answer(
        service: IssuerService, cli: IssuerService, client: TestClient,
        verifications: list[str]) -> None:
    revoked, other = _issue(service), _issue(service, "lea@example.org")
    for _ in range(2):
        for issued in (revoked, other):
            answer = client.post("/api/v1/verify", content=issued.credential_json.encode(),
                                 headers=JSON).json()
            assert answer["verdict"] == "valid" and answer["revoked"] is False
    assert len(verifications) == 2

    cli.revoke(revoked.credential_id, "erreur de saisie")
    answer = client.post("/api/v1/verify", content=revoked.credential_json.encode(),
                         headers=JSON)
    assert answer.json()["verdict"] == "invalid" and answer.json()["revoked"] is True
    assert answer.content == _fresh_answer(service, revoked.credential_json)

    cli.suspend(other.credential_id)
    assert client.post("/api/v1/verify", content=other.credential_json.encode(),
                       headers=JSON).json()["suspended"] is True
    cli.unsuspend(other.credential_id)
    assert client.post("/api/v1/verify", content=other.credential_json.encode(),
                       headers=JSON).json()["verdict"] == "valid"

    cli.revoke_key(cli.keystore.active_key("Ed25519").kid, "compromise")
    answer = client.post("/api/v1/verify", content=other.credential_json.encode(),
                         headers=JSON).json()
    assert answer["verdict"] == "invalid"
    codes = {check["code"] for check in answer["checks"]}
    assert codes & {"proof.key_revoked", "issuer_key.revoked"}, codes


def test_the_shared_limit_counts_a_request_in_one_statement(service: IssuerService) -> None:
    limiter = DatabaseRateLimiter(service.database, "verification", limit=3, window=60)
    statements: list[str] = []

    @event.listens_for(service.database.engine, "before_cursor_execute")
    def _count(_connection: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        statements.append(" ".join(statement.split())[:60])

    try:
        assert limiter.hit("203.0.113.9") is None  # the first hit of a process also sweeps
        assert any(statement.startswith("DELETE") for statement in statements)
        statements.clear()
        outcomes = [limiter.hit("203.0.113.9") for _ in range(4)]
    finally:
        event.remove(service.database.engine, "before_cursor_execute", _count)
    assert outcomes[:2] == [None, None]  # the limit is 3: two more, then refused
    # A sliding window: a full one makes the next wait past its end, until it weighs little
    # enough (here a third of the next minute at most).
    assert all(wait is not None and 0 < wait <= 60 + 20 for wait in outcomes[2:])
    assert len(statements) == 4  # one a request, refused or not (no BEGIN, SET, COMMIT)


def test_a_connection_dropped_while_idle_in_the_pool_is_replaced(
        service: IssuerService, monkeypatch: pytest.MonkeyPatch) -> None:
    from sqlalchemy import text

    from issuer.storage import db

    database = service.database
    with database.reading() as connection:
        pid = connection.execute(text("SELECT pg_backend_pid()")).scalar_one()
    # The server ends that connection while it waits in the pool (a restart, a firewall).
    admin = db.Database(database.url)
    try:
        with admin.engine.connect() as other:
            assert other.execute(text("SELECT pg_terminate_backend(:pid)"),
                                 {"pid": pid}).scalar()
    finally:
        admin.dispose()
    # Used moments ago, it would be handed out untested: consider it idle for long.
    monkeypatch.setattr(db, "PING_AFTER_IDLE_SECONDS", 0.0)
    with database.reading() as connection:
        assert connection.execute(text("SELECT pg_backend_pid()")).scalar_one() != pid


def test_a_connection_the_server_dropped_under_a_request_gives_503_then_recovers(
        service: IssuerService, client: TestClient) -> None:
    """A connection used moments ago is handed out untested; if the server ended it meanwhile
    (a restart, a failover), that request answers 503 with Retry-After, never 500, and the
    next one gets a new connection and its verdict."""
    from sqlalchemy import text

    from issuer.storage import db

    issued = _issue(service)
    assert client.post("/api/v1/verify", content=issued.credential_json,
                       headers=JSON).status_code == 200
    with service.database.reading() as connection:
        pids = {connection.execute(text("SELECT pg_backend_pid()")).scalar_one()}
    admin = db.Database(service.database.url)
    try:
        with admin.engine.connect() as other:
            for pid in pids:
                other.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
            # Every connection of this service's pool, as a server restart would.
            other.execute(text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                               "WHERE datname = current_database() AND pid <> pg_backend_pid()"))
    finally:
        admin.dispose()

    dropped = client.post("/api/v1/verify", content=issued.credential_json, headers=JSON)
    assert dropped.status_code == 503
    assert dropped.headers["retry-after"] == "5"
    assert dropped.json()["error"]["code"] == "server.database_unavailable"
    again = client.post("/api/v1/verify", content=issued.credential_json, headers=JSON)
    assert again.status_code == 200 and again.json()["verdict"] == "valid"
