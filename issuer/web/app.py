"""The application factory and the one route table (every URL is findable here)."""

from __future__ import annotations

import logging
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Match, Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.types import Scope

from issuer.issuance.logo import FAVICON_PATH, LOGO_PNG_PATH, LOGO_SVG_PATH
from issuer.issuance.readiness import DATABASE_UNAVAILABLE
from issuer.issuance.service import IssuerService
from issuer.network import skill_badges  # noqa: F401  (adds the skill badges to every catalogue)
from issuer.network.mediators import SPACE_PATH
from issuer.one_time_links import loggable_path
from issuer.settings import Settings
from issuer.web import access_log, admin, views
from issuer.web.admin.csrf import CrossSiteRequestGuard
from issuer.web.body_limits import BodyLimit, BodyLimits, json_refusal, too_large_messages
from issuer.web.deps import (
    LoginRequired,
    MediatorSignInRequired,
    PermissionDenied,
    current_user,
    page_routes,
    session_token,
)
from issuer.web.locale import request_locale
from issuer.web.page_cache import PageCache
from issuer.web.security import SecurityHeaders
from issuer.web.templating import render
from issuer.web.verify_fast_path import OwnCredentialFastPath
from issuer.web.views import endorsements as endorsement_pages
from issuer.web.views import health
from issuer.web.views import mediators as mediator_pages
from issuer.web.views import oid4vci as oid4vci_endpoints
from issuer.web.views import presentations as presentation_pages
from issuer.web.views import skills as skill_pages
from issuer.web.views import wallet as wallet_pages
from issuer.web.views.api_docs import api_docs as api_docs_page

logger = logging.getLogger(__name__)
STATIC_DIR = Path(__file__).resolve().parent / "static"
MAX_NEXT_LENGTH = 2_000
"""Longest address the sign-in page is asked to return to (`suivant`)."""


