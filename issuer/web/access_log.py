"""The access log: one JSON line per request, naming the route, never a token or a person
(issue #10, item 7; issue #14, item 2).

`RequestLog` (the outermost middleware of `create_app`) writes, when a request ends, one record
on the "issuer.access" logger; `JsonFormatter` makes each record one JSON line:

    {"time": "2026-12-07T09:15:02.118Z", "level": "INFO", "logger": "issuer.access",
     "message": "request", "request_id": "5f0c…", "method": "GET",
     "route": "/credentials/{credential_id}", "status": 200, "duration_ms": 4.1}

- **The route template, not the path.** Some paths *are* a key: an invitation
  (/admin/invitation/<token>), a sign-in link (/espace/lien/<token>), a claim address
  (/reclamer/<token>), a holder link. The matched route's template says the same thing to
  whoever reads the logs, without the key; a request no route matches logs `"route": null`.
- **No personal data**: no query string (a search for a name, an e-mail), no e-mail, no name,
  no client address unless `ISSUER_LOG_CLIENT_ADDRESS` asks for it (`"client": "…"`).
- **A request id** per request: a sane incoming `X-Request-ID` (a reverse proxy's, so the two
  logs join up) or a new random one; sent back in the response's `X-Request-ID` header, and
  added (`RequestIdFilter`) to every other record logged while the request runs.

`log_config()` is the logging configuration `issuer serve` hands to uvicorn: every handler
writes JSON lines, and uvicorn's own access line is off (`server_config(access_log=False)`):
one line per request. Under plain `uvicorn issuer.web:app` with uvicorn's configuration, the
"issuer.access" logger has no handler and uvicorn's access line is the log: `OneTimeTokenFilter`,
put on "uvicorn.access" by `create_app`, replaces a one-time token there by `{token}`
(issuer.one_time_links.loggable_path).
"""

from __future__ import annotations

import contextvars
import copy
import json
import logging
import re
import time
import uuid
from datetime import UTC, datetime
from typing import Any

from starlette.datastructures import MutableHeaders
from starlette.routing import Mount
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from issuer.one_time_links import loggable_path

ACCESS_LOGGER = "uvicorn.access"
#: The logger of our one line per request.
REQUEST_LOGGER = "issuer.access"
REQUEST_ID_HEADER = "X-Request-ID"
# An incoming id is kept only if it is short and plain (UUIDs, hex, base64, a proxy's
# "Root=1-…"): anything else could forge log content, and is replaced by our own.
_SANE_REQUEST_ID = re.compile(r"[A-Za-z0-9._:+=/-]{1,128}")
_request_id: contextvars.ContextVar[str | None] = contextvars.ContextVar("request_id",
                                                                         default=None)
_request_logger = logging.getLogger(REQUEST_LOGGER)

# uvicorn's access record: (client address, method, path with query string, HTTP version,
# status) — uvicorn.protocols.http.*_impl and uvicorn.logging.AccessFormatter.
_PATH_ARGUMENT = 2


class OneTimeTokenFilter(logging.Filter):
    """Rewrites the path of an access-log record so that it shows the route, not the token."""

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        if isinstance(args, tuple) and len(args) > _PATH_ARGUMENT:
            path = args[_PATH_ARGUMENT]
            if isinstance(path, str):
                record.args = (*args[:_PATH_ARGUMENT], loggable_path(path),
                               *args[_PATH_ARGUMENT + 1:])
        return True


def request_id_of(headers: list[tuple[bytes, bytes]]) -> str:
    """The incoming X-Request-ID when it is sane, else a new random one."""
    for name, value in headers:
        if name == b"x-request-id":
            candidate = value.decode("latin-1")
            if _SANE_REQUEST_ID.fullmatch(candidate):
                return candidate
            break
    return uuid.uuid4().hex


def route_template(scope: Scope, root_path: str = "") -> str | None:
    """The template of the route that answered (`/espace/lien/{token}`); None when none did.
    FastAPI names its own routes in the scope; a mount (the static files) shows as the root
    path it added to the request's (`root_path`: the one before routing)."""
    route = scope.get("route")
    path = getattr(route, "path", None)
    if isinstance(path, str):
        return f"{path}/{{path}}" if isinstance(route, Mount) else path
    mounted = str(scope.get("root_path", ""))
    if mounted != root_path and mounted.startswith(root_path):
        return mounted[len(root_path):] + "/{path}"
    return None


class RequestLog:
    """ASGI middleware: the request id, and one access record per HTTP request."""

    def __init__(self, app: ASGIApp, *, log_client_address: bool = False) -> None:
        self.app = app
        self.log_client_address = log_client_address

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = request_id_of(scope.get("headers") or [])
        root_path = str(scope.get("root_path", ""))
        token = _request_id.set(request_id)
        began = time.perf_counter()
        status = 500  # unless a response starts: an exception escaped every handler

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
                MutableHeaders(scope=message)[REQUEST_ID_HEADER] = request_id
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            fields: dict[str, Any] = {
                "request_id": request_id, "method": scope.get("method"),
                "route": route_template(scope, root_path), "status": status,
                "duration_ms": round((time.perf_counter() - began) * 1000, 1)}
            if self.log_client_address and scope.get("client"):
                fields["client"] = scope["client"][0]
            _request_logger.info("request", extra={"fields": fields})
            _request_id.reset(token)


class RequestIdFilter(logging.Filter):
    """Adds the running request's id to a record logged while it runs."""

    def filter(self, record: logging.LogRecord) -> bool:
        request_id = _request_id.get()
        if request_id is not None and not hasattr(record, "request_id"):
            record.request_id = request_id
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time (UTC, ms), level, logger, message, the record's `fields`
    (the access record's), its request id, and the traceback of an exception."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(
                timespec="milliseconds").replace("+00:00", "Z"),
            "level": record.levelname, "logger": record.name, "message": record.getMessage()}
        request_id = getattr(record, "request_id", None)
        if request_id is not None:
            line["request_id"] = request_id
        fields = getattr(record, "fields", None)
        if isinstance(fields, dict):
            line.update(fields)
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return json.dumps(line, ensure_ascii=False, default=str)


def install() -> None:
    """Put the token filter on uvicorn's access logger (once)."""
    logger = logging.getLogger(ACCESS_LOGGER)
    if not any(isinstance(existing, OneTimeTokenFilter) for existing in logger.filters):
        logger.addFilter(OneTimeTokenFilter())


def log_config() -> dict[str, Any]:
    """uvicorn's default logging configuration with every line JSON: uvicorn's messages, ours
    (root at WARNING, the "issuer.access" line at INFO), each on its stream as before."""
    from uvicorn.config import LOGGING_CONFIG

    config = copy.deepcopy(LOGGING_CONFIG)
    json_formatter = {"()": f"{__name__}.{JsonFormatter.__name__}"}
    config["formatters"] = {"default": json_formatter, "access": dict(json_formatter)}
    config["filters"] = {"one_time_tokens": {"()": OneTimeTokenFilter},
                         "request_id": {"()": RequestIdFilter}}
    for handler in config["handlers"].values():
        handler["filters"] = ["request_id"]
    config["loggers"].setdefault(ACCESS_LOGGER, {})["filters"] = ["one_time_tokens"]
    config["loggers"][REQUEST_LOGGER] = {"handlers": ["access"], "level": "INFO",
                                         "propagate": False}
    config["root"] = {"handlers": ["default"], "level": "WARNING"}
    return config
