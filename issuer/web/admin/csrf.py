"""Cross-site request forgery protection from the browser's own headers, as Datasette does
(and as the OWASP CSRF Prevention Cheat Sheet describes under "Fetch Metadata headers" and
"Verifying Origin with standard headers"): no token field in the forms.

An unsafe request (POST, PUT, PATCH, DELETE) is refused with 403 when
- `Sec-Fetch-Site` is present and is neither `same-origin` nor `none` (a page of another site,
  even a sibling sub-domain — `same-site` — made the browser send it), or
- `Origin` is present and is not this site's origin (the configured base URL, or the origin
  the request itself was addressed to).
Requests carrying neither header (scripts, old browsers) pass: the session cookie is
SameSite=Lax, so a browser does not attach it to a cross-site POST anyway.

Every unsafe request is checked except those under `EXEMPT_PREFIXES`: the public JSON API and
the public verifier accept submissions from anywhere (they change nothing and need no
session), the OpenID4VCI endpoints are called by wallet apps with no cookie, their
authority being the pre-authorized code or access token they carry (issuer.web.views.oid4vci),
and a wallet's VC-API exchange (issue #12) is posted by a wallet app or a web wallet of another
origin, its key being the token in its path, never a cookie. Checking by default rather than
listing /admin and the claim page means a new form is protected without anyone remembering to
add it.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from starlette.datastructures import Headers
from starlette.responses import PlainTextResponse
from starlette.types import ASGIApp, Receive, Scope, Send

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})
ALLOWED_FETCH_SITES = frozenset({"same-origin", "none"})
EXEMPT_PREFIXES = ("/api/", "/verifier", "/verify", "/oid4vci/", "/portefeuille/echanges/")
REFUSAL = ("Requête refusée : elle vient d'un autre site (protection CSRF).\n"
           "Request refused: it comes from another site (CSRF protection).\n")


def origin_of(url: str) -> str:
    """`scheme://host[:port]` in lower case, default ports dropped (RFC 6454 §6.1)."""
    parts = urlsplit(url.strip())
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower()
    if ":" in host:
        host = f"[{host}]"
    try:
        port = parts.port
    except ValueError:  # a port that is not a number: matches no origin of ours
        return "invalid:"
    if port is None or (scheme, port) in {("http", 80), ("https", 443)}:
        return f"{scheme}://{host}"
    return f"{scheme}://{host}:{port}"


def is_cross_site(method: str, path: str, headers: Headers, own_origins: set[str]) -> bool:
    """True when this request must be refused (pure: the rules above, nothing else)."""
    if method.upper() in SAFE_METHODS or path.startswith(EXEMPT_PREFIXES):
        return False
    fetch_site = headers.get("sec-fetch-site")
    if fetch_site is not None and fetch_site.strip().lower() not in ALLOWED_FETCH_SITES:
        return True
    origin = headers.get("origin")
    # "null" (sandboxed frames, some redirects) is never our origin.
    return origin is not None and (origin.strip().lower() == "null"
                                   or origin_of(origin) not in own_origins)


class CrossSiteRequestGuard:
    """ASGI middleware applying `is_cross_site`; `base_url` is the service's public URL."""

    def __init__(self, app: ASGIApp, base_url: str) -> None:
        self.app = app
        self.base_origin = origin_of(base_url)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        own = {self.base_origin}
        host = headers.get("host")
        if host:
            own.add(origin_of(f"{scope.get('scheme', 'http')}://{host}"))
        if is_cross_site(scope["method"], scope["path"], headers, own):
            response = PlainTextResponse(REFUSAL, status_code=403,
                                         headers={"cache-control": "no-store"})
            await response(scope, receive, send)
            return
        await self.app(scope, receive, send)
