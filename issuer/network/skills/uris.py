"""The stable public addresses of the skills catalogue (issue #5, item 3).

A skill's address never changes: `{base}/competences/<code>` always shows the current state of
the skill (marked retired once retired), and `{base}/competences/versions/<n>/<code>` shows it
as it was in version n, which is what a badge issued under version n points at.
"""

from __future__ import annotations

from urllib.parse import quote

CATALOGUE_PATH = "/competences"


def _base(base_url: str) -> str:
    return base_url.rstrip("/")


def catalogue_page_uri(base_url: str) -> str:
    """The HTML list of domains and skills."""
    return f"{_base(base_url)}{CATALOGUE_PATH}"


def skill_uri(base_url: str, code: str) -> str:
    """The current skill (HTML, or JSON-LD by content negotiation)."""
    return f"{_base(base_url)}{CATALOGUE_PATH}/{quote(code, safe='')}"


def skill_version_uri(base_url: str, version: int, code: str) -> str:
    """The skill as it was in catalogue version `version`."""
    return f"{_base(base_url)}{CATALOGUE_PATH}/versions/{int(version)}/{quote(code, safe='')}"


def domain_uri(base_url: str, code: str) -> str:
    """A domain: a fragment of the catalogue page (domains have no page of their own)."""
    return f"{catalogue_page_uri(base_url)}#domaine-{quote(code, safe='')}"


def catalogue_jsonld_uri(base_url: str) -> str:
    return f"{_base(base_url)}{CATALOGUE_PATH}/catalogue.jsonld"


def case_package_uri(base_url: str) -> str:
    return f"{_base(base_url)}{CATALOGUE_PATH}/case.json"
