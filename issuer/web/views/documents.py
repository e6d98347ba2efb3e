"""Published documents: the DID document, the issuer profile, achievements, status lists,
the JSON-LD contexts the credentials use, badge artwork. Each with its media type and cache
headers (issue #3 item 2)."""

from __future__ import annotations

import json
from typing import Any

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from issuer.errors import NotFound
from issuer.issuance.logo import FAVICON_MEDIA_TYPE, favicon_ico
from issuer.issuance.publishing import (
    DID_CACHE,
    DOCUMENT_CACHE,
    IMMUTABLE_CACHE,
    JSON_LD,
    STATUS_CACHE,
)
from issuer.openbadges import contexts
from issuer.openbadges.badge_definitions import BadgeDefinition, CatalogueError
from issuer.openbadges.credential import CREDENTIAL_CONTEXT
from issuer.web.deps import service_of
from issuer.web.locale import request_locale
from issuer.web.templating import render
from issuer.web.views.credentials import markdown_to_html

DID_JSON = "application/did+ld+json"
# Media types and cache lifetimes: the same table as the static publication (`issuer publish`
# writes them into the host's configuration), so the service and a static host agree.


def json_response(document: Any, *, media_type: str = JSON_LD, cache: str = DOCUMENT_CACHE,
                  status_code: int = 200) -> Response:
    body = json.dumps(document, ensure_ascii=False, indent=2).encode("utf-8")
    return Response(body, status_code=status_code, media_type=media_type,
                    headers={"cache-control": cache, "access-control-allow-origin": "*"})


def wants_html(request: Request) -> bool:
    """Content negotiation: browsers ask for text/html first; verifiers and scripts for JSON."""
    accept = request.headers.get("accept", "")
    if not accept or accept.strip() == "*/*":
        return False
    html = accept.find("text/html")
    json_position = min((i for i in (accept.find("json"),) if i >= 0), default=-1)
    return html >= 0 and (json_position < 0 or html < json_position)


async def did_document(request: Request) -> Response:
    service = service_of(request)
    if service.settings.did_method != "web":
        raise HTTPException(404, "did:web is not used by this issuer")
    # did:web §3.2: application/did+ld+json; resolvers also accept it as plain JSON.
    return json_response(service.did_document(), media_type="application/json", cache=DID_CACHE)


async def issuer_profile(request: Request) -> Response:
    service = service_of(request)
    profile = {"@context": list(CREDENTIAL_CONTEXT), **service.profile.to_json()}
    if wants_html(request):
        return render(request, "issuer.html", {"profile": profile, "did": service.issuer_did})
    return json_response(profile)


async def achievement(request: Request) -> Response:
    service = service_of(request)
    slug = request.path_params["slug"]
    number = request.path_params.get("number")
    try:
        badge = service.catalogue.badge(slug)
        event = badge.event(number) if number is not None else None
    except CatalogueError:
        raise HTTPException(404, "unknown achievement") from None
    if badge.family == "event" and event is None:
        if wants_html(request):
            return render(request, "achievement.html", {**_texts(badge, request), "badge": badge,
                                                        "event": None, "document": None})
        raise HTTPException(404, "an event badge has one achievement per edition")
    from issuer.openbadges.credential import build_achievement
    document = {"@context": list(CREDENTIAL_CONTEXT),
                **build_achievement(badge, base_url=service.settings.base_url,
                                    issuer=service.profile, event=event)}
    if wants_html(request):
        return render(request, "achievement.html", {**_texts(badge, request), "badge": badge,
                                                    "event": event, "document": document})
    return json_response(document)


def _texts(badge: BadgeDefinition, request: Request) -> dict[str, Any]:
    """The badge's description and criteria as HTML: they are Markdown in the catalogue (lists,
    emphasis), rendered as on the badge page (issue 13 item 1)."""
    locale = request_locale(request)
    return {"description_html": markdown_to_html(badge.description.get(locale)),
            "criteria_html": markdown_to_html(badge.criteria.get(locale))}


async def event_evidence(request: Request) -> Response:
    """GET /events/<family>/<n>: the `id` an event badge's evidence carries
    (issuer.openbadges.credential.event_evidence) resolves to the public page of that edition
    (issue 13 item 2)."""
    slug = request.path_params["slug"]
    number = request.path_params["number"]
    try:
        service_of(request).catalogue.badge(slug).event(number)
    except CatalogueError:
        raise HTTPException(404, "unknown edition") from None
    return RedirectResponse(f"/achievements/{slug}/{number}", status_code=303)


async def status_list(request: Request) -> Response:
    service = service_of(request)
    purpose = request.path_params["purpose"]
    if purpose not in ("revocation", "suspension"):
        raise HTTPException(404, "unknown status purpose")
    try:
        document = service.cached_status_list_credential(request.path_params["list_id"], purpose)
    except NotFound:
        raise HTTPException(404, "unknown status list") from None
    return json_response(document, cache=STATUS_CACHE)


async def context(request: Request) -> Response:
    name = request.path_params["name"]
    for pinned in contexts.PINNED.values():
        if pinned.filename == name:
            return Response(contexts.context_bytes(pinned.url), media_type=JSON_LD,
                            headers={"cache-control": IMMUTABLE_CACHE,
                                     "access-control-allow-origin": "*"})
    raise HTTPException(404, "unknown context")


async def badge_image(request: Request) -> Response:
    service = service_of(request)
    filename: str = request.path_params["filename"]
    slug, _, kind = filename.rpartition(".")
    if kind not in ("png", "svg"):
        raise HTTPException(404, "unknown image")
    try:
        badge = service.catalogue.badge(slug)
    except CatalogueError:
        raise HTTPException(404, "unknown badge") from None
    media = "image/png" if kind == "png" else "image/svg+xml"
    return Response(service.catalogue.image_path(badge, kind).read_bytes(), media_type=media,  # type: ignore[arg-type]
                    headers={"cache-control": DOCUMENT_CACHE})


# -- the City's logo (issuer.issuance.logo): header, favicon, the Profile's image ----------------
async def logo_png(request: Request) -> Response:
    return Response(service_of(request).logo.png, media_type="image/png",
                    headers={"cache-control": DOCUMENT_CACHE, "access-control-allow-origin": "*"})


async def logo_svg(request: Request) -> Response:
    logo = service_of(request).logo
    if logo.svg is None:
        raise HTTPException(404, "the logo is a PNG: /logo.png")
    return Response(logo.svg, media_type="image/svg+xml",
                    headers={"cache-control": DOCUMENT_CACHE, "access-control-allow-origin": "*"})


async def favicon(request: Request) -> Response:
    return Response(favicon_ico(service_of(request).logo.png), media_type=FAVICON_MEDIA_TYPE,
                    headers={"cache-control": DOCUMENT_CACHE})
