"""What a person's badges say, checked now (issue #5, items 6 and 7): the skills of the
catalogue each badge is aligned to, and whether it is valid.

- **Skills come from the credentials themselves**: the OB 3.0 `alignment` entries of the
  achievement (`targetUrl` = the skill's address under /competences, current or versioned,
  see issuer.network.skills.uris), i.e. what the City signed, never a copy kept beside it.
- **"Valid" means verified with the status as it is now**: `issuer.openbadges.verification.verify` runs
  on the stored credential (proof, issuer key, validity, revocation and suspension read from
  the signed status lists), as on the public badge page, through
  `issuer.issuance.own_verification.verify_own`: the badge's status is read from the database at each
  request and a verification is reused only while nothing it depends on changed, so a
  revocation shows at the next page view. Badges whose stored row is already revoked,
  suspended or expired are not verified at all (`stored_state`).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, Literal
from urllib.parse import quote, unquote, urlsplit

from sqlalchemy import select
from sqlalchemy.orm import Session

from issuer.errors import IssuerError
from issuer.network.skills.catalogue import SKILL_CODE, SkillCatalogue
from issuer.network.skills.uris import catalogue_page_uri
from issuer.openbadges.credential import credential_url
from issuer.storage.models import IssuedCredential, utc_now

if TYPE_CHECKING:
    from issuer.issuance.service import IssuerService
    from issuer.openbadges.verification.report import VerificationReport

logger = logging.getLogger(__name__)


# --- skills read from badges -----------------------------------------------------------------

def skill_code_from_uri(uri: Any, base_url: str) -> str | None:
    """The skill code of one of our skill addresses (`/competences/<code>` or
    `/competences/versions/<n>/<code>`, see issuer.network.skills.uris), else None."""
    prefix = catalogue_page_uri(base_url) + "/"
    if not isinstance(uri, str) or not uri.startswith(prefix):
        return None
    parts = unquote(uri.removeprefix(prefix)).split("/")
    if len(parts) == 3 and parts[0] == "versions" and parts[1].isdigit():
        parts = parts[2:]
    if len(parts) != 1 or not SKILL_CODE.fullmatch(parts[0]):
        return None
    return parts[0]


def aligned_skill_codes(credential: Mapping[str, Any], base_url: str) -> tuple[str, ...]:
    """The skills of our catalogue a credential's achievement is aligned to (OB 3.0
    `Achievement.alignment`), in the credential's order, without repeats."""
    subject = credential.get("credentialSubject")
    achievement = subject.get("achievement") if isinstance(subject, Mapping) else None
    entries = achievement.get("alignment") if isinstance(achievement, Mapping) else None
    codes: list[str] = []
    for entry in entries if isinstance(entries, list) else ():
        code = skill_code_from_uri(entry.get("targetUrl"), base_url) if isinstance(
            entry, Mapping) else None
        if code and code not in codes:
            codes.append(code)
    return tuple(codes)


BadgeState = Literal["valid", "revoked", "suspended", "expired", "unverified"]


@dataclass(frozen=True)
class HeldBadge:
    """One badge of a person, as their space and the directory show it."""

    credential_id: str
    name: str                       # the credential's own name (as signed)
    page_path: str                  # the public badge page, /credentials/<id>
    skill_codes: tuple[str, ...]    # skills of the catalogue it is aligned to
    state: BadgeState
    issued_at: datetime
    badge_slug: str = ""            # the catalogue badge it was issued for
    name_shown: bool = False        # the signed badge carries the holder's name
    superseded: bool = False        # replaced by a new copy (issuer.workspace.reissue)


class BadgeChecker:
    """`issuer.issuance.own_verification.verify_own` on the City's own stored credentials, for one
    request (each badge's state is memoised for the request). Our own credentials are
    canonicalised in-process (`untrusted=False`), as on the badge page."""

    def __init__(self, service: IssuerService) -> None:
        self.service = service
        self._states: dict[str, BadgeState] = {}

    def state(self, credential_id: str, credential_json: str) -> BadgeState:
        if credential_id not in self._states:
            self._states[credential_id] = self._verify(credential_id, credential_json)
        return self._states[credential_id]

    def _verify(self, credential_id: str, credential_json: str) -> BadgeState:
        from issuer.issuance.own_verification import verify_own

        try:
            report, _status = verify_own(self.service, "badge", credential_id, credential_json)
        except Exception:  # never list a badge that could not be checked
            logger.exception("verification failed for %s", credential_id)
            return "unverified"
        return badge_state(report)


def badge_state(report: VerificationReport) -> BadgeState:
    if report.verdict == "valid":
        return "valid"
    if report.revoked:
        return "revoked"
    if report.suspended:
        return "suspended"
    if report.expired:
        return "expired"
    return "unverified"


