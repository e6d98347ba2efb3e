"""/healthz and /readyz, the probes of a load balancer (issue #14, item 2): liveness touches
nothing; readiness answers 503 with what is not ready (database unreachable, migrations
pending, keys unusable), in JSON that names no file, host or secret; neither is rate-limited."""

from __future__ import annotations

import json
import shutil
import socket
import struct
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from fastapi import FastAPI
from fastapi.testclient import TestClient

from issuer.issuance.readiness import DATABASE_PROBE_SECONDS
from issuer.issuance.service import IssuerService
from issuer.settings import Settings
from issuer.storage.db import Database, alembic_config
from issuer.web import create_app

AppOn = Callable[[str], tuple[FastAPI, IssuerService]]


def client_of(app: FastAPI) -> TestClient:
    return TestClient(app, base_url="https://badges.example.org")


def not_ready_codes(answer: dict[str, object]) -> set[str]:
    items = answer["not_ready"]
    assert isinstance(items, list)
    return {item["code"] for item in items}


def assert_leaks_nothing(text: str, service: IssuerService) -> None:
    for secret in (str(service.settings.home), service.database.url, "Traceback",
                   str(service.settings.keys_dir)):
        assert secret not in text


def test_a_migrated_installation_with_its_keys_is_ready(admin_app_on: AppOn,
                                                        database_url: str) -> None:
    app, _service = admin_app_on(database_url)
    with client_of(app) as client:
        live, ready = client.get("/healthz"), client.get("/readyz")
    assert (live.status_code, live.json()) == (200, {"status": "ok"})
    assert (ready.status_code, ready.json()) == (200, {"status": "ready"})
    assert ready.headers["cache-control"] == "no-store"
    assert ready.headers["content-type"] == "application/json"


def test_healthz_does_not_touch_the_database(admin_app: tuple[FastAPI, IssuerService]) -> None:
    app, service = admin_app
    service.database.engine.dispose()
    service.settings.var_dir.joinpath("issuer.sqlite3").unlink()
    shutil.rmtree(service.settings.var_dir)
    service.settings.var_dir.write_text("not a folder: the database cannot be opened")
    with client_of(app) as client:
        assert client.get("/healthz").json() == {"status": "ok"}
        ready = client.get("/readyz")
    assert ready.status_code == 503
    assert not_ready_codes(ready.json()) == {"database.unreachable"}
    assert_leaks_nothing(ready.text, service)


def test_pending_migrations_make_the_process_not_ready(
        admin_app: tuple[FastAPI, IssuerService]) -> None:
    app, service = admin_app
    database = Database(service.database.url)
    config = alembic_config()
    with database.engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, "-1")
    database.dispose()
    with client_of(app) as client:
        ready = client.get("/readyz")
    assert ready.status_code == 503
    body = ready.json()
    assert body["status"] == "not_ready"
    [problem] = body["not_ready"]
    assert problem["check"] == "database" and problem["code"] == "database.migrations_pending"
    assert "issuer db upgrade" in problem["message_fr"] and problem["message_en"]


def test_unusable_keys_make_the_process_not_ready(admin_app: tuple[FastAPI, IssuerService],
                                                  ) -> None:
    app, service = admin_app
    # A restored key file left readable by others: the key store refuses to sign with it.
    [ed25519] = service.settings.keys_dir.glob("key-ed25519-*.pem")
    ed25519.chmod(0o644)
    keys_json = service.settings.keys_dir / "keys.json"
    copy = keys_json.with_name("keys.json.new")
    copy.write_bytes(keys_json.read_bytes())
    copy.replace(keys_json)  # a new key generation: the store reads the files again
    with client_of(app) as client:
        ready = client.get("/readyz")
    assert ready.status_code == 503
    assert not_ready_codes(ready.json()) == {"keys.unavailable"}
    assert_leaks_nothing(ready.text, service)


def test_probes_are_not_rate_limited(admin_app: tuple[FastAPI, IssuerService]) -> None:
    app, _service = admin_app
    with client_of(app) as client:
        answers = [client.get(path).status_code for _ in range(120)
                   for path in ("/healthz", "/readyz")]
    assert set(answers) == {200}


def test_the_probes_are_documented_for_load_balancers() -> None:
    root = Path(__file__).resolve().parent.parent
    deployment = (root / "docs" / "DEPLOYMENT.md").read_text("utf-8")
    assert "/healthz" in deployment and "/readyz" in deployment
    assert json.dumps({"status": "ready"}) in deployment


