"""A person's rows in the workspace tables, found by their address or their badges (what an
export lists and an erasure deletes).

Where a person's data lives: `recipients` (e-mail, name, keyed e-mail hash), the signed text of
their credentials (a salted e-mail hash, the name when they agreed to show it),
`attendances`, `claim_requests`, `cln_members`, `email_messages` (and the outbox files those
name). The audit log names people only by pseudonymous ids and is never rewritten.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, or_, select
from sqlalchemy.orm import Session

from issuer.storage.models import Recipient
from issuer.storage.workspace_models import Attendance, ClaimRequest, ClnMember, EmailMessage

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
