"""Is this process ready to serve? What `/readyz` answers (issue #14, item 2).

Three checks, each reported by a stable code and a French / English sentence, never by the
exception's text (it may name a file, a host or a database URL with its password):
- **database**: reachable, and its schema at the migrations this code ships (one connection,
  one query; `Database.schema_state` says why when it is not);
- **keys**: the active Ed25519 and RSA signing keys load (files, passphrase, environment).

On PostgreSQL the database check is bounded: a host that drops packets, or a server that
accepted the connection and hangs, would hold the probe for libpq's defaults (no connect
timeout, no statement timeout, minutes of TCP retransmissions), and the load balancer's probe
with it. The connection bounds its own waits (`Database.probe`: connect, statements, socket)
to one second less than `DATABASE_PROBE_SECONDS`, so that a lost server fails with its own
reason; and the probe runs on a thread of its own that `/readyz` waits for at most
`DATABASE_PROBE_SECONDS`, for what libpq cannot bound (a name that takes long to resolve, a
server that acknowledges and never answers). One probe at a time per database: while one is
still stuck, the next ones wait for it (within their own bound) instead of starting another,
so a hung database cannot fill the thread pool. SQLite: a file, checked in the caller's thread.

A load balancer takes a process out of rotation while it answers 503, so every failure is a
reason to: a lost database, pending migrations (the code is newer than the schema), keys that
cannot sign. `/healthz` is the other probe: the process answers at all (nothing checked here).
"""

from __future__ import annotations

import threading
from concurrent.futures import Future
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING
from weakref import WeakKeyDictionary

from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.exc import SQLAlchemyError

from issuer.errors import IssuerError
from issuer.issuance.keys import ALGORITHMS

# What a request meets when the database went away under it: the web layer answers 503
# (issuer.web.app) and reads it from here, not from storage.
from issuer.storage.db import DATABASE_UNAVAILABLE as DATABASE_UNAVAILABLE
from issuer.storage.db import Database, alembic_config

if TYPE_CHECKING:
    from issuer.issuance.service import IssuerService

#: The longest `/readyz` waits for the database, connecting and querying together
#: (docs/DEPLOYMENT.md, "Health checks"); past it the answer is 503 `database.timeout`.
DATABASE_PROBE_SECONDS = 3


@dataclass(frozen=True)
class NotReady:
    """One reason the process is not ready."""

    check: str            # "database" or "keys"
    code: str             # stable, for scripts and dashboards
    message_fr: str
    message_en: str

    def to_json(self) -> dict[str, str]:
        return {"check": self.check, "code": self.code, "message_fr": self.message_fr,
                "message_en": self.message_en}


_UNREACHABLE = NotReady(
    "database", "database.unreachable",
    "La base de données ne répond pas (voir le journal du service et celui de la base).",
    "The database does not answer (see the service's log and the database's).")
_TIMEOUT = NotReady(
    "database", "database.timeout",
    f"La base de données n'a pas répondu en {DATABASE_PROBE_SECONDS} secondes (réseau, ou "
    "serveur saturé : voir le journal du service et celui de la base).",
    f"The database did not answer within {DATABASE_PROBE_SECONDS} seconds (network, or an "
    "overloaded server: see the service's log and the database's).")
_EMPTY = NotReady(
    "database", "database.empty",
    "La base de données est vide : lancez « issuer init ».",
    "The database is empty: run `issuer init`.")
_PENDING = NotReady(
    "database", "database.migrations_pending",
    "Des migrations de la base sont en attente : sauvegardez-la puis lancez « issuer db upgrade ».",
    "Database migrations are pending: back it up, then run `issuer db upgrade`.")
_NEWER = NotReady(
    "database", "database.unknown_revision",
    "La base a été migrée par une version plus récente de l'application.",
    "The database was migrated by a newer version of the application.")
_KEYS = NotReady(
    "keys", "keys.unavailable",
    "Les clés de signature actives ne peuvent pas être chargées (dossier keys/, phrase de passe "
    "ou variables d'environnement).",
    "The active signing keys cannot be loaded (keys/ folder, passphrase or environment "
    "variables).")


@cache
def _shipped_heads() -> frozenset[str]:
    """The newest migrations this code ships: read from the migration scripts once per process
    (parsing them takes a tenth of a second; a probe comes every few seconds)."""
    return frozenset(ScriptDirectory.from_config(alembic_config()).get_heads())


def database_problems(service: IssuerService) -> list[NotReady]:
    database = service.database
    if database.engine.dialect.name == "sqlite":
        return _schema_problems(database)
    return _within_bound(database)


_in_flight: WeakKeyDictionary[Database, Future[list[NotReady]]] = WeakKeyDictionary()
_in_flight_lock = threading.Lock()


def _within_bound(database: Database) -> list[NotReady]:
    """`_schema_problems(database)`, or `database.timeout` when it takes longer than
    `DATABASE_PROBE_SECONDS` (see the module docstring)."""
    with _in_flight_lock:
        future = _in_flight.get(database)
        if future is None or future.done():
            future = Future()
            _in_flight[database] = future
            threading.Thread(target=_run_probe, args=(database, future), daemon=True,
                             name="issuer-readiness-probe").start()
    try:
        return future.result(timeout=DATABASE_PROBE_SECONDS)
    except FutureTimeout:
        return [_TIMEOUT]


def _run_probe(database: Database, future: Future[list[NotReady]]) -> None:
    try:
        future.set_result(_schema_problems(database))
    except Exception as error:  # noqa: BLE001 - re-raised in the waiting request's thread
        future.set_exception(error)


def _schema_problems(database: Database) -> list[NotReady]:
    try:
        with database.probe(DATABASE_PROBE_SECONDS - 1) as connection:
            current = frozenset(MigrationContext.configure(connection).get_current_heads())
            if current and current == _shipped_heads():
                return []  # the usual answer: one cheap query
            state = database.schema_state(connection)  # why not: the full comparison
    except (SQLAlchemyError, OSError):
        return [_UNREACHABLE]
    if state.unknown:
        return [_NEWER]
    if not state.current:
        return [_EMPTY]
    if state.pending:
        return [_PENDING]
    return []


def key_problems(service: IssuerService) -> list[NotReady]:
    try:
        for algorithm in ALGORITHMS:
            service.keystore.active_key(algorithm)
    except (IssuerError, OSError, ValueError):
        return [_KEYS]
    return []


def readiness(service: IssuerService) -> list[NotReady]:
    """Every reason this process should not receive traffic; empty when it is ready."""
    return database_problems(service) + key_problems(service)
