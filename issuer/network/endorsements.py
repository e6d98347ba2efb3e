"""Peer endorsement of skill badges (issue #5, item 5): a mediator endorses another mediator's
skill badge with a comment, the coordinator moderates, and an approved endorsement becomes an
OB 3.0 `EndorsementCredential` signed by the City (why the City's key: see
issuer.openbadges.endorsement_credential), shown on the badge's page, verifiable, and revocable.

The rules, each enforced here (the web pages only call these functions):
- **Who may endorse**: a person signed in to "Mon espace" who holds a *valid* skill badge of
  the network (verified now, like the directory); never their own badge; one endorsement per
  person and badge (a rejected one may be written again; a revoked one may not, so that its
  status bit stays published).
- **What may be endorsed**: a skill badge (catalogue family "skill") that is valid now.
- **Nothing is public before the coordinator approves**: a request waits, the coordinator
  approves (the credential is built, signed and stored in the same transaction) or rejects it
  with a reason the endorser sees. Approval is a conditional UPDATE, so two coordinators
  approving at once issue one credential.
- **Revocation** by the coordinator (with a reason) or the endorser withdrawing it: the bit is
  set in the endorsements' own status list, which every verifier reads.
- **Erasure** (RGPD art. 17) of either person revokes the approved endorsements that name
  them, forgets the texts and deletes the requests (`forget_person_endorsements`).
Every step is in the audit trail.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Literal, cast

from sqlalchemy import CursorResult, or_, select, update
from sqlalchemy.orm import Session

from issuer.errors import InvalidInput, IssuerError, NotFound
from issuer.network.endorsement_views import EndorsementView, credential_name, view_of
from issuer.openbadges.badge_definitions import CatalogueError
from issuer.openbadges.credential import credential_url
from issuer.openbadges.endorsement_credential import (
    Endorser,
    build_endorsement_credential,
    clean_comment,
    clean_endorser_name,
)
from issuer.openbadges.status_list import status_list_entry
from issuer.storage.audit_log import record_audit
from issuer.storage.credential_rows import get_credential
from issuer.storage.endorsement_models import EndorsementRow
from issuer.storage.models import IssuedCredential
from issuer.storage.status_slots import reserve_endorsement_slot

if TYPE_CHECKING:
    from issuer.issuance.service import IssuerService
    from issuer.network.mediators.badges import BadgeChecker

#: The audit trail's actor for what a mediator does (their pseudonymous id is the subject's).
MEDIATOR_ACTOR = "mediator"
ERASURE_REASON = "Effacement des données personnelles (RGPD)"
WITHDRAWN_REASON = "Retirée par la personne qui l'avait écrite"
MAX_REASON_LENGTH = 500


class EndorsementError(IssuerError):
    """An endorsement that cannot be asked, decided or withdrawn (the message says why)."""

    code = "endorsement.refused"


class EndorsementNotFound(NotFound):
    code = "endorsement.not_found"

    def __init__(self) -> None:
        super().__init__("Cette recommandation n'existe pas.",
                         "This endorsement does not exist.")


@dataclass(frozen=True)
class SignedEndorsement:
    view: EndorsementView
    credential_json: str
    credential_jwt: str

    @property
    def credential(self) -> dict[str, Any]:
        parsed: dict[str, Any] = json.loads(self.credential_json)
        return parsed


# --- asking ----------------------------------------------------------------------------------

def request_endorsement(service: IssuerService, endorser_id: str, credential_id: str,
                        comment: str, *, endorser_name: str | None = None,
                        origin: str | None = None, now: datetime | None = None,
                        checker: BadgeChecker | None = None) -> EndorsementView:
    """Record a mediator's endorsement of another mediator's skill badge, waiting for the
    coordinator. `endorser_name` is the name they agreed to show (None: not shown)."""
    now = _now(now)
    text = clean_comment(comment)
    name = clean_endorser_name(endorser_name)
    target, own_badge = _eligible(service, endorser_id, credential_id, now=now,
                                  checker=checker or _checker(service))
    with service.database.session() as session:
        row = _earlier_request(session, endorser_id, target.id)
        if row is None:
            row = EndorsementRow(id=str(uuid.uuid4()), endorser_id=endorser_id,
                                 endorsed_credential_id=target.id)
            session.add(row)
        row.comment, row.endorser_name, row.endorser_credential_id = text, name, own_badge
        row.status, row.requested_at = "pending", now
        row.decided_at = row.decided_by = row.rejection_reason = None
        session.flush()
        record_audit(session, actor=MEDIATOR_ACTOR, action="endorsement.requested",
                     subject=row.id, origin=origin,
                     details={"credential": target.id, "endorser": endorser_id})
        return view_of(service, row)


def endorsable_badge(service: IssuerService, credential_id: str, *, now: datetime | None = None,
                     checker: BadgeChecker | None = None) -> IssuedCredential:
    """The badge `credential_id` if a peer may endorse it: a skill badge, valid now."""
    now = _now(now)
    with service.database.session(read_only=True) as session:
        row = get_credential(session, service.normalise_credential_id(credential_id))
        if row is None or not row.is_signed:
            raise NotFound("Ce badge n'existe pas.", "This badge does not exist.",
                           code="endorsement.badge_not_found")
        session.expunge(row)
    if not _is_skill_badge(service, row.badge_slug):
        raise EndorsementError(
            "Seuls les badges de compétences du réseau peuvent être recommandés.",
            "Only the network's skill badges can be endorsed.", code="endorsement.not_a_skill")
    if _state(service, row, now, checker) != "valid":
        raise EndorsementError("Ce badge n'est pas valide aujourd'hui : il ne peut pas être "
                               "recommandé.", "This badge is not valid today: it cannot be "
                               "endorsed.", code="endorsement.badge_not_valid")
    return row


def peer_badge_of(service: IssuerService, recipient_id: str, *, now: datetime | None = None,
                  checker: BadgeChecker | None = None) -> str:
    """The id of a valid skill badge of this person (what makes them a peer), or
    EndorsementError."""
    now = _now(now)
    with service.database.session(read_only=True) as session:
        rows = list(session.scalars(select(IssuedCredential).where(
            IssuedCredential.recipient_id == recipient_id, IssuedCredential.credential_json != "")
            .order_by(IssuedCredential.issued_at, IssuedCredential.id)))
        for row in rows:
            session.expunge(row)
    for row in rows:
        if (_is_skill_badge(service, row.badge_slug)
                and _state(service, row, now, checker) == "valid"):
            return row.id
    raise EndorsementError(
        "Pour recommander un badge, il faut détenir soi-même un badge de compétences valide du "
        "réseau.", "To endorse a badge, you need a valid skill badge of the network yourself.",
        code="endorsement.not_a_peer")


def may_endorse(service: IssuerService, recipient_id: str | None, credential_id: str, *,
                now: datetime | None = None,
                checker: BadgeChecker | None = None) -> IssuerError | None:
    """None if `recipient_id` may endorse the badge now, else the error saying why (for the
    form page, which shows it instead of the form). Never raises for a known badge."""
    if recipient_id is None:
        return None
    try:
        target, _own_badge = _eligible(service, recipient_id, credential_id, now=_now(now),
                                       checker=checker)
        with service.database.session(read_only=True) as session:
            _earlier_request(session, recipient_id, target.id)
    except IssuerError as error:
        return error
    return None


def _eligible(service: IssuerService, endorser_id: str, credential_id: str, *, now: datetime,
              checker: BadgeChecker | None) -> tuple[IssuedCredential, str]:
    """(the badge to endorse, the endorser's own valid skill badge), or the error saying why
    this person may not endorse this badge."""
    target = endorsable_badge(service, credential_id, now=now, checker=checker)
    if target.recipient_id == endorser_id:
        raise EndorsementError("Vous ne pouvez pas recommander votre propre badge.",
                               "You cannot endorse your own badge.", code="endorsement.own_badge")
    return target, peer_badge_of(service, endorser_id, now=now, checker=checker)


def _earlier_request(session: Session, endorser_id: str, badge_id: str) -> EndorsementRow | None:
    """The person's earlier endorsement of this badge if it may be written again (rejected),
    None if there is none; EndorsementError if it is waiting, published or revoked."""
    row = session.scalars(select(EndorsementRow).where(
        EndorsementRow.endorser_id == endorser_id,
        EndorsementRow.endorsed_credential_id == badge_id)).first()
    if row is not None and row.status != "rejected":
        raise _already(row)
    if row is None:
        withdrawn = _revoked_before_reissue(session, endorser_id, badge_id)
        if withdrawn is not None:
            raise _already(withdrawn)
    return row


#: How many re-issues back a withdrawn endorsement is looked for (each is a holder's or a
#: coordinator's deliberate act: a handful at most).
_PREDECESSORS_LOOKED_AT = 50


def _revoked_before_reissue(session: Session, endorser_id: str,
                            badge_id: str) -> EndorsementRow | None:
    """An endorsement of an earlier issue of this badge (`superseded_by` chain) that was
    revoked for good rather than carried over: it stays revoked for the badge issued again."""
    current = [badge_id]
    for _ in range(_PREDECESSORS_LOOKED_AT):
        current = list(session.scalars(select(IssuedCredential.id).where(
            IssuedCredential.superseded_by.in_(current))))
        if not current:
            return None
        found = session.scalars(select(EndorsementRow).where(
            EndorsementRow.endorser_id == endorser_id,
            EndorsementRow.endorsed_credential_id.in_(current),
            EndorsementRow.revoked_at.is_not(None),
            EndorsementRow.superseded_by.is_(None))).first()
        if found is not None:
            return found
    return None


def _already(row: EndorsementRow) -> EndorsementError:
    if row.status == "pending":
        return EndorsementError("Votre recommandation de ce badge attend déjà la relecture de "
                                "la coordination.", "Your endorsement of this badge is already "
                                "waiting for the coordination's review.",
                                code="endorsement.already_pending")
    if row.revoked_at is not None:
        return EndorsementError("Votre recommandation de ce badge a été retirée : elle ne peut "
                                "pas être écrite à nouveau.", "Your endorsement of this badge "
                                "was withdrawn: it cannot be written again.",
                                code="endorsement.was_revoked")
    return EndorsementError("Vous avez déjà recommandé ce badge.",
                            "You have already endorsed this badge.",
                            code="endorsement.already_approved")


# --- moderating ------------------------------------------------------------------------------

def approve_endorsement(service: IssuerService, endorsement_id: str, *, actor: str,
                        origin: str | None = None, now: datetime | None = None,
                        notify: bool = True) -> EndorsementView:
    """Approve a waiting endorsement: build, sign (both proofs, the City's keys) and store its
    `EndorsementCredential`, with a slot of the endorsements' status list, in one transaction.
    With `notify`, the e-mail telling the badge's holder is queued in the same transaction:
    send it with `issuer.mail.deliver_pending` after this returns."""
    now = _now(now)
    with service.database.session() as session:
        row = _decide(session, endorsement_id, "approved", actor=actor, now=now)
        endorsed = row.endorsed
        if (endorsed.revoked_at is not None or endorsed.suspended or not endorsed.is_signed
                or (endorsed.valid_until is not None and endorsed.valid_until <= now)):
            raise EndorsementError("Le badge recommandé n'est plus valide : refusez plutôt "
                                   "cette recommandation.", "The endorsed badge is no longer "
                                   "valid: reject this endorsement instead.",
                                   code="endorsement.badge_not_valid")
        reserve_endorsement_slot(session, row)
        sign_endorsement(service, session, row, now)
        record_audit(session, actor=actor, action="endorsement.approved", subject=row.id,
                     origin=origin, details={"credential": endorsed.id})
        if notify:
            from issuer.network.endorsement_mail import queue_endorsement_published

            queue_endorsement_published(service, session, row,
                                        badge_name=credential_name(endorsed.credential_json),
                                        actor=actor, origin=origin)
        return view_of(service, row)


def sign_endorsement(service: IssuerService, session: Session, row: EndorsementRow,
                     now: datetime, valid_from: datetime | None = None) -> None:
    """Build and sign (both proofs, the City's current keys) the `EndorsementCredential` of an
    approved `row` whose status slot is reserved: its subject is the endorsed badge, its
    evidence the endorser's own badge (OB 3.0 §B.1.6, issuer.openbadges.endorsement_credential).
    `valid_from`: when the City first published it (an endorsement carried over keeps its
    date); None: now."""
    endorsed = session.get(IssuedCredential, row.endorsed_credential_id)
    assert endorsed is not None
    endorser_badge = (session.get(IssuedCredential, row.endorser_credential_id)
                      if row.endorser_credential_id else None)
    base_url = service.settings.base_url
    assert row.status_list_id is not None and row.status_index is not None
    unsigned = build_endorsement_credential(
        endorsement_id=row.id, base_url=base_url, issuer=service.profile,
        endorsed_credential_url=credential_url(base_url, endorsed.id),
        endorsed_badge_name=credential_name(endorsed.credential_json),
        comment=row.comment,
        endorser=Endorser(
            name=row.endorser_name,
            badge_url=credential_url(base_url, endorser_badge.id) if endorser_badge
            else credential_url(base_url, endorsed.id),
            badge_name=credential_name(endorser_badge.credential_json) if endorser_badge
            else "Médiateur·rice numérique"),
        valid_from=valid_from or now,
        status=status_list_entry(service.status_list_url(row.status_list_id, "revocation"),
                                 row.status_index, "revocation"))
    row.credential_json, row.credential_jwt = service.sign(unsigned, now)
    row.issued_at = valid_from or now


def reject_endorsement(service: IssuerService, endorsement_id: str, reason: str, *, actor: str,
                       origin: str | None = None, now: datetime | None = None) -> EndorsementView:
    """Reject a waiting endorsement; the endorser sees the reason in their space."""
    reason_text = _reason(reason, "refus", "rejection")
    now = _now(now)
    with service.database.session() as session:
        row = _decide(session, endorsement_id, "rejected", actor=actor, now=now)
        row.rejection_reason = reason_text
        record_audit(session, actor=actor, action="endorsement.rejected", subject=row.id,
                     origin=origin, details={"reason": reason_text})
        return view_of(service, row)


def revoke_endorsement(service: IssuerService, endorsement_id: str, reason: str, *, actor: str,
                       origin: str | None = None, now: datetime | None = None) -> EndorsementView:
    """Revoke an approved endorsement: its bit is set in the endorsements' status list."""
    reason_text = _reason(reason, "révocation", "revocation")
    with service.database.session() as session:
        row = _get(session, endorsement_id)
        view = _revoke_in_session(service, session, row, reason_text, actor=actor,
                                  origin=origin, now=_now(now))
    service.forget_status_cache()
    return view


def withdraw_endorsement(service: IssuerService, endorser_id: str, endorsement_id: str, *,
                         origin: str | None = None,
                         now: datetime | None = None) -> Literal["deleted", "revoked"]:
    """The endorser takes their endorsement back: a waiting or rejected one is deleted, an
    approved one is revoked."""
    with service.database.session() as session:
        row = _get(session, endorsement_id)
        if row.endorser_id != endorser_id:
            raise EndorsementNotFound()
        if row.status != "approved":
            session.delete(row)
            record_audit(session, actor=MEDIATOR_ACTOR, action="endorsement.withdrawn",
                         subject=endorsement_id, origin=origin)
            return "deleted"
        _revoke_in_session(service, session, row, WITHDRAWN_REASON, actor=MEDIATOR_ACTOR,
                           origin=origin, now=_now(now))
    service.forget_status_cache()
    return "revoked"


def _decide(session: Session, endorsement_id: str, status: str, *, actor: str,
            now: datetime) -> EndorsementRow:
    # One conditional UPDATE: of two coordinators deciding at once, one wins, the other is
    # told it was decided already (and nothing is issued twice).
    changed = cast(CursorResult[Any], session.execute(
        update(EndorsementRow)
        .where(EndorsementRow.id == endorsement_id, EndorsementRow.status == "pending")
        .values(status=status, decided_at=now, decided_by=actor)
        .execution_options(synchronize_session=False))).rowcount
    row = _get(session, endorsement_id)
    if not changed:
        raise EndorsementError("Cette recommandation a déjà été traitée.",
                               "This endorsement has already been decided.",
                               code="endorsement.already_decided")
    session.refresh(row)
    return row


def _revoke_in_session(service: IssuerService, session: Session, row: EndorsementRow,
                       reason: str, *, actor: str, origin: str | None,
                       now: datetime) -> EndorsementView:
    if row.status != "approved":
        raise EndorsementError("Seule une recommandation publiée peut être révoquée.",
                               "Only a published endorsement can be revoked.",
                               code="endorsement.not_approved")
    if row.revoked_at is not None:
        raise EndorsementError("Cette recommandation est déjà révoquée.",
                               "This endorsement is already revoked.",
                               code="endorsement.already_revoked")
    row.revoked_at, row.revocation_reason = now, reason
    record_audit(session, actor=actor, action="endorsement.revoked", subject=row.id,
                 origin=origin, details={"reason": reason})
    return view_of(service, row)


def _reason(reason: str, fr: str, en: str) -> str:
    text = " ".join((reason or "").split())
    if not text:
        raise InvalidInput(f"Indiquez le motif du {fr}." if fr == "refus"
                           else f"Indiquez le motif de la {fr}.",
                           f"Give the reason for the {en}.", code="endorsement.reason_required")
    if len(text) > MAX_REASON_LENGTH:
        raise InvalidInput(f"Le motif fait {MAX_REASON_LENGTH} caractères au plus.",
                           f"The reason is {MAX_REASON_LENGTH} characters at most.",
                           code="endorsement.reason_too_long")
    return text


# --- reading ---------------------------------------------------------------------------------

def moderation_queue(service: IssuerService) -> tuple[EndorsementView, ...]:
    """Endorsements waiting for the coordinator, oldest first."""
    return _list(service, EndorsementRow.status == "pending", oldest_first=True)


def decided_endorsements(service: IssuerService, *,
                         limit: int = 100) -> tuple[EndorsementView, ...]:
    """The last endorsements approved or rejected, newest first."""
    return _list(service, EndorsementRow.status != "pending", limit=limit)


def endorsements_of_badge(service: IssuerService,
                          credential_id: str) -> tuple[EndorsementView, ...]:
    """The published (approved, not revoked) endorsements of one badge, for its page."""
    return _list(service, EndorsementRow.endorsed_credential_id == credential_id,
                 EndorsementRow.status == "approved", EndorsementRow.revoked_at.is_(None),
                 oldest_first=True)


def endorsements_received(service: IssuerService, recipient_id: str) -> tuple[EndorsementView, ...]:
    """The published endorsements of a person's badges."""
    endorsed = select(IssuedCredential.id).where(IssuedCredential.recipient_id == recipient_id)
    return _list(service, EndorsementRow.endorsed_credential_id.in_(endorsed),
                 EndorsementRow.status == "approved", EndorsementRow.revoked_at.is_(None))


def endorsements_given(service: IssuerService, recipient_id: str) -> tuple[EndorsementView, ...]:
    """Every endorsement a person wrote, whatever its state, for their space (one replaced
    when the badge it endorsed was issued again shows as its successor only)."""
    return _list(service, EndorsementRow.endorser_id == recipient_id,
                 EndorsementRow.superseded_by.is_(None))


def signed_endorsement(service: IssuerService, endorsement_id: str) -> SignedEndorsement:
    """An approved endorsement with its signed forms (revoked ones too: their page says so)."""
    with service.database.session(read_only=True) as session:
        row = session.get(EndorsementRow, endorsement_id) if _is_uuid(endorsement_id) else None
        if row is None or row.status != "approved" or not row.is_signed:
            raise EndorsementNotFound()
        return SignedEndorsement(view_of(service, row), row.credential_json, row.credential_jwt)


def _list(service: IssuerService, *conditions: Any, oldest_first: bool = False,
          limit: int | None = None) -> tuple[EndorsementView, ...]:
    order = EndorsementRow.requested_at if oldest_first else EndorsementRow.requested_at.desc()
    query = select(EndorsementRow).where(*conditions).order_by(order, EndorsementRow.id)
    if limit is not None:
        query = query.limit(limit)
    with service.database.session(read_only=True) as session:
        return tuple(view_of(service, row) for row in session.scalars(query))


# --- erasure ---------------------------------------------------------------------------------

def forget_person_endorsements(service: IssuerService, session: Session, recipient_id: str, *,
                               actor: str, origin: str | None = None,
                               now: datetime | None = None) -> list[str]:
    """RGPD erasure, in the caller's transaction: endorsements written by the person or given
    to their badges. Approved ones are revoked (reason: erasure) and lose their texts; the
    others are deleted. Returns the ids revoked. The status lists keep every bit."""
    now = _now(now)
    their_badges = select(IssuedCredential.id).where(IssuedCredential.recipient_id == recipient_id)
    rows = list(session.scalars(select(EndorsementRow).where(or_(
        EndorsementRow.endorser_id == recipient_id,
        EndorsementRow.endorsed_credential_id.in_(their_badges)))))
    revoked: list[str] = []
    for row in rows:
        if row.status != "approved":
            session.delete(row)
            continue
        if row.revoked_at is None:
            row.revoked_at, row.revocation_reason = now, ERASURE_REASON
            revoked.append(row.id)
            record_audit(session, actor=actor, action="endorsement.revoked",
                         subject=row.id, origin=origin, details={"reason": "erasure"})
        row.comment, row.endorser_name = "", None
        row.credential_json = row.credential_jwt = ""
    session.flush()
    return revoked


def forget_revoked_endorsements(session: Session, cutoff: datetime) -> int:
    """Retention (RGPD art. 5-1-e), in the caller's transaction, for `issuer purge`:
    endorsements revoked before `cutoff` lose their texts and signed forms (their status bit
    stays set), and requests rejected before it are deleted. Returns how many were changed."""
    changed = 0
    for row in session.scalars(select(EndorsementRow).where(or_(
            EndorsementRow.revoked_at < cutoff,
            (EndorsementRow.status == "rejected") & (EndorsementRow.decided_at < cutoff)))):
        if row.status == "rejected":
            session.delete(row)
            changed += 1
        elif row.credential_json or row.comment:
            row.comment, row.endorser_name = "", None
            row.credential_json = row.credential_jwt = ""
            changed += 1
    session.flush()
    return changed


# --- helpers ---------------------------------------------------------------------------------

def _now(now: datetime | None) -> datetime:
    return (now or datetime.now(UTC)).replace(microsecond=0)


def _checker(service: IssuerService) -> BadgeChecker:
    from issuer.network.mediators.badges import BadgeChecker

    return BadgeChecker(service)


def _state(service: IssuerService, row: IssuedCredential, now: datetime,
           checker: BadgeChecker | None) -> str:
    from issuer.network.mediators.badges import stored_state

    stored = stored_state(row, now)
    if stored is not None:
        return stored
    return (checker or _checker(service)).state(row.id, row.credential_json)


def _is_skill_badge(service: IssuerService, slug: str) -> bool:
    try:
        return service.catalogue.badge(slug).family == "skill"
    except CatalogueError:
        return False


def _is_uuid(value: str) -> bool:
    try:
        return str(uuid.UUID(value)) == value
    except (ValueError, AttributeError, TypeError):
        return False


def _get(session: Session, endorsement_id: str) -> EndorsementRow:
    row = session.get(EndorsementRow, endorsement_id) if _is_uuid(endorsement_id) else None
    if row is None:
        raise EndorsementNotFound()
    return row


__all__ = [
    "EndorsementError", "EndorsementNotFound", "SignedEndorsement", "approve_endorsement",
    "decided_endorsements", "endorsable_badge",
    "endorsements_given", "endorsements_of_badge", "endorsements_received",
    "forget_person_endorsements", "forget_revoked_endorsements", "may_endorse",
    "moderation_queue", "peer_badge_of", "reject_endorsement", "request_endorsement", "revoke_endorsement",
    "sign_endorsement", "signed_endorsement", "withdraw_endorsement"
]
