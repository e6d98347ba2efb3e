"""Events, /admin/evenements (issue #4 items 2–4): the list, a new CLN session or workshop, an
event's page (attendance, upload → preview → confirm, typed entry, "issue the badges", the
self-claim window and its QR code, pending requests), and the public claim page /reclamer/<token>.

The rules live in `issuer.workspace.events` and `issuer.workspace.claims`; handlers read the form,
call them, and
redirect with 303 after every change (post/redirect/get). Conventions: see __init__.py.

Issuing for an event is one synchronous POST: about 50 attendees take well under a second to
sign and store (`tests/test_admin_events.py` times it), so the page answers with the counts
instead of a progress bar; the e-mails leave after the answer (a background task).
"""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, date, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

from babel.dates import format_datetime
from starlette.background import BackgroundTask
from starlette.datastructures import FormData, UploadFile
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from issuer.errors import InvalidInput, IssuerError
from issuer.issuance.service import IssuerService
from issuer.mail import deliver_pending
from issuer.openbadges.credential import CITY_TIMEZONE
from issuer.presentation.qr import qr_svg
from issuer.web.admin.auth import client_origin, form_fields
from issuer.web.admin.rendering import render_admin
from issuer.web.deps import Coordinator, service_of
from issuer.web.forms import bounded_date, bounded_int, bounded_local_datetime
from issuer.web.locale import babel_locale, request_locale
from issuer.web.templating import render
from issuer.workspace import claims, events
from issuer.workspace.attendance import MAX_BYTES, MAX_ROWS, LineProblem
from issuer.workspace.events import AttendanceRefused, EventNotFound, EventView

