"""The workspace's home, /admin (issue #4 item 10; issue 13 items 10 and 13): the summary of
`issuer.workspace.dashboard` (counts per badge, per month, per event and per CLN sector, the
last actions, claims waiting, e-mails that could not be sent), rendered with its charts
(`issuer.presentation.charts`: SVG drawn here, each beside its table).
"""

from __future__ import annotations

from collections.abc import Sequence

from babel.dates import format_date
from markupsafe import Markup
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from issuer.mail.failures import explain_failure
from issuer.presentation.charts import bar_chart, render_svg
from issuer.web.admin.audit import format_moment
from issuer.web.admin.rendering import render_admin
from issuer.web.deps import Coordinator, service_of
from issuer.web.locale import babel_locale, request_locale
from issuer.workspace.audit_labels import action_label
from issuer.workspace.dashboard import dashboard_summary

CHART_EVENTS = 12  # the most recent events drawn; the table below lists them all


def chart(chart_id: str, title: str, description: str,
          bars: Sequence[tuple[str, int]]) -> Markup:
    """One chart as inline SVG; `render_svg` escapes every text it draws, so text the
    template's gettext already escaped is taken back to plain text first."""
    title, description = (text.unescape() if isinstance(text, Markup) else text
                          for text in (title, description))
    return Markup(render_svg(bar_chart(chart_id, title, description, bars)))  # noqa: S704


def peak(bars: Sequence[tuple[str, int]]) -> tuple[str, int] | None:
    """The largest bar (the first of equals), for the sentence a chart's description ends in."""
    return max(bars, key=lambda bar: bar[1], default=None)


def dashboard(request: Request, user: Coordinator) -> Response:
    service = service_of(request)
    locale = request_locale(request)
    with service.database.session(read_only=True) as session:
        summary = dashboard_summary(session, service.catalogue, locale)
    months = [(format_date(start, "MMMM y", locale=babel_locale(locale)), count)
              for start, count in summary.issued_per_month]
    number = "nº" if locale == "fr" else "no."
    recent_events = summary.events[:CHART_EVENTS]
    bars = {
        "months": months,
        "events": [(f"{event.title} ({number} {event.number})", event.issued)
                   for event in recent_events],
        "sectors": list(summary.sectors),
        "claims": [(f"{event.title} ({number} {event.number})", event.pending_claims)
                   for event in summary.events if event.pending_claims],
    }
    return render_admin(request, "dashboard.html",
                        {"summary": summary, "moment": lambda value: format_moment(value, locale),
                         "action_label": lambda action: action_label(action, locale),
                         "explain": lambda last_error: explain_failure(last_error, locale),
                         "bars": bars, "peaks": {name: peak(values) for name, values in bars.items()},
                         "chart": chart, "chart_events": len(recent_events)},
                        user=user)


routes: list[BaseRoute] = [
    Route("/admin", dashboard, methods=["GET"], name="admin_dashboard"),
]
