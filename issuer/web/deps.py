"""What a request handler can ask for, as typed FastAPI dependencies (the FastAPI template's
`api/deps.py`): the signed-in coordinator (with their role) and the signed-in mediator; and
the per-application objects (`service_of`, `settings_of`). A handler names a dependency in its
signature and FastAPI resolves it before the handler runs, in the order written:

    def accounts_page(request: Request, user: Administrator) -> Response: ...
    def leave_submit(request: Request, recipient_id: Mediator) -> Response: ...

Refusals are exceptions the application answers (issuer.web.app), as the hand calls did:
- `LoginRequired`: a GET, HEAD or OPTIONS without a coordinator session; a 303 to
  /admin/connexion?suivant=<the page>.
- `PermissionDenied`: any other method without a session (sending the browser to sign in and
  then back to a POST-only address would only show "method not allowed"), or a role below the
  one the route needs; the 403 page.
- `MediatorSignInRequired`: a mediator's form sent without a mediator session; a 303 to
  /espace, which offers the sign-in link.
CSRF is not a dependency: the site-wide `CrossSiteRequestGuard` middleware refuses a cross-site
POST before any route runs (issuer.web.admin.csrf).

FastAPI resolves dependencies only on its own routes, while the route table is written with
Starlette's `Route`: `page_routes` turns each one into an `APIRoute` with the same path,
methods (HEAD with GET, as Starlette adds it) and name, kept out of the OpenAPI document.

No database-session dependency: handlers call domain functions, each of which opens and
commits its own transaction (docs/ARCHITECTURE.md, layer rule 2); a session per request would
change when they commit (after a refusal the handler caught, or after the e-mail a background
task sends).

The session cookies are named and read here, for the dependencies and for the pages that set
them (issuer.web.admin.auth, issuer.web.views.mediators).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from typing import Annotated

from fastapi import Depends
from fastapi.routing import APIRoute
from starlette.requests import Request
from starlette.routing import BaseRoute, Route

from issuer.issuance.service import IssuerService
from issuer.network import mediators
from issuer.settings import Settings
from issuer.web.page_cache import PageCache
from issuer.workspace.account_mail import sign_in_alerts_for
from issuer.workspace.accounts import Accounts, User, role_allows

SESSION_COOKIE = "issuer_session"
SECURE_SESSION_COOKIE = "__Host-issuer_session"
MEDIATOR_SESSION_COOKIE = "issuer_mediator_session"
SECURE_MEDIATOR_SESSION_COOKIE = "__Host-issuer_mediator_session"
_SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def service_of(request: Request) -> IssuerService:
    service: IssuerService = request.app.state.service
    return service


def settings_of(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings



def _https(request: Request) -> bool:
    return request.url.scheme == "https"


# --- the coordinator -------------------------------------------------------------------------

class LoginRequired(Exception):
    """No valid session: the browser is sent to the sign-in page."""


class PermissionDenied(Exception):
    """Signed in, but the role does not allow this page."""


def accounts_of(request: Request) -> Accounts:
    """The app's account service (tests may replace `app.state.accounts` with one on a fake
    clock)."""
    state = request.app.state
    accounts: Accounts | None = getattr(state, "accounts", None)
    if accounts is None:
        service = service_of(request)
        accounts = Accounts(service.database, alert_owner=sign_in_alerts_for(service))
        state.accounts = accounts
    return accounts


def session_cookie_name(request: Request) -> str:
    """The workspace's session cookie; `__Host-` prefixed over HTTPS (issuer.web.admin.auth)."""
    return SECURE_SESSION_COOKIE if _https(request) else SESSION_COOKIE


def session_token(request: Request) -> str | None:
    return request.cookies.get(session_cookie_name(request))


def current_user(request: Request) -> User | None:
    """The signed-in user, or None; looked up once per request."""
    if "admin_user" not in request.scope.setdefault("state", {}):
        request.state.admin_user = accounts_of(request).session_user(session_token(request))
    user: User | None = request.state.admin_user
    return user