UPLOAD_ACCEPT = (".csv,.xlsx,text/csv,"
                 "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
DEFAULT_CLAIM_HOURS = 3
CLAIM_DURATIONS = (1, 2, 3, 4, 6, 8, 12, 24)


# -- events list and new event ------------------------------------------------------------------

def events_page(request: Request, user: Coordinator) -> Response:
    return render_admin(request, "events.html", {
        "events": events.list_events(service_of(request)), "now": datetime.now(UTC),
    }, user=user)


def new_event_form(request: Request, user: Coordinator) -> Response:
    return _new_event_page(request, user, values={"kind": "cln-session"}, error=None)


def new_event_submit(request: Request, user: Coordinator) -> Response:
    form = form_fields(request)
    values = {name: form_text(form, name) for name in
              ("kind", "title_fr", "title_en", "date", "venue", "badge")}
    try:
        day = _parse_date(values["date"])
        event = events.add_event(
            service_of(request), kind=values["kind"], title_fr=values["title_fr"],
            title_en=values["title_en"], day=day, venue=values["venue"],
            badge_slug=values["badge"] or None, actor=user.email, origin=client_origin(request),
            user_id=user.id)
    except IssuerError as error:
        return _new_event_page(request, user, values=values,
                               error=error.message(request_locale(request)), status_code=400)
    return RedirectResponse(_event_path(event), status_code=303)


def _new_event_page(request: Request, user: Any, *, values: dict[str, str], error: str | None,
                    status_code: int = 200) -> Response:
    return render_admin(request, "event_new.html", {
        "values": values, "error": error,
        "badges": events.badges_for_added_events(service_of(request)),
    }, user=user, status_code=status_code)


# -- one event ----------------------------------------------------------------------------------

def event_page(request: Request, user: Coordinator) -> Response:
    service = service_of(request)
    event = _event(request)
    return _render_event(request, user, service, event, result=_result_from_query(request))


def _render_event(request: Request, user: Any, service: IssuerService, event: EventView, *,
                  result: dict[str, Any] | None = None, error: str | None = None,
                  entry: dict[str, str] | None = None, status_code: int = 200) -> Response:
    locale = request_locale(request)
    now = datetime.now(UTC)
    roles = events.event_roles(service, event)
    badge = events.event_badge(service, event)
    opens_default = now.astimezone(CITY_TIMEZONE).replace(second=0, microsecond=0)
    return render_admin(request, "event.html", {
        "event": event, "badge": badge, "roles": roles,
        "role_names": {role.slug: role.name.get(locale) for role in roles},
        "attendance": events.attendance_list(service, event),
        "claim_state": event.claim_state(now),
        "claim_url": claims.current_claim_url(service, event, now),
        "pending": claims.pending_claims(service, event) if event.pending_claims else [],
        "pending_by_client": (claims.pending_by_client(service, event)
                              if event.pending_claims else []),
        "result": result, "error": error, "entry": entry or {},
        "upload_accept": UPLOAD_ACCEPT, "max_megabytes": MAX_BYTES // 1_000_000,
        "opens_default": opens_default.strftime("%Y-%m-%dT%H:%M"),
        "durations": CLAIM_DURATIONS, "default_duration": DEFAULT_CLAIM_HOURS,
        "moment": lambda value: local_moment(value, locale),
    }, user=user, status_code=status_code)


def attendance_preview(request: Request, user: Coordinator) -> Response:
    """Check an uploaded list and show every line's problem; nothing is stored."""
    service = service_of(request)
    event = _event(request)
    form = form_fields(request)
    upload = form.get("liste")
    locale = request_locale(request)
    try:
        if not isinstance(upload, UploadFile) or not upload.filename:
            raise InvalidInput("Choisissez le fichier de la liste de présence (CSV ou XLSX).",
                               "Choose the attendance list file (CSV or XLSX).",
                               code="attendance.no_file")
        data = upload.file.read(MAX_BYTES + 1)
        text = events.attendance_text(upload.filename, data)
        preview = events.preview_attendance(service, event, text)
    except IssuerError as error:
        return _render_event(request, user, service, event, error=error.message(locale),
                             status_code=400)
    return render_admin(request, "attendance_preview.html", {
        "event": event, "preview": preview, "file_name": upload.filename,
        "checked_list": _checked_list(preview.attendees),
        "left_out": _left_out_field(preview.problems),
        "role_names": {role.slug: role.name.get(locale)
                       for role in events.event_roles(service, event)},
        "problem": lambda item: item.message_en if locale == "en" else item.message_fr,
    }, user=user, status_code=200 if preview.ok else 422)


def attendance_confirm(request: Request, user: Coordinator) -> Response:
    """Record the checked lines. When the list had bad lines and the coordinator chose to record
    the good ones now, the page that answers lists the bad ones again, to be corrected."""
    service = service_of(request)
    event = _event(request)
    form = form_fields(request)
    text = form_text(form, "liste_verifiee", limit=MAX_BYTES)
    left_out = _left_out_lines(form_text(form, "a_corriger", limit=MAX_BYTES))
    try:
        added = events.confirm_attendance_upload(service, event, text, actor=user.email,
                                                 origin=client_origin(request))
        if left_out:
            locale = request_locale(request)
            return render_admin(request, "attendance_preview.html", {
                "event": event, "file_name": None, "recorded": added,
                "has_badge": events.event_badge(service, event) is not None,
                "preview": events.AttendancePreview(attendees=[], already_recorded=[],
                                                    problems=left_out),
                "problem": lambda item: item.message_en if locale == "en" else item.message_fr,
            }, user=user)
    except AttendanceRefused as refused:
        locale = request_locale(request)
        return render_admin(request, "attendance_preview.html", {
            "event": event, "file_name": None,
            "preview": events.AttendancePreview(attendees=[], already_recorded=[],
                                                problems=refused.problems),
            "checked_list": "", "role_names": {},
            "problem": lambda item: item.message_en if locale == "en" else item.message_fr,
        }, user=user, status_code=422)
    except IssuerError as error:
        return _render_event(request, user, service, event,
                             error=error.message(request_locale(request)), status_code=400)
    return _redirect_to_event(event, {"presences": added}, "presences")


def attendance_add(request: Request, user: Coordinator) -> Response:
    service = service_of(request)
    event = _event(request)
    form = form_fields(request)
    entry = {name: form_text(form, name) for name in ("name", "email", "role")}
    try:
        events.add_attendee(service, event, name=entry["name"], email=entry["email"],
                            role=entry["role"] or None, show_name=form.get("show_name") == "1",
                            actor=user.email, origin=client_origin(request))
    except IssuerError as error:
        return _render_event(request, user, service, event, entry=entry,
                             error=error.message(request_locale(request)), status_code=400)
    return _redirect_to_event(event, {"ajoute": 1}, "ajouter")


def issue_submit(request: Request, user: Coordinator) -> Response:
    """"Issue the badges": every attendee, once; then the e-mails leave in the background."""
    service = service_of(request)
    event = _event(request)
    try:
        result = events.issue_for_event(service, event, actor=user.email,
                                        origin=client_origin(request))
    except IssuerError as error:
        return _render_event(request, user, service, event,
                             error=error.message(request_locale(request)), status_code=400)
    counts: dict[str, Any] = {"delivres": result.issued, "deja": result.already_issued,
                              "courriels": result.emails_queued}
    response = _redirect_to_event(event, counts, "resultat")
    if result.emails_queued:
        response.background = BackgroundTask(_deliver_emails, service, user.email)
    return response


def claim_open_submit(request: Request, user: Coordinator) -> Response:
    service = service_of(request)
    event = _event(request)
    form = form_fields(request)
    try:
        opens_at = _parse_local_datetime(form_text(form, "opens_at")) or datetime.now(UTC)
        hours = bounded_int(form_text(form, "hours") or str(DEFAULT_CLAIM_HOURS), minimum=1,
                            maximum=int(claims.MAX_WINDOW.total_seconds() // 3600),
                            code="claim.bad_duration", message_fr="Durée illisible.",
                            message_en="Unreadable duration.")
        claims.open_claim_window(service, event, opens_at=opens_at,
                                 closes_at=opens_at + timedelta(hours=hours), actor=user.email,
                                 origin=client_origin(request))
    except IssuerError as error:
        return _render_event(request, user, service, event,
                             error=error.message(request_locale(request)), status_code=400)
    return _redirect_to_event(event, {}, "demandes")


def claim_close_submit(request: Request, user: Coordinator) -> Response:
    event = _event(request)
    claims.close_claim_window(service_of(request), event, actor=user.email,
                              origin=client_origin(request))
    return _redirect_to_event(event, {}, "demandes")


def claim_qr(request: Request, _user: Coordinator) -> Response:
    """The QR code of the claim address, while the window is scheduled or open."""
    service = service_of(request)
    event = _event(request)
    url = claims.current_claim_url(service, event)
    if url is None:
        raise HTTPException(404)
    title = _message(request, "Code QR pour demander son badge", "QR code to request your badge")
    return Response(qr_svg(url, title=title), media_type="image/svg+xml",
                    headers={"cache-control": "no-store"})


def claim_screen(request: Request, user: Coordinator) -> Response:
    """The page the coordinator shows on the projector, full screen (no workspace menu): the QR
    code as large as the screen allows, the short code to type and the window's end in large
    type."""
    service = service_of(request)
    event = _event(request)
    url = claims.current_claim_url(service, event)
    locale = request_locale(request)
    return render_admin(request, "claim_screen.html", {
        "event": event, "claim_url": url, "claim_state": event.claim_state(),
        "short_code": claims.short_code(url.rsplit("/", 1)[-1]) if url else None,
        "code_page": claims.claim_url(service, "").rstrip("/"),
        "ends_at": local_time(event.claim_closes_at, locale),
        "moment": lambda value: local_moment(value, locale),
    }, user=user)


def claims_decide(request: Request, user: Coordinator) -> Response:
    """Approve (records and issues) or reject the ticked requests.

    "All the requests" is a real checkbox: without script it stands for every request the page
    showed (`affichees`, not those arrived since); a script ticks the boxes as a convenience."""
    service = service_of(request)
    event = _event(request)
    form = form_fields(request)
    ticked = [value for value in form.getlist("demande") if isinstance(value, str)]
    if form.get("toutes") == "1":
        ticked += form_text(form, "affichees", limit=20_000).split(",")
    ids = sorted({int(value) for value in ticked
                  if value.isascii() and value.isdigit() and len(value) <= 9})
    decision = form_text(form, "decision")
    origin = client_origin(request)
    if decision in ("approuver", "refuser") and not ids:
        return _render_event(request, user, service, event, status_code=400, error=_message(
            request, "Aucune demande n'est cochée : cochez les demandes à traiter, ou « Toutes "
            "les demandes », puis choisissez à nouveau.",
            "No request is ticked: tick the requests to decide, or \"All the requests\", then "
            "choose again."))
    try:
        if decision == "approuver":
            result = claims.approve_claims(service, event, ids, actor=user.email, origin=origin)
            counts: dict[str, Any] = {"approuvees": len(ids), "delivres": result.issued,
                                      "deja": result.already_issued}
            response = _redirect_to_event(event, counts, "resultat")
            if result.emails_queued:
                response.background = BackgroundTask(_deliver_emails, service, user.email)
            return response
        if decision == "refuser":
            rejected = claims.reject_claims(service, event, ids, actor=user.email, origin=origin)
            return _redirect_to_event(event, {"refusees": rejected}, "demandes")
    except IssuerError as error:
        return _render_event(request, user, service, event,
                             error=error.message(request_locale(request)), status_code=400)
    raise HTTPException(400)


def claims_reject_client(request: Request, user: Coordinator) -> Response:
    """Reject every waiting request sent from one client address (a flood), in one click."""
    event = _event(request)
    client = form_text(form_fields(request), "client", limit=100)
    rejected = claims.reject_claims_from_client(service_of(request), event, client,
                                                actor=user.email, origin=client_origin(request))
    return _redirect_to_event(event, {"refusees": rejected}, "demandes")


# -- the public claim page ----------------------------------------------------------------------

def claim_form(request: Request) -> Response:
    service = service_of(request)
    try:
        window = claims.find_claim_window(service, request.path_params["token"])
    except claims.ClaimNotFound as error:
        return _claim_message(request, error, status_code=404)
    if window.state == "scheduled":
        return _claim_message(request, claims.ClaimWindowNotOpen(), window=window,
                              status_code=200)
    if window.state != "open":
        return _claim_message(request, claims.ClaimWindowClosed(), window=window,
                              status_code=410)
    return _claim_page(request, window, values={}, error=None)


def claim_submit(request: Request) -> Response:
    service = service_of(request)
    token = request.path_params["token"]
    form = form_fields(request)
    values = {name: form_text(form, name) for name in ("name", "email", "role")}
    values["show_name"] = "1" if form.get("show_name") == "1" else ""
    try:
        claims.submit_claim(service, token, name=values["name"], email=values["email"],
                            role=values["role"] or None, show_name=bool(values["show_name"]),
                            origin=client_origin(request))
    except claims.ClaimNotFound as error:
        return _claim_message(request, error, status_code=404)
    except (claims.ClaimWindowClosed, claims.ClaimWindowNotOpen) as error:
        return _claim_message(request, error, status_code=410)
    except (claims.ClaimLimitReached, claims.ClaimEmailLimitReached) as error:
        response = _claim_message(request, error, status_code=429)
        response.headers["retry-after"] = "60"
        return response
    except IssuerError as error:
        window = claims.find_claim_window(service, token)
        return _claim_page(request, window, values=values,
                           error=error.message(request_locale(request)), status_code=400)
    return RedirectResponse(f"{claims.CLAIM_PATH}/{token}/enregistree", status_code=303)


def claim_code(request: Request) -> Response:
    """/reclamer: type the short code shown beside the QR code (a GET form, no script)."""
    code = request.query_params.get("code", "")[:40]
    if not code:
        return _public(request, "claim_code.html", {"code": "", "error": None})
    token = claims.token_for_short_code(service_of(request), code)
    if token is None:
        return _public(request, "claim_code.html", {"code": code, "error": _message(
            request, "Ce code ne correspond à aucune demande de badge ouverte : vérifiez-le sur "
            "l'écran (6 caractères, sans 0 ni 1).",
            "This code matches no open badge request: check it on the screen (6 characters, "
            "no 0 or 1).")}, status_code=404)
    return RedirectResponse(f"{claims.CLAIM_PATH}/{token}", status_code=303)


def claim_done(request: Request) -> Response:
    service = service_of(request)
    try:
        window = claims.find_claim_window(service, request.path_params["token"])
    except claims.ClaimNotFound as error:
        return _claim_message(request, error, status_code=404)
    return _public(request, "claim_result.html", {"window": window, "done": True})


def _claim_page(request: Request, window: claims.ClaimWindow, *, values: dict[str, str],
                error: str | None, status_code: int = 200) -> Response:
    locale = request_locale(request)
    return _public(request, "claim.html", {
        "window": window, "values": values, "error": error,
        "roles": [(role.slug, role.name.get(locale)) for role in window.roles],
        "moment": lambda value: local_moment(value, locale),
    }, status_code=status_code)


def _claim_message(request: Request, error: IssuerError, *,
                   window: claims.ClaimWindow | None = None, status_code: int) -> Response:
    return _public(request, "claim_result.html", {
        "window": window, "done": False, "message": error.message(request_locale(request)),
        "code": error.code,
    }, status_code=status_code)


def _public(request: Request, template: str, context: dict[str, Any], *,
            status_code: int = 200) -> Response:
    response = render(request, template, context, status_code=status_code)
    # A claim address is a capability: never cached by a shared proxy, never indexed, never
    # sent to another site as a Referer. ("same-origin", not "no-referrer": with no-referrer
    # the browser sends `Origin: null` on the form's own POST, which the CSRF check refuses.)
    response.headers["cache-control"] = "no-store"
    response.headers["x-robots-tag"] = "noindex, nofollow"
    response.headers["referrer-policy"] = "same-origin"
    return response


# -- helpers ------------------------------------------------------------------------------------

def _event(request: Request) -> EventView:
    try:
        return events.get_event(service_of(request), request.path_params["family"],
                                int(request.path_params["number"]))
    except EventNotFound as error:
        raise HTTPException(404) from error


def _event_path(event: EventView) -> str:
    return f"/admin/evenements/{event.family}/{event.number}"


def _redirect_to_event(event: EventView, counts: dict[str, Any], anchor: str) -> RedirectResponse:
    query = f"?{urlencode(counts)}" if counts else ""
    return RedirectResponse(f"{_event_path(event)}{query}#{anchor}", status_code=303)


_RESULT_KEYS = ("delivres", "deja", "courriels", "presences", "ajoute", "approuvees", "refusees")


def _result_from_query(request: Request) -> dict[str, int] | None:
    """The counts of the change just made (post/redirect/get carries them in the address)."""
    found = {key: int(value) for key in _RESULT_KEYS
             if (value := request.query_params.get(key, "")).isdecimal() and len(value) < 7}
    return found or None


def _checked_list(attendees: list[events.AttendeeLine]) -> str:
    """The checked lines to record, as CSV, carried by the confirm form (checked again there):
    the server keeps nothing between the preview and the confirmation."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\n")
    writer.writerow(["nom", "courriel", "rôle", "afficher le nom"])
    for attendee in attendees:
        writer.writerow([attendee.name, attendee.email, attendee.role.slug,
                         "oui" if attendee.show_name else "non"])
    return buffer.getvalue()


def _left_out_field(problems: list[LineProblem]) -> str:
    """The lines left out of a partly good list, carried by the confirm form so the page after
    recording can list them again (the server keeps nothing between the two steps)."""
    return json.dumps([[p.line, p.message_fr, p.message_en] for p in problems],
                      ensure_ascii=False)


def _left_out_lines(value: str) -> list[LineProblem]:
    """Read back `_left_out_field`; anything else is ignored (it is only shown back to the
    coordinator who sent it, escaped)."""
    try:
        items = json.loads(value) if value else []
    except ValueError:
        return []
    if not isinstance(items, list):
        return []
    return [LineProblem(line, fr[:500], en[:500]) for item in items[:MAX_ROWS]
            if isinstance(item, list) and len(item) == 3
            and isinstance(line := item[0], int) and not isinstance(line, bool)
            and 0 < line < 1_000_000_000
            and isinstance(fr := item[1], str) and isinstance(en := item[2], str)]


def _deliver_emails(service: IssuerService, actor: str) -> None:
    deliver_pending(service, actor=actor)


def form_text(form: FormData, name: str, *, limit: int = 1_000) -> str:
    value = form.get(name)
    return value.strip()[:limit] if isinstance(value, str) else ""


def _parse_date(value: str) -> date:
    return bounded_date(value, code="event.bad_date",
                        message_fr="Date illisible : choisissez-la dans le calendrier (AAAA-MM-JJ).",
                        message_en="Unreadable date: pick it in the calendar (YYYY-MM-DD).")


def _parse_local_datetime(value: str) -> datetime | None:
    """A `datetime-local` field, in City time (the coordinator's clock in Roubaix)."""
    if not value:
        return None
    return bounded_local_datetime(value, CITY_TIMEZONE, code="claim.bad_start",
                                  message_fr="Heure de début illisible.",
                                  message_en="Unreadable start time.")


def local_time(value: datetime | None, locale: str) -> str:
    """An hour in City time ("18:30"), for the projector."""
    if value is None:
        return ""
    return format_datetime(value, "HH:mm", tzinfo=CITY_TIMEZONE, locale=babel_locale(locale))


def local_moment(value: datetime | None, locale: str) -> str:
    if value is None:
        return ""
    return format_datetime(value, "d MMMM y, HH:mm", tzinfo=CITY_TIMEZONE,
                           locale=babel_locale(locale))


def _message(request: Request, french: str, english: str) -> str:
    return english if request_locale(request) == "en" else french


_EVENT = "/admin/evenements/{family}/{number:dbint}"

routes: list[BaseRoute] = [
    Route("/admin/evenements", events_page, methods=["GET"], name="admin_events"),
    Route("/admin/evenements/nouveau", new_event_form, methods=["GET"], name="admin_event_new"),
    Route("/admin/evenements/nouveau", new_event_submit, methods=["POST"],
          name="admin_event_new_submit"),
    Route(_EVENT, event_page, methods=["GET"], name="admin_event"),
    Route(f"{_EVENT}/presences/apercu", attendance_preview, methods=["POST"],
          name="admin_attendance_preview"),
    Route(f"{_EVENT}/presences/confirmer", attendance_confirm, methods=["POST"],
          name="admin_attendance_confirm"),
    Route(f"{_EVENT}/presences/ajouter", attendance_add, methods=["POST"],
          name="admin_attendance_add"),
    Route(f"{_EVENT}/delivrer", issue_submit, methods=["POST"], name="admin_event_issue"),
    Route(f"{_EVENT}/reclamation/ouvrir", claim_open_submit, methods=["POST"],
          name="admin_claim_open"),
    Route(f"{_EVENT}/reclamation/fermer", claim_close_submit, methods=["POST"],
          name="admin_claim_close"),
    Route(f"{_EVENT}/qr.svg", claim_qr, methods=["GET"], name="admin_claim_qr"),
    Route(f"{_EVENT}/ecran", claim_screen, methods=["GET"], name="admin_claim_screen"),
    Route(f"{_EVENT}/demandes", claims_decide, methods=["POST"], name="admin_claims_decide"),
    Route(f"{_EVENT}/demandes/origine", claims_reject_client, methods=["POST"],
          name="admin_claims_reject_client"),
]

public_routes: list[BaseRoute] = [
    Route(claims.CLAIM_PATH, claim_code, methods=["GET"], name="claim_code"),
    Route(f"{claims.CLAIM_PATH}/{{token}}", claim_form, methods=["GET"], name="claim"),
    Route(f"{claims.CLAIM_PATH}/{{token}}", claim_submit, methods=["POST"], name="claim_submit"),
    Route(f"{claims.CLAIM_PATH}/{{token}}/enregistree", claim_done, methods=["GET"],
          name="claim_done"),
]
