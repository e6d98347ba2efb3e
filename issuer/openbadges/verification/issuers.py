"""Who the issuer is (its id and the name its profile shows) and the `issuer_known` check:
an issuer the caller knows, recognised by its id, never by its name."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from issuer.openbadges.verification.report import Check, make_check
from issuer.openbadges.verification.wording import join_labels, with_article


def issuer_of(credential: dict[str, Any]) -> tuple[str | None, str | None]:
    """(issuer id, issuer name) as the credential states them, None where absent or odd."""
    issuer = credential.get("issuer")
    if isinstance(issuer, str):
        return issuer, None
    if isinstance(issuer, dict):
        issuer_id = issuer.get("id") if isinstance(issuer.get("id"), str) else None
        name = issuer.get("name") if isinstance(issuer.get("name"), str) else None
        return issuer_id, name
    return None, None


def _fold(text: str) -> str:
    return " ".join(text.casefold().split())


def check_issuer_known(issuer_id: str | None, issuer_name: str | None, binding: Check,
                       known: Mapping[str, str]) -> tuple[Check, str | None]:
    """Known by id only, and only once the signature is tied to that id: a look-alike profile
    ("Ville de Roubaix" under another DID) is never reported as the known issuer."""
    if issuer_id is not None and issuer_id in known:
        label = known[issuer_id]
        if binding.outcome == "passed":
            return make_check("issuer_known", "passed", "issuer.known", label=label), label
        return make_check("issuer_known", "warning", "issuer.claimed_not_proven", label=label), None
    labels = list(dict.fromkeys(known.values()))
    known_fr = join_labels((with_article(label) for label in labels), "ni") \
        or "un émetteur reconnu ici"
    known_en = join_labels(labels, "or") or "an issuer recognised here"
    name = issuer_name or "?"
    lookalike_fr = lookalike_en = ""
    if issuer_name and any(_fold(label) in _fold(issuer_name) or _fold(issuer_name) in _fold(label)
                           for label in labels):
        lookalike_fr = (" Attention : ce nom imite celui d'un émetteur reconnu, mais ce n'est "
                        "pas lui.")
        lookalike_en = (" Warning: this name imitates a recognised issuer's, but it is not that "
                        "issuer.")
    return make_check("issuer_known", "warning", "issuer.unknown", known_fr=known_fr,
                      known_en=known_en, profile_name=name[:120], id=(issuer_id or "?")[:200],
                      lookalike_fr=lookalike_fr, lookalike_en=lookalike_en), None
