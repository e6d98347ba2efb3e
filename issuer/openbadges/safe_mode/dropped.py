"""A member JSON-LD drops (`DroppedMember`), the French and English words for each jsonld.js
safe-mode reason, and `ExpansionFailed` when pyld cannot expand the document at all."""

from __future__ import annotations

from dataclasses import dataclass

_SHOWN_PATH = 160

REASONS: dict[str, tuple[str, str]] = {
    "invalid property": ("propriété non définie par les contextes",
                         "property no context defines"),
    "free-floating scalar": ("valeur isolée", "free-floating value"),
    "empty object": ("objet vide isolé", "free-floating empty object"),
    "object with only @id": ("objet isolé réduit à un identifiant",
                             "free-floating object with only an id"),
    "object with only @value": ("valeur isolée", "free-floating value object"),
    "object with only @list": ("liste isolée", "free-floating list"),
    "object with only @language": ("objet réduit à une langue", "object with only a language"),
    "null @value value": ("valeur nulle", "null value"),
    "null @id value": ("identifiant nul", "null identifier"),
    "reserved @id value": ("identifiant réservé (commence par @)",
                           "reserved identifier (starts with @)"),
    "relative @id reference": ("identifiant relatif", "relative identifier"),
    "relative @type reference": ("type non défini par les contextes",
                                 "type no context defines"),
    "invalid @language value": ("code de langue invalide", "invalid language tag"),
    "reserved term": ("terme réservé (commence par @)", "reserved term (starts with @)"),
    "reserved @reverse value": ("propriété inverse réservée", "reserved reverse property"),
    "relative @vocab reference": ("vocabulaire relatif", "relative vocabulary"),
    "relative subject reference": ("identifiant relatif", "relative identifier"),
    "relative predicate reference": ("propriété relative", "relative property"),
    "relative object reference": ("adresse relative", "relative reference"),
    "relative graph reference": ("graphe relatif", "relative graph name"),
    "blank node predicate": ("propriété anonyme", "blank node property"),
    "rdfDirection not set": ("sens d'écriture (@direction) que la signature ne couvre pas",
                             "text direction (@direction) the signature does not cover"),
    "invalid @included value": ("élément inclus qui n'est pas un objet",
                                "included member that is not a node object"),
    "ignored keyword": ("mot-clé ignoré par la signature", "keyword the signature ignores"),
}


class ExpansionFailed(ValueError):
    """The document is not JSON-LD that can be expanded (pyld refused it)."""


@dataclass(frozen=True)
class DroppedMember:
    """A member JSON-LD drops: `path` is an RFC 6901 JSON Pointer into the document, `reason`
    the jsonld.js safe-mode event code (or `ignored keyword`, see the module docstring)."""

    path: str
    reason: str

    def describe(self) -> tuple[str, str]:
        """(French, English) one-line description, e.g. `/credentialSubject/@foo (…)`."""
        french, english = REASONS.get(self.reason, (self.reason, self.reason))
        # the root is "/", an empty key is shown as ""; a path from a stranger is cut short
        shown = "/" + "/".join(step or '""' for step in self.path.split("/")[1:])
        if len(shown) > _SHOWN_PATH:
            shown = shown[:_SHOWN_PATH - 1] + "…"
        return f"{shown} ({french})", f"{shown} ({english})"


def describe_all(members: list[DroppedMember], limit: int = 5) -> tuple[str, str]:
    """French and English lists of the first `limit` members, for a message."""
    described = [member.describe() for member in members[:limit]]
    more = len(members) - limit
    french = ", ".join(fr for fr, _ in described) + (f" et {more} autre(s)" if more > 0 else "")
    english = ", ".join(en for _, en in described) + (f" and {more} more" if more > 0 else "")
    return french, english
