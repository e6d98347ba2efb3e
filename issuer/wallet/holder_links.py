"""The one-time holder link (issue #12, item 1): how a person proves they hold a badge before
a wallet receives it, without an account.

The link goes only to the address the badge was sent to: in the badge e-mail itself
(`issuer.mail`), or when someone on the badge page says "C'est mon badge". Whoever can read
that mailbox is the holder, as far as this service can tell.

Why each rule (the same as "Mon espace" sign-in links, issuer.network.mediators.sign_in):
- **Tokens** are 256-bit random values; the database keeps their SHA-256 only
  (issuer.tokens). Nothing in the link names a person or a badge.
- **One use**: a link is spent by one conditional UPDATE (two clicks racing cannot both open
  an access); opening it shows a button, only the POST spends it, so a mail scanner that
  follows links does not use it up.
- **Short lives**: a link works `link_lifetime` (a few days: the badge e-mail may be read
  late); what it opens, a *holder access* for this one badge in this browser, lasts
  `access_lifetime` (enough to scan a QR code and accept in the wallet).
- **No disclosure**: "C'est mon badge" answers the same whatever happens next (the badge
  page already says the badge exists; the address is never shown), and the look-up, the
  token and the e-mail come after the answer (a background task).
- **Limits** live in the database (`wallet_link_requests`), so they hold across processes:
  `max_requests_per_badge` protects the holder's mailbox, `max_requests_per_client` the
  service.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING
from urllib.parse import quote

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from issuer.storage.audit_log import record_audit
from issuer.storage.exchange_models import (
    WalletExchange,
    WalletHolderAccess,
    WalletHolderLink,
    WalletLinkRequest,
)
from issuer.storage.models import IssuedCredential, utc_now
from issuer.tokens import new_token, token_digest
from issuer.wallet.errors import TooManyLinkRequests, holder_link_invalid

if TYPE_CHECKING:
    from issuer.issuance.service import IssuerService

HOLDER_LINK_PATH = "/portefeuille/lien"
HOLDER_ACTOR = "holder"
ANONYMOUS_ACTOR = "anonymous"


@dataclass(frozen=True)
class HolderLinkPolicy:
    link_lifetime: timedelta = timedelta(days=5)
    access_lifetime: timedelta = timedelta(minutes=30)
    request_window: timedelta = timedelta(hours=1)
    max_requests_per_badge: int = 3
    max_requests_per_client: int = 10
    # Requests, used or expired links and accesses: kept this long after the fact.
    kept: timedelta = timedelta(days=1)


POLICY = HolderLinkPolicy()
LINK_DAYS = POLICY.link_lifetime.days
"""What pages and e-mails say of a holder link's life ("5 days")."""


def holder_link_url(base_url: str, token: str) -> str:
    return f"{base_url.rstrip('/')}{HOLDER_LINK_PATH}/{quote(token, safe='')}"


def _seconds_until(moment: datetime, now: datetime) -> int:
    return max(1, int((moment - now).total_seconds() + 0.999))


def deliverable_badge(session: Session, credential_id: str) -> IssuedCredential | None:
    """The badge when a wallet may receive it now: signed, neither revoked nor suspended, its
    holder's data not erased. None otherwise."""
    row = session.get(IssuedCredential, credential_id)
    if row is None or not row.is_signed or row.revoked_at is not None or row.suspended:
        return None
    recipient = row.recipient
    if recipient is None or recipient.erased_at is not None:
        return None
    return row


# --- making a link ---------------------------------------------------------------------------

def create_holder_link(session: Session, credential_id: str, *, now: datetime | None = None,
                       policy: HolderLinkPolicy = POLICY) -> tuple[str, datetime]:
    """A new one-time link for this badge, in `session` (the caller's transaction: the badge
    e-mail's, or `send_holder_link`'s). Returns (token, end of validity); the token is the
    only clear copy: put it in the e-mail, never in a log."""
    now = now or utc_now()
    token = new_token()
    expires_at = now + policy.link_lifetime
    session.add(WalletHolderLink(token_hash=token_digest(token), credential_id=credential_id,
                                 created_at=now, expires_at=expires_at))
    session.execute(delete(WalletHolderLink).where(
        WalletHolderLink.expires_at < now - policy.kept))
    return token, expires_at


