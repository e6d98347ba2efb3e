""""Mon espace" (issue #5 item 7, issue 13 item 6): what a signed-in person sees of
themselves. Everyone who holds badges: a greeting by name, then their badges, each with its
state. A mediator of the network (someone who holds a skill badge, or is listed in the
directory, or has written or received an endorsement) also sees, below: the skills their
valid badges recognise, their endorsements, the skills of the catalogue they do not hold yet,
and their directory profile."""

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
from issuer.storage.models import Recipient

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
    """Mon espace of one person (every holder; the skills part for mediators)."""

    recipient_id: str
    badges: tuple[HeldBadge, ...]
    skills_held: tuple[DomainSkills, ...]
    skills_missing: tuple[DomainSkills, ...]
    endorsements: tuple[Endorsement, ...]
    endorsements_given: tuple[Endorsement, ...]
    profile: Profile
    has_skill_badge: bool       # a valid badge aligned to a skill: may join the directory
    display_name: str | None = None     # the name the City knows them by (the greeting)
    is_mediator: bool = False           # the skills part of the space is shown


def display_name_of(service: IssuerService, recipient_id: str) -> str | None:
    with service.database.session(read_only=True) as session:
        person = session.get(Recipient, recipient_id)
        return person.display_name if person is not None and person.erased_at is None else None


def build_space(service: IssuerService, recipient_id: str, *, locale: str = "fr",
                now: datetime | None = None, checker: BadgeChecker | None = None) -> MediatorSpace:
    """What "Mon espace" shows a signed-in person: their name and badges; for a mediator,
    skills held (from their valid badges' alignments), skills of the catalogue not held yet
    (active ones), endorsements and their directory profile."""
    checker = checker or BadgeChecker(service)
    badges = recipient_badges(service, recipient_id, checker=checker, now=now)
    families = {badge.slug: badge.family for badge in service.catalogue.badges}
    skill_family = any(families.get(badge.badge_slug) == "skill" for badge in badges)
    profile = profile_of(service, recipient_id)
    received = endorsements_received(service, recipient_id)
    given = endorsements.endorsements_given(service, recipient_id)
    is_mediator = skill_family or profile.opted_in or bool(received) or bool(given) or any(
        badge.skill_codes for badge in badges)
    held: set[str] = set()
    skills_held: tuple[DomainSkills, ...] = ()
    skills_missing: tuple[DomainSkills, ...] = ()
    if is_mediator:
        skills = current_skill_catalogue(service)
        held = {code for badge in badges if badge.state == "valid" for code in badge.skill_codes}
        missing = [skill.code for skill in skills.active_skills() if skill.code not in held]
        skills_held = group_by_domain(skills, held, locale)
        skills_missing = group_by_domain(skills, missing, locale)
    return MediatorSpace(
        recipient_id=recipient_id, badges=tuple(badges),
        skills_held=skills_held, skills_missing=skills_missing,
        endorsements=received, endorsements_given=given, profile=profile,
        has_skill_badge=bool(held), display_name=display_name_of(service, recipient_id),
        is_mediator=is_mediator)
