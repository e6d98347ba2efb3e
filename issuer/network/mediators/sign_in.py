"""Signing in to "Mon espace" without a password (issue #5, items 6 and 7): a one-time link
sent by e-mail, then a session of its own (never an /admin session).

Why each rule:
- **No account enumeration** (OWASP Authentication Cheat Sheet, "Authentication and Error
  Messages"): every well-formed address gets the same answer. The answer is given first
  (`record_sign_in_request`); the look-up, the token and the e-mail come afterwards
  (`send_sign_in_link`, run as a background task), so not even the response time depends on
  whether the address is known. The limits count every request, known address or not, so
  they reveal nothing either.
- **Tokens** (links and sessions) are 256-bit random values; the database keeps their SHA-256
  only. A link works once: it is spent by one conditional UPDATE, so two clicks racing each
  other cannot both open a session. Opening the link shows a button; only the POST spends it,
  so a mail scanner that follows links cannot use it up.
- **Limits** live in the database (`mediator_sign_in_requests`), so they hold across
  processes: `max_requests_per_address` per keyed hash of the address (protects a person's
  mailbox), `max_requests_per_client` per client address (protects the service).
- **Sessions** end after `idle_timeout` without use and at the latest `absolute_timeout`
  after sign-in, like /admin's: mediators often work on shared computers in public digital
  spaces (OWASP Session Management Cheat Sheet).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING
from urllib.parse import quote

from sqlalchemy import delete, func, select, text, update
from sqlalchemy.orm import Session

from issuer.network.mediators.errors import SignInLinkInvalid, TooManyRequests
from issuer.network.mediators.mail import queue_sign_in_link
from issuer.openbadges.credential import normalise_email
from issuer.storage.audit_log import record_audit
from issuer.storage.mediator_models import (
    DirectoryProfile,
    MediatorSession,
    MediatorSignInRequest,
    MediatorSignInToken,
)
from issuer.storage.models import IssuedCredential, Recipient, utc_now
from issuer.tokens import new_token, token_digest

if TYPE_CHECKING:
    from issuer.issuance.service import IssuerService

#: The actor named in the audit trail for what a mediator does in their space (the subject is
#: their pseudonymous recipient id; never their address or name).
MEDIATOR_ACTOR = "mediator"
ANONYMOUS_ACTOR = "anonymous"
SPACE_PATH = "/espace"
SIGN_IN_LINK_PATH = "/espace/lien"


@dataclass(frozen=True)
class SignInPolicy:
    link_lifetime: timedelta = timedelta(minutes=20)
    idle_timeout: timedelta = timedelta(hours=2)
    absolute_timeout: timedelta = timedelta(hours=12)
    # A session's last use is written at most this often (a page view stays a read).
    touch_interval: timedelta = timedelta(minutes=1)
    request_window: timedelta = timedelta(minutes=15)
    max_requests_per_address: int = 3
    max_requests_per_client: int = 20
    # Requests, used or expired links: kept this long after the fact, then deleted.
    kept: timedelta = timedelta(days=1)


POLICY = SignInPolicy()


# --- links -----------------------------------------------------------------------------------

def sign_in_link_url(base_url: str, token: str) -> str:
    return f"{base_url.rstrip('/')}{SIGN_IN_LINK_PATH}/{quote(token, safe='')}"


def _seconds_until(moment: datetime, now: datetime) -> int:
    return max(1, int((moment - now).total_seconds() + 0.999))


# --- asking for a link -----------------------------------------------------------------------

def record_sign_in_request(service: IssuerService, email: str, *, origin: str | None,
                           now: datetime | None = None, policy: SignInPolicy = POLICY) -> str:
    """Count one request for a sign-in link and apply the limits, whether or not the address
    is known. Returns the normalised address, to hand to `send_sign_in_link` once the (neutral)
    answer has been sent. Raises `InvalidInput` for a malformed address and `TooManyRequests`
    past a limit (a refused request is not counted: waiting `retry_after` always works)."""
    address = normalise_email(email)
    address_key = service.email_lookup_key(address)
    now = now or utc_now()
    since = now - policy.request_window
    with service.database.session() as session:
        _serialise_requests(session, address_key, origin)
        if origin is not None:
            count, first = session.execute(
                select(func.count(), func.min(MediatorSignInRequest.requested_at)).where(
                    MediatorSignInRequest.origin == origin,
                    MediatorSignInRequest.requested_at > since)).one()
            if count >= policy.max_requests_per_client:
                raise TooManyRequests(_seconds_until(first + policy.request_window, now),
                                      per_client=True)
        count, first = session.execute(
            select(func.count(), func.min(MediatorSignInRequest.requested_at)).where(
                MediatorSignInRequest.address_key == address_key,
                MediatorSignInRequest.requested_at > since)).one()
        if count >= policy.max_requests_per_address:
            raise TooManyRequests(_seconds_until(first + policy.request_window, now),
                                  per_client=False)
        session.add(MediatorSignInRequest(address_key=address_key, origin=origin,
                                          requested_at=now))
        session.execute(delete(MediatorSignInRequest).where(
            MediatorSignInRequest.requested_at < now - max(policy.kept, policy.request_window)))
    return address


def _serialise_requests(session: Session, address_key: str, origin: str | None) -> None:
    """Count-then-insert is only exact one transaction at a time. SQLite's write transaction
    already holds the database; on PostgreSQL (several workers or hosts) two requests for the
    same address or client, counted at the same instant, would both see room for one more:
    they queue here on transaction-scoped advisory locks, always taken in the same order."""
    if session.get_bind().dialect.name != "postgresql":
        return
    for key in sorted({f"sign-in:{address_key}", *([f"sign-in:{origin}"] if origin else [])}):
        session.execute(text("SELECT pg_advisory_xact_lock(hashtextextended(:key, 0))"),
                        {"key": key})


def send_sign_in_link(service: IssuerService, address: str, *, locale: str = "fr",
                      origin: str | None = None, now: datetime | None = None,
                      policy: SignInPolicy = POLICY) -> str | None:
    """If badges were issued to `address`, create a one-time link, queue its e-mail and
    deliver it (SMTP, or the outbox folder). Returns the e-mail's id, or None when the address
    is unknown (or its person's data was erased). Run it after answering (a background task):
    it may wait for the SMTP server, and the answer must not depend on its outcome."""
    from issuer.mail import deliver_pending

    now = now or utc_now()
    address_key = service.email_lookup_key(address)
    with service.database.session() as session:
        recipient = session.scalar(select(Recipient).where(Recipient.email_hash_key == address_key))
        if recipient is None or recipient.erased_at is not None or not recipient.email:
            return None
        has_badge = session.scalar(select(func.count()).select_from(IssuedCredential).where(
            IssuedCredential.recipient_id == recipient.id, IssuedCredential.credential_json != ""))
        if not has_badge:
            return None
        token = new_token()
        expires_at = now + policy.link_lifetime
        session.add(MediatorSignInToken(token_hash=token_digest(token), recipient_id=recipient.id,
                                        created_at=now, expires_at=expires_at))
        session.execute(delete(MediatorSignInToken).where(
            MediatorSignInToken.expires_at < now - policy.kept))
        row = queue_sign_in_link(service, session, recipient_id=recipient.id,
                                 to=recipient.email, display_name=recipient.display_name,
                                 link=sign_in_link_url(service.settings.base_url, token),
                                 expires_at=expires_at, valid_for=policy.link_lifetime,
                                 locale=locale, origin=origin)
        record_audit(session, actor=ANONYMOUS_ACTOR, action="mediator.sign_in_link_sent",
                     subject=recipient.id, details={"message": row.id}, origin=origin)
        message_id = row.id
    deliver_pending(service)
    return message_id


# --- opening a link, sessions ----------------------------------------------------------------

def sign_in_link_is_valid(service: IssuerService, token: str, *,
                          now: datetime | None = None) -> bool:
    """Whether the link would open a session now (the confirmation page asks before using it:
    mail scanners that follow links must not spend it)."""
    now = now or utc_now()
    with service.database.session(read_only=True) as session:
        row = session.get(MediatorSignInToken, token_digest(token))
        return row is not None and row.used_at is None and row.expires_at > now


def open_sign_in_link(service: IssuerService, token: str, *, origin: str | None = None,
                      now: datetime | None = None, policy: SignInPolicy = POLICY) -> str:
    """Spend a sign-in link and open a session; returns the session token for the cookie
    (never stored). `SignInLinkInvalid` when the link is unknown, used, expired, or its
    person's data was erased."""
    now = now or utc_now()
    digest = token_digest(token)
    with service.database.session() as session:
        spent = session.execute(
            update(MediatorSignInToken)
            .where(MediatorSignInToken.token_hash == digest, MediatorSignInToken.used_at.is_(None),
                   MediatorSignInToken.expires_at > now)
            .values(used_at=now).execution_options(synchronize_session=False))
        row = session.get(MediatorSignInToken, digest) if spent.rowcount == 1 else None  # type: ignore[attr-defined]
        recipient = session.get(Recipient, row.recipient_id) if row is not None else None
        if recipient is None or recipient.erased_at is not None:
            raise SignInLinkInvalid()
        session_token = new_token()
        session.add(MediatorSession(token_hash=token_digest(session_token),
                                    recipient_id=recipient.id, created_at=now, last_seen_at=now,
                                    expires_at=now + policy.absolute_timeout))
        session.execute(delete(MediatorSession).where(MediatorSession.expires_at <= now))
        record_audit(session, actor=MEDIATOR_ACTOR, action="mediator.signed_in",
                     subject=recipient.id, origin=origin)
    return session_token


def session_recipient_id(service: IssuerService, token: str | None, *,
                         now: datetime | None = None,
                         policy: SignInPolicy = POLICY) -> str | None:
    """The recipient id of a live session, or None (unknown, idle too long, past its end,
    person erased). Using a session keeps it alive."""
    if not token:
        return None
    now = now or utc_now()
    digest = token_digest(token)
    with service.database.session(read_only=True) as session:
        row = session.get(MediatorSession, digest)
        if row is None:
            return None
        recipient = session.get(Recipient, row.recipient_id)
        live = (row.expires_at > now and row.last_seen_at + policy.idle_timeout > now
                and recipient is not None and recipient.erased_at is None)
        stale = now - row.last_seen_at >= policy.touch_interval
        recipient_id = row.recipient_id
    if not live:
        end_session(service, token)
        return None
    if stale:
        with service.database.session() as session:
            current = session.get(MediatorSession, digest)
            if current is not None:
                current.last_seen_at = now
    return recipient_id


def end_session(service: IssuerService, token: str | None, *, audit: bool = False,
                origin: str | None = None) -> None:
    """Sign out: the session stops working at once (audited when `audit`)."""
    if not token:
        return
    with service.database.session() as session:
        row = session.get(MediatorSession, token_digest(token))
        if row is None:
            return
        if audit:
            record_audit(session, actor=MEDIATOR_ACTOR, action="mediator.signed_out",
                         subject=row.recipient_id, origin=origin)
        session.delete(row)


def forget_recipient(session: Session, recipient_id: str) -> None:
    """GDPR erasure: delete this person's sign-in links, sessions and directory profile (for
    issuer.workspace.recipient_erasure, in its transaction)."""
    for table in (MediatorSignInToken, MediatorSession):
        session.execute(delete(table).where(table.recipient_id == recipient_id))
    session.execute(delete(DirectoryProfile).where(DirectoryProfile.recipient_id == recipient_id))


