"""The signed texts of badges, holder copies and endorsements compressed with lz4 on PostgreSQL
(issue 14, performance goal 3).

Each badge stores two signed texts of several kilobytes (its JSON and its VC-JWT), which
PostgreSQL compresses when it writes them (TOAST). Its default compressor, pglz, cost a batch of
10,000 about a tenth of its time (`python -m bench --goals-only --goal 3`: 19.3 and 20.6 s of
issuing with pglz, 17.6 and 18.5 s with lz4, alternated runs); lz4 compresses and decompresses
several times faster, for a few percent more bytes. Values written before keep their
compression until rewritten; both are read the same way. Nothing changes on SQLite, nor on a
PostgreSQL server built without lz4 (it stays on pglz).

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0021"
down_revision = "0020"
branch_labels = None
depends_on = None

COLUMNS = {"issued_credentials": ("credential_json", "credential_jwt"),
           "holder_copies": ("credential_json", "credential_jwt"),
           "endorsements": ("credential_json", "credential_jwt")}


def _lz4_available() -> bool:
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return False
    return bool(bind.execute(sa.text(
        "SELECT 'lz4' = ANY(enumvals) FROM pg_settings WHERE name = 'default_toast_compression'"
    )).scalar())


def _set_compression(method: str) -> None:
    for table, columns in COLUMNS.items():
        for column in columns:
            op.execute(f'ALTER TABLE "{table}" ALTER COLUMN "{column}" SET COMPRESSION {method}')


def upgrade() -> None:
    if _lz4_available():
        _set_compression("lz4")


def downgrade() -> None:
    if _lz4_available():
        _set_compression("pglz")
