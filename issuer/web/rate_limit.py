"""Per-client rate limiting of the public verification endpoints (POST /verifier, POST
/api/v1/verify): each verification may fetch documents and canonicalise JSON-LD, which costs
far more than serving a page (VERIFICATION.md R9, R16).

A sliding-window log per client, kept in memory by the one process serving the app.

Written here rather than taken from a library, after checking the candidates:
- slowapi (0.1.x) wraps `limits` in decorators that need a `request` argument on every handler
  and its own exception handler and 429 body; we need one shared budget for an HTML form and a
  JSON API, each answering 429 in its own format (page or structured JSON) with Retry-After.
- `limits`' MemoryStorage (the storage slowapi uses without Redis) has no cap on the number of
  clients it tracks: a flood from many addresses (an IPv6 range gives billions) grows it until a
  timer thread sweeps expired entries, and the sweep walks every key each time.
What we need is small: a lock, a deque of timestamps per client, and a hard cap on clients with
least-recently-seen eviction, so memory stays bounded whatever arrives.
"""

from __future__ import annotations

import math
import threading
import time
from collections import OrderedDict, deque
from collections.abc import Callable

from starlette.requests import Request

from issuer.workspace.sign_in_throttle import client_key as throttle_client_key

DEFAULT_LIMIT = 30
DEFAULT_WINDOW_SECONDS = 60.0
DEFAULT_MAX_CLIENTS = 10_000


class RateLimiter:
    """At most `limit` requests per client in any `window` seconds.

    Thread-safe (handlers may run in the threadpool). Memory is bounded by `max_clients`
    deques of at most `limit` timestamps; past the cap the client seen least recently is
    forgotten (it then starts afresh, which only ever lets an attacker spread too thin to
    matter). `clock` is monotonic so a wall-clock change never frees or blocks anyone.
    """

    def __init__(self, limit: int = DEFAULT_LIMIT, window: float = DEFAULT_WINDOW_SECONDS, *,
                 max_clients: int = DEFAULT_MAX_CLIENTS,
                 clock: Callable[[], float] = time.monotonic) -> None:
        if limit <= 0 or window <= 0 or max_clients <= 0:
            raise ValueError("limit, window and max_clients must be positive")
        self.limit = limit
        self.window = window
        self.max_clients = max_clients
        self._clock = clock
        self._lock = threading.Lock()
        self._hits: OrderedDict[str, deque[float]] = OrderedDict()

    def hit(self, client: str) -> float | None:
        """Count one request from `client`. None when it may go ahead; otherwise the seconds
        to wait before the next one would be accepted (for Retry-After); a refused request
        is not counted, so waiting that long always works."""
        now = self._clock()
        with self._lock:
            hits = self._hits.get(client)
            if hits is None:
                hits = deque(maxlen=self.limit)
                self._hits[client] = hits
                while len(self._hits) > self.max_clients:
                    self._hits.popitem(last=False)
            else:
                self._hits.move_to_end(client)
            while hits and hits[0] <= now - self.window:
                hits.popleft()
            if len(hits) >= self.limit:
                return max(hits[0] + self.window - now, 0.0)
            hits.append(now)
            return None

    def tracked_clients(self) -> int:
        with self._lock:
            return len(self._hits)

    def reset(self) -> None:
        with self._lock:
            self._hits.clear()


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


def verification_limiter(request: Request) -> RateLimiter:
    """The application's one limiter for verification requests, shared by the HTML form and
    the JSON API (one budget per client, whichever door it uses). Tests or a deployment may
    set `app.state.verification_rate_limiter` to another RateLimiter."""
    state = request.app.state
    limiter: RateLimiter | None = getattr(state, "verification_rate_limiter", None)
    if limiter is None:
        with _APP_LIMITER_LOCK:
            limiter = getattr(state, "verification_rate_limiter", None)
            if limiter is None:
                limiter = RateLimiter()
                state.verification_rate_limiter = limiter
    return limiter
