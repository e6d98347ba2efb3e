"""The council's other rules (issue 13 item 11): the gender a membership records for parity
(optional: woman, man, or "prefers not to say") and when the person declared being 16 or over.

Rows written before this revision keep NULL in both: the gender was not asked then, and the
declaration was made on paper at the designation (the register says "not recorded").

Revision ID: 0014
Revises: 0012
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("cln_members") as batch:
        batch.add_column(sa.Column("gender", sa.String(16), nullable=True))
        batch.add_column(sa.Column("age_declared_at", sa.DateTime(timezone=True), nullable=True))
        batch.create_check_constraint(
            "gender_known", "gender IS NULL OR gender IN ('femme', 'homme', 'sans_reponse')")


def downgrade() -> None:
    with op.batch_alter_table("cln_members") as batch:
        batch.drop_constraint("gender_known", type_="check")
        batch.drop_column("age_declared_at")
        batch.drop_column("gender")
