"""Queries and writes the service needs, each taking the caller's `Session` (the service owns
the transaction; nothing here commits).

Issuing one credential, in one transaction (`Database.session()`):

    recipient = find_or_create_recipient(session, email_hash_key=..., email=..., ...)
    reservation = reserve_credential_row(session, recipient=recipient, idempotency_key=..., ...)
    if reservation.created:
        row = reservation.credential      # row.id, row.status_list_id, row.status_index are final
        ...build and sign the credential with them...
        row.attach_signed_forms(credential_json=..., credential_jwt=...)
    # leaving the `with` block commits; an exception rolls the reservation back

Commit once per credential (or a few): a reserved slot is locked until its transaction ends,
and on PostgreSQL a concurrent transaction that draws the same index waits for it.

A batch does the same for many credentials at once, with a few statements instead of a few per
credential (`find_or_create_recipients`, `reserve_credential_rows`, `record_audits`); the unique
constraints stay the arbiter, and a collision falls back to the one-by-one functions above.
"""

from __future__ import annotations

import functools
import json
import secrets
import uuid
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from sqlalchemy import Connection, Select, Table, bindparam, exists, insert, select, text, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from issuer.errors import IssuerError, NotFound
from issuer.openbadges.status_list import StatusListError, pick_free_index
from issuer.storage.endorsement_models import EndorsementRow
from issuer.storage.models import (
    MIN_STATUS_LIST_LENGTH,
    AuditEntry,
    IssuedCredential,
    Recipient,
    StatusList,
    check_signed_forms,
    utc_now,
)
from issuer.storage.wallet_models import HolderCopyRow

#: A pick strategy: given `is_taken(index)` and the list length, return a free index or
#: raise StatusListError("status.list_full"). The default draws at random (§2.1).
IndexPicker = Callable[[Callable[[int], bool], int], int]
StatusListKind = Literal["credentials", "endorsements", "holder_copies"]

# Random probes answered by one indexed lookup each; past this many (the list is filling up)
# the taken indices are loaded once, since pick_free_index may then scan the whole list.
_PROBES_BEFORE_BULK_LOAD = 8

# Any constant: on PostgreSQL, serialises the opening of a new status list so that two
# transactions finding the current list full do not open two.
_PG_OPEN_LIST_LOCK = 0x0B_AD6E_5002

# Keys per `IN (...)` query: far below SQLite's and PostgreSQL's bound-parameter limits.
_IN_BATCH = 500


class SlotReservationFailed(IssuerError):
    """No status list slot could be reserved after repeated collisions (or the row itself
    cannot be inserted)."""

    code = "storage.slot_reservation_failed"


@dataclass(frozen=True)
class Reservation:
    """The outcome of `reserve_credential_row`.

    `created` is False when a credential with the same idempotency key already existed (a
    re-run batch): `credential` is then that earlier, already signed row, untouched.
    """

    credential: IssuedCredential
    created: bool


@dataclass(frozen=True)
class RecipientDraft:
    """A person to find by `email_hash_key`, or to create with these values."""

    email_hash_key: str
    email: str
    display_name: str | None
    show_name: bool


@dataclass(frozen=True)
class CredentialDraft:
    """The columns of a credential row to reserve (see `reserve_credential_rows`)."""

    recipient: Recipient
    badge_slug: str
    achievement_id: str
    idempotency_key: str
    issued_at: datetime
    valid_from: datetime
    valid_until: datetime | None = None
    event_number: int | None = None
    role: str | None = None


def allocate_status_slot(
    session: Session,
    *,
    list_length: int = MIN_STATUS_LIST_LENGTH,
    rng_pick: IndexPicker | None = None,
    kind: StatusListKind = "credentials",
) -> tuple[int, int]:
    """A (status_list_id, index) that no committed credential uses, drawn at random in the
    current list (the oldest one not full).

    Marks a list full and opens the next one (of `list_length` entries; only tests use fewer
    than 131,072) when no index is left. This only *proposes* a slot: another transaction may
    take the same one before commit. `reserve_credential_row` inserts it under the unique
    constraint and retries, which is what makes allocation safe; call that instead.
    """
    return allocate_status_slots(session, 1, list_length=list_length, rng_pick=rng_pick,
                                 kind=kind)[0]


