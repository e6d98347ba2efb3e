"""A consistent copy of the database taken while the service runs, and its restoration
(`issuer backup` / `issuer restore`, issue #14 item 5; docs/DEPLOYMENT.md, "Backup and restore").

- **SQLite**: the `sqlite3` online backup API copies the pages of one read transaction, so the
  copy is consistent even while the service writes (WAL mode). Restored by putting the file in
  place (its stale -wal / -shm removed).
- **PostgreSQL**: `pg_dump --format=custom` (one snapshot transaction, compressed) written to
  a pipe, restored with `pg_restore --single-transaction` reading a pipe: all or nothing. A
  dump written to a pipe has no offsets in its table of contents, so `pg_restore` reads it in
  order, which is the order a plain restore needs. Neither end holds the dump in memory or
  writes it in clear: the caller encrypts and decrypts it as it flows (issuance.backup). The tools come from
  `ISSUER_POSTGRES_BIN_DIR`, else the newest Debian package (`/usr/lib/postgresql/<n>/bin`: a
  newer pg_dump reads an older server, not the other way round), else PATH. The password goes
  to them in a private password file, never on a command line that `ps` shows.
"""

from __future__ import annotations

import glob
import os
import shutil
import sqlite3
import subprocess
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO, Literal, cast

from sqlalchemy import create_engine, inspect
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import SQLAlchemyError

from issuer.errors import IssuerError
from issuer.storage.db import private_sqlite_file, sqlite_file

if TYPE_CHECKING:
    from _typeshed import SupportsRead

DatabaseKind = Literal["sqlite", "postgresql"]
#: The file name of the snapshot inside a backup, per kind.
SNAPSHOT_NAMES: dict[DatabaseKind, str] = {"sqlite": "database.sqlite3",
                                           "postgresql": "database.pgdump"}
#: Longest a pg_dump or pg_restore may run.
PG_TOOL_TIMEOUT_SECONDS = 3_600


class SnapshotError(IssuerError):
    code = "backup.database"


def database_kind(url: str) -> DatabaseKind:
    backend = make_url(url).get_backend_name()
    if backend == "sqlite" and sqlite_file(url) is not None:
        return "sqlite"
    if backend == "postgresql":
        return "postgresql"
    raise SnapshotError(
        "Seules une base SQLite (un fichier) et une base PostgreSQL peuvent être sauvegardées.",
        "Only a SQLite database (a file) and a PostgreSQL database can be backed up.",
        code="backup.unsupported_database")


