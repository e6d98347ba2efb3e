"""One issued badge as the coordinator's workspace handles it: its summary for the admin page
(holder, dates, status, the editions whose attendance lists name it), and issuing one badge from
the form (`issue_from_form`: the service's issuance, the audit line saying it came from the
form, and the delivery e-mail queued in the same transaction). The page is
`issuer.web.admin.credentials`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from issuer.issuance.issue_requests import IssuedBadge, IssueRequest
from issuer.issuance.service import IssuerService
from issuer.mail import queue_badge_email
from issuer.openbadges.badge_definitions import BadgeDefinition, CatalogueError
from issuer.openbadges.credential import credential_url
from issuer.storage.audit_log import record_audit
from issuer.storage.credential_rows import get_credential
from issuer.storage.workspace_models import Attendance

_CREDENTIAL_ID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


@dataclass(frozen=True)
class IssuedBadgeSummary:
    """What the credential's admin page shows of one issued badge."""

    id: str
    badge: BadgeDefinition | None
    badge_slug: str
    event_number: int | None
    role: str | None
    recipient_id: str
    recipient_name: str | None
    recipient_email: str | None
    show_name: bool
    erased: bool
    issued_at: datetime
    valid_from: datetime
    valid_until: datetime | None
    revoked_at: datetime | None
    revocation_reason: str | None
    suspended: bool
    public_url: str
    events: tuple[tuple[str, int], ...]

    @property
    def status(self) -> str:
        if self.revoked_at is not None:
            return "revoked"
        return "suspended" if self.suspended else "active"


def issued_badge_summary(service: IssuerService, credential_id: str) -> IssuedBadgeSummary | None:
    """The badge `credential_id` names, or None when there is none (or it is unsigned)."""
    if not _CREDENTIAL_ID.fullmatch(credential_id):
        return None
    with service.database.session(read_only=True) as session:
        row = get_credential(session, credential_id)
        if row is None or not row.is_signed:
            return None
        recipient = row.recipient
        linked = tuple((family, number) for family, number in session.query(
            Attendance.event_family, Attendance.event_number).filter(
            Attendance.credential_id == row.id).distinct())
        try:
            badge: BadgeDefinition | None = service.catalogue.badge(row.badge_slug)
        except CatalogueError:
            badge = None
        return IssuedBadgeSummary(
            id=row.id, badge=badge, badge_slug=row.badge_slug, event_number=row.event_number,
            role=row.role, recipient_id=recipient.id, recipient_name=recipient.display_name,
            recipient_email=recipient.email, show_name=recipient.show_name,
            erased=recipient.erased_at is not None, issued_at=row.issued_at,
            valid_from=row.valid_from, valid_until=row.valid_until, revoked_at=row.revoked_at,
            revocation_reason=row.revocation_reason, suspended=row.suspended,
            public_url=credential_url(service.settings.base_url, row.id), events=linked)


def issue_from_form(service: IssuerService, request: IssueRequest, *, actor: str,
                    origin: str) -> IssuedBadge:
    """Issue one badge (idempotent, like a list: one badge per person, edition and role); a new
    one gets its delivery e-mail queued, to send after the commit (`issuer.mail.deliver_pending`)."""
    with service.database.session() as session:
        issued = service.issue_in_session(session, request, actor=actor)
        # The service's own line names the actor; this one says from where (the form).
        record_audit(session, actor=actor, action="credential.issue_form",
                     subject=issued.credential_id, details={"created": issued.created},
                     origin=origin)
        if issued.created:
            queue_badge_email(service, session, issued.credential_id, actor=actor, origin=origin)
    return issued