def allocate_status_slots(
    session: Session,
    count: int,
    *,
    list_length: int = MIN_STATUS_LIST_LENGTH,
    rng_pick: IndexPicker | None = None,
    kind: StatusListKind = "credentials",
) -> list[tuple[int, int]]:
    """`count` distinct (status_list_id, index) slots, each as `allocate_status_slot` draws it.

    For a batch, the taken indices of the current list are loaded once rather than probed one
    query at a time. Like `allocate_status_slot`, this only proposes: the caller inserts under
    the unique constraint (`reserve_credential_rows`). `kind` says whose lists to draw from:
    badges' ("credentials") or peer endorsements' (`reserve_endorsement_slot`).
    """
    if list_length <= 0 or list_length % 8:
        raise ValueError(f"a status list length is a positive multiple of 8, not {list_length}")
    pick = rng_pick or pick_free_index
    slots: list[tuple[int, int]] = []
    while len(slots) < count:
        status_list = _current_list(session, kind) or _open_list(session, list_length, kind)
        wanted = count - len(slots)
        probe = _taken_probe(session, status_list.id, preload=wanted > _PROBES_BEFORE_BULK_LOAD,
                             kind=kind)
        indices = _draw_indices(pick, probe, status_list.length, wanted)
        slots.extend((status_list.id, index) for index in indices)
        if len(indices) < wanted:
            status_list.full = True
            session.flush()
    return slots


def reserve_credential_row(
    session: Session,
    *,
    recipient: Recipient,
    badge_slug: str,
    achievement_id: str,
    idempotency_key: str,
    issued_at: datetime,
    valid_from: datetime,
    valid_until: datetime | None = None,
    event_number: int | None = None,
    role: str | None = None,
    credential_id: str | None = None,
    list_length: int = MIN_STATUS_LIST_LENGTH,
    rng_pick: IndexPicker | None = None,
    max_attempts: int = 32,
) -> Reservation:
    """Insert the row of a credential about to be signed, with its final id and status slot.

    If `idempotency_key` is already stored, returns that credential (`created=False`) and
    inserts nothing. Otherwise draws a slot (`allocate_status_slot`) and inserts the row in a
    SAVEPOINT with empty `credential_json` / `credential_jwt`; on a unique-constraint collision
    (another transaction took the slot, or the same key, meanwhile) the savepoint is rolled
    back and another slot is drawn. The caller signs, calls `attach_signed_forms` and commits;
    rolling back releases the slot. `credential_id` defaults to a new UUID.
    """
    existing = find_credential_by_idempotency_key(session, idempotency_key)
    if existing is not None:
        return Reservation(existing, created=False)
    credential_id = credential_id or str(uuid.uuid4())
    draft = CredentialDraft(
        recipient=recipient, badge_slug=badge_slug, achievement_id=achievement_id,
        idempotency_key=idempotency_key, issued_at=issued_at, valid_from=valid_from,
        valid_until=valid_until, event_number=event_number, role=role,
    )
    last_error: IntegrityError | None = None
    for _ in range(max_attempts):
        slot = allocate_status_slot(session, list_length=list_length, rng_pick=rng_pick)
        row = _placeholder_row(draft, credential_id, slot)
        try:
            with session.begin_nested():
                session.add(row)
        except IntegrityError as error:
            last_error = error
            existing = find_credential_by_idempotency_key(session, idempotency_key)
            if existing is not None:
                return Reservation(existing, created=False)
            continue
        return Reservation(row, created=True)
    raise SlotReservationFailed(
        f"Impossible de réserver une entrée de liste de statut après {max_attempts} essais.",
        f"Could not reserve a status list entry after {max_attempts} attempts.",
    ) from last_error


