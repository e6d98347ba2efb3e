"""Sign-in, sign-out, invitations and accounts of the workspace.

CONTRACT (other modules rely on it; keep the signatures):
- the guard is a typed dependency of `issuer.web.deps`: a handler names `user: Coordinator`
  (or `user: Administrator`) in its signature; the session cookie is read there too.
- `client_origin(request) -> str`: the client address for the audit trail.
- `form_fields(request) -> FormData`: the submitted form, from a plain `def` handler.

Sign-in and the event loop (issue #10 item 2). The sign-in form is an `async` handler: the
throttle decision and the recording run in the threadpool, and the Argon2 check runs in a
worker thread under the app's `sign_in_hash_limiter`, an anyio CapacityLimiter of
`HASH_CONCURRENCY` tokens. A request waiting for a token waits on the event loop, holding no
thread, so a burst of first attempts from many clients queues behind that limit while pages
keep their threads and a CPU core. A throttled attempt never reaches the hash at all.

The session cookie (OWASP Session Management Cheat Sheet): HttpOnly (no script reads it),
SameSite=Lax (not sent on cross-site POSTs), Secure and `__Host-` prefixed over HTTPS (the
`__Host-` prefix makes browsers refuse it unless Secure, Path=/ and without Domain, so a
sibling sub-domain cannot plant one), no Max-Age (it ends with the browser; the server
enforces idle and absolute expiry anyway).
"""

from __future__ import annotations

import os
import threading
from typing import Any
from urllib.parse import quote, urlsplit

import anyio.from_thread
import anyio.to_thread
from starlette.background import BackgroundTask
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from issuer.errors import IssuerError
from issuer.web.admin.rendering import render_admin
from issuer.web.body_limits import form_limits
from issuer.web.deps import (
    Administrator,
    accounts_of,
    current_user,
    service_of,
    session_cookie_name,
    session_token,
    settings_of,
)
from issuer.web.locale import request_locale
from issuer.workspace.accounts import (
    AccountError,
    Accounts,
    InvalidCredentials,
    InvitationInvalid,
    SignInThrottled,
    User,
)

