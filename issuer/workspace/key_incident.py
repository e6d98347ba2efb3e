"""A key incident (issue #14 item 3; the runbook is docs/DEPLOYMENT.md, "Incident de clé"):
`issuer keys revoke KID --reason compromise`.

1. The key side (`IssuerService.revoke_key`): the key leaves the DID document, its private file
   is deleted, `keys.json` remembers it (date, reason) so that our verifier names it
   (`proof.key_revoked`, VERIFICATION.md R21), a new key replaces it when it was the current
   one; one `keys.revoked` line in the audit trail.
2. Every badge not revoked whose embedded proof or VC-JWT names the key
   (`issuer.issuance.key_usage`) is issued again under the same terms with the current keys
   (`issuer.workspace.reissue`), the old one revoked as superseded: its wallet copies follow;
   one `credential.reissued` line per badge. Each person is told once, French then English,
   why (`issuer.mail.key_incident`), and gets each new badge's delivery e-mail (wallet link).
   One transaction per person: a crash leaves the others to the next run.
3. Wallet copies the key signed of badges it did not sign are revoked (the holder asks a new
   copy from the badge page).
4. Endorsements it signed are signed again in place with the current key: same credential, same
   id and status entry, a new proof (an endorsement is the City's publication, not something a
   holder keeps, so nobody needs to be told); one `endorsement.resigned` line each.

Running it again is safe: the key is revoked once, and only what is still signed by it and in
force is handled.
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from issuer.errors import IssuerError
from issuer.issuance.key_usage import (
    credentials_signed_by,
    endorsements_signed_by,
    holder_copies_signed_by,
)
from issuer.issuance.keys import KEY_REVOCATION_REASONS, IssuerKey, KeyRevocationReason
from issuer.issuance.service import IssuerService
from issuer.mail.key_incident import queue_key_incident_email
from issuer.storage.audit_log import record_audit
from issuer.storage.endorsement_models import EndorsementRow
from issuer.storage.models import IssuedCredential
from issuer.storage.wallet_models import HolderCopyRow
from issuer.workspace.reissue import (
    REISSUED,
    Reissue,
    forget_cached_status_lists,
    queue_delivery,
    reissue_in_session,
    utc_now,
)


@dataclass(frozen=True)
class NotReissued:
    credential_id: str
    code: str
    message_fr: str
    message_en: str


@dataclass(frozen=True)
class KeyIncidentReport:
    key: IssuerKey
    created: tuple[IssuerKey, ...]
    already_revoked: bool
    reissued: tuple[Reissue, ...]
    copies_revoked: tuple[str, ...]
    not_reissued: tuple[NotReissued, ...]
    endorsements_resigned: tuple[str, ...] = ()


def revocation_reason(kid: str, reason: KeyRevocationReason) -> str:
    """The reason the old badges (and their wallet copies) are revoked with."""
    return f"Clé de signature révoquée / signing key revoked: {kid} ({reason})"


def revoke_key(service: IssuerService, kid: str, reason: KeyRevocationReason, *,
               actor: str = "cli", origin: str | None = None,
               now: datetime | None = None) -> KeyIncidentReport:
    """Revoke `kid` and issue again everything it signed (module docstring). Call
    `issuer.mail.deliver_pending(service)` afterwards to send the e-mails queued."""
    revocation = service.revoke_key(kid, reason, actor=actor)
    method = service.verification_method(revocation.key)
    why = revocation_reason(kid, reason)
    words = KEY_REVOCATION_REASONS[reason]
    moment = utc_now(now)
    with service.database.session(read_only=True) as session:
        by_person: dict[str, list[str]] = defaultdict(list)
        for credential_id in credentials_signed_by(session, method):
            row = session.get(IssuedCredential, credential_id)
            assert row is not None
            by_person[row.recipient_id].append(credential_id)
    reissued: list[Reissue] = []
    failed: list[NotReissued] = []
    for credential_ids in by_person.values():
        try:
            reissued.extend(_reissue_for_person(service, credential_ids, why, words,
                                                actor=actor, origin=origin, now=moment))
        except IssuerError as error:  # e.g. a person erased: nothing to send, nothing kept
            failed.extend(NotReissued(credential_id, error.code, error.message_fr,
                                      error.message_en) for credential_id in credential_ids)
    copies = _revoke_copies_signed_by(service, method, why, actor=actor, origin=origin,
                                      now=moment)
    endorsements = _resign_endorsements(service, method, actor=actor, origin=origin, now=moment)
    forget_cached_status_lists(service)
    return KeyIncidentReport(revocation.key, revocation.created, revocation.already_revoked,
                             tuple(reissued), copies, tuple(failed), endorsements)


def _reissue_for_person(service: IssuerService, credential_ids: list[str], why: str,
                        words: tuple[str, str], *, actor: str, origin: str | None,
                        now: datetime) -> tuple[Reissue, ...]:
    """One person's badges, in one transaction: re-issued, and the person told why."""
    with service.database.session() as session:
        rows = list(session.scalars(select(IssuedCredential)
                                    .where(IssuedCredential.id.in_(credential_ids))
                                    .order_by(IssuedCredential.issued_at, IssuedCredential.id)))
        pairs = reissue_in_session(service, session, rows, actor=actor, origin=origin, now=now,
                                   reason=why, audit_action=REISSUED, notify=False)
        successors = {pair.old_id: session.get(IssuedCredential, pair.new_id) for pair in pairs}
        lines = [(row, successor) for row in rows
                 if (successor := successors.get(row.id)) is not None]
        # The notice first (it explains), then each new badge's delivery e-mail (wallet link).
        queue_key_incident_email(service, session, rows[0].recipient, lines, words, actor=actor,
                                 origin=origin)
        for pair in pairs:
            queue_delivery(service, session, pair.new_id, actor=actor, origin=origin)
    return pairs


def _revoke_copies_signed_by(service: IssuerService, method: str, why: str, *, actor: str,
                             origin: str | None, now: datetime) -> tuple[str, ...]:
    """Wallet copies the key signed whose badge it did not sign (those followed their badge)."""
    with service.database.session() as session:
        revoked = []
        for copy_id in holder_copies_signed_by(session, method):
            copy = session.get(HolderCopyRow, copy_id)
            assert copy is not None
            copy.revoked_at = now
            copy.revocation_reason = why
            record_audit(session, actor=actor, action="holder_copy.revoked", subject=copy_id,
                         details={"original": copy.original_id, "reason": why},
                         origin=origin)
            revoked.append(copy_id)
    return tuple(revoked)


def _resign_endorsements(service: IssuerService, method: str, *, actor: str,
                         origin: str | None, now: datetime) -> tuple[str, ...]:
    """Each endorsement `method` signed, signed again as it stands (its proof replaced)."""
    with service.database.session() as session:
        resigned = []
        for endorsement_id in endorsements_signed_by(session, method):
            row = session.get(EndorsementRow, endorsement_id)
            assert row is not None
            unsigned = json.loads(row.credential_json)
            unsigned.pop("proof", None)
            row.credential_json, row.credential_jwt = service.sign(unsigned, now)
            record_audit(session, actor=actor, action="endorsement.resigned",
                         subject=endorsement_id, details={"key": method.rsplit("#", 1)[-1]},
                         origin=origin)
            resigned.append(endorsement_id)
    return tuple(resigned)