def reserve_credential_rows(
    session: Session,
    drafts: Sequence[CredentialDraft],
    *,
    list_length: int = MIN_STATUS_LIST_LENGTH,
    rng_pick: IndexPicker | None = None,
) -> list[Reservation]:
    """`reserve_credential_row` for a batch, one `Reservation` per draft, in order.

    One query finds the keys issued before; the new rows get their slots from
    `allocate_status_slots` and are inserted together in one SAVEPOINT. If that insert
    collides (a concurrent transaction took a slot or a key meanwhile), the savepoint is rolled
    back and every new row is reserved on its own with `reserve_credential_row`, which retries
    slots and settles keys one by one. A key given twice is reserved once: the later drafts get
    the same row with `created=False`, as a re-run would.
    """
    found = {row.idempotency_key: row for row in find_credentials_by_idempotency_keys(
        session, [draft.idempotency_key for draft in drafts])}
    new: dict[str, CredentialDraft] = {}
    for draft in sorted(drafts, key=lambda draft: draft.idempotency_key):
        if draft.idempotency_key not in found:
            new.setdefault(draft.idempotency_key, draft)
    created: dict[str, Reservation] = {}
    if new:
        slots = allocate_status_slots(session, len(new), list_length=list_length,
                                      rng_pick=rng_pick)
        rows = [_placeholder_row(draft, str(uuid.uuid4()), slot)
                for draft, slot in zip(new.values(), slots, strict=True)]
        try:
            with session.begin_nested():
                session.add_all(rows)
        except IntegrityError:
            created = {key: reserve_credential_row(
                session, recipient=draft.recipient, badge_slug=draft.badge_slug,
                achievement_id=draft.achievement_id, idempotency_key=key,
                issued_at=draft.issued_at, valid_from=draft.valid_from,
                valid_until=draft.valid_until, event_number=draft.event_number, role=draft.role,
                list_length=list_length, rng_pick=rng_pick) for key, draft in new.items()}
        else:
            created = {row.idempotency_key: Reservation(row, created=True) for row in rows}
    reservations: list[Reservation] = []
    for draft in drafts:
        key = draft.idempotency_key
        if key in found:
            reservations.append(Reservation(found[key], created=False))
        else:
            reservations.append(created[key])
            # Any later draft with this key is a repeat within the batch.
            found[key] = created[key].credential
    return reservations


def store_signed_forms(session: Session,
                       signed: Sequence[tuple[IssuedCredential, str, str]]) -> None:
    """`attach_signed_forms` for the rows a batch reserved, (row, JSON, JWT) each: one
    executemany UPDATE by primary key, the objects given the same values as their stored state.
    The unit of work's bookkeeping of a thousand dirty objects cost more than the statement
    (issue #14, performance goal 3)."""
    for _row, credential_json, credential_jwt in signed:
        check_signed_forms(credential_json, credential_jwt)
    if not signed:
        return
    session.flush()  # the reserved rows are written before they are updated
    table = IssuedCredential.__table__
    assert isinstance(table, Table)
    session.execute(
        update(table).where(table.c.id == bindparam("row_id"))
        .values(credential_json=bindparam("signed_json"), credential_jwt=bindparam("signed_jwt")),
        [{"row_id": row.id, "signed_json": credential_json, "signed_jwt": credential_jwt}
         for row, credential_json, credential_jwt in signed])
    for row, credential_json, credential_jwt in signed:
        set_committed_value(row, "credential_json", credential_json)
        set_committed_value(row, "credential_jwt", credential_jwt)


def find_credential_by_idempotency_key(session: Session, key: str) -> IssuedCredential | None:
    """The credential issued under `key` (see `IssuedCredential.idempotency_key`), if any."""
    return session.scalars(
        select(IssuedCredential).where(IssuedCredential.idempotency_key == key)
    ).one_or_none()


def find_credentials_by_idempotency_keys(
    session: Session, keys: Iterable[str]
) -> list[IssuedCredential]:
    """The credentials issued under any of `keys` (those never used are simply absent)."""
    found: list[IssuedCredential] = []
    for batch in _batches(sorted(set(keys))):
        found.extend(session.scalars(
            select(IssuedCredential).where(IssuedCredential.idempotency_key.in_(batch))))
    return found


