"""The catalogue and each skill as JSON-LD (issue #5, item 3).

Vocabulary: schema.org `DefinedTermSet` (the catalogue, and each domain, `isPartOf` it) and
`DefinedTerm` (a skill, `inDefinedTermSet` its domain, `termCode` its code), with SKOS
`exactMatch` / `relatedMatch` for crosswalks and `owl:deprecated` for a retired entry. Every
term is defined by the context we ship, `issuer/openbadges/contexts/competences-v1.jsonld` (pinned by
SHA-256, VERIFICATION.md R1 and R17), published at `{base}/contexts/competences-v1.jsonld`: nothing
is left to an `@vocab`, so a JSON-LD processor drops no term (tests/test_skills_catalogue.py
checks the expansion).
"""

from __future__ import annotations

from typing import Any

from issuer.network.skills.catalogue import Bilingual, Crosswalk, Skill, SkillCatalogue, SkillDomain
from issuer.network.skills.uris import (
    catalogue_jsonld_uri,
    catalogue_page_uri,
    domain_uri,
    skill_uri,
    skill_version_uri,
)
from issuer.openbadges import contexts

CONTEXT_FILENAME = "competences-v1.jsonld"
JSON_LD_MEDIA_TYPE = "application/ld+json"
CITY_URL = "https://www.ville-roubaix.fr"


def context_url(base_url: str) -> str:
    """Where this deployment publishes the catalogue's JSON-LD context."""
    return f"{base_url.rstrip('/')}/contexts/{CONTEXT_FILENAME}"


def document_loader(base_url: str) -> Any:
    """A pyld document loader answering from the pinned copies only: the catalogue's context
    at this deployment's address, and the other pinned contexts (never the network)."""
    own = context_url(base_url)

    def load(url: str, options: dict[str, Any] | None = None) -> dict[str, Any]:
        if url == own:
            return {"contentType": JSON_LD_MEDIA_TYPE, "contextUrl": None, "documentUrl": url,
                    "document": contexts.context_document(contexts.SKILLS_CATALOGUE_V1)}
        return contexts.document_loader(url, options)

    return load


def skill_document(catalogue: SkillCatalogue, skill: Skill, base_url: str, *,
                   versioned: bool = False) -> dict[str, Any]:
    """One skill: at its stable address, or (versioned) as it was in `catalogue.version`."""
    document: dict[str, Any] = {"@context": context_url(base_url)}
    document.update(_skill_node(catalogue, skill, base_url, versioned=versioned))
    document["inDefinedTermSet"] = _domain_node(catalogue.domain(skill.domain_code), base_url,
                                                with_skills=False)
    return document


def catalogue_document(catalogue: SkillCatalogue, base_url: str) -> dict[str, Any]:
    """The whole catalogue (retired entries included, marked deprecated)."""
    document: dict[str, Any] = {
        "@context": context_url(base_url),
        "id": catalogue_page_uri(base_url),
        "type": "DefinedTermSet",
        "name": _language_map(catalogue.framework.title),
        "description": _language_map(catalogue.framework.description),
        "url": catalogue_page_uri(base_url),
        "inLanguage": catalogue.framework.language,
        "version": str(catalogue.version),
        "publisher": {"id": CITY_URL, "type": "GovernmentOrganization",
                      "name": {"fr": catalogue.framework.publisher}},
        "hasPart": [_domain_node(domain, base_url, catalogue=catalogue)
                    for domain in catalogue.ordered_domains()],
    }
    if catalogue.created_at is not None:
        document["dateModified"] = catalogue.created_at.isoformat()
    return document


def _domain_node(domain: SkillDomain, base_url: str, *, catalogue: SkillCatalogue | None = None,
                 with_skills: bool = True) -> dict[str, Any]:
    node: dict[str, Any] = {
        "id": domain_uri(base_url, domain.code),
        "type": "DefinedTermSet",
        "termCode": domain.code,
        "name": _language_map(domain.name),
        "isPartOf": catalogue_page_uri(base_url),
        "position": domain.position + 1,
    }
    if domain.description.fr:
        node["description"] = _language_map(domain.description)
    node.update(_crosswalk_terms(domain.crosswalks))
    if domain.retired:
        node["deprecated"] = True
    if with_skills and catalogue is not None:
        node["hasDefinedTerm"] = [
            _skill_node(catalogue, skill, base_url, versioned=False)
            for skill in catalogue.skills_of(domain.code, include_retired=True)]
    return node


def _skill_node(catalogue: SkillCatalogue, skill: Skill, base_url: str, *,
                versioned: bool) -> dict[str, Any]:
    address = (skill_version_uri(base_url, catalogue.version, skill.code) if versioned
               else skill_uri(base_url, skill.code))
    node: dict[str, Any] = {
        "id": address,
        "type": "DefinedTerm",
        "termCode": skill.code,
        "name": _language_map(skill.name),
        "description": _language_map(skill.description),
        "url": address,
        "version": str(catalogue.version),
        "position": skill.position + 1,
    }
    node.update(_crosswalk_terms(skill.crosswalks))
    if skill.retired:
        node["deprecated"] = True
    return node


def _crosswalk_terms(crosswalks: tuple[Crosswalk, ...]) -> dict[str, list[str]]:
    terms: dict[str, list[str]] = {}
    for crosswalk in crosswalks:
        key = "exactMatch" if crosswalk.relation == "exactMatchOf" else "relatedMatch"
        terms.setdefault(key, []).append(crosswalk.uri)
    return terms


def _language_map(text: Bilingual) -> dict[str, str]:
    values = {"fr": text.fr}
    if text.en:
        values["en"] = text.en
    return values


__all__ = ["catalogue_document", "catalogue_jsonld_uri", "context_url", "document_loader",
           "skill_document"]
