""""Mon espace" (issue #5, item 7): what a signed-in mediator sees of themselves — the skills
their valid badges recognise, their endorsements, the skills of the catalogue they do not hold
yet, their badges, and their directory profile."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from issuer.network import endorsements
from issuer.network.endorsement_views import EndorsementView
from issuer.network.mediators.badges import (
    BadgeChecker,
    DomainSkills,
    HeldBadge,
    current_skill_catalogue,
    group_by_domain,
    recipient_badges,
)
from issuer.network.mediators.profile import Profile, profile_of

if TYPE_CHECKING:
    from issuer.issuance.service import IssuerService


# --- endorsements (item 5: issuer.network.endorsements) ---------------------------------------------

#: An endorsement as the space lists it (received: published ones; given: every state).
Endorsement = EndorsementView


def endorsements_received(service: IssuerService, recipient_id: str) -> tuple[Endorsement, ...]:
    """The person's published endorsements (approved by the coordination, not revoked)."""
    return endorsements.endorsements_received(service, recipient_id)


# --- "Mon espace" ----------------------------------------------------------------------------

@dataclass(frozen=True)
class MediatorSpace:
    recipient_id: str
    badges: tuple[HeldBadge, ...]
    skills_held: tuple[DomainSkills, ...]
    skills_missing: tuple[DomainSkills, ...]
    endorsements: tuple[Endorsement, ...]
    endorsements_given: tuple[Endorsement, ...]
    profile: Profile
    has_skill_badge: bool       # a valid badge aligned to a skill: may join the directory


def build_space(service: IssuerService, recipient_id: str, *, locale: str = "fr",
                now: datetime | None = None, checker: BadgeChecker | None = None) -> MediatorSpace:
    """What "Mon espace" shows a signed-in mediator: skills held (from their valid badges'
    alignments), skills of the catalogue not held yet (active ones), endorsements, badges,
    and their directory profile."""
    checker = checker or BadgeChecker(service)
    badges = recipient_badges(service, recipient_id, checker=checker, now=now)
    catalogue = current_skill_catalogue(service)
    held = {code for badge in badges if badge.state == "valid" for code in badge.skill_codes}
    missing = [skill.code for skill in catalogue.active_skills() if skill.code not in held]
    return MediatorSpace(
        recipient_id=recipient_id, badges=tuple(badges),
        skills_held=group_by_domain(catalogue, held, locale),
        skills_missing=group_by_domain(catalogue, missing, locale),
        endorsements=endorsements_received(service, recipient_id),
        endorsements_given=endorsements.endorsements_given(service, recipient_id),
        profile=profile_of(service, recipient_id),
        has_skill_badge=bool(held))
