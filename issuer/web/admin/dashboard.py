"""The workspace's home, /admin (issue #4 item 10): the summary of
`issuer.workspace.dashboard` (counts per badge, per event and per CLN sector, the last actions,
claims waiting, e-mails that could not be sent), rendered.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from issuer.mail.failures import explain_failure
from issuer.web.admin.audit import format_moment
from issuer.web.admin.rendering import render_admin
from issuer.web.deps import Coordinator, service_of
from issuer.web.locale import request_locale
from issuer.workspace.audit_labels import action_label
from issuer.workspace.dashboard import dashboard_summary


def dashboard(request: Request, user: Coordinator) -> Response:
    service = service_of(request)
    locale = request_locale(request)
    with service.database.session(read_only=True) as session:
        summary = dashboard_summary(session, service.catalogue, locale)
    return render_admin(request, "dashboard.html",
                        {"summary": summary, "moment": lambda value: format_moment(value, locale),
                         "action_label": lambda action: action_label(action, locale),
                         "explain": lambda last_error: explain_failure(last_error, locale)},
                        user=user)


routes: list[BaseRoute] = [
    Route("/admin", dashboard, methods=["GET"], name="admin_dashboard"),
]
