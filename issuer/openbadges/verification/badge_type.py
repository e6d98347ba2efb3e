"""The `type` check (VerifiableCredential and a badge type: OpenBadgeCredential /
AchievementCredential, or EndorsementCredential) and the `schema` check against the 1EdTech
JSON Schema of that type (VCDM 2.0 credentials only)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

from issuer.openbadges.schema import schema_errors
from issuer.openbadges.verification.report import Check, make_check

BADGE_TYPES = frozenset({"OpenBadgeCredential", "AchievementCredential"})
ENDORSEMENT_TYPE = "EndorsementCredential"


def types_of(node: Mapping[str, Any]) -> list[str]:
    """The string values of a node's `type`, which may be a string or a list."""
    declared = node.get("type")
    values = declared if isinstance(declared, list) else [declared]
    return [value for value in values if isinstance(value, str)]


BadgeKind = Literal["achievement", "endorsement"]


def check_type(credential: dict[str, Any]) -> tuple[Check, BadgeKind | None]:
    """The `type` check, and which kind of badge this is (None: not a badge)."""
    types = types_of(credential)
    if "VerifiableCredential" not in types:
        return make_check("type", "failed", "type.not_vc"), None
    badge = [kind for kind in types if kind in BADGE_TYPES]
    if badge:
        return make_check("type", "passed", "type.ok", kind=badge[0]), "achievement"
    if ENDORSEMENT_TYPE in types:
        return make_check("type", "passed", "type.ok", kind=ENDORSEMENT_TYPE), "endorsement"
    return make_check("type", "failed", "type.not_a_badge", types=", ".join(types)[:200]), None


def check_schema(credential: dict[str, Any], data_model: str | None,
                 kind: BadgeKind | None, *, own: bool = False) -> Check:
    """The `schema` check, run only on VCDM 2.0 badges (the published schema's scope). `own`:
    one of our own stored credentials (`VerificationContext.untrusted` false), validated on
    the fast path of `schema_errors`."""
    if kind is None:
        return make_check("schema", "skipped", "schema.not_checked")
    if data_model == "1.1":
        # The shipped schema requires validFrom and the VC 2.0 context: it rejects every 1.1 badge.
        return make_check("schema", "skipped", "schema.vcdm11_not_checked")
    errors = schema_errors(credential, "endorsementcredential" if kind == "endorsement"
                           else "achievementcredential", fast=own)
    if errors:
        return make_check("schema", "failed", "schema.invalid",
                          errors="; ".join(_shortened(error) for error in errors[:3]))
    return make_check("schema", "passed", "schema.ok")


def _shortened(text: str, limit: int = 160) -> str:
    # jsonschema messages quote the whole offending value; keep its start and the verdict.
    return text if len(text) <= limit else f"{text[:60]}…{text[-90:]}"
