"""/healthz and /readyz, the probes of a load balancer (issue #14, item 2): liveness touches
nothing; readiness answers 503 with what is not ready (database unreachable, migrations
pending, keys unusable), in JSON that names no file, host or secret; neither is rate-limited."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path

from alembic import command
from fastapi import FastAPI
from fastapi.testclient import TestClient

from issuer.issuance.service import IssuerService
from issuer.storage.db import Database, alembic_config

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