def require_user(request: Request, *, role: str = "coordinator") -> User:
    """The signed-in, enabled user whose role is at least `role` (administrator >
    coordinator); else `LoginRequired` or `PermissionDenied` (see the module's docstring)."""
    user = current_user(request)
    if user is None:
        if request.method in _SAFE_METHODS:
            raise LoginRequired()
        raise PermissionDenied()
    if not role_allows(user.role, role):
        raise PermissionDenied()
    return user


def require_role(role: str) -> Callable[[Request], User]:
    """The dependency admitting a signed-in user whose role is at least `role`."""

    def signed_in_user(request: Request) -> User:
        return require_user(request, role=role)

    signed_in_user.__name__ = f"signed_in_{role}"
    return signed_in_user


Coordinator = Annotated[User, Depends(require_role("coordinator"))]
"""A signed-in coordinator or administrator: every page of the workspace."""
Administrator = Annotated[User, Depends(require_role("administrator"))]
"""A signed-in administrator: the accounts pages."""


# --- the mediator ----------------------------------------------------------------------------

class MediatorSignInRequired(Exception):
    """A mediator's form without a mediator session: the browser goes back to /espace."""


def _utc_now() -> datetime:
    return datetime.now(UTC)


def clock_of(request: Request) -> Callable[[], datetime]:
    """`app.state.mediator_clock` when a test set one, else the real clock."""
    clock: Callable[[], datetime] = getattr(request.app.state, "mediator_clock", _utc_now)
    return clock


def mediator_cookie_name(request: Request) -> str:
    """Mon espace's session cookie, not the workspace's one; `__Host-` prefixed over HTTPS."""
    return SECURE_MEDIATOR_SESSION_COOKIE if _https(request) else MEDIATOR_SESSION_COOKIE


def mediator_session_token(request: Request) -> str | None:
    return request.cookies.get(mediator_cookie_name(request))


def signed_in_recipient(request: Request) -> str | None:
    """The signed-in mediator's recipient id, or None; looked up once per request."""
    if "mediator_id" not in request.scope.setdefault("state", {}):
        request.state.mediator_id = mediators.session_recipient_id(
            service_of(request), mediator_session_token(request), now=clock_of(request)())
    recipient_id: str | None = request.state.mediator_id
    return recipient_id


def current_mediator(request: Request) -> str:
    """The signed-in mediator's recipient id; else `MediatorSignInRequired`."""
    recipient_id = signed_in_recipient(request)
    if recipient_id is None:
        raise MediatorSignInRequired()
    return recipient_id


Mediator = Annotated[str, Depends(current_mediator)]
"""The signed-in mediator's recipient id: the forms of Mon espace."""
MaybeMediator = Annotated[str | None, Depends(signed_in_recipient)]
"""The signed-in mediator's recipient id, or None: pages that also serve visitors."""


# --- routes that resolve dependencies --------------------------------------------------------

def page_routes(routes: Iterable[BaseRoute]) -> list[BaseRoute]:
    """The route table with each Starlette `Route` made a FastAPI `APIRoute`, so that its
    handler's dependencies are resolved; everything else (mounts, API routes) as it is."""
    return [_page_route(route) if type(route) is Route and route.methods else route
            for route in routes]


def _page_route(route: Route) -> APIRoute:
    # `route.methods` already holds HEAD next to GET, as Starlette answers it; an APIRoute
    # would not add it. `response_model=None`: handlers return their own Response.
    page = APIRoute(route.path, route.endpoint, methods=sorted(route.methods or ()),
                    name=route.name, include_in_schema=False, response_model=None)
    handler = page.dependant
    if (handler.path_params or handler.query_params or handler.header_params
            or handler.cookie_params or handler.body_params):
        # FastAPI would fill any other parameter from the query string or the body: a
        # keyword meant for an internal call would become something a visitor sets.
        raise TypeError(f"{route.endpoint.__module__}.{route.endpoint.__name__}: a page "
                        "handler takes the request and dependencies only")
    return page
def page_cache_of(request: Request) -> PageCache:
    cache: PageCache = request.app.state.page_cache
    return cache
