"""A new member's name, council role and sector, as the membership badge defines them: refused
with a message naming the accepted values."""

from __future__ import annotations

from issuer.errors import InvalidInput
from issuer.names import check_person_name
from issuer.openbadges.badge_definitions import BadgeDefinition
from issuer.workspace.recipients import fold_for_search as _fold


def clean_member_name(name: str) -> str:
    if not " ".join((name or "").split()):
        raise InvalidInput("Indiquez le nom de la personne.", "Give the person's name.",
                           code="cln.name_required")
    return check_person_name(name) or ""


def council_role(badge: BadgeDefinition, value: str) -> str:
    role = badge.role(value)
    if role is None:
        known = ", ".join(f"{r.slug} ({r.name.fr})" for r in badge.roles)
        raise InvalidInput(f"Rôle inconnu au Conseil : « {value} » (rôles : {known}).",
                           f"Unknown council role: '{value}' (roles: {known}).",
                           code="cln.unknown_role")
    return role.slug


def council_sector(badge: BadgeDefinition, value: str | None) -> str | None:
    if value is None or not value.strip():
        return None
    for sector in badge.sectors:
        if _fold(sector) == _fold(value.strip()):
            return sector
    known = ", ".join(badge.sectors)
    raise InvalidInput(f"Secteur inconnu : « {value.strip()} » (secteurs : {known}).",
                       f"Unknown sector: '{value.strip()}' (sectors: {known}).",
                       code="cln.unknown_sector")
