"""Wallet delivery (issue #12, items 1, 2 and 6): VC-API issuance exchanges, one-time holder
links, the holder access they open, and the requests for a link.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

Timestamp = sa.DateTime(timezone=True)


def _credential_fk(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(["credential_id"], ["issued_credentials.id"],
                                   name=f"fk_{table}_credential_id_issued_credentials")


def upgrade() -> None:
    op.create_table(
        "wallet_exchanges",
        sa.Column("token_hash", sa.String(64), nullable=False),
        sa.Column("credential_id", sa.String(36), nullable=False),
        sa.Column("recipient_id", sa.String(36), nullable=False),
        sa.Column("state", sa.String(16), server_default="pending", nullable=False),
        sa.Column("created_at", Timestamp, nullable=False),
        sa.Column("expires_at", Timestamp, nullable=False),
        sa.Column("completed_at", Timestamp, nullable=True),
        sa.Column("holder_did", sa.String(2000), nullable=True),
        sa.Column("copy_id", sa.String(36), nullable=True),
        sa.PrimaryKeyConstraint("token_hash", name="pk_wallet_exchanges"),
        _credential_fk("wallet_exchanges"),
        sa.ForeignKeyConstraint(["recipient_id"], ["recipients.id"],
                                name="fk_wallet_exchanges_recipient_id_recipients"),
    )
    op.create_index("ix_wallet_exchanges_credential_id", "wallet_exchanges", ["credential_id"])
    op.create_index("ix_wallet_exchanges_recipient_id", "wallet_exchanges", ["recipient_id"])
    op.create_index("ix_wallet_exchanges_expires_at", "wallet_exchanges", ["expires_at"])
    for table in ("wallet_holder_links", "wallet_holder_access"):
        columns: list[sa.schema.SchemaItem] = [
            sa.Column("token_hash", sa.String(64), nullable=False),
            sa.Column("credential_id", sa.String(36), nullable=False),
            sa.Column("created_at", Timestamp, nullable=False),
            sa.Column("expires_at", Timestamp, nullable=False),
        ]
        if table == "wallet_holder_links":
            columns.append(sa.Column("used_at", Timestamp, nullable=True))
        op.create_table(table, *columns, sa.PrimaryKeyConstraint("token_hash", name=f"pk_{table}"),
                        _credential_fk(table))
        op.create_index(f"ix_{table}_credential_id", table, ["credential_id"])
        op.create_index(f"ix_{table}_expires_at", table, ["expires_at"])
    op.create_table(
        "wallet_link_requests",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("credential_id", sa.String(36), nullable=False),
        sa.Column("origin", sa.String(), nullable=True),
        sa.Column("requested_at", Timestamp, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_wallet_link_requests"),
    )
    for column in ("credential_id", "origin", "requested_at"):
        op.create_index(f"ix_wallet_link_requests_{column}", "wallet_link_requests", [column])


def downgrade() -> None:
    for column in ("requested_at", "origin", "credential_id"):
        op.drop_index(f"ix_wallet_link_requests_{column}", table_name="wallet_link_requests")
    op.drop_table("wallet_link_requests")
    for table in ("wallet_holder_access", "wallet_holder_links"):
        op.drop_index(f"ix_{table}_expires_at", table_name=table)
        op.drop_index(f"ix_{table}_credential_id", table_name=table)
        op.drop_table(table)
    for column in ("expires_at", "recipient_id", "credential_id"):
        op.drop_index(f"ix_wallet_exchanges_{column}", table_name="wallet_exchanges")
    op.drop_table("wallet_exchanges")
