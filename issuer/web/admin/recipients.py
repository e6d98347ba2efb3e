"""People, /admin/personnes (issue #4 item 8), and the revocation of a badge from its admin
page, /admin/badges/<id>/revoquer (item 6).

Search by exact e-mail or part of a name; a person's page lists their badges and offers:
correct the name (future badges), change the e-mail (badges reissued, old ones superseded),
download everything held about them (JSON), erase them (behind a page that says exactly what
will happen). The rules live in `issuer.workspace.recipients` (the export in
`recipient_export`, the erasure in `recipient_erasure`); every change is a POST followed by a
redirect (post/redirect/get). Conventions: issuer/web/admin/__init__.py.
"""

from __future__ import annotations

import json
import re
from typing import Any

from starlette.background import BackgroundTask
from starlette.datastructures import FormData
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from issuer.errors import IssuerError, NotFound
from issuer.issuance.service import IssuerService
from issuer.mail import deliver_pending
from issuer.openbadges.badge_definitions import CatalogueError
from issuer.web.admin.auth import client_origin, form_fields
from issuer.web.admin.rendering import render_admin
from issuer.web.deps import Coordinator, service_of
from issuer.web.locale import request_locale
from issuer.workspace import recipient_erasure, recipient_export, recipients
from issuer.workspace.accounts import User

_ID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
#: Outcome codes a redirect may carry (?fait=...), each shown as a fixed sentence.
_DONE = ("nom", "courriel", "efface")


# -- search ----------------------------------------------------------------------------------------

def people_page(request: Request, user: Coordinator) -> Response:
    query = request.query_params.get("q", "").strip()[:254]
    error = None
    results: list[recipients.PersonSummary] = []
    if query:
        try:
            results = recipients.find_people(service_of(request), query)
        except IssuerError as error_:
            error = error_.message(request_locale(request))
    return render_admin(request, "people.html", {
        "query": query, "results": results, "error": error,
        "searched": bool(query) and error is None,
    }, user=user, status_code=400 if error else 200)


# -- one person --------------------------------------------------------------------------------------

def person_page(request: Request, user: Coordinator) -> Response:
    return _person_page(request, user)


def correct_name_submit(request: Request, user: Coordinator) -> Response:
    person_id = _person_id(request)
    name = _text(form_fields(request), "name", limit=300)
    try:
        recipients.correct_name(service_of(request), person_id, name, actor=user.email,
                                origin=client_origin(request))
    except NotFound:
        raise HTTPException(404) from None
    except IssuerError as error:
        return _person_page(request, user, name_error=error.message(request_locale(request)),
                            values={"name": name}, status_code=400)
    return RedirectResponse(f"/admin/personnes/{person_id}?fait=nom", status_code=303)


def change_email_submit(request: Request, user: Coordinator) -> Response:
    person_id = _person_id(request)
    service = service_of(request)
    email = _text(form_fields(request), "email", limit=300)
    try:
        change = recipients.change_email(service, person_id, email, actor=user.email,
                                         origin=client_origin(request))
    except NotFound:
        raise HTTPException(404) from None
    except IssuerError as error:
        return _person_page(request, user, email_error=error.message(request_locale(request)),
                            values={"email": email}, status_code=400)
    response = RedirectResponse(
        f"/admin/personnes/{person_id}?fait=courriel&badges={len(change.reissued)}",
        status_code=303)
    # The reissued badges' e-mails were queued with them; they leave after the answer.
    response.background = BackgroundTask(deliver_pending, service, actor=user.email)
    return response


def export_download(request: Request, user: Coordinator) -> Response:
    """Everything held about the person, as a JSON file (RGPD art. 15 and 20)."""
    person_id = _person_id(request)
    try:
        document = recipient_export.export_person(service_of(request), person_id, actor=user.email,
                                                  origin=client_origin(request))
    except NotFound:
        raise HTTPException(404) from None
    body = json.dumps(document, ensure_ascii=False, indent=2) + "\n"
    return Response(body.encode("utf-8"), media_type="application/json", headers={
        "content-disposition": f'attachment; filename="personne-{person_id}.json"',
        "cache-control": "no-store", "x-robots-tag": "noindex, nofollow"})


def erase_page(request: Request, user: Coordinator) -> Response:
    return _erase_page(request, user)


def erase_submit(request: Request, user: Coordinator) -> Response:
    person_id = _person_id(request)
    if form_fields(request).get("confirm") != "1":
        return _erase_page(request, user, status_code=400, error=_message(
            request, "Cochez la case pour confirmer l'effacement.",
            "Tick the box to confirm the erasure."))
    try:
        recipient_erasure.erase_person(service_of(request), person_id, actor=user.email,
                                       origin=client_origin(request))
    except NotFound:
        raise HTTPException(404) from None
    except IssuerError as error:
        return _erase_page(request, user, error=error.message(request_locale(request)),
                           status_code=400)
    return RedirectResponse(f"/admin/personnes/{person_id}?fait=efface", status_code=303)


# -- revocation from the credential's admin page ---------------------------------------------------

def revoke_page(request: Request, user: Coordinator) -> Response:
    return _revoke_page(request, user, reason="", error=None)