def stored_state(row: IssuedCredential, now: datetime) -> BadgeState | None:
    """What the database already says against a badge (no need to verify it then)."""
    if row.revoked_at is not None:
        return "revoked"
    if row.suspended:
        return "suspended"
    if row.valid_until is not None and row.valid_until <= now:
        return "expired"
    return None


def signed_credentials(session: Session,
                        recipient_ids: Iterable[str]) -> dict[str, list[IssuedCredential]]:
    ids = list(recipient_ids)
    found: dict[str, list[IssuedCredential]] = {recipient_id: [] for recipient_id in ids}
    for start in range(0, len(ids), 500):
        for row in session.scalars(
                select(IssuedCredential).where(
                    IssuedCredential.recipient_id.in_(ids[start:start + 500]),
                    IssuedCredential.credential_json != "")
                .order_by(IssuedCredential.issued_at, IssuedCredential.id)):
            found[row.recipient_id].append(row)
    return found


def held_badge(row: IssuedCredential, state: BadgeState, base_url: str) -> HeldBadge:
    credential = json.loads(row.credential_json)
    name = credential.get("name")
    if not isinstance(name, str) or not name.strip():
        achievement = credential.get("credentialSubject", {}).get("achievement", {})
        name = str(achievement.get("name", "")) if isinstance(achievement, Mapping) else ""
    subject = credential.get("credentialSubject")
    return HeldBadge(credential_id=row.id, name=name.strip(),
                     page_path=urlsplit(credential_url(base_url, row.id)).path,
                     skill_codes=aligned_skill_codes(credential, base_url), state=state,
                     issued_at=row.issued_at, badge_slug=row.badge_slug,
                     name_shown=isinstance(subject, Mapping) and "name" in subject,
                     superseded=row.superseded_by is not None)


def recipient_badges(service: IssuerService, recipient_id: str, *, checker: BadgeChecker,
                     now: datetime | None = None) -> list[HeldBadge]:
    """Every signed badge of a person, each with its state checked now. A badge replaced by
    a new copy (an e-mail change, the name display, a new key) is left out: its successor
    stands for it."""
    now = now or utc_now()
    with service.database.session(read_only=True) as session:
        rows = signed_credentials(session, [recipient_id])[recipient_id]
    base_url = service.settings.base_url
    return [held_badge(row, stored_state(row, now)
                        or checker.state(row.id, row.credential_json), base_url)
            for row in rows if row.superseded_by is None]


# --- skills as pages show them ---------------------------------------------------------------

@dataclass(frozen=True)
class SkillView:
    code: str
    name: str
    domain_code: str
    page_path: str          # /competences/<code>: the skill's stable page
    retired: bool


@dataclass(frozen=True)
class DomainSkills:
    code: str
    name: str
    skills: tuple[SkillView, ...]


def skill_domain_code(catalogue: SkillCatalogue, code: str) -> str:
    """A skill's domain; a code the catalogue does not know keeps its prefix (SKILL_CODE: a
    skill code starts with its domain's)."""
    return catalogue.skill(code).domain_code if catalogue.has_skill(code) else code.split("-")[0]


def skill_view(catalogue: SkillCatalogue, code: str, locale: str) -> SkillView:
    path = f"/competences/{quote(code, safe='')}"
    if not catalogue.has_skill(code):
        return SkillView(code, code, skill_domain_code(catalogue, code), path, retired=False)
    skill = catalogue.skill(code)
    return SkillView(code, skill.name.text(locale), skill.domain_code, path, skill.retired)


def group_by_domain(catalogue: SkillCatalogue, codes: Iterable[str],
                    locale: str) -> tuple[DomainSkills, ...]:
    """Skills grouped by domain, both in the catalogue's order (unknown codes last)."""
    order = {s.code: (d_index, s.position, s.code)
             for d_index, d in enumerate(catalogue.ordered_domains())
             for s in catalogue.skills_of(d.code, include_retired=True)}
    views = [skill_view(catalogue, code, locale)
             for code in sorted(set(codes), key=lambda c: order.get(c, (10**6, 0, c)))]
    domains: dict[str, list[SkillView]] = {}
    for view in views:
        domains.setdefault(view.domain_code, []).append(view)
    grouped = []
    for domain_code, skills in domains.items():
        try:
            name = catalogue.domain(domain_code).name.text(locale)
        except IssuerError:
            name = domain_code
        grouped.append(DomainSkills(domain_code, name, tuple(skills)))
    return tuple(grouped)


def current_skill_catalogue(service: IssuerService) -> SkillCatalogue:
    from issuer.network.skills.service import current_catalogue

    return current_catalogue(service)


