"""Alembic environment.

`Database.migrate()` hands over an open connection in `config.attributes["connection"]`. From
the command line (`alembic -c issuer/storage/alembic.ini ...`, for writing new migrations) the
URL comes from DATABASE_URL (or ISSUER_DATABASE_URL, as in the settings), else from
`sqlalchemy.url` in the ini file.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy.engine import Connection

from issuer.settings import environment_values
from issuer.storage.models import Base

target_metadata = Base.metadata


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        # SQLite cannot ALTER most things: later migrations rebuild tables in batch mode.
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def _url_from_environment() -> str:
    configured = environment_values("database_url")
    url = configured[0] if configured else context.config.get_main_option("sqlalchemy.url")
    if not url:
        raise SystemExit("Set DATABASE_URL (or sqlalchemy.url in alembic.ini).")
    return url


if context.is_offline_mode():
    context.configure(url=_url_from_environment(), target_metadata=target_metadata,
                      literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()
elif (given := context.config.attributes.get("connection")) is not None:
    _run(given)
else:
    from logging.config import fileConfig

    from issuer.storage.db import Database

    if context.config.config_file_name:
        fileConfig(context.config.config_file_name, disable_existing_loggers=False)

    database = Database(_url_from_environment())
    try:
        with database.engine.begin() as connection:
            _run(connection)
    finally:
        database.dispose()
