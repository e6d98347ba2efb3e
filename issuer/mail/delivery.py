"""The e-mail queue: queue a message (a row of `email_messages`), deliver what is due, record
every outcome (row + audit line), retry temporary failures with exponential backoff.

Life of a message: `queued` → `sent` (the SMTP server took it) | `outbox` (no SMTP server
configured: written to var/outbox/ for the coordinator) | `failed`. A failed message with a
`next_attempt_at` is retried by `retry_due` (the `issuer mail retry` cron job); one without
(`next_attempt_at` NULL) is a bounce at submission or has used up its attempts: it waits for a
coordinator's resend.

Content. A badge e-mail is composed again from the database each time it is delivered (the
row stores no body: the text follows the current name and catalogue). An invitation holds a
one-time token that exists nowhere else, so its composed message is spooled at queue time to
var/mail-queue/<id>.eml (0600) and deleted once the message has left.

Concurrency (issue #14 item 1: several `issuer mail retry`, several workers or hosts on one
database). Each delivery first *claims* its row in its own short transaction: `SELECT ... FOR
UPDATE SKIP LOCKED` of the row while it is due (on PostgreSQL a row another process is claiming
is skipped at once, not waited for; SQLite's write transaction holds the whole database), then
attempts + 1 and next_attempt_at = now + the lease (`ISSUER_MAIL_CLAIM_LEASE_SECONDS`). Until
the lease runs out the row is not due, so no other run takes it. SMTP then runs outside any
transaction, and the outcome is written in a third one: a slow server never holds a database
lock. A sender killed between its claim and its record (`kill -9`, power cut) leaves the row
claimed; once the lease has passed the next run sends it.

Delivery is at least once, never exactly once: the SMTP server's "250 accepted" and our
"sent" commit are two systems, and a crash between them (the message accepted, the row not yet
written) cannot be told apart from a crash just before the server answered. Then the message
is sent again after the lease, the one case that gives a duplicate; losing it would be worse.
The lease keeps duplicates to that case: a live sender's claim is never taken over while it
works (the lease is far longer than the SMTP timeouts of one message).
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import and_, delete, func, or_, select, update
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from issuer.i18n import normalise_locale
from issuer.mail.compose import MailError, compose_badge_email, compose_invitation
from issuer.mail.transport import (
    DeliveryFailed,
    SmtpSettings,
    SmtpTransport,
    outbox_dir,
    smtp_configured,
    write_outbox,
)
from issuer.openbadges.credential import normalise_email
from issuer.settings import Settings
from issuer.storage.audit_log import record_audit
from issuer.storage.credential_rows import get_credential
from issuer.storage.models import utc_now
from issuer.storage.workspace_models import EmailMessage as MessageRow
from issuer.wallet.holder_links import LINK_DAYS, create_holder_link, holder_link_url

if TYPE_CHECKING:
    from issuer.issuance.service import IssuerService

logger = logging.getLogger(__name__)

KIND_BADGE = "badge"
KIND_INVITATION = "invitation"
SPOOL_FOLDER = "mail-queue"
RETRY_FIRST_DELAY = timedelta(minutes=5)
RETRY_MAX_DELAY = timedelta(hours=6)
#: 5, 10, 20 … minutes, then every 6 hours: about 40 hours of retries, then a person decides.
MAX_ATTEMPTS = 12


def retry_delay(attempts: int) -> timedelta:
    """Wait before the next try, after `attempts` failed ones (exponential, capped)."""
    factor: int = 2 ** min(max(attempts - 1, 0), 16)
    return min(RETRY_FIRST_DELAY * factor, RETRY_MAX_DELAY)


@dataclass
class DeliveryReport:
    """Message ids by outcome of one delivery run."""

    sent: list[str] = field(default_factory=list)
    outbox: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)

    @property
    def total(self) -> int:
        return len(self.sent) + len(self.outbox) + len(self.failed)


# --- queueing ----------------------------------------------------------------------------------

def _spool_path(service: IssuerService, message_id: str) -> Path:
    return service.settings.var_dir / SPOOL_FOLDER / f"{message_id}.eml"


def _audit_subject(row: MessageRow) -> str:
    # Pseudonymous ids only (never the address): the credential when there is one.
    return row.credential_id or row.id


def new_message_row(session: Session, *, kind: str, to: str, subject: str, locale: str,
                    credential_id: str | None, actor: str, origin: str | None,
                    audit_subject: str | None = None, resend: bool = False,
                    details: dict[str, Any] | None = None) -> MessageRow:
    """One queued e-mail: its row and its "email.queued" audit line (pseudonymous subject,
    never the address; `details` adds to the line). Every kind of e-mail is queued here, so
    the queue's columns and its audit trail have one definition."""
    row = MessageRow(id=str(uuid.uuid4()), kind=kind, credential_id=credential_id,
                     to_address=to, locale=normalise_locale(locale), subject=subject,
                     status="queued", attempts=0, created_at=utc_now())
    session.add(row)
    details = {"message": row.id, "kind": kind, **(details or {})}
    if resend:
        details["resend"] = True
    record_audit(session, actor=actor, action="email.queued",
                 subject=audit_subject or _audit_subject(row), details=details, origin=origin)
    session.flush()
    return row



