"""Status list slots: a free (list, index) drawn at random for a badge, a peer endorsement or
a holder-bound copy, and the set bits of a list read back. Each function takes the caller's
`Session` (or a read connection); nothing here commits."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, Literal

from sqlalchemy import Connection, Select, bindparam, exists, select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from issuer.errors import IssuerError
from issuer.openbadges.status_list import StatusListError, pick_free_index
from issuer.storage.endorsement_models import EndorsementRow
from issuer.storage.models import (
    MIN_STATUS_LIST_LENGTH,
    IssuedCredential,
    StatusList,
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


class SlotReservationFailed(IssuerError):
    """No status list slot could be reserved after repeated collisions (or the row itself
    cannot be inserted)."""

    code = "storage.slot_reservation_failed"


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


# --- helpers -------------------------------------------------------------------------


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
