"""The published skills catalogue (issue #5, item 3): `/competences` (HTML, French first),
each skill at its stable address (HTML, or JSON-LD by content negotiation), a skill as it was
in version n, and the whole catalogue as JSON-LD and as a CASE 1.1 package.

Handlers are plain `def` (database reads run in the threadpool). A retired skill keeps
answering at its address, marked retired (issue #5, item 2). Cache lifetimes are the static
publication's (issuer.network.skills.publishing): short for the catalogue, which the
coordinator edits; long for a version, which never changes.
"""

from __future__ import annotations

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from issuer.network.skills import jsonld, uris
from issuer.network.skills.case import build_case_package
from issuer.network.skills.catalogue import SkillCatalogue, SkillNotFound
from issuer.network.skills.publishing import CATALOGUE_CACHE, VERSION_CACHE
from issuer.network.skills.service import catalogue_version, current_catalogue
from issuer.web.deps import service_of
from issuer.web.templating import render
from issuer.web.views.documents import json_response, wants_html


def catalogue_page(request: Request) -> Response:
    service = service_of(request)
    catalogue = current_catalogue(service)
    return render(request, "competences.html", {
        "catalogue": catalogue,
        "retired": [s for s in catalogue.skills if s.retired],
        "jsonld_url": uris.catalogue_jsonld_uri(service.settings.base_url),
        "case_url": uris.case_package_uri(service.settings.base_url),
    })


def skill_page(request: Request) -> Response:
    service = service_of(request)
    catalogue = current_catalogue(service)
    return _skill_response(request, catalogue, request.path_params["code"], versioned=False)


def skill_version_page(request: Request) -> Response:
    service = service_of(request)
    number = request.path_params["number"]
    try:
        catalogue = catalogue_version(service, number)
    except SkillNotFound:
        raise HTTPException(404, "unknown catalogue version") from None
    return _skill_response(request, catalogue, request.path_params["code"], versioned=True)


def catalogue_jsonld(request: Request) -> Response:
    service = service_of(request)
    document = jsonld.catalogue_document(current_catalogue(service), service.settings.base_url)
    return json_response(document, cache=CATALOGUE_CACHE)


def case_package(request: Request) -> Response:
    service = service_of(request)
    package = build_case_package(current_catalogue(service), service.settings.base_url)
    response = json_response(package, media_type="application/json", cache=CATALOGUE_CACHE)
    response.headers["content-disposition"] = 'inline; filename="competences-case.json"'
    return response


def _skill_response(request: Request, catalogue: SkillCatalogue, code: str, *,
                    versioned: bool) -> Response:
    try:
        skill = catalogue.skill(code)
    except SkillNotFound:
        raise HTTPException(404, "unknown skill") from None
    base_url = service_of(request).settings.base_url
    cache = VERSION_CACHE if versioned else CATALOGUE_CACHE
    if not wants_html(request):
        document = jsonld.skill_document(catalogue, skill, base_url, versioned=versioned)
        response = json_response(document, cache=cache)
        response.headers["vary"] = "Accept"  # the same address serves the HTML page
        return response
    response = render(request, "competence.html", {
        "catalogue": catalogue, "skill": skill,
        "domain": catalogue.domain(skill.domain_code),
        "levels": catalogue.levels_of(skill), "versioned": versioned,
        "current_url": uris.skill_uri(base_url, skill.code),
        "version_url": uris.skill_version_uri(base_url, catalogue.version, skill.code),
    })
    # The current page changes as soon as the coordinator edits or retires the skill: a
    # browser or proxy must not show the old text (a version's page never changes).
    response.headers["cache-control"] = VERSION_CACHE if versioned else "no-cache"
    response.headers["vary"] = "Accept, Accept-Language, Cookie"
    response.headers["link"] = (
        f'<{uris.skill_uri(base_url, skill.code)}>; rel="alternate"; '
        f'type="{jsonld.JSON_LD_MEDIA_TYPE}"')
    return response
