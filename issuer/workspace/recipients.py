"""Recipients and their data (issue #4 items 6 and 8): find a person, list their badges,
correct a name, change an e-mail, revoke a badge, export everything held about a person, erase
a person, and purge what the retention period no longer allows to keep (RGPD art. 5-1-e, 15,
17).

Where a person's data lives: `recipients` (e-mail, name, keyed e-mail hash), the signed text of
their credentials (a salted e-mail hash, the name when they agreed to show it),
`attendances`, `claim_requests`, `cln_members`, `email_messages` (and the outbox files those
name). The audit log names people only by pseudonymous ids and is never rewritten.

Erasure keeps each credential *row*: its status-list index must stay set, so that every copy
the holder kept shows as revoked, and the index is never handed to someone else. What goes is
everything that says who the person was: the row's signed text (then `is_signed` is False and
the public page answers 404), the keyed idempotency key (derived from the e-mail), and the
person's rows in the other tables.
"""

from __future__ import annotations

import json
import secrets
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Select, delete, func, or_, select
from sqlalchemy.orm import Session

from issuer.collation import sort_key
from issuer.errors import InvalidInput, NotFound
from issuer.issuance.service import IssuerService
from issuer.mail.delivery import SPOOL_FOLDER
from issuer.mail.revocation import queue_revocation_email
from issuer.mail.transport import outbox_dir
from issuer.names import check_person_name
from issuer.network.endorsements import forget_person_endorsements, forget_revoked_endorsements
from issuer.network.evidence import forget_evidence_files
from issuer.network.mediators.sign_in import forget_recipient
from issuer.openbadges import credential as model
from issuer.storage.audit_log import record_audit
from issuer.storage.credential_rows import get_credential
from issuer.storage.endorsement_models import EndorsementRow
from issuer.storage.holder_copy_status import forget_holder_copies, holder_copies_of
from issuer.storage.mediator_models import DirectoryProfile
from issuer.storage.models import AuditEntry, IssuedCredential, Recipient
from issuer.storage.offer_models import WalletOfferRow
from issuer.storage.recipient_rows import erase_recipient
from issuer.storage.wallet_models import HolderCopyRow
from issuer.storage.workspace_models import Attendance, ClaimRequest, ClnMember, EmailMessage
from issuer.wallet.holder_links import forget_recipient as forget_wallet_links
from issuer.workspace.reissue import MAX_REASON_LENGTH as MAX_REASON_LENGTH
from issuer.workspace.reissue import SUPERSEDED as SUPERSEDED
from issuer.workspace.reissue import forget_cached_status_lists as forget_cached_status_lists
from issuer.workspace.reissue import queue_delivery as queue_delivery
from issuer.workspace.reissue import reissue_in_session, utc_now
from issuer.workspace.reissue import revoke_in_session as revoke_in_session

#: Revocation reasons written by this module (the status list says "revoked"; the reason is
#: for the coordinator and the audit trail). SUPERSEDED comes from issuer.workspace.reissue.
ERASURE = "erasure"
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
        counts = dict(session.execute(
            select(IssuedCredential.recipient_id, func.count())
            .where(IssuedCredential.recipient_id.in_(ids))
            .group_by(IssuedCredential.recipient_id)).tuples().all())
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


# -- access and erasure ------------------------------------------------------------------------

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


@dataclass(frozen=True)
class ErasureReport:
    revoked: tuple[str, ...]
    forgotten: tuple[str, ...]          # credentials whose signed text was removed
    deleted: dict[str, int] = field(default_factory=dict)   # table -> rows
    # Peer endorsements written by the person or about their badges (revoked or deleted), and
    # whether they have a directory entry (deleted).
    endorsements: int = 0
    directory_entry: bool = False


def erasure_preview(service: IssuerService, recipient_id: str) -> ErasureReport:
    """What `erase_person` would do, for the confirmation page (nothing is changed)."""
    with service.database.session(read_only=True) as session:
        person = _person(session, recipient_id)
        records = _personal_records(session, person)
        ids = [row.id for row in person.credentials]
        endorsements = session.scalar(select(func.count()).select_from(EndorsementRow).where(
            or_(EndorsementRow.endorser_id == person.id,
                EndorsementRow.endorsed_credential_id.in_(ids)))) or 0
        return ErasureReport(
            revoked=tuple(row.id for row in person.credentials if row.revoked_at is None),
            forgotten=tuple(row.id for row in person.credentials if row.is_signed),
            deleted=records.counts(), endorsements=int(endorsements),
            directory_entry=session.get(DirectoryProfile, person.id) is not None)


