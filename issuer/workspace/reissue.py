"""Revoking in a transaction, and re-issuing a badge under the same terms (superseding it).

A signed badge cannot be edited: every character is covered by its proof. When something it
carries must change, the badge is issued again and the old one revoked, pointing at its
successor (`issued_credentials.superseded_by`). Three paths do this:

- an e-mail change (`issuer.workspace.recipients.change_email`): the identity hash names the
  old address;
- the holder's choice to show or hide their name on one badge (issue 13 item 5, Mon espace);
- a key compromise: every badge signed with a revoked key issued again under the current key.

"The same terms" means: the same badge, edition, role, CLN sector and mandate (a skill badge:
the alignments and criteria of the skills catalogue's version it was granted under), the same
evidence, the same start of validity (and so the same end), the same suspension state; only
what the caller changes differs (the person's address, the name display, the signing key).

What follows the old badge: its wallet copies are revoked with it, for the same reason
(`holder_copy_status.follow_original_status`, called by `revoke_in_session`); the register and the
attendance lines point at the successor; the peers' endorsements of it are issued again for the
successor and the old ones revoked (`issuer.network.endorsement_successors`); the holder is
sent the successor's delivery e-mail (queued in the same transaction), from which they can add
it to their wallet again. Every step is in the audit trail: the successor's issuance, the old
badge's revocation (reason and successor), one `audit_action` line per pair.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from issuer.errors import InvalidInput, NotFound
from issuer.issuance.issue_requests import IssueRequest
from issuer.issuance.service import IssuerService
from issuer.mail import MailError, queue_badge_email
from issuer.network.endorsement_successors import carry_over_endorsements
from issuer.network.skill_badges import definition_as_granted
from issuer.openbadges import credential as model
from issuer.openbadges.canonical import find_control_characters
from issuer.storage.audit_log import record_audit
from issuer.storage.credential_rows import get_credential
from issuer.storage.holder_copy_status import follow_original_status, forget_holder_copies
from issuer.storage.models import IssuedCredential, Recipient
from issuer.storage.workspace_models import Attendance, ClnMember

#: The revocation reason of a badge replaced by a new one (the status list only says
#: "revoked"; the reason is for the coordinator, the audit trail and the holder's pages).
SUPERSEDED = "superseded"
#: The audit action recorded for each (old, new) pair unless the caller names another.
REISSUED = "credential.reissued"
MAX_REASON_LENGTH = 500


@dataclass(frozen=True)
class Reissue:
    """One badge issued again: the old credential id and its successor's."""

    old_id: str
    new_id: str


def utc_now(now: datetime | None = None) -> datetime:
    return (now or datetime.now(UTC)).astimezone(UTC).replace(microsecond=0)


def forget_cached_status_lists(service: IssuerService) -> None:
    """After a commit that changed status bits: the service re-signs its status lists at most
    every 60 s (`cached_status_list_credential`); drop its copies so this process serves the
    new bits at once, as `IssuerService.revoke` does."""
    service.forget_status_cache()


def queue_delivery(service: IssuerService, session: Session, credential_id: str, *, actor: str,
                   origin: str | None) -> None:
    """Queue the badge's delivery e-mail in the issuing transaction (issue #4 item 7); the
    caller sends it after the commit (`issuer.mail.deliver_pending`). A badge that cannot be
    mailed (no address) is still issued."""
    try:
        with session.begin_nested():
            queue_badge_email(service, session, credential_id, actor=actor, origin=origin)
    except MailError:
        pass


