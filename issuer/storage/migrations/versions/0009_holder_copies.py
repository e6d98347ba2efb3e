"""Holder-bound copies (issue #12, item 4): the `holder_copies` table. Copies draw their status
indices from lists of their own kind (`status_lists.kind = 'holder_copies'`, a value of the
existing column: no change there).

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

Timestamp = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "holder_copies",
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column("original_id", sa.String(36), nullable=False),
        sa.Column("holder_did", sa.String(2048), nullable=True),
        sa.Column("format", sa.String(16), nullable=False),
        sa.Column("credential_json", sa.Text(), server_default="", nullable=False),
        sa.Column("credential_jwt", sa.Text(), server_default="", nullable=False),
        sa.Column("created_at", Timestamp, nullable=False),
        sa.Column("actor", sa.String(), nullable=False),
        sa.Column("status_list_id", sa.Integer(), nullable=False),
        sa.Column("status_index", sa.Integer(), nullable=False),
        sa.Column("revoked_at", Timestamp, nullable=True),
        sa.Column("revocation_reason", sa.Text(), nullable=True),
        sa.Column("suspended", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("suspended_at", Timestamp, nullable=True),
        sa.CheckConstraint("format IN ('ldp_vc', 'jwt_vc_json')",
                           name="ck_holder_copies_format_known"),
        sa.ForeignKeyConstraint(["original_id"], ["issued_credentials.id"],
                                name="fk_holder_copies_original_id_issued_credentials"),
        sa.ForeignKeyConstraint(["status_list_id"], ["status_lists.id"],
                                name="fk_holder_copies_status_list_id_status_lists"),
        sa.PrimaryKeyConstraint("id", name="pk_holder_copies"),
        sa.UniqueConstraint("status_list_id", "status_index",
                            name="uq_holder_copies_status_list_id_status_index"),
    )
    op.create_index("ix_holder_copies_original_id", "holder_copies", ["original_id"])
    op.create_index("ix_holder_copies_original_holder", "holder_copies",
                    ["original_id", "holder_did"])


def downgrade() -> None:
    op.drop_index("ix_holder_copies_original_holder", table_name="holder_copies")
    op.drop_index("ix_holder_copies_original_id", table_name="holder_copies")
    op.drop_table("holder_copies")
