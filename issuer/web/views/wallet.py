"""Wallet pages and the VC-API exchange (issue #12, items 1 and 2).

For people (French first, pages):
- `GET /portefeuille/{credential_id}`: "Ajouter à mon portefeuille" for the holder only, i.e.
  the signed-in mediator who received the badge ("Mon espace") or a browser that opened the
  holder link sent to the badge's address. Anyone else reads how to prove it is their badge.
- `POST /portefeuille/{credential_id}`: a fresh exchange; the page shows the deep link (on a
  phone, it opens the wallet app) and the QR code (on a computer, to scan with the phone).
- `GET|POST /portefeuille/lien/{token}`: the one-time holder link; only the POST spends it.
- `POST /credentials/{credential_id}/portefeuille`: "C'est mon badge": the holder link goes
  to the badge's own address; the answer is the same whatever happens (never the address).
- `GET /aide/portefeuille`: the help page.

For wallets (JSON, no cookie, no CSRF check: the token in the path is the key):
- `GET /portefeuille/interaction/{token}?iuv=1`: `{"protocols": {"vcapi": …}}`.
- `POST /portefeuille/echanges/{token}`: the exchange (issuer.wallet.exchanges).

The rules live in `issuer.wallet`; these handlers read the request, call it, and answer.
Refusals are structured JSON for wallets and French-first pages for people.
"""

from __future__ import annotations

import re
from typing import Any

from starlette.background import BackgroundTask
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response

from issuer.errors import NotFound
from issuer.i18n import translations
from issuer.mail import MailError, deliver_pending, wallet_link
from issuer.mail.wallet_code import queue_wallet_code
from issuer.openbadges.json_depth import loads_bounded
from issuer.presentation.attestation import data_uri
from issuer.presentation.qr import qr_svg
from issuer.wallet import errors, exchanges, holder_links
from issuer.wallet.oid4vci import create_offer
from issuer.wallet.oid4vci_errors import Oid4vciError
from issuer.wallet.presentation_check import check_did_auth, issue_ldp_copy
from issuer.web.admin.auth import client_origin
from issuer.web.body_limits import form_limits
from issuer.web.deps import clock_of, service_of
from issuer.web.locale import request_locale
from issuer.web.rate_limit import app_limiter, client_key, retry_after_header
from issuer.web.templating import render
from issuer.web.views.credentials import badge_facts, valid_credential_id
from issuer.web.views.holder import access_cookie, holder_of, secure
from issuer.web.views.verifier import VerifierInputError, read_limited_body

# `same-origin`, not `no-referrer`: these pages hold forms posting back here, and with
# `no-referrer` browsers send `Origin: null`, which the CSRF guard refuses; the wallet links
# (lcw.app, dccrequest://) still get no referrer.
PRIVATE_HEADERS = {"cache-control": "no-store", "x-robots-tag": "noindex, nofollow",
                   "referrer-policy": "same-origin"}
WALLET_CORS = {"access-control-allow-origin": "*", "access-control-allow-methods": "POST",
               "access-control-allow-headers": "content-type", "access-control-max-age": "600",
               "cache-control": "no-store"}
EXCHANGE_BODY_BYTES = 64 * 1024
"""A DIDAuth presentation is about 2 KB; the body-limit table cuts off anything past this."""
# Phones and tablets: the deep link comes first, the QR code second (and the other way round
# on a computer). Both are always on the page: a guess only chooses the order.
_PHONE = re.compile(r"Android|iPhone|iPad|iPod|Mobile|Mobi", re.IGNORECASE)


def is_phone(user_agent: str) -> bool:
    return bool(_PHONE.search(user_agent))


def _page(request: Request, template: str, context: dict[str, Any], *,
          status_code: int = 200, headers: dict[str, str] | None = None) -> Response:
    return render(request, template, context, status_code=status_code,
                  headers={**PRIVATE_HEADERS, **(headers or {})})


def _credential_id(request: Request) -> str | None:
    return valid_credential_id(request.path_params["credential_id"])


