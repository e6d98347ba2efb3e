"""The audit trail, /admin/journal (issue #4 item 9): who did what, when, from where; paged,
filtered by action, actor and dates; exported as CSV. The queries and the CSV rows are
`issuer.workspace.audit_trail`; this module reads the filters and renders.

Read-only by construction: this module answers GET only.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from urllib.parse import urlencode

from babel.dates import format_datetime
from starlette.datastructures import QueryParams
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import BaseRoute, Route

from issuer.errors import InvalidInput
from issuer.web.admin.rendering import render_admin
from issuer.web.deps import Coordinator, service_of
from issuer.web.forms import bounded_date
from issuer.web.locale import babel_locale, request_locale
from issuer.workspace.audit_labels import action_choices, action_label, readable_details
from issuer.workspace.audit_trail import (
    CITY_TIME,
    CSV_COLUMNS,
    AuditQuery,
    audit_csv_rows,
    audit_page,
)

PAGE_SIZE = 50


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

    def query(self) -> AuditQuery:
        return AuditQuery(self.action, self.actor, self.since, self.until)


def journal(request: Request, user: Coordinator) -> Response:
    filters, invalid = AuditFilters.from_query(request.query_params)
    found = audit_page(service_of(request).database, filters.query(), filters.page, PAGE_SIZE)
    locale = request_locale(request)
    return render_admin(request, "audit.html", {
        "entries": found.entries, "filters": filters, "invalid": invalid, "total": found.total,
        "page": found.page, "pages": found.pages,
        "actions": action_choices(found.actions, locale),
        "moment": lambda value: format_moment(value, locale),
        "action_label": lambda action: action_label(action, locale),
        "details": lambda details_json: readable_details(details_json, locale),
        "csv_link": "/admin/journal.csv" + (f"?{q}" if (q := filters.query_string(page=1)) else ""),
    }, user=user)


def journal_csv(request: Request, _user: Coordinator) -> Response:
    filters, _invalid = AuditFilters.from_query(request.query_params)
    database = service_of(request).database
    stamp = datetime.now(CITY_TIME).strftime("%Y%m%d-%H%M")
    return StreamingResponse(
        _csv_lines(database, filters.query(), request_locale(request)), media_type="text/csv; charset=utf-8",
        headers={"content-disposition": f'attachment; filename="journal-{stamp}.csv"',
                 "cache-control": "no-store", "x-robots-tag": "noindex, nofollow"})


def _csv_lines(database: Any, query: AuditQuery, locale: str) -> Iterator[bytes]:
    """The rows in order, a chunk at a time. UTF-8 with a byte order mark, so that spreadsheets
    open accents correctly."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(CSV_COLUMNS)
    yield ("\ufeff" + buffer.getvalue()).encode("utf-8")
    for rows in audit_csv_rows(database, query, locale):
        buffer.seek(0)
        buffer.truncate()
        writer.writerows(rows)
        yield buffer.getvalue().encode("utf-8")


routes: list[BaseRoute] = [
    Route("/admin/journal", journal, methods=["GET"], name="admin_audit"),
    Route("/admin/journal.csv", journal_csv, methods=["GET"], name="admin_audit_csv"),
]
