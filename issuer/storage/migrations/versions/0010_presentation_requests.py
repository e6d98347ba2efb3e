"""Presentation requests (issue #12, item 5): the `presentation_requests` table
(issuer.storage.presentation_models).

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

Timestamp = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "presentation_requests",
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column("exchange_digest", sa.String(64), nullable=False),
        sa.Column("viewer_digest", sa.String(64), nullable=False),
        sa.Column("domain", sa.String(255), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("created_at", Timestamp, nullable=False),
        sa.Column("expires_at", Timestamp, nullable=False),
        sa.Column("answered_at", Timestamp, nullable=True),
        sa.Column("verdict", sa.String(16), nullable=True),
        sa.Column("holder_bound", sa.Boolean(), nullable=True),
        sa.Column("result_json", sa.Text(), nullable=True),
        sa.CheckConstraint("state IN ('pending', 'answered', 'completed')",
                           name="ck_presentation_requests_state_known"),
        sa.PrimaryKeyConstraint("id", name="pk_presentation_requests"),
        sa.UniqueConstraint("exchange_digest", name="uq_presentation_requests_exchange_digest"),
    )
    op.create_index("ix_presentation_requests_created_at", "presentation_requests",
                    ["created_at"])


def downgrade() -> None:
    op.drop_index("ix_presentation_requests_created_at", table_name="presentation_requests")
    op.drop_table("presentation_requests")
