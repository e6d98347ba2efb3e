"""One-time tokens never appear in the access log (issue #10, item 7): a real uvicorn server on
loopback, configured as `issuer serve` configures it (and, for a deployment that runs plain
`uvicorn`, with uvicorn's own configuration), answers requests to every route that takes a
token; what it prints names the route with `{token}`, never the token."""

from __future__ import annotations

import logging
import socket
import threading
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import uvicorn
from fastapi import FastAPI
from starlette.routing import Route
from uvicorn.config import LOGGING_CONFIG
from uvicorn.logging import AccessFormatter as UvicornAccessFormatter

from issuer.issuance.service import IssuerService
from issuer.web.access_log import ACCESS_LOGGER, AccessFormatter, OneTimeTokenFilter, log_config

TOKEN = "Zz9-LeakCanary_0123456789abcdefghijklmnopq"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def restore_logging() -> Iterator[None]:
    """uvicorn reconfigures logging for the whole process: undo it after the test."""
    logger = logging.getLogger(ACCESS_LOGGER)
    saved = (list(logger.handlers), list(logger.filters), logger.propagate, logger.level)
    yield
    logger.handlers[:], logger.filters[:], logger.propagate, level = saved
    logger.setLevel(level)


def serve(app: FastAPI, config: dict[str, Any]) -> Iterator[str]:
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_config=config,
                                           log_level="info"))
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


def token_paths(app: FastAPI) -> list[str]:
    return [route.path.replace("{token}", TOKEN) for route in app.routes
            if isinstance(route, Route) and "{token}" in route.path]


@pytest.mark.parametrize("config", [log_config(), LOGGING_CONFIG],
                         ids=["issuer-serve", "plain-uvicorn"])
def test_the_access_log_names_the_route_not_the_token(
        admin_app: tuple[FastAPI, IssuerService], config: dict[str, Any],
        capfd: pytest.CaptureFixture[str], restore_logging: None) -> None:
    app, _city = admin_app
    paths = token_paths(app)
    assert {"/admin/invitation/" + TOKEN, "/espace/lien/" + TOKEN,
            "/reclamer/" + TOKEN} <= set(paths)
    for base in serve(app, config):
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


def test_the_filter_leaves_other_records_alone() -> None:
    record = logging.LogRecord(ACCESS_LOGGER, logging.INFO, __file__, 1, "%s - %s", ("a", "b"),
                               None)
    assert OneTimeTokenFilter().filter(record) and record.args == ("a", "b")


@pytest.mark.parametrize("use_colors", [False, True])
@pytest.mark.parametrize(("status", "path"), [(200, "/credentials/0b1d6a2e"), (404, "/nope?x=1"),
                                              (599, "/"), (307, "/espace/lien/{token}")])
def test_our_access_formatter_writes_uvicorns_line(use_colors: bool, status: int,
                                                   path: str) -> None:
    """`log_config()` swaps in a cheaper formatter: the line must stay uvicorn's, exactly."""
    fmt = log_config()["formatters"]["access"]["fmt"]
    assert log_config()["formatters"]["access"]["()"] == "issuer.web.access_log.AccessFormatter"
    ours, theirs = (AccessFormatter(fmt, use_colors=use_colors),
                    UvicornAccessFormatter(fmt, use_colors=use_colors))
    for level in (logging.INFO, logging.WARNING):
        record = logging.LogRecord(ACCESS_LOGGER, level, __file__, 1, '%s - "%s %s HTTP/%s" %d',
                                   ("127.0.0.1:5555", "GET", path, "1.1", status), None)
        line = ours.format(record)
        assert line == theirs.format(record)
        if not use_colors:
            assert line.endswith(f' - "GET {path} HTTP/1.1" {status} ' + (
                {200: "OK", 404: "Not Found", 307: "Temporary Redirect"}.get(status, "")))
