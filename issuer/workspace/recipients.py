"""Recipients and their data (issue #4 items 6 and 8): find a person, list their badges,
correct a name, change an e-mail, revoke a badge. Exporting everything held about a person is
`issuer.workspace.recipient_export`; erasing a person and the retention purge (RGPD art. 5-1-e,
15, 17) are `issuer.workspace.recipient_erasure`.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from issuer.collation import sort_key
from issuer.errors import InvalidInput, NotFound
from issuer.issuance.service import IssuerService
from issuer.mail.revocation import queue_revocation_email
from issuer.names import check_person_name
from issuer.openbadges import credential as model
from issuer.storage.audit_log import record_audit
from issuer.storage.credential_rows import get_credential
from issuer.storage.models import IssuedCredential, Recipient
from issuer.storage.workspace_models import Attendance, ClaimRequest, ClnMember
from issuer.workspace.personal_records import _equals
from issuer.workspace.reissue import MAX_REASON_LENGTH as MAX_REASON_LENGTH
from issuer.workspace.reissue import SUPERSEDED as SUPERSEDED
from issuer.workspace.reissue import forget_cached_status_lists as forget_cached_status_lists
from issuer.workspace.reissue import queue_delivery as queue_delivery
from issuer.workspace.reissue import reissue_in_session, utc_now
from issuer.workspace.reissue import revoke_in_session as revoke_in_session

MAX_NAME_LENGTH = 200
SEARCH_LIMIT = 50


# -- small shared helpers ------------------------------------------------------------------------

def fold_for_search(value: str) -> str:
    """Lower case without accents: "Élodie" and "elodie" match."""
    decomposed = unicodedata.normalize("NFKD", value.casefold())
    return "".join(char for char in decomposed if not unicodedata.combining(char))


def _now(now: datetime | None) -> datetime:
    return utc_now(now)


# -- revocation ----------------------------------------------------------------------------------
# `revoke_in_session` (and `queue_delivery`, `forget_cached_status_lists`) live in
# issuer.workspace.reissue, which re-issuing builds on; they are imported here for the callers
# that know them from this module.

def revoke_credential(service: IssuerService, credential_id: str, reason: str, *, actor: str,
                      origin: str | None = None, now: datetime | None = None) -> None:
    """Revoke one badge with a reason (the admin form, `/admin/badges/<id>/revoquer`, and
    `issuer revoke`); the public page and every verifier then show it revoked (they read the
    status list). The holder is told why by e-mail (issue 13 item 7), queued in the same
    transaction: call `issuer.mail.deliver_pending(service)` after this returns."""
    with service.database.session() as session:
        row = _credential_row(session, service.normalise_credential_id(credential_id))
        revoke_in_session(session, row, reason, actor=actor, origin=origin, now=_now(now))
        queue_revocation_email(service, session, row, row.revocation_reason or reason,
                               actor=actor, origin=origin)
    forget_cached_status_lists(service)


# -- reading ---------------------------------------------------------------------------------------

@dataclass(frozen=True)
class PersonSummary:
    id: str
    display_name: str | None
    email: str | None
    badges: int
    erased: bool


@dataclass(frozen=True)
class BadgeLine:
    """One of a person's badges, with its state today."""

    credential_id: str
    badge_slug: str
    event_number: int | None
    role: str | None
    issued_at: datetime
    valid_from: datetime
    valid_until: datetime | None
    state: str              # valid / expired / suspended / revoked / superseded / erased
    revoked_at: datetime | None
    revocation_reason: str | None
    superseded_by: str | None

    @property
    def revocable(self) -> bool:
        return self.revoked_at is None


@dataclass(frozen=True)
class PersonFile:
    id: str
    subject_id: str
    display_name: str | None
    email: str | None
    show_name: bool
    indexable: bool
    created_at: datetime
    erased_at: datetime | None
    badges: tuple[BadgeLine, ...]

    @property
    def live_badges(self) -> list[BadgeLine]:
        """The badges an e-mail change reissues (not revoked)."""
        return [badge for badge in self.badges if badge.revoked_at is None
                and badge.state != "erased"]


@dataclass(frozen=True)
class CredentialSummary:
    """What the revocation page shows about the badge it revokes."""

    credential_id: str
    badge_slug: str
    event_number: int | None
    role: str | None
    issued_at: datetime
    revoked_at: datetime | None
    revocation_reason: str | None
    recipient_id: str
    recipient_name: str | None


