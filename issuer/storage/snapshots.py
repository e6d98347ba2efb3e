"""A consistent copy of the database taken while the service runs, and its restoration
(`issuer backup` / `issuer restore`, issue #14 item 5; docs/DEPLOYMENT.md, "Backup and restore").

- **SQLite**: the `sqlite3` online backup API copies the pages of one read transaction, so the
  copy is consistent even while the service writes (WAL mode). Restored by putting the file in
  place (its stale -wal / -shm removed).
- **PostgreSQL**: `pg_dump --format=custom` (one snapshot transaction, compressed), restored
  with `pg_restore --single-transaction`: all or nothing. The tools come from
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
from pathlib import Path
from typing import Literal

from sqlalchemy import create_engine, inspect
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import SQLAlchemyError

from issuer.errors import IssuerError
from issuer.storage.db import private_sqlite_file, sqlite_file

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
def take_snapshot(url: str, destination: Path, *, bin_dir: Path | None = None) -> DatabaseKind:
    """Write a consistent copy of the database at `url` to `destination` (created 0600)."""
    kind = database_kind(url)
    os.close(os.open(destination, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600))
    if kind == "sqlite":
        source_file = sqlite_file(url)
        assert source_file is not None
        if not source_file.is_file():
            raise SnapshotError("La base SQLite n'existe pas encore : rien à sauvegarder.",
                                "The SQLite database does not exist yet: nothing to back up.",
                                code="backup.no_database")
        # Read-write connection (only read): a read-only one cannot open a WAL database whose
        # -shm file is missing. The timeout waits for a writer's checkpoint, as the service does.
        source = sqlite3.connect(source_file, timeout=30)
        target = sqlite3.connect(destination)
        try:
            source.backup(target)
        finally:
            target.close()
            source.close()
    else:
        _run_pg_tool("pg_dump", url, ["--format=custom", "--no-owner", "--no-privileges",
                                      f"--file={destination}"], bin_dir)
    return kind


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


def restore_snapshot(url: str, snapshot: Path, kind: DatabaseKind, *,
                     bin_dir: Path | None = None, replace: bool = False) -> None:
    """Put the snapshot `snapshot` (of `kind`) into the database at `url`. `replace`: the
    database may hold tables, which the snapshot's replace (the caller checked `--force`)."""
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
        shutil.copyfile(snapshot, staged)
        os.chmod(staged, 0o600)
        for companion in ("-wal", "-shm", "-journal"):
            target.with_name(target.name + companion).unlink(missing_ok=True)
        os.replace(staged, target)
        return
    options = ["--no-owner", "--no-privileges", "--single-transaction", "--exit-on-error"]
    if replace:
        options += ["--clean", "--if-exists"]
    _run_pg_tool("pg_restore", url, [*options, str(snapshot)], bin_dir)


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


def _run_pg_tool(tool: str, url: str, arguments: list[str], bin_dir: Path | None) -> None:
    executable = find_pg_tool(tool, bin_dir)
    parsed = make_url(url)
    with tempfile.TemporaryDirectory(prefix="issuer-pg-") as private:
        bare: URL = parsed.set(drivername="postgresql", password=None)
        if parsed.password:
            # The password reaches libpq in a password file of our own (0600, in a 0700
            # folder, deleted after), named by the `passfile` parameter: never on the command
            # line, which `ps` shows to every user of the machine.
            passfile = Path(private) / "pgpass"
            secret = str(parsed.password).replace("\\", "\\\\").replace(":", "\\:")
            descriptor = os.open(passfile, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
                handle.write(f"*:*:*:*:{secret}\n")
            bare = bare.update_query_dict({"passfile": str(passfile)})
        conninfo = bare.render_as_string(hide_password=False)
        try:
            completed = subprocess.run(  # noqa: S603 - our tool, our arguments, no shell
                [str(executable), f"--dbname={conninfo}", *arguments], capture_output=True,
                text=True, timeout=PG_TOOL_TIMEOUT_SECONDS, check=False)
        except (OSError, subprocess.TimeoutExpired) as error:
            raise _tool_failed(tool, str(error)) from error
    if completed.returncode != 0:
        raise _tool_failed(tool, completed.stderr.strip()[-2_000:])


def _tool_failed(tool: str, detail: str) -> SnapshotError:
    return SnapshotError(f"{tool} a échoué : {detail}", f"{tool} failed: {detail}",
                         code="backup.pg_tool_failed")


def _unreachable() -> SnapshotError:
    return SnapshotError("La base de données ne répond pas (DATABASE_URL).",
                         "The database does not answer (DATABASE_URL).",
                         code="backup.database_unreachable")
