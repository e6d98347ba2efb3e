"""Sign-in throttle (issue #10 item 2): failures counted per (account, client) in
`sign_in_throttles`; the account-wide lock (`users.failed_logins`, `users.locked_until`) gives
way to the owner's alert (`users.last_failed_login_at`, `users.sign_in_alert_at`).

Columns are dropped with ALTER TABLE ... DROP COLUMN, which SQLite has since 3.35 (2021): a
batch "copy and move" would recreate `users`, which other tables reference while SQLite
enforces foreign keys.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

Timestamp = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "sign_in_throttles",
        sa.Column("email", sa.String(), nullable=False),
        sa.Column("client", sa.String(), nullable=False),
        sa.Column("failures", sa.Integer(), server_default="0", nullable=False),
        sa.Column("last_failure_at", Timestamp, nullable=True),
        sa.Column("refused_at", Timestamp, nullable=True),
        sa.Column("updated_at", Timestamp, nullable=False),
        sa.PrimaryKeyConstraint("email", "client", name="pk_sign_in_throttles"),
    )
    op.create_index("ix_sign_in_throttles_updated_at", "sign_in_throttles", ["updated_at"])
    op.add_column("users", sa.Column("last_failed_login_at", Timestamp, nullable=True))
    op.add_column("users", sa.Column("sign_in_alert_at", Timestamp, nullable=True))
    op.drop_column("users", "locked_until")
    op.drop_column("users", "failed_logins")


def downgrade() -> None:
    op.add_column("users", sa.Column("failed_logins", sa.Integer(), server_default="0",
                                     nullable=False))
    op.add_column("users", sa.Column("locked_until", Timestamp, nullable=True))
    op.drop_column("users", "sign_in_alert_at")
    op.drop_column("users", "last_failed_login_at")
    op.drop_index("ix_sign_in_throttles_updated_at", table_name="sign_in_throttles")
    op.drop_table("sign_in_throttles")