def find_people(service: IssuerService, query: str, *,
                limit: int = SEARCH_LIMIT) -> list[PersonSummary]:
    """People whose e-mail is exactly `query` (found through the keyed hash, never by
    scanning addresses) or whose name contains it (ignoring case and accents)."""
    query = " ".join((query or "").split())
    if not query:
        return []
    with service.database.session(read_only=True) as session:
        if "@" in query:
            key = service.email_lookup_key(model.normalise_email(query))
            ids = list(session.scalars(select(Recipient.id).where(Recipient.email_hash_key == key)))
        else:
            needle = fold_for_search(query)
            # Folding accents is not portable in SQL (SQLite's lower() is ASCII only): names
            # are compared here, one narrow column read.
            # In French alphabetical order (issuer.collation), not by code point.
            named: list[tuple[str, str | None]] = sorted(
                ((person_id, name) for person_id, name in session.execute(
                    select(Recipient.id, Recipient.display_name)
                    .where(Recipient.display_name.is_not(None)))),
                key=lambda row: (sort_key(row[1] or ""), row[0]))
            ids = [person_id for person_id, name in named
                   if needle in fold_for_search(name or "")][:limit]
        if not ids:
            return []
        counts: dict[str, int] = dict(session.execute(  # rows unpack as (id, count)
            select(IssuedCredential.recipient_id, func.count())
            .where(IssuedCredential.recipient_id.in_(ids))
            .group_by(IssuedCredential.recipient_id)).all())
        people = {person.id: person for person in session.scalars(
            select(Recipient).where(Recipient.id.in_(ids)))}
        return [PersonSummary(id=pid, display_name=people[pid].display_name,
                              email=people[pid].email, badges=counts.get(pid, 0),
                              erased=people[pid].erased_at is not None) for pid in ids]


def person_file(service: IssuerService, recipient_id: str, *,
                now: datetime | None = None) -> PersonFile:
    now = _now(now)
    with service.database.session(read_only=True) as session:
        person = _person(session, recipient_id)
        badges = tuple(_badge_line(row, now) for row in sorted(
            person.credentials, key=lambda row: row.issued_at, reverse=True))
        return PersonFile(id=person.id, subject_id=person.subject_id,
                          display_name=person.display_name, email=person.email,
                          show_name=person.show_name, indexable=person.indexable,
                          created_at=person.created_at, erased_at=person.erased_at,
                          badges=badges)


def credential_summary(service: IssuerService, credential_id: str) -> CredentialSummary:
    with service.database.session(read_only=True) as session:
        row = _credential_row(session, service.normalise_credential_id(credential_id))
        return CredentialSummary(
            credential_id=row.id, badge_slug=row.badge_slug, event_number=row.event_number,
            role=row.role, issued_at=row.issued_at, revoked_at=row.revoked_at,
            revocation_reason=row.revocation_reason, recipient_id=row.recipient_id,
            recipient_name=row.recipient.display_name)


# -- corrections -----------------------------------------------------------------------------------

def correct_name(service: IssuerService, recipient_id: str, name: str, *, actor: str,
                 origin: str | None = None) -> None:
    """Correct how a person is named from now on: their next badges and the register. Badges
    already signed keep the name they were signed with (a signature covers every character)."""
    cleaned = check_person_name(name) or ""
    with service.database.session() as session:
        person = _living_person(session, recipient_id)
        if person.display_name == cleaned:
            return
        person.display_name = cleaned
        if person.email:
            for member in session.scalars(select(ClnMember).where(ClnMember.email == person.email)):
                member.name = cleaned
        record_audit(session, actor=actor, action="recipient.name_corrected",
                     subject=person.id, origin=origin)


@dataclass(frozen=True)
class EmailChange:
    """(old credential id, new credential id) for each badge reissued."""

    reissued: tuple[tuple[str, str], ...]


