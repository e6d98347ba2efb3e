"""Credential rows: reserved with their final id and status slot, given their signed forms,
found again by idempotency key or id. Each function takes the caller's `Session` (the service
owns the transaction; nothing here commits).

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

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Table, bindparam, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from issuer.storage.key_batches import batches
from issuer.storage.models import (
    MIN_STATUS_LIST_LENGTH,
    IssuedCredential,
    Recipient,
    check_signed_forms,
)
from issuer.storage.status_slots import (
    IndexPicker,
    SlotReservationFailed,
    allocate_status_slot,
    allocate_status_slots,
)


@dataclass(frozen=True)
class Reservation:
    """The outcome of `reserve_credential_row`.

    `created` is False when a credential with the same idempotency key already existed (a
    re-run batch): `credential` is then that earlier, already signed row, untouched.
    """

    credential: IssuedCredential
    created: bool


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
    for batch in batches(sorted(set(keys))):
        found.extend(session.scalars(
            select(IssuedCredential).where(IssuedCredential.idempotency_key.in_(batch))))
    return found


def get_credential(session: Session, credential_id: str) -> IssuedCredential | None:
    """The credential whose public id is `credential_id`, if any."""
    return session.get(IssuedCredential, credential_id)


# --- helpers -------------------------------------------------------------------------


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
