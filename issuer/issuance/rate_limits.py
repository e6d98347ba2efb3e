"""Per-client request limits (verification, OpenID4VCI, wallet doors), one interface, two
stores (issue #14 item 1):

- **PostgreSQL** (`DatabaseRateLimiter`): the counters are rows of `rate_limit_windows`, so
  every process of every host behind the load balancer draws on the same budget: a client
  cannot multiply its allowance by the number of workers.
- **SQLite** (`RateLimiter`): the embedded installation runs one process (`issuer serve`
  refuses `--workers` above 1 there), so a counter in that process's memory is the global one,
  and costs no write transaction (SQLite has one writer at a time) per verification.

`shared_rate_limiter` picks the one that fits the database.

The in-memory limiter is a sliding-window log, written here rather than taken from a library,
after checking the candidates:
- slowapi (0.1.x) wraps `limits` in decorators that need a `request` argument on every handler
  and its own exception handler and 429 body; we need one shared budget for an HTML form and a
  JSON API, each answering 429 in its own format (page or structured JSON) with Retry-After.
- `limits`' MemoryStorage (the storage slowapi uses without Redis) has no cap on the number of
  clients it tracks: a flood from many addresses (an IPv6 range gives billions) grows it until a
  timer thread sweeps expired entries, and the sweep walks every key each time.
What we need is small: a lock, a deque of timestamps per client, and a hard cap on clients with
least-recently-seen eviction, so memory stays bounded whatever arrives.

The database limiter is a sliding window approximated from two fixed-window counters (the
current window's, and the previous one's weighted by the share of it the sliding window still
covers): one atomic `INSERT ... ON CONFLICT DO UPDATE ... WHERE count + weight < limit
RETURNING` per request, so two processes counting the same client at the same instant are
serialised by the row, never both let through past the limit. A fixed window alone let a client
send twice the limit across a window boundary; the weight takes that away (it assumes the
previous window's requests were spread over it: a client whose requests all came at its very
end gets back a little early, never a second whole budget). The sliding log above is exact, but a
log in the database would be one row per request. `limits`' PostgreSQL-less storages (Redis,
Memcached, MongoDB) would add a server the City does not run.
"""

from __future__ import annotations

import logging
import math
import re
import threading
import time
from collections import OrderedDict, deque
from collections.abc import Callable
from typing import Protocol

from sqlalchemy import TextClause, text
from sqlalchemy.exc import DBAPIError

from issuer.storage.db import Database

logger = logging.getLogger(__name__)

DEFAULT_LIMIT = 30
DEFAULT_WINDOW_SECONDS = 60.0
DEFAULT_MAX_CLIENTS = 10_000


class RateLimit(Protocol):
    """At most `limit` requests per client in `window` seconds."""

    limit: int
    window: float

    def hit(self, client: str) -> float | None:
        """Count one request from `client`. None when it may go ahead; otherwise the seconds
        to wait before the next one would be accepted (for Retry-After). A refused request is
        not counted, so waiting that long always works."""


class RateLimiter:
    """At most `limit` requests per client in any `window` seconds, in this process's memory.

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


class DatabaseRateLimiter:
    """At most about `limit` requests per client in any `window` seconds (a sliding window
    weighed from the current and the previous fixed window: see the module docstring), counted
    in the database (`rate_limit_windows`, PostgreSQL) and so shared by every process using it.

    Windows follow the database's clock (`clock_timestamp()`), never a host's, so hosts whose
    clocks disagree still count in the same windows. The rows of older windows are deleted by
    whichever process notices first (at most once per window per process): the table holds at
    most the clients seen in the current and the two windows before, whatever arrives. The
    counter is written with `synchronous_commit = off`: a crash may forget the last few
    increments, which a limit can afford, and a request does not wait for a disk flush.
    If the database cannot be reached the request goes ahead (logged): the limit protects the
    service, it must not be what stops it.
    """

    def __init__(self, database: Database, bucket: str, *, limit: int = DEFAULT_LIMIT,
                 window: float = DEFAULT_WINDOW_SECONDS) -> None:
        if limit <= 0 or window < 1:
            raise ValueError("limit must be positive and window at least one second")
        if database.engine.dialect.name != "postgresql":
            raise ValueError("DatabaseRateLimiter needs PostgreSQL (RateLimiter otherwise)")
        self.limit = limit
        self.window = float(math.ceil(window))
        self.bucket = bucket
        # One statement per request, in autocommit (`_COUNT`): no BEGIN / COMMIT round trips.
        self._engine = database.engine.execution_options(isolation_level="AUTOCOMMIT")
        self._seconds = int(self.window)
        self._next_sweep = 0.0
        self._sweep_lock = threading.Lock()

    def parameters(self, client: str) -> dict[str, object]:
        """The count's parameters for one request from `client` (`COUNT_WITH`)."""
        return {"bucket": self.bucket, "client": client[:64], "seconds": self._seconds,
                "limit": self.limit}

    def hit(self, client: str) -> float | None:
        try:
            with self._engine.connect() as connection:
                accepted, wait = connection.execute(_COUNT, self.parameters(client)).one()
                if self.sweep_due():
                    connection.execute(_SWEEP, {"bucket": self.bucket,
                                                "seconds": self._seconds})
        except DBAPIError:
            logger.warning("rate limit %s not counted: database unavailable", self.bucket,
                           exc_info=True)
            return None
        return None if accepted else max(float(wait), 0.0)

    def sweep_due(self) -> bool:
        """True at most once per window in this process: time to delete past windows' rows
        (`SWEEP`, with the bucket and seconds of `parameters`)."""
        now = time.monotonic()
        with self._sweep_lock:
            if now < self._next_sweep:
                return False
            self._next_sweep = now + self.window
            return True