class StandInPostgres:
    """A "PostgreSQL host" on loopback for the probe's bounds: it accepts connections and
    then, with `handshake=False`, never answers (a host that hangs, or drops what follows);
    with `handshake=True` it completes the start-up (no SSL, no password, ready for a query)
    and then never answers the query (a server hung mid-statement, which no server-side
    timeout stops and whose socket stays acknowledged)."""

    def __init__(self, *, handshake: bool) -> None:
        self.handshake = handshake
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.accepted: list[socket.socket] = []
        threading.Thread(target=self._serve, daemon=True).start()

    @property
    def url(self) -> str:
        return f"postgresql+psycopg://badges:s3cret-word@127.0.0.1:{self.port}/badges"

    def _serve(self) -> None:
        while True:
            try:
                connection, _ = self.listener.accept()
            except OSError:
                return  # closed
            self.accepted.append(connection)
            if self.handshake:
                threading.Thread(target=self._start_up, args=(connection,), daemon=True).start()

    @staticmethod
    def _start_up(connection: socket.socket) -> None:
        try:
            while True:
                length = struct.unpack("!I", _read_exactly(connection, 4))[0]
                code = struct.unpack("!I", _read_exactly(connection, length - 4)[:4])[0]
                if code == 80877103:  # SSLRequest: no SSL here
                    connection.sendall(b"N")
                    continue
                # StartupMessage: AuthenticationOk, then ReadyForQuery (idle); then silence.
                connection.sendall(b"R" + struct.pack("!II", 8, 0) + b"Z" + struct.pack("!I", 5)
                                   + b"I")
                return
        except OSError:
            return

    def close(self) -> None:
        self.listener.close()
        for connection in self.accepted:
            connection.close()


def _read_exactly(connection: socket.socket, size: int) -> bytes:
    data = b""
    while len(data) < size:
        chunk = connection.recv(size - len(data))
        if not chunk:
            raise OSError("closed")
        data += chunk
    return data


def app_on_stand_in(service: IssuerService, stand_in: StandInPostgres,
                    ) -> tuple[FastAPI, IssuerService]:
    """The installation of `service` (its keys) with its database URL on the stand-in."""
    settings = Settings.load(home=service.settings.home, base_url="https://badges.example.org",
                             database_url=stand_in.url)
    on_stand_in = IssuerService(settings)
    return create_app(settings, on_stand_in), on_stand_in


def timed_readyz(client: TestClient) -> tuple[float, Any]:
    started = time.monotonic()
    answer = client.get("/readyz")
    return time.monotonic() - started, answer


@pytest.mark.parametrize("handshake", [False, True], ids=["host-never-answers",
                                                          "server-hangs-mid-query"])
def test_readyz_answers_503_within_its_bound_when_postgresql_hangs(
        admin_app: tuple[FastAPI, IssuerService], handshake: bool) -> None:
    stand_in = StandInPostgres(handshake=handshake)
    app, service = app_on_stand_in(admin_app[1], stand_in)
    try:
        with client_of(app) as client:
            elapsed, ready = timed_readyz(client)
            # The probe of a hung database is still running: the next one waits for it,
            # within its own bound, instead of opening another connection.
            again_elapsed, again = timed_readyz(client)
    finally:
        stand_in.close()
        service.database.dispose()
    for took, answer in ((elapsed, ready), (again_elapsed, again)):
        assert answer.status_code == 503
        assert took < DATABASE_PROBE_SECONDS + 1.0
        assert answer.json()["status"] == "not_ready"
        assert answer.headers["cache-control"] == "no-store"
        assert_leaks_nothing(answer.text, service)
        assert "s3cret-word" not in answer.text and str(stand_in.port) not in answer.text
    # A host that never answers fails to connect by itself (libpq's connect timeout); a server
    # hung mid-query is caught by the probe's own bound.
    expected = {"database.timeout"} if handshake else {"database.unreachable"}
    assert not_ready_codes(ready.json()) == expected
    assert not_ready_codes(again.json()) <= {"database.timeout", "database.unreachable"}
    # One probe at a time: the hung one is shared; the one that failed by itself is not.
    assert len(stand_in.accepted) == (1 if handshake else 2)
