"""The count and the cached report of a verification of one of our badges, without a thread
(issue #14, performance goal 1; `issuer.web.verify_fast_path` runs it on the event loop).

`POST /api/v1/verify` of one of our badges needs two things from the database: the client's
count in the verification rate limit, and the badge's row (its signed text, to know the input
is byte for byte ours, and its status, the cached report's key: `issuer.issuance.own_verification`).
On PostgreSQL both are one statement, the limiter's count (`rate_limits.COUNT_WITH`) with the
row joined to it, on the process's quick connection (`issuer.storage.quick_connection`: never
waits to connect, each statement bounded). On SQLite (one process, counts in memory) the row
is read from the local file.

`counted_cached_report` answers None when it did not count the request (not ours by its own
`id`, another limiter, no quick connection ready, the statement failed): the caller then takes
the usual path, which counts it. Otherwise the request is counted, exactly once, and the answer
says what the caller must do: refuse (`wait`), answer (`report`, cached), verify our badge
(`own`: in a thread, `verify_own` with the status just read), or take the usual path without
counting again (none of these: ours by its `id` but not by its text).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import psycopg

from issuer.issuance.own_verification import (
    StatusVersion,
    cached_report,
    own_claim,
    stored_form,
)
from issuer.issuance.rate_limits import (
    COUNT_WITH,
    COUNTED_COLUMNS,
    COUNTED_FROM,
    SWEEP,
    DatabaseRateLimiter,
    RateLimit,
    RateLimiter,
)
from issuer.openbadges.verification import VerificationReport

if TYPE_CHECKING:
    from issuer.issuance.service import IssuerService

logger = logging.getLogger(__name__)

# Constants only (every value is a psycopg placeholder): the limiter's count, the row joined.
_COUNT_AND_READ = "\n".join((
    COUNT_WITH,
    "SELECT " + COUNTED_COLUMNS + ",",
    "       badge.revoked_at, badge.suspended, badge.suspended_at, badge.credential_json",
    "FROM " + COUNTED_FROM
    + " LEFT JOIN issued_credentials AS badge ON badge.id = %(credential_id)s"))


@dataclass(frozen=True)
class OwnBadge:
    """One of our stored badges, byte for byte the text sent, and its row's status now: what
    `own_verification.verify_own(service, "badge", credential_id, text, status=status)` takes."""

    credential_id: str
    text: str
    status: StatusVersion


@dataclass(frozen=True)
class CountedAnswer:
    """A request counted once: `wait` when it is over the limit (seconds, for Retry-After);
    else `report` when the cache holds it; else `own` when it is one of our badges to verify
    (not cached); else neither: not ours after all, verify it the usual way (counted)."""

    wait: float | None
    report: VerificationReport | None = None
    own: OwnBadge | None = None


def _answer(service: IssuerService, credential_id: str, text: str,
            status: StatusVersion) -> CountedAnswer:
    report = cached_report(service, "badge", credential_id, text, status)
    return CountedAnswer(None, report, None if report is not None
                         else OwnBadge(credential_id, text, status))


def fit_for_event_loop(service: IssuerService) -> bool:
    """Whether `counted_cached_report` may run on an event loop's thread: on PostgreSQL, where
    it uses the quick connection (never waits to connect, each statement bounded). On SQLite it
    checks a connection out of the pool, which may wait for one: run it in a thread there."""
    return service.database.quick_connection() is not None


def counted_cached_report(service: IssuerService, limiter: RateLimit, client: str,
                          data: bytes) -> CountedAnswer | None:
    """See the module docstring. Never verifies; on PostgreSQL never waits to connect
    (`fit_for_event_loop`)."""
    claim = own_claim(service, data)
    if claim is None or claim[0] != "badge" or claim[2] != "json":
        return None
    _kind, credential_id, _form, text = claim
    if type(limiter) is DatabaseRateLimiter:
        return _on_postgresql(service, limiter, client, credential_id, text)
    if type(limiter) is RateLimiter and service.database.engine.dialect.name == "sqlite":
        wait = limiter.hit(client)
        if wait is not None:
            return CountedAnswer(wait)
        stored = stored_form(service, "badge", credential_id, "json")
        if stored is None or stored[0] != text:
            return CountedAnswer(None)
        return _answer(service, credential_id, text, stored[1])
    return None  # a limiter made elsewhere (a test's, a deployment's): the usual path


def _on_postgresql(service: IssuerService, limiter: DatabaseRateLimiter, client: str,
                   credential_id: str, text: str) -> CountedAnswer | None:
    quick = service.database.quick_connection()
    connection = quick.get() if quick is not None else None
    if quick is None or connection is None:
        return None
    parameters: dict[str, Any] = {**limiter.parameters(client), "credential_id": credential_id}
    try:
        row = connection.execute(_COUNT_AND_READ, parameters).fetchone()
    except psycopg.Error:  # not counted (one statement, rolled back whole)
        logger.warning("verification counted the usual way: quick statement failed",
                       exc_info=True)
        if connection.broken or connection.closed:
            quick.discard(connection)
        return None
    if limiter.sweep_due():
        try:
            connection.execute(SWEEP, parameters)
        except psycopg.Error:
            logger.warning("past rate-limit windows not deleted this time", exc_info=True)
    if row is None:
        return None
    accepted, wait, revoked_at, suspended, suspended_at, stored = row
    if not accepted:
        return CountedAnswer(max(float(wait), 0.0))
    if stored != text:  # no such badge, or not this text: verified the usual way
        return CountedAnswer(None)
    return _answer(service, credential_id, text,
                   StatusVersion(revoked_at, bool(suspended), suspended_at))
