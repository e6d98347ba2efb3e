"""Presentations an employer can check (issue #12, item 5): "Demander une présentation" on the
verifier, the VC-API exchange a wallet answers, and presentations sent to the JSON API.

Routes (the route table is `ROUTES`, added to `issuer.web.app`):

- `POST /verifier/presentations`: a new request (`issuer.wallet.presentation_requests`); the
  employer's browser gets the viewer cookie (scoped to the request's page) and is sent to
- `GET /verifier/presentations/{token}`: the QR code and links for the wallet while the request
  waits (a button reloads the page: no script, no timed refresh), then the verified badge and
  whether the person who presented it controls the DID it was issued to. Only the browser
  holding the viewer cookie sees the answer; anyone else gets a page saying so.
- `GET /exchanges/presentations/{token}` (`?iuv=1`): the interaction address. A wallet asking
  for JSON gets `{"protocols": {"vcapi": …}}`; a person gets a French-first page.
- `POST /exchanges/presentations/{token}`: the exchange. `{}` is answered with the
  `VerifiablePresentationRequest`; `{"verifiablePresentation": …}` is verified once, stored, and
  answered `{}` (VC-API: the exchange is complete), or 400 with the reason when the presentation
  is not valid. Unknown, expired and already answered requests get a JSON error (404, 410, 409).

The wallet's invitation is given in the two forms the Learner Credential Wallet reads: the
interaction address (`…?iuv=1`, VC-API / VCALM) and `https://lcw.app/request?request=…`, whose
`request` parameter is `{"credentialRequestOrigin": …, "protocols": {"vcapi": …}}`. The QR code
holds the latter: a phone camera opens the wallet with it.

Every POST is counted by the verification rate limit, and the pages refuse cross-site form
posts like the verifier does; the exchange takes JSON from wallets, which are no browsers.
"""

from __future__ import annotations

import base64
import json
import math
from dataclasses import dataclass
from datetime import UTC, datetime
from types import SimpleNamespace
from typing import Any
from urllib.parse import quote, urlsplit

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from issuer.i18n import translations
from issuer.issuance.service import IssuerService
from issuer.issuance.verification_context import verification_context_for
from issuer.openbadges.verification.context import VerificationContext
from issuer.openbadges.verification.presentation import (
    PresentationReport,
    is_presentation,
    verify_presentation,
)
from issuer.presentation.qr import qr_svg
from issuer.wallet.presentation_requests import (
    EXCHANGE_PATH,
    PAGE_PATH,
    RESULT_LIFETIME,
    PresentationRequestError,
    PresentationRequests,
    PresentationRequestView,
    challenge_for,
    verifiable_presentation_request,
)
from issuer.web.admin.auth import client_origin
from issuer.web.deps import service_of
from issuer.web.locale import request_locale
from issuer.web.templating import render
from issuer.web.views.badge_claims import image_src
from issuer.web.views.verifier import (
    LIVE_VERIFICATIONS,
    MAX_INPUT_BYTES,
    VerifierInputError,
    check_rate_limit,
    is_cross_site,
    media_type_of,
    read_limited_body,
    remote_fetcher,
)

VIEWER_COOKIE = "presentation_viewer"
LCW_REQUEST_URL = "https://lcw.app/request"
JSON_TYPES = ("application/json", "application/ld+json")
MAX_OPTION_LENGTH = 512
"""Longest `challenge` or `domain` the API takes."""

_MESSAGES: dict[str, tuple[str, str]] = {
    "api.bad_presentation_request": (
        ("Objet JSON attendu : « verifiablePresentation » (objet), avec « challenge » et "
        "« domain » facultatifs (chaînes, aussi acceptés dans « options »)."),
        ("A JSON object was expected: 'verifiablePresentation' (an object), with optional "
        "'challenge' and 'domain' (strings, also accepted inside 'options').")),
    "exchange.bad_request": (
        ("Le portefeuille doit envoyer un objet JSON : {} pour recevoir la demande, ou "
        "{\"verifiablePresentation\": …} pour y répondre."),
        ("The wallet must send a JSON object: {} to receive the request, or "
        "{\"verifiablePresentation\": …} to answer it.")),
    "exchange.not_json": (
        "Le portefeuille doit envoyer du JSON (application/json).",
        "The wallet must send JSON (application/json)."),
}