def revoke_in_session(session: Session, row: IssuedCredential, reason: str, *, actor: str,
                      origin: str | None, now: datetime,
                      superseded_by: str | None = None) -> None:
    """Revoke `row` in the caller's transaction and audit it (who, why, from where). The
    status list derives its bits from `revoked_at` (status_slots.status_bits); revocation is
    final (Bitstring Status List §2.1: a revoked credential is never reinstated)."""
    reason = " ".join((reason or "").split())
    if not reason:
        raise InvalidInput("Indiquez le motif de la révocation.",
                           "Give the reason for the revocation.", code="revoke.reason_required")
    if len(reason) > MAX_REASON_LENGTH or find_control_characters(reason):
        raise InvalidInput(
            f"Le motif est trop long ({MAX_REASON_LENGTH} caractères au plus) ou contient des "
            "caractères non autorisés.",
            f"The reason is too long (at most {MAX_REASON_LENGTH} characters) or contains "
            "characters that are not allowed.", code="revoke.bad_reason")
    if row.revoked_at is not None:
        raise InvalidInput("Ce badge est déjà révoqué.", "This badge is already revoked.",
                           code="revoke.already_revoked")
    row.revoked_at = now
    row.revocation_reason = reason
    if superseded_by is not None:
        row.superseded_by = superseded_by
    details: dict[str, Any] = {"reason": reason}
    if superseded_by is not None:
        details["superseded_by"] = superseded_by
    record_audit(session, actor=actor, action="credential.revoked", subject=row.id,
                 details=details, origin=origin)
    # Its holder-bound copies (issuer.wallet.copies) are revoked with it, for the same reason:
    # an erasure, a superseded badge (e-mail change, name display, key), a resignation, the
    # coordinator's reason.
    follow_original_status(session, row, actor=actor, origin=origin, now=now)


# -- re-issuing ----------------------------------------------------------------------------------

def reissue_in_session(service: IssuerService, session: Session,
                       originals: Sequence[IssuedCredential], *, actor: str,
                       origin: str | None = None, now: datetime | None = None,
                       reason: str = SUPERSEDED, audit_action: str = REISSUED,
                       show_name: bool | None = None, notify: bool = True,
                       ) -> tuple[Reissue, ...]:
    """Issue each of `originals` again under the same terms, in the caller's transaction, and
    revoke it with `reason`, pointing at its successor. Returns the (old, new) pairs in order.

    - The successor is issued to its person's address *as stored now* (an e-mail change
      updates the `recipients` row first), signed with the current keys.
    - `show_name`: None keeps what each old badge shows (its `credentialSubject.name` or not);
      True shows the person's current name, False hides it.
    - `notify`: queue the successor's delivery e-mail (send it with
      `issuer.mail.deliver_pending` after the commit).
    - `reason` is the old badge's revocation reason, also given to its wallet copies;
      `audit_action` names the one audit line per pair (subject: the successor).

    Refuses (InvalidInput, nothing kept when the caller lets it roll back) a badge already
    revoked or whose text was erased, a name shown when none is known, and a successor the
    idempotency key finds already issued (and since revoked): code `reissue.issued_before`.
    Call `forget_cached_status_lists(service)` after the commit."""
    now = utc_now(now)
    pairs: list[Reissue] = []
    for row in originals:
        if row.revoked_at is not None or not row.is_signed:
            raise InvalidInput("Ce badge est révoqué ou effacé : il ne peut pas être émis de "
                               "nouveau.", "This badge is revoked or erased: it cannot be "
                               "issued again.", code="reissue.not_live")
        request = same_terms_request(service, session, row, show_name=show_name)
        _release_idempotency_key(service, session, row, request)
        issued = service.issue_in_session(session, request, actor=actor, origin=origin, now=now)
        if not issued.created:
            # The idempotency key names the address: this badge was issued to it before (and
            # since revoked), and a revoked badge is never reinstated.
            raise InvalidInput(
                "Un de ces badges a déjà été émis à cette adresse puis révoqué : il ne peut pas "
                "être émis de nouveau pour elle.",
                "One of these badges was already issued to this address, then revoked: it "
                "cannot be issued to it again.", code="reissue.issued_before")
        successor = _credential_row(session, issued.credential_id)
        if row.suspended:
            successor.suspended = True
            successor.suspended_at = now
            record_audit(session, actor=actor, action="credential.suspended",
                         subject=successor.id, details={"reason": reason}, origin=origin)
        revoke_in_session(session, row, reason, actor=actor, origin=origin, now=now,
                          superseded_by=successor.id)
        record_audit(session, actor=actor, action=audit_action, subject=successor.id,
                     details={"supersedes": row.id, "reason": reason}, origin=origin)
        if notify:
            queue_delivery(service, session, successor.id, actor=actor, origin=origin)
        pairs.append(Reissue(old_id=row.id, new_id=successor.id))
    successors = {pair.old_id: pair.new_id for pair in pairs}
    _point_records_at_successors(session, successors)
    # The peers' endorsements follow the badge (issuer.network.endorsements): re-signed for
    # the successor, the old ones revoked; nothing for the endorser to do.
    carry_over_endorsements(service, session, successors, actor=actor, origin=origin, now=now)
    return tuple(pairs)


