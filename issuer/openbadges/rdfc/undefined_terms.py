"""Keys, types and identifiers no context defines (VERIFICATION.md R1): what pyld would drop or
resolve against a base without a word."""

from __future__ import annotations

from typing import Any

from pyld import jsonld

from issuer.openbadges import contexts
from issuer.openbadges.rdfc.errors import CanonicalizationError

_UNDEFINED_VOCAB = "urn:x-undefined-term:"
_UNDEFINED_BASE = "https://undefined-relative-iri.invalid/"


def find_undefined_terms(document: dict[str, Any]) -> list[str]:
    """Keys and `type` values that no context defines, and relative identifiers
    (VERIFICATION.md R1).

    pyld silently drops an undefined key, so the check expands the document once more with a
    fallback `@vocab` and `@base` appended to its own contexts: whatever lands in those namespaces
    was undefined. (Appending `@vocab`/`@base` does not redefine a protected term.)
    """
    probe = dict(document)
    probe_context = probe.get("@context")
    if probe_context is None:
        return ["@context"]
    context_list = list(probe_context) if isinstance(probe_context, list) else [probe_context]
    probe["@context"] = [*context_list, {"@vocab": _UNDEFINED_VOCAB}]
    try:
        dataset = jsonld.to_rdf(probe, {"documentLoader": contexts.document_loader,
                                        "base": _UNDEFINED_BASE})
    except jsonld.JsonLdError as error:
        raise CanonicalizationError(f"JSON-LD error: {error}") from error
    problems: set[str] = set()
    for triples in dataset.values():
        for triple in triples:
            for position in ("subject", "predicate", "object"):
                node = triple[position]
                if node["type"] != "IRI":
                    continue
                value = node["value"]
                if value.startswith(_UNDEFINED_VOCAB):
                    problems.add(value[len(_UNDEFINED_VOCAB):])
                elif value.startswith(_UNDEFINED_BASE):
                    problems.add(f"relative IRI {value[len(_UNDEFINED_BASE):]!r}")
    return sorted(problems)
