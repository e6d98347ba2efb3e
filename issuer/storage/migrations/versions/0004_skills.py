"""The skills catalogue of the mediator network: domains, skills, catalogue versions.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

Timestamp = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "skill_domains",
        sa.Column("code", sa.String(8), nullable=False),
        sa.Column("name_fr", sa.String(), nullable=False),
        sa.Column("name_en", sa.String(), nullable=False),
        sa.Column("description_fr", sa.Text(), nullable=False),
        sa.Column("description_en", sa.Text(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("crosswalks", sa.Text(), nullable=False),
        sa.Column("created_at", Timestamp, nullable=False),
        sa.Column("retired_at", Timestamp, nullable=True),
        sa.PrimaryKeyConstraint("code", name="pk_skill_domains"),
    )
    op.create_table(
        "skills",
        sa.Column("code", sa.String(12), nullable=False),
        sa.Column("domain_code", sa.String(8), nullable=False),
        sa.Column("name_fr", sa.String(), nullable=False),
        sa.Column("name_en", sa.String(), nullable=False),
        sa.Column("description_fr", sa.Text(), nullable=False),
        sa.Column("description_en", sa.Text(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("levels", sa.Text(), nullable=False),
        sa.Column("crosswalks", sa.Text(), nullable=False),
        sa.Column("created_at", Timestamp, nullable=False),
        sa.Column("retired_at", Timestamp, nullable=True),
        sa.PrimaryKeyConstraint("code", name="pk_skills"),
        sa.ForeignKeyConstraint(["domain_code"], ["skill_domains.code"],
                                name="fk_skills_domain_code_skill_domains"),
    )
    op.create_index("ix_skills_domain_code", "skills", ["domain_code"])
    op.create_table(
        "skill_catalogue_versions",
        sa.Column("number", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("created_at", Timestamp, nullable=False),
        sa.Column("author", sa.String(), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("snapshot", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("number", name="pk_skill_catalogue_versions"),
    )


def downgrade() -> None:
    op.drop_table("skill_catalogue_versions")
    op.drop_index("ix_skills_domain_code", table_name="skills")
    op.drop_table("skills")
    op.drop_table("skill_domains")