# -- taking -----------------------------------------------------------------------------------------
@contextmanager
def snapshot_stream(url: str, *, bin_dir: Path | None = None
                    ) -> Iterator[tuple[DatabaseKind, BinaryIO]]:
    """A consistent copy of the database at `url`, to read as a stream while the block runs
    (the caller encrypts it as it reads: issuance.backup). A PostgreSQL dump is a pipe from
    `pg_dump`, never held in memory nor on disk; a SQLite copy is a private file (0600, in a
    0700 folder) next to the database, on the disk that already holds it, deleted after."""
    kind = database_kind(url)
    if kind == "postgresql":
        with _pg_tool("pg_dump", url, ["--format=custom", "--no-owner", "--no-privileges"],
                      bin_dir, feeds=False) as dump:
            assert dump.stdout is not None
            yield kind, cast(BinaryIO, dump.stdout)
        return
    source_file = sqlite_file(url)
    assert source_file is not None
    if not source_file.is_file():
        raise SnapshotError("La base SQLite n'existe pas encore : rien à sauvegarder.",
                            "The SQLite database does not exist yet: nothing to back up.",
                            code="backup.no_database")
    with tempfile.TemporaryDirectory(prefix=".issuer-snapshot-", dir=source_file.parent) as work:
        copy = Path(work) / "snapshot.sqlite3"
        os.close(os.open(copy, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
        # Read-write connection (only read): a read-only one cannot open a WAL database whose
        # -shm file is missing. The timeout waits for a writer's checkpoint, as the service does.
        source = sqlite3.connect(source_file, timeout=30)
        target = sqlite3.connect(copy)
        try:
            source.backup(target)
        finally:
            target.close()
            source.close()
        with copy.open("rb") as handle:
            yield kind, handle


# -- restoring --------------------------------------------------------------------------------------
def database_is_empty(url: str) -> bool:
    """True when the database holds no table (a SQLite file that does not exist yet counts as
    empty; it is not created here)."""
    if database_kind(url) == "sqlite":
        path = sqlite_file(url)
        assert path is not None
        if not path.is_file() or path.stat().st_size == 0:
            return True
        try:
            reader = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
            try:
                tables = reader.execute(
                    "SELECT count(*) FROM sqlite_master WHERE type = 'table'").fetchone()[0]
            finally:
                reader.close()
        except sqlite3.Error:
            return False  # a file we cannot read is not known to be empty: never overwritten
        return int(tables) == 0
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            return not inspect(connection).get_table_names()
    except SQLAlchemyError as error:
        raise _unreachable() from error
    finally:
        engine.dispose()


def restore_snapshot(url: str, snapshot: SupportsRead[bytes], kind: DatabaseKind, *,
                     bin_dir: Path | None = None, replace: bool = False) -> None:
    """Put the snapshot read from the stream `snapshot` (of `kind`) into the database at `url`.
    `replace`: the database may hold tables, which the snapshot's replace (the caller checked
    `--force`). All or nothing: if reading `snapshot` raises (the archive proves damaged
    mid-way), the exception propagates and the database is as it was: the SQLite copy is
    staged beside the database and only renamed into place once whole; `pg_restore` runs in
    one transaction and is killed before its input ends, so the transaction never commits."""
    if database_kind(url) != kind:
        raise SnapshotError(
            f"Cette sauvegarde est celle d'une base {kind} ; la base configurée ici est d'un "
            "autre type (DATABASE_URL).",
            f"This backup is of a {kind} database; the database configured here is of another "
            "kind (DATABASE_URL).", code="backup.database_kind")
    if kind == "sqlite":
        target = sqlite_file(url)
        assert target is not None
        private_sqlite_file(target)  # its folder 0700, the file 0600
        staged = target.with_name(target.name + ".restoring")
        staged.unlink(missing_ok=True)
        descriptor = os.open(staged, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            with os.fdopen(descriptor, "wb") as handle:
                shutil.copyfileobj(snapshot, handle)
        except BaseException:
            staged.unlink(missing_ok=True)
            raise
        for companion in ("-wal", "-shm", "-journal"):
            target.with_name(target.name + companion).unlink(missing_ok=True)
        os.replace(staged, target)
        return
    options = ["--no-owner", "--no-privileges", "--single-transaction", "--exit-on-error"]
    if replace:
        options += ["--clean", "--if-exists"]
    with _pg_tool("pg_restore", url, options, bin_dir, feeds=True) as restoring:
        assert restoring.stdin is not None
        shutil.copyfileobj(snapshot, restoring.stdin)


# -- the PostgreSQL tools ---------------------------------------------------------------------------
def find_pg_tool(tool: str, bin_dir: Path | None = None) -> Path:
    """`pg_dump` or `pg_restore`: from `bin_dir`, else the newest Debian package, else PATH."""
    candidates: list[Path] = []
    if bin_dir is not None:
        candidates.append(Path(bin_dir) / tool)
    versions = sorted(glob.glob("/usr/lib/postgresql/*/bin"),
                      key=lambda folder: int(Path(folder).parent.name)
                      if Path(folder).parent.name.isdigit() else 0, reverse=True)
    candidates += [Path(folder) / tool for folder in versions]
    on_path = shutil.which(tool)
    if on_path:
        candidates.append(Path(on_path))
    for candidate in candidates:
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return candidate
    raise SnapshotError(
        f"Outil PostgreSQL introuvable : {tool} (installez le paquet postgresql-client, ou "
        "indiquez son dossier dans ISSUER_POSTGRES_BIN_DIR).",
        f"PostgreSQL tool not found: {tool} (install the postgresql-client package, or give "
        "its folder in ISSUER_POSTGRES_BIN_DIR).", code="backup.pg_tool_missing")


@contextmanager
def _pg_tool(tool: str, url: str, arguments: list[str], bin_dir: Path | None, *,
             feeds: bool) -> Iterator[subprocess.Popen[bytes]]:
    """`tool` running while the block runs: its stdin is a pipe to write to when `feeds`
    (pg_restore), else its stdout a pipe to read from (pg_dump). Leaving the block normally
    ends its input and waits for it; leaving by an exception kills it first (pg_restore then
    never commits). A failure, or the tool exiting early, raises SnapshotError with its
    stderr."""
    executable = find_pg_tool(tool, bin_dir)
    with tempfile.TemporaryDirectory(prefix="issuer-pg-") as private, \
            tempfile.TemporaryFile() as errors:
        command = [str(executable), f"--dbname={_conninfo(url, Path(private))}", *arguments]
        try:
            process = subprocess.Popen(  # noqa: S603 - our tool, our arguments, no shell
                command, stdin=subprocess.PIPE if feeds else subprocess.DEVNULL,
                stdout=subprocess.DEVNULL if feeds else subprocess.PIPE, stderr=errors)
        except OSError as error:
            raise _tool_failed(tool, str(error)) from error
        # The longest a tool may run; the watchdog kills it, which fails the block below.
        watchdog = threading.Timer(PG_TOOL_TIMEOUT_SECONDS, process.kill)
        watchdog.start()
        try:
            try:
                yield process
                if process.stdin is not None:
                    process.stdin.close()
            except BrokenPipeError:
                pass  # the tool stopped reading: its exit code and stderr say why
            returncode = process.wait()
        except BaseException:
            process.kill()
            process.wait()
            raise
        finally:
            watchdog.cancel()
            for pipe in (process.stdin, process.stdout):
                if pipe is not None:
                    with suppress(BrokenPipeError):
                        pipe.close()
        if returncode != 0:
            errors.seek(0)
            detail = errors.read().decode("utf-8", "replace").strip()[-2_000:]
            if returncode < 0:
                detail = f"{detail} (signal {-returncode})".strip()
            raise _tool_failed(tool, detail)


def _conninfo(url: str, private: Path) -> str:
    parsed = make_url(url)
    bare: URL = parsed.set(drivername="postgresql", password=None)
    if parsed.password:
        # The password reaches libpq in a password file of our own (0600, in a 0700
        # folder, deleted after), named by the `passfile` parameter: never on the command
        # line, which `ps` shows to every user of the machine.
        passfile = private / "pgpass"
        secret = str(parsed.password).replace("\\", "\\\\").replace(":", "\\:")
        descriptor = os.open(passfile, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
            handle.write(f"*:*:*:*:{secret}\n")
        bare = bare.update_query_dict({"passfile": str(passfile)})
    return bare.render_as_string(hide_password=False)


def _tool_failed(tool: str, detail: str) -> SnapshotError:
    return SnapshotError(f"{tool} a échoué : {detail}", f"{tool} failed: {detail}",
                         code="backup.pg_tool_failed")


def _unreachable() -> SnapshotError:
    return SnapshotError("La base de données ne répond pas (DATABASE_URL).",
                         "The database does not answer (DATABASE_URL).",
                         code="backup.database_unreachable")