def _badge_name(request: Request, credential_id: str) -> str | None:
    service = service_of(request)
    try:
        issued = service.credential(credential_id)
    except NotFound:
        return None
    return badge_facts(service, issued, request_locale(request)).name


# --- the wallet page -------------------------------------------------------------------------

def wallet_page(request: Request) -> Response:
    """GET /portefeuille/{credential_id}."""
    credential_id = _credential_id(request)
    name = _badge_name(request, credential_id) if credential_id else None
    if credential_id is None or name is None:
        return _page(request, "wallet/wallet.html", {"badge_name": None, "holder": False},
                     status_code=404)
    unavailable = _unavailable(request, credential_id, name)
    if unavailable is not None:
        return unavailable
    holder = holder_of(request, credential_id) is not None
    return _page(request, "wallet/wallet.html",
                 {"badge_name": name, "credential_id": credential_id, "holder": holder,
                  "exchange": None, "oid4vci": None},
                 status_code=200 if holder else 403)


def _unavailable(request: Request, credential_id: str, name: str) -> Response | None:
    """The page saying a revoked or suspended badge cannot go to a wallet (anyone may read
    that much: the badge page says it too)."""
    if holder_links.badge_holder(service_of(request), credential_id) is not None:
        return None
    error = errors.badge_unavailable()
    return _page(request, "wallet/wallet.html",
                 {"badge_name": name, "credential_id": credential_id, "holder": False,
                  "unavailable": error.message(request_locale(request))},
                 status_code=error.status)


def wallet_start(request: Request) -> Response:
    """POST /portefeuille/{credential_id}: a fresh exchange and its invitations."""
    credential_id = _credential_id(request)
    name = _badge_name(request, credential_id) if credential_id else None
    if credential_id is None or name is None:
        return _page(request, "wallet/wallet.html", {"badge_name": None, "holder": False},
                     status_code=404)
    unavailable = _unavailable(request, credential_id, name)
    if unavailable is not None:
        return unavailable
    recipient_id = holder_of(request, credential_id)
    if recipient_id is None:
        return _page(request, "wallet/wallet.html",
                     {"badge_name": name, "credential_id": credential_id, "holder": False},
                     status_code=403)
    limited = _limited(request, "wallet_page_rate_limiter", limit=20)
    if limited is not None:
        return _page(request, "wallet/wallet.html",
                     {"badge_name": name, "credential_id": credential_id, "holder": True,
                      "exchange": None, "error": _too_many(request)},
                     status_code=429, headers={"retry-after": limited})
    service = service_of(request)
    try:
        new = exchanges.create_exchange(service, credential_id, recipient_id,
                                        origin=client_origin(request), now=clock_of(request)())
    except errors.WalletError as error:
        return _page(request, "wallet/wallet.html",
                     {"badge_name": name, "credential_id": credential_id, "holder": True,
                      "exchange": None, "error": error.message(request_locale(request))},
                     status_code=error.status)
    base_url = service.settings.base_url
    universal = exchanges.lcw_universal_link(base_url, new.token)
    gettext = translations(request_locale(request)).gettext
    exchange = {
        "universal_link": universal,
        "custom_link": exchanges.lcw_custom_scheme_link(base_url, new.token),
        "interaction_url": exchanges.interaction_url(base_url, new.token),
        "qr": data_uri(qr_svg(universal), "image/svg+xml"),
        "qr_alt": gettext("QR code to scan with your phone's wallet: it adds “%(name)s”.")
        % {"name": name},
        "minutes": exchanges.EXCHANGE_MINUTES,
    }
    phone = is_phone(request.headers.get("user-agent", ""))
    oid4vci, code_sent = _oid4vci_offer(request, credential_id, name, phone=phone)
    response = _page(request, "wallet/wallet.html",
                     {"badge_name": name, "credential_id": credential_id, "holder": True,
                      "exchange": exchange, "phone": phone, "oid4vci": oid4vci})
    if code_sent:
        response.background = BackgroundTask(deliver_pending, service)
    return response


