"""Tables of wallet delivery (issue #12, items 1, 2 and 6): VC-API issuance exchanges, the
one-time holder links sent by e-mail, the short holder access they open, and the requests for
such a link (what their limits count).

Every token (exchange address, e-mail link, access cookie) is stored as its SHA-256 digest
only (`issuer.tokens`): the wallet, the e-mail and the browser hold the clear value.
`migrations/versions/0012_wallet_exchanges.py` creates these tables.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from issuer.storage.models import Base, utc_now

#: The states of an exchange (`WalletExchange.state`), in order.
EXCHANGE_STATES = ("pending", "active", "complete")


class WalletExchange(Base):
    """One VC-API issuance exchange: one badge, for the holder who asked, for a few minutes.

    `pending` when created, `active` once a wallet asked what to present, `complete` once a
    wallet's DIDAuth presentation was accepted and the holder-bound copy given (set by one
    conditional UPDATE, so two wallets racing get one copy). `holder_did` and `copy_id` say
    what was given; they are kept for the audit of the holder's copies."""

    __tablename__ = "wallet_exchanges"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    credential_id: Mapped[str] = mapped_column(ForeignKey("issued_credentials.id"), index=True)
    recipient_id: Mapped[str] = mapped_column(ForeignKey("recipients.id"), index=True)
    state: Mapped[str] = mapped_column(String(16), default="pending", server_default="pending")
    created_at: Mapped[dt.datetime] = mapped_column(default=utc_now)
    expires_at: Mapped[dt.datetime] = mapped_column(index=True)
    completed_at: Mapped[dt.datetime | None]
    holder_did: Mapped[str | None] = mapped_column(String(2000))
    copy_id: Mapped[str | None] = mapped_column(String(36))


class WalletHolderLink(Base):
    """A one-time link to add one badge to a wallet, sent to the badge's own address (in the
    badge e-mail, or when someone on the badge page says "C'est mon badge"). Valid until
    `expires_at`, once (`used_at` is set when it opens a holder access)."""

    __tablename__ = "wallet_holder_links"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    credential_id: Mapped[str] = mapped_column(ForeignKey("issued_credentials.id"), index=True)
    created_at: Mapped[dt.datetime] = mapped_column(default=utc_now)
    expires_at: Mapped[dt.datetime] = mapped_column(index=True)
    used_at: Mapped[dt.datetime | None]


class WalletHolderAccess(Base):
    """What a spent holder link opens: for a short while, this browser (a cookie holding a
    random token) may create wallet exchanges for this one badge."""

    __tablename__ = "wallet_holder_access"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    credential_id: Mapped[str] = mapped_column(ForeignKey("issued_credentials.id"), index=True)
    created_at: Mapped[dt.datetime] = mapped_column(default=utc_now)
    expires_at: Mapped[dt.datetime] = mapped_column(index=True)


class WalletLinkRequest(Base):
    """One "C'est mon badge" request, whether or not an e-mail left: what the per-badge and
    per-client limits count. Rows older than a day are deleted as new ones arrive."""

    __tablename__ = "wallet_link_requests"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    credential_id: Mapped[str] = mapped_column(String(36), index=True)
    origin: Mapped[str | None] = mapped_column(String, index=True)
    requested_at: Mapped[dt.datetime] = mapped_column(default=utc_now, index=True)
