"""Rendering of admin pages: the public `render` with the admin layout's context added."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import HTMLResponse

from issuer.web.locale import request_locale
from issuer.web.templating import render
from issuer.workspace.audit_labels import mail_kind_label


def render_admin(request: Request, template: str, context: dict[str, Any] | None = None, *,
                 user: Any = None, status_code: int = 200) -> HTMLResponse:
    """Render `templates/admin/<template>` (which extends admin/base.html). Admin pages are
    never cached and never indexed."""
    locale = request_locale(request)
    shown = {"user": user, "mail_kind_label": lambda kind: mail_kind_label(kind, locale),
             **(context or {})}
    response = render(request, f"admin/{template}", shown, status_code=status_code)
    response.headers["cache-control"] = "no-store"
    response.headers["x-robots-tag"] = "noindex, nofollow"
    return response