def get_credential(session: Session, credential_id: str) -> IssuedCredential | None:
    """The credential whose public id is `credential_id`, if any."""
    return session.get(IssuedCredential, credential_id)


def find_or_create_recipient(
    session: Session,
    *,
    email_hash_key: str,
    email: str,
    display_name: str | None,
    show_name: bool,
) -> Recipient:
    """The recipient known by `email_hash_key`, created (with a fresh pseudonymous
    `subject_id` and `identity_salt`) if there is none.

    An existing recipient is returned as stored: its e-mail, name and `show_name` are not
    overwritten (updating them is the service's decision). Safe when two transactions create
    the same person at once: the unique key decides, the loser reads the winner's row.
    """
    found = _recipient_by_hash_key(session, email_hash_key)
    if found is not None:
        return found
    recipient = _new_recipient(RecipientDraft(email_hash_key, email, display_name, show_name))
    try:
        with session.begin_nested():
            session.add(recipient)
    except IntegrityError:
        found = _recipient_by_hash_key(session, email_hash_key)
        if found is None:
            raise
        return found
    return recipient


def find_or_create_recipients(
    session: Session, people: Sequence[RecipientDraft]
) -> dict[str, Recipient]:
    """`find_or_create_recipient` for a batch: the recipients by `email_hash_key`.

    One query finds the known people; the others are inserted together in one SAVEPOINT (the
    first draft of a key gives the values, as when issuing one by one). If that insert collides
    (a concurrent transaction created one of them meanwhile), it is rolled back and each new
    person goes through `find_or_create_recipient`, where the unique key decides.
    """
    wanted: dict[str, RecipientDraft] = {}
    for person in people:
        wanted.setdefault(person.email_hash_key, person)
    found: dict[str, Recipient] = {}
    for batch in _batches(list(wanted)):
        for recipient in session.scalars(
            select(Recipient).where(Recipient.email_hash_key.in_(batch))
        ):
            assert recipient.email_hash_key is not None
            found[recipient.email_hash_key] = recipient
    # Inserted in key order, as `reserve_credential_rows` does: on PostgreSQL two transactions
    # inserting overlapping sets then wait for each other in one direction, never in a cycle.
    missing = [_new_recipient(wanted[key]) for key in sorted(wanted) if key not in found]
    if not missing:
        return found
    try:
        with session.begin_nested():
            session.add_all(missing)
    except IntegrityError:
        for recipient in missing:
            person = wanted[recipient.email_hash_key or ""]
            found[person.email_hash_key] = find_or_create_recipient(
                session, email_hash_key=person.email_hash_key, email=person.email,
                display_name=person.display_name, show_name=person.show_name)
        return found
    found.update({person.email_hash_key or "": person for person in missing})
    return found


def erase_recipient(
    session: Session, recipient_id: str, *, at: datetime | None = None
) -> Recipient:
    """GDPR erasure (RGPD art. 17): forget the e-mail, the name and the keyed e-mail hash.

    The recipient row (pseudonymous `subject_id`, `identity_salt`) and their credentials stay:
    the credentials belong to the holder, and their status must remain publishable.
    """
    recipient = session.get(Recipient, recipient_id)
    if recipient is None:
        raise NotFound(
            f"Destinataire inconnu : {recipient_id}.", f"Unknown recipient: {recipient_id}."
        )
    recipient.email = None
    recipient.display_name = None
    recipient.show_name = False
    recipient.email_hash_key = None
    recipient.erased_at = at or utc_now()
    return recipient


def status_list_bits(
    connection: Connection, status_list_id: int, purpose: Literal["revocation", "suspension"]
) -> tuple[int, list[int]] | None:
    """(length, `status_bits`) of list `status_list_id`, None when there is no such list: two
    plain reads on a read connection (`Database.reading`), what verifying one of our badges
    reads for each of its two lists (an ORM session and its objects cost more than both)."""
    found = connection.execute(_list_shape_statement(), {"list_id": status_list_id}).first()
    if found is None:
        return None
    return found.length, list(connection.scalars(_bound_bits_statement(found.kind, purpose),
                                                 {"list_id": status_list_id}))