def change_email(service: IssuerService, recipient_id: str, new_email: str, *, actor: str,
                 origin: str | None = None, now: datetime | None = None) -> EmailChange:
    """Give a person a new e-mail address. Their badges not revoked carry a hash of the old
    address, which cannot be edited in a signed badge: each is issued again for the new
    address (same badge, edition, role, mandate, same status as to suspension) and the old one
    revoked as "superseded", pointing at its successor. One transaction: all or nothing."""
    email = model.normalise_email(new_email)
    key = service.email_lookup_key(email)
    now = _now(now)
    with service.database.session() as session:
        person = _living_person(session, recipient_id)
        if person.email_hash_key == key:
            raise InvalidInput("C'est déjà l'adresse de cette personne.",
                               "This is already this person's address.",
                               code="recipient.same_email")
        if session.scalars(select(Recipient.id).where(Recipient.email_hash_key == key)).first():
            raise InvalidInput(
                "Cette adresse est déjà celle d'une autre personne : cherchez-la dans « Personnes ». "
                "Deux fiches ne peuvent pas avoir la même adresse.",
                "This address already belongs to another person: look them up in “People”. "
                "Two people cannot share an address.", code="recipient.email_taken")
        old_email = person.email
        live = [row for row in person.credentials if row.revoked_at is None and row.is_signed]
        person.email = email
        person.email_hash_key = key
        session.flush()
        try:
            reissued = reissue_in_session(service, session, live, actor=actor, origin=origin,
                                          now=now, reason=SUPERSEDED)
        except InvalidInput as error:
            if error.code != "reissue.issued_before":
                raise
            raise InvalidInput(
                "Un de ces badges a déjà été émis à cette adresse puis révoqué : il ne peut "
                "pas être émis de nouveau pour elle. Choisissez une autre adresse.",
                "One of these badges was already issued to this address, then revoked: it "
                "cannot be issued to it again. Choose another address.",
                code="recipient.email_used_before") from error
        pairs = [(pair.old_id, pair.new_id) for pair in reissued]
        _move_records(session, [new for _old, new in pairs], old_email, email)
        record_audit(session, actor=actor, action="recipient.email_changed",
                     subject=person.id,
                     details={"reissued": [{"old": old, "new": new} for old, new in pairs]},
                     origin=origin)
    forget_cached_status_lists(service)
    return EmailChange(tuple(pairs))


def _move_records(session: Session, successors: list[str], old_email: str | None,
                  email: str) -> None:
    """Point the register, attendances and claims at the new address (the re-issue already
    pointed them at the new badges, `successors`)."""
    for member in session.scalars(select(ClnMember).where(or_(
            *_equals(ClnMember.email, old_email), ClnMember.credential_id.in_(successors),
            ClnMember.alumni_credential_id.in_(successors)))):
        member.email = email
    for attendance in list(session.scalars(select(Attendance).where(or_(
            *_equals(Attendance.email, old_email), Attendance.credential_id.in_(successors))))):
        # (event, e-mail, role) is unique: a line already listing the new address for the same
        # event and role stands for the same person now; keep that one.
        duplicate = session.scalars(select(Attendance).where(
            Attendance.event_family == attendance.event_family,
            Attendance.event_number == attendance.event_number,
            Attendance.role == attendance.role, Attendance.email == email,
            Attendance.id != attendance.id)).first()
        if duplicate is None:
            attendance.email = email
        else:
            duplicate.credential_id = duplicate.credential_id or attendance.credential_id
            session.delete(attendance)
        session.flush()
    if old_email:
        for claim in session.scalars(select(ClaimRequest).where(
                ClaimRequest.email == old_email)):
            claim.email = email


# -- row helpers -----------------------------------------------------------------------------------

def _person(session: Session, recipient_id: str) -> Recipient:
    person = session.get(Recipient, recipient_id)
    if person is None:
        raise NotFound(f"Personne inconnue : {recipient_id}.", f"Unknown person: {recipient_id}.",
                       code="recipient.not_found")
    return person


def _living_person(session: Session, recipient_id: str) -> Recipient:
    person = _person(session, recipient_id)
    if person.erased_at is not None:
        raise InvalidInput("Les données de cette personne ont été effacées.",
                           "This person's data has been erased.", code="recipient.erased")
    return person


def _credential_row(session: Session, credential_id: str) -> IssuedCredential:
    row = get_credential(session, credential_id)
    if row is None:
        raise NotFound(f"Aucun badge avec l'identifiant « {credential_id} ».",
                       f"No badge with id '{credential_id}'.", code="credential.not_found")
    return row


def _badge_line(row: IssuedCredential, now: datetime) -> BadgeLine:
    if not row.is_signed:
        state = "erased"
    elif row.revoked_at is not None:
        state = "superseded" if row.superseded_by else "revoked"
    elif row.suspended:
        state = "suspended"
    elif row.valid_until is not None and row.valid_until < now:
        state = "expired"
    else:
        state = "valid"
    return BadgeLine(credential_id=row.id, badge_slug=row.badge_slug,
                     event_number=row.event_number, role=row.role, issued_at=row.issued_at,
                     valid_from=row.valid_from, valid_until=row.valid_until, state=state,
                     revoked_at=row.revoked_at, revocation_reason=row.revocation_reason,
                     superseded_by=row.superseded_by)
