"""The daily closing of the CLN mandates that ended (issue 13 item 11): the cron job
`issuer council close-ended-mandates` (docs/DEPLOYMENT.md)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from issuer.errors import IssuerError
from issuer.issuance.service import IssuerService
from issuer.openbadges import credential as model
from issuer.workspace.members import Mandate, end_mandate, mandates_awaiting_closing


@dataclass(frozen=True)
class ClosingRun:
    """What one run of `close_ended_mandates` did."""

    closed: tuple[Mandate, ...]
    already_closed: int    # closed by another run (another machine, the coordinator) meanwhile
    #: (mandate id, the refusal) for those that could not be closed; the others still were.
    failed: tuple[tuple[str, IssuerError], ...] = ()


def close_ended_mandates(service: IssuerService, *, actor: str, now: datetime | None = None,
                         origin: str | None = None) -> ClosingRun:
    """Close every mandate whose last day has passed without renewal, as the coordinator's
    "Clore le mandat" does (`end_mandate`): the membership badge expired by itself on its
    `validUntil`; the person receives the former-member badge; the audit line says it was
    automatic. The daily cron job (`issuer council close-ended-mandates`).

    Safe to run several times a day and on several machines at once: each closing takes the
    register lock (`lock_register`: an advisory transaction lock on PostgreSQL, BEGIN IMMEDIATE
    on SQLite) and reads the mandate again under it, so a mandate closed meanwhile is counted,
    not closed twice. Closed on the day after the last day (the last day is still in office)."""
    now = (now or datetime.now(UTC)).astimezone(UTC).replace(microsecond=0)
    due = [m.id for m in mandates_awaiting_closing(
        service, now.astimezone(model.CITY_TIMEZONE).date())]
    closed: list[Mandate] = []
    failed: list[tuple[str, IssuerError]] = []
    already = 0
    for mandate_id in due:  # each in its own transaction: one refusal does not stop the others
        try:
            closed.append(end_mandate(service, mandate_id, actor=actor, origin=origin, now=now,
                                      automatic=True))
        except IssuerError as error:
            if error.code in ("cln.not_active", "cln.already_renewed"):
                already += 1
            else:
                failed.append((mandate_id, error))
    return ClosingRun(closed=tuple(closed), already_closed=already, failed=tuple(failed))