def _signed_credential(session: Session, credential_id: str) -> Any:
    credential = get_credential(session, credential_id)
    if credential is None or not credential.is_signed:
        raise MailError(f"Aucun badge avec l'identifiant « {credential_id} ».",
                        f"No badge with id '{credential_id}'.", code="mail.no_such_badge")
    return credential


def _badge_message(service: IssuerService, session: Session, credential_id: str, *, to: str,
                   locale: str, leaving: bool = False) -> EmailMessage:
    """The badge e-mail as it would leave now; refuses revoked badges and erased people.
    `leaving`: the message is being sent, so it carries a fresh one-time holder link to add
    the badge to a wallet (issuer.wallet.holder_links; the e-mail is its only clear copy)."""
    credential = _signed_credential(session, credential_id)
    if credential.revoked_at is not None:
        raise MailError("Ce badge a été retiré : il n'est pas envoyé.",
                        "This badge was revoked: it is not sent.", code="mail.badge_revoked")
    if credential.recipient.erased_at is not None or not credential.recipient.email:
        raise MailError("Les données de cette personne ont été effacées : aucune adresse.",
                        "This person's data was erased: no address.", code="mail.no_address")
    wallet_url = None
    if leaving and not credential.suspended:
        token, _expires = create_holder_link(session, credential_id)
        wallet_url = holder_link_url(service.settings.base_url, token)
    return compose_badge_email(service.settings, service.catalogue, credential, to=to,
                               locale=locale, wallet_url=wallet_url,
                               wallet_days=LINK_DAYS if wallet_url else 0)


def queue_badge_email(service: IssuerService, session: Session, credential_id: str, *,
                      locale: str = "fr", actor: str = "cli",
                      origin: str | None = None) -> MessageRow:
    """Queue the delivery e-mail of an issued badge to its recipient, in `session` (the
    issuing transaction): it leaves with the next `deliver_pending`.

    Idempotent like issuance: when this badge already has a delivery e-mail (whatever its
    status, a bounce included), that row is returned and nothing is added: only a person
    sends a badge again (`resend`)."""
    existing = session.scalars(
        select(MessageRow).where(MessageRow.credential_id == credential_id,
                                 MessageRow.kind == KIND_BADGE)
        .order_by(MessageRow.created_at.desc()).limit(1)).first()
    if existing is not None:
        return existing
    return _queue_badge(service, session, credential_id, locale=locale, actor=actor,
                        origin=origin, resend=False)


def _queue_badge(service: IssuerService, session: Session, credential_id: str, *, locale: str,
                 actor: str, origin: str | None, resend: bool) -> MessageRow:
    credential = _signed_credential(session, credential_id)
    address = credential.recipient.email
    message = _badge_message(service, session, credential_id, to=address or "", locale=locale)
    return new_message_row(session, kind=KIND_BADGE, to=address,
                           subject=str(message["Subject"]), locale=locale,
                           credential_id=credential_id, actor=actor, origin=origin, resend=resend)


def queue_invitation(service: IssuerService, session: Session, *, to: str, display_name: str | None,
                     invitation_url: str, expires_at: datetime, role: str = "coordinator",
                     invited_by: str | None = None, user_id: str | None = None,
                     locale: str = "fr", actor: str = "cli",
                     origin: str | None = None) -> MessageRow:
    """Queue the invitation of a coordinator (see `compose.compose_invitation`). `user_id`
    names the invited account in the audit trail (the address never does)."""
    address = normalise_email(to)
    message = compose_invitation(service.settings, to=address, display_name=display_name,
                                 invitation_url=invitation_url, expires_at=expires_at, role=role,
                                 invited_by=invited_by, locale=locale)
    row = new_message_row(session, kind=KIND_INVITATION, to=address,
                          subject=str(message["Subject"]), locale=locale, credential_id=None,
                          actor=actor, origin=origin, audit_subject=user_id)
    write_outbox(_spool_path(service, row.id).parent, row.id, message)
    return row


