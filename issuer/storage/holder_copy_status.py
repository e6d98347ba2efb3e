"""Holder-bound copies (issuer.wallet.copies) following their original: its status given to
them, their signed texts forgotten (erasure, retention). In the caller's transaction."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from issuer.storage.audit_log import record_audit, record_audits
from issuer.storage.key_batches import batches
from issuer.storage.models import (
    IssuedCredential,
    utc_now,
)
from issuer.storage.wallet_models import HolderCopyRow


def holder_copies_of(session: Session, original_ids: Iterable[str]) -> list[HolderCopyRow]:
    """The holder-bound copies of the badges `original_ids`, oldest first."""
    found: list[HolderCopyRow] = []
    for batch in batches(sorted(set(original_ids))):
        found.extend(session.scalars(
            select(HolderCopyRow).where(HolderCopyRow.original_id.in_(batch))
            .order_by(HolderCopyRow.created_at, HolderCopyRow.id)))
    return found


def follow_original_status(
    session: Session,
    original: IssuedCredential,
    *,
    actor: str,
    origin: str | None = None,
    now: datetime | None = None,
) -> list[str]:
    """Give every holder-bound copy of `original` its status, in the caller's transaction, and
    audit each change: revoked (final, with the original's reason) when it is revoked,
    suspended while it is suspended, lifted when its suspension is. Returns the copies changed.

    Call it after changing the original's status: the original's row is written first (so that
    on PostgreSQL a copy being issued at the same moment, which locks the original, is either
    seen here or sees the new status itself)."""
    session.flush()
    at = now or utc_now()
    changed: list[tuple[str, str, dict[str, Any] | None]] = []
    for copy in holder_copies_of(session, [original.id]):
        if copy.revoked_at is not None:
            continue  # revocation is final (Bitstring Status List §2.1)
        if original.revoked_at is not None:
            copy.revoked_at = original.revoked_at
            copy.revocation_reason = original.revocation_reason
            changed.append((copy.id, "holder_copy.revoked",
                            {"original": original.id, "reason": original.revocation_reason}))
        elif original.suspended and not copy.suspended:
            copy.suspended = True
            copy.suspended_at = original.suspended_at or at
            changed.append((copy.id, "holder_copy.suspended", {"original": original.id}))
        elif not original.suspended and copy.suspended:
            copy.suspended = False
            copy.suspended_at = None
            changed.append((copy.id, "holder_copy.unsuspended", {"original": original.id}))
    for copy_id, action, details in changed:
        record_audit(session, actor=actor, action=action, subject=copy_id, details=details,
                     origin=origin)
    return [copy_id for copy_id, _action, _details in changed]


def forget_holder_copies(
    session: Session, original_ids: Iterable[str], *, actor: str, reason: str
) -> list[str]:
    """Erasure and retention (RGPD art. 5-1-e, 17) for the copies of `original_ids`: their
    signed texts and holder DID go; the rows and their status indices stay (revoked by then).
    Each is audited as "holder_copy.forgotten" with `reason`. Returns the copies forgotten."""
    forgotten: list[tuple[str, dict[str, Any] | None]] = []
    for copy in holder_copies_of(session, original_ids):
        if copy.is_signed or copy.holder_did is not None:
            copy.credential_json = ""
            copy.credential_jwt = ""
            copy.holder_did = None
            forgotten.append((copy.id, {"original": copy.original_id, "reason": reason}))
    record_audits(session, actor=actor, action="holder_copy.forgotten", entries=forgotten)
    return [copy_id for copy_id, _details in forgotten]
