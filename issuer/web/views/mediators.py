"""The mediators' pages (issue #5, items 6 and 7): "Mon espace" (/espace) with its
password-less sign-in, and the directory of the network (/annuaire).

The rules live in `issuer.network.mediators`; these handlers read the form, call it, and answer.
Handlers are plain `def` (database work and badge verification run in the threadpool). Every
change is a POST answered by a 303 (post/redirect/get); the CSRF middleware checks every
POST (issuer.web.admin.csrf). A form of the space names `recipient_id: Mediator`
(issuer.web.deps): without a mediator session it is answered by a 303 to /espace.

The session cookie (named and read in issuer.web.deps) is not the /admin one: HttpOnly,
SameSite=Lax, Secure and `__Host-` prefixed over HTTPS, no Max-Age (it ends with the browser;
the server enforces idle and absolute expiry), like the workspace's (see issuer.web.admin.auth
for the reasons).
"""

from __future__ import annotations

from typing import Any

from starlette.background import BackgroundTask
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from issuer.errors import InvalidInput, IssuerError, NotFound
from issuer.network import mediators
from issuer.network.mediators import (
    SECTORS,
    SPACE_PATH,
    BadgeChecker,
    DirectoryQuery,
    ProfileDraft,
    ProfileInvalid,
    TooManyRequests,
)
from issuer.network.skills.service import current_catalogue
from issuer.wallet.copies import copies_of
from issuer.web.admin.auth import client_origin, form_fields
from issuer.web.deps import (
    MaybeMediator,
    Mediator,
    clock_of,
    mediator_cookie_name,
    mediator_session_token,
    service_of,
)
from issuer.web.locale import request_locale
from issuer.web.templating import render
from issuer.workspace.reissue import choose_name_display

PRIVATE_HEADERS = {"cache-control": "no-store", "x-robots-tag": "noindex, nofollow"}
# What the space says after a change (`?fait=` after the redirect): known values only.
DONE_MESSAGES = ("link-sent", "joined", "updated", "left", "signed-out", "endorsement-sent",
                 "endorsement-withdrawn", "name-shown", "name-hidden", "name-unchanged")


# --- helpers ---------------------------------------------------------------------------------

def _secure(request: Request) -> bool:
    return request.url.scheme == "https"


def _text(form: Any, name: str, limit: int) -> str:
    value = form.get(name)
    return value[:limit] if isinstance(value, str) else ""


def _redirect(target: str) -> RedirectResponse:
    return RedirectResponse(target, status_code=303)


def _page(request: Request, template: str, context: dict[str, Any], *,
          status_code: int = 200, headers: dict[str, str] | None = None) -> Response:
    return render(request, template, {"sectors": SECTORS, **context}, status_code=status_code,
                  headers={**PRIVATE_HEADERS, **(headers or {})})


# --- signing in ------------------------------------------------------------------------------

def space(request: Request, recipient_id: MaybeMediator) -> Response:
    """GET /espace: the space when signed in, else the form asking for a sign-in link."""
    done = request.query_params.get("fait")
    done = done if done in DONE_MESSAGES else None
    if recipient_id is None:
        return _sign_in_page(request, done=done)
    return _space_page(request, recipient_id, done=done)


def _sign_in_page(request: Request, *, done: str | None = None, email: str = "",
                  error: str | None = None, status_code: int = 200,
                  headers: dict[str, str] | None = None) -> Response:
    return _page(request, "space_sign_in.html",
                 {"done": done, "email": email, "error": error}, status_code=status_code,
                 headers=headers)


def request_link(request: Request) -> Response:
    """POST /espace/connexion: the same answer for every well-formed address; the e-mail, if
    the address is known, is prepared and sent after the answer (issuer.network.mediators)."""
    service = service_of(request)
    form = form_fields(request)
    email = _text(form, "email", 320)
    origin = client_origin(request)
    try:
        address = mediators.record_sign_in_request(service, email, origin=origin,
                                                   now=clock_of(request)())
    except InvalidInput:
        return _sign_in_page(request, email=email, status_code=400,
                             error=_message(request, InvalidInput(
                                 "Cette adresse e-mail n'est pas valide : vérifiez-la.",
                                 "This e-mail address is not valid: check it.")))
    except TooManyRequests as error:
        return _sign_in_page(request, email=email, error=_message(request, error),
                             status_code=429, headers={"retry-after": str(error.retry_after)})
    response = _redirect(f"{SPACE_PATH}?fait=link-sent")
    response.background = BackgroundTask(
        mediators.send_sign_in_link, service, address, locale=request_locale(request),
        origin=origin, now=clock_of(request)())
    return response


def link_form(request: Request) -> Response:
    """GET /espace/lien/{token}: a button that signs in. The link is spent only by the POST,
    so a mail scanner that opens links cannot use it up."""
    token = request.path_params["token"]
    valid = mediators.sign_in_link_is_valid(service_of(request), token, now=clock_of(request)())
    return _page(request, "space_link.html",
                 {"valid": valid, "error": None if valid else _message(
                     request, mediators.SignInLinkInvalid())},
                 # No `Referrer-Policy: no-referrer` here: browsers would then send
                 # `Origin: null` with the form, which the CSRF guard refuses. The site-wide
                 # strict-origin-when-cross-origin never sends this path to another site.
                 status_code=200 if valid else 404)


