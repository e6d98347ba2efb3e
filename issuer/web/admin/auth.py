"""Sign-in, sign-out, invitations, and the guard every admin handler calls first.

CONTRACT (other modules rely on it; keep the signatures):
- `require_user(request, *, role="coordinator") -> User`: the signed-in, enabled user whose
  role is at least `role` (administrator > coordinator). Raises `LoginRequired` (answered with
  a 303 to /admin/connexion?suivant=<path>) or `PermissionDenied` (403 page).
- `client_origin(request) -> str`: the client address for the audit trail.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.routing import BaseRoute

from issuer.storage.workspace_models import User


class LoginRequired(Exception):
    """No valid session: the browser is sent to the sign-in page."""


class PermissionDenied(Exception):
    """Signed in, but the role does not allow this page."""


def require_user(request: Request, *, role: str = "coordinator") -> User:  # pragma: no cover
    raise LoginRequired()  # replaced by the real implementation


def client_origin(request: Request) -> str:
    return request.client.host if request.client else "unknown"


routes: list[BaseRoute] = []
