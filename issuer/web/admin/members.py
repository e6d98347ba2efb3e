"""The CLN register, /admin/conseil (issue #4 item 5): members by sector with the seats
counted against the council's limits, mandates ending soon or waiting to be closed, the form
to add a member, and renew / close / resign / correct the answer for parity, each behind a
confirmation page whose POST button does it.

The rules live in `issuer.workspace.members`; this module reads the request, calls it, and redirects
after every successful POST (post/redirect/get); a refusal re-renders the form with the
council's message. Conventions: issuer/web/admin/__init__.py.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from starlette.background import BackgroundTask
from starlette.datastructures import FormData
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from issuer.errors import InvalidInput, IssuerError, NotFound
from issuer.issuance.service import IssuerService
from issuer.mail import deliver_pending
from issuer.web.admin.auth import client_origin, form_fields
from issuer.web.admin.rendering import render_admin
from issuer.web.deps import Coordinator, service_of
from issuer.web.forms import bounded_date
from issuer.web.locale import request_locale
from issuer.workspace import member_rules, members
from issuer.workspace.accounts import User
from issuer.workspace.member_parity import GENDERS, ParityWarning

_MANDATE_ID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
_FIELDS = ("name", "email", "role", "sector", "mandate_start", "gender")
_TICKS = ("show_name", "age_declared", "parity_confirmed")
#: The outcome codes a redirect may carry (?fait=...), each shown as a fixed sentence.
_DONE = ("ajoute", "renouvele", "clos", "demission", "parite", "parite-inchangee")
_ACTIONS = {"renouveler": "renew", "clore": "end", "demission": "resign", "parite": "parity"}


def register_page(request: Request, user: Coordinator) -> Response:
    return _register_page(request, user, values={}, error=None)


def add_member_submit(request: Request, user: Coordinator) -> Response:
    service = service_of(request)
    form = form_fields(request)
    values = {name: _text(form, name) for name in _FIELDS}
    for name in _TICKS:
        values[name] = "1" if form.get(name) == "1" else ""
    try:
        mandate = members.add_member(service, members.NewMember(
            name=values["name"], email=values["email"], role=values["role"],
            sector=values["sector"] or None, mandate_start=_date(values["mandate_start"]),
            show_name=bool(values["show_name"]), age_declared=bool(values["age_declared"]),
            gender=values["gender"] or None, parity_confirmed=bool(values["parity_confirmed"])),
            actor=user.email, origin=client_origin(request))
    except ParityWarning as warning:
        # Not a refusal: the form comes back with the numbers and the box to confirm.
        return _register_page(request, user, values={**values, "parity_confirmed": ""},
                              error=None, parity_warning=warning.message(request_locale(request)),
                              status_code=400)
    except IssuerError as error:
        return _register_page(request, user, values=values,
                              error=error.message(request_locale(request)), status_code=400)
    return _done(service, user, "ajoute", mandate.id)


def action_page(request: Request, user: Coordinator) -> Response:
    """The confirmation page of an action (GET): what will happen, and the button."""
    action = _action(request)
    mandate = _mandate(request)
    return _action_page(request, user, action, mandate, error=None, reason="",
                        answer=mandate.gender or "")


def action_submit(request: Request, user: Coordinator) -> Response:
    action = _action(request)
    mandate = _mandate(request)
    service = service_of(request)
    form = form_fields(request)
    reason = _text(form, "reason", limit=500)
    answer = _text(form, "gender", limit=40)
    origin = client_origin(request)
    try:
        if action == "parity":
            change = members.set_parity_answer(service, mandate.id, answer or None,
                                               actor=user.email, origin=origin)
            return _done(service, user, "parite" if change.changed else "parite-inchangee",
                         mandate.id, deliver=False)
        if action == "renew":
            done = members.renew_mandate(service, mandate.id, actor=user.email, origin=origin)
            return _done(service, user, "renouvele", done.id)
        if action == "end":
            done = members.end_mandate(service, mandate.id, actor=user.email, origin=origin)
            return _done(service, user, "clos", done.id)
        done = members.resign(service, mandate.id, reason, actor=user.email, origin=origin)
        return _done(service, user, "demission", done.id, deliver=False)
    except IssuerError as error:
        # A forged answer is not put back in the form: the recorded one is shown again.
        return _action_page(request, user, action, mandate, reason=reason,
                            answer=answer if answer in GENDERS else mandate.gender or "",
                            error=error.message(request_locale(request)), status_code=400)


# -- pages ---------------------------------------------------------------------------------------

def _register_page(request: Request, user: User, *, values: dict[str, str], error: str | None,
                   parity_warning: str | None = None, status_code: int = 200) -> Response:
    service = service_of(request)
    register = members.register(service)
    badge = members.membership_badge(service)
    done = request.query_params.get("fait")
    return render_admin(request, "members.html", {
        "register": register, "badge": badge, "roles": badge.roles,
        "sectors": badge.sectors, "values": values, "error": error,
        "parity_warning": parity_warning, "genders": GENDERS,
        "done": done if done in _DONE else None,
        "done_mandate": _find(register, request.query_params.get("mandat", "")),
        "role_name": _role_namer(service, request_locale(request)),
        "today": register.today, "notice_days": members.DEFAULT_NOTICE_DAYS,
        "max_per_sector": member_rules.MAX_RESIDENTS_PER_SECTOR,
    }, user=user, status_code=status_code)


def _action_page(request: Request, user: User, action: str, mandate: members.Mandate, *,
                 error: str | None, reason: str, answer: str = "",
                 status_code: int = 200) -> Response:
    service = service_of(request)
    badge = members.membership_badge(service)
    renewal_start = renewal_end = None
    if action == "renew":
        renewal_start = date.fromordinal(mandate.end.toordinal() + 1)
        renewal_end = members.mandate_last_day(renewal_start, badge.validity_years or 2)
    alumni = service.catalogue.badge(badge.alumni_badge) if badge.alumni_badge else None
    today = members.city_today()
    return render_admin(request, "member_action.html", {
        "action": action, "mandate": mandate, "error": error, "reason": reason,
        "answer": answer, "genders": GENDERS,
        "parity_editable": mandate.status == "active" and mandate.end >= today
        and mandate.renewed_by is None,
        "renewal_start": renewal_start, "renewal_end": renewal_end, "alumni": alumni,
        "today": today,
        "role_name": _role_namer(service, request_locale(request)),
    }, user=user, status_code=status_code)


def _done(service: IssuerService, user: User, code: str, mandate_id: str, *,
          deliver: bool = True) -> Response:
    response = RedirectResponse(f"/admin/conseil?fait={code}&mandat={mandate_id}",
                                status_code=303)
    if deliver:  # the new badge's e-mail, queued with it, leaves after the answer
        response.background = BackgroundTask(deliver_pending, service, actor=user.email)
    return response


# -- request helpers --------------------------------------------------------------------------------

def _action(request: Request) -> str:
    action = _ACTIONS.get(request.path_params["action"])
    if action is None:
        raise HTTPException(404)
    return action


def _mandate(request: Request) -> members.Mandate:
    mandate_id = request.path_params["mandate_id"]
    if not _MANDATE_ID.fullmatch(mandate_id):
        raise HTTPException(404)
    try:
        return members.get_mandate(service_of(request), mandate_id)
    except NotFound:
        raise HTTPException(404) from None


def _find(register: members.Register, mandate_id: str) -> members.Mandate | None:
    return next((m for m in (*register.members, *register.former) if m.id == mandate_id), None)


def _text(form: FormData, name: str, *, limit: int = 300) -> str:
    value = form.get(name)
    return value.strip()[:limit] if isinstance(value, str) else ""


def _date(value: str) -> date:
    try:
        return bounded_date(value, code="cln.start_required", message_fr="", message_en="")
    except InvalidInput:
        raise member_rules.CouncilRuleError(
            "Indiquez la date de début du mandat (jour de la désignation), au format "
            "AAAA-MM-JJ.",
            "Give the start date of the mandate (the day of the appointment), as YYYY-MM-DD.",
            code="cln.start_required") from None


def _role_namer(service: IssuerService, locale: str) -> Any:
    badge = members.membership_badge(service)

    def name(slug: str) -> str:
        role = badge.role(slug)
        return role.name.get(locale) if role else slug
    return name


routes: list[BaseRoute] = [
    Route("/admin/conseil", register_page, methods=["GET"], name="admin_council"),
    Route("/admin/conseil", add_member_submit, methods=["POST"], name="admin_council_add"),
    Route("/admin/conseil/{mandate_id}/{action}", action_page, methods=["GET"],
          name="admin_council_action"),
    Route("/admin/conseil/{mandate_id}/{action}", action_submit, methods=["POST"],
          name="admin_council_action_submit"),
]