def reissue_badges(service: IssuerService, credential_ids: Sequence[str], *, actor: str,
                   origin: str | None = None, now: datetime | None = None,
                   reason: str = SUPERSEDED, audit_action: str = REISSUED,
                   show_name: bool | None = None, notify: bool = True,
                   recipient_id: str | None = None) -> tuple[Reissue, ...]:
    """`reissue_in_session` in its own transaction (all or nothing), for the badges named by
    id; the status lists served by this process change at once. `recipient_id`, when given,
    refuses a badge that is not that person's (the holder acting in Mon espace)."""
    with service.database.session() as session:
        rows = []
        for credential_id in credential_ids:
            row = _credential_row(session, service.normalise_credential_id(credential_id))
            if recipient_id is not None and row.recipient_id != recipient_id:
                raise NotFound(f"Aucun badge avec l'identifiant « {credential_id} ».",
                               f"No badge with id '{credential_id}'.",
                               code="credential.not_found")
            rows.append(row)
        pairs = reissue_in_session(service, session, rows, actor=actor, origin=origin, now=now,
                                   reason=reason, audit_action=audit_action,
                                   show_name=show_name, notify=notify)
    forget_cached_status_lists(service)
    return pairs


def same_terms_request(service: IssuerService, session: Session, row: IssuedCredential, *,
                       show_name: bool | None = None) -> IssueRequest:
    """The request that issues `row` again for its person as stored now: same badge, edition,
    role, sector and mandate (read from the register, else from the signed credential itself),
    same evidence and start of validity."""
    person: Recipient = row.recipient
    if person.erased_at is not None or not person.email:
        raise InvalidInput("Les données de cette personne ont été effacées.",
                           "This person's data has been erased.", code="recipient.erased")
    badge = service.catalogue.badge(row.badge_slug)
    credential = json.loads(row.credential_json)
    subject = credential.get("credentialSubject", {})
    member = session.scalars(select(ClnMember).where(or_(
        ClnMember.credential_id == row.id, ClnMember.alumni_credential_id == row.id))).first()
    sector = member.sector if member is not None else _sector_of(subject)
    start = end = None
    if badge.family == "membership":
        start = _city_date(subject.get("activityStartDate"))
        if not badge.validity_years:  # the former-member badge names the whole membership
            end = _city_date(subject.get("activityEndDate"))
    shown = ("name" in subject) if show_name is None else show_name
    if shown and not person.display_name:
        raise InvalidInput("Aucun nom n'est enregistré pour cette personne : il ne peut pas "
                           "être affiché sur le badge.", "No name is recorded for this person: "
                           "it cannot be shown on the badge.", code="reissue.no_name")
    return IssueRequest(badge_slug=row.badge_slug, email=person.email, name=person.display_name,
                        event_number=row.event_number, role=row.role, sector=sector,
                        mandate_start=start, mandate_end=end, name_shown=shown,
                        evidence=_given_evidence(credential, row), valid_from=row.valid_from,
                        # The same mandate, moved with the register's row: the register's
                        # rules were kept when it was first issued (issue 13 item 11).
                        through_register=badge.family == "membership",
                        # A skill badge keeps its catalogue version's alignments and criteria.
                        as_granted=definition_as_granted(service, row.badge_slug, credential)
                        if badge.family == "skill" else None)


def _given_evidence(credential: dict[str, Any], row: IssuedCredential) -> tuple[dict[str, Any], ...]:
    """The evidence given at issuance (a skill's narrative, link or file, a CLN session):
    the edition an event badge names is added again by the service itself."""
    entries = credential.get("evidence") or []
    if isinstance(entries, dict):
        entries = [entries]
    edition = f"/events/{row.badge_slug}/{row.event_number}"
    return tuple(entry for entry in entries if isinstance(entry, dict) and not (
        row.event_number is not None and str(entry.get("id", "")).endswith(edition)))


