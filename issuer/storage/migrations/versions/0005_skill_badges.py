"""Skill badges the coordinator creates from the skills catalogue, and the evidence files
uploaded when one is issued (issue #5, item 4).

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

Timestamp = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "skill_badges",
        sa.Column("slug", sa.String(), nullable=False),
        sa.Column("kind", sa.String(8), nullable=False),
        sa.Column("target_code", sa.String(12), nullable=False),
        sa.Column("skill_codes", sa.Text(), nullable=False),
        sa.Column("name_fr", sa.String(), nullable=False),
        sa.Column("name_en", sa.String(), nullable=False),
        sa.Column("description_fr", sa.Text(), nullable=False),
        sa.Column("description_en", sa.Text(), nullable=False),
        sa.Column("criteria_fr", sa.Text(), nullable=False),
        sa.Column("criteria_en", sa.Text(), nullable=False),
        sa.Column("catalogue_version", sa.Integer(), nullable=False),
        sa.Column("created_by", sa.String(), nullable=False),
        sa.Column("created_at", Timestamp, nullable=False),
        sa.Column("updated_at", Timestamp, nullable=False),
        sa.PrimaryKeyConstraint("slug", name="pk_skill_badges"),
        sa.UniqueConstraint("kind", "target_code", name="uq_skill_badges_kind_target_code"),
        sa.CheckConstraint("kind IN ('skill', 'domain')", name="ck_skill_badges_kind_known"),
    )
    op.create_table(
        "evidence_files",
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column("extension", sa.String(8), nullable=False),
        sa.Column("media_type", sa.String(), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("credential_id", sa.String(36), nullable=True),
        sa.Column("created_by", sa.String(), nullable=False),
        sa.Column("created_at", Timestamp, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_evidence_files"),
        sa.ForeignKeyConstraint(["credential_id"], ["issued_credentials.id"],
                                name="fk_evidence_files_credential_id_issued_credentials"),
    )
    op.create_index("ix_evidence_files_credential_id", "evidence_files", ["credential_id"])


def downgrade() -> None:
    op.drop_index("ix_evidence_files_credential_id", table_name="evidence_files")
    op.drop_table("evidence_files")
    op.drop_table("skill_badges")
