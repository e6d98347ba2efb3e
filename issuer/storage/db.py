"""Connecting to the database, migrating it, and opening transactional sessions.

SQLite (the default: one file under ISSUER_HOME) and PostgreSQL (`postgresql+psycopg://...`)
are both supported. The schema comes only from the Alembic migrations shipped in this package.

At start, `issuer serve` brings a SQLite database to the latest migration itself, and refuses to
start on PostgreSQL while migrations are pending, naming `issuer db upgrade`
(`Database.prepare_for_serving`; the reasons are in docs/DEPLOYMENT.md, "Upgrades").

A SQLite database holds people's names and addresses: its file is created 0600 in a 0700
folder, and SQLite gives its -wal, -shm and -journal files the database file's own mode
(unix VFS, `findCreateFileMode`), so they are 0600 too (issue #10, item 7).
"""

from __future__ import annotations

import logging
import os
import stat
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy import exc as sqlalchemy_exc
from sqlalchemy.engine import URL, Connection, make_url
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import NullPool

from issuer.errors import IssuerError
from issuer.storage.quick_connection import QuickConnection

logger = logging.getLogger(__name__)
MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"

#: How long a SQLite writer waits for another process's transaction before giving up.
SQLITE_BUSY_TIMEOUT_MS = 30_000
#: Connections to a SQLite file kept open at most (the web thread pool runs more handlers).
SQLITE_POOL_SIZE = 15
#: Connections to PostgreSQL a process keeps open at most, all kept between requests: the
#: same cap as SQLAlchemy's default (5 + 10 overflow), but the overflow ones were opened and
#: closed again for every request past the fifth at once; under 50 concurrent verification
#: requests a worker opened a new connection (authentication, session start) every six
#: requests (issue #14, goal 1). Several workers and hosts: PostgreSQL's `max_connections`
#: must cover this many per process (docs/DEPLOYMENT.md).
POSTGRES_POOL_SIZE = 15
#: A pooled PostgreSQL connection left unused longer than this is tested (`SELECT 1`) before it
#: is handed out again; one used more recently is not (see `_test_connections_after_idle`).
PING_AFTER_IDLE_SECONDS = 5.0

# Any constant: serialises `migrate()` calls from several processes on one PostgreSQL database.
_PG_MIGRATION_LOCK = 0x0B_AD6E_5001

# Execution option read by the SQLite "begin" hook below.
_SQLITE_BEGIN = "issuer_sqlite_begin"


#: What a request meets when the database went away under it (a restart, a failover, a dropped
#: connection used moments ago, which the idle-only test above does not catch): the web layer
#: answers 503 with Retry-After, never 500; SQLAlchemy has already dropped the dead connections,
#: so the next request gets new ones.
DATABASE_UNAVAILABLE = (sqlalchemy_exc.OperationalError, sqlalchemy_exc.InterfaceError,
                        sqlalchemy_exc.DisconnectionError)


class DatabaseNotReady(IssuerError):
    """The database schema is not the one this version of the code needs, and `issuer serve`
    will not change it: `code` says why (`database.empty`, `database.migrations_pending`,
    `database.unknown_revision`) and the message names the command to run."""

    code = "database.not_ready"


@dataclass(frozen=True)
class SchemaState:
    """Where a database's schema stands against the migrations shipped with this code."""

    current: tuple[str, ...]
    """The revisions the database is at (empty: no schema yet)."""
    pending: tuple[str, ...]
    """Migrations to apply, oldest first."""
    unknown: tuple[str, ...]
    """Revisions in the database that this code does not ship: a newer version migrated it."""

    @property
    def up_to_date(self) -> bool:
        return not self.pending and not self.unknown


def sqlite_url(path: Path) -> str:
    """The SQLAlchemy URL of the SQLite database file at `path` (made absolute)."""
    return URL.create("sqlite+pysqlite", database=str(Path(path).absolute())).render_as_string()


