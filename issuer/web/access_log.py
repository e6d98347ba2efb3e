"""Access logs name the route, never a one-time token (issue #10, item 7).

uvicorn's access log prints each request's path, and some paths *are* a key: an invitation
(/admin/invitation/<token>), a sign-in link (/espace/lien/<token>), an event's claim address
(/reclamer/<token>). Logs are read by more people than the links are meant for and kept
longer, so the token is replaced by `{token}` (issuer.one_time_links.loggable_path) before
any handler formats the line.

`OneTimeTokenFilter` is put on the "uvicorn.access" logger by `create_app` (whatever server
runs the app) and declared in `log_config()`, the logging configuration `issuer serve` hands
to uvicorn.

`log_config()` also formats the access line with `AccessFormatter`: uvicorn's line, character
for character, without copying each record twice (one line per request: a badge page under
load writes hundreds a second).
"""

from __future__ import annotations

import copy
import http
import logging
from functools import cache
from typing import Any

from uvicorn.logging import AccessFormatter as UvicornAccessFormatter

from issuer.one_time_links import loggable_path

ACCESS_LOGGER = "uvicorn.access"
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


@cache
def _status_text(code: int) -> str:
    """"200 OK", as uvicorn writes it ("599 " for a code with no phrase)."""
    try:
        phrase = http.HTTPStatus(code).phrase
    except ValueError:
        phrase = ""
    return f"{code} {phrase}"


class AccessFormatter(UvicornAccessFormatter):
    """uvicorn's access formatter, same output, cheaper: the fields are added to one copy of
    the record's attributes (uvicorn copies the whole record twice) and the status phrases are
    looked up once. Colours, another format style or an unexpected record: uvicorn's own."""

    def formatMessage(self, record: logging.LogRecord) -> str:
        args = record.args
        style = self._style
        if (self.use_colors or not isinstance(args, tuple) or len(args) != 5
                or type(style) is not logging.PercentStyle or getattr(style, "_defaults", None)):
            return super().formatMessage(record)
        client_addr, method, full_path, http_version, status_code = args
        values = dict(record.__dict__)
        values["levelprefix"] = record.levelname + ":" + " " * (8 - len(record.levelname))
        values["client_addr"] = client_addr
        values["request_line"] = f"{method} {full_path} HTTP/{http_version}"
        values["status_code"] = _status_text(int(status_code))  # type: ignore[call-overload]
        return style._fmt % values


def install() -> None:
    """Put the filter on uvicorn's access logger (once)."""
    logger = logging.getLogger(ACCESS_LOGGER)
    if not any(isinstance(existing, OneTimeTokenFilter) for existing in logger.filters):
        logger.addFilter(OneTimeTokenFilter())


def log_config() -> dict[str, Any]:
    """uvicorn's default logging configuration, with the filter on the access logger and the
    cheaper formatter of the same line."""
    from uvicorn.config import LOGGING_CONFIG

    config = copy.deepcopy(LOGGING_CONFIG)
    config["formatters"]["access"]["()"] = f"{__name__}.{AccessFormatter.__name__}"
    config.setdefault("filters", {})["one_time_tokens"] = {"()": OneTimeTokenFilter}
    config["loggers"].setdefault(ACCESS_LOGGER, {})["filters"] = ["one_time_tokens"]
    return config