def erase_person(service: IssuerService, recipient_id: str, *, actor: str,
                 origin: str | None = None, now: datetime | None = None) -> ErasureReport:
    """Erase a person (RGPD art. 17): revoke their badges not yet revoked (reason
    "erasure"), remove their signed texts and every row naming them. Status lists, audit log
    and everyone else's badges are untouched."""
    now = _now(now)
    with service.database.session() as session:
        person = _person(session, recipient_id)
        if person.erased_at is not None:
            raise InvalidInput("Les données de cette personne ont déjà été effacées.",
                               "This person's data has already been erased.",
                               code="recipient.already_erased")
        revoked = []
        for row in person.credentials:
            if row.revoked_at is None:
                revoke_in_session(session, row, ERASURE, actor=actor, origin=origin, now=now)
                revoked.append(row.id)
        endorsements = forget_person_endorsements(service, session, person.id, actor=actor,
                                                  origin=origin, now=now)
        forgotten, deleted, files = _erase_personal_data(service, session, person, now,
                                                         actor=actor)
        record_audit(session, actor=actor, action="recipient.erased", subject=person.id,
                     details={"revoked": revoked, "forgotten": forgotten,
                              "deleted": deleted, "endorsements_revoked": endorsements},
                     origin=origin)
    _remove_files(files)
    forget_cached_status_lists(service)
    return ErasureReport(revoked=tuple(revoked), forgotten=tuple(forgotten), deleted=deleted)


@dataclass(frozen=True)
class PurgeReport:
    people_erased: int
    badges_forgotten: int
    claims_deleted: int
    cutoff: datetime


def purge_expired_personal_data(service: IssuerService,
                                now: datetime | None = None) -> PurgeReport:
    """Remove the personal data attached to badges revoked more than `ISSUER_RETENTION_DAYS`
    ago (RGPD art. 5-1-e, storage limitation), for `issuer purge` run daily by cron:

    - a person whose badges are all revoked since before the cutoff is erased entirely;
    - otherwise each such badge loses its signed text, e-mails, attendance line and (for a
      closed mandate) its register row, and the person keeps the rest;
    - claims rejected before the cutoff are deleted, and endorsements revoked or rejected
      before it lose their texts (issuer.network.endorsements).
    Nothing is revoked here; status lists do not change. Running it twice changes nothing."""
    now = _now(now)
    cutoff = now - timedelta(days=service.settings.retention_days)
    people = badges = 0
    files: list[Path] = []
    with service.database.session() as session:
        expired = list(session.scalars(select(IssuedCredential).where(
            IssuedCredential.revoked_at < cutoff, IssuedCredential.credential_json != "")))
        by_person: dict[str, list[IssuedCredential]] = {}
        for row in expired:
            by_person.setdefault(row.recipient_id, []).append(row)
        for recipient_id, rows in sorted(by_person.items()):
            person = _person(session, recipient_id)
            all_expired = all(row.revoked_at is not None and row.revoked_at < cutoff
                              for row in person.credentials)
            if all_expired and person.erased_at is None:
                forget_person_endorsements(service, session, person.id, actor="cli", now=now)
                _forgotten, _deleted, found = _erase_personal_data(service, session, person, now,
                                                                   reason="retention")
                files += found
                people += 1
                record_audit(session, actor="cli", action="recipient.purged",
                             subject=person.id, details={"reason": "retention"})
            else:
                for row in rows:
                    files += _forget_badge(service, session, row)
                    badges += 1
        rejected = list(session.scalars(select(ClaimRequest.id).where(
            ClaimRequest.status == "rejected", ClaimRequest.decided_at < cutoff)))
        if rejected:
            session.execute(delete(ClaimRequest).where(ClaimRequest.id.in_(rejected)))
        claims = len(rejected)
        endorsements_forgotten = forget_revoked_endorsements(session, cutoff)
        if people or badges or claims or endorsements_forgotten:
            record_audit(session, actor="cli", action="personal_data.purged",
                         subject="retention",
                         details={"retention_days": service.settings.retention_days,
                                  "people_erased": people, "badges_forgotten": badges,
                                  "claims_deleted": claims,
                                  "endorsements_forgotten": endorsements_forgotten})
    _remove_files(files)
    return PurgeReport(people_erased=people, badges_forgotten=badges, claims_deleted=claims,
                       cutoff=cutoff)


# -- the person's rows in every table --------------------------------------------------------------

@dataclass(frozen=True)
class _Records:
    attendances: list[Attendance]
    claims: list[ClaimRequest]
    members: list[ClnMember]
    messages: list[EmailMessage]

    def counts(self) -> dict[str, int]:
        return {"attendances": len(self.attendances), "claim_requests": len(self.claims),
                "cln_members": len(self.members), "email_messages": len(self.messages)}


def _personal_records(session: Session, person: Recipient) -> _Records:
    """The rows of the workspace tables about `person`: by their address, or by their
    badges (after an erasure only the latter are left to find)."""
    ids = [row.id for row in person.credentials]
    email = person.email

    def rows(query: Select[Any]) -> list[Any]:
        return list(session.scalars(query))

    return _Records(
        attendances=rows(select(Attendance).where(or_(
            Attendance.credential_id.in_(ids), *_equals(Attendance.email, email)))
            .order_by(Attendance.id)),
        claims=rows(select(ClaimRequest).where(ClaimRequest.email == email)
                    .order_by(ClaimRequest.id)) if email else [],
        members=rows(select(ClnMember).where(or_(
            ClnMember.credential_id.in_(ids), ClnMember.alumni_credential_id.in_(ids),
            *_equals(ClnMember.email, email))).order_by(ClnMember.mandate_start)),
        messages=rows(select(EmailMessage).where(or_(
            EmailMessage.credential_id.in_(ids), *_equals(EmailMessage.to_address, email)))
            .order_by(EmailMessage.created_at)),
    )