# The count of one request as a single statement (one round trip, issue #14 goal 1: the
# former transaction, SET LOCAL, INSERT, COMMIT and, when refused, a second SELECT cost 1.3 ms
# of CPU a request). It runs alone in its own transaction (autocommit), where
# `set_config(..., true)` is `SET LOCAL synchronous_commit = off`.
#
# A sliding window, approximated from two fixed ones (the current window's counter and the
# previous one's, weighted by the share of it the sliding window still covers): a client may
# not send its whole budget at the end of one window and again at the start of the next, as a
# fixed window allowed (twice the limit in a few seconds). The INSERT ... ON CONFLICT DO UPDATE
# ... WHERE is atomic on the current window's row: two processes counting the same client at
# the same instant are serialised by it, never both let through past the limit (the previous
# window is over: its count no longer changes). `accepted` is whether a row came back
# (counted); `wait` the seconds until one more request would be accepted: until the previous
# window weighs little enough, or, when the current one is full, its end plus the time the
# current one then takes to weigh little enough. The table is
# `issuer.storage.rate_limit_models.RateLimitWindow`. Written with psycopg's placeholders:
# `issuer.issuance.verify_counted` runs the same count on the driver's connection, with a read
# joined to it (`COUNT_WITH`, `COUNTED_COLUMNS`, `COUNTED_FROM`); `_sqlalchemy` turns them into
# SQLAlchemy's.
COUNT_WITH = """
WITH clock AS (
    SELECT extract(epoch FROM clock_timestamp()) AS epoch,
           set_config('synchronous_commit', 'off', true) AS durability
), slot AS (
    SELECT epoch,
           CAST(floor(epoch / CAST(%(seconds)s AS integer)) * CAST(%(seconds)s AS integer)
                AS bigint) AS start
    FROM clock
), weighed AS (
    SELECT start, epoch - start AS elapsed,
           coalesce((SELECT earlier.hits FROM rate_limit_windows AS earlier
                     WHERE earlier.bucket = %(bucket)s AND earlier.client = %(client)s
                       AND earlier.window_start = start - CAST(%(seconds)s AS integer)), 0)
               AS previous,
           coalesce((SELECT present.hits FROM rate_limit_windows AS present
                     WHERE present.bucket = %(bucket)s AND present.client = %(client)s
                       AND present.window_start = start), 0) AS seen
    FROM slot
), carried AS (
    SELECT start, elapsed, previous, seen,
           previous * (1 - elapsed / CAST(%(seconds)s AS integer)) AS weight
    FROM weighed
), counted AS (
    INSERT INTO rate_limit_windows AS counter (bucket, client, window_start, hits)
    SELECT %(bucket)s, %(client)s, start, 1 FROM carried
    WHERE weight + 1 <= CAST(%(limit)s AS integer)
    ON CONFLICT (bucket, client, window_start)
    DO UPDATE SET hits = counter.hits + 1
    WHERE counter.hits + 1 + (SELECT weight FROM carried) <= CAST(%(limit)s AS integer)
    RETURNING counter.hits
)"""
COUNTED_COLUMNS = """EXISTS (SELECT 1 FROM counted) AS accepted,
       CASE WHEN seen + 1 <= CAST(%(limit)s AS integer) AND previous > 0
            THEN greatest(CAST(%(seconds)s AS integer)
                          * (1 - CAST(CAST(%(limit)s AS integer) - 1 - seen AS numeric)
                             / previous)
                          - elapsed, 0)
            ELSE CAST(%(seconds)s AS integer) - elapsed
                 + greatest(CAST(%(seconds)s AS integer)
                            * (1 - CAST(CAST(%(limit)s AS integer) - 1 AS numeric)
                               / greatest(seen, 1)), 0)
       END AS wait"""
COUNTED_FROM = "carried"
# The rows of windows before the previous one: no count reads them any more.
SWEEP = """
DELETE FROM rate_limit_windows
WHERE bucket = %(bucket)s
  AND window_start < CAST(floor(extract(epoch FROM clock_timestamp())
                                / CAST(%(seconds)s AS integer)) * CAST(%(seconds)s AS integer)
                          AS bigint) - CAST(%(seconds)s AS integer)
"""


def _sqlalchemy(statement: str) -> TextClause:
    return text(re.sub(r"%\((\w+)\)s", r":\1", statement))


_COUNT = _sqlalchemy(f"{COUNT_WITH}\nSELECT {COUNTED_COLUMNS}\nFROM {COUNTED_FROM}")
_SWEEP = _sqlalchemy(SWEEP)


def shared_rate_limiter(database: Database, bucket: str, *, limit: int = DEFAULT_LIMIT,
                        window: float = DEFAULT_WINDOW_SECONDS) -> RateLimit:
    """The limiter every process of this installation shares: counted in PostgreSQL when the
    service runs on it (several workers or hosts), in memory on SQLite (one process)."""
    if database.engine.dialect.name == "postgresql":
        return DatabaseRateLimiter(database, bucket, limit=limit, window=window)
    return RateLimiter(limit=limit, window=window)