SIGN_IN_PATH = "/admin/connexion"
#: Argon2 checks at once: half the cores (at least one), so sign-ins never take every core
#: from the pages (argon2-cffi releases the GIL while it hashes).
HASH_CONCURRENCY = max(1, (os.cpu_count() or 2) // 2)
_LIMITER_LOCK = threading.Lock()


# --- request helpers -------------------------------------------------------------------------

def sign_in_hash_limiter(request: Request) -> anyio.CapacityLimiter:
    """The app's one limiter of concurrent password hashes (tests may set
    `app.state.sign_in_hash_limiter`)."""
    state = request.app.state
    limiter: anyio.CapacityLimiter | None = getattr(state, "sign_in_hash_limiter", None)
    if limiter is None:
        with _LIMITER_LOCK:
            limiter = getattr(state, "sign_in_hash_limiter", None)
            if limiter is None:
                limiter = anyio.CapacityLimiter(HASH_CONCURRENCY)
                state.sign_in_hash_limiter = limiter
    return limiter


def client_origin(request: Request) -> str:
    # Behind a reverse proxy, `issuer serve --proxy-headers` makes this the visitor's address.
    return request.client.host if request.client else "unknown"


def form_fields(request: Request) -> FormData:
    """The submitted form, read from a plain `def` handler (run in Starlette's threadpool,
    from where `anyio.from_thread.run` reaches the event loop that owns the request body)."""
    return anyio.from_thread.run(_read_form, request)


async def _read_form(request: Request) -> FormData:
    # python-multipart's bounds (fields, files, part size) from the route's entry in the
    # body-limit table; the body itself is already capped while it is read (body_limits).
    return await request.form(**form_limits(request))


def _text(form: FormData, name: str, limit: int = 1024) -> str:
    value = form.get(name)
    return value[:limit] if isinstance(value, str) else ""


# --- cookie ----------------------------------------------------------------------------------

def _secure(request: Request) -> bool:
    return request.url.scheme == "https"


def set_session_cookie(request: Request, response: Response, token: str) -> None:
    response.set_cookie(session_cookie_name(request), token, path="/", httponly=True,
                        secure=_secure(request), samesite="lax")


def clear_session_cookie(request: Request, response: Response) -> None:
    response.delete_cookie(session_cookie_name(request), path="/", httponly=True,
                           secure=_secure(request), samesite="lax")


def safe_next(target: str | None) -> str:
    """Where to go after signing in: only a path of this site under /admin (never another
    host, a scheme, `//host` or a backslash trick: an open redirect would lend our address to
    phishing)."""
    if not target:
        return "/admin"
    parts = urlsplit(target)
    if (parts.scheme or parts.netloc or "\\" in target or any(ord(c) < 32 for c in target)
            or not (parts.path == "/admin" or parts.path.startswith("/admin/"))
            or parts.path.startswith(SIGN_IN_PATH)):
        return "/admin"
    return target


def _error_text(request: Request, error: IssuerError) -> str:
    return error.message(request_locale(request))


# --- sign-in / sign-out ----------------------------------------------------------------------

def sign_in_form(request: Request) -> Response:
    user = current_user(request)
    target = safe_next(request.query_params.get("suivant"))
    if user is not None:
        return RedirectResponse(target, status_code=303)
    return render_admin(request, "login.html", {"next": target, "email": "", "error": None})


async def sign_in_submit(request: Request) -> Response:
    form = await _read_form(request)
    email = _text(form, "email", 320)
    target = safe_next(_text(form, "suivant", 2048))
    # In the threadpool: the first call builds the service, which hashes its dummy password.
    accounts = await run_in_threadpool(accounts_of, request)
    origin = client_origin(request)
    try:
        attempt = await run_in_threadpool(accounts.begin_sign_in, email, origin)
        check = await anyio.to_thread.run_sync(accounts.check_password, attempt,
                                               _text(form, "password", 4096),
                                               limiter=sign_in_hash_limiter(request))
        user = await run_in_threadpool(accounts.finish_sign_in, attempt, check)
    except SignInThrottled as error:
        throttled = render_admin(request, "login.html",
                                 {"next": target, "email": email,
                                  "error": _error_text(request, error)}, status_code=429)
        throttled.headers["retry-after"] = str(error.retry_after)
        return throttled
    except AccountError as error:
        refused = render_admin(request, "login.html",
                               {"next": target, "email": email, "error": _error_text(request, error)},
                               status_code=401)
        if isinstance(error, InvalidCredentials) and error.owner_alerted:
            from issuer.mail import deliver_pending

            # After the response, like every e-mail of a page (issuer/mail contract).
            refused.background = BackgroundTask(deliver_pending, service_of(request),
                                                actor="anonymous")
        return refused
    token = await run_in_threadpool(_open_session, request, accounts, user, origin)
    response = RedirectResponse(target, status_code=303)
    set_session_cookie(request, response, token)
    return response


def _open_session(request: Request, accounts: Accounts, user: User, origin: str) -> str:
    # A fresh token at each sign-in (no session fixation); an older session of this browser ends.
    accounts.end_session(session_token(request))
    return accounts.create_session(user, origin=origin, user_agent=request.headers.get("user-agent"))


def sign_out(request: Request) -> Response:
    user = current_user(request)
    accounts_of(request).end_session(session_token(request),
                                     actor=user.email if user else None,
                                     origin=client_origin(request))
    response = RedirectResponse(SIGN_IN_PATH, status_code=303)
    clear_session_cookie(request, response)
    return response


# --- invitations -----------------------------------------------------------------------------

def invitation_form(request: Request) -> Response:
    token = request.path_params["token"]
    try:
        invited = accounts_of(request).invitation_user(token)
    except InvitationInvalid as error:
        return render_admin(request, "invitation.html",
                            {"invalid": _error_text(request, error), "invited": None}, status_code=404)
    return render_admin(request, "invitation.html", {"invited": invited, "invalid": None, "error": None})


def invitation_submit(request: Request) -> Response:
    token = request.path_params["token"]
    form = form_fields(request)
    accounts = accounts_of(request)
    password = _text(form, "password", 4096)
    try:
        invited = accounts.invitation_user(token)
    except InvitationInvalid as error:
        return render_admin(request, "invitation.html",
                            {"invalid": _error_text(request, error), "invited": None}, status_code=404)
    if password != _text(form, "password_confirmation", 4096):
        return render_admin(request, "invitation.html",
                            {"invited": invited, "invalid": None,
                             "error": _error_text(request, _MISMATCH)}, status_code=400)
    try:
        user = accounts.accept_invitation(token, password, origin=client_origin(request))
    except AccountError as error:
        return render_admin(request, "invitation.html",
                            {"invited": invited, "invalid": None, "error": _error_text(request, error)},
                            status_code=400)
    token_value = accounts.create_session(user, origin=client_origin(request),
                                          user_agent=request.headers.get("user-agent"))
    response = RedirectResponse("/admin", status_code=303)
    set_session_cookie(request, response, token_value)
    return response


_MISMATCH = AccountError("Les deux mots de passe ne sont pas identiques.",
                         "The two passwords do not match.", code="account.password_mismatch")


# --- accounts (administrators only) ----------------------------------------------------------

def accounts_page(request: Request, user: Administrator) -> Response:
    return _accounts_page(request, user)


def _accounts_page(request: Request, user: User, **context: Any) -> Response:
    status_code = context.pop("status_code", 200)
    return render_admin(request, "accounts.html",
                        {"users": accounts_of(request).list_users(), "invitation_link": None,
                         "mailed": False, "error": None, "form": {}, **context},
                        user=user, status_code=status_code)


def invite_submit(request: Request, user: Administrator) -> Response:
    form = form_fields(request)
    fields = {"email": _text(form, "email", 320), "name": _text(form, "name", 200),
              "role": _text(form, "role", 32) or "coordinator"}
    try:
        invited, token = accounts_of(request).invite_coordinator(
            user, fields["email"], fields["name"], role=fields["role"],
            origin=client_origin(request))
    except IssuerError as error:
        return _accounts_page(request, user, error=_error_text(request, error), form=fields,
                              status_code=400)
    # The public address (ISSUER_BASE_URL), not the one this request came in by: behind a
    # reverse proxy they differ, and the link leaves in an e-mail.
    link = f"{settings_of(request).base_url}/admin/invitation/{quote(token)}"
    mailed = _queue_invitation_email(request, user, invited, link)
    # Shown on this response rather than after a redirect: the token exists in clear only
    # now (the database keeps its hash), so the administrator can also pass the link on.
    response = _accounts_page(request, user, invitation_link=link, invited=invited, mailed=mailed)
    if mailed:
        from issuer.mail import deliver_pending

        # After the response: a slow SMTP server never holds the page (issuer/mail contract).
        response.background = BackgroundTask(deliver_pending, service_of(request), actor=user.email)
    return response


def _queue_invitation_email(request: Request, by_user: User, invited: User, link: str) -> bool:
    """Queue the invitation e-mail; False (the page then says to pass the link on by hand)
    when it cannot be composed."""
    from issuer.mail import MailError, queue_invitation

    service = service_of(request)
    try:
        with service.database.session() as session:
            queue_invitation(service, session, to=invited.email, display_name=invited.display_name,
                             invitation_url=link, expires_at=invited.invitation_expires_at
                             or accounts_of(request).clock(), role=invited.role,
                             invited_by=by_user.display_name, user_id=invited.id,
                             locale=request_locale(request), actor=by_user.email,
                             origin=client_origin(request))
    except (MailError, OSError):
        return False
    return True


def disable_submit(request: Request, user: Administrator) -> Response:
    try:
        accounts_of(request).disable(user, request.path_params["user_id"],
                                     origin=client_origin(request))
    except IssuerError as error:
        return _accounts_page(request, user, error=_error_text(request, error), status_code=400)
    return RedirectResponse("/admin/comptes", status_code=303)


routes: list[BaseRoute] = [
    Route(SIGN_IN_PATH, sign_in_form, methods=["GET"], name="admin_sign_in"),
    Route(SIGN_IN_PATH, sign_in_submit, methods=["POST"], name="admin_sign_in_submit"),
    Route("/admin/deconnexion", sign_out, methods=["POST"], name="admin_sign_out"),
    Route("/admin/invitation/{token}", invitation_form, methods=["GET"], name="admin_invitation"),
    Route("/admin/invitation/{token}", invitation_submit, methods=["POST"],
          name="admin_invitation_submit"),
    Route("/admin/comptes", accounts_page, methods=["GET"], name="admin_accounts"),
    Route("/admin/comptes/inviter", invite_submit, methods=["POST"], name="admin_accounts_invite"),
    Route("/admin/comptes/{user_id}/desactiver", disable_submit, methods=["POST"],
          name="admin_accounts_disable"),
]
