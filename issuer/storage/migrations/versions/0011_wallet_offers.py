"""OpenID4VCI delivery (issue #12 item 3): `wallet_offers` (credential offers, their
pre-authorized code and access token, kept as digests) and `wallet_nonces` (the `c_nonce`
values of the nonce endpoint). See issuer/storage/offer_models.py.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

Timestamp = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "wallet_offers",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("offer_token_hash", sa.String(length=64), nullable=False),
        sa.Column("pre_authorized_code_hash", sa.String(length=64), nullable=False),
        sa.Column("credential_id", sa.String(length=36), nullable=False),
        sa.Column("recipient_id", sa.String(length=36), nullable=False),
        sa.Column("configuration_id", sa.String(length=64), nullable=False),
        sa.Column("tx_code_hmac", sa.String(length=64), nullable=True),
        sa.Column("tx_code_failures", sa.Integer(), server_default="0", nullable=False),
        sa.Column("created_at", Timestamp, nullable=False),
        sa.Column("expires_at", Timestamp, nullable=False),
        sa.Column("created_by", sa.String(), nullable=False),
        sa.Column("redeemed_at", Timestamp, nullable=True),
        sa.Column("access_token_hash", sa.String(length=64), nullable=True),
        sa.Column("access_token_expires_at", Timestamp, nullable=True),
        sa.Column("issued_at", Timestamp, nullable=True),
        sa.Column("holder_did", sa.Text(), nullable=True),
        sa.Column("copy_id", sa.String(length=36), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_wallet_offers"),
        sa.ForeignKeyConstraint(["credential_id"], ["issued_credentials.id"],
                                name="fk_wallet_offers_credential_id_issued_credentials"),
        sa.ForeignKeyConstraint(["recipient_id"], ["recipients.id"],
                                name="fk_wallet_offers_recipient_id_recipients"),
        sa.UniqueConstraint("offer_token_hash", name="uq_wallet_offers_offer_token_hash"),
        sa.UniqueConstraint("pre_authorized_code_hash",
                            name="uq_wallet_offers_pre_authorized_code_hash"),
        sa.UniqueConstraint("access_token_hash", name="uq_wallet_offers_access_token_hash"),
    )
    op.create_index("ix_wallet_offers_credential_id", "wallet_offers", ["credential_id"])
    op.create_index("ix_wallet_offers_recipient_id", "wallet_offers", ["recipient_id"])
    op.create_index("ix_wallet_offers_expires_at", "wallet_offers", ["expires_at"])
    op.create_table(
        "wallet_nonces",
        sa.Column("nonce_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", Timestamp, nullable=False),
        sa.Column("expires_at", Timestamp, nullable=False),
        sa.PrimaryKeyConstraint("nonce_hash", name="pk_wallet_nonces"),
    )
    op.create_index("ix_wallet_nonces_expires_at", "wallet_nonces", ["expires_at"])


def downgrade() -> None:
    op.drop_index("ix_wallet_nonces_expires_at", table_name="wallet_nonces")
    op.drop_table("wallet_nonces")
    op.drop_index("ix_wallet_offers_expires_at", table_name="wallet_offers")
    op.drop_index("ix_wallet_offers_recipient_id", table_name="wallet_offers")
    op.drop_index("ix_wallet_offers_credential_id", table_name="wallet_offers")
    op.drop_table("wallet_offers")
