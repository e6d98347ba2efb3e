"""The delivery e-mails of badges issued for an event: queued once per badge, even when two
coordinators run the issuance at once."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import and_, select
from sqlalchemy.orm import Session, defer, joinedload

from issuer.issuance.service import IssuerService
from issuer.mail.compose import queued_badge_subject
from issuer.mail.delivery import KIND_BADGE
from issuer.storage import models as rows
from issuer.storage.audit_log import record_audits
from issuer.storage.models import utc_now
from issuer.storage.workspace_models import EmailMessage

LOCALE = "fr"  # French first (the e-mail carries English after it)


# Credentials read, locked and queued per statement: a bounded IN list, a few statements a batch.
QUEUE_CHUNK = 1_000


def queue_badge_emails(service: IssuerService, credential_ids: Sequence[str], *, actor: str,
                        origin: str | None) -> int:
    """Queue the delivery e-mail of each badge that has none yet; returns how many were
    queued. Sending is `issuer.mail.deliver_pending`, after the commit.

    Two coordinators running at once could both find no e-mail for a badge: the badges' rows
    are locked first (FOR NO KEY UPDATE, in a fixed order so two runs cannot deadlock; SQLite already
    runs one writer at a time), so the second run waits and then finds the first one's e-mails.

    The rows are those `queue_badge_email` writes, one by one, for a single badge (the same
    columns, subject and "email.queued" audit line; tests/test_events.py compares them), but
    written a chunk at a time: a few statements per thousand badges rather than several per
    badge, and only the subject composed (the message itself is composed when it leaves). A
    revoked badge or a person whose data was erased gets nothing, as there."""
    if not credential_ids:
        return 0
    ids = sorted(set(credential_ids))
    queued = 0
    with service.database.session() as session:
        for start in range(0, len(ids), QUEUE_CHUNK):
            queued += _queue_chunk(service, session, ids[start:start + QUEUE_CHUNK],
                                   actor=actor, origin=origin)
    return queued


def _queue_chunk(service: IssuerService, session: Session, ids: list[str], *, actor: str,
                 origin: str | None) -> int:
    table = rows.IssuedCredential
    # The signed texts (several kilobytes each, compressed) are not read: whether there are
    # any is enough (PostgreSQL compares a text's length with '' without decompressing it).
    signed = and_(table.credential_json != "", table.credential_jwt != "")
    found = session.execute(
        select(table, signed).where(table.id.in_(ids))
        .options(joinedload(table.recipient, innerjoin=True),
                 defer(table.credential_json), defer(table.credential_jwt))
        .order_by(table.id)
        # FOR NO KEY UPDATE: two runs still take turns on a badge, but a transaction that
        # only references these rows (an attendance line or an e-mail row pointing at a badge
        # takes a KEY SHARE lock through its foreign key) is not blocked; FOR UPDATE blocked it,
        # and a coordinator's issuing transaction holding such KEY SHARE locks while waiting
        # for ours deadlocked with this one (PostgreSQL, two coordinators at once).
        .with_for_update(of=table, key_share=True)).all()
    already = set(session.scalars(select(EmailMessage.credential_id).where(
        EmailMessage.credential_id.in_(ids), EmailMessage.kind == KIND_BADGE)))
    messages: list[EmailMessage] = []
    for credential, is_signed in found:
        recipient = credential.recipient
        if (credential.id in already or not is_signed
                or credential.revoked_at is not None
                or recipient.erased_at is not None or not recipient.email):
            continue
        messages.append(EmailMessage(
            id=str(uuid.uuid4()), kind=KIND_BADGE, credential_id=credential.id,
            to_address=recipient.email, locale=LOCALE,
            subject=queued_badge_subject(service.settings, service.catalogue, credential,
                                         LOCALE),
            status="queued", attempts=0, created_at=utc_now()))
    session.add_all(messages)
    session.flush()  # one multi-row INSERT (SQLAlchemy's insertmanyvalues)
    record_audits(session, actor=actor, action="email.queued", origin=origin, entries=[
        (message.credential_id or message.id, {"message": message.id, "kind": KIND_BADGE})
        for message in messages])
    return len(messages)
