"""Peer endorsements follow a badge issued again (issuer.workspace.reissue: the holder's name
choice, an e-mail change, a key incident), in the re-issue's transaction: the endorser does
nothing. See `carry_over_endorsements`."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from issuer.network.endorsements import sign_endorsement
from issuer.storage.audit_log import record_audit
from issuer.storage.endorsement_models import EndorsementRow
from issuer.storage.status_slots import reserve_endorsement_slot

if TYPE_CHECKING:
    from issuer.issuance.service import IssuerService

#: The revocation reason of an endorsement replaced by its copy for the re-issued badge.
SUPERSEDED_REASON = "Remplacée : le badge recommandé a été émis de nouveau"
CARRIED_OVER = "endorsement.carried_over"


@dataclass(frozen=True)
class CarriedOver:
    """One published endorsement given to the successor of the badge it endorsed."""

    old_id: str
    new_id: str


def carry_over_endorsements(service: IssuerService, session: Session,
                            successors: Mapping[str, str], *, actor: str,
                            origin: str | None = None,
                            now: datetime | None = None) -> tuple[CarriedOver, ...]:
    """After badges were issued again in the caller's transaction (`successors`: old badge id
    -> new badge id), their endorsements follow them; the endorser does nothing.

    - A published endorsement of an old badge is issued again for its successor: a new
      `EndorsementCredential` whose subject is the new badge (`EndorsementSubject.id`, OB 3.0
      §B.1.6: the endorsement is tied to that one award), with the same words, endorser and
      moderation and date, a slot of its own in the endorsements' status list, signed with
      the current keys. The old one is revoked (its bit set: a copy kept elsewhere no longer
      verifies as current) and points at its successor (`superseded_by`). Audit: `endorsement.revoked`
      with the reason and the successor, then one `endorsement.carried_over` line.
    - A published endorsement whose *endorser's* badge was issued again is signed again in
      place, its evidence naming the endorser's new badge (the subject and the words do not
      change: same id and status entry, as the key incident re-signs; `endorsement.resigned`).
    - A waiting or rejected request simply names the new badges (nothing signed yet).

    Idempotent: a second call finds the old endorsements revoked and the requests moved."""
    now = utc_now(now)
    if not successors:
        return ()
    old_ids = list(successors)
    carried: list[CarriedOver] = []
    rows = list(session.scalars(select(EndorsementRow).where(or_(
        EndorsementRow.endorsed_credential_id.in_(old_ids),
        EndorsementRow.endorser_credential_id.in_(old_ids)))
        .order_by(EndorsementRow.requested_at, EndorsementRow.id)))
    for row in rows:
        endorser_badge = successors.get(row.endorser_credential_id or "",
                                        row.endorser_credential_id)
        if row.status != "approved":
            row.endorsed_credential_id = successors.get(row.endorsed_credential_id,
                                                        row.endorsed_credential_id)
            row.endorser_credential_id = endorser_badge
            continue
        if row.revoked_at is not None or not row.is_signed:
            continue  # revoked for good: its bit stays set, on the badge it named
        if row.endorsed_credential_id in successors:
            carried.append(_reissue(service, session, row, successors[row.endorsed_credential_id],
                                    endorser_badge, actor=actor, origin=origin, now=now))
        else:  # the endorser's own badge was issued again
            row.endorser_credential_id = endorser_badge
            session.flush()
            sign_endorsement(service, session, row, now, valid_from=row.issued_at)
            record_audit(session, actor=actor, action="endorsement.resigned",
                         subject=row.id, origin=origin,
                         details={"endorser_credential": endorser_badge})
    session.flush()
    return tuple(carried)


def _reissue(service: IssuerService, session: Session, row: EndorsementRow, badge_id: str,
             endorser_badge: str | None, *, actor: str, origin: str | None,
             now: datetime) -> CarriedOver:
    successor = EndorsementRow(
        id=str(uuid.uuid4()), endorser_id=row.endorser_id, endorsed_credential_id=badge_id,
        endorser_credential_id=endorser_badge, comment=row.comment,
        endorser_name=row.endorser_name, status="approved", requested_at=row.requested_at,
        decided_at=row.decided_at, decided_by=row.decided_by)
    reserve_endorsement_slot(session, successor)
    sign_endorsement(service, session, successor, now, valid_from=row.issued_at)
    row.revoked_at, row.revocation_reason = now, SUPERSEDED_REASON
    row.superseded_by = successor.id
    record_audit(session, actor=actor, action="endorsement.revoked", subject=row.id,
                 origin=origin, details={"reason": SUPERSEDED_REASON,
                                         "superseded_by": successor.id})
    record_audit(session, actor=actor, action=CARRIED_OVER, subject=successor.id,
                 origin=origin, details={"supersedes": row.id, "credential": badge_id})
    return CarriedOver(old_id=row.id, new_id=successor.id)


def utc_now(now: datetime | None) -> datetime:
    return (now or datetime.now(UTC)).replace(microsecond=0)
