"""Tables of the coordinator's workspace (issue #4): accounts and sessions, events'
attendance and self-claims, the CLN member registry, e-mail delivery.

Kept apart from `models.py` (the issuing core) so each area stays short; both share `Base`
and the same metadata, and `migrations/versions/0002_workspace.py` creates these tables.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    ForeignKeyConstraint,
    Integer,
    String,
    Text,
    UniqueConstraint,
    false,
)
from sqlalchemy.orm import Mapped, mapped_column

from issuer.storage.models import Base, utc_now

USER_ROLES = ("administrator", "coordinator")
CLAIM_STATUSES = ("pending", "approved", "rejected")
MEMBER_STATUSES = ("active", "ended", "resigned")
MAIL_STATUSES = ("queued", "sent", "failed", "outbox")


class User(Base):
    """A person who works in /admin. `password_hash` is Argon2id (argon2-cffi); it is empty
    until an invited coordinator chooses a password. Invitation tokens are stored hashed."""

    __tablename__ = "users"
    __table_args__ = (CheckConstraint("role IN ('administrator', 'coordinator')", name="role_known"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    email: Mapped[str] = mapped_column(String, unique=True)  # normalised (lower case)
    display_name: Mapped[str] = mapped_column(String)
    role: Mapped[str] = mapped_column(String(16))
    password_hash: Mapped[str | None] = mapped_column(String)
    invitation_token_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    invitation_expires_at: Mapped[dt.datetime | None]
    invited_by: Mapped[str | None] = mapped_column(ForeignKey("users.id"))
    # Failed sign-ins and the owner's alert (issuer.workspace.sign_in_throttle): the last failure on
    # this account from any client, and when the owner was last told by e-mail.
    last_failed_login_at: Mapped[dt.datetime | None]
    sign_in_alert_at: Mapped[dt.datetime | None]
    last_login_at: Mapped[dt.datetime | None]
    disabled_at: Mapped[dt.datetime | None]
    created_at: Mapped[dt.datetime] = mapped_column(default=utc_now)


class UserSession(Base):
    """A signed-in browser. The cookie holds a random token; only its SHA-256 is stored."""

    __tablename__ = "user_sessions"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id"), index=True)
    created_at: Mapped[dt.datetime] = mapped_column(default=utc_now)
    last_seen_at: Mapped[dt.datetime] = mapped_column(default=utc_now)
    expires_at: Mapped[dt.datetime]
    origin: Mapped[str | None] = mapped_column(String)  # client address at sign-in
    user_agent: Mapped[str | None] = mapped_column(String)


class LoginAttempt(Base):
    """Password checks, counted by the sign-in throttle across processes. Written before the
    hash as a failure and turned into a success after it (issuer.workspace.accounts). `origin` is the
    client as the throttle counts it (an address, or an IPv6 /64)."""

    __tablename__ = "login_attempts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    email: Mapped[str] = mapped_column(String, index=True)
    origin: Mapped[str | None] = mapped_column(String, index=True)
    at: Mapped[dt.datetime] = mapped_column(default=utc_now, index=True)
    succeeded: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())


class SignInThrottle(Base):
    """The failures of one client on one typed e-mail address (account or not), and when a
    refusal of that client was last audited. The row whose `email` is empty (ANY_ACCOUNT)
    belongs to the client itself: its last failure on any account, its last audited refusal.
    Rows are locked (SELECT ... FOR UPDATE) while an attempt is charged, so concurrent
    attempts of one client are counted one after the other on PostgreSQL too."""

    __tablename__ = "sign_in_throttles"

    email: Mapped[str] = mapped_column(String, primary_key=True)
    client: Mapped[str] = mapped_column(String, primary_key=True)
    failures: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    last_failure_at: Mapped[dt.datetime | None]
    refused_at: Mapped[dt.datetime | None]
    updated_at: Mapped[dt.datetime] = mapped_column(default=utc_now, index=True)


#: The `email` of a client's own row of `sign_in_throttles`.
ANY_ACCOUNT = ""


class EventSchedule(Base):
    """What the workspace adds to an event of `events` (keyed by family and number): its
    title for events that are not catalogue editions (CLN sessions, workshops), the badge its
    attendees receive, and the self-claim window (the QR code's token is stored hashed)."""

    __tablename__ = "event_schedules"
    __table_args__ = (
        ForeignKeyConstraint(["family", "number"], ["events.family", "events.number"]),
    )

    family: Mapped[str] = mapped_column(String, primary_key=True)
    number: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(32))  # petit-dejeuner / cln-session / workshop
    title_fr: Mapped[str | None] = mapped_column(Text)
    title_en: Mapped[str | None] = mapped_column(Text)
    badge_slug: Mapped[str | None] = mapped_column(String)
    claim_token_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    claim_opens_at: Mapped[dt.datetime | None]
    claim_closes_at: Mapped[dt.datetime | None]
    created_by: Mapped[str | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[dt.datetime] = mapped_column(default=utc_now)


class Attendance(Base):
    """One person at one event in one role (from an upload, typed in, or an approved claim).
    Unique per event, e-mail and role: uploading a list twice adds nobody twice."""

    __tablename__ = "attendances"
    __table_args__ = (
        ForeignKeyConstraint(["event_family", "event_number"], ["events.family", "events.number"]),
        UniqueConstraint("event_family", "event_number", "email", "role"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    event_family: Mapped[str] = mapped_column(String)
    event_number: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String)
    email: Mapped[str] = mapped_column(String)  # normalised
    role: Mapped[str] = mapped_column(String)  # role slug of the event's badge
    show_name: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    source: Mapped[str] = mapped_column(String(16))  # upload / typed / claim
    credential_id: Mapped[str | None] = mapped_column(ForeignKey("issued_credentials.id"))
    created_by: Mapped[str | None] = mapped_column(String)
    created_at: Mapped[dt.datetime] = mapped_column(default=utc_now)


class ClaimRequest(Base):
    """A badge asked for by scanning the event's QR code; nothing is issued until a
    coordinator approves it."""

    __tablename__ = "claim_requests"
    __table_args__ = (
        ForeignKeyConstraint(["event_family", "event_number"], ["events.family", "events.number"]),
        CheckConstraint("status IN ('pending', 'approved', 'rejected')", name="status_known"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    event_family: Mapped[str] = mapped_column(String)
    event_number: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String)
    email: Mapped[str] = mapped_column(String)
    role: Mapped[str | None] = mapped_column(String)
    # The attendee agreed to show their name on the badge (asked on the claim form).
    show_name: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    status: Mapped[str] = mapped_column(String(16), default="pending", server_default="pending")
    origin: Mapped[str | None] = mapped_column(String)
    created_at: Mapped[dt.datetime] = mapped_column(default=utc_now)
    decided_at: Mapped[dt.datetime | None]
    decided_by: Mapped[str | None] = mapped_column(String)


class ClnMember(Base):
    """One mandate on the Conseil local du numérique. A renewal is a new row pointing at the
    one it renews; the membership badge of the mandate is `credential_id`."""

    __tablename__ = "cln_members"
    __table_args__ = (
        CheckConstraint("status IN ('active', 'ended', 'resigned')", name="status_known"),
        CheckConstraint("gender IS NULL OR gender IN ('femme', 'homme', 'sans_reponse')",
                        name="gender_known"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    name: Mapped[str] = mapped_column(String)
    email: Mapped[str] = mapped_column(String, index=True)  # normalised
    sector: Mapped[str | None] = mapped_column(String)  # Centre, Est, Ouest, Nord, Sud
    role: Mapped[str] = mapped_column(String)  # role slug of the membre-cln badge
    mandate_start: Mapped[dt.date] = mapped_column(Date)
    mandate_end: Mapped[dt.date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(16), default="active", server_default="active")
    renews: Mapped[str | None] = mapped_column(ForeignKey("cln_members.id"))
    credential_id: Mapped[str | None] = mapped_column(ForeignKey("issued_credentials.id"))
    alumni_credential_id: Mapped[str | None] = mapped_column(ForeignKey("issued_credentials.id"))
    ended_at: Mapped[dt.datetime | None]
    resignation_reason: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(default=utc_now)
    # For the parity of DEL-2025-0121 only (never in a badge): femme / homme / sans_reponse;
    # NULL on mandates recorded before the question was asked (migration 0014).
    gender: Mapped[str | None] = mapped_column(String(16))
    # When the person declared being 16 or over (residents aged 16+, DEL-2025-0121): a
    # declaration, not a birth date. NULL on mandates recorded before migration 0014.
    age_declared_at: Mapped[dt.datetime | None]


class EmailMessage(Base):
    """One e-mail to send (badge delivery, resend, invitation). `outbox` means written to the
    outbox folder because no SMTP server is configured."""

    __tablename__ = "email_messages"
    __table_args__ = (
        CheckConstraint("status IN ('queued', 'sent', 'failed', 'outbox')", name="status_known"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    kind: Mapped[str] = mapped_column(String(32))  # badge / invitation
    credential_id: Mapped[str | None] = mapped_column(ForeignKey("issued_credentials.id"), index=True)
    to_address: Mapped[str] = mapped_column(String)
    locale: Mapped[str] = mapped_column(String(8), default="fr", server_default="fr")
    subject: Mapped[str] = mapped_column(String)
    status: Mapped[str] = mapped_column(String(16), default="queued", server_default="queued")
    attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    last_error: Mapped[str | None] = mapped_column(Text)
    next_attempt_at: Mapped[dt.datetime | None]
    sent_at: Mapped[dt.datetime | None]
    outbox_file: Mapped[str | None] = mapped_column(String)
    created_at: Mapped[dt.datetime] = mapped_column(default=utc_now)