def _release_idempotency_key(service: IssuerService, session: Session, row: IssuedCredential,
                             request: IssueRequest) -> None:
    """A successor for the same address has the same idempotency key as `row` (badge, edition,
    role, address, mandate): `row`, about to be revoked, gives it up, so that the successor
    takes it and a repeated attendance import finds the badge in force."""
    badge, role, event = service.resolve_request(request)
    key = service.idempotency_key(request, badge, role, event,
                                  service.email_lookup_key(request.email))
    if row.idempotency_key == key:
        row.idempotency_key = hashlib.sha256(
            f"superseded|{row.id}|{key}".encode()).hexdigest()
        session.flush()


def _point_records_at_successors(session: Session, successors: dict[str, str]) -> None:
    """The register's mandates and the attendance lines name the badge in force."""
    if not successors:
        return
    old_ids = list(successors)
    for member in session.scalars(select(ClnMember).where(or_(
            ClnMember.credential_id.in_(old_ids), ClnMember.alumni_credential_id.in_(old_ids)))):
        if member.credential_id in successors:
            member.credential_id = successors[member.credential_id]
        if member.alumni_credential_id in successors:
            member.alumni_credential_id = successors[member.alumni_credential_id]
    for attendance in session.scalars(select(Attendance).where(
            Attendance.credential_id.in_(old_ids))):
        attendance.credential_id = successors[attendance.credential_id or ""]
    session.flush()


def _credential_row(session: Session, credential_id: str) -> IssuedCredential:
    row = get_credential(session, credential_id)
    if row is None:
        raise NotFound(f"Aucun badge avec l'identifiant « {credential_id} ».",
                       f"No badge with id '{credential_id}'.", code="credential.not_found")
    return row


def _city_date(value: Any) -> date | None:
    if not isinstance(value, str):
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    return moment.astimezone(model.CITY_TIMEZONE).date() if moment.tzinfo else moment.date()


def _sector_of(subject: dict[str, Any]) -> str | None:
    narrative = subject.get("narrative")
    if isinstance(narrative, str) and narrative.startswith("Secteur "):
        return narrative.removeprefix("Secteur ").strip() or None
    return None


# -- the holder's choice (Mon espace, issue 13 item 5) -----------------------------------------

#: Who the audit trail names for what a holder does in Mon espace (with their pseudonymous id
#: as the subject of the summary line).
HOLDER_ACTOR = "holder"
NAME_DISPLAY_CHANGED = "credential.name_display_changed"


def choose_name_display(service: IssuerService, recipient_id: str, credential_id: str, *,
                        show: bool, origin: str | None = None,
                        now: datetime | None = None) -> Reissue | None:
    """The holder shows or hides their name on one of their badges. The badge is issued again
    under the same terms with the name shown or not, the old copy revoked as superseded (its
    wallet copies with it), and the new one e-mailed to them. None when the badge already
    shows (or hides) the name as asked: nothing changes. Refuses a badge that is not theirs
    (`credential.not_found`, the same answer as a badge that does not exist), revoked or
    erased (`reissue.not_live`), and a name shown when none is recorded (`reissue.no_name`)."""
    with service.database.session() as session:
        row = get_credential(session, service.normalise_credential_id(credential_id))
        if row is None or row.recipient_id != recipient_id:
            raise NotFound(f"Aucun badge avec l'identifiant « {credential_id} ».",
                           f"No badge with id '{credential_id}'.", code="credential.not_found")
        if row.is_signed and row.revoked_at is None:
            subject = json.loads(row.credential_json).get("credentialSubject", {})
            if ("name" in subject) == show:
                return None
        (pair,) = reissue_in_session(service, session, [row], actor=HOLDER_ACTOR, origin=origin,
                                     now=now, reason=SUPERSEDED, audit_action=NAME_DISPLAY_CHANGED,
                                     show_name=show)
        if not show:
            # The old copy carries the name: it is no longer served here (its page and files
            # answer 404), and its status bit stays set, so a copy kept elsewhere shows revoked.
            row.credential_json = ""
            row.credential_jwt = ""
            forget_holder_copies(session, [row.id], actor=HOLDER_ACTOR,
                                 reason=NAME_DISPLAY_CHANGED)
        record_audit(session, actor=HOLDER_ACTOR, action=NAME_DISPLAY_CHANGED,
                     subject=recipient_id, origin=origin,
                     details={"old": pair.old_id, "new": pair.new_id,
                              "name_shown": show})
    forget_cached_status_lists(service)
    return pair
