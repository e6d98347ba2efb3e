"""The `context`, `type` and `schema` checks of an OB 2.0 assertion, its badge class and its
issuer profile: the OB 2.0 context, the three types, and the properties OB 2.0 requires
(the list the official validator checks: Assertion id, type, recipient, badge, verification,
issuedOn; BadgeClass id, type, name, description, image, criteria, issuer; Profile id, type,
name, url, email)."""

from __future__ import annotations

from typing import Any

from issuer.openbadges.verification.ob2.reading import OB2_CONTEXTS, contexts_of, types_of
from issuer.openbadges.verification.report import Check, make_check

_REQUIRED = {
    "assertion": ("id", "type", "recipient", "badge", "verification", "issuedOn"),
    "badge": ("id", "type", "name", "description", "image", "criteria", "issuer"),
    "issuer": ("id", "type", "name", "url", "email"),
}
_EXPECTED_TYPES = {"assertion": ("Assertion",), "badge": ("BadgeClass",),
                   "issuer": ("Issuer", "Profile")}
_WHAT = {"assertion": ("L'assertion", "The assertion"),
         "badge": ("La classe de badge", "The badge class"),
         "issuer": ("Le profil de l'émetteur", "The issuer profile")}
_NAMES = {"assertion": ("assertion", "assertion"), "badge": ("classe de badge", "badge class"),
          "issuer": ("profil d'émetteur", "issuer profile")}


def check_context(assertion: dict[str, Any]) -> Check:
    if contexts_of(assertion) & OB2_CONTEXTS:
        return make_check("context", "passed", "context.ob2_ok")
    return make_check("context", "failed", "context.missing")


def _parts(assertion: dict[str, Any], badge: dict[str, Any] | None,
           issuer: dict[str, Any] | None) -> dict[str, dict[str, Any]]:
    found = {"assertion": assertion, "badge": badge, "issuer": issuer}
    return {name: part for name, part in found.items() if part is not None}


def check_types(assertion: dict[str, Any], badge: dict[str, Any] | None,
                issuer: dict[str, Any] | None) -> Check:
    parts = _parts(assertion, badge, issuer)
    for name, part in parts.items():
        if not set(types_of(part)) & set(_EXPECTED_TYPES[name]):
            what_fr, what_en = _WHAT[name]
            return make_check("type", "failed", "type.ob2_wrong", what_fr=what_fr,
                              what_en=what_en, expected=" / ".join(_EXPECTED_TYPES[name]),
                              found=", ".join(types_of(part))[:80] or "?")
    return make_check("type", "passed", "type.ob2_ok",
                      found_fr=", ".join(_NAMES[name][0] for name in parts) + " Open Badges 2.0",
                      found_en="Open Badges 2.0 " + ", ".join(_NAMES[name][1] for name in parts))


def _problems(name: str, part: dict[str, Any]) -> list[str]:
    problems = [f"{name}.{key}" for key in _REQUIRED[name] if part.get(key) in (None, "", [])]
    if name == "assertion":
        recipient = part.get("recipient")
        if isinstance(recipient, dict):
            if not isinstance(recipient.get("identity"), str):
                problems.append("assertion.recipient.identity")
            if not isinstance(recipient.get("type"), str):
                problems.append("assertion.recipient.type")
            if not isinstance(recipient.get("hashed"), bool):
                problems.append("assertion.recipient.hashed")
        elif "recipient" in part:
            problems.append("assertion.recipient")
        verification = part.get("verification")
        if "verification" in part and not (isinstance(verification, dict)
                                           and isinstance(verification.get("type"), str)):
            problems.append("assertion.verification.type")
    return problems


def check_schema(assertion: dict[str, Any], badge: dict[str, Any] | None,
                 issuer: dict[str, Any] | None) -> Check:
    parts = _parts(assertion, badge, issuer)
    problems = [problem for name, part in parts.items() for problem in _problems(name, part)]
    if problems:
        return make_check("schema", "failed", "schema.ob2_invalid",
                          errors=", ".join(dict.fromkeys(problems))[:300])
    return make_check("schema", "passed", "schema.ob2_ok",
                      what_fr=", ".join(_NAMES[name][0] for name in parts),
                      what_en=", ".join(_NAMES[name][1] for name in parts))
