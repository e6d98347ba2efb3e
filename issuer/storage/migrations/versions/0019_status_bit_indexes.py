"""Partial indexes of the set status bits (issue 14, performance goal 2): a status list's
revoked and suspended slots are read without reading its every slot
(`issuer/storage/status_bit_indexes.py`).

Revision ID: 0019
Revises: 0015
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0019"
down_revision = "0015"
branch_labels = None
depends_on = None

COLUMNS = ["status_list_id", "status_index"]


def upgrade() -> None:
    # The predicates are written as SQLAlchemy writes the queries' own conditions, so that each
    # database sees the query's WHERE implies the index's (PostgreSQL, SQLite).
    op.create_index("ix_issued_credentials_revoked_slots", "issued_credentials", COLUMNS,
                    postgresql_where=sa.text("revoked_at IS NOT NULL"),
                    sqlite_where=sa.text("revoked_at IS NOT NULL"))
    op.create_index("ix_issued_credentials_suspended_slots", "issued_credentials", COLUMNS,
                    postgresql_where=sa.text("suspended IS true"),
                    sqlite_where=sa.text("suspended IS 1"))


def downgrade() -> None:
    op.drop_index("ix_issued_credentials_suspended_slots", "issued_credentials")
    op.drop_index("ix_issued_credentials_revoked_slots", "issued_credentials")