def _routes() -> list[BaseRoute]:
    documents = views.documents
    credentials = views.credentials
    return [
        Route("/", views.pages.home, name="home"),
        # Probes for load balancers (docs/DEPLOYMENT.md, "Health checks"): never rate-limited.
        Route("/healthz", health.healthz, methods=["GET"], name="healthz"),
        Route("/readyz", health.readyz, methods=["GET"], name="readyz"),
        Route("/accessibilite", views.pages.accessibility, name="accessibility"),
        Route("/api/docs", api_docs_page, methods=["GET"], name="api_docs"),
        Route("/donnees-personnelles", views.pages.privacy, name="privacy"),
        Route("/.well-known/did.json", documents.did_document, name="did_document"),
        Route("/issuer", documents.issuer_profile, name="issuer_profile"),
        Route("/achievements/{slug}", documents.achievement, name="achievement"),
        Route("/achievements/{slug}/{number:dbint}", documents.achievement, name="achievement_edition"),
        Route("/events/{slug}/{number:dbint}", documents.event_evidence, name="event_evidence"),
        Route("/status/{list_id:dbint}/{purpose}", documents.status_list, name="status_list"),
        Route("/contexts/{name}", documents.context, name="context"),
        Route("/badges/{filename}", documents.badge_image, name="badge_image"),
        Route(LOGO_PNG_PATH, documents.logo_png, name="logo_png"),
        Route(LOGO_SVG_PATH, documents.logo_svg, name="logo_svg"),
        Route(FAVICON_PATH, documents.favicon, name="favicon"),
        Route("/verifier", views.verifier.verifier_form, methods=["GET"], name="verifier"),
        Route("/verifier", views.verifier.verifier_submit, methods=["POST"], name="verifier_submit"),
        Route("/verify", views.verifier.verifier_form, methods=["GET"], name="verify"),
        Route("/verify", views.verifier.verifier_submit, methods=["POST"], name="verify_submit"),
        *presentation_pages.routes(),
        Route("/credentials/{credential_id}", credentials.credential_page, name="credential"),
        Route("/credentials/{credential_id}", credentials.credential_holder_check,
              methods=["POST"], name="credential_holder_check"),
        Route("/credentials/{credential_id}/credential.json", credentials.credential_json,
              name="credential_json"),
        Route("/credentials/{credential_id}/credential.jwt", credentials.credential_jwt,
              name="credential_jwt"),
        Route("/credentials/{credential_id}/badge.png", credentials.baked_png, name="credential_png"),
        Route("/credentials/{credential_id}/badge.svg", credentials.baked_svg, name="credential_svg"),
        Route("/credentials/{credential_id}/preview.png", credentials.preview_png,
              name="credential_preview"),
        Route("/credentials/{credential_id}/qr.svg", credentials.qr_code, name="credential_qr"),
        Route("/credentials/{credential_id}/attestation.pdf", credentials.attestation_pdf,
              name="credential_attestation"),
        Route("/competences", skill_pages.catalogue_page, name="skills_catalogue"),
        Route("/competences/catalogue.jsonld", skill_pages.catalogue_jsonld,
              name="skills_catalogue_jsonld"),
        Route("/competences/case.json", skill_pages.case_package, name="skills_case_package"),
        Route("/competences/versions/{number:dbint}/{code}", skill_pages.skill_version_page,
              name="skill_version"),
        Route("/competences/{code}", skill_pages.skill_page, name="skill"),
        Route("/espace", mediator_pages.space, methods=["GET"], name="mediator_space"),
        Route("/espace/connexion", mediator_pages.request_link, methods=["POST"],
              name="mediator_request_link"),
        Route("/espace/lien/{token}", mediator_pages.link_form, methods=["GET"],
              name="mediator_link"),
        Route("/espace/lien/{token}", mediator_pages.link_submit, methods=["POST"],
              name="mediator_link_submit"),
        Route("/espace/deconnexion", mediator_pages.sign_out, methods=["POST"],
              name="mediator_sign_out"),
        Route("/espace/annuaire", mediator_pages.profile_submit, methods=["POST"],
              name="mediator_profile"),
        Route("/espace/annuaire/retrait", mediator_pages.leave_submit, methods=["POST"],
              name="mediator_leave"),
        Route("/espace/badges/{credential_id}/nom", mediator_pages.name_display_submit,
              methods=["POST"], name="holder_name_display"),
        Route("/annuaire", mediator_pages.directory, methods=["GET"], name="directory"),
        Route("/recommandations/{endorsement_id}", endorsement_pages.endorsement_page,
              name="endorsement"),
        Route("/recommandations/{endorsement_id}/credential.json",
              endorsement_pages.endorsement_json, name="endorsement_json"),
        Route("/recommandations/{endorsement_id}/credential.jwt",
              endorsement_pages.endorsement_jwt, name="endorsement_jwt"),
        Route("/espace/recommander/{credential_id}", endorsement_pages.endorse_form,
              methods=["GET"], name="mediator_endorse"),
        Route("/espace/recommander/{credential_id}", endorsement_pages.endorse_submit,
              methods=["POST"], name="mediator_endorse_submit"),
        Route("/espace/recommandations/{endorsement_id}/retrait",
              endorsement_pages.withdraw_submit, methods=["POST"], name="mediator_withdraw"),
        Route("/.well-known/openid-credential-issuer",
              oid4vci_endpoints.credential_issuer_metadata, methods=["GET"],
              name="oid4vci_issuer_metadata"),
        Route("/.well-known/oauth-authorization-server", oid4vci_endpoints.authorization_server,
              methods=["GET"], name="oid4vci_authorization_server"),
        Route("/oid4vci/offers/{token}", oid4vci_endpoints.credential_offer, methods=["GET"],
              name="oid4vci_offer"),
        Route("/oid4vci/token", oid4vci_endpoints.token, methods=["POST"], name="oid4vci_token"),
        Route("/oid4vci/nonce", oid4vci_endpoints.nonce, methods=["POST"], name="oid4vci_nonce"),
        Route("/oid4vci/credential", oid4vci_endpoints.credential, methods=["POST"],
              name="oid4vci_credential"),
        # Wallet delivery (issue #12): pages for the holder, the VC-API exchange for wallets.
        Route("/aide/portefeuille", wallet_pages.help_page, methods=["GET"], name="wallet_help"),
        Route("/credentials/{credential_id}/portefeuille", wallet_pages.request_holder_link,
              methods=["POST"], name="wallet_request_link"),
        Route("/portefeuille/lien/{token}", wallet_pages.holder_link_form, methods=["GET"],
              name="wallet_holder_link"),
        Route("/portefeuille/lien/{token}", wallet_pages.holder_link_submit, methods=["POST"],
              name="wallet_holder_link_submit"),
        Route("/portefeuille/interaction/{token}", wallet_pages.interaction, methods=["GET"],
              name="wallet_interaction"),
        Route("/portefeuille/echanges/{token}", wallet_pages.exchange, methods=["POST"],
              name="wallet_exchange"),
        Route("/portefeuille/echanges/{token}", wallet_pages.exchange_preflight,
              methods=["OPTIONS"], name="wallet_exchange_preflight"),
        Route("/portefeuille/{credential_id}", wallet_pages.wallet_page, methods=["GET"],
              name="wallet"),
        Route("/portefeuille/{credential_id}", wallet_pages.wallet_start, methods=["POST"],
              name="wallet_start"),
        *admin.admin_routes(),
        *admin.public_claim_routes(),
        Mount("/static", StaticFiles(directory=STATIC_DIR), name="static"),
    ]


