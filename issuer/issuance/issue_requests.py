"""What an award is before and after it is made: `IssueRequest` (who, which badge, in which
circumstances), its checked and resolved form inside the service (`_PreparedRequest`), and
`IssuedBadge` (the credential made, or found made before): what `IssuerService` takes and
gives back, and what its callers build and read."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime
from functools import cached_property
from typing import Any

from issuer.issuance.own_verification import StatusVersion
from issuer.openbadges.badge_definitions import BadgeDefinition, Event, Role


@dataclass(frozen=True)
class IssueRequest:
    """One award to make: who, which badge, in which circumstances."""

    badge_slug: str
    email: str
    name: str | None = None
    event_number: int | None = None
    role: str | None = None
    sector: str | None = None
    show_name: bool = False
    mandate_start: date | None = None
    # Last day of the membership a former-member badge recognises (its `term`, e.g.
    # "Mandat 2025–2027"): the end of the last mandate, renewals included.
    mandate_end: date | None = None
    # Extra OB 3.0 `Evidence` objects (e.g. the CLN session or workshop attended); a catalogue
    # edition is added as evidence by the service itself.
    evidence: tuple[dict[str, Any], ...] = ()
    # The name display chosen for this badge alone (a re-issue, issuer.workspace.reissue):
    # None follows the person's standing choice or `show_name`; False hides the name even then.
    name_shown: bool | None = None
    # The start of validity of the badge this one supersedes (a re-issue under the same
    # terms); None: now, or the mandate's first day for a council membership.
    valid_from: datetime | None = None
    # A membership badge (the CLN's) is a seat on the council: only the council register
    # (`issuer.workspace.members`), which keeps the council's rules and records the mandate,
    # issues one, and says so here; any other path is refused (issue 13 item 11). Not part of
    # the badge nor of its idempotency key.
    through_register: bool = False
    # The badge as the credential this one supersedes stated it (a re-issue under the same
    # terms, issuer.workspace.reissue): e.g. a skill badge keeps the alignments of the skills
    # catalogue's version it was granted under, not the current version's. None: the badge as
    # the catalogue states it now. Its slug must be `badge_slug`.
    as_granted: BadgeDefinition | None = None


@dataclass(frozen=True)
class IssuedBadge:
    credential_id: str
    url: str
    credential_json: str
    credential_jwt: str
    created: bool               # False: it had been issued before (idempotent re-run)
    # The recipient asked for their badge pages to be listed by search engines (GDPR: only
    # then is a page found by searching their name).
    indexable: bool = False
    # Its revocation and suspension as the database said when it was read (`credential`).
    status: StatusVersion | None = None

    @cached_property
    def credential(self) -> dict[str, Any]:
        parsed: dict[str, Any] = json.loads(self.credential_json)
        return parsed


@dataclass(frozen=True)
class _PreparedRequest:
    """An `IssueRequest` checked and resolved against the catalogue, with its keys."""

    request: IssueRequest
    badge: BadgeDefinition
    role: Role | None
    event: Event | None
    email: str
    name: str | None
    lookup_key: str
    idempotency_key: str