def _oid4vci_offer(request: Request, credential_id: str, name: str, *,
                   phone: bool) -> tuple[dict[str, Any] | None, bool]:
    """The OpenID4VCI offer shown beside the LCW exchange (issuer.wallet.oid4vci): its
    `openid-credential-offer://` link and QR code, and whether a transaction code was mailed.
    A QR code on a computer's screen can be photographed by someone else in the room, so that
    offer asks for a code sent to the holder's address (issue #12 item 3); the link on the
    holder's own phone does not."""
    service = service_of(request)
    locale = request_locale(request)
    try:
        with service.database.session() as session:
            offer = create_offer(service, session, credential_id, tx_code=not phone,
                                 origin=client_origin(request), now=clock_of(request)())
            if offer.tx_code is not None:
                queue_wallet_code(service, session, offer, credential_id, locale=locale,
                                  origin=client_origin(request))
    except (Oid4vciError, MailError):
        return None, False  # the LCW exchange above still works
    gettext = translations(locale).gettext
    return {"link": offer.deep_link,
            "qr": data_uri(qr_svg(offer.deep_link), "image/svg+xml"),
            "qr_alt": gettext("QR code for other wallet apps (OpenID4VCI): it adds “%(name)s”.")
            % {"name": name},
            "code_sent": offer.tx_code is not None}, offer.tx_code is not None


# --- the holder link -------------------------------------------------------------------------

def holder_link_form(request: Request) -> Response:
    """GET /portefeuille/lien/{token}: a button that spends the link (a mail scanner opening
    the link must not use it up)."""
    valid = holder_links.holder_link_is_valid(service_of(request), request.path_params["token"],
                                              now=clock_of(request)())
    return _page(request, "wallet/link.html",
                 {"valid": valid, "error": None if valid else errors.holder_link_invalid(
                     holder_links.LINK_DAYS).message(request_locale(request))},
                 status_code=200 if valid else 404)


def holder_link_submit(request: Request) -> Response:
    """POST /portefeuille/lien/{token}: open a holder access, then the wallet page."""
    try:
        access, credential_id = holder_links.open_holder_link(
            service_of(request), request.path_params["token"], origin=client_origin(request),
            now=clock_of(request)())
    except errors.WalletError as error:
        return _page(request, "wallet/link.html",
                     {"valid": False, "error": error.message(request_locale(request))},
                     status_code=error.status)
    response = RedirectResponse(f"/portefeuille/{credential_id}", status_code=303)
    # Path "/": the `__Host-` prefix requires it, and the badge page reads it too.
    response.set_cookie(access_cookie(request), access, path="/", httponly=True,
                        secure=secure(request), samesite="lax")
    return response


# --- "C'est mon badge" -----------------------------------------------------------------------

async def request_holder_link(request: Request) -> Response:
    """POST /credentials/{credential_id}/portefeuille. The same answer for every badge that
    exists (its page already says so); the e-mail, if the badge can go to a wallet, is
    prepared and sent after the answer."""
    credential_id = _credential_id(request)
    # The form has no field; read (and drop) what was sent, within the route's cap.
    await request.form(**form_limits(request))
    return await run_in_threadpool(_holder_link_answer, request, credential_id)


def _holder_link_answer(request: Request, credential_id: str | None) -> Response:
    name = _badge_name(request, credential_id) if credential_id else None
    if credential_id is None or name is None:
        return _page(request, "wallet/link_sent.html", {"badge_name": None}, status_code=404)
    service = service_of(request)
    origin = client_origin(request)
    try:
        holder_links.record_link_request(service, credential_id, origin=origin,
                                         now=clock_of(request)())
    except errors.TooManyLinkRequests as error:
        return _page(request, "wallet/link_sent.html",
                     {"badge_name": name, "credential_id": credential_id,
                      "error": error.message(request_locale(request))},
                     status_code=429, headers={"retry-after": str(error.retry_after)})
    response = _page(request, "wallet/link_sent.html",
                     {"badge_name": name, "credential_id": credential_id, "error": None,
                      "link_days": holder_links.LINK_DAYS})
    response.background = BackgroundTask(
        wallet_link.send_holder_link, service, credential_id, locale=request_locale(request),
        origin=origin, now=clock_of(request)())
    return response