def create_app(settings: Settings | None = None, service: IssuerService | None = None) -> FastAPI:
    settings = settings or Settings.load()
    service = service or IssuerService(settings)
    app = FastAPI(
        title="Badges numériques — Ville de Roubaix",
        description="Open Badges 3.0 issuer of the City of Roubaix: published documents and "
                    "verification of any Open Badges 3.0 credential.",
        version="0.1.0",
        # /api/docs is our own page (views/api_docs.py): Swagger UI's CDN script is refused.
        docs_url=None, redoc_url=None, openapi_url="/api/openapi.json",
    )
    app.state.service = service
    app.state.settings = settings
    app.state.page_cache = PageCache()  # rendered public pages (issuer.web.page_cache)
    access_log.install()  # plain uvicorn's access line names no one-time token
    # The JSON API first: a request is matched against the table in order, and the ~150 page
    # routes before it cost `POST /api/v1/verify` a third of a millisecond of CPU (issue #14,
    # goal 1). No page route shares an address with the API (they are under /api/v1/).
    for router in views.api_routers():
        app.include_router(router)
    # Starlette routes made FastAPI ones, so handlers get their dependencies (web/deps.py).
    app.router.routes.extend(page_routes(_routes()))
    app.add_middleware(CrossSiteRequestGuard, base_url=settings.base_url)
    # Inside the body limits, the security headers and the request log: see its docstring.
    app.add_middleware(OwnCredentialFastPath)
    app.add_middleware(BodyLimits, signed_in=_signed_in, refusal=_too_large)
    app.add_middleware(SecurityHeaders)
    # Last added, so outermost: the request id and the duration cover every other middleware.
    app.add_middleware(access_log.RequestLog, log_client_address=settings.log_client_address)
    app.add_exception_handler(StarletteHTTPException, _http_error)  # type: ignore[arg-type]
    app.add_exception_handler(RequestValidationError, _validation_error)  # type: ignore[arg-type]
    app.add_exception_handler(LoginRequired, _login_required)  # type: ignore[arg-type]
    app.add_exception_handler(PermissionDenied, _permission_denied)  # type: ignore[arg-type]
    app.add_exception_handler(MediatorSignInRequired,
                              _mediator_sign_in_required)  # type: ignore[arg-type]
    for unavailable in DATABASE_UNAVAILABLE:
        app.add_exception_handler(unavailable, _database_unavailable)
    app.add_exception_handler(Exception, _unexpected_error)
    return app


def _wants_json(request: Request) -> bool:
    accept = request.headers.get("accept", "")
    # Wallet apps (OpenID4VCI, a VC-API exchange) read JSON whatever they send as Accept (LCW
    # sends none).
    return request.url.path.startswith(("/api/", "/oid4vci/", "/portefeuille/echanges/")) or (
        "json" in accept and "text/html" not in accept)


_HTTP_MESSAGES = {
    400: ("Requête invalide.", "Bad request."),
    403: ("Accès refusé.", "Forbidden."),
    404: ("Adresse introuvable.", "Not found."),
    405: ("Méthode non permise à cette adresse (voir l'en-tête Allow).",
          "Method not allowed at this address (see the Allow header)."),
}
_METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")


def allowed_methods(routes: list[BaseRoute], scope: Scope) -> list[str]:
    """The methods some route of the table accepts at this request's address."""
    return [method for method in _METHODS
            if any(route.matches({**scope, "method": method})[0] is Match.FULL
                   for route in routes)]


async def _signed_in(scope: Scope) -> bool:
    """A valid coordinator session, looked up before the body is read (and kept in the
    request state, so the handler's `Coordinator` dependency does not look it up again)."""
    request = Request(scope)
    if not session_token(request):
        return False
    return await run_in_threadpool(current_user, request) is not None