class Database:
    """One database: its engine, its migrations, and sessions.

    `url` is any SQLAlchemy URL; SQLite and PostgreSQL (psycopg 3) are the supported back ends.
    """

    def __init__(self, url: str, *, echo: bool = False) -> None:
        self.url = url
        parsed = make_url(url)
        options: dict[str, Any] = {"echo": echo}
        if parsed.get_backend_name() == "postgresql":
            options.update(pool_size=POSTGRES_POOL_SIZE, max_overflow=0)
        elif sqlite_file(url) is not None:  # a file: SQLAlchemy's QueuePool
            # As many connections as SQLAlchemy's default allows (5 + 10 overflow), all kept:
            # under concurrent page views the overflow ones were opened (four PRAGMAs, file
            # modes checked) and closed again on every burst.
            options.update(pool_size=SQLITE_POOL_SIZE, max_overflow=0)
        self.engine: Engine = create_engine(parsed, **options)
        if self.engine.dialect.name == "sqlite":
            _configure_sqlite(self.engine)
        else:
            _test_connections_after_idle(self.engine)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)
        self._read_engine = self.engine.execution_options(**{_SQLITE_BEGIN: "DEFERRED"})
        self._read_sessions = sessionmaker(self._read_engine, expire_on_commit=False)
        # `reading()` on PostgreSQL: each statement its own transaction, no BEGIN and ROLLBACK
        # round trips around a single SELECT (READ COMMITTED gives each statement its own
        # snapshot either way).
        self._row_engine = (self._read_engine if self.engine.dialect.name == "sqlite"
                            else self.engine.execution_options(isolation_level="AUTOCOMMIT"))
        self._quick: QuickConnection | None = None
        self._quick_lock = threading.Lock()  # also guards `_probe_engines`
        self._probe_engines: dict[int, Engine] = {}

    def __repr__(self) -> str:
        return f"Database({make_url(self.url).render_as_string(hide_password=True)!r})"

    def migrate(self) -> None:
        """Bring the schema to the latest migration (`alembic upgrade head`); idempotent.

        Runs in one transaction. Several processes may call it at once: SQLite serialises
        them with its write lock, PostgreSQL with an advisory lock.
        """
        config = alembic_config()
        with self.engine.begin() as connection:
            if connection.dialect.name == "postgresql":
                connection.execute(
                    text("SELECT pg_advisory_xact_lock(:key)"), {"key": _PG_MIGRATION_LOCK}
                )
            config.attributes["connection"] = connection
            command.upgrade(config, "head")

    def schema_state(self, connection: Connection | None = None) -> SchemaState:
        """Compare the revision recorded in the database (`alembic_version`) with the
        migrations shipped in this package. Reads only; on `connection` when given (the
        bounded one of `probe`), else on a pooled one."""
        script = ScriptDirectory.from_config(alembic_config())
        if connection is None:
            with self.engine.connect() as pooled:
                current = tuple(MigrationContext.configure(pooled).get_current_heads())
        else:
            current = tuple(MigrationContext.configure(connection).get_current_heads())
        known = {revision.revision for revision in script.walk_revisions()}
        unknown = tuple(revision for revision in current if revision not in known)
        if unknown:
            return SchemaState(current, (), unknown)
        # From the newest down to (not including) the current revisions; reversed: oldest first.
        pending = tuple(reversed([revision.revision for revision in
                                  script.iterate_revisions("heads", current or "base")
                                  if revision.revision not in current]))
        return SchemaState(current, pending, ())

    @property
    def shared_by_processes(self) -> bool:
        """Whether several server processes (or hosts) may use this database at once:
        PostgreSQL, yes. SQLite is the embedded database of one `issuer serve` process (WAL,
        one writer at a time); the CLI commands of the same installation still use it beside
        that process (`issuer.cli.server.OneProcessDatabase`)."""
        return self.engine.dialect.name == "postgresql"

    @property
    def migrates_at_start(self) -> bool:
        """SQLite: yes. One file on one machine, used by one `issuer serve` process and the
        commands of the same installation: no older code runs against it while it changes.
        PostgreSQL: no, see `prepare_for_serving`."""
        return self.engine.dialect.name == "sqlite"

    def upgrade(self) -> tuple[str, ...]:
        """`issuer db upgrade`: apply the pending migrations, return them (oldest first).
        A database migrated by a newer version of the code is refused, not touched."""
        state = self.schema_state()
        if state.unknown:
            raise _newer_schema(state)
        if state.pending:
            self.migrate()
        return state.pending

    def prepare_for_serving(self) -> tuple[str, ...]:
        """What `issuer serve` does before it listens; returns the migrations it applied.

        SQLite: pending migrations are applied. PostgreSQL: the service refuses to start while
        migrations are pending (`DatabaseNotReady`, naming `issuer db upgrade`): several
        processes or machines may share the database, some still running the previous version,
        and a migration there is a step someone decides, after a backup, not a side effect of
        the first process that restarts. Either way, a database migrated by a newer version of
        the code is refused (after a rollback of the code without restoring the backup).
        """
        state = self.schema_state()
        if state.unknown:
            raise _newer_schema(state)
        if not state.pending:
            return ()
        if self.migrates_at_start:
            return self.upgrade()
        if not state.current:
            raise DatabaseNotReady(
                "La base de données est vide : lancez « issuer init » (clés, tables, "
                "catalogue), puis démarrez le service.",
                "The database is empty: run `issuer init` (keys, tables, catalogue), then "
                "start the service.", code="database.empty")
        raise DatabaseNotReady(
            f"La base de données n'est pas à jour : {len(state.pending)} migration(s) en "
            f"attente ({', '.join(state.pending)}). Sauvegardez-la, lancez « issuer db upgrade », "
            "puis redémarrez le service.",
            f"The database is not up to date: {len(state.pending)} pending migration(s) "
            f"({', '.join(state.pending)}). Back it up, run `issuer db upgrade`, then restart "
            "the service.", code="database.migrations_pending")

    @contextmanager
    def session(self, *, read_only: bool = False) -> Iterator[Session]:
        """A session in one transaction: committed when the block ends, rolled back if it
        raises.

        On SQLite a session takes the write lock when it starts (`BEGIN IMMEDIATE`), so that
        two processes issuing at once wait for each other (up to `SQLITE_BUSY_TIMEOUT_MS`)
        instead of failing with "database is locked" halfway through. Pass `read_only=True`
        for pages that only read: they never wait for a writer (WAL snapshot), and whatever
        they change is rolled back, not committed.
        """
        factory = self._read_sessions if read_only else self._sessions
        with factory() as session:
            try:
                yield session
                # A read-only session is just closed: its transaction ends without a commit,
                # and the objects it loaded stay readable after the block.
                if not read_only:
                    session.commit()
            except BaseException:
                session.rollback()
                raise

    @contextmanager
    def reading(self) -> Iterator[Connection]:
        """A connection for reads only, without an ORM session: for the few columns a public
        page reads on every view (a session and its objects cost more than the query). Like
        `session(read_only=True)`: never waits for a writer. For reads only: on SQLite its
        transaction is rolled back when the block ends; on PostgreSQL each statement runs in
        its own transaction (autocommit: one round trip for a single SELECT), so a write made
        here would be kept."""
        with self._row_engine.connect() as connection:
            yield connection

    def quick_connection(self) -> QuickConnection | None:
        """On PostgreSQL, the one connection for statements run on an event loop's thread
        (`issuer.storage.quick_connection`), made on first use; None on SQLite."""
        if self.engine.dialect.name != "postgresql":
            return None
        with self._quick_lock:
            if self._quick is None:
                self._quick = QuickConnection(self.url)
            return self._quick

    @contextmanager
    def probe(self, seconds: int) -> Iterator[Connection]:
        """A connection for a health probe (`issuer.issuance.readiness`): on PostgreSQL a new
        one, outside the pool (a probe must not wait for a pool slot busy with requests, and
        checks that a connection can still be opened), opened within `seconds` (libpq's
        `connect_timeout`, at least 2) and whose statements the server stops after `seconds`;
        a server that stops acknowledging is given up by the socket within `seconds` too
        (`tcp_user_timeout`, keepalives). SQLite: a pooled connection, as any read."""
        if self.engine.dialect.name != "postgresql":
            with self.engine.connect() as connection:
                yield connection
            return
        with self._probe_engine(seconds).connect() as connection:
            yield connection

    def _probe_engine(self, seconds: int) -> Engine:
        with self._quick_lock:
            engine = self._probe_engines.get(seconds)
            if engine is None:
                engine = create_engine(make_url(self.url), poolclass=NullPool,
                                       connect_args=_bounded_connect_args(self.url, seconds))
                self._probe_engines[seconds] = engine
            return engine

    def dispose(self) -> None:
        """Close every pooled connection (tests, and before a process forks)."""
        with self._quick_lock:
            quick, self._quick = self._quick, None
            probes, self._probe_engines = self._probe_engines, {}
        if quick is not None:
            quick.close()
        for engine in probes.values():
            engine.dispose()
        self.engine.dispose()


