"""Tables of the mediators' own area (issue #5, items 6 and 7): password-less sign-in by e-mail
link, recipient sessions, and the directory profile a mediator chooses to publish.

A mediator is a `Recipient` (someone who received badges); nothing here is an account of the
coordinators' workspace, and the sessions are a separate table with their own cookie. Tokens
are stored as SHA-256 digests only (the e-mail and the browser hold the clear value).
`migrations/versions/0006_mediators.py` creates these tables.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Boolean, ForeignKey, Integer, String, Text, false
from sqlalchemy.orm import Mapped, mapped_column

from issuer.storage.models import Base, utc_now


class MediatorSignInRequest(Base):
    """One request for a sign-in link, known address or not: what the per-address and
    per-client limits count. `address_key` is the keyed hash of the typed address
    (`IssuerService.email_lookup_key`), never the address itself; rows older than a day are
    deleted as new ones arrive."""

    __tablename__ = "mediator_sign_in_requests"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    address_key: Mapped[str] = mapped_column(String(64), index=True)
    origin: Mapped[str | None] = mapped_column(String, index=True)
    requested_at: Mapped[dt.datetime] = mapped_column(default=utc_now, index=True)


class MediatorSignInToken(Base):
    """A one-time sign-in link sent to a recipient's address. Valid until `expires_at`, once
    (`used_at` is set when it opens a session)."""

    __tablename__ = "mediator_sign_in_tokens"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    recipient_id: Mapped[str] = mapped_column(ForeignKey("recipients.id"), index=True)
    created_at: Mapped[dt.datetime] = mapped_column(default=utc_now)
    expires_at: Mapped[dt.datetime]
    used_at: Mapped[dt.datetime | None]


class MediatorSession(Base):
    """A browser signed in to "Mon espace". The cookie holds a random token; only its SHA-256
    is stored. Separate from `user_sessions` (/admin): a mediator never reaches /admin."""

    __tablename__ = "mediator_sessions"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    recipient_id: Mapped[str] = mapped_column(ForeignKey("recipients.id"), index=True)
    created_at: Mapped[dt.datetime] = mapped_column(default=utc_now)
    last_seen_at: Mapped[dt.datetime] = mapped_column(default=utc_now)
    expires_at: Mapped[dt.datetime]


class DirectoryProfile(Base):
    """What a mediator chose to show in the public directory (/annuaire). Listed only while
    `opted_in`; leaving clears the texts at once. The skills shown are never stored here:
    they are read from the person's verified badges each time the directory is built."""

    __tablename__ = "directory_profiles"

    recipient_id: Mapped[str] = mapped_column(ForeignKey("recipients.id"), primary_key=True)
    opted_in: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    display_name: Mapped[str] = mapped_column(String(120), default="", server_default="")
    sector: Mapped[str | None] = mapped_column(String(32), index=True)
    organisation: Mapped[str | None] = mapped_column(String(200))
    description: Mapped[str | None] = mapped_column(Text)
    contact_url: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[dt.datetime] = mapped_column(default=utc_now)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utc_now)