async def _too_large(scope: Scope, limit: BodyLimit, cap: int) -> Response:
    request = Request(scope)
    if _wants_json(request):
        return JSONResponse(json_refusal(limit, cap), status_code=413)
    message_fr, message_en = too_large_messages(cap)
    message = message_en if request_locale(request) == "en" else message_fr
    return render(request, "errors/too_large.html", {"status": 413, "message": message},
                  status_code=413)


async def _http_error(request: Request, error: StarletteHTTPException) -> Response:
    # The exception's headers go out with the answer: `Allow` on a 405 (RFC 9110 §15.5.6),
    # listing every method of the address (Starlette names only the first route's).
    headers = {name.lower(): value for name, value in (error.headers or {}).items()}
    if error.status_code == 405 and (allowed := allowed_methods(request.app.routes,
                                                                request.scope)):
        headers["allow"] = ", ".join(allowed)
    if _wants_json(request):
        message_fr, message_en = _HTTP_MESSAGES.get(error.status_code,
                                                    (str(error.detail), str(error.detail)))
        # The shape of every API error (ErrorOut in the OpenAPI document), plus `message`.
        return JSONResponse({"error": {"code": f"http.{error.status_code}",
                                       "message": str(error.detail),
                                       "message_fr": message_fr, "message_en": message_en}},
                            status_code=error.status_code, headers=headers)
    template = "errors/404.html" if error.status_code == 404 else "errors/error.html"
    return render(request, template, {"status": error.status_code, "detail": error.detail},
                  status_code=error.status_code, headers=headers)


async def _validation_error(request: Request, error: RequestValidationError) -> Response:
    return JSONResponse({"error": {"code": "request.invalid",
                                   "message": "Requête invalide / invalid request",
                                   "details": [
                                       {"loc": [str(p) for p in item.get("loc", ())],
                                        "msg": str(item.get("msg", ""))}
                                       for item in error.errors()]}},
                        status_code=422)


async def _login_required(request: Request, error: LoginRequired) -> Response:
    from urllib.parse import quote

    from starlette.responses import RedirectResponse

    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    if len(target) > MAX_NEXT_LENGTH:  # no address that long is ours to come back to
        return RedirectResponse("/admin/connexion", status_code=303)
    return RedirectResponse(f"/admin/connexion?suivant={quote(target, safe='')}", status_code=303)


async def _permission_denied(request: Request, error: PermissionDenied) -> Response:
    return render(request, "errors/error.html", {"status": 403, "detail": None}, status_code=403)


async def _mediator_sign_in_required(request: Request,
                                     error: MediatorSignInRequired) -> Response:
    # Mon espace shows the sign-in form to a visitor without a session.
    return RedirectResponse(SPACE_PATH, status_code=303)


#: Seconds a client is asked to wait when the database is unreachable (Retry-After).
DATABASE_RETRY_AFTER = 5


async def _database_unavailable(request: Request, error: Exception) -> Response:
    # The database went away under this request: 503 (a load balancer may retry elsewhere),
    # never 500; the pool has dropped the dead connections, so a retry gets new ones.
    logger.warning("database unavailable on %s %s: %s", request.method,
                   loggable_path(request.url.path), type(error).__name__)
    headers = {"retry-after": str(DATABASE_RETRY_AFTER)}
    if _wants_json(request):
        return JSONResponse({"error": {"code": "server.database_unavailable",
                                       "message": "Base de données momentanément indisponible, "
                                                  "réessayez dans quelques secondes / Database "
                                                  "momentarily unavailable, retry in a few "
                                                  "seconds"}},
                            status_code=503, headers=headers)
    response = render(request, "errors/error.html", {"status": 503, "detail": None},
                      status_code=503)
    response.headers.update(headers)
    return response


async def _unexpected_error(request: Request, error: Exception) -> Response:
    # Never a traceback to a stranger; the log keeps it for the operator.
    logger.error("unexpected error on %s %s", request.method, loggable_path(request.url.path),
                 exc_info=error)
    if _wants_json(request):
        return JSONResponse({"error": {"code": "server.error",
                                       "message": "Erreur interne / internal error"}},
                            status_code=500)
    return render(request, "errors/error.html", {"status": 500, "detail": None}, status_code=500)
