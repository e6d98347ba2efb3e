"""The directory of the network (issue #5, item 6): the mediators who opted in, searchable by
skill, domain and sector, built only from verified, unrevoked badges (issuer.network.mediators.badges
says how and at what cost). An entry never holds an e-mail address nor a recipient id."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import select

from issuer.collation import sort_key
from issuer.network.mediators.badges import (
    BadgeChecker,
    DomainSkills,
    HeldBadge,
    current_skill_catalogue,
    group_by_domain,
    held_badge,
    signed_credentials,
    skill_domain_code,
    stored_state,
)
from issuer.network.mediators.profile import CITY_WIDE
from issuer.network.skills.catalogue import SkillCatalogue
from issuer.storage.mediator_models import DirectoryProfile
from issuer.storage.models import Recipient, utc_now

if TYPE_CHECKING:
    from issuer.issuance.service import IssuerService



@dataclass(frozen=True)
class DirectoryQuery:
    """A search of the directory; each criterion is optional. A sector also finds the
    mediators who work in the whole city."""

    skill: str | None = None
    domain: str | None = None
    sector: str | None = None

    @classmethod
    def from_params(cls, *, skill: str | None, domain: str | None,
                    sector: str | None) -> DirectoryQuery:
        def clean(value: str | None) -> str | None:
            value = (value or "").strip()
            return value[:32] or None

        skill_code = clean(skill)
        domain_code = clean(domain)
        sector_code = clean(sector)
        return cls(skill=skill_code.upper() if skill_code else None,
                   domain=domain_code.upper() if domain_code else None,
                   sector=sector_code.lower() if sector_code else None)

    @property
    def empty(self) -> bool:
        return not (self.skill or self.domain or self.sector)

    def matches_sector(self, sector: str | None) -> bool:
        return self.sector is None or sector in (self.sector, CITY_WIDE)

    def matches_skills(self, codes: Iterable[str], catalogue: SkillCatalogue) -> bool:
        codes = set(codes)
        if self.skill is not None and self.skill not in codes:
            return False
        return self.domain is None or any(
            skill_domain_code(catalogue, code) == self.domain for code in codes)


@dataclass(frozen=True)
class DirectoryEntry:
    """One mediator as the directory shows them: what they typed, and their verified skill
    badges. No e-mail, no recipient id."""

    display_name: str
    sector: str | None
    organisation: str
    description: str
    contact_url: str
    skills: tuple[DomainSkills, ...]
    badges: tuple[HeldBadge, ...]


def build_directory(service: IssuerService, query: DirectoryQuery = DirectoryQuery(), *,
                    locale: str = "fr", now: datetime | None = None,
                    checker: BadgeChecker | None = None) -> list[DirectoryEntry]:
    """The mediators who opted in and hold at least one valid skill badge matching `query`,
    by name. Candidates are first narrowed with what the database says (listed, not erased,
    sector, badges neither revoked nor suspended nor expired, stored alignments), then every
    badge that would be shown is verified (`BadgeChecker`) and the query applied again to
    what the verified badges say."""
    now = now or utc_now()
    checker = checker or BadgeChecker(service)
    catalogue = current_skill_catalogue(service)
    base_url = service.settings.base_url
    with service.database.session(read_only=True) as session:
        profiles = list(session.scalars(
            select(DirectoryProfile).join(Recipient, Recipient.id == DirectoryProfile.recipient_id)
            .where(DirectoryProfile.opted_in.is_(True), Recipient.erased_at.is_(None))))
        profiles = [p for p in profiles if query.matches_sector(p.sector)]
        credentials = signed_credentials(session, [p.recipient_id for p in profiles])
    entries: list[DirectoryEntry] = []
    for profile in profiles:
        candidates = [badge for badge in (
            held_badge(row, "unverified", base_url) for row in credentials[profile.recipient_id]
            if stored_state(row, now) is None) if badge.skill_codes]
        if not query.matches_skills((c for b in candidates for c in b.skill_codes), catalogue):
            continue
        rows = {row.id: row for row in credentials[profile.recipient_id]}
        verified = [replace(badge, state="valid") for badge in candidates
                    if checker.state(badge.credential_id,
                                     rows[badge.credential_id].credential_json) == "valid"]
        codes = [code for badge in verified for code in badge.skill_codes]
        if not verified or not query.matches_skills(codes, catalogue):
            continue
        entries.append(DirectoryEntry(
            display_name=profile.display_name, sector=profile.sector,
            organisation=profile.organisation or "", description=profile.description or "",
            contact_url=profile.contact_url or "",
            skills=group_by_domain(catalogue, codes, locale), badges=tuple(verified)))
    entries.sort(key=lambda entry: (sort_key(entry.display_name), sort_key(entry.organisation)))
    return entries

