"""The mediators' own area: sign-in link requests and tokens, recipient sessions, directory
profiles (issue #5, items 6 and 7).

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

Timestamp = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "mediator_sign_in_requests",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("address_key", sa.String(64), nullable=False),
        sa.Column("origin", sa.String(), nullable=True),
        sa.Column("requested_at", Timestamp, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_mediator_sign_in_requests"),
    )
    op.create_index("ix_mediator_sign_in_requests_address_key", "mediator_sign_in_requests",
                    ["address_key"])
    op.create_index("ix_mediator_sign_in_requests_origin", "mediator_sign_in_requests",
                    ["origin"])
    op.create_index("ix_mediator_sign_in_requests_requested_at", "mediator_sign_in_requests",
                    ["requested_at"])
    op.create_table(
        "mediator_sign_in_tokens",
        sa.Column("token_hash", sa.String(64), nullable=False),
        sa.Column("recipient_id", sa.String(36), nullable=False),
        sa.Column("created_at", Timestamp, nullable=False),
        sa.Column("expires_at", Timestamp, nullable=False),
        sa.Column("used_at", Timestamp, nullable=True),
        sa.PrimaryKeyConstraint("token_hash", name="pk_mediator_sign_in_tokens"),
        sa.ForeignKeyConstraint(["recipient_id"], ["recipients.id"],
                                name="fk_mediator_sign_in_tokens_recipient_id_recipients"),
    )
    op.create_index("ix_mediator_sign_in_tokens_recipient_id", "mediator_sign_in_tokens",
                    ["recipient_id"])
    op.create_table(
        "mediator_sessions",
        sa.Column("token_hash", sa.String(64), nullable=False),
        sa.Column("recipient_id", sa.String(36), nullable=False),
        sa.Column("created_at", Timestamp, nullable=False),
        sa.Column("last_seen_at", Timestamp, nullable=False),
        sa.Column("expires_at", Timestamp, nullable=False),
        sa.PrimaryKeyConstraint("token_hash", name="pk_mediator_sessions"),
        sa.ForeignKeyConstraint(["recipient_id"], ["recipients.id"],
                                name="fk_mediator_sessions_recipient_id_recipients"),
    )
    op.create_index("ix_mediator_sessions_recipient_id", "mediator_sessions", ["recipient_id"])
    op.create_table(
        "directory_profiles",
        sa.Column("recipient_id", sa.String(36), nullable=False),
        sa.Column("opted_in", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("display_name", sa.String(120), server_default="", nullable=False),
        sa.Column("sector", sa.String(32), nullable=True),
        sa.Column("organisation", sa.String(200), nullable=True),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("contact_url", sa.String(500), nullable=True),
        sa.Column("created_at", Timestamp, nullable=False),
        sa.Column("updated_at", Timestamp, nullable=False),
        sa.PrimaryKeyConstraint("recipient_id", name="pk_directory_profiles"),
        sa.ForeignKeyConstraint(["recipient_id"], ["recipients.id"],
                                name="fk_directory_profiles_recipient_id_recipients"),
    )
    op.create_index("ix_directory_profiles_sector", "directory_profiles", ["sector"])


def downgrade() -> None:
    op.drop_index("ix_directory_profiles_sector", table_name="directory_profiles")
    op.drop_table("directory_profiles")
    op.drop_index("ix_mediator_sessions_recipient_id", table_name="mediator_sessions")
    op.drop_table("mediator_sessions")
    op.drop_index("ix_mediator_sign_in_tokens_recipient_id", table_name="mediator_sign_in_tokens")
    op.drop_table("mediator_sign_in_tokens")
    op.drop_index("ix_mediator_sign_in_requests_requested_at",
                  table_name="mediator_sign_in_requests")
    op.drop_index("ix_mediator_sign_in_requests_origin", table_name="mediator_sign_in_requests")
    op.drop_index("ix_mediator_sign_in_requests_address_key",
                  table_name="mediator_sign_in_requests")
    op.drop_table("mediator_sign_in_requests")