def link_submit(request: Request) -> Response:
    """POST /espace/lien/{token}: open a session and go to the space."""
    service = service_of(request)
    try:
        token = mediators.open_sign_in_link(service, request.path_params["token"],
                                            origin=client_origin(request),
                                            now=clock_of(request)())
    except mediators.SignInLinkInvalid as error:
        return _page(request, "space_link.html", {"valid": False, "error": _message(request, error)},
                     status_code=404)
    # A fresh session at each sign-in (no fixation); an older session of this browser ends.
    mediators.end_session(service, mediator_session_token(request))
    response = _redirect(SPACE_PATH)
    response.set_cookie(mediator_cookie_name(request), token, path="/", httponly=True,
                        secure=_secure(request), samesite="lax")
    return response


def sign_out(request: Request) -> Response:
    mediators.end_session(service_of(request), mediator_session_token(request), audit=True,
                          origin=client_origin(request))
    response = _redirect(f"{SPACE_PATH}?fait=signed-out")
    response.delete_cookie(mediator_cookie_name(request), path="/", httponly=True,
                           secure=_secure(request), samesite="lax")
    return response


# --- the space -------------------------------------------------------------------------------

def _space_page(request: Request, recipient_id: str, *, done: str | None = None,
                error: str | None = None, error_field: str | None = None,
                form: ProfileDraft | None = None, status_code: int = 200,
                badge_error: str | None = None) -> Response:
    locale = request_locale(request)
    view = mediators.build_space(service_of(request), recipient_id, locale=locale,
                                 now=clock_of(request)())
    # Holder-bound copies of each badge (issuer.wallet.copies): "copies in your wallet".
    copies = copies_of(service_of(request), [badge.credential_id for badge in view.badges])
    return _page(request, "space.html",
                 {"space": view, "copies": copies, "done": done, "error": error,
                  "error_field": error_field, "badge_error": badge_error,
                  "focus": request.query_params.get("badge"),
                  "form": form or ProfileDraft(
                      display_name=view.profile.display_name, sector=view.profile.sector or "",
                      organisation=view.profile.organisation,
                      description=view.profile.description,
                      contact_url=view.profile.contact_url)},
                 status_code=status_code)


def profile_submit(request: Request, recipient_id: Mediator) -> Response:
    """POST /espace/annuaire: join the directory, or update one's entry."""
    form = form_fields(request)
    draft = ProfileDraft(
        display_name=_text(form, "display_name", 1000), sector=_text(form, "sector", 32),
        organisation=_text(form, "organisation", 1000),
        description=_text(form, "description", 5000),
        contact_url=_text(form, "contact_url", 2000))
    service = service_of(request)
    was_listed = mediators.profile_of(service, recipient_id).opted_in
    try:
        mediators.save_profile(service, recipient_id, draft, origin=client_origin(request),
                               now=clock_of(request)())
    except ProfileInvalid as error:
        return _space_page(request, recipient_id, error=_message(request, error),
                           error_field=error.field, form=draft, status_code=400)
    except IssuerError as error:
        return _space_page(request, recipient_id, error=_message(request, error), form=draft,
                           status_code=400)
    return _redirect(f"{SPACE_PATH}?fait={'updated' if was_listed else 'joined'}#annuaire")


def leave_submit(request: Request, recipient_id: Mediator) -> Response:
    """POST /espace/annuaire/retrait: leave the directory, at once."""
    mediators.leave_directory(service_of(request), recipient_id, origin=client_origin(request),
                              now=clock_of(request)())
    return _redirect(f"{SPACE_PATH}?fait=left#annuaire")


def name_display_submit(request: Request, recipient_id: Mediator) -> Response:
    """POST /espace/badges/{credential_id}/nom: show or hide one's name on one badge (issue 13
    item 5). The badge is issued again under the same terms (issuer.workspace.reissue); the
    page then says what changed, at the new badge's line."""
    form = form_fields(request)
    choice = form.get("afficher")
    if choice not in ("oui", "non"):
        return _space_page(request, recipient_id, status_code=400, badge_error=_message(
            request, InvalidInput("Choisissez d'afficher ou de masquer votre nom.",
                                  "Choose to show or hide your name.")))
    try:
        pair = choose_name_display(service_of(request), recipient_id,
                                   request.path_params["credential_id"], show=choice == "oui",
                                   origin=client_origin(request), now=clock_of(request)())
    except IssuerError as error:
        return _space_page(request, recipient_id,
                           status_code=404 if isinstance(error, NotFound) else 400,
                           badge_error=_message(request, error))
    if pair is None:
        return _redirect(f"{SPACE_PATH}?fait=name-unchanged#badges")
    done = "name-shown" if choice == "oui" else "name-hidden"
    return _redirect(f"{SPACE_PATH}?fait={done}&badge={pair.new_id}#badge-{pair.new_id}")


# --- the directory ---------------------------------------------------------------------------

def directory(request: Request) -> Response:
    """GET /annuaire: the mediators who opted in, searchable by skill, domain and sector."""
    service = service_of(request)
    locale = request_locale(request)
    params = request.query_params
    query = DirectoryQuery.from_params(skill=params.get("competence"),
                                       domain=params.get("domaine"), sector=params.get("secteur"))
    entries = mediators.build_directory(service, query, locale=locale, now=clock_of(request)(),
                                        checker=BadgeChecker(service))
    catalogue = current_catalogue(service)
    return render(request, "directory.html",
                  {"entries": entries, "query": query, "catalogue": catalogue,
                   "sectors": SECTORS},
                  # Built from live verification on every request; never indexed (people).
                  headers={"cache-control": "no-store", "x-robots-tag": "noindex"})


def _message(request: Request, error: IssuerError) -> str:
    return error.message(request_locale(request))
