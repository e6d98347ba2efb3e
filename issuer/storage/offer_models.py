"""The tables of OpenID4VCI delivery (issue #12 item 3): credential offers with their
pre-authorized code and access token, and the `c_nonce` values a wallet signs.
`migrations/versions/0011_wallet_offers.py` creates them.

Nothing secret is kept in clear: the offer address token, the pre-authorized code and the
access token are kept as SHA-256 digests (`issuer.tokens`), the transaction code as an HMAC
under a key derived from the issuer's identity secret (six digits would be guessed back from a
plain hash). Each step of an offer is a conditional UPDATE on its row (`issuer.wallet.oid4vci`):
the row, not a lock in memory, decides which of two racing wallets wins.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from issuer.storage.models import Base, utc_now


class WalletOfferRow(Base):
    """One credential offer: one badge, one credential configuration, one credential.

    Life: made (`created_at`, `expires_at`), its pre-authorized code exchanged once for an
    access token (`redeemed_at`, `access_token_*`), the access token spent once on the
    holder-bound copy (`issued_at`, `copy_id`). `tx_code_failures` counts wrong transaction
    codes; past the limit the offer is dead."""

    __tablename__ = "wallet_offers"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    offer_token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    pre_authorized_code_hash: Mapped[str] = mapped_column(String(64), unique=True)
    credential_id: Mapped[str] = mapped_column(ForeignKey("issued_credentials.id"), index=True)
    recipient_id: Mapped[str] = mapped_column(ForeignKey("recipients.id"), index=True)
    configuration_id: Mapped[str] = mapped_column(String(64))
    tx_code_hmac: Mapped[str | None] = mapped_column(String(64))
    tx_code_failures: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    created_at: Mapped[dt.datetime] = mapped_column(default=utc_now)
    expires_at: Mapped[dt.datetime] = mapped_column(index=True)
    created_by: Mapped[str] = mapped_column(String)
    redeemed_at: Mapped[dt.datetime | None]
    access_token_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    access_token_expires_at: Mapped[dt.datetime | None]
    issued_at: Mapped[dt.datetime | None]
    holder_did: Mapped[str | None] = mapped_column(Text)
    copy_id: Mapped[str | None] = mapped_column(String(36))


class WalletNonceRow(Base):
    """A `c_nonce` handed out by the nonce endpoint: spent by the one proof that signs it."""

    __tablename__ = "wallet_nonces"

    nonce_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    created_at: Mapped[dt.datetime] = mapped_column(default=utc_now)
    expires_at: Mapped[dt.datetime] = mapped_column(index=True)
