"""Peer endorsements (issue #5, item 5): the `endorsements` table, and the kind of each status
list (badges and endorsements never share a list, see issuer.storage.endorsement_models).

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

Timestamp = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.add_column("status_lists", sa.Column("kind", sa.String(16), nullable=False,
                                            server_default="credentials"))
    op.create_index("ix_status_lists_kind", "status_lists", ["kind"])
    op.create_table(
        "endorsements",
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column("endorsed_credential_id", sa.String(36), nullable=False),
        sa.Column("endorser_id", sa.String(36), nullable=False),
        sa.Column("endorser_credential_id", sa.String(36), nullable=True),
        sa.Column("comment", sa.Text(), nullable=False),
        sa.Column("endorser_name", sa.String(120), nullable=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("requested_at", Timestamp, nullable=False),
        sa.Column("decided_at", Timestamp, nullable=True),
        sa.Column("decided_by", sa.String(), nullable=True),
        sa.Column("rejection_reason", sa.Text(), nullable=True),
        sa.Column("credential_json", sa.Text(), nullable=False, server_default=""),
        sa.Column("credential_jwt", sa.Text(), nullable=False, server_default=""),
        sa.Column("issued_at", Timestamp, nullable=True),
        sa.Column("status_list_id", sa.Integer(), nullable=True),
        sa.Column("status_index", sa.Integer(), nullable=True),
        sa.Column("revoked_at", Timestamp, nullable=True),
        sa.Column("revocation_reason", sa.Text(), nullable=True),
        sa.Column("suspended", sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.PrimaryKeyConstraint("id", name="pk_endorsements"),
        sa.ForeignKeyConstraint(["endorsed_credential_id"], ["issued_credentials.id"],
                                name="fk_endorsements_endorsed_credential_id_issued_credentials"),
        sa.ForeignKeyConstraint(["endorser_id"], ["recipients.id"],
                                name="fk_endorsements_endorser_id_recipients"),
        sa.ForeignKeyConstraint(["endorser_credential_id"], ["issued_credentials.id"],
                                name="fk_endorsements_endorser_credential_id_issued_credentials"),
        sa.ForeignKeyConstraint(["status_list_id"], ["status_lists.id"],
                                name="fk_endorsements_status_list_id_status_lists"),
        sa.UniqueConstraint("status_list_id", "status_index",
                            name="uq_endorsements_status_list_id_status_index"),
        sa.UniqueConstraint("endorser_id", "endorsed_credential_id",
                            name="uq_endorsements_endorser_id_endorsed_credential_id"),
        sa.CheckConstraint("status IN ('pending', 'approved', 'rejected')",
                           name="ck_endorsements_status_known"),
    )
    op.create_index("ix_endorsements_endorsed_credential_id", "endorsements",
                    ["endorsed_credential_id"])
    op.create_index("ix_endorsements_endorser_id", "endorsements", ["endorser_id"])
    op.create_index("ix_endorsements_status", "endorsements", ["status"])


def downgrade() -> None:
    op.drop_index("ix_endorsements_status", table_name="endorsements")
    op.drop_index("ix_endorsements_endorser_id", table_name="endorsements")
    op.drop_index("ix_endorsements_endorsed_credential_id", table_name="endorsements")
    op.drop_table("endorsements")
    op.drop_index("ix_status_lists_kind", table_name="status_lists")
    # Not batch mode: on SQLite it copies and drops `status_lists`, which the foreign keys of
    # `issued_credentials` forbid. SQLite 3.35+ drops a plain column in place.
    op.execute("ALTER TABLE status_lists DROP COLUMN kind")
