"""Migration 0014 (issue 13 item 11): the parity answer and the age declaration of a council
membership. A register recorded before it keeps its mandates, "not recorded" in both; the
migration can be undone and redone on both databases."""

from __future__ import annotations

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from issuer.storage.db import Database, alembic_config
from issuer.storage.models import Base

BEFORE = "0012"
INSERT_MANDATE = text(
    "INSERT INTO cln_members (id, name, email, sector, role, mandate_start, mandate_end, "
    "status, created_at) VALUES ('00000000-0000-4000-8000-000000000001', 'Habitante', "
    "'habitante@example.org', 'Nord', 'conseiller', '2025-06-13', '2027-06-12', 'active', "
    "CURRENT_TIMESTAMP)")


def _move(database: Database, revision: str, *, down: bool = False) -> None:
    config = alembic_config()
    with database.engine.begin() as connection:
        config.attributes["connection"] = connection
        (command.downgrade if down else command.upgrade)(config, revision)


def test_a_register_kept_before_0014_upgrades_downgrades_and_upgrades_again(
        database_url: str) -> None:
    database = Database(database_url)
    try:
        _move(database, BEFORE)
        with database.engine.begin() as connection:
            connection.execute(INSERT_MANDATE)
        database.migrate()
        with database.engine.connect() as connection:
            row = connection.execute(text(
                "SELECT name, gender, age_declared_at FROM cln_members")).one()
        assert tuple(row) == ("Habitante", None, None)  # not asked then: "not recorded"
        with pytest.raises(IntegrityError), database.engine.begin() as connection:
            connection.execute(text("UPDATE cln_members SET gender = 'autre'"))
        with database.engine.begin() as connection:
            connection.execute(text("UPDATE cln_members SET gender = 'femme'"))

        _move(database, BEFORE, down=True)
        with database.engine.connect() as connection:
            assert connection.execute(text("SELECT name FROM cln_members")).scalar_one() \
                == "Habitante"
            columns = connection.execute(text("SELECT * FROM cln_members")).keys()
        assert "gender" not in columns and "age_declared_at" not in columns

        database.migrate()
        with database.engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            assert compare_metadata(context, Base.metadata) == []
    finally:
        database.dispose()
