"""Initial schema: recipients, issued credentials, status lists, keys, achievements, events,
audit log.

Revision ID: 0001
Revises:
Create Date: 2025-11-22
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

# Aware timestamps everywhere (timestamptz on PostgreSQL); see models.UTCDateTime.
Timestamp = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "recipients",
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column("email_hash_key", sa.String(64), nullable=True),
        sa.Column("email", sa.String(), nullable=True),
        sa.Column("display_name", sa.String(), nullable=True),
        sa.Column("show_name", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("subject_id", sa.String(), nullable=False),
        sa.Column("identity_salt", sa.String(), nullable=False),
        sa.Column("created_at", Timestamp, nullable=False),
        sa.Column("erased_at", Timestamp, nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_recipients"),
        sa.UniqueConstraint("email_hash_key", name="uq_recipients_email_hash_key"),
        sa.UniqueConstraint("subject_id", name="uq_recipients_subject_id"),
    )

    op.create_table(
        "status_lists",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("length", sa.Integer(), nullable=False),
        sa.Column("created_at", Timestamp, nullable=False),
        sa.Column("full", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_status_lists"),
        sa.CheckConstraint(
            "length > 0 AND length % 8 = 0", name="ck_status_lists_length_whole_bytes"
        ),
    )

    op.create_table(
        "issued_credentials",
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column("recipient_id", sa.String(36), nullable=False),
        sa.Column("badge_slug", sa.String(), nullable=False),
        sa.Column("achievement_id", sa.String(), nullable=False),
        sa.Column("event_number", sa.Integer(), nullable=True),
        sa.Column("role", sa.String(), nullable=True),
        sa.Column("idempotency_key", sa.String(64), nullable=False),
        sa.Column("credential_json", sa.Text(), nullable=False),
        sa.Column("credential_jwt", sa.Text(), nullable=False),
        sa.Column("issued_at", Timestamp, nullable=False),
        sa.Column("valid_from", Timestamp, nullable=False),
        sa.Column("valid_until", Timestamp, nullable=True),
        sa.Column("status_list_id", sa.Integer(), nullable=False),
        sa.Column("status_index", sa.Integer(), nullable=False),
        sa.Column("revoked_at", Timestamp, nullable=True),
        sa.Column("revocation_reason", sa.Text(), nullable=True),
        sa.Column("suspended", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("suspended_at", Timestamp, nullable=True),
        sa.Column("superseded_by", sa.String(36), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_issued_credentials"),
        sa.ForeignKeyConstraint(
            ["recipient_id"], ["recipients.id"],
            name="fk_issued_credentials_recipient_id_recipients",
        ),
        sa.ForeignKeyConstraint(
            ["status_list_id"], ["status_lists.id"],
            name="fk_issued_credentials_status_list_id_status_lists",
        ),
        sa.ForeignKeyConstraint(
            ["superseded_by"], ["issued_credentials.id"],
            name="fk_issued_credentials_superseded_by_issued_credentials",
        ),
        sa.UniqueConstraint("idempotency_key", name="uq_issued_credentials_idempotency_key"),
        # The arbiter of concurrent slot allocation (credential_rows.reserve_credential_row).
        sa.UniqueConstraint(
            "status_list_id", "status_index",
            name="uq_issued_credentials_status_list_id_status_index",
        ),
    )
    op.create_index(
        "ix_issued_credentials_recipient_id", "issued_credentials", ["recipient_id"]
    )
    op.create_index("ix_issued_credentials_badge_slug", "issued_credentials", ["badge_slug"])

    op.create_table(
        "signing_keys",
        sa.Column("kid", sa.String(), nullable=False),
        sa.Column("algorithm", sa.String(16), nullable=False),
        sa.Column("public_jwk", sa.Text(), nullable=False),
        sa.Column("public_multibase", sa.String(), nullable=True),
        sa.Column("created_at", Timestamp, nullable=False),
        sa.Column("retired_at", Timestamp, nullable=True),
        sa.Column("file_name", sa.String(), nullable=False),
        sa.PrimaryKeyConstraint("kid", name="pk_signing_keys"),
        sa.CheckConstraint(
            "algorithm IN ('Ed25519', 'RSA')", name="ck_signing_keys_algorithm_known"
        ),
    )

    op.create_table(
        "achievements",
        sa.Column("id", sa.String(), nullable=False),
        sa.Column("badge_slug", sa.String(), nullable=False),
        sa.Column("json", sa.Text(), nullable=False),
        sa.Column("updated_at", Timestamp, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_achievements"),
    )
    op.create_index("ix_achievements_badge_slug", "achievements", ["badge_slug"])

    op.create_table(
        "events",
        sa.Column("family", sa.String(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("date", sa.Date(), nullable=False),
        sa.Column("theme_fr", sa.Text(), nullable=False),
        sa.Column("theme_en", sa.Text(), nullable=False),
        sa.Column("venue", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("family", "number", name="pk_events"),
    )

    op.create_table(
        "audit_log",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("at", Timestamp, nullable=False),
        sa.Column("actor", sa.String(), nullable=False),
        sa.Column("action", sa.String(), nullable=False),
        sa.Column("subject", sa.String(), nullable=False),
        sa.Column("details", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_audit_log"),
    )
    op.create_index("ix_audit_log_at", "audit_log", ["at"])


def downgrade() -> None:
    op.drop_index("ix_audit_log_at", table_name="audit_log")
    op.drop_table("audit_log")
    op.drop_table("events")
    op.drop_index("ix_achievements_badge_slug", table_name="achievements")
    op.drop_table("achievements")
    op.drop_table("signing_keys")
    op.drop_index("ix_issued_credentials_badge_slug", table_name="issued_credentials")
    op.drop_index("ix_issued_credentials_recipient_id", table_name="issued_credentials")
    op.drop_table("issued_credentials")
    op.drop_table("status_lists")
    op.drop_table("recipients")
