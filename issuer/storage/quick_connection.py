"""One PostgreSQL connection for the short statements a request runs on its event loop's own
thread (issue #14, performance goal 1: `issuer.issuance.verify_counted`).

Handing a statement of a tenth of a millisecond to a thread costs more than the statement:
`POST /api/v1/verify` of one of our badges took 2.2 ms of CPU a request with its two reads in
the threadpool, 1.3 ms with them on the event loop. What runs here is therefore bounded so
that it can never hold the loop for long:

- it never waits to connect: a connection is opened by a background thread, and until it is
  ready (or after one broke) `get()` answers None and the caller takes its usual path;
- each statement is bounded by the server (`statement_timeout`, `lock_timeout`) and a lost
  server by the socket (`tcp_user_timeout`, keepalives), each `STATEMENT_TIMEOUT_MS`;
- one connection is enough: an event loop runs one statement at a time. It is in autocommit
  (each statement its own transaction), and psycopg prepares a statement run more than a few
  times.

A connection that failed is dropped (`discard`), and a new one is tried at most every
`RETRY_SECONDS`. SQLAlchemy's pool (`issuer.storage.db.Database`) serves everything else.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Any

import psycopg
from sqlalchemy.engine import make_url

logger = logging.getLogger(__name__)

STATEMENT_TIMEOUT_MS = 250
CONNECT_TIMEOUT_SECONDS = 5
RETRY_SECONDS = 5.0


def conninfo_of(url: str) -> dict[str, Any]:
    """psycopg's connection arguments for the SQLAlchemy URL `url` (postgresql+psycopg://)."""
    parsed = make_url(url)
    arguments: dict[str, Any] = {"host": parsed.host, "port": parsed.port,
                                 "user": parsed.username, "password": parsed.password,
                                 "dbname": parsed.database, **parsed.query}
    return {name: value for name, value in arguments.items() if value is not None}


class QuickConnection:
    """See the module docstring. Thread-safe; `get()` never blocks."""

    def __init__(self, url: str, *, statement_timeout_ms: int = STATEMENT_TIMEOUT_MS,
                 retry_seconds: float | None = None) -> None:
        timeout = str(int(statement_timeout_ms))
        self._arguments = {
            **conninfo_of(url), "autocommit": True, "connect_timeout": CONNECT_TIMEOUT_SECONDS,
            "options": f"-c statement_timeout={timeout} -c lock_timeout={timeout}",
            "tcp_user_timeout": timeout, "keepalives": 1, "keepalives_idle": 1,
            "keepalives_interval": 1, "keepalives_count": 2,
            "application_name": "issuer-quick"}
        self._retry_seconds = RETRY_SECONDS if retry_seconds is None else retry_seconds
        self._lock = threading.Lock()
        self._connection: psycopg.Connection[Any] | None = None
        self._connecting = False
        self._next_attempt = 0.0
        self._closed = False

    def get(self) -> psycopg.Connection[Any] | None:
        """The connection when one is open; otherwise None, and one is being opened."""
        connection = self._connection
        if connection is not None and not connection.closed and not connection.broken:
            return connection
        self._start_connecting()
        return None

    def discard(self, connection: psycopg.Connection[Any]) -> None:
        """Drop `connection` after an error it may not survive; the next is opened later."""
        with self._lock:
            if self._connection is connection:
                self._connection = None
                self._next_attempt = time.monotonic() + self._retry_seconds
        connection.close()

    def close(self) -> None:
        with self._lock:
            self._closed = True
            connection, self._connection = self._connection, None
        if connection is not None:
            connection.close()

    def _start_connecting(self) -> None:
        with self._lock:
            if self._connecting or self._closed or time.monotonic() < self._next_attempt:
                return
            self._connecting = True
        threading.Thread(target=self._connect, name="issuer-quick-connect", daemon=True).start()

    def _connect(self) -> None:
        connection: psycopg.Connection[Any] | None = None
        try:
            connection = psycopg.connect(**self._arguments)
        except psycopg.Error:
            logger.warning("quick connection not opened (the usual path serves meanwhile)",
                           exc_info=True)
        with self._lock:
            self._connecting = False
            if connection is None or self._closed:
                self._next_attempt = time.monotonic() + self._retry_seconds
            else:
                self._connection = connection
                connection = None
        if connection is not None:  # closed meanwhile
            connection.close()
