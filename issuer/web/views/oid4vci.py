"""OpenID4VCI endpoints (README "OpenID4VCI"): the two metadata documents, the credential offer
behind `credential_offer_uri`, the token, nonce and credential endpoints. Thin: each parses the
request, calls `issuer.wallet.oid4vci`, and answers JSON.

Every answer is `Cache-Control: no-store` (RFC 6749 §5.1, OpenID4VCI 1.0 §7.2) but the metadata,
which may be cached for a while. Refusals have the OAuth 2.0 shape
`{"error": ..., "error_description": ...}` (RFC 6749 §5.2, OpenID4VCI 1.0 §8.3.1.2), plus the
French and English messages the project gives everywhere; a bad access token is a 401 with
`WWW-Authenticate: Bearer error="invalid_token"` (RFC 6750 §3). One per-client budget covers
every OpenID4VCI request (`oid4vci_limiter`); a client over it gets 429 with Retry-After.
These routes need no session and are called by wallet apps, never by our pages: the CSRF guard
leaves `/oid4vci/` alone (issuer.web.admin.csrf).
"""

from __future__ import annotations

import logging
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from issuer.openbadges.json_depth import loads_bounded
from issuer.wallet import oid4vci
from issuer.wallet.oid4vci_errors import Oid4vciError
from issuer.wallet.oid4vci_metadata import authorization_server_metadata, issuer_metadata
from issuer.wallet.oid4vci_requests import bearer_token
from issuer.web.body_limits import form_limits
from issuer.web.deps import service_of
from issuer.web.rate_limit import RateLimit, app_limiter, client_key, retry_after_header

logger = logging.getLogger(__name__)
NO_STORE = {"cache-control": "no-store"}
METADATA_CACHE = {"cache-control": "public, max-age=300"}
RATE_LIMIT = 60
"""OpenID4VCI requests per client and minute: a wallet's flow takes four or five."""


def oid4vci_limiter(request: Request) -> RateLimit:
    """The application's one limiter for OpenID4VCI requests (tests may set
    `app.state.oid4vci_rate_limiter`), shared by every worker on PostgreSQL."""
    return app_limiter(request, "oid4vci_rate_limiter", limit=RATE_LIMIT)


def oauth_description(text: str) -> str:
    """`error_description` as RFC 6749 §5.2 allows it: printable ASCII without `"` or `\\`
    (a refusal may quote what the client sent). The French text goes in its own member."""
    return "".join(char if " " <= char <= "~" and char not in '"\\' else "?" for char in text)


def _refusal(error: Oid4vciError) -> JSONResponse:
    body = {"error": error.oauth_error, "error_description": oauth_description(error.message_en),
            "error_description_fr": error.message_fr}
    headers = dict(NO_STORE)
    if error.status == 401:
        headers["www-authenticate"] = f'Bearer error="{error.oauth_error}"'
    return JSONResponse(body, status_code=error.status, headers=headers)


def _over_budget(request: Request) -> JSONResponse | None:
    wait = oid4vci_limiter(request).hit(client_key(request))
    if wait is None:
        return None
    return JSONResponse({"error": "slow_down", "error_description": "Too many requests.",
                         "error_description_fr": "Trop de demandes."}, status_code=429,
                        headers={**NO_STORE, "retry-after": retry_after_header(wait)})


def _origin(request: Request) -> str | None:
    return request.client.host if request.client else None


async def credential_issuer_metadata(request: Request) -> Response:
    service = service_of(request)
    document = await run_in_threadpool(issuer_metadata, service.settings, service.catalogue)
    return JSONResponse(document, headers=METADATA_CACHE)


async def authorization_server(request: Request) -> Response:
    return JSONResponse(authorization_server_metadata(service_of(request).settings),
                        headers=METADATA_CACHE)


async def credential_offer(request: Request) -> Response:
    if (limited := _over_budget(request)) is not None:
        return limited
    service = service_of(request)
    token: str = request.path_params["token"]

    def read() -> dict[str, Any]:
        with service.database.session(read_only=True) as session:
            return oid4vci.offer_document(service, session, token)

    try:
        document = await run_in_threadpool(read)
    except Oid4vciError as error:
        return _refusal(error)
    return JSONResponse(document, headers=NO_STORE)


async def token(request: Request) -> Response:
    if (limited := _over_budget(request)) is not None:
        return limited
    service = service_of(request)
    if not request.headers.get("content-type", "").startswith(
            "application/x-www-form-urlencoded"):
        return _refusal(Oid4vciError(
            "invalid_request", "La demande doit être un formulaire (x-www-form-urlencoded).",
            "The request must be a form (x-www-form-urlencoded)."))
    try:
        form = await request.form(**form_limits(request))
    except HTTPException:  # python-multipart's bounds (number of fields...)
        return _refusal(Oid4vciError("invalid_request", "Formulaire illisible ou trop long.",
                                     "Unreadable or too long form."))
    fields = {name: value for name, value in form.items() if isinstance(value, str)}
    origin = _origin(request)

    def exchange() -> oid4vci.TokenGrant | Oid4vciError:
        with service.database.session() as session:
            try:
                return oid4vci.exchange_pre_authorized_code(service, session, fields,
                                                            origin=origin)
            except Oid4vciError as error:
                return error  # the session commits: a wrong tx_code stays counted

    outcome = await run_in_threadpool(exchange)
    if isinstance(outcome, Oid4vciError):
        return _refusal(outcome)
    return JSONResponse(outcome.response(), headers={**NO_STORE, "pragma": "no-cache"})


async def nonce(request: Request) -> Response:
    if (limited := _over_budget(request)) is not None:
        return limited
    service = service_of(request)

    def fresh() -> str:
        with service.database.session() as session:
            return oid4vci.issue_nonce(session)

    return JSONResponse({"c_nonce": await run_in_threadpool(fresh)}, headers=NO_STORE)


async def credential(request: Request) -> Response:
    if (limited := _over_budget(request)) is not None:
        return limited
    service = service_of(request)
    try:
        access_token = bearer_token(request.headers.get("authorization"))
    except Oid4vciError as error:
        return _refusal(error)
    try:
        body = loads_bounded(await request.body())
    except (ValueError, RecursionError):
        return _refusal(Oid4vciError("invalid_credential_request",
                                     "La demande n'est pas du JSON lisible.",
                                     "The request is not readable JSON."))
    origin = _origin(request)

    def redeem() -> dict[str, Any] | Oid4vciError:
        with service.database.session() as session:
            try:
                return oid4vci.redeem_credential_request(service, session, access_token, body,
                                                         origin=origin)
            except Oid4vciError as error:
                return error  # the session commits: the spent nonce and the audit line stay

    outcome = await run_in_threadpool(redeem)
    if isinstance(outcome, Oid4vciError):
        return _refusal(outcome)
    return JSONResponse(outcome, headers=NO_STORE)