# --- delivering --------------------------------------------------------------------------------

def _due(now: datetime, *, include_failed: bool) -> ColumnElement[bool]:
    queued = and_(MessageRow.status == "queued",
                  or_(MessageRow.next_attempt_at.is_(None), MessageRow.next_attempt_at <= now))
    if not include_failed:
        return queued
    return or_(queued, and_(MessageRow.status == "failed",
                            MessageRow.next_attempt_at.is_not(None),
                            MessageRow.next_attempt_at <= now))


def deliver_pending(service: IssuerService, *, limit: int | None = None, actor: str = "cli",
                    now: datetime | None = None) -> DeliveryReport:
    """Send the queued messages (oldest first). Call it after the issuing transaction has
    committed, never inside it."""
    return _deliver_due(service, include_failed=False, limit=limit, actor=actor, now=now)


def retry_due(service: IssuerService, *, limit: int | None = None, actor: str = "cli",
              now: datetime | None = None) -> DeliveryReport:
    """Send the queued messages and retry the failed ones whose next attempt is due."""
    return _deliver_due(service, include_failed=True, limit=limit, actor=actor, now=now)


def _deliver_due(service: IssuerService, *, include_failed: bool, limit: int | None, actor: str,
                 now: datetime | None) -> DeliveryReport:
    with service.database.session(read_only=True) as session:
        query = (select(MessageRow.id).where(_due(now or utc_now(),
                                                  include_failed=include_failed))
                 .order_by(MessageRow.created_at, MessageRow.id))
        if limit is not None:
            query = query.limit(limit)
        ids = list(session.scalars(query))
    return _deliver(service, ids, actor=actor, origin=None, now=now, force=False)


@dataclass(frozen=True)
class _Claimed:
    message_id: str
    kind: str
    to_address: str     # the envelope recipient: the row's, never read back from a header
    attempts: int
    message: EmailMessage | None
    problem: DeliveryFailed | None      # could not even be composed: no point retrying


def _claim(service: IssuerService, message_id: str, now: datetime, *,
           force: bool) -> _Claimed | None:
    with service.database.session() as session:
        # `force` (a person's "send again") takes a queued or failed message whatever its
        # next attempt time; were a cron run sending that very message at the same second,
        # it could leave twice, which is better than a resend button that silently does nothing.
        condition = (MessageRow.status.in_(("queued", "failed")) if force
                     else _due(now, include_failed=True))
        free = session.scalar(select(MessageRow.id).where(MessageRow.id == message_id, condition)
                              .with_for_update(skip_locked=True))
        if free is None:
            return None  # sent meanwhile, claimed by another process, or being claimed now
        lease = timedelta(seconds=service.settings.mail_claim_lease_seconds)
        session.execute(
            update(MessageRow).where(MessageRow.id == message_id)
            .values(attempts=MessageRow.attempts + 1, next_attempt_at=now + lease)
            .execution_options(synchronize_session=False))
        row = session.get(MessageRow, message_id, populate_existing=True)
        assert row is not None
        message: EmailMessage | None = None
        problem: DeliveryFailed | None = None
        try:
            message = _content(service, session, row)
        except MailError as error:
            problem = DeliveryFailed(error.message_fr, error.message_en,
                                     permanent=not _maybe_elsewhere(service, error),
                                     code=error.code)
        except Exception as error:  # a bug or a broken template: kept, retried, and logged
            logger.exception("could not compose e-mail %s", row.id)
            problem = DeliveryFailed(f"Message impossible à composer : {error!r}",
                                     f"Message could not be composed: {error!r}",
                                     permanent=False, code="mail.compose_failed")
        return _Claimed(row.id, row.kind, row.to_address, row.attempts, message, problem)


def _maybe_elsewhere(service: IssuerService, error: MailError) -> bool:
    """A spooled message this host does not have may be on the host that queued it, when
    several share the database (var/mail-queue/ is a local folder unless it is shared, see
    docs/DEPLOYMENT.md): retried later, by that host's run, rather than given up at once."""
    return error.code == "mail.content_missing" and service.database.shared_by_processes


