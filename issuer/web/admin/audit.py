"""The audit trail, /admin/journal (issue #4 item 9): who did what, when, from where; paged,
filtered by action, actor and dates; exported as CSV.

Read-only by construction: this module answers GET only, and the `audit_log` rows refuse
UPDATE and DELETE at the ORM level (issuer/storage/models.py). Nothing in /admin writes to it
except through `record_audit`.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from babel.dates import format_datetime
from sqlalchemy import Select, func, select
from starlette.datastructures import QueryParams
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import BaseRoute, Route

from issuer.errors import InvalidInput
from issuer.storage.models import AuditEntry
from issuer.web.admin.rendering import render_admin
from issuer.web.deps import Coordinator, service_of
from issuer.web.forms import bounded_date
from issuer.web.locale import babel_locale, request_locale

PAGE_SIZE = 50
CITY_TIME = ZoneInfo("Europe/Paris")
CSV_COLUMNS = ("id", "at_utc", "actor", "action", "subject", "origin", "details")
# A cell starting with one of these is a formula to a spreadsheet: an attacker who gets text
# into the log (a revocation reason, say) could make the exported file run one (OWASP "CSV
# Injection"). Such cells are prefixed with an apostrophe.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def format_moment(value: datetime | None, locale: str) -> str:
    """A timestamp as people in Roubaix read it (Paris time, with seconds)."""
    if value is None:
        return ""
    return format_datetime(value, "medium", tzinfo=CITY_TIME, locale=babel_locale(locale))


@dataclass(frozen=True)
class AuditFilters:
    action: str = ""
    actor: str = ""
    since: date | None = None
    until: date | None = None
    page: int = 1

    @classmethod
    def from_query(cls, params: QueryParams) -> tuple[AuditFilters, list[str]]:
        """Filters from the query string, and the names of the fields that could not be read
        (ignored, and shown to the person as such)."""
        invalid: list[str] = []

        def day(name: str) -> date | None:
            raw = params.get(name, "").strip()
            if not raw:
                return None
            try:
                return bounded_date(raw, code="audit.bad_date", message_fr="", message_en="")
            except InvalidInput:
                invalid.append(name)
                return None

        try:
            page = max(1, min(int(params.get("page", "1")), 1_000_000))
        except ValueError:
            page = 1
        filters = cls(action=params.get("action", "").strip()[:100],
                      actor=params.get("acteur", "").strip()[:320],
                      since=day("du"), until=day("au"), page=page)
        return filters, invalid

    def query_string(self, **changes: Any) -> str:
        values = {"action": self.action, "acteur": self.actor,
                  "du": self.since.isoformat() if self.since else "",
                  "au": self.until.isoformat() if self.until else "", "page": self.page}
        values.update(changes)
        return urlencode({key: value for key, value in values.items() if value not in ("", None, 1)})

    def apply(self, query: Select[Any]) -> Select[Any]:
        if self.action:
            query = query.where(AuditEntry.action == self.action)
        if self.actor:
            query = query.where(func.lower(AuditEntry.actor).contains(self.actor.lower(), autoescape=True))
        # Dates are days in Roubaix: "du 3 au 5" covers 3 March 00:00 to 5 March 24:00, Paris time.
        if self.since:
            query = query.where(AuditEntry.at >= datetime.combine(self.since, time.min, CITY_TIME))
        if self.until:
            query = query.where(AuditEntry.at < datetime.combine(self.until + timedelta(days=1),
                                                                 time.min, CITY_TIME))
        return query


def journal(request: Request, user: Coordinator) -> Response:
    filters, invalid = AuditFilters.from_query(request.query_params)
    database = service_of(request).database
    with database.session(read_only=True) as session:
        total = session.scalar(filters.apply(select(func.count()).select_from(AuditEntry))) or 0
        pages = max(1, -(-total // PAGE_SIZE))
        page = min(filters.page, pages)
        entries = list(session.scalars(
            filters.apply(select(AuditEntry))
            .order_by(AuditEntry.at.desc(), AuditEntry.id.desc())
            .offset((page - 1) * PAGE_SIZE).limit(PAGE_SIZE)))
        actions = list(session.scalars(select(AuditEntry.action).distinct().order_by(AuditEntry.action)))
    locale = request_locale(request)
    return render_admin(request, "audit.html", {
        "entries": entries, "filters": filters, "invalid": invalid, "total": total,
        "page": page, "pages": pages, "actions": actions,
        "moment": lambda value: format_moment(value, locale),
        "csv_link": "/admin/journal.csv" + (f"?{q}" if (q := filters.query_string(page=1)) else ""),
    }, user=user)


def journal_csv(request: Request, _user: Coordinator) -> Response:
    filters, _invalid = AuditFilters.from_query(request.query_params)
    database = service_of(request).database
    stamp = datetime.now(CITY_TIME).strftime("%Y%m%d-%H%M")
    return StreamingResponse(
        _csv_lines(database, filters), media_type="text/csv; charset=utf-8",
        headers={"content-disposition": f'attachment; filename="journal-{stamp}.csv"',
                 "cache-control": "no-store", "x-robots-tag": "noindex, nofollow"})


def _csv_lines(database: Any, filters: AuditFilters) -> Iterator[bytes]:
    """The rows in order, a chunk at a time (the whole log never sits in memory). UTF-8 with
    a byte order mark, so that spreadsheets open accents correctly."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(CSV_COLUMNS)
    yield ("\ufeff" + buffer.getvalue()).encode("utf-8")
    with database.session(read_only=True) as session:
        rows = session.execute(
            filters.apply(select(AuditEntry)).order_by(AuditEntry.at, AuditEntry.id)
            .execution_options(yield_per=500)).scalars()
        for entries in rows.partitions():
            buffer.seek(0)
            buffer.truncate()
            for entry in entries:
                writer.writerow(csv_row(entry))
            yield buffer.getvalue().encode("utf-8")


def csv_row(entry: AuditEntry) -> list[str]:
    values = [str(entry.id), entry.at.isoformat(timespec="seconds"), entry.actor, entry.action,
              entry.subject, entry.origin or "", entry.details_json or ""]
    return [f"'{value}" if value.startswith(_FORMULA_START) else value for value in values]


routes: list[BaseRoute] = [
    Route("/admin/journal", journal, methods=["GET"], name="admin_audit"),
    Route("/admin/journal.csv", journal_csv, methods=["GET"], name="admin_audit_csv"),
]
