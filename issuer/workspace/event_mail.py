"""The delivery e-mails of badges issued for an event: queued once per badge, even when two
coordinators run the issuance at once."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from issuer.issuance.service import IssuerService
from issuer.mail import MailError, queue_badge_email
from issuer.storage import models as rows
from issuer.storage.workspace_models import EmailMessage


def queue_badge_emails(service: IssuerService, credential_ids: Sequence[str], *, actor: str,
                        origin: str | None) -> int:
    """Queue the delivery e-mail of each badge that has none yet; returns how many were
    queued. Sending is `issuer.mail.deliver_pending`, after the commit.

    `queue_badge_email` looks for an earlier e-mail, then adds one: two coordinators running at
    once could both find none. The badges' rows are locked first (FOR UPDATE, in a fixed order
    so two runs cannot deadlock; SQLite already runs one writer at a time), so the second run
    waits and then finds the first one's e-mails."""
    if not credential_ids:
        return 0
    ids = sorted(set(credential_ids))
    with service.database.session() as session:
        session.execute(select(rows.IssuedCredential.id).where(
            rows.IssuedCredential.id.in_(ids)).order_by(rows.IssuedCredential.id)
            .with_for_update()).all()
        before = _email_count(session, ids)
        for credential_id in ids:
            try:
                with session.begin_nested():
                    queue_badge_email(service, session, credential_id, actor=actor, origin=origin)
            except MailError:
                continue  # a revoked badge or an erased person: nothing to send
        return _email_count(session, ids) - before


def _email_count(session: Session, credential_ids: list[str]) -> int:
    return session.scalar(select(func.count()).select_from(EmailMessage).where(
        EmailMessage.credential_id.in_(credential_ids))) or 0
