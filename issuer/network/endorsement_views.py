"""One endorsement as pages show it (`EndorsementView`, never the endorser's e-mail), read from
its row."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Literal
from urllib.parse import urlsplit

from issuer.openbadges.credential import credential_url
from issuer.openbadges.endorsement_credential import endorsement_url
from issuer.storage.endorsement_models import EndorsementRow

if TYPE_CHECKING:
    from issuer.issuance.service import IssuerService

EndorsementState = Literal["pending", "approved", "rejected", "revoked"]


@dataclass(frozen=True)
class EndorsementView:
    """One endorsement as pages show it (never the endorser's e-mail)."""

    id: str
    state: EndorsementState
    comment: str
    endorser_id: str
    endorser_name: str | None
    endorsed_credential_id: str
    endorsed_badge_name: str
    requested_at: datetime
    decided_at: datetime | None
    decided_by: str | None
    rejection_reason: str | None
    issued_at: datetime | None
    revoked_at: datetime | None
    revocation_reason: str | None
    page_path: str                  # /recommandations/<id> (public once approved)
    endorsed_page_path: str         # /credentials/<id> of the endorsed badge
    endorser_badge_path: str | None
    # The endorsement replacing this one, when the endorsed badge was issued again.
    successor_page_path: str | None = None


def credential_name(credential_json: str) -> str:
    try:
        name = json.loads(credential_json).get("name") if credential_json else None
    except (ValueError, AttributeError):
        name = None
    return name.strip() if isinstance(name, str) and name.strip() else "Badge"


def view_of(service: IssuerService, row: EndorsementRow) -> EndorsementView:
    base_url = service.settings.base_url
    endorsed = row.endorsed
    state: EndorsementState = ("revoked" if row.revoked_at is not None
                               else row.status)  # type: ignore[assignment]
    return EndorsementView(
        id=row.id, state=state, comment=row.comment, endorser_id=row.endorser_id,
        endorser_name=row.endorser_name, endorsed_credential_id=row.endorsed_credential_id,
        endorsed_badge_name=credential_name(endorsed.credential_json) if endorsed else "Badge",
        requested_at=row.requested_at, decided_at=row.decided_at, decided_by=row.decided_by,
        rejection_reason=row.rejection_reason, issued_at=row.issued_at,
        revoked_at=row.revoked_at, revocation_reason=row.revocation_reason,
        page_path=urlsplit(endorsement_url(base_url, row.id)).path,
        endorsed_page_path=urlsplit(credential_url(base_url, row.endorsed_credential_id)).path,
        endorser_badge_path=urlsplit(credential_url(base_url, row.endorser_credential_id)).path
        if row.endorser_credential_id else None,
        successor_page_path=urlsplit(endorsement_url(base_url, row.superseded_by)).path
        if row.superseded_by else None)
