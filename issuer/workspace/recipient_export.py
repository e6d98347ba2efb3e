"""Everything held about one person, exported (RGPD art. 15 and 20, issue #4 item 8)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import select

from issuer.issuance.service import IssuerService
from issuer.openbadges import credential as model
from issuer.storage.audit_log import record_audit
from issuer.storage.endorsement_models import EndorsementRow
from issuer.storage.holder_copy_status import holder_copies_of
from issuer.storage.mediator_models import DirectoryProfile
from issuer.storage.models import AuditEntry, IssuedCredential
from issuer.storage.wallet_models import HolderCopyRow
from issuer.workspace.personal_records import _personal_records
from issuer.workspace.recipients import _now, _person


def export_person(service: IssuerService, recipient_id: str, *, actor: str,
                  origin: str | None = None, now: datetime | None = None) -> dict[str, Any]:
    """Everything held about one person (RGPD art. 15 and 20), as JSON-ready data: the
    recipient row, each credential with its signed forms, attendances, claims, mandates,
    e-mails, and the audit lines about their pseudonymous ids. The export is audited."""
    now = _now(now)
    with service.database.session() as session:
        person = _person(session, recipient_id)
        records = _personal_records(session, person)
        ids = [row.id for row in person.credentials]
        member_ids = [row.id for row in records.members]
        directory = session.get(DirectoryProfile, person.id)
        written = list(session.scalars(select(EndorsementRow).where(
            EndorsementRow.endorser_id == person.id).order_by(EndorsementRow.requested_at)))
        received = list(session.scalars(select(EndorsementRow).where(
            EndorsementRow.endorsed_credential_id.in_(ids)).order_by(EndorsementRow.requested_at)))
        endorsement_ids = [row.id for row in (*written, *received)]
        copies = holder_copies_of(session, ids)
        audit = list(session.scalars(select(AuditEntry).where(
            AuditEntry.subject.in_([person.id, *ids, *member_ids, *endorsement_ids,
                                    *(copy.id for copy in copies)]))
            .order_by(AuditEntry.id)))
        document = {
            "exported_at": _iso(now),
            "issuer": service.settings.profile_name,
            "recipient": _columns(person),
            "credentials": [_credential_export(service, row) for row in person.credentials],
            # Copies of those badges bound to the person's wallet (issuer.wallet.copies).
            "holder_copies": [_holder_copy_export(row) for row in copies],
            "attendances": [_columns(row) for row in records.attendances],
            "claims": [_columns(row) for row in records.claims],
            "cln_members": [_columns(row) for row in records.members],
            "email_messages": [_columns(row) for row in records.messages],
            "directory_profile": _columns(directory) if directory is not None else None,
            "endorsements_written": [_columns(row) for row in written],
            # Another person wrote these: their pseudonymous ids stay out of this export.
            "endorsements_received": [_columns(row, exclude=("endorser_id",
                                                             "endorser_credential_id"))
                                      for row in received],
            "audit_log": [{"at": _iso(entry.at), "actor": entry.actor, "action": entry.action,
                           "subject": entry.subject, "details": entry.details}
                          for entry in audit],
        }
        record_audit(session, actor=actor, action="recipient.exported", subject=person.id,
                     origin=origin)
    return document


def _iso(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


def _columns(row: Any, *, exclude: Sequence[str] = ()) -> dict[str, Any]:
    """A row's columns as JSON-ready values (dates as ISO 8601)."""
    return {column.key: _iso(getattr(row, column.key))
            for column in row.__mapper__.column_attrs if column.key not in exclude}


def _credential_export(service: IssuerService, row: IssuedCredential) -> dict[str, Any]:
    columns = _columns(row, exclude=("credential_json", "credential_jwt", "idempotency_key"))
    columns["page"] = model.credential_url(service.settings.base_url, row.id)
    columns["credential"] = json.loads(row.credential_json) if row.credential_json else None
    columns["credential_jwt"] = row.credential_jwt or None
    return columns


def _holder_copy_export(row: HolderCopyRow) -> dict[str, Any]:
    columns = _columns(row, exclude=("credential_json", "credential_jwt"))
    columns["credential"] = json.loads(row.credential_json) if row.credential_json else None
    columns["credential_jwt"] = row.credential_jwt or None
    return columns
