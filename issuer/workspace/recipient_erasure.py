"""Erasing a person (RGPD art. 17) and purging what the retention period no longer allows to
keep (RGPD art. 5-1-e), issue #4 item 8.

Erasure keeps each credential *row*: its status-list index must stay set, so that every copy
the holder kept shows as revoked, and the index is never handed to someone else. What goes is
everything that says who the person was: the row's signed text (then `is_signed` is False and
the public page answers 404), the keyed idempotency key (derived from the e-mail), and the
person's rows in the other tables.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import delete, func, or_, select
from sqlalchemy.orm import Session

from issuer.errors import InvalidInput
from issuer.issuance.service import IssuerService
from issuer.mail.delivery import SPOOL_FOLDER
from issuer.mail.transport import outbox_dir
from issuer.network.endorsements import forget_person_endorsements, forget_revoked_endorsements
from issuer.network.evidence import forget_evidence_files
from issuer.network.mediators.sign_in import forget_recipient
from issuer.storage.audit_log import record_audit
from issuer.storage.endorsement_models import EndorsementRow
from issuer.storage.holder_copy_status import forget_holder_copies
from issuer.storage.mediator_models import DirectoryProfile
from issuer.storage.models import IssuedCredential, Recipient
from issuer.storage.offer_models import WalletOfferRow
from issuer.storage.recipient_rows import erase_recipient
from issuer.storage.workspace_models import Attendance, ClaimRequest, ClnMember, EmailMessage
from issuer.wallet.holder_links import forget_recipient as forget_wallet_links
from issuer.workspace.personal_records import _personal_records, _Records
from issuer.workspace.recipients import _now, _person
from issuer.workspace.reissue import forget_cached_status_lists, revoke_in_session

#: Revocation reasons written by this module (the status list says "revoked"; the reason is
#: for the coordinator and the audit trail). SUPERSEDED comes from issuer.workspace.reissue.
ERASURE = "erasure"


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