def _equals(column: Any, value: str | None) -> list[Any]:
    return [column == value] if value else []


def _erase_personal_data(service: IssuerService, session: Session, person: Recipient,
                         now: datetime, *, actor: str = "cli", reason: str = ERASURE,
                         ) -> tuple[list[str], dict[str, int], list[Path]]:
    """Delete the person's rows, forget their signed texts, clear the recipient row.
    Returns (credentials forgotten, rows deleted per table, outbox files to remove)."""
    records = _personal_records(session, person)
    deleted = records.counts()
    files = [path for row in records.messages for path in _message_files(service, row)]
    _delete_rows(session, records)
    # "Mon espace" sign-in links and sessions, and the directory entry (issuer.network.mediators).
    forget_recipient(session, person.id)
    # Wallet offers made for them (issuer.wallet.oid4vci): digests, and the wallet's DID.
    session.execute(delete(WalletOfferRow).where(WalletOfferRow.recipient_id == person.id),
                    execution_options={"synchronize_session": False})
    # Wallet holder links, accesses and exchanges (issuer.wallet).
    forget_wallet_links(session, person.id)
    forgotten = []
    for row in person.credentials:
        if row.is_signed:
            _forget_signed_forms(row)
            forgotten.append(row.id)
    # Their holder-bound copies lose their texts and holder DID (revoked already, above).
    forget_holder_copies(session, [row.id for row in person.credentials], actor=actor,
                         reason=reason)
    # The evidence files their badges cite (a photo, a document may show them): rows now, files
    # once committed; their addresses then answer 404 and `issuer publish` leaves them out.
    files += forget_evidence_files(service.settings, session,
                                   [row.id for row in person.credentials])
    erase_recipient(session, person.id, at=now)
    person.indexable = False
    session.flush()
    return forgotten, deleted, files


def _delete_rows(session: Session, records: _Records) -> None:
    # One statement per table: a renewal chain (`renews`) goes in one DELETE, which both
    # SQLite and PostgreSQL check at the end of the statement.
    session.flush()
    for model_class, found in ((Attendance, records.attendances), (ClaimRequest, records.claims),
                               (EmailMessage, records.messages), (ClnMember, records.members)):
        ids = [row.id for row in found]
        if ids:
            session.execute(delete(model_class).where(model_class.id.in_(ids)),
                            execution_options={"synchronize_session": False})
    session.expire_all()


def _forget_badge(service: IssuerService, session: Session, row: IssuedCredential) -> list[Path]:
    """Retention for one badge of a person who keeps others: its signed text, e-mails and
    attendance line go; a register row goes when this was its only badge."""
    messages = list(session.scalars(select(EmailMessage).where(EmailMessage.credential_id == row.id)))
    files = [path for message in messages for path in _message_files(service, message)]
    members = [member for member in session.scalars(select(ClnMember).where(
        ClnMember.credential_id == row.id)) if member.status != "active"
        and member.alumni_credential_id is None]
    for member in members:
        for later in session.scalars(select(ClnMember).where(ClnMember.renews == member.id)):
            later.renews = None
    session.flush()
    _delete_rows(session, _Records(
        attendances=list(session.scalars(select(Attendance).where(
            Attendance.credential_id == row.id))),
        claims=[], members=members, messages=messages))
    _forget_signed_forms(row)
    forget_holder_copies(session, [row.id], actor="cli", reason="retention")
    # Evidence files it cites (a photo, a document) may show the person.
    return files + forget_evidence_files(service.settings, session, [row.id])


def _forget_signed_forms(row: IssuedCredential) -> None:
    # The signed text holds the salted e-mail hash and maybe the name. The idempotency key
    # is a keyed hash of the e-mail: replaced by a random value of the same shape, so that it
    # links to nobody (and the same award can be made afresh if the person comes back).
    row.credential_json = ""
    row.credential_jwt = ""
    row.idempotency_key = secrets.token_hex(32)


def _message_files(service: IssuerService, row: EmailMessage) -> list[Path]:
    """The files of an e-mail (they hold the address and the name): the outbox copy and the
    spooled message waiting to leave (issuer.mail's folders under var/)."""
    files = [service.settings.var_dir / SPOOL_FOLDER / f"{row.id}.eml"]
    if row.outbox_file:
        files.append(outbox_dir(service.settings) / Path(row.outbox_file).name)
    return files


def _remove_files(files: Iterable[Path]) -> None:
    """After the commit: a rolled-back erasure must not have lost the files."""
    for path in files:
        path.unlink(missing_ok=True)


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
