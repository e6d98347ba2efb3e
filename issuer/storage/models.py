"""The issuer's tables, as SQLAlchemy 2.x typed ORM classes.

The Alembic migrations in `migrations/versions/` are the source of truth for the schema (the
application never calls `create_all`); these classes must describe the same tables, and
`tests/test_storage.py` checks that they do.

Every timestamp is stored and returned as an aware UTC `datetime` (see `UTCDateTime`): SQLite
has no time-zone type, and mixing naive and aware values is how local-time bugs enter
`validFrom` / `validUntil`.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    Dialect,
    ForeignKey,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
    event,
    false,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship
from sqlalchemy.types import TypeDecorator

# Deterministic constraint names, so that migrations can name (and later drop or alter)
# every constraint identically on SQLite and PostgreSQL.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

#: What a status list's indices belong to (`StatusList.kind`).
STATUS_LIST_KINDS = ("credentials", "endorsements", "holder_copies")

#: Bitstring Status List v1.0 §6.1 (herd privacy): a list has at least 131,072 entries.
MIN_STATUS_LIST_LENGTH = 131_072


def utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class UTCDateTime(TypeDecorator[dt.datetime]):
    """A timestamp that is always an aware UTC `datetime` in Python.

    PostgreSQL stores it as `timestamptz`; SQLite as ISO text without offset, in UTC. Naive
    values are refused on the way in rather than guessed.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: Dialect) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError(f"naive datetime refused (give a time zone): {value!r}")
        value = value.astimezone(dt.UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(
        self, value: dt.datetime | None, dialect: Dialect
    ) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=dt.UTC)
        return value.astimezone(dt.UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {dt.datetime: UTCDateTime()}  # noqa: RUF012 - read by SQLAlchemy


class Recipient(Base):
    """A person who received at least one badge.

    `email_hash_key` (HMAC-SHA256 of the normalised e-mail under a server secret, computed by
    the service) finds a person again without storing or scanning e-mails. `subject_id` is the
    pseudonymous `urn:uuid:` written as `credentialSubject.id`; `identity_salt` salts the hashed
    e-mail (`IdentityObject`) inside their credentials. On GDPR erasure, `email`,
    `display_name` and `email_hash_key` are cleared and `erased_at` set; the credentials stay
    (they are the person's own, and their status must stay publishable).
    """

    __tablename__ = "recipients"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    email_hash_key: Mapped[str | None] = mapped_column(String(64), unique=True)
    email: Mapped[str | None] = mapped_column(String)
    display_name: Mapped[str | None] = mapped_column(String)
    show_name: Mapped[bool] = mapped_column(Boolean, server_default=false(), default=False)
    subject_id: Mapped[str] = mapped_column(String, unique=True)
    identity_salt: Mapped[str] = mapped_column(String)
    created_at: Mapped[dt.datetime] = mapped_column(default=utc_now)
    erased_at: Mapped[dt.datetime | None]
    # The recipient asked for their badge pages to be listed by search engines (else noindex).
    indexable: Mapped[bool] = mapped_column(Boolean, server_default=false(), default=False)

    credentials: Mapped[list[IssuedCredential]] = relationship(
        back_populates="recipient", order_by="IssuedCredential.issued_at"
    )


class StatusList(Base):
    """One Bitstring Status List. Each credential owns one index in it, published twice:
    `/status/<id>/revocation` and `/status/<id>/suspension` (bits derived from
    `issued_credentials`). `full` is set once every index is used."""

    __tablename__ = "status_lists"
    __table_args__ = (
        # Bitstring Status List §4.2 encodes whole bytes. The 131,072 minimum is enforced by
        # the code that opens lists, not here, so that tests can use tiny lists.
        CheckConstraint("length > 0 AND length % 8 = 0", name="length_whole_bytes"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    length: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[dt.datetime] = mapped_column(default=utc_now)
    full: Mapped[bool] = mapped_column(Boolean, server_default=false(), default=False)
    # Whose indices it holds: "credentials" (issued_credentials), "endorsements" (peer
    # endorsements, issuer.storage.endorsement_models) or "holder_copies" (holder-bound copies,
    # issuer.storage.wallet_models). A list never mixes two tables.
    kind: Mapped[str] = mapped_column(String(16), default=STATUS_LIST_KINDS[0],
                                      server_default=STATUS_LIST_KINDS[0], index=True)


class IssuedCredential(Base):
    """One issued OpenBadgeCredential, stored exactly as signed.

    `credential_json` and `credential_jwt` are the signed forms as text, byte for byte as
    issued: never parse and re-serialise them (a Data Integrity proof covers the canonical
    form, but holders and verifiers compare what they were given). `(status_list_id,
    status_index)` is unique: that constraint is what makes slot allocation safe under
    concurrency (see `credential_rows.reserve_credential_row`).
    """

    __tablename__ = "issued_credentials"
    __table_args__ = (UniqueConstraint("status_list_id", "status_index"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    recipient_id: Mapped[str] = mapped_column(ForeignKey("recipients.id"), index=True)
    badge_slug: Mapped[str] = mapped_column(String, index=True)
    achievement_id: Mapped[str] = mapped_column(String)
    event_number: Mapped[int | None] = mapped_column(Integer)
    role: Mapped[str | None] = mapped_column(String)
    idempotency_key: Mapped[str] = mapped_column(String(64), unique=True)
    credential_json: Mapped[str] = mapped_column(Text)
    credential_jwt: Mapped[str] = mapped_column(Text)
    issued_at: Mapped[dt.datetime]
    valid_from: Mapped[dt.datetime]
    valid_until: Mapped[dt.datetime | None]
    status_list_id: Mapped[int] = mapped_column(ForeignKey("status_lists.id"))
    status_index: Mapped[int] = mapped_column(Integer)
    revoked_at: Mapped[dt.datetime | None]
    revocation_reason: Mapped[str | None] = mapped_column(Text)
    suspended: Mapped[bool] = mapped_column(Boolean, server_default=false(), default=False)
    suspended_at: Mapped[dt.datetime | None]
    superseded_by: Mapped[str | None] = mapped_column(ForeignKey("issued_credentials.id"))

    recipient: Mapped[Recipient] = relationship(back_populates="credentials")
    status_list: Mapped[StatusList] = relationship()

    @property
    def is_signed(self) -> bool:
        """False while the row only holds its reserved slot (placeholders), before signing."""
        return bool(self.credential_json) and bool(self.credential_jwt)

    def attach_signed_forms(self, *, credential_json: str, credential_jwt: str) -> None:
        """Store the two signed forms, as the exact text that was handed to the holder."""
        check_signed_forms(credential_json, credential_jwt)
        self.credential_json = credential_json
        self.credential_jwt = credential_jwt


def check_signed_forms(credential_json: str, credential_jwt: str) -> None:
    """Both signed forms are non-empty text (`IssuedCredential.attach_signed_forms`)."""
    if not isinstance(credential_json, str) or not credential_json:
        raise TypeError("credential_json must be the non-empty signed JSON text")
    if not isinstance(credential_jwt, str) or not credential_jwt:
        raise TypeError("credential_jwt must be the non-empty compact JWT")


class SigningKey(Base):
    """An issuer key published in the DID document. A rotated key gets `retired_at`: it no
    longer signs but stays published so that what it signed still verifies."""

    __tablename__ = "signing_keys"
    __table_args__ = (
        CheckConstraint("algorithm IN ('Ed25519', 'RSA')", name="algorithm_known"),
    )

    kid: Mapped[str] = mapped_column(String, primary_key=True)  # DID URL fragment: key-ed25519-1
    algorithm: Mapped[str] = mapped_column(String(16))
    public_jwk: Mapped[str] = mapped_column(Text)  # JSON text
    public_multibase: Mapped[str | None] = mapped_column(String)
    created_at: Mapped[dt.datetime] = mapped_column(default=utc_now)
    retired_at: Mapped[dt.datetime | None]
    file_name: Mapped[str] = mapped_column(String)


class Achievement(Base):
    """The published Achievement document of a badge (`json` is the text served as is)."""

    __tablename__ = "achievements"

    id: Mapped[str] = mapped_column(String, primary_key=True)  # the Achievement's URI
    badge_slug: Mapped[str] = mapped_column(String, index=True)
    json: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utc_now, onupdate=utc_now)


class Event(Base):
    """An edition of a recurring event (e.g. Petit-déjeuner de l'inclusion numérique #7),
    seeded from the catalogue by the service."""

    __tablename__ = "events"

    family: Mapped[str] = mapped_column(String, primary_key=True)
    number: Mapped[int] = mapped_column(Integer, primary_key=True)
    date: Mapped[dt.date] = mapped_column(Date)
    theme_fr: Mapped[str] = mapped_column(Text)
    theme_en: Mapped[str] = mapped_column(Text)
    venue: Mapped[str | None] = mapped_column(Text)


class AuditEntry(Base):
    """One line of the append-only audit log. `subject` and `details` name people only by
    pseudonymous ids, never by e-mail or name (they outlive a GDPR erasure)."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    at: Mapped[dt.datetime] = mapped_column(default=utc_now, index=True)
    actor: Mapped[str] = mapped_column(String)
    action: Mapped[str] = mapped_column(String)
    subject: Mapped[str] = mapped_column(String)
    details_json: Mapped[str | None] = mapped_column("details", Text)
    origin: Mapped[str | None] = mapped_column(String)  # client address, when a person acted

    @property
    def details(self) -> dict[str, Any] | None:
        return None if self.details_json is None else json.loads(self.details_json)


@event.listens_for(AuditEntry, "before_update")
@event.listens_for(AuditEntry, "before_delete")
def _refuse_audit_rewrite(mapper: Any, connection: Any, target: AuditEntry) -> None:
    raise PermissionError("the audit log is append-only")


# The workspace tables share this metadata (imported last: they build on the classes above).
# isort: off
from issuer.storage import workspace_models  # noqa: E402,F401
from issuer.storage import skills_models  # noqa: E402,F401
from issuer.storage import skill_badge_models  # noqa: E402,F401
from issuer.storage import mediator_models  # noqa: E402,F401
from issuer.storage import endorsement_models  # noqa: E402,F401
from issuer.storage import exchange_models  # noqa: E402,F401
from issuer.storage import wallet_models  # noqa: E402,F401
from issuer.storage import presentation_models  # noqa: E402,F401
from issuer.storage import offer_models  # noqa: E402,F401
from issuer.storage import status_bit_indexes  # noqa: E402,F401
from issuer.storage import rate_limit_models  # noqa: E402,F401
# isort: on
