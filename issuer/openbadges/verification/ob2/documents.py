"""The documents an Open Badges 2.0 assertion names (the assertion at its own `id`, its badge
class, the issuer profile, the signing key, the revocation list), fetched through the
context's `fetch_document` (the bounded `Fetcher`: https, public addresses, size and time
caps; VERIFICATION.md R17, R20), each at most once, at most `MAX_FETCHES` per verification, and none
started once `TIME_BUDGET` seconds have gone (each fetch has its own deadline too), so one
assertion naming slow servers cannot hold a verification for `MAX_FETCHES` full timeouts."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from issuer.errors import IssuerError
from issuer.openbadges.verification.context import VerificationContext

MAX_FETCHES = 6
"""Assertion, badge class, issuer profile, key, revocation list: five; one to spare."""
TIME_BUDGET = 8.0
"""Seconds after which no further document is fetched for one verification."""
MAX_DOCUMENT_DEPTH = 64
"""Nesting accepted in a fetched document, as for the input itself."""


@dataclass(frozen=True)
class Fetched:
    """A document, or why there is none (`gone`: the server answered 410 Gone)."""

    url: str
    document: Any = None
    detail_fr: str = ""
    detail_en: str = ""
    gone: bool = False

    @property
    def ok(self) -> bool:
        return not self.detail_fr


def is_web_address(value: Any) -> bool:
    """An absolute http(s) URL with a host (the fetcher then refuses plain http off loopback)."""
    if not isinstance(value, str) or any(c.isspace() for c in value):
        return False
    try:
        parts = urlsplit(value)
    except ValueError:
        return False
    return parts.scheme in ("https", "http") and bool(parts.hostname)


def too_deep(value: Any, limit: int) -> bool:
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        node, depth = stack.pop()
        if depth > limit:
            return True
        if isinstance(node, dict):
            stack.extend((child, depth + 1) for child in node.values())
        elif isinstance(node, list):
            stack.extend((child, depth + 1) for child in node)
    return False


@dataclass
class Documents:
    """The fetches of one verification: memoised by URL, counted, never raising."""

    context: VerificationContext
    fetched: dict[str, Fetched] = field(default_factory=dict)
    started: float = field(default_factory=time.monotonic)
    time_budget: float = TIME_BUDGET

    def get(self, url: str) -> Fetched:
        if url in self.fetched:
            return self.fetched[url]
        result = self._fetch(url)
        self.fetched[url] = result
        return result

    def _fetch(self, url: str) -> Fetched:
        fetch = self.context.fetch_document
        if fetch is None:
            return Fetched(url, detail_fr="ce vérificateur ne consulte pas le réseau.",
                           detail_en="this verifier does not look anything up online.")
        if not is_web_address(url):
            return Fetched(url, detail_fr="ce n'est pas une adresse web.",
                           detail_en="it is not a web address.")
        if len(self.fetched) >= MAX_FETCHES:
            return Fetched(url, detail_fr="trop de documents à consulter.",
                           detail_en="too many documents to look up.")
        if time.monotonic() - self.started > self.time_budget:
            return Fetched(url, detail_fr="délai de vérification dépassé.",
                           detail_en="verification time exceeded.")
        try:
            document = fetch(url)
        except IssuerError as error:  # FetchError: refused target, timeout, HTTP status...
            gone = getattr(error, "status", None) == 410
            return Fetched(url, detail_fr=error.message_fr, detail_en=error.message_en,
                           gone=gone)
        except Exception:  # noqa: BLE001 - whatever the caller's fetch raises: unreachable
            return Fetched(url, detail_fr="adresse injoignable.", detail_en="unreachable.")
        if too_deep(document, MAX_DOCUMENT_DEPTH):
            return Fetched(url, detail_fr="document imbriqué trop profondément.",
                           detail_en="document nested too deeply.")
        return Fetched(url, document=document)
