"""Writing the audit trail: one line, or many as one INSERT, in the caller's transaction.
Reading it is `issuer.workspace.audit_trail`."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from sqlalchemy import insert
from sqlalchemy.orm import Session

from issuer.storage.models import (
    AuditEntry,
    utc_now,
)


def record_audit(
    session: Session,
    *,
    actor: str,
    action: str,
    subject: str,
    details: dict[str, Any] | None = None,
    origin: str | None = None,
) -> None:
    """Append one audit line (who, what, when, from where). Name people by pseudonymous ids
    only, never by e-mail or name: the audit log is never rewritten, not even by a GDPR
    erasure."""
    session.add(
        AuditEntry(
            at=utc_now(),
            actor=actor,
            action=action,
            subject=subject,
            origin=origin,
            details_json=None
            if details is None
            else json.dumps(details, ensure_ascii=False, sort_keys=True),
        )
    )


def record_audits(
    session: Session,
    *,
    actor: str,
    action: str,
    entries: Iterable[tuple[str, dict[str, Any] | None]],
    origin: str | None = None,
) -> None:
    """`record_audit` for many subjects at once, as one multi-row INSERT: (subject, details)
    pairs, with the same rule (pseudonymous ids only)."""
    at = utc_now()
    values = [
        {
            "at": at,
            "actor": actor,
            "action": action,
            "subject": subject,
            "origin": origin,
            "details_json": None
            if details is None
            else json.dumps(details, ensure_ascii=False, sort_keys=True),
        }
        for subject, details in entries
    ]
    if values:
        session.execute(insert(AuditEntry), values)
