"""From an assertion to its badge class and issuer profile. A badge class named by URL is
fetched; an issuer profile with a web address is always read from that address, even when
the assertion embeds a copy: the profile says which keys and which addresses speak for the
issuer, so it must come from the issuer, not from the document it vouches for."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from issuer.openbadges.verification.ob2.documents import Documents, Fetched, is_web_address


@dataclass(frozen=True)
class Resolved:
    """The badge class and issuer profile, None where they could not be obtained (`detail_*`
    says why)."""

    badge: dict[str, Any] | None
    issuer: dict[str, Any] | None
    issuer_id: str | None
    detail_fr: str = ""
    detail_en: str = ""

    def resolved_assertion(self, assertion: dict[str, Any]) -> dict[str, Any]:
        """The assertion with `badge` replaced by the badge class, whose `issuer` is replaced
        by the issuer profile (as far as they were obtained)."""
        if self.badge is None:
            return dict(assertion)
        badge = dict(self.badge)
        if self.issuer is not None:
            badge["issuer"] = dict(self.issuer)
        return {**assertion, "badge": badge}


def _document_at(fetched: Fetched, what_fr: str, what_en: str) -> tuple[Any, str, str]:
    """(the JSON object published at the URL, or None; why not, in French and English)."""
    if not fetched.ok:
        return None, f"{what_fr} ({fetched.url}) : {fetched.detail_fr}", \
            f"{what_en} ({fetched.url}): {fetched.detail_en}"
    document = fetched.document
    if not isinstance(document, dict):
        return None, f"{what_fr} ({fetched.url}) n'est pas un document JSON.", \
            f"{what_en} ({fetched.url}) is not a JSON document."
    if document.get("id") != fetched.url:
        # What is served at an address must be the document named by that address.
        return None, (f"le document publié à {fetched.url} se présente sous un autre "
                      f"identifiant ({str(document.get('id'))[:200]})."), \
            (f"the document published at {fetched.url} presents itself under another "
             f"identifier ({str(document.get('id'))[:200]}).")
    return document, "", ""


def resolve(assertion: dict[str, Any], documents: Documents) -> Resolved:
    badge_value = assertion.get("badge")
    if isinstance(badge_value, str):
        badge, why_fr, why_en = _document_at(documents.get(badge_value), "classe de badge",
                                             "badge class")
        if badge is None:
            return Resolved(None, None, None, why_fr, why_en)
    elif isinstance(badge_value, dict):
        badge = badge_value
    else:
        return Resolved(None, None, None, "l'assertion ne désigne pas de classe de badge.",
                        "the assertion names no badge class.")
    issuer_value = badge.get("issuer")
    issuer_id = issuer_value.get("id") if isinstance(issuer_value, dict) else issuer_value
    if not isinstance(issuer_id, str):
        return Resolved(badge, None, None, "la classe de badge ne désigne pas d'émetteur.",
                        "the badge class names no issuer.")
    if is_web_address(issuer_id):
        issuer, why_fr, why_en = _document_at(documents.get(issuer_id), "profil de l'émetteur",
                                              "issuer profile")
        if issuer is None:
            return Resolved(badge, None, issuer_id, why_fr, why_en)
        return Resolved(badge, issuer, issuer_id)
    if isinstance(issuer_value, dict):  # embedded, with no address to read it from
        return Resolved(badge, issuer_value, issuer_id)
    return Resolved(badge, None, issuer_id, "l'émetteur n'a pas d'adresse web.",
                    "the issuer has no web address.")
