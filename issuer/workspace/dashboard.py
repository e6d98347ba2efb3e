"""The workspace's home summary (issue #4 item 10): counts per badge, per event and per CLN
sector, the last actions of the audit trail, self-claims waiting for approval, and e-mails
that could not be sent.

Read-only summary queries over the tables, one `GROUP BY` each (never a row per credential
loaded into Python: the City issues thousands). Plain SQLAlchemy on a session, testable
without the web; the page is `issuer.web.admin.dashboard`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime

from sqlalchemy import and_, case, func, select
from sqlalchemy.orm import Session

from issuer.issuance.catalogue import Catalogue
from issuer.storage.endorsement_models import EndorsementRow
from issuer.storage.models import AuditEntry, Event, IssuedCredential
from issuer.storage.workspace_models import (
    ClaimRequest,
    ClnMember,
    EmailMessage,
    EventSchedule,
)
from issuer.workspace.events import event_counts
from issuer.workspace.member_parity import ParityBalance, balance_of

RECENT_ACTIONS = 10
RECENT_FAILURES = 10
MONTHS = 12
CLN_SECTORS = ("Centre", "Est", "Ouest", "Nord", "Sud")


@dataclass(frozen=True)
class BadgeCount:
    slug: str
    name: str
    issued: int
    revoked: int

    @property
    def active(self) -> int:
        return self.issued - self.revoked


@dataclass(frozen=True)
class EventCount:
    family: str
    number: int
    date: object
    title: str
    attendees: int
    issued: int
    pending_claims: int


@dataclass(frozen=True)
class FailedEmail:
    id: str
    kind: str
    credential_id: str | None
    attempts: int
    last_error: str | None
    created_at: datetime


@dataclass
class DashboardSummary:
    badges: list[BadgeCount] = field(default_factory=list)
    events: list[EventCount] = field(default_factory=list)
    sectors: list[tuple[str, int]] = field(default_factory=list)
    # Residents in office today by the answer recorded for parity (DEL-2025-0121).
    parity: ParityBalance = field(default_factory=ParityBalance)
    recent_actions: list[AuditEntry] = field(default_factory=list)
    pending_claims: int = 0
    pending_endorsements: int = 0
    failed_emails: list[FailedEmail] = field(default_factory=list)
    failed_email_count: int = 0
    # (first day of the month, badges issued that month), the last MONTHS months, oldest first
    issued_per_month: list[tuple[date, int]] = field(default_factory=list)

    @property
    def issued_total(self) -> int:
        return sum(badge.issued for badge in self.badges)


def _month_starts(today: date, count: int) -> list[date]:
    months = []
    year, month = today.year, today.month
    for _ in range(count):
        months.append(date(year, month, 1))
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    return months[::-1]


def issued_per_month(session: Session, today: date | None = None,
                     months: int = MONTHS) -> list[tuple[date, int]]:
    """Badges issued in each of the last `months` calendar months (UTC), revoked ones included:
    this is what was issued then. One GROUP BY on the month's text, written per database."""
    starts = _month_starts(today or datetime.now(UTC).date(), months)
    issued_at = IssuedCredential.issued_at
    if session.get_bind().dialect.name == "sqlite":
        month = func.strftime("%Y-%m", issued_at)
    else:
        month = func.to_char(func.timezone("UTC", issued_at), "YYYY-MM")
    counts = {str(key): int(n) for key, n in session.execute(
        select(month, func.count())
        .where(issued_at >= datetime.combine(starts[0], datetime.min.time(), UTC))
        .group_by(month))}
    return [(start, counts.get(start.strftime("%Y-%m"), 0)) for start in starts]


def dashboard_summary(session: Session, catalogue: Catalogue, locale: str = "fr",
                      today: date | None = None) -> DashboardSummary:
    summary = DashboardSummary()
    summary.issued_per_month = issued_per_month(session, today)
    names: dict[str, str] = {badge.slug: badge.name.get(locale) for badge in catalogue.badges}
    revoked = func.sum(case((IssuedCredential.revoked_at.is_not(None), 1), else_=0))
    per_badge = {
        slug: (issued, int(revoked_count or 0))
        for slug, issued, revoked_count in session.execute(
            select(IssuedCredential.badge_slug, func.count(), revoked)
            .group_by(IssuedCredential.badge_slug))}
    slugs = [badge.slug for badge in catalogue.badges] + sorted(set(per_badge) - set(names))
    summary.badges = [BadgeCount(slug, names.get(slug) or slug, *per_badge.get(slug, (0, 0)))
                      for slug in slugs]

    # The events list's own counts (`events.event_counts`), so that both pages agree.
    counts = event_counts(session)
    rows = session.execute(
        select(Event, EventSchedule.title_fr, EventSchedule.title_en)
        .outerjoin(EventSchedule, and_(EventSchedule.family == Event.family,
                                       EventSchedule.number == Event.number))
        .order_by(Event.date.desc(), Event.family, Event.number.desc()))
    for event, title_fr, title_en in rows:
        theme = event.theme_en if locale.startswith("en") else event.theme_fr
        title = (title_en if locale.startswith("en") else title_fr) or theme
        attendees, issued, claims = counts.get((event.family, event.number), (0, 0, 0))
        summary.events.append(EventCount(event.family, event.number, event.date, title,
                                          attendees, issued, claims))

    per_sector = dict(session.execute(
        select(ClnMember.sector, func.count()).where(ClnMember.status == "active")
        .group_by(ClnMember.sector)).all())
    known = [(sector, int(per_sector.pop(sector, 0))) for sector in CLN_SECTORS]
    summary.sectors = known + sorted((sector or "—", int(n)) for sector, n in per_sector.items())
    today = datetime.now(UTC).date()
    summary.parity = balance_of(
        gender for gender, count in session.execute(
            select(ClnMember.gender, func.count())
            .where(ClnMember.status == "active", ClnMember.role == "conseiller",
                   ClnMember.mandate_start <= today, ClnMember.mandate_end >= today)
            .group_by(ClnMember.gender))
        for _ in range(int(count)))

    summary.recent_actions = list(session.scalars(
        select(AuditEntry).order_by(AuditEntry.at.desc(), AuditEntry.id.desc()).limit(RECENT_ACTIONS)))
    summary.pending_claims = session.scalar(
        select(func.count()).select_from(ClaimRequest).where(ClaimRequest.status == "pending")) or 0
    summary.pending_endorsements = session.scalar(
        select(func.count()).select_from(EndorsementRow)
        .where(EndorsementRow.status == "pending")) or 0
    summary.failed_email_count = session.scalar(
        select(func.count()).select_from(EmailMessage).where(EmailMessage.status == "failed")) or 0
    summary.failed_emails = [
        FailedEmail(m.id, m.kind, m.credential_id, m.attempts, m.last_error, m.created_at)
        for m in session.scalars(
            select(EmailMessage).where(EmailMessage.status == "failed")
            .order_by(EmailMessage.created_at.desc()).limit(RECENT_FAILURES))]
    return summary
