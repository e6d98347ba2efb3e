"""Credentials, /admin/badges (issue #4 item 3): issue one badge from a form, and the
credential's admin page (summary, link to its public page, its holder-bound copies in wallets;
the revocation form of the registry area goes in the template's `credential_actions` block).
Conventions: see __init__.py.

Single issuance is `IssuerService.issue_in_session` (the same idempotency key as a list: one
badge per person, edition and role), with the delivery e-mail queued in the same transaction
and sent after the answer. Membership badges are not offered here: they carry a mandate and
the council's rules, so they are issued from the CLN registry.
"""

from __future__ import annotations

from typing import Any

from starlette.background import BackgroundTask
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from issuer.errors import InvalidInput, IssuerError
from issuer.issuance.issue_requests import IssuedBadge, IssueRequest
from issuer.issuance.service import IssuerService
from issuer.mail import deliver_pending
from issuer.openbadges.badge_definitions import BadgeDefinition
from issuer.wallet.copies import copies_of
from issuer.web.admin.auth import client_origin, form_fields
from issuer.web.admin.events import form_text, local_moment
from issuer.web.admin.rendering import render_admin
from issuer.web.deps import Coordinator, service_of
from issuer.web.forms import bounded_int
from issuer.web.locale import request_locale
from issuer.workspace.issued_badge import issue_from_form, issued_badge_summary

_FIELDS = ("badge", "edition", "role", "name", "email")


def issuable_badges(service: IssuerService) -> list[BadgeDefinition]:
    """Badges the form offers: event and skill badges (see the module docstring)."""
    return [badge for badge in service.catalogue.badges if badge.family in ("event", "skill")]


def new_credential_form(request: Request, user: Coordinator) -> Response:
    return _form_page(request, user, values={}, error=None)


def new_credential_submit(request: Request, user: Coordinator) -> Response:
    service = service_of(request)
    form = form_fields(request)
    values = {name: form_text(form, name) for name in _FIELDS}
    values["show_name"] = "1" if form.get("show_name") == "1" else ""
    try:
        issued = _issue_one(service, values, actor=user.email, origin=client_origin(request))
    except IssuerError as error:
        return _form_page(request, user, values=values,
                          error=error.message(request_locale(request)), status_code=400)
    suffix = "" if issued.created else "?deja=1"
    response = RedirectResponse(f"/admin/badges/{issued.credential_id}{suffix}", status_code=303)
    if issued.created:
        response.background = BackgroundTask(_deliver_emails, service, user.email)
    return response


def credential_page(request: Request, user: Coordinator) -> Response:
    service = service_of(request)
    summary = issued_badge_summary(service, request.path_params["credential_id"])
    if summary is None:
        raise HTTPException(404)
    locale = request_locale(request)
    role_name = None
    if summary.badge is not None and summary.role:
        role = summary.badge.role(summary.role)
        role_name = role.name.get(locale) if role else summary.role
    return render_admin(request, "credential.html", {
        "credential": summary, "role_name": role_name,
        "copies": copies_of(service, [summary.id]).get(summary.id, []),
        "already": request.query_params.get("deja") == "1",
        "moment": lambda value: local_moment(value, locale),
    }, user=user)


def _issue_one(service: IssuerService, values: dict[str, str], *, actor: str,
               origin: str) -> IssuedBadge:
    badge = next((b for b in issuable_badges(service) if b.slug == values["badge"]), None)
    if badge is None:
        raise InvalidInput("Choisissez le badge à délivrer.", "Choose the badge to issue.",
                           code="issue.badge_required")
    edition = None
    if badge.family == "event":
        edition = bounded_int(values["edition"], minimum=1, maximum=10_000,
                              code="issue.event_required",
                              message_fr="Choisissez l'édition de l'événement.",
                              message_en="Choose the edition of the event.")
    request = IssueRequest(badge_slug=badge.slug, email=values["email"],
                           name=values["name"] or None, event_number=edition,
                           role=(values["role"] or None) if badge.roles else None,
                           show_name=bool(values["show_name"]))
    return issue_from_form(service, request, actor=actor, origin=origin)


def _deliver_emails(service: IssuerService, actor: str) -> None:
    deliver_pending(service, actor=actor)


def _form_page(request: Request, user: Any, *, values: dict[str, str], error: str | None,
               status_code: int = 200) -> Response:
    service = service_of(request)
    return render_admin(request, "credential_new.html", {
        "values": values, "error": error, "badges": issuable_badges(service),
    }, user=user, status_code=status_code)


routes: list[BaseRoute] = [
    Route("/admin/badges/nouveau", new_credential_form, methods=["GET"],
          name="admin_credential_new"),
    Route("/admin/badges/nouveau", new_credential_submit, methods=["POST"],
          name="admin_credential_new_submit"),
    Route("/admin/badges/{credential_id}", credential_page, methods=["GET"],
          name="admin_credential"),
]
