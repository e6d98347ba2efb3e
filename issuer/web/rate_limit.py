"""Per-client rate limiting of the public endpoints that cost more than a page: the
verification ones (POST /verifier, POST /api/v1/verify: each verification may fetch documents
and canonicalise JSON-LD, VERIFICATION.md R9, R16), OpenID4VCI and the wallet doors.

The limiters themselves are in `issuer.issuance.rate_limits`: counted in PostgreSQL, so every
worker and host shares one budget per client, or in memory on SQLite (one process). Here: the
client a request counts for, the Retry-After header, and the application's one limiter per
door (`app_limiter`).
"""

from __future__ import annotations

import math
import threading

from starlette.requests import Request

from issuer.issuance.rate_limits import (
    DEFAULT_LIMIT,
    DEFAULT_WINDOW_SECONDS,
    RateLimit,
    RateLimiter,
    shared_rate_limiter,
)
from issuer.web.deps import service_of
from issuer.workspace.sign_in_throttle import client_key as throttle_client_key

__all__ = ["RateLimit", "RateLimiter", "app_limiter", "client_key", "retry_after_header",
           "verification_limiter"]


def retry_after_header(wait: float) -> str:
    """Retry-After in whole seconds (RFC 9110 §10.2.3), never 0 while still limited."""
    return str(max(1, math.ceil(wait)))


def client_key(request: Request) -> str:
    """The client address the limit applies to. It is the TCP peer, or the address a trusted
    reverse proxy forwarded: `issuer serve --proxy-headers` makes uvicorn put the
    X-Forwarded-For address there, only for the proxy it trusts. Reading the header ourselves
    would let anyone pick a fresh identity per request. Counted like sign-in failures: an IPv6
    client per /64 (`issuer.workspace.sign_in_throttle.client_key`)."""
    return throttle_client_key(request.client.host if request.client else None)


_APP_LIMITER_LOCK = threading.Lock()


def app_limiter(request: Request, name: str, *, limit: int,
                window: float = DEFAULT_WINDOW_SECONDS) -> RateLimit:
    """The application's one limiter kept as `app.state.<name>` (tests or a deployment may set
    another one there), made on first use by `shared_rate_limiter`: its counters are in
    PostgreSQL under the bucket `name` when the service runs on it."""
    state = request.app.state
    limiter: RateLimit | None = getattr(state, name, None)
    if limiter is None:
        with _APP_LIMITER_LOCK:
            limiter = getattr(state, name, None)
            if limiter is None:
                bucket = name.removesuffix("_rate_limiter")
                limiter = shared_rate_limiter(service_of(request).database, bucket,
                                              limit=limit, window=window)
                setattr(state, name, limiter)
    return limiter


def verification_limiter(request: Request) -> RateLimit:
    """The limiter of verification requests, shared by the HTML form and the JSON API (one
    budget per client, whichever door it uses; `app.state.verification_rate_limiter`)."""
    return app_limiter(request, "verification_rate_limiter", limit=DEFAULT_LIMIT)