def revoke_submit(request: Request, user: Coordinator) -> Response:
    credential_id = _credential_id(request)
    reason = _text(form_fields(request), "reason", limit=600)
    try:
        recipients.revoke_credential(service_of(request), credential_id, reason,
                                     actor=user.email, origin=client_origin(request))
    except NotFound:
        raise HTTPException(404) from None
    except IssuerError as error:
        return _revoke_page(request, user, reason=reason, status_code=400,
                            error=error.message(request_locale(request)))
    # The holder's e-mail saying why leaves after the answer.
    return RedirectResponse(f"/admin/badges/{credential_id}", status_code=303,
                            background=BackgroundTask(deliver_pending, service_of(request),
                                                      actor=user.email))


# -- pages -------------------------------------------------------------------------------------------

def _person_page(request: Request, user: User, *, name_error: str | None = None,
                 email_error: str | None = None, values: dict[str, str] | None = None,
                 status_code: int = 200) -> Response:
    service = service_of(request)
    person = _person(service, _person_id(request))
    done = request.query_params.get("fait")
    reissued = request.query_params.get("badges", "")
    return render_admin(request, "person.html", {
        "person": person, "name_error": name_error, "email_error": email_error,
        "values": values or {}, "done": done if done in _DONE else None,
        "reissued": int(reissued) if reissued.isdecimal() else 0,
        "badge_name": _badge_namer(service, request_locale(request)),
    }, user=user, status_code=status_code)


def _erase_page(request: Request, user: User, *, error: str | None = None,
                status_code: int = 200) -> Response:
    service = service_of(request)
    person = _person(service, _person_id(request))
    if person.erased_at is not None:
        return RedirectResponse(f"/admin/personnes/{person.id}", status_code=303)
    return render_admin(request, "person_erase.html", {
        "person": person, "preview": recipient_erasure.erasure_preview(service, person.id),
        "error": error, "retention_days": service.settings.retention_days,
    }, user=user, status_code=status_code)


def _revoke_page(request: Request, user: User, *, reason: str, error: str | None,
                 status_code: int = 200) -> Response:
    service = service_of(request)
    try:
        credential = recipients.credential_summary(service, _credential_id(request))
    except NotFound:
        raise HTTPException(404) from None
    return render_admin(request, "credential_revoke.html", {
        "credential": credential, "reason": reason, "error": error,
        "badge_name": _badge_namer(service, request_locale(request)),
    }, user=user, status_code=status_code)


# -- request helpers ---------------------------------------------------------------------------------

def _person_id(request: Request) -> str:
    value = str(request.path_params["person_id"])
    if not _ID.fullmatch(value):
        raise HTTPException(404)
    return value


def _credential_id(request: Request) -> str:
    value = str(request.path_params["credential_id"])
    if not _ID.fullmatch(value):
        raise HTTPException(404)
    return value


def _person(service: IssuerService, person_id: str) -> recipients.PersonFile:
    try:
        return recipients.person_file(service, person_id)
    except NotFound:
        raise HTTPException(404) from None


def _text(form: FormData, name: str, *, limit: int) -> str:
    value = form.get(name)
    return value.strip()[:limit] if isinstance(value, str) else ""


def _message(request: Request, french: str, english: str) -> str:
    return english if request_locale(request) == "en" else french


def _badge_namer(service: IssuerService, locale: str) -> Any:
    """badge_name(slug, event_number, role) -> "Petit-déjeuner… — nº 7 — Intervenant·e"."""

    def name(slug: str, event_number: int | None = None, role: str | None = None) -> str:
        try:
            badge = service.catalogue.badge(slug)
        except CatalogueError:
            return slug
        parts = [badge.name.get(locale)]
        if event_number is not None:
            parts.append(f"nº {event_number}" if locale == "fr" else f"No. {event_number}")
        found = badge.role(role) if role else None
        if found is not None and len(badge.roles) > 1:
            parts.append(found.name.get(locale))
        return " — ".join(parts)
    return name


routes: list[BaseRoute] = [
    Route("/admin/personnes", people_page, methods=["GET"], name="admin_people"),
    Route("/admin/personnes/{person_id}", person_page, methods=["GET"], name="admin_person"),
    Route("/admin/personnes/{person_id}/nom", correct_name_submit, methods=["POST"],
          name="admin_person_name"),
    Route("/admin/personnes/{person_id}/courriel", change_email_submit, methods=["POST"],
          name="admin_person_email"),
    Route("/admin/personnes/{person_id}/export.json", export_download, methods=["GET"],
          name="admin_person_export"),
    Route("/admin/personnes/{person_id}/effacer", erase_page, methods=["GET"],
          name="admin_person_erase"),
    Route("/admin/personnes/{person_id}/effacer", erase_submit, methods=["POST"],
          name="admin_person_erase_submit"),
    Route("/admin/badges/{credential_id}/revoquer", revoke_page, methods=["GET"],
          name="admin_credential_revoke"),
    Route("/admin/badges/{credential_id}/revoquer", revoke_submit, methods=["POST"],
          name="admin_credential_revoke_submit"),
]
