"""The skills catalogue in the static publication (issue 14 item 4): a skill badge's alignment
names `/competences/versions/<n>/<code>`, a skill's JSON-LD names `/competences/<code>` and
its domain `/competences#domaine-<code>`; `issuer publish` writes each at that path
(issuer.issuance.publishing; `issuer.network.skill_badges` registers it with
`register_publication_extension`: issuance cannot import this package, docs/ARCHITECTURE.md).

A static host cannot negotiate content, so each skill's address serves its JSON-LD (what a
wallet or a verifier asks for); the human page is the running service's. `/competences`
itself is a folder on a static host: its `index.html` lists the domains, with the anchors the
domain addresses name, and links to each skill and to the catalogue's files.
"""

from __future__ import annotations

import html
from collections.abc import Iterator
from typing import TYPE_CHECKING
from urllib.parse import unquote

from issuer.issuance.publishing import (
    HTML,
    JSON_LD,
    PublishedDocument,
    json_body,
    relative_path,
)
from issuer.network.skills import jsonld, uris
from issuer.network.skills.case import build_case_package
from issuer.network.skills.catalogue import SkillCatalogue
from issuer.network.skills.service import catalogue_version, current_catalogue, version_history

if TYPE_CHECKING:
    from issuer.issuance.service import IssuerService

# As the running service sends them (issuer.web.views.skills): the catalogue changes when
# the coordinator edits it; a version never changes.
CATALOGUE_CACHE = "public, max-age=300"
VERSION_CACHE = "public, max-age=86400"


def _path(base_url: str, url: str) -> str:
    path = relative_path(base_url, url)
    assert path is not None  # every address of uris.py is under the base URL
    return unquote(path)


def skills_documents(service: IssuerService) -> Iterator[PublishedDocument]:
    base = service.settings.base_url
    current = current_catalogue(service)
    yield PublishedDocument(_path(base, uris.catalogue_jsonld_uri(base)), "skills", JSON_LD,
                            CATALOGUE_CACHE, json_body(jsonld.catalogue_document(current, base)))
    yield PublishedDocument(_path(base, uris.case_package_uri(base)), "skills",
                            "application/json", CATALOGUE_CACHE,
                            json_body(build_case_package(current, base)))
    yield PublishedDocument(_path(base, uris.catalogue_page_uri(base)) + "/index.html",
                            "skills", HTML, CATALOGUE_CACHE, _index_page(current, base))
    for skill in current.skills:
        yield PublishedDocument(_path(base, uris.skill_uri(base, skill.code)), "skills", JSON_LD,
                                CATALOGUE_CACHE,
                                json_body(jsonld.skill_document(current, skill, base)))
    for info in version_history(service):
        catalogue = catalogue_version(service, info.number)
        for skill in catalogue.skills:
            url = uris.skill_version_uri(base, catalogue.version, skill.code)
            yield PublishedDocument(_path(base, url), "skills", JSON_LD, VERSION_CACHE, json_body(
                jsonld.skill_document(catalogue, skill, base, versioned=True)))


def _index_page(catalogue: SkillCatalogue, base_url: str) -> bytes:
    def link(url: str, text: str) -> str:
        return f"<a href=\"{html.escape(url)}\">{html.escape(text)}</a>"

    parts = ["<!doctype html>\n<html lang=\"fr\"><head><meta charset=\"utf-8\">",
             f"<title>Catalogue des compétences (version {catalogue.version})</title></head>",
             (f"<body><h1>Catalogue des compétences <span lang=\"en\">/ Skills catalogue"
              f"</span></h1><p>Version {catalogue.version} — "
              f"{link(uris.catalogue_jsonld_uri(base_url), 'JSON-LD')} — "
              f"{link(uris.case_package_uri(base_url), 'CASE 1.1')}</p>")]
    for domain in catalogue.ordered_domains():
        anchor = html.escape(f"domaine-{domain.code}")
        parts.append(f"<h2 id=\"{anchor}\">{html.escape(domain.name.fr)} "
                     f"<span lang=\"en\">/ {html.escape(domain.name.en)}</span></h2><ul>")
        for skill in catalogue.skills_of(domain.code, include_retired=True):
            retired = " (retirée / retired)" if skill.retired else ""
            parts.append(f"<li>{link(uris.skill_uri(base_url, skill.code), skill.code)} "
                         f"{html.escape(skill.name.fr)}{retired}</li>")
        parts.append("</ul>")
    parts.append("</body></html>\n")
    return "".join(parts).encode("utf-8")