def _content(service: IssuerService, session: Session, row: MessageRow) -> EmailMessage:
    if row.kind == KIND_BADGE and row.credential_id:
        return _badge_message(service, session, row.credential_id, to=row.to_address,
                              locale=row.locale, leaving=True)
    spool = _spool_path(service, row.id)
    if not spool.exists():
        raise MailError("Le contenu de ce message n'est plus disponible : envoyez-en un nouveau.",
                        "This message's content is no longer available: send a new one.",
                        code="mail.content_missing")
    with spool.open("rb") as handle:
        parsed = BytesParser(policy=policy.default).parse(handle)
    assert isinstance(parsed, EmailMessage)
    return parsed


def _deliver(service: IssuerService, ids: list[str], *, actor: str, origin: str | None,
             now: datetime | None, force: bool) -> DeliveryReport:
    """Claim, send and record each message in turn. `now` fixes the clock (tests); by default
    each message is stamped with the time it is actually handled."""
    report = DeliveryReport()
    settings = service.settings
    transport = (SmtpTransport(SmtpSettings.from_settings(settings))
                 if smtp_configured(settings) else None)
    unreachable: DeliveryFailed | None = None
    try:
        for message_id in ids:
            moment = now or utc_now()
            claimed = _claim(service, message_id, moment, force=force)
            if claimed is None:
                continue
            outcome: DeliveryFailed | Path | None = claimed.problem
            if outcome is None:
                assert claimed.message is not None
                if transport is None:
                    outcome = _to_outbox(settings, claimed)
                elif unreachable is not None:
                    # The server did not answer a moment ago: do not wait for its timeout
                    # again for every message of the batch; they are retried later.
                    outcome = unreachable
                else:
                    try:
                        transport.send(claimed.message, to=claimed.to_address)
                    except DeliveryFailed as failure:
                        outcome = failure
                        if failure.code == "mail.smtp_unreachable":
                            unreachable = failure
                    except Exception as error:  # never lose the message to an unknown fault
                        logger.exception("could not send e-mail %s", claimed.message_id)
                        transport.close()
                        outcome = DeliveryFailed(f"Erreur d'envoi : {error!r}",
                                                 f"Sending error: {error!r}", permanent=False,
                                                 code="mail.send_failed")
            status = _record(service, claimed, outcome, actor=actor, origin=origin, now=moment)
            {"sent": report.sent, "outbox": report.outbox, "failed": report.failed}[status].append(
                claimed.message_id)
    finally:
        if transport is not None:
            transport.close()
    return report


def _to_outbox(settings: Settings, claimed: _Claimed) -> Path | DeliveryFailed:
    assert claimed.message is not None
    try:
        return write_outbox(outbox_dir(settings), claimed.message_id, claimed.message)
    except OSError as error:  # disk full, permissions: retried like a server fault
        return DeliveryFailed(f"Écriture impossible dans la boîte d'envoi : {error}",
                              f"Cannot write to the outbox: {error}", permanent=False,
                              code="mail.outbox_unwritable")


def _record(service: IssuerService, claimed: _Claimed, outcome: DeliveryFailed | Path | None, *,
            actor: str, origin: str | None, now: datetime) -> str:
    """Write the outcome of one attempt on the row and in the audit trail; returns the status."""
    with service.database.session() as session:
        row = session.get(MessageRow, claimed.message_id)
        assert row is not None
        details: dict[str, Any] = {"message": row.id, "kind": row.kind, "attempt": row.attempts}
        if outcome is None:
            row.status, row.sent_at, row.next_attempt_at, row.last_error = "sent", now, None, None
        elif isinstance(outcome, Path):
            row.status, row.outbox_file, row.next_attempt_at = "outbox", outcome.name, None
            row.last_error = None
        else:
            retry = not outcome.permanent and row.attempts < MAX_ATTEMPTS
            next_attempt = now + retry_delay(row.attempts) if retry else None
            row.status, row.next_attempt_at = "failed", next_attempt
            # SMTP replies are English; the page shows them as technical detail.
            row.last_error = f"{outcome.code}: {outcome.message_en}"
            details.update({"error": outcome.code, "retry": retry})
            if outcome.smtp_code is not None:
                details["smtp_code"] = outcome.smtp_code
            if next_attempt is not None:
                details["next_attempt_at"] = next_attempt.isoformat()
        if row.status != "failed" or row.next_attempt_at is None:
            # The message has left (or never will by itself): its spooled copy, which may hold
            # a one-time token, goes.
            _spool_path(service, row.id).unlink(missing_ok=True)
        record_audit(session, actor=actor, action=f"email.{row.status}",
                     subject=_audit_subject(row), details=details, origin=origin)
        return row.status


# --- what a coordinator does -------------------------------------------------------------------