def _bounded_connect_args(url: str, seconds: int) -> dict[str, Any]:
    """psycopg's arguments bounding a connection's every wait to `seconds`; the URL's own
    `options` (a `search_path`, say) are kept."""
    milliseconds = str(max(1, seconds) * 1000)
    options = f"-c statement_timeout={milliseconds} -c lock_timeout={milliseconds}"
    query = make_url(url).query
    own_options = query.get("options")
    if isinstance(own_options, str) and own_options:
        options = f"{own_options} {options}"
    arguments: dict[str, Any] = {
        "connect_timeout": max(2, seconds), "options": options,
        "tcp_user_timeout": milliseconds, "keepalives": 1, "keepalives_idle": 1,
        "keepalives_interval": 1, "keepalives_count": max(1, seconds)}
    if "application_name" not in query:
        arguments["application_name"] = "issuer-probe"
    return arguments


def _test_connections_after_idle(engine: Engine) -> None:
    """SQLAlchemy's `pool_pre_ping`, for connections that sat unused in the pool for more than
    `PING_AFTER_IDLE_SECONDS` only. Pre-pinging every checkout cost a round trip per database
    use: two of the six a `POST /api/v1/verify` made (issue #14, goal 1). A connection used a
    few seconds ago is alive unless the server restarted meanwhile; then the first statement on
    it fails, SQLAlchemy recognises the disconnection and drops every pooled connection made
    before it, and the next requests get new ones. Idle ones (a server restarted overnight, a
    firewall dropping quiet connections) are tested first and replaced, as before
    (SQLAlchemy's documented checkout-event recipe: `DisconnectionError` makes the pool retry
    with a new connection)."""

    @event.listens_for(engine, "checkin")
    def _idle_from(_dbapi_connection: Any, record: Any) -> None:
        record.info["idle_from"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _test(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        idle_from = record.info.get("idle_from")
        if idle_from is None or time.monotonic() - idle_from < PING_AFTER_IDLE_SECONDS:
            return  # just opened, or used moments ago
        try:
            alive = engine.dialect.do_ping(dbapi_connection)
        except engine.dialect.loaded_dbapi.Error as error:
            raise DisconnectionError("connection lost while idle in the pool") from error
        if not alive:
            raise DisconnectionError("connection lost while idle in the pool")


def _newer_schema(state: SchemaState) -> DatabaseNotReady:
    revisions = ", ".join(state.unknown)
    return DatabaseNotReady(
        "La base de données a été migrée par une version plus récente de l'application "
        f"(révision {revisions}, inconnue de celle-ci) : installez cette version, ou restaurez "
        "la sauvegarde faite avant la mise à jour (docs/DEPLOYMENT.md).",
        f"The database was migrated by a newer version of the application (revision "
        f"{revisions}, unknown to this one): install that version, or restore the backup made "
        "before the upgrade (docs/DEPLOYMENT.md).", code="database.unknown_revision")


def alembic_config() -> Config:
    """An Alembic configuration pointing at the migrations shipped in this package (works from
    a checkout and from an installed wheel, without an alembic.ini)."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR).replace("%", "%%"))
    return config


def sqlite_file(url: str) -> Path | None:
    """The database file of a SQLite URL (None for an in-memory or URI-named database)."""
    parsed = make_url(url)
    name = parsed.database
    if parsed.get_backend_name() != "sqlite" or not name or name == ":memory:" \
            or name.startswith("file:") or parsed.query.get("uri"):
        return None
    return Path(name)


def _tighten(path: Path, mode: int) -> None:
    """chmod `path` to `mode` when it allows more and belongs to this user (a shared folder
    such as /tmp is left alone: the files themselves are still 0600)."""
    try:
        status = path.stat()
    except FileNotFoundError:
        return
    if stat.S_IMODE(status.st_mode) & ~mode and status.st_uid == os.geteuid():
        os.chmod(path, mode)
    elif stat.S_IMODE(status.st_mode) & ~mode:
        logger.warning("%s is mode %o, not %o (not ours to change)", path,
                       stat.S_IMODE(status.st_mode), mode)


def private_sqlite_file(path: Path) -> None:
    """Create the database file 0600 in a 0700 folder before SQLite opens it, and tighten an
    older file, folder or WAL/SHM file made under a looser umask."""
    folder = path.parent
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    _tighten(folder, 0o700)
    os.close(os.open(path, os.O_RDWR | os.O_CREAT, 0o600))
    for companion in ("", "-wal", "-shm", "-journal"):
        _tighten(path.with_name(path.name + companion), 0o600)


def _configure_sqlite(engine: Engine) -> None:
    database_file = sqlite_file(engine.url.render_as_string(hide_password=False))

    @event.listens_for(engine, "do_connect")
    def _before_connect(*_args: Any) -> None:
        if database_file is not None:
            private_sqlite_file(database_file)

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy, not the sqlite3 module, emit BEGIN (see `_on_begin`); this also makes
        # SAVEPOINT work, which slot reservation relies on.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        try:
            # busy_timeout first: switching to WAL itself may have to wait for another writer.
            cursor.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")
            # WAL: readers never block the writer nor the other way round. synchronous stays
            # FULL (the default): an issued credential must survive a power cut, or its status
            # index could be handed out twice.
            cursor.execute("PRAGMA journal_mode = WAL")
            cursor.execute("PRAGMA foreign_keys = ON")
            # GDPR erasure: overwrite deleted content instead of leaving it in free pages.
            cursor.execute("PRAGMA secure_delete = ON")
        finally:
            cursor.close()
        if database_file is not None:  # in case another program made them under its umask
            for companion in ("-wal", "-shm"):
                _tighten(database_file.with_name(database_file.name + companion), 0o600)

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Connection) -> None:
        # A deferred transaction that reads, then writes, fails at once with SQLITE_BUSY when
        # another connection wrote meanwhile: the busy timeout cannot help it. Taking the
        # write lock up front makes concurrent writers queue instead.
        mode = connection.get_execution_options().get(_SQLITE_BEGIN, "IMMEDIATE")
        connection.exec_driver_sql(f"BEGIN {mode}")
