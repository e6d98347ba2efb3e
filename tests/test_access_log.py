"""The access log (issue #10, item 7; issue #14, item 2): a real uvicorn server on loopback,
configured as `issuer serve` configures it, writes one JSON line per request with its request
id, the route's template (never a one-time token), the status and the duration, and no personal
data. Under plain `uvicorn` with uvicorn's own configuration, uvicorn's access line is the log,
and names the route with `{token}`, never the token."""

from __future__ import annotations

import json
import logging
import re
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from fastapi import FastAPI
from starlette.routing import Route
from uvicorn.config import LOGGING_CONFIG

from issuer.cli.server import server_config
from issuer.issuance.service import IssuerService
from issuer.settings import Settings
from issuer.web import create_app
from issuer.web.access_log import (
    ACCESS_LOGGER,
    REQUEST_LOGGER,
    OneTimeTokenFilter,
    request_id_of,
)

TOKEN = "Zz9-LeakCanary_0123456789abcdefghijklmnopq"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def restore_logging() -> Iterator[None]:
    """uvicorn reconfigures logging for the whole process: undo it after the test."""
    loggers = [logging.getLogger(name) for name in (ACCESS_LOGGER, REQUEST_LOGGER, "")]
    saved = [(list(logger.handlers), list(logger.filters), logger.propagate, logger.level)
             for logger in loggers]
    yield
    for logger, (handlers, filters, propagate, level) in zip(loggers, saved, strict=True):
        logger.handlers[:], logger.filters[:], logger.propagate = handlers, filters, propagate
        logger.setLevel(level)


