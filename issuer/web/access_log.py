"""Access logs name the route, never a one-time token (issue #10, item 7).

uvicorn's access log prints each request's path, and some paths *are* a key: an invitation
(/admin/invitation/<token>), a sign-in link (/espace/lien/<token>), an event's claim address
(/reclamer/<token>). Logs are read by more people than the links are meant for and kept
longer, so the token is replaced by `{token}` (issuer.one_time_links.loggable_path) before
any handler formats the line.

`OneTimeTokenFilter` is put on the "uvicorn.access" logger by `create_app` (whatever server
runs the app) and declared in `log_config()`, the logging configuration `issuer serve` hands
to uvicorn.
"""

from __future__ import annotations

import copy
import logging
from typing import Any

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


def install() -> None:
    """Put the filter on uvicorn's access logger (once)."""
    logger = logging.getLogger(ACCESS_LOGGER)
    if not any(isinstance(existing, OneTimeTokenFilter) for existing in logger.filters):
        logger.addFilter(OneTimeTokenFilter())


def log_config() -> dict[str, Any]:
    """uvicorn's default logging configuration, with the filter on the access logger."""
    from uvicorn.config import LOGGING_CONFIG

    config = copy.deepcopy(LOGGING_CONFIG)
    config.setdefault("filters", {})["one_time_tokens"] = {"()": OneTimeTokenFilter}
    config["loggers"].setdefault(ACCESS_LOGGER, {})["filters"] = ["one_time_tokens"]
    return config