@functools.cache
def _list_shape_statement() -> Select[int, str]:
    """What `status_list_bits` reads first, built once (SQLAlchemy then reuses its compiled
    form without building and hashing the statement again at every verification)."""
    return select(StatusList.length, StatusList.kind).where(StatusList.id == bindparam("list_id"))


@functools.cache
def _bound_bits_statement(kind: str, purpose: Literal["revocation", "suspension"]
                          ) -> Select[tuple[int]]:
    """`_bits_statement` with the list id as the bound parameter `list_id`, built once per
    kind and purpose."""
    return _bits_statement(kind, bindparam("list_id"), purpose)  # type: ignore[arg-type]


def status_bits(
    session: Session, status_list_id: int, purpose: Literal["revocation", "suspension"]
) -> list[int]:
    """The indices whose bit is set in list `status_list_id` for `purpose`, ascending:
    revoked credentials for "revocation", currently suspended ones for "suspension" (read
    from the table of the list's kind: badges or endorsements)."""
    status_list = session.get(StatusList, status_list_id)
    kind = status_list.kind if status_list is not None else "credentials"
    return list(session.scalars(_bits_statement(kind, status_list_id, purpose)))


def _bits_statement(kind: str, status_list_id: int,
                    purpose: Literal["revocation", "suspension"]) -> Select[tuple[int]]:
    table = _slot_table(kind)
    if purpose == "revocation":
        is_set = table.revoked_at.is_not(None)
    elif purpose == "suspension":
        is_set = table.suspended.is_(True)
    else:
        raise ValueError(f"unknown status purpose: {purpose!r}")
    return (select(table.status_index).where(table.status_list_id == status_list_id, is_set)
            .order_by(table.status_index))


def reserve_endorsement_slot(
    session: Session,
    endorsement: EndorsementRow,
    *,
    list_length: int = MIN_STATUS_LIST_LENGTH,
    rng_pick: IndexPicker | None = None,
    max_attempts: int = 32,
) -> tuple[int, int]:
    """Give `endorsement` (already in the session) a slot of an endorsements' status list, as
    `reserve_credential_row` does for a badge (`reserve_status_slot_for`)."""
    return reserve_status_slot_for(session, endorsement, kind="endorsements",
                                   list_length=list_length, rng_pick=rng_pick,
                                   max_attempts=max_attempts)


def reserve_status_slot_for(
    session: Session,
    row: EndorsementRow | HolderCopyRow,
    *,
    kind: Literal["endorsements", "holder_copies"],
    list_length: int = MIN_STATUS_LIST_LENGTH,
    rng_pick: IndexPicker | None = None,
    max_attempts: int = 32,
) -> tuple[int, int]:
    """Give `row` (an endorsement already in the session, or a new holder-bound copy, added
    here) a slot of a status list of `kind`: draw, write in a SAVEPOINT, and on a collision with
    a concurrent transaction (the table's unique `(status_list_id, status_index)`) draw again."""
    last_error: IntegrityError | None = None
    for _ in range(max_attempts):
        status_list_id, index = allocate_status_slot(
            session, list_length=list_length, rng_pick=rng_pick, kind=kind)
        try:
            with session.begin_nested():
                row.status_list_id = status_list_id
                row.status_index = index
                session.add(row)
                session.flush()
        except IntegrityError as error:
            last_error = error
            continue
        return status_list_id, index
    raise SlotReservationFailed(
        f"Impossible de réserver une entrée de liste de statut après {max_attempts} essais.",
        f"Could not reserve a status list entry after {max_attempts} attempts.",
    ) from last_error


# --- holder-bound copies (issuer.wallet.copies) -------------------------------------------


def holder_copies_of(session: Session, original_ids: Iterable[str]) -> list[HolderCopyRow]:
    """The holder-bound copies of the badges `original_ids`, oldest first."""
    found: list[HolderCopyRow] = []
    for batch in _batches(sorted(set(original_ids))):
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


# --- helpers -------------------------------------------------------------------------


def _batches(keys: Sequence[str]) -> Iterator[Sequence[str]]:
    for start in range(0, len(keys), _IN_BATCH):
        yield keys[start : start + _IN_BATCH]


