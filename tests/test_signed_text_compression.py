"""Migration 0021: on PostgreSQL the signed texts (badges, holder copies, endorsements) are
compressed with lz4 rather than pglz (issue 14, performance goal 3), where the server has it;
the migration goes down and up again; what is stored reads back byte for byte."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from alembic import command
from sqlalchemy import text

from issuer.storage.db import Database, alembic_config
from tests.plugins.postgres import PostgresServer

pytestmark = pytest.mark.postgres

COLUMNS = [(table, column) for table in ("issued_credentials", "holder_copies", "endorsements")
           for column in ("credential_json", "credential_jwt")]


@pytest.fixture
def postgres(postgres_server: PostgresServer) -> Iterator[Database]:
    name, url = postgres_server.create_database("compression")
    database = Database(url)
    database.migrate()
    yield database
    database.dispose()
    postgres_server.drop_database(name)


def _compressions(database: Database) -> set[str]:
    with database.engine.connect() as connection:
        return {connection.execute(text(
            "SELECT attcompression FROM pg_attribute "
            "WHERE attrelid = CAST(:table AS regclass) AND attname = :column"),
            {"table": table, "column": column}).scalar_one() for table, column in COLUMNS}


def _has_lz4(database: Database) -> bool:
    with database.engine.connect() as connection:
        return bool(connection.execute(text(
            "SELECT 'lz4' = ANY(enumvals) FROM pg_settings "
            "WHERE name = 'default_toast_compression'")).scalar())


def test_signed_texts_are_compressed_with_lz4_and_read_back_whole(postgres: Database) -> None:
    if not _has_lz4(postgres):
        pytest.skip("this PostgreSQL server was built without lz4")
    assert _compressions(postgres) == {"l"}
    signed = '{"proof": "' + "z" * 20_000 + '"}'
    with postgres.engine.begin() as connection:
        connection.execute(text("CREATE TEMPORARY TABLE probe (body text COMPRESSION lz4)"))
        connection.execute(text("INSERT INTO probe VALUES (:body)"), {"body": signed})
        assert connection.execute(text("SELECT body FROM probe")).scalar_one() == signed


def _migrate(database: Database, direction: str, revision: str) -> None:
    config = alembic_config()
    with database.engine.begin() as connection:
        config.attributes["connection"] = connection
        getattr(command, direction)(config, revision)


def test_the_migration_goes_down_and_up_again(postgres: Database) -> None:
    if not _has_lz4(postgres):
        pytest.skip("this PostgreSQL server was built without lz4")
    _migrate(postgres, "downgrade", "0020")
    assert _compressions(postgres) == {"p"}
    _migrate(postgres, "upgrade", "head")
    assert _compressions(postgres) == {"l"}