def record_link_request(service: IssuerService, credential_id: str, *, origin: str | None,
                        now: datetime | None = None,
                        policy: HolderLinkPolicy = POLICY) -> None:
    """Count one "C'est mon badge" request and apply the limits, whatever happens next.
    `TooManyLinkRequests` past a limit (a refused request is not counted)."""
    now = now or utc_now()
    since = now - policy.request_window
    with service.database.session() as session:
        if origin is not None:
            count, first = session.execute(
                select(func.count(), func.min(WalletLinkRequest.requested_at)).where(
                    WalletLinkRequest.origin == origin,
                    WalletLinkRequest.requested_at > since)).one()
            if count >= policy.max_requests_per_client:
                raise TooManyLinkRequests(_seconds_until(first + policy.request_window, now),
                                          per_client=True)
        count, first = session.execute(
            select(func.count(), func.min(WalletLinkRequest.requested_at)).where(
                WalletLinkRequest.credential_id == credential_id,
                WalletLinkRequest.requested_at > since)).one()
        if count >= policy.max_requests_per_badge:
            raise TooManyLinkRequests(_seconds_until(first + policy.request_window, now),
                                      per_client=False)
        session.add(WalletLinkRequest(credential_id=credential_id, origin=origin,
                                      requested_at=now))
        session.execute(delete(WalletLinkRequest).where(
            WalletLinkRequest.requested_at < now - max(policy.kept, policy.request_window)))


# --- opening a link, holder access -----------------------------------------------------------

def holder_link_is_valid(service: IssuerService, token: str, *,
                         now: datetime | None = None) -> bool:
    """Whether the link would open an access now (the page asks before spending it)."""
    now = now or utc_now()
    with service.database.session(read_only=True) as session:
        row = session.get(WalletHolderLink, token_digest(token))
        return (row is not None and row.used_at is None and row.expires_at > now
                and deliverable_badge(session, row.credential_id) is not None)


def open_holder_link(service: IssuerService, token: str, *, origin: str | None = None,
                     now: datetime | None = None,
                     policy: HolderLinkPolicy = POLICY) -> tuple[str, str]:
    """Spend a holder link and open a holder access for its badge. Returns (access token for
    the cookie, credential id). `WalletError` (wallet.holder_link_invalid) when the link is
    unknown, used, expired, or its badge can no longer go to a wallet."""
    now = now or utc_now()
    digest = token_digest(token)
    with service.database.session() as session:
        spent = session.execute(
            update(WalletHolderLink)
            .where(WalletHolderLink.token_hash == digest, WalletHolderLink.used_at.is_(None),
                   WalletHolderLink.expires_at > now)
            .values(used_at=now).execution_options(synchronize_session=False))
        link = session.get(WalletHolderLink, digest) if spent.rowcount == 1 else None  # type: ignore[attr-defined]
        badge = deliverable_badge(session, link.credential_id) if link is not None else None
        if link is None or badge is None:
            raise holder_link_invalid(policy.link_lifetime.days)
        access = new_token()
        session.add(WalletHolderAccess(token_hash=token_digest(access),
                                       credential_id=badge.id, created_at=now,
                                       expires_at=now + policy.access_lifetime))
        session.execute(delete(WalletHolderAccess).where(
            WalletHolderAccess.expires_at < now - policy.kept))
        record_audit(session, actor=HOLDER_ACTOR, action="wallet.holder_link_opened",
                     subject=badge.recipient_id, details={"credential": badge.id},
                     origin=origin)
        return access, badge.id


def access_credential(service: IssuerService, access_token: str | None, *,
                      now: datetime | None = None) -> str | None:
    """The badge a holder access (the cookie's token) opens now, or None."""
    if not access_token:
        return None
    now = now or utc_now()
    with service.database.session(read_only=True) as session:
        row = session.get(WalletHolderAccess, token_digest(access_token))
        if row is None or row.expires_at <= now:
            return None
        return row.credential_id


def forget_recipient(session: Session, recipient_id: str) -> None:
    """GDPR erasure: delete this person's holder links, accesses, requests and exchanges (for
    issuer.workspace.recipient_erasure, in its transaction)."""
    credential_ids = select(IssuedCredential.id).where(
        IssuedCredential.recipient_id == recipient_id).scalar_subquery()
    for table in (WalletHolderLink, WalletHolderAccess, WalletLinkRequest):
        session.execute(delete(table).where(table.credential_id.in_(credential_ids)))
    session.execute(delete(WalletExchange).where(WalletExchange.recipient_id == recipient_id))


def badge_holder(service: IssuerService, credential_id: str) -> str | None:
    """The recipient id of the badge's holder when the badge may go to a wallet now, else
    None (unknown, revoked, suspended, erased)."""
    with service.database.session(read_only=True) as session:
        row = deliverable_badge(session, credential_id)
        return row.recipient_id if row is not None else None
