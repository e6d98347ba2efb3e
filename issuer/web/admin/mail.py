"""E-mails, /admin/courriels (issue #4 item 7): what failed, what waits in the outbox, what
left lately; send one again, retry every failure that is due, read an outbox message.

The rules live in `issuer.mail`; this module reads the request, calls it, and redirects after
every POST (post/redirect/get). Conventions: issuer/web/admin/__init__.py.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any
from urllib.parse import urlencode

from babel.dates import format_datetime
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from issuer import mail
from issuer.mail.failures import explain_failure
from issuer.mail.transport import smtp_configured
from issuer.openbadges.credential import CITY_TIMEZONE
from issuer.web.admin.auth import client_origin
from issuer.web.admin.rendering import render_admin
from issuer.web.deps import Coordinator, service_of
from issuer.web.locale import babel_locale, request_locale
from issuer.workspace import outbox as outbox_rules

LIST_SIZE = 50
_MESSAGE_ID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def _moment(value: datetime | None, locale: str) -> str:
    if value is None:
        return ""
    return format_datetime(value, "medium", tzinfo=CITY_TIMEZONE, locale=babel_locale(locale))


def _message_id(request: Request) -> str:
    value = request.path_params["message_id"]
    if not _MESSAGE_ID.fullmatch(value):
        raise HTTPException(404, "unknown message")
    return str(value)


def _counts(request: Request) -> dict[str, int]:
    """The outcome of the last POST, carried in the redirect's query string."""
    counts = {}
    for key in ("envoyes", "boite", "echecs"):
        raw = request.query_params.get(key, "")
        if raw.isdecimal():
            counts[key] = int(raw)
    return counts


def mail_page(request: Request, user: Coordinator) -> Response:
    service = service_of(request)
    with service.database.session(read_only=True) as session:
        failed = mail.messages(session, statuses=("failed",), limit=LIST_SIZE)
        outbox = mail.messages(session, statuses=("outbox",), limit=LIST_SIZE)
        recent = mail.messages(session, limit=LIST_SIZE)
        counts = mail.status_counts(session)
    locale = request_locale(request)
    return render_admin(request, "mail.html", {
        "failed": failed, "outbox": outbox, "recent": recent, "counts": counts,
        "smtp_configured": smtp_configured(service.settings),
        "result": _counts(request), "resent": request.query_params.get("renvoi"),
        "moment": lambda value: _moment(value, locale),
        "explain": lambda last_error: explain_failure(last_error, locale),
    }, user=user)


def retry_submit(request: Request, user: Coordinator) -> Response:
    report = mail.retry_due(service_of(request), actor=user.email)
    query = urlencode({"envoyes": len(report.sent), "boite": len(report.outbox),
                       "echecs": len(report.failed)})
    return RedirectResponse(f"/admin/courriels?{query}", status_code=303)


def resend_submit(request: Request, user: Coordinator) -> Response:
    message_id = _message_id(request)
    service = service_of(request)
    try:
        row = mail.resend_message(service, message_id, actor=user.email,
                                  origin=client_origin(request))
    except mail.MailError as error:
        return _message_page(request, user, message_id,
                             error=error.message(request_locale(request)),
                             status_code=404 if error.code == "mail.no_such_message" else 409)
    return RedirectResponse(f"/admin/courriels/{row.id}?renvoi={row.status}", status_code=303)


def message_page(request: Request, user: Coordinator) -> Response:
    return _message_page(request, user, _message_id(request))


def _reader(request: Request, user: Any) -> outbox_rules.Reader:
    return outbox_rules.Reader(actor=user.email, role=user.role, origin=client_origin(request))


def _message_page(request: Request, user: Any, message_id: str, *, error: str | None = None,
                  status_code: int = 200) -> Response:
    # issuer.workspace.outbox decides what this reader may see: a message holding a personal
    # link (invitation, sign-in) is withheld from a coordinator; an administrator's reading
    # is audited.
    try:
        view = outbox_rules.view_message(service_of(request), message_id, reader=_reader(request, user))
    except mail.MailError:
        raise HTTPException(404, "unknown message") from None
    locale = request_locale(request)
    return render_admin(request, "mail_message.html", {
        "message": view.row, "text": view.text, "secret": view.secret,
        "withheld": view.withheld, "error": error,
        "resent": request.query_params.get("renvoi"),
        "moment": lambda value: _moment(value, locale),
        "explain": lambda last_error: explain_failure(last_error, locale),
    }, user=user, status_code=status_code)


def outbox_file(request: Request, user: Coordinator) -> Response:
    """The `.eml` file itself, to open in a mail program and forward by hand (a message with
    a personal link: administrators only, audited)."""
    message_id = _message_id(request)
    try:
        row, content = outbox_rules.read_outbox_file(service_of(request), message_id,
                                             reader=_reader(request, user))
    except outbox_rules.SecretWithheld as error:
        return _message_page(request, user, message_id,
                             error=error.message(request_locale(request)), status_code=403)
    except mail.MailError:
        raise HTTPException(404, "not in the outbox") from None
    return Response(content, media_type="message/rfc822", headers={
        "content-disposition": f'attachment; filename="{row.id}.eml"',
        "cache-control": "no-store", "x-robots-tag": "noindex, nofollow"})


routes: list[BaseRoute] = [
    Route("/admin/courriels", mail_page, methods=["GET"], name="admin_mail"),
    Route("/admin/courriels/relancer", retry_submit, methods=["POST"], name="admin_mail_retry"),
    Route("/admin/courriels/{message_id}", message_page, methods=["GET"],
          name="admin_mail_message"),
    Route("/admin/courriels/{message_id}/renvoyer", resend_submit, methods=["POST"],
          name="admin_mail_resend"),
    Route("/admin/courriels/{message_id}/message.eml", outbox_file, methods=["GET"],
          name="admin_mail_outbox_file"),
]