def _new_recipient(person: RecipientDraft) -> Recipient:
    return Recipient(
        id=str(uuid.uuid4()),
        email_hash_key=person.email_hash_key,
        email=person.email,
        display_name=person.display_name,
        show_name=person.show_name,
        subject_id=f"urn:uuid:{uuid.uuid4()}",
        # OB 3.0 IdentityObject `salt`: 128 random bits, so the hashed e-mail in a credential
        # cannot be matched against a dictionary of addresses.
        identity_salt=secrets.token_hex(16),
    )


def _placeholder_row(
    draft: CredentialDraft, credential_id: str, slot: tuple[int, int]
) -> IssuedCredential:
    """The row of a credential not signed yet: final id and slot, empty signed forms."""
    return IssuedCredential(
        id=credential_id,
        recipient_id=draft.recipient.id,
        badge_slug=draft.badge_slug,
        achievement_id=draft.achievement_id,
        event_number=draft.event_number,
        role=draft.role,
        idempotency_key=draft.idempotency_key,
        credential_json="",
        credential_jwt="",
        issued_at=draft.issued_at,
        valid_from=draft.valid_from,
        valid_until=draft.valid_until,
        status_list_id=slot[0],
        status_index=slot[1],
        suspended=False,
    )


def _recipient_by_hash_key(session: Session, email_hash_key: str) -> Recipient | None:
    return session.scalars(
        select(Recipient).where(Recipient.email_hash_key == email_hash_key)
    ).one_or_none()


def _slot_table(kind: str) -> Any:
    """The table whose rows own the indices of a list of this kind."""
    if kind == "endorsements":
        return EndorsementRow
    if kind == "holder_copies":
        return HolderCopyRow
    return IssuedCredential


def _current_list(session: Session, kind: StatusListKind = "credentials") -> StatusList | None:
    return session.scalars(
        select(StatusList).where(StatusList.full.is_(False), StatusList.kind == kind)
        .order_by(StatusList.id).limit(1)
    ).first()


def _open_list(session: Session, length: int, kind: StatusListKind = "credentials") -> StatusList:
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _PG_OPEN_LIST_LOCK})
        opened_meanwhile = _current_list(session, kind)
        if opened_meanwhile is not None:
            return opened_meanwhile
    status_list = StatusList(length=length, created_at=utc_now(), full=False, kind=kind)
    session.add(status_list)
    session.flush()
    return status_list


def _draw_indices(
    pick: IndexPicker, is_taken: Callable[[int], bool], length: int, count: int
) -> list[int]:
    """Up to `count` distinct free indices of one list: fewer when it fills up."""
    drawn: list[int] = []
    drawn_set: set[int] = set()

    def taken(index: int) -> bool:
        return index in drawn_set or is_taken(index)

    try:
        while len(drawn) < count:
            index = pick(taken, length)
            drawn.append(index)
            drawn_set.add(index)
    except StatusListError as error:
        if error.code != "status.list_full":
            raise
    return drawn


def _taken_probe(
    session: Session, status_list_id: int, *, preload: bool = False,
    kind: StatusListKind = "credentials",
) -> Callable[[int], bool]:
    """`is_taken` for pick_free_index: an indexed lookup per probe while the list has room,
    then (when random draws keep hitting taken indices) one load of every taken index. A batch
    that will probe many times anyway asks for that load at once (`preload`)."""
    probes = _PROBES_BEFORE_BULK_LOAD if preload else 0
    taken: set[int] | None = None
    table = _slot_table(kind)

    def is_taken(index: int) -> bool:
        nonlocal probes, taken
        if taken is None and probes >= _PROBES_BEFORE_BULK_LOAD:
            taken = set(
                session.scalars(
                    select(table.status_index).where(table.status_list_id == status_list_id)
                )
            )
        if taken is not None:
            return index in taken
        probes += 1
        return bool(
            session.scalar(
                select(
                    exists().where(
                        table.status_list_id == status_list_id,
                        table.status_index == index,
                    )
                )
            )
        )

    return is_taken
