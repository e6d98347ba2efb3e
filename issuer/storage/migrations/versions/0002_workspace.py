"""Coordinator's workspace: users, sessions, login attempts, event schedules, attendances,
claim requests, CLN members, e-mail messages; recipients.indexable, audit_log.origin.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

Timestamp = sa.DateTime(timezone=True)


def upgrade() -> None:
    with op.batch_alter_table("recipients") as table:
        table.add_column(sa.Column("indexable", sa.Boolean(), server_default=sa.false(), nullable=False))
    with op.batch_alter_table("audit_log") as table:
        table.add_column(sa.Column("origin", sa.String(), nullable=True))

    op.create_table(
        "users",
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column("email", sa.String(), nullable=False),
        sa.Column("display_name", sa.String(), nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("password_hash", sa.String(), nullable=True),
        sa.Column("invitation_token_hash", sa.String(64), nullable=True),
        sa.Column("invitation_expires_at", Timestamp, nullable=True),
        sa.Column("invited_by", sa.String(36), nullable=True),
        sa.Column("failed_logins", sa.Integer(), server_default="0", nullable=False),
        sa.Column("locked_until", Timestamp, nullable=True),
        sa.Column("last_login_at", Timestamp, nullable=True),
        sa.Column("disabled_at", Timestamp, nullable=True),
        sa.Column("created_at", Timestamp, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_users"),
        sa.UniqueConstraint("email", name="uq_users_email"),
        sa.UniqueConstraint("invitation_token_hash", name="uq_users_invitation_token_hash"),
        sa.ForeignKeyConstraint(["invited_by"], ["users.id"], name="fk_users_invited_by_users"),
        sa.CheckConstraint("role IN ('administrator', 'coordinator')", name="ck_users_role_known"),
    )
    op.create_table(
        "user_sessions",
        sa.Column("token_hash", sa.String(64), nullable=False),
        sa.Column("user_id", sa.String(36), nullable=False),
        sa.Column("created_at", Timestamp, nullable=False),
        sa.Column("last_seen_at", Timestamp, nullable=False),
        sa.Column("expires_at", Timestamp, nullable=False),
        sa.Column("origin", sa.String(), nullable=True),
        sa.Column("user_agent", sa.String(), nullable=True),
        sa.PrimaryKeyConstraint("token_hash", name="pk_user_sessions"),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name="fk_user_sessions_user_id_users"),
    )
    op.create_index("ix_user_sessions_user_id", "user_sessions", ["user_id"])
    op.create_table(
        "login_attempts",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("email", sa.String(), nullable=False),
        sa.Column("origin", sa.String(), nullable=True),
        sa.Column("at", Timestamp, nullable=False),
        sa.Column("succeeded", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_login_attempts"),
    )
    op.create_index("ix_login_attempts_email", "login_attempts", ["email"])
    op.create_index("ix_login_attempts_origin", "login_attempts", ["origin"])
    op.create_index("ix_login_attempts_at", "login_attempts", ["at"])
    op.create_table(
        "event_schedules",
        sa.Column("family", sa.String(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("title_fr", sa.Text(), nullable=True),
        sa.Column("title_en", sa.Text(), nullable=True),
        sa.Column("badge_slug", sa.String(), nullable=True),
        sa.Column("claim_token_hash", sa.String(64), nullable=True),
        sa.Column("claim_opens_at", Timestamp, nullable=True),
        sa.Column("claim_closes_at", Timestamp, nullable=True),
        sa.Column("created_by", sa.String(36), nullable=True),
        sa.Column("created_at", Timestamp, nullable=False),
        sa.PrimaryKeyConstraint("family", "number", name="pk_event_schedules"),
        sa.UniqueConstraint("claim_token_hash", name="uq_event_schedules_claim_token_hash"),
        sa.ForeignKeyConstraint(["family", "number"], ["events.family", "events.number"],
                                name="fk_event_schedules_family_events"),
        sa.ForeignKeyConstraint(["created_by"], ["users.id"], name="fk_event_schedules_created_by_users"),
    )
    op.create_table(
        "attendances",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("event_family", sa.String(), nullable=False),
        sa.Column("event_number", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("email", sa.String(), nullable=False),
        sa.Column("role", sa.String(), nullable=False),
        sa.Column("show_name", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("source", sa.String(16), nullable=False),
        sa.Column("credential_id", sa.String(36), nullable=True),
        sa.Column("created_by", sa.String(), nullable=True),
        sa.Column("created_at", Timestamp, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_attendances"),
        sa.UniqueConstraint("event_family", "event_number", "email", "role",
                            name="uq_attendances_event_family_event_number_email_role"),
        sa.ForeignKeyConstraint(["event_family", "event_number"], ["events.family", "events.number"],
                                name="fk_attendances_event_family_events"),
        sa.ForeignKeyConstraint(["credential_id"], ["issued_credentials.id"],
                                name="fk_attendances_credential_id_issued_credentials"),
    )
    op.create_table(
        "claim_requests",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("event_family", sa.String(), nullable=False),
        sa.Column("event_number", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("email", sa.String(), nullable=False),
        sa.Column("role", sa.String(), nullable=True),
        sa.Column("status", sa.String(16), server_default="pending", nullable=False),
        sa.Column("origin", sa.String(), nullable=True),
        sa.Column("created_at", Timestamp, nullable=False),
        sa.Column("decided_at", Timestamp, nullable=True),
        sa.Column("decided_by", sa.String(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_claim_requests"),
        sa.ForeignKeyConstraint(["event_family", "event_number"], ["events.family", "events.number"],
                                name="fk_claim_requests_event_family_events"),
        sa.CheckConstraint("status IN ('pending', 'approved', 'rejected')",
                           name="ck_claim_requests_status_known"),
    )
    op.create_table(
        "cln_members",
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("email", sa.String(), nullable=False),
        sa.Column("sector", sa.String(), nullable=True),
        sa.Column("role", sa.String(), nullable=False),
        sa.Column("mandate_start", sa.Date(), nullable=False),
        sa.Column("mandate_end", sa.Date(), nullable=False),
        sa.Column("status", sa.String(16), server_default="active", nullable=False),
        sa.Column("renews", sa.String(36), nullable=True),
        sa.Column("credential_id", sa.String(36), nullable=True),
        sa.Column("alumni_credential_id", sa.String(36), nullable=True),
        sa.Column("ended_at", Timestamp, nullable=True),
        sa.Column("resignation_reason", sa.Text(), nullable=True),
        sa.Column("created_at", Timestamp, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_cln_members"),
        sa.ForeignKeyConstraint(["renews"], ["cln_members.id"], name="fk_cln_members_renews_cln_members"),
        sa.ForeignKeyConstraint(["credential_id"], ["issued_credentials.id"],
                                name="fk_cln_members_credential_id_issued_credentials"),
        sa.ForeignKeyConstraint(["alumni_credential_id"], ["issued_credentials.id"],
                                name="fk_cln_members_alumni_credential_id_issued_credentials"),
        sa.CheckConstraint("status IN ('active', 'ended', 'resigned')", name="ck_cln_members_status_known"),
    )
    op.create_index("ix_cln_members_email", "cln_members", ["email"])
    op.create_table(
        "email_messages",
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("credential_id", sa.String(36), nullable=True),
        sa.Column("to_address", sa.String(), nullable=False),
        sa.Column("locale", sa.String(8), server_default="fr", nullable=False),
        sa.Column("subject", sa.String(), nullable=False),
        sa.Column("status", sa.String(16), server_default="queued", nullable=False),
        sa.Column("attempts", sa.Integer(), server_default="0", nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("next_attempt_at", Timestamp, nullable=True),
        sa.Column("sent_at", Timestamp, nullable=True),
        sa.Column("outbox_file", sa.String(), nullable=True),
        sa.Column("created_at", Timestamp, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_email_messages"),
        sa.ForeignKeyConstraint(["credential_id"], ["issued_credentials.id"],
                                name="fk_email_messages_credential_id_issued_credentials"),
        sa.CheckConstraint("status IN ('queued', 'sent', 'failed', 'outbox')",
                           name="ck_email_messages_status_known"),
    )
    op.create_index("ix_email_messages_credential_id", "email_messages", ["credential_id"])


def downgrade() -> None:
    for index, table in (("ix_email_messages_credential_id", "email_messages"),
                         ("ix_cln_members_email", "cln_members"),
                         ("ix_login_attempts_at", "login_attempts"),
                         ("ix_login_attempts_origin", "login_attempts"),
                         ("ix_login_attempts_email", "login_attempts"),
                         ("ix_user_sessions_user_id", "user_sessions")):
        op.drop_index(index, table_name=table)
    for table in ("email_messages", "cln_members", "claim_requests", "attendances",
                  "event_schedules", "login_attempts", "user_sessions", "users"):
        op.drop_table(table)
    with op.batch_alter_table("audit_log") as batch:
        batch.drop_column("origin")
    with op.batch_alter_table("recipients") as batch:
        batch.drop_column("indexable")
