"""`POST /api/v1/verify` of one of our own badges, answered before FastAPI's routing and
without a thread (issue #14, performance goal 1).

Most verification requests a campaign brings are the same few badges of ours, sent as their
JSON: the answer is a cached report (`issuer.issuance.own_verification`), and what cost was
the way to it: FastAPI's routing and endpoint machinery, a thread hand-off, two statements
through SQLAlchemy, four times the work of the answer. This ASGI middleware sits inside the
request log, the security headers and the body limits (so the access line, the headers and the
size cap are those of every request) and answers such a request itself:

1. only `POST /api/v1/verify` with a JSON media type and a declared Content-Length of at most
   `OWN_BADGE_MAX_BYTES`; anything else goes on untouched;
2. `issuer.issuance.verify_counted` counts the client in the verification rate limit and reads
   the badge's row in one statement, on PostgreSQL on the event loop's thread (never waiting
   to connect, each statement bounded: `issuer.storage.quick_connection`); on SQLite (one
   process, the count in memory) in a thread, since a pooled connection may have to be waited
   for;
3. the report is the cached one of that very badge text and status (a revocation by another
   process is in the next answer, as on the usual path); when it is not cached, the badge is
   verified in a thread by `verify_own`, as the endpoint would, and cached for the next.

Whenever there is no such report (over the limit, not ours, a tampered copy, a presentation,
the quick connection not ready…) the request goes on to the API with its body
replayed, and with the count already made when there was one (`COUNTED_STATE`): the endpoint
answers it as always, nothing is counted twice. The answer is built by the same `Response`
with the same headers as the endpoint's (`issuer.web.api.verify_credential`); a test compares
the two.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from issuer.errors import IssuerError
from issuer.issuance.own_verification import verify_own
from issuer.issuance.verify_counted import OwnBadge, counted_cached_report, fit_for_event_loop
from issuer.openbadges.verification import VerificationReport
from issuer.web.api import CORS_HEADERS
from issuer.web.api_schemas import JSON_TYPES
from issuer.web.deps import service_of
from issuer.web.rate_limit import client_key, verification_limiter
from issuer.web.views.verifier import COUNTED_STATE, media_type_of

if TYPE_CHECKING:
    from issuer.issuance.service import IssuerService

PATH = "/api/v1/verify"
OWN_BADGE_MAX_BYTES = 64 * 1024
"""The largest body taken here: our badges' JSON is a few kilobytes (an image or evidence is a
link, never inline). A larger body is read and parsed by the endpoint, as before, not on this
path (where it would be parsed on the event loop's thread before anything else)."""
ANSWER_HEADERS = {**CORS_HEADERS, "cache-control": "no-store"}  # the endpoint's


@dataclass(frozen=True)
class RouteName:
    """What the access line reads of a route (`issuer.web.access_log.route_template`)."""

    path: str


_ROUTE = RouteName(PATH)


def _declared_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers") or ():
        if name == b"content-length":
            text = value.strip()
            return int(text) if text.isdigit() and len(text) <= 18 else None
    return None


class OwnCredentialFastPath:
    """ASGI middleware: see the module docstring."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] != PATH or scope["method"] != "POST":
            await self.app(scope, receive, send)
            return
        request = Request(scope, receive)
        length = _declared_length(scope)
        if length is None or length > OWN_BADGE_MAX_BYTES or \
                media_type_of(request) not in JSON_TYPES:
            await self.app(scope, receive, send)
            return
        chunks: list[bytes] = []
        more = True
        while more:  # within the declared length (uvicorn holds the client to it)
            message = await receive()
            if message["type"] != "http.request":  # gone before the end of its body
                await self.app(scope, _replay(chunks, message, receive), send)
                return
            chunks.append(message.get("body", b""))
            more = message.get("more_body", False)
        service = service_of(request)
        arguments = (service, verification_limiter(request), client_key(request),
                     b"".join(chunks))
        answer = (counted_cached_report(*arguments) if fit_for_event_loop(service)
                  else await run_in_threadpool(counted_cached_report, *arguments))
        report = answer.report if answer is not None else None
        if answer is not None and answer.own is not None:
            report = await _verified(service, answer.own)
        if answer is None or report is None or report.unreadable:
            if answer is not None:
                scope.setdefault("state", {})[COUNTED_STATE] = (answer.wait,)
            await self.app(scope, _replay(chunks, None, receive), send)
            return
        scope["route"] = _ROUTE  # the access line names the route
        await Response(report.compact_json, media_type="application/json",
                       headers=ANSWER_HEADERS)(scope, receive, send)


async def _verified(service: IssuerService, own: OwnBadge) -> VerificationReport | None:
    """Our badge verified in a thread (canonicalisation takes a millisecond or more), its
    report then cached as on the usual path; None when `verify` refused it (the endpoint then
    answers that refusal as always)."""
    try:
        report, _status = await run_in_threadpool(
            verify_own, service, "badge", own.credential_id, own.text, status=own.status)
    except IssuerError:
        return None
    return report


def _replay(chunks: list[bytes], last: Message | None, receive: Receive) -> Receive:
    """`receive` giving the body read so far again (then `last`, the disconnection that cut
    it short), then what the client sends next."""
    pending: list[Message] = [{"type": "http.request", "body": b"".join(chunks),
                               "more_body": last is not None}]
    if last is not None:
        pending.append(last)

    async def replayed() -> Message:
        if pending:
            return pending.pop(0)
        return await receive()

    return replayed