def _input_error(code: str, *, status: int = 400) -> VerifierInputError:
    message_fr, message_en = _MESSAGES[code]
    return VerifierInputError(message_fr, message_en, code=code, status=status)


def _json_error(code: str, message_fr: str, message_en: str, status: int,
                headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse({"error": {"code": code, "message_fr": message_fr,
                                   "message_en": message_en}},
                        status_code=status, headers={"cache-control": "no-store",
                                                     **(headers or {})})


# --- the JSON API: a presentation given to POST /api/v1/verify ------------------------------------

@dataclass(frozen=True)
class PresentationInput:
    """A presentation to verify, with the challenge and domain the caller expects (None: not
    asked for, which the report says)."""

    presentation: bytes | dict[str, Any]
    challenge: str | None
    domain: str | None


def _option(value: Any) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or not value or len(value) > MAX_OPTION_LENGTH:
        raise _input_error("api.bad_presentation_request")
    return value


def presentation_input(value: Any, body: bytes) -> PresentationInput | None:
    """The API body read as a presentation: a bare `VerifiablePresentation` (`body` as sent,
    read strictly again), or `{"verifiablePresentation": …, "challenge"?, "domain"?}` (or
    the VC-API form with `options`); None for anything else (a credential)."""
    if not isinstance(value, dict):
        return None
    if is_presentation(value):
        return PresentationInput(body, None, None)
    if "verifiablePresentation" not in value:
        return None
    if set(value) - {"verifiablePresentation", "challenge", "domain", "options"}:
        raise _input_error("api.bad_presentation_request")
    options = value.get("options", {})
    if not isinstance(options, dict) or set(options) - {"challenge", "domain"} or (
            options and ({"challenge", "domain"} & set(value))):
        raise _input_error("api.bad_presentation_request")
    presentation = value["verifiablePresentation"]
    if not isinstance(presentation, dict):
        raise _input_error("api.bad_presentation_request")
    return PresentationInput(presentation, _option(value.get("challenge", options.get("challenge"))),
                             _option(value.get("domain", options.get("domain"))))


def _verification_context(request: Request) -> VerificationContext:
    """The untrusted verification context of the verifier (own documents locally, anything
    else through the bounded fetcher, never loopback)."""
    service = service_of(request)
    fetcher = remote_fetcher(request)
    context: VerificationContext = verification_context_for(service, untrusted=True,
                                                            allow_loopback=False)
    context.fetch_document = lambda url: fetcher.get_json(
        url, accept="application/ld+json, application/json")
    return context


def _verify_input(submission: PresentationInput, context: VerificationContext
                  ) -> PresentationReport:
    with LIVE_VERIFICATIONS.slot():
        return verify_presentation(submission.presentation, challenge=submission.challenge,
                                   domain=submission.domain, context=context)


async def run_presentation_verification(request: Request,
                                        submission: PresentationInput) -> PresentationReport:
    """Blocking work in the threadpool, within the live verification slots."""
    return await run_in_threadpool(_verify_input, submission, _verification_context(request))


# --- the exchange (wallets) -----------------------------------------------------------------------

def _requests(service: IssuerService) -> PresentationRequests:
    return PresentationRequests(service.database, domain=_domain(service.settings.base_url))


def _domain(base_url: str) -> str:
    """This verifier's domain, as a wallet puts it in its proof: the host (and port) of the
    service's address."""
    return urlsplit(base_url).netloc


def exchange_url(base_url: str, token: str) -> str:
    return f"{base_url}{EXCHANGE_PATH}{token}"


def interaction_url(base_url: str, token: str) -> str:
    """VC-API / VCALM interaction URL: the exchange address with `iuv=1`."""
    return f"{exchange_url(base_url, token)}?iuv=1"


def lcw_url(base_url: str, token: str) -> str:
    """The Learner Credential Wallet's invitation (its universal link)."""
    request = {"credentialRequestOrigin": base_url,
               "protocols": {"vcapi": exchange_url(base_url, token)}}
    return f"{LCW_REQUEST_URL}?request={quote(json.dumps(request, separators=(',', ':')), safe='')}"


def _wants_json(request: Request) -> bool:
    accept = request.headers.get("accept", "")
    return "json" in accept and "text/html" not in accept


async def exchange_interaction(request: Request) -> Response:
    """GET on the exchange: the protocols for a wallet, a short page for a person."""
    token = request.path_params["token"]
    service = service_of(request)
    base_url = service.settings.base_url
    try:
        await run_in_threadpool(_requests(service).for_exchange, token)
    except PresentationRequestError as error:
        if _wants_json(request):
            return _json_error(error.code, error.message_fr, error.message_en, error.status)
        return _error_page(request, error, error.status)
    if _wants_json(request):
        return JSONResponse({"protocols": {"vcapi": exchange_url(base_url, token)}},
                            headers={"cache-control": "no-store"})
    return render(request, "presentation_exchange.html",
                  {"lcw_url": lcw_url(base_url, token)},
                  headers={"cache-control": "no-store", "x-robots-tag": "noindex"})


async def exchange_submit(request: Request) -> Response:
    """POST on the exchange: `{}` → the request; `{"verifiablePresentation": …}` → verified."""
    token = request.path_params["token"]
    service = service_of(request)
    try:
        check_rate_limit(request)
        if media_type_of(request) not in JSON_TYPES:
            raise _input_error("exchange.not_json", status=415)
        body = await read_limited_body(request, MAX_INPUT_BYTES)
        try:
            value = json.loads(body) if body.strip() else {}
        except (ValueError, RecursionError):
            raise _input_error("exchange.bad_request") from None
        if not isinstance(value, dict) or set(value) - {"verifiablePresentation"}:
            raise _input_error("exchange.bad_request")
        requests = _requests(service)
        if "verifiablePresentation" not in value:
            await run_in_threadpool(requests.for_exchange, token)
            return JSONResponse(verifiable_presentation_request(
                challenge=challenge_for(token), domain=requests.domain,
                exchange_url=exchange_url(service.settings.base_url, token)),
                headers={"cache-control": "no-store"})
        report = await run_in_threadpool(_answer, requests, token, value["verifiablePresentation"],
                                         _verification_context(request), client_origin(request))
    except VerifierInputError as error:
        return _json_error(error.code, error.message_fr, error.message_en, error.status,
                           error.headers)
    except PresentationRequestError as error:
        return _json_error(error.code, error.message_fr, error.message_en, error.status)
    if report.verdict == "invalid":
        refusal = _first_refusal(report)
        return _json_error(refusal[0], refusal[1], refusal[2], 400)
    return JSONResponse({}, headers={"cache-control": "no-store"})


def _answer(requests: PresentationRequests, token: str, presentation: Any,
            context: VerificationContext, origin: str) -> PresentationReport:
    with LIVE_VERIFICATIONS.slot():
        return requests.answer(token, presentation, context=context, origin=origin)


def _first_refusal(report: PresentationReport) -> tuple[str, str, str]:
    """Why a presentation was not accepted: the holder's proof first, then the credentials."""
    if not report.holder.ok:
        return report.holder.code, report.holder.message_fr, report.holder.message_en
    for item in report.credentials:
        if item.holder_binding.outcome == "failed":
            check = item.holder_binding
            return check.code, check.message_fr, check.message_en
        if item.report.verdict == "invalid":
            failed = next(check for check in item.report.checks if check.outcome == "failed")
            return failed.code, failed.message_fr, failed.message_en
    return ("presentation.invalid", "La présentation n'est pas valide.",
            "The presentation is not valid.")


# --- the employer's pages -------------------------------------------------------------------------

async def request_presentation(request: Request) -> Response:
    """POST /verifier/presentations: a new request, then its page."""
    try:
        if is_cross_site(request):
            raise VerifierInputError.of("verify.cross_site", status=403)
        check_rate_limit(request)
    except VerifierInputError as error:
        return _error_page(request, error, error.status, headers=error.headers)
    service = service_of(request)
    created = await run_in_threadpool(_requests(service).create, origin=client_origin(request))
    page = f"{PAGE_PATH}{created.exchange_token}"
    response = RedirectResponse(page, status_code=303)
    response.set_cookie(VIEWER_COOKIE, created.viewer_token,
                        max_age=int(RESULT_LIFETIME.total_seconds()), path=page, httponly=True,
                        samesite="lax", secure=request.url.scheme == "https")
    return response


def _qr_data_uri(data: str, title: str) -> str:
    return "data:image/svg+xml;base64," + base64.b64encode(qr_svg(data, title=title)).decode()


def _claims_for_display(claims: dict[str, Any] | None) -> dict[str, Any] | None:
    """A report's `claims` (JSON) in the shape `_claims.html` reads: dates as datetimes, the
    status flags at the top."""
    if claims is None:
        return None
    shown = dict(claims)
    for key in ("issued", "valid_from", "valid_until", "activity_start", "activity_end"):
        value = shown.get(key)
        shown[key] = datetime.fromisoformat(value) if isinstance(value, str) else None
    shown.update(shown.get("status") or {})
    return shown


def _credential_display(item: dict[str, Any], base_url: str, locale: str) -> dict[str, Any]:
    report = item["report"]
    claims = _claims_for_display(report.get("claims"))
    image = image_src(SimpleNamespace(verified=bool(claims and claims.get("verified")),  # type: ignore[arg-type]
                                      image_url=(claims or {}).get("image")), base_url)
    language = "en" if locale.startswith("en") else "fr"
    binding = item["holder_binding"]
    return {"verdict": report["verdict"], "summary": report["summary"][language],
            "claims": claims, "image_src": image, "holder_bound": item["holder_bound"],
            "binding": {"outcome": binding["outcome"], "message": binding["message"][language]},
            "checks": [{"name": check["name"], "outcome": check["outcome"],
                        "message": check["message"][language]} for check in report["checks"]]}


async def presentation_page(request: Request) -> Response:
    """GET /verifier/presentations/{token}: waiting (QR code), expired, or the answer."""
    token = request.path_params["token"]
    service = service_of(request)
    base_url = service.settings.base_url
    locale = request_locale(request)
    viewer = request.cookies.get(VIEWER_COOKIE)
    view = await run_in_threadpool(_requests(service).for_viewer, token, viewer)
    headers = {"cache-control": "no-store", "x-robots-tag": "noindex",
               "referrer-policy": "no-referrer"}
    if view is None:
        return render(request, "presentation_request.html", {"state": "unknown"},
                      status_code=404, headers=headers)
    now = datetime.now(UTC)
    context: dict[str, Any] = {"state": view.state, "expires_at": view.expires_at,
                               "minutes": minutes_left(view, now)}
    if view.expired(now):
        context["state"] = "expired"
    elif view.state == "pending":
        gettext = translations(locale).gettext
        link = lcw_url(base_url, token)
        context.update(
            lcw_url=link, interaction_url=interaction_url(base_url, token),
            qr_src=_qr_data_uri(link, gettext("QR code to scan with the wallet app")))
    elif view.state == "completed" and view.result is None:
        context["state"] = "failed"
    elif view.state == "completed" and view.result is not None:
        result = view.result
        language = "en" if locale.startswith("en") else "fr"
        context.update(
            verdict=result["verdict"], summary=result["summary"][language],
            holder=result["holder"], holder_ok=result["holder_proof"]["ok"],
            holder_message=result["holder_proof"]["message"][language],
            holder_checks=[{"name": check["name"], "outcome": check["outcome"],
                            "message": check["message"][language]}
                           for check in result["checks"]],
            credentials=[_credential_display(item, base_url, locale)
                         for item in result["credentials"]])
    return render(request, "presentation_request.html", context, headers=headers)


def minutes_left(view: PresentationRequestView, now: datetime) -> int:
    """Whole minutes left for the wallet to answer (0 once expired)."""
    return max(0, math.ceil((view.expires_at - now).total_seconds() / 60))


def _error_page(request: Request, error: Any, status: int,
                headers: dict[str, str] | None = None) -> Response:
    return render(request, "presentation_request.html",
                  {"state": "error", "error_message": error.message(request_locale(request))},
                  status_code=status, headers={"cache-control": "no-store", **(headers or {})})


def routes() -> list[BaseRoute]:
    """This module's part of the route table (`issuer.web.app`)."""
    return [
        Route("/verifier/presentations", request_presentation, methods=["POST"],
              name="presentation_request_create"),
        Route(PAGE_PATH + "{token}", presentation_page, methods=["GET"],
              name="presentation_request"),
        Route(EXCHANGE_PATH + "{token}", exchange_interaction, methods=["GET"],
              name="presentation_exchange_interaction"),
        Route(EXCHANGE_PATH + "{token}", exchange_submit, methods=["POST"],
              name="presentation_exchange"),
    ]