def resend(service: IssuerService, credential_id: str, *, locale: str | None = None,
           actor: str = "cli", origin: str | None = None) -> MessageRow:
    """Send a badge's e-mail again, now. A delivery still queued or failing is sent at once
    (no second copy queued beside it); otherwise a new message is queued and sent."""
    with service.database.session() as session:
        pending = session.scalars(
            select(MessageRow).where(MessageRow.credential_id == credential_id,
                                     MessageRow.kind == KIND_BADGE,
                                     MessageRow.status.in_(("queued", "failed")))
            .order_by(MessageRow.created_at.desc()).limit(1)).first()
        if pending is None:
            last_locale = session.scalars(
                select(MessageRow.locale).where(MessageRow.credential_id == credential_id)
                .order_by(MessageRow.created_at.desc()).limit(1)).first()
            row = _queue_badge(service, session, credential_id,
                               locale=locale or last_locale or "fr", actor=actor, origin=origin,
                               resend=True)
            message_id = row.id
        else:
            message_id = pending.id
    _deliver(service, [message_id], actor=actor, origin=origin, now=None, force=True)
    return get_message(service, message_id)


def resend_message(service: IssuerService, message_id: str, *, actor: str = "cli",
                   origin: str | None = None) -> MessageRow:
    """The coordinator's "send again" on one message of the list."""
    row = get_message(service, message_id)
    if row.status in ("queued", "failed"):
        _deliver(service, [row.id], actor=actor, origin=origin, now=None, force=True)
        return get_message(service, row.id)
    if row.kind == KIND_BADGE and row.credential_id:
        return resend(service, row.credential_id, locale=row.locale, actor=actor, origin=origin)
    raise MailError("Une invitation partie ne se renvoie pas : créez une nouvelle invitation.",
                    "A delivered invitation cannot be sent again: create a new invitation.",
                    code="mail.invitation_already_sent")


# --- reading -----------------------------------------------------------------------------------

def get_message(service: IssuerService, message_id: str) -> MessageRow:
    with service.database.session(read_only=True) as session:
        row = session.get(MessageRow, message_id)
        if row is None:
            raise MailError(f"Aucun message avec l'identifiant « {message_id} ».",
                            f"No message with id '{message_id}'.", code="mail.no_such_message")
        return row


def outbox_message(service: IssuerService, message_id: str) -> tuple[MessageRow, EmailMessage]:
    """A message of the outbox and its parsed `.eml` file, for the coordinator to read."""
    row = get_message(service, message_id)
    folder = outbox_dir(service.settings).resolve()
    path = (folder / (row.outbox_file or "")).resolve()
    if row.status != "outbox" or not row.outbox_file or path.parent != folder or not path.is_file():
        raise MailError("Ce message n'est pas dans la boîte d'envoi.",
                        "This message is not in the outbox.", code="mail.not_in_outbox")
    with path.open("rb") as handle:
        parsed = BytesParser(policy=policy.default).parse(handle)
    assert isinstance(parsed, EmailMessage)
    return row, parsed


def messages(session: Session, *, statuses: tuple[str, ...] | None = None,
             credential_id: str | None = None, limit: int = 50) -> list[MessageRow]:
    """Most recent first."""
    query = select(MessageRow)
    if statuses:
        query = query.where(MessageRow.status.in_(statuses))
    if credential_id:
        query = query.where(MessageRow.credential_id == credential_id)
    return list(session.scalars(query.order_by(MessageRow.created_at.desc(), MessageRow.id)
                                .limit(limit)))


def status_counts(session: Session) -> dict[str, int]:
    """Messages per status (queued, sent, failed, outbox), zeros included: for the dashboard."""
    counts = dict.fromkeys(("queued", "sent", "failed", "outbox"), 0)
    for status, count in session.execute(
            select(MessageRow.status, func.count()).group_by(MessageRow.status)):
        counts[status] = count
    return counts


def erase_messages_to(service: IssuerService, session: Session, address: str) -> int:
    """GDPR erasure: delete every message row to `address`, with its outbox and spooled
    files. The audit lines stay (they never held the address). Returns the number deleted."""
    normalised = address.strip().lower()
    rows = list(session.scalars(select(MessageRow).where(
        func.lower(MessageRow.to_address) == normalised)))
    for row in rows:
        if row.outbox_file:
            (outbox_dir(service.settings) / Path(row.outbox_file).name).unlink(missing_ok=True)
        _spool_path(service, row.id).unlink(missing_ok=True)
    if rows:
        session.execute(delete(MessageRow).where(MessageRow.id.in_([row.id for row in rows])))
    return len(rows)
