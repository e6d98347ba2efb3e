"""An endorsement carried over to a re-issued badge points at the endorsement replacing it.

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("endorsements") as table:
        table.add_column(sa.Column("superseded_by", sa.String(36), nullable=True))
        table.create_foreign_key("fk_endorsements_superseded_by_endorsements", "endorsements",
                                 ["superseded_by"], ["id"])


def downgrade() -> None:
    with op.batch_alter_table("endorsements") as table:
        table.drop_constraint("fk_endorsements_superseded_by_endorsements", type_="foreignkey")
        table.drop_column("superseded_by")
