"""Revoking, suspending and lifting a suspension of one badge (`IssuerService.revoke`,
`suspend`, `unsuspend`): the row changed, the change audited, its holder-bound copies following,
in one transaction; then the cached signed lists forgotten."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Literal

from issuer.errors import InvalidInput, NotFound
from issuer.storage.audit_log import record_audit
from issuer.storage.credential_rows import get_credential
from issuer.storage.holder_copy_status import follow_original_status

if TYPE_CHECKING:
    from issuer.issuance.service import IssuerService

#: The audit action of each status change (the journal labels them: workspace/audit_labels).
_STATUS_AUDIT_ACTIONS = {"revoke": "credential.revoked", "suspend": "credential.suspended",
                         "unsuspend": "credential.unsuspended"}


def change_status(service: IssuerService, credential_id: str,
                  action: Literal["revoke", "suspend", "unsuspend"], *, reason: str | None,
                  actor: str, origin: str | None = None) -> None:
    with service.database.session() as session:
        row = get_credential(session, service.normalise_credential_id(credential_id))
        if row is None:
            raise NotFound(f"Aucun badge avec l'identifiant « {credential_id} ».",
                           f"No badge with id '{credential_id}'.", code="credential.not_found")
        now = datetime.now(UTC).replace(microsecond=0)
        if action == "revoke":
            if not reason or not reason.strip():
                raise InvalidInput("Indiquez le motif de la révocation (--reason).",
                                   "Give the reason for the revocation (--reason).",
                                   code="revoke.reason_required")
            if row.revoked_at is not None:
                raise InvalidInput("Ce badge est déjà révoqué.", "This badge is already revoked.",
                                   code="revoke.already_revoked")
            row.revoked_at = now
            row.revocation_reason = reason.strip()
        elif action == "suspend":
            if row.revoked_at is not None:
                raise InvalidInput("Un badge révoqué ne peut pas être suspendu.",
                                   "A revoked badge cannot be suspended.",
                                   code="suspend.revoked")
            row.suspended = True
            row.suspended_at = now
        else:
            if not row.suspended:
                raise InvalidInput("Ce badge n'est pas suspendu.", "This badge is not suspended.",
                                   code="unsuspend.not_suspended")
            row.suspended = False
            row.suspended_at = None
        record_audit(session, actor=actor, action=_STATUS_AUDIT_ACTIONS[action],
                     subject=row.id, details={"reason": reason} if reason else None,
                     origin=origin)
        # Its holder-bound copies (issuer.wallet.copies) follow, in this transaction.
        follow_original_status(session, row, actor=actor, origin=origin, now=now)
    service.forget_status_cache()  # after the commit, so no request re-caches the old bits
