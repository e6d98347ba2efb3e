"""A real, throwaway PostgreSQL server for the tests.

Fixtures:
- `postgres_server` (session): a `PostgresServer` started from the Debian package binaries
  (`/usr/lib/postgresql/*/bin`, or `initdb` on PATH, or the directory in $PG_BIN), listening
  on 127.0.0.1 on a free port with trust authentication, data in a temporary directory,
  stopped (`pg_ctl stop -m fast`) and deleted at the end of the session. Durability is off
  (fsync, synchronous_commit, full_page_writes): this data is thrown away.
- `postgres_url` (session): `postgresql+psycopg://` URL of one database on that server.
- `database_url` (function, parametrised "sqlite" / "postgresql"): an empty database of its
  own for each test, not yet migrated.

When the binaries are missing the PostgreSQL tests are skipped, except in CI (CI=true), where
a missing server is a failure: `.ci/run` installs the `postgresql` package first.
"""

from __future__ import annotations

import glob
import itertools
import os
import pwd
import shlex
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import psycopg
import pytest

from issuer.storage.db import sqlite_url

_SUPERUSER = "postgres"


def _in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() in {"1", "true", "yes"}


def find_postgres_bin() -> Path | None:
    """The directory holding initdb, pg_ctl and postgres (newest Debian version first)."""
    candidates: list[Path] = []
    if os.environ.get("PG_BIN"):
        candidates.append(Path(os.environ["PG_BIN"]))
    versions = glob.glob("/usr/lib/postgresql/*/bin")
    candidates += sorted(
        (Path(v) for v in versions),
        key=lambda p: int(p.parent.name) if p.parent.name.isdigit() else 0,
        reverse=True,
    )
    on_path = shutil.which("initdb")
    if on_path:
        candidates.append(Path(on_path).resolve().parent)
    for directory in candidates:
        if all((directory / tool).is_file() for tool in ("initdb", "pg_ctl", "postgres")):
            return directory
    return None


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _unprivileged_user() -> str | None:
    """initdb and postgres refuse to run as root: when we are root, run them as `postgres`
    (created by the Debian package) or else `nobody`. None when we are not root."""
    if os.geteuid() != 0:
        return None
    for name in ("postgres", "nobody"):
        try:
            pwd.getpwnam(name)
        except KeyError:
            continue
        return name
    raise RuntimeError("running as root and neither a 'postgres' nor a 'nobody' user exists")


@dataclass
class PostgresServer:
    """A running throwaway server; `create_database()` gives each test an empty database."""

    bin_dir: Path
    base_dir: Path
    port: int
    run_as: str | None
    started_in_seconds: float = 0.0
    _admin: psycopg.Connection | None = field(default=None, repr=False)
    _names: Iterator[int] = field(default_factory=itertools.count, repr=False)

    @property
    def data_dir(self) -> Path:
        return self.base_dir / "data"

    @property
    def log_file(self) -> Path:
        return self.base_dir / "server.log"

    def url(self, database: str) -> str:
        return f"postgresql+psycopg://{_SUPERUSER}@127.0.0.1:{self.port}/{database}"

    def start(self) -> None:
        began = time.perf_counter()
        self._run(
            "initdb", "-D", str(self.data_dir), "-U", _SUPERUSER, "-A", "trust",
            "-E", "UTF8", "--no-locale", "--no-sync", "--no-instructions",
        )
        options = " ".join(
            [
                "-c listen_addresses=127.0.0.1",
                f"-c port={self.port}",
                f"-c unix_socket_directories={self.base_dir}",
                "-c fsync=off -c synchronous_commit=off -c full_page_writes=off",
                "-c max_connections=200",
            ]
        )
        try:
            self._run(
                "pg_ctl", "-D", str(self.data_dir), "-l", str(self.log_file),
                "-w", "-t", "60", "-o", options, "start",
            )
        except subprocess.CalledProcessError as error:
            log = self.log_file.read_text(errors="replace") if self.log_file.exists() else ""
            raise RuntimeError(f"PostgreSQL did not start:\n{error.stderr}\n{log}") from error
        self._admin = psycopg.connect(
            host="127.0.0.1", port=self.port, user=_SUPERUSER, dbname="postgres", autocommit=True
        )
        self.started_in_seconds = time.perf_counter() - began

    def create_database(self, prefix: str = "test") -> tuple[str, str]:
        """Create an empty database; returns (name, SQLAlchemy URL)."""
        assert self._admin is not None, "server not started"
        name = f"{prefix}_{next(self._names)}"
        # FILE_COPY from template0: a plain directory copy, the fastest way with fsync off.
        self._admin.execute(f'CREATE DATABASE "{name}" TEMPLATE template0 STRATEGY FILE_COPY')
        return name, self.url(name)

    def drop_database(self, name: str) -> None:
        assert self._admin is not None, "server not started"
        self._admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def stop(self) -> None:
        if self._admin is not None:
            self._admin.close()
            self._admin = None
        if (self.data_dir / "postmaster.pid").exists():
            self._run("pg_ctl", "-D", str(self.data_dir), "-m", "fast", "-w", "stop", check=False)
        shutil.rmtree(self.base_dir, ignore_errors=True)

    def _run(self, tool: str, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        command = [str(self.bin_dir / tool), *args]
        if self.run_as is not None:
            if shutil.which("runuser"):
                command = ["runuser", "-u", self.run_as, "--", *command]
            else:
                command = ["su", "-s", "/bin/sh", self.run_as, "-c", shlex.join(command)]
        environment = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
        return subprocess.run(
            command, check=check, capture_output=True, text=True, env=environment,
            cwd=self.base_dir,
        )


def start_postgres_server() -> PostgresServer:
    """Start a throwaway server, or skip (fail in CI) when PostgreSQL is not installed."""
    bin_dir = find_postgres_bin()
    if bin_dir is None:
        reason = (
            "PostgreSQL server binaries not found (looked in $PG_BIN, /usr/lib/postgresql/*/bin"
            " and PATH): `apt-get install -y postgresql` to run the PostgreSQL tests"
        )
        if _in_ci():
            pytest.fail(reason, pytrace=False)
        pytest.skip(reason)
    run_as = _unprivileged_user()
    base_dir = Path(tempfile.mkdtemp(prefix="issuer-pg-"))
    if run_as is not None:
        account = pwd.getpwnam(run_as)
        os.chown(base_dir, account.pw_uid, account.pw_gid)
    server = PostgresServer(bin_dir=bin_dir, base_dir=base_dir, port=_free_port(), run_as=run_as)
    try:
        server.start()
    except BaseException:
        server.stop()
        raise
    return server


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    server = start_postgres_server()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def postgres_url(postgres_server: PostgresServer) -> str:
    """URL of a database `issuer` on the session's PostgreSQL server."""
    _, url = postgres_server.create_database("issuer")
    return url


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty database for this test only (SQLite file, or a new PostgreSQL database)."""
    if request.param == "sqlite":
        yield sqlite_url(tmp_path / "issuer.sqlite3")
        return
    server: PostgresServer = request.getfixturevalue("postgres_server")
    name, url = server.create_database()
    try:
        yield url
    finally:
        server.drop_database(name)
