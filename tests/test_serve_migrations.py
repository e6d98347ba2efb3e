"""`issuer serve` and a database at an older revision (issue 11, item 7).

SQLite: `issuer serve` applies the pending migrations itself and keeps the data. PostgreSQL: it
refuses to start, naming `issuer db upgrade`, and leaves the database as it was; after
`issuer db upgrade` it starts. On both, a database migrated by a newer version of the code is
refused. The path `issuer serve` takes is `cli.service_to_serve()` (then uvicorn, not run here).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic import command
from alembic.script import ScriptDirectory
from click.testing import CliRunner, Result
from sqlalchemy import text

from issuer import cli
from issuer.storage.db import Database, DatabaseNotReady, alembic_config, sqlite_url
from tests.plugins.postgres import PostgresServer

OLDER = "0006"  # before peer endorsements (0007) and the sign-in throttle (0008)
# Read from the migration scripts, not written here: each feature adds its revision.
_SCRIPTS = ScriptDirectory.from_config(alembic_config())
HEAD = _SCRIPTS.get_current_head()
PENDING = ", ".join(reversed([script.revision
                              for script in _SCRIPTS.iterate_revisions(HEAD, OLDER)]))
BREAKFAST = "petit-dejeuner-inclusion-numerique"


@pytest.fixture(autouse=True)
def french_messages() -> Iterator[None]:
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(cli, "LOCALE", "fr")
        yield


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """ISSUER_HOME for this test, and none of the developer's ISSUER_* settings."""
    for name in list(os.environ):
        if name.startswith("ISSUER_") or name == "DATABASE_URL":
            monkeypatch.delenv(name)
    monkeypatch.setenv("ISSUER_HOME", str(tmp_path))
    return tmp_path


def issuer(*args: str) -> Result:
    return CliRunner().invoke(cli.main, list(args), catch_exceptions=False)


def move_to(database_url: str, revision: str) -> None:
    """Take the database back to `revision`, as if the code had just been upgraded."""
    database = Database(database_url)
    config = alembic_config()
    try:
        with database.engine.begin() as connection:
            config.attributes["connection"] = connection
            command.downgrade(config, revision)
    finally:
        database.dispose()


def revision_of(database_url: str) -> tuple[str, ...]:
    database = Database(database_url)
    try:
        return database.schema_state().current
    finally:
        database.dispose()


def test_serve_migrates_an_older_sqlite_database_and_keeps_its_badges(
        home: Path, tmp_path: Path) -> None:
    assert issuer("init").exit_code == 0
    issued = issuer("issue", "--badge", BREAKFAST, "--event", "7", "--email", "a@example.org",
                    "--name", "Camille Test", "--out", str(tmp_path / "out"))
    assert issued.exit_code == 0, issued.output
    credential_id = issued.stdout.strip().rsplit("/", 1)[-1]
    url = sqlite_url(home / "var" / "issuer.sqlite3")
    move_to(url, OLDER)
    assert revision_of(url) == (OLDER,)

    service = cli.service_to_serve()

    state = service.database.schema_state()
    assert state.up_to_date and state.current == (HEAD,)
    with service.database.engine.connect() as connection:  # the badge issued before is there
        assert connection.execute(text("SELECT count(*) FROM issued_credentials WHERE id = :id"),
                                  {"id": credential_id}).scalar_one() == 1
        # and the tables of the migrations applied at start exist
        assert connection.execute(text("SELECT count(*) FROM endorsements")).scalar_one() == 0
    service.database.dispose()


def test_serve_on_an_up_to_date_database_applies_nothing(home: Path) -> None:
    assert issuer("init").exit_code == 0
    service = cli.service_to_serve()
    assert service.database.prepare_for_serving() == ()
    service.database.dispose()


def test_db_upgrade_migrates_then_says_there_is_nothing_left(home: Path) -> None:
    assert issuer("init").exit_code == 0
    url = sqlite_url(home / "var" / "issuer.sqlite3")
    move_to(url, OLDER)

    first = issuer("db", "upgrade")
    assert first.exit_code == 0, first.output
    assert f"Base de données migrée : {PENDING}" in first.stdout
    assert revision_of(url) == (HEAD,)
    again = issuer("db", "upgrade")
    assert again.exit_code == 0
    assert f"La base de données est à jour (révision {HEAD})." in again.stdout


def test_a_database_migrated_by_a_newer_version_is_refused(home: Path) -> None:
    """After rolling the code back without restoring the backup: say so, change nothing."""
    assert issuer("init").exit_code == 0
    url = sqlite_url(home / "var" / "issuer.sqlite3")
    database = Database(url)
    with database.engine.begin() as connection:
        connection.execute(text("UPDATE alembic_version SET version_num = '0099'"))
    database.dispose()

    with pytest.raises(DatabaseNotReady) as refused:
        cli.service_to_serve()
    assert refused.value.code == "database.unknown_revision"
    assert "0099" in refused.value.message("fr") and "restaurez" in refused.value.message("fr")
    upgrade = issuer("db", "upgrade")
    assert upgrade.exit_code == 1
    assert "[database.unknown_revision]" in upgrade.stderr and "0099" in upgrade.stderr
    assert revision_of(url) == ("0099",)


@pytest.fixture
def postgres_database(postgres_server: PostgresServer) -> Iterator[str]:
    name, url = postgres_server.create_database()
    try:
        yield url
    finally:
        postgres_server.drop_database(name)


@pytest.mark.postgres
def test_serve_refuses_an_older_postgresql_database_until_db_upgrade(
        home: Path, postgres_database: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_URL", postgres_database)
    assert issuer("init").exit_code == 0
    move_to(postgres_database, OLDER)

    with pytest.raises(DatabaseNotReady) as refused:
        cli.service_to_serve()
    assert refused.value.code == "database.migrations_pending"
    message = refused.value.message("fr")
    assert "« issuer db upgrade »" in message and PENDING in message
    assert "`issuer db upgrade`" in refused.value.message("en")
    assert revision_of(postgres_database) == (OLDER,)  # nothing changed by the refusal

    upgrade = issuer("db", "upgrade")
    assert upgrade.exit_code == 0, upgrade.output
    assert PENDING in upgrade.stdout
    service = cli.service_to_serve()
    assert service.database.schema_state().current == (HEAD,)
    service.database.dispose()


@pytest.mark.postgres
def test_serve_refuses_an_empty_postgresql_database_naming_issuer_init(
        home: Path, postgres_database: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_URL", postgres_database)
    with pytest.raises(DatabaseNotReady) as refused:
        cli.service_to_serve()
    assert refused.value.code == "database.empty"
    assert "« issuer init »" in refused.value.message("fr")
    assert revision_of(postgres_database) == ()
    assert not (home / "keys").exists() or not any((home / "keys").iterdir())