# --- for wallets -----------------------------------------------------------------------------

def _wallet_error(error: errors.WalletError, headers: dict[str, str] | None = None) -> Response:
    return JSONResponse(error.as_json(), status_code=error.status,
                        headers={**WALLET_CORS, **(headers or {})})


def _limited(request: Request, name: str, *, limit: int) -> str | None:
    """Retry-After when this client is past `limit` requests a minute on this door."""
    limiter = app_limiter(request, name, limit=limit, window=60)
    wait = limiter.hit(client_key(request))
    return None if wait is None else retry_after_header(wait)


def _too_many(request: Request) -> str:
    return translations(request_locale(request)).gettext(
        "Too many requests from this connection. Wait a minute, then try again.")


def interaction(request: Request) -> Response:
    """GET /portefeuille/interaction/{token}?iuv=1: the protocols a wallet may use (JSON), or,
    for a person whose camera opened it, a page saying to open it with the wallet."""
    token = request.path_params["token"]
    service = service_of(request)
    wants_json = "json" in request.headers.get("accept", "")
    try:
        exchanges.check_exchange(service, token, now=clock_of(request)())
    except errors.WalletError as error:
        if wants_json:
            return _wallet_error(error)
        return _page(request, "wallet/interaction.html",
                     {"error": error.message(request_locale(request))},
                     status_code=error.status)
    if wants_json:
        return JSONResponse({"protocols": exchanges.protocols(service.settings.base_url, token)},
                            headers=WALLET_CORS)
    return _page(request, "wallet/interaction.html", {"error": None})


def exchange_preflight(request: Request) -> Response:
    """OPTIONS on the exchange: browser-based wallets ask before posting JSON."""
    return Response(status_code=204, headers=WALLET_CORS)


async def exchange(request: Request) -> Response:
    """POST /portefeuille/echanges/{token}: `{}` → the presentation request;
    `{"verifiablePresentation": …}` → the holder-bound copy, in a presentation."""
    limited = _limited(request, "wallet_exchange_rate_limiter", limit=30)
    if limited is not None:
        return _wallet_error(errors.WalletError(
            "Trop de requêtes depuis cette connexion : réessayez dans une minute.",
            "Too many requests from this connection: try again in a minute.",
            code="wallet.too_many_requests", status=429), {"retry-after": limited})
    try:
        body = await read_limited_body(request, EXCHANGE_BODY_BYTES)
        document = loads_bounded(body) if body.strip() else {}
    except (VerifierInputError, ValueError, RecursionError):  # unreadable, too deep, too large
        return _wallet_error(errors.request_invalid())
    return await run_in_threadpool(_exchange_answer, request, document)


def _exchange_answer(request: Request, document: Any) -> Response:
    service = service_of(request)
    token = request.path_params["token"]
    now = clock_of(request)()
    origin = client_origin(request)
    if not isinstance(document, dict):
        return _wallet_error(errors.request_invalid())
    try:
        if "verifiablePresentation" not in document:
            answer = exchanges.start_exchange(service, token, origin=origin, now=now)
        else:
            answer = exchanges.finish_exchange(
                service, token, document["verifiablePresentation"], check=check_did_auth,
                issue_copy=issue_ldp_copy, origin=origin, now=now)
    except errors.WalletError as error:
        return _wallet_error(error)
    return JSONResponse(answer, headers=WALLET_CORS)


# --- help ------------------------------------------------------------------------------------

def help_page(request: Request) -> Response:
    """GET /aide/portefeuille: "Mettre mon badge dans un portefeuille numérique"."""
    return render(request, "wallet/help.html",
                  {"code_minutes": exchanges.EXCHANGE_MINUTES,
                   "link_days": holder_links.LINK_DAYS},
                  headers={"cache-control": "public, max-age=3600"})
