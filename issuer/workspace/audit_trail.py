"""The audit trail as the workspace reads it (issue #4 item 9): filtered, paged, and exported
row by row for the CSV file, with spreadsheet formulas neutralised.

Read-only: the `audit_log` rows refuse UPDATE and DELETE at the ORM level
(issuer/storage/models.py); lines are written only through `record_audit`. The page and the
download are `issuer.web.admin.audit`.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Select, func, select

from issuer.storage.db import Database
from issuer.storage.models import AuditEntry
from issuer.workspace.audit_labels import action_label

CITY_TIME = ZoneInfo("Europe/Paris")
# The raw action code stays in `action` (filters and scripts rely on it); `action_label` is
# the same action in words, in the language of the page the file was asked from.
CSV_COLUMNS = ("id", "at_utc", "actor", "action", "subject", "origin", "details", "action_label")
# A cell starting with one of these is a formula to a spreadsheet: an attacker who gets text
# into the log (a revocation reason, say) could make the exported file run one (OWASP "CSV
# Injection"). Such cells are prefixed with an apostrophe.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


@dataclass(frozen=True)
class AuditQuery:
    """Which lines: an exact action, part of the actor (any case), days in Roubaix."""

    action: str = ""
    actor: str = ""
    since: date | None = None
    until: date | None = None

    def apply(self, query: Select[Any]) -> Select[Any]:
        if self.action:
            query = query.where(AuditEntry.action == self.action)
        if self.actor:
            query = query.where(func.lower(AuditEntry.actor).contains(self.actor.lower(),
                                                                      autoescape=True))
        # Dates are days in Roubaix: "du 3 au 5" covers 3 March 00:00 to 5 March 24:00, Paris time.
        if self.since:
            query = query.where(AuditEntry.at >= datetime.combine(self.since, time.min, CITY_TIME))
        if self.until:
            query = query.where(AuditEntry.at < datetime.combine(self.until + timedelta(days=1),
                                                                 time.min, CITY_TIME))
        return query


@dataclass(frozen=True)
class AuditPage:
    entries: list[AuditEntry]
    total: int
    page: int  # the page shown: the one asked for, at most the last one
    pages: int
    actions: list[str]  # every action the log holds, for the filter's choices


def audit_page(database: Database, query: AuditQuery, page: int, page_size: int) -> AuditPage:
    """One page of matching lines, newest first."""
    with database.session(read_only=True) as session:
        total = session.scalar(query.apply(select(func.count()).select_from(AuditEntry))) or 0
        pages = max(1, -(-total // page_size))
        page = min(page, pages)
        entries = list(session.scalars(
            query.apply(select(AuditEntry))
            .order_by(AuditEntry.at.desc(), AuditEntry.id.desc())
            .offset((page - 1) * page_size).limit(page_size)))
        actions = list(session.scalars(
            select(AuditEntry.action).distinct().order_by(AuditEntry.action)))
    return AuditPage(entries, total, page, pages, actions)


def audit_csv_rows(database: Database, query: AuditQuery,
                   locale: str = "fr") -> Iterator[list[list[str]]]:
    """The matching lines oldest first as CSV rows, a chunk at a time (the whole log never
    sits in memory)."""
    with database.session(read_only=True) as session:
        rows = session.execute(
            query.apply(select(AuditEntry)).order_by(AuditEntry.at, AuditEntry.id)
            .execution_options(yield_per=500)).scalars()
        for entries in rows.partitions():
            yield [csv_row(entry, locale) for entry in entries]


def csv_row(entry: AuditEntry, locale: str = "fr") -> list[str]:
    values = [str(entry.id), entry.at.isoformat(timespec="seconds"), entry.actor, entry.action,
              entry.subject, entry.origin or "", entry.details_json or "",
              action_label(entry.action, locale)]
    return [f"'{value}" if value.startswith(_FORMULA_START) else value for value in values]
