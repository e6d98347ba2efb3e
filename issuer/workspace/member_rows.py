"""The register's rows: a mandate by id, every mandate, a renewal chain, and the lock that
serialises changes to the register."""

from __future__ import annotations

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from issuer.errors import NotFound
from issuer.storage.workspace_models import ClnMember

# Any constant: serialises changes to the register on PostgreSQL, so two coordinators adding
# the 20th and the 21st resident at once cannot both pass the check (SQLite serialises
# writers already: BEGIN IMMEDIATE, see storage.db).
_PG_REGISTER_LOCK = 0x0B_AD6E_5003


def lock_register(session: Session) -> None:
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _PG_REGISTER_LOCK})


def mandate_row(session: Session, mandate_id: str) -> ClnMember:
    row = session.get(ClnMember, mandate_id)
    if row is None:
        raise NotFound(f"Mandat inconnu : {mandate_id}.", f"Unknown mandate: {mandate_id}.",
                       code="cln.not_found")
    return row


def all_mandate_rows(session: Session) -> list[ClnMember]:
    return list(session.scalars(select(ClnMember).order_by(ClnMember.mandate_start)))


def renewal_chain_rows(session: Session, mandate_id: str) -> list[ClnMember]:
    """Every mandate of the renewal chain `mandate_id` belongs to, oldest first."""
    rows = {row.id: row for row in all_mandate_rows(session)}
    successor = {row.renews: row.id for row in rows.values() if row.renews}
    first = rows[mandate_id]
    while first.renews and first.renews in rows:
        first = rows[first.renews]
    chain = [first]
    while chain[-1].id in successor:
        chain.append(rows[successor[chain[-1].id]])
    return chain