def serve(app: FastAPI, config: dict[str, Any] | None) -> Iterator[str]:
    """The app on a free port: as `issuer serve` runs it (`config` None), or plain uvicorn
    with the logging configuration `config`."""
    port = free_port()
    server = uvicorn.Server(server_config(app, port=port) if config is None else uvicorn.Config(
        app, host="127.0.0.1", port=port, log_config=config, log_level="info"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        assert time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(10)


def request_lines(output: str) -> list[dict[str, Any]]:
    """The access records among the JSON lines written."""
    lines = [json.loads(line) for line in output.splitlines() if line.startswith("{")]
    return [line for line in lines if line["logger"] == REQUEST_LOGGER]


def token_paths(app: FastAPI) -> list[str]:
    return [route.path.replace("{token}", TOKEN) for route in app.routes
            if isinstance(route, Route) and "{token}" in route.path]


def test_issuer_serve_logs_the_route_template_not_the_token(
        admin_app: tuple[FastAPI, IssuerService], capfd: pytest.CaptureFixture[str],
        restore_logging: None) -> None:
    app, _city = admin_app
    paths = token_paths(app)
    assert {"/admin/invitation/" + TOKEN, "/espace/lien/" + TOKEN,
            "/reclamer/" + TOKEN} <= set(paths)
    for base in serve(app, None):
        with httpx.Client(base_url=base) as client:
            for path in paths:
                client.get(path)
            client.post(f"/espace/lien/{TOKEN}")
            client.get("/competences")
    output = capfd.readouterr()
    logged = output.out + output.err
    assert TOKEN not in logged
    lines = request_lines(output.out)
    assert len(lines) == len(paths) + 2  # one line per request, uvicorn's own line is off
    routes = {(line["method"], line["route"]) for line in lines}
    assert {("GET", "/espace/lien/{token}"), ("POST", "/espace/lien/{token}"),
            ("GET", "/admin/invitation/{token}"), ("GET", "/reclamer/{token}/enregistree"),
            ("GET", "/competences")} <= routes
    assert '"GET /' not in logged  # no uvicorn access line


def test_plain_uvicorn_logs_the_route_not_the_token(
        admin_app: tuple[FastAPI, IssuerService], capfd: pytest.CaptureFixture[str],
        restore_logging: None) -> None:
    app, _city = admin_app
    paths = token_paths(app)
    for base in serve(app, LOGGING_CONFIG):
        with httpx.Client(base_url=base) as client:
            for path in paths:
                client.get(path)
            client.post(f"/espace/lien/{TOKEN}")
            client.get("/competences")
    output = capfd.readouterr()
    logged = output.out + output.err
    assert TOKEN not in logged
    assert '"GET /espace/lien/{token} HTTP/1.1"' in logged
    assert '"POST /espace/lien/{token} HTTP/1.1"' in logged
    assert '"GET /admin/invitation/{token} HTTP/1.1"' in logged
    assert '"GET /reclamer/{token}/enregistree HTTP/1.1"' in logged
    assert '"GET /competences HTTP/1.1" 200' in logged  # other paths as they are


def test_each_request_is_one_json_line_with_its_id_and_no_personal_data(
        admin_app: tuple[FastAPI, IssuerService], capfd: pytest.CaptureFixture[str],
        restore_logging: None) -> None:
    app, _city = admin_app
    email, name = "camille.secret@example.org", "Camille Secrète"
    for base in serve(app, None):
        with httpx.Client(base_url=base) as client:
            given = client.get("/healthz", headers={"X-Request-ID": "lb-7f3a-0001"})
            made = client.get(f"/admin/personnes?q={email}&nom={name}")
            forged = client.get("/healthz", headers={"X-Request-ID": 'x" injected {"a":1}'})
            missing = client.get("/credentials/00000000-0000-4000-8000-000000000000")
            unknown = client.get("/no/such/page/" + email)
            static = client.get("/static/" + email)
    output = capfd.readouterr()
    lines = request_lines(output.out)
    assert len(lines) == 6
    assert given.headers["x-request-id"] == "lb-7f3a-0001"  # a sane incoming id is kept
    assert re.fullmatch(r"[0-9a-f]{32}", made.headers["x-request-id"])
    assert re.fullmatch(r"[0-9a-f]{32}", forged.headers["x-request-id"])  # replaced
    answers = [given, made, forged, missing, unknown, static]
    for line, answer in zip(lines, answers, strict=True):
        assert set(line) == {"time", "level", "logger", "message", "request_id", "method",
                             "route", "status", "duration_ms"}
        assert line["request_id"] == answer.headers["x-request-id"]
        assert line["status"] == answer.status_code and line["method"] == "GET"
        assert isinstance(line["duration_ms"], float) and line["duration_ms"] >= 0
        assert line["time"].endswith("Z")
    assert [line["route"] for line in lines] == [
        "/healthz", "/admin/personnes", "/healthz", "/credentials/{credential_id}", None,
        "/static/{path}"]
    logged = output.out + output.err
    for personal in (email, name, "camille.secret", "injected", "?q="):
        assert personal not in logged
    assert "127.0.0.1" not in output.out  # (uvicorn's start message on stderr names its address)


def test_the_client_address_is_logged_only_when_a_setting_asks(
        tmp_path: Path, issuer_homes: Any, capfd: pytest.CaptureFixture[str],
        restore_logging: None) -> None:
    settings = Settings.load(home=tmp_path / "home", log_client_address=True)
    service = issuer_homes.service(settings)
    for base in serve(create_app(settings, service), None):
        with httpx.Client(base_url=base) as client:
            client.get("/healthz")
    [line] = request_lines(capfd.readouterr().out)
    assert line["client"] == "127.0.0.1"
    service.database.dispose()


@pytest.mark.parametrize(("incoming", "kept"), [
    (b"4bf92f3577b34da6a3ce929d0e0e4736", True), (b"Root=1-67891233-abcdef012345678912345678",
                                                  True),
    (b"", False), (b"a" * 129, False), (b"id with spaces", False), (b"\xff\xfe", False),
    (b'"},{"forged":true', False)])
def test_only_a_sane_incoming_request_id_is_kept(incoming: bytes, kept: bool) -> None:
    chosen = request_id_of([(b"x-request-id", incoming)])
    assert (chosen == incoming.decode("latin-1")) is kept
    if not kept:
        assert re.fullmatch(r"[0-9a-f]{32}", chosen)


def test_the_filter_leaves_other_records_alone() -> None:
    record = logging.LogRecord(ACCESS_LOGGER, logging.INFO, __file__, 1, "%s - %s", ("a", "b"),
                               None)
    assert OneTimeTokenFilter().filter(record) and record.args == ("a", "b")
