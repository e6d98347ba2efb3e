"""The SQLite database and its WAL/SHM files are readable by the service's user only: 0600
files in a 0700 folder, whatever the umask (issue #10, item 7)."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text

from issuer.issuance.service import IssuerService
from issuer.settings import Settings
from issuer.storage import Database, record_audit, sqlite_url


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def loose_umask() -> Iterator[None]:
    """The usual 022 (files 0644, folders 0755): what the service must not rely on."""
    previous = os.umask(0o022)
    yield
    os.umask(previous)


def test_database_wal_and_shm_files_are_0600_in_a_0700_folder(tmp_path: Path,
                                                              loose_umask: None) -> None:
    path = tmp_path / "var" / "issuer.sqlite3"
    database = Database(sqlite_url(path))
    try:
        database.migrate()
        with database.session() as session:
            record_audit(session, actor="cli", action="test.write", subject="s")
        with database.engine.connect() as connection:  # open: the WAL and SHM files exist
            connection.execute(text("SELECT count(*) FROM audit_log")).scalar()
            wal = path.with_name(path.name + "-wal")
            shm = path.with_name(path.name + "-shm")
            assert wal.exists() and shm.exists()
            assert (mode(path), mode(wal), mode(shm)) == (0o600, 0o600, 0o600)
        assert mode(path.parent) == 0o700
    finally:
        database.dispose()


def test_an_older_database_made_under_a_loose_umask_is_tightened(tmp_path: Path,
                                                                 loose_umask: None) -> None:
    folder = tmp_path / "var"
    folder.mkdir(mode=0o755)
    path = folder / "issuer.sqlite3"
    for name in (path, path.with_name(path.name + "-wal")):
        name.touch(mode=0o644)
    assert mode(path) == 0o644
    database = Database(sqlite_url(path))
    try:
        database.migrate()
    finally:
        database.dispose()
    assert mode(folder) == 0o700 and mode(path) == 0o600


def test_a_new_home_gets_a_private_database(tmp_path: Path, loose_umask: None,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    for variable in [name for name in os.environ if name.startswith("ISSUER_")]:
        monkeypatch.delenv(variable)
    monkeypatch.delenv("DATABASE_URL", raising=False)
    service = IssuerService(Settings.load(home=tmp_path / "home",
                                          base_url="https://badges.example.org"))
    try:
        service.init()
        database = service.settings.var_dir / "issuer.sqlite3"
        assert mode(database) == 0o600 and mode(service.settings.var_dir) == 0o700
    finally:
        service.database.dispose()
