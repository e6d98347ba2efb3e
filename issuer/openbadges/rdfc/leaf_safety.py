"""The proven subset of the shape cache: which leaves in an IRI position may be substituted
into a template (`is_safe_iri`), from the terms of the contexts in play."""

from __future__ import annotations

import re
import threading
from typing import Any

import pyoxigraph as ox

from issuer.openbadges import contexts

# An absolute IRI as JSON-LD keeps it unchanged (RFC 3987 scheme, no characters that make pyld
# or a verifier reject or rewrite it).
_ABSOLUTE_IRI = re.compile(r"^[A-Za-z][A-Za-z0-9+.\-]*:[^\s<>\"{}|\\^`]*$")


def inline_terms(document: Any) -> frozenset[str]:
    """Terms defined by the contexts written inside the document (embedded, nested, scoped)."""
    names: set[str] = set()

    def collect(node: Any, in_context: bool) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                if in_context and not key.startswith("@"):
                    names.add(key)
                collect(value, in_context or key == "@context")
        elif isinstance(node, list):
            for item in node:
                collect(item, in_context)

    collect(document, False)
    return frozenset(names)


def is_safe_iri(value: str, inline_terms: frozenset[str] = frozenset()) -> bool:
    """Whether a leaf in an IRI position may be substituted into a template (the proven subset).

    It must come out of JSON-LD expansion unchanged, as the placeholder did, and be an IRI every
    path writes alike: an absolute IRI (`_ABSOLUTE_IRI`: nothing rdf-canonize would escape),
    that pyoxigraph accepts (the full path refuses what it rejects), whose scheme is not a term
    of a context in play (`xsd:string` or an inline prefix would expand) and that is not a term
    itself. Any other leaf is fixed into the skeleton and expanded by the full path.
    """
    if not _ABSOLUTE_IRI.match(value):
        return False
    scheme = value.split(":", 1)[0]
    terms = _context_terms()
    if scheme in terms or value in terms or scheme in inline_terms or value in inline_terms:
        return False
    try:
        ox.NamedNode(value)
    except ValueError:
        return False
    return True


_TERMS_LOCK = threading.Lock()
_TERMS: frozenset[str] | None = None


def _context_terms() -> frozenset[str]:
    """Every term any shipped context defines (a term may act as a prefix of a compact IRI)."""
    global _TERMS
    with _TERMS_LOCK:
        if _TERMS is None:
            names: set[str] = set()

            def collect(node: Any) -> None:
                if isinstance(node, dict):
                    for key, value in node.items():
                        if not key.startswith("@"):
                            names.add(key)
                        collect(value)
                elif isinstance(node, list):
                    for item in node:
                        collect(item)

            for url in contexts.PINNED:
                collect(contexts.context_document(url).get("@context"))
            _TERMS = frozenset(names)
        return _TERMS
