"""Mediator skill badges, aligned to the skills catalogue (issue #5, item 4).

The coordinator creates a badge for one skill of the catalogue, or for a whole domain; its
name, description and criteria come from the catalogue entry (the criteria can then be
edited). The badges are stored in the database (`skill_badges`) and join the badges of
`badges/` in `IssuerService.catalogue` (`with_skill_badges`), so everything that issues,
publishes, bakes or shows a catalogue badge handles them too: family "skill", OB 3.0
achievementType `Competency`, the artwork of the "Médiateur·rice numérique" badge.

Alignment (OB 3.0 Appendix B.1, `Achievement.alignment`): one `Alignment` per skill, a CASE
item (`CFItem`) whose `targetUrl` is the skill's address *in the catalogue version current when
the credential is issued* (`{base}/competences/versions/<n>/<code>`). A credential keeps
pointing at the version it was issued under; a later credential points at the later version,
and a credential issued again under the same terms (a name choice, an e-mail change, a key
incident) keeps its version's alignments and criteria (`definition_as_granted`).
The skills a badge recognises are fixed when it is created (so that the criteria and the
alignments say the same thing); a skill retired since then is left out of new credentials.

Issued with evidence (issuer.network.evidence): a short narrative, a link, a file.
"""

from __future__ import annotations

import json
import re
import time
import weakref
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any, Literal

from sqlalchemy import func, select
from sqlalchemy.exc import OperationalError, ProgrammingError

from issuer.errors import IssuerError, NotFound
from issuer.issuance.catalogue import Catalogue
from issuer.issuance.issue_requests import IssuedBadge, IssueRequest
from issuer.issuance.publishing import register_publication_extension
from issuer.issuance.service import IssuerService, register_catalogue_extension
from issuer.network import evidence, skill_badge_changes
from issuer.network.skill_badge_texts import (
    EVIDENCE_EXPECTED,
    paragraphs,
    skill_alignment,
    skill_list,
)
from issuer.network.skills import uris
from issuer.network.skills.catalogue import Skill, SkillCatalogue, SkillNotFound
from issuer.network.skills.publishing import skills_documents
from issuer.network.skills.service import catalogue_version, current_catalogue
from issuer.openbadges.badge_definitions import (
    BadgeDefinition,
    CatalogueError,
    LocalizedText,
)
from issuer.storage.audit_log import record_audit
from issuer.storage.models import IssuedCredential, utc_now
from issuer.storage.skill_badge_models import SkillBadgeRow
from issuer.storage.skills_models import SkillCatalogueVersion

SkillBadgeKind = Literal["skill", "domain"]
KINDS: tuple[SkillBadgeKind, ...] = ("skill", "domain")

#: Artwork of every skill badge: the network's "Médiateur·rice numérique" badge (badges/art/).
SKILL_BADGE_IMAGE = "mediateur-numerique.svg"
#: OB 3.0 AchievementType: "measurable or observable knowledge, skill, or ability" (CTDL-ASN).
SKILL_ACHIEVEMENT_TYPE = "Competency"
MAX_CRITERIA_LENGTH = 4000
_SLUG_PREFIX: dict[SkillBadgeKind, str] = {"skill": "competence", "domain": "domaine"}
_CONTROL_CHARACTER = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")  # VERIFICATION.md R8
_VERSION_IN_URI = re.compile(r"/versions/([0-9]+)/")


class SkillBadgeError(IssuerError):
    """A skill badge that cannot be created, changed or issued."""

    code = "skill_badge.invalid"


class SkillBadgeNotFound(NotFound):
    code = "skill_badge.not_found"


@dataclass(frozen=True)
class SkillBadge:
    """A badge the coordinator created from a skill or a domain of the catalogue."""

    slug: str
    kind: SkillBadgeKind
    target_code: str           # the skill's code, or the domain's
    skill_codes: tuple[str, ...]
    name: LocalizedText
    description: LocalizedText
    criteria: LocalizedText
    catalogue_version: int     # the version it was created from
    created_by: str = "cli"
    created_at: datetime | None = None
    updated_at: datetime | None = None


@dataclass(frozen=True)
class SkillEvidence:
    """What the coordinator gives when issuing: each part is optional, one at least."""

    narrative: str | None = None
    link: str | None = None
    link_title: str | None = None
    upload: evidence.EvidenceUpload | None = None
    file_title: str | None = None


@dataclass(frozen=True)
class AlignedSkill:
    """A skill a credential is aligned to, for its public page."""

    code: str
    name: str
    url: str                   # the skill in the version the credential was issued under
    current_url: str           # the skill as it is now
    version: int | None


# --- pure: a badge from a catalogue entry, and the badge definition it stands for -----------


def skill_badge_slug(kind: SkillBadgeKind, code: str) -> str:
    """`competence-acc-01` for skill ACC-01, `domaine-acc` for domain ACC."""
    return f"{_SLUG_PREFIX[kind]}-{code.strip().lower()}"


def draft_for_skill(catalogue: SkillCatalogue, code: str) -> SkillBadge:
    """The badge for one skill, with texts taken from the catalogue."""
    skill = catalogue.skill(code)
    if skill.retired:
        raise SkillBadgeError(f"La compétence {skill.code} est retirée du catalogue.",
                              f"Skill {skill.code} is retired from the catalogue.",
                              code="skill_badge.retired_skill")
    framework = catalogue.framework.title
    description = LocalizedText(
        fr=f"{skill.description.fr}\n\nCompétence {skill.code} du référentiel « {framework.fr} ».",
        en=f"{skill.description.text('en')}\n\nSkill {skill.code} of the framework "
           f"“{framework.text('en')}”.")
    criteria = LocalizedText(
        fr=f"La coordination du réseau délivre ce badge quand elle constate que la personne "
           f"sait : **{skill.name.fr}** ({skill.code}).\n\n{skill.description.fr}\n\n"
           f"{EVIDENCE_EXPECTED.fr}",
        en=f"The network's coordination issues this badge when it observes that the person "
           f"can: **{skill.name.text('en')}** ({skill.code}).\n\n"
           f"{skill.description.text('en')}\n\n{EVIDENCE_EXPECTED.en}")
    return SkillBadge(slug=skill_badge_slug("skill", skill.code), kind="skill",
                      target_code=skill.code, skill_codes=(skill.code,),
                      name=LocalizedText(skill.name.fr, skill.name.text("en")),
                      description=description, criteria=criteria,
                      catalogue_version=catalogue.version)


def draft_for_domain(catalogue: SkillCatalogue, code: str) -> SkillBadge:
    """The badge for every skill of a domain (those not retired now)."""
    domain = catalogue.domain(code)
    skills = catalogue.skills_of(domain.code)
    if domain.retired or not skills:
        raise SkillBadgeError(
            f"Le domaine {domain.code} est retiré ou n'a aucune compétence en cours.",
            f"Domain {domain.code} is retired or has no current skill.",
            code="skill_badge.empty_domain")
    framework = catalogue.framework.title
    description = LocalizedText(
        fr=paragraphs(domain.description.fr,
                       f"Domaine {domain.code} du référentiel « {framework.fr} »."),
        en=paragraphs(domain.description.text("en"),
                       f"Domain {domain.code} of the framework “{framework.text('en')}”."))
    criteria = LocalizedText(
        fr=f"La coordination du réseau délivre ce badge quand elle constate que la personne "
           f"maîtrise les compétences du domaine « {domain.name.fr} » :\n\n"
           + skill_list(skills, "fr") + f"\n\n{EVIDENCE_EXPECTED.fr}",
        en=f"The network's coordination issues this badge when it observes that the person "
           f"masters the skills of the domain “{domain.name.text('en')}”:\n\n"
           + skill_list(skills, "en") + f"\n\n{EVIDENCE_EXPECTED.en}")
    return SkillBadge(slug=skill_badge_slug("domain", domain.code), kind="domain",
                      target_code=domain.code, skill_codes=tuple(s.code for s in skills),
                      name=LocalizedText(domain.name.fr, domain.name.text("en")),
                      description=description, criteria=criteria,
                      catalogue_version=catalogue.version)


def current_skills(badge: SkillBadge, catalogue: SkillCatalogue) -> tuple[Skill, ...]:
    """The badge's skills still in force in `catalogue` (retired ones left out)."""
    found = []
    for code in badge.skill_codes:
        if not catalogue.has_skill(code):
            continue
        skill = catalogue.skill(code)
        domain_retired = any(d.code == skill.domain_code and d.retired for d in catalogue.domains)
        if not skill.retired and not domain_retired:
            found.append(skill)
    return tuple(found)


def badge_definition(badge: SkillBadge, catalogue: SkillCatalogue,
                     base_url: str) -> BadgeDefinition:
    """The catalogue badge a skill badge stands for, aligned to its skills in `catalogue`."""
    return BadgeDefinition(
        slug=badge.slug, family="skill", achievement_type=SKILL_ACHIEVEMENT_TYPE,
        name=badge.name, description=badge.description, criteria=badge.criteria,
        image=SKILL_BADGE_IMAGE,
        tags=("Roubaix", "médiation numérique", "compétence", badge.target_code),
        validity_years=None, roles=(), events=(),
        alignments=tuple(skill_alignment(catalogue, skill, base_url)
                         for skill in current_skills(badge, catalogue)))


def checked_criteria(text: str, language: str) -> str:
    criteria = text.replace("\r\n", "\n").strip()
    names = {"fr": ("français", "French"), "en": ("anglais", "English")}[language]
    if not criteria:
        raise SkillBadgeError(f"Les critères ({names[0]}) sont obligatoires.",
                              f"The criteria ({names[1]}) are required.",
                              code="skill_badge.criteria_required")
    if len(criteria) > MAX_CRITERIA_LENGTH or _CONTROL_CHARACTER.search(criteria):
        raise SkillBadgeError(
            f"Les critères ({names[0]}) dépassent {MAX_CRITERIA_LENGTH} caractères ou "
            "contiennent un caractère de contrôle.",
            f"The criteria ({names[1]}) are longer than {MAX_CRITERIA_LENGTH} characters or "
            "contain a control character.", code="skill_badge.bad_criteria")
    return criteria


# --- the catalogue of the service: badges/ + the skill badges ------------------------------


#: How long the merged catalogue is used before the database is asked again whether a skill
#: badge or a catalogue version was added by another process. A change made in this process
#: is seen at once (`skill_badge_changes`); another worker's within this delay.
RECHECK_SECONDS = 1.0


@dataclass
class _MergedCatalogue:
    base: Catalogue
    key: tuple[Any, ...]          # what the database said: badges, last change, version
    catalogue: Catalogue
    generation: int               # `skill_badge_changes.committed` when it was checked
    checked_at: float


_merged: weakref.WeakKeyDictionary[IssuerService, _MergedCatalogue] = weakref.WeakKeyDictionary()
# The change count's lock guards the merged catalogues too: one lock reads both together.
_merged_lock = skill_badge_changes.lock


def with_skill_badges(service: IssuerService, base: Catalogue) -> Catalogue:
    """`base` (the badges of `badges/`) plus the skill badges stored in the database, aligned
    to the current version of the skills catalogue.

    `IssuerService.catalogue` is read for every badge issued, so this answers from memory: it
    asks the database (one small query) at most every `RECHECK_SECONDS`, or at once after
    this process committed a change to the skill badges or the catalogue, and rebuilds the
    merged catalogue only when the answer changed. Before `issuer init` there is no table and
    so no skill badge."""
    with _merged_lock:
        state = _merged.get(service)
        generation = skill_badge_changes.committed
    now = time.monotonic()
    if state is not None and state.base is base and state.generation == generation \
            and now - state.checked_at < RECHECK_SECONDS:
        return state.catalogue
    try:
        with service.database.session(read_only=True) as session:
            count, updated, version = session.execute(select(
                select(func.count()).select_from(SkillBadgeRow).scalar_subquery(),
                select(func.max(SkillBadgeRow.updated_at)).scalar_subquery(),
                select(func.max(SkillCatalogueVersion.number)).scalar_subquery())).one()
    except (OperationalError, ProgrammingError):  # no table before `issuer init`
        return base
    key = (count, updated, version)
    if state is not None and state.base is base and state.key == key:
        merged = state.catalogue
    elif not count or version is None:  # (skill badges are made from a stored version)
        merged = base
    else:
        skills = stored_version(service, version)
        merged = replace(base, badges=base.badges + tuple(
            badge_definition(badge, skills, service.settings.base_url)
            for badge in list_skill_badges(service) if not _in_catalogue(base, badge.slug)))
    with _merged_lock:
        _merged[service] = _MergedCatalogue(base=base, key=key, catalogue=merged,
                                            generation=generation, checked_at=now)
    return merged


_versions: weakref.WeakKeyDictionary[IssuerService, dict[int, SkillCatalogue]] = \
    weakref.WeakKeyDictionary()


def stored_version(service: IssuerService, number: int) -> SkillCatalogue:
    """Version `number` of the skills catalogue (kept in memory once read: a stored version
    never changes)."""
    with _merged_lock:
        known = _versions.setdefault(service, {}).get(number)
    if known is None:
        known = catalogue_version(service, number)
        with _merged_lock:
            _versions[service][number] = known
    return known


def _in_catalogue(catalogue: Catalogue, slug: str) -> bool:
    return any(badge.slug == slug for badge in catalogue.badges)


# --- stored skill badges ------------------------------------------------------------------


def list_skill_badges(service: IssuerService) -> list[SkillBadge]:
    """Every skill badge, domains first then skills, by code."""
    with service.database.session(read_only=True) as session:
        rows = session.scalars(select(SkillBadgeRow).order_by(SkillBadgeRow.kind,
                                                              SkillBadgeRow.target_code)).all()
        return [_badge(row) for row in rows]


def get_skill_badge(service: IssuerService, slug: str) -> SkillBadge:
    with service.database.session(read_only=True) as session:
        row = session.get(SkillBadgeRow, slug)
        if row is None:
            raise SkillBadgeNotFound(f"Aucun badge de compétence « {slug} ».",
                                     f"No skill badge '{slug}'.")
        return _badge(row)


def create_skill_badge(service: IssuerService, kind: str, code: str, *, actor: str,
                       origin: str | None = None, criteria_fr: str | None = None,
                       criteria_en: str | None = None) -> SkillBadge:
    """Create the badge of a skill (`kind` "skill") or of a domain ("domain") from the current
    catalogue; the criteria default to the catalogue's texts. One badge per skill or domain."""
    if kind not in KINDS:
        raise SkillBadgeError(f"Type de badge inconnu : « {kind} ».", f"Unknown badge kind: '{kind}'.",
                              code="skill_badge.unknown_kind")
    catalogue = current_catalogue(service)
    try:
        draft = draft_for_skill(catalogue, code) if kind == "skill" else \
            draft_for_domain(catalogue, code)
    except SkillNotFound as missing:
        raise SkillBadgeError(missing.message_fr, missing.message_en,
                              code="skill_badge.unknown_target") from missing
    draft = replace(draft, criteria=LocalizedText(
        fr=checked_criteria(criteria_fr or draft.criteria.fr, "fr"),
        en=checked_criteria(criteria_en or draft.criteria.en, "en")))
    with service.database.session() as session:
        # One badge per skill or domain; and never the slug of a badge of badges/.
        if session.get(SkillBadgeRow, draft.slug) is not None \
                or _in_catalogue(service.catalogue, draft.slug):
            raise SkillBadgeError(
                f"Le badge « {draft.slug} » existe déjà.",
                f"The badge '{draft.slug}' already exists.", code="skill_badge.exists")
        now = utc_now()
        session.add(SkillBadgeRow(
            slug=draft.slug, kind=draft.kind, target_code=draft.target_code,
            skill_codes_json=json.dumps(list(draft.skill_codes)),
            name_fr=draft.name.fr, name_en=draft.name.en,
            description_fr=draft.description.fr, description_en=draft.description.en,
            criteria_fr=draft.criteria.fr, criteria_en=draft.criteria.en,
            catalogue_version=draft.catalogue_version, created_by=actor, created_at=now,
            updated_at=now))
        record_audit(session, actor=actor, action="skill_badge.created", subject=draft.slug,
                     details={"kind": draft.kind, "code": draft.target_code,
                              "skills": list(draft.skill_codes),
                              "version": draft.catalogue_version}, origin=origin)
    return replace(draft, created_by=actor, created_at=now, updated_at=now)


def update_criteria(service: IssuerService, slug: str, *, criteria_fr: str, criteria_en: str,
                    actor: str, origin: str | None = None) -> SkillBadge:
    """Change a badge's criteria; credentials issued before keep the criteria they carry."""
    fr, en = checked_criteria(criteria_fr, "fr"), checked_criteria(criteria_en, "en")
    with service.database.session() as session:
        row = session.get(SkillBadgeRow, slug)
        if row is None:
            raise SkillBadgeNotFound(f"Aucun badge de compétence « {slug} ».",
                                     f"No skill badge '{slug}'.")
        if (row.criteria_fr, row.criteria_en) == (fr, en):
            return _badge(row)
        row.criteria_fr, row.criteria_en, row.updated_at = fr, en, utc_now()
        record_audit(session, actor=actor, action="skill_badge.criteria_edited", subject=slug,
                     origin=origin)
        return _badge(row)


def issued_counts(service: IssuerService) -> dict[str, int]:
    """Credentials issued per skill badge (revoked ones included)."""
    with service.database.session(read_only=True) as session:
        rows = session.execute(
            select(IssuedCredential.badge_slug, func.count())
            .join(SkillBadgeRow, SkillBadgeRow.slug == IssuedCredential.badge_slug)
            .group_by(IssuedCredential.badge_slug)).all()
    return dict(rows)


def _badge(row: SkillBadgeRow) -> SkillBadge:
    return SkillBadge(
        slug=row.slug, kind="domain" if row.kind == "domain" else "skill",
        target_code=row.target_code, skill_codes=tuple(json.loads(row.skill_codes_json)),
        name=LocalizedText(row.name_fr, row.name_en),
        description=LocalizedText(row.description_fr, row.description_en),
        criteria=LocalizedText(row.criteria_fr, row.criteria_en),
        catalogue_version=row.catalogue_version, created_by=row.created_by,
        created_at=row.created_at, updated_at=row.updated_at)


# --- issuing with evidence ----------------------------------------------------------------


def evidence_entries(base_url: str, given: SkillEvidence,
                     file: evidence.EvidenceFile | None) -> tuple[dict[str, Any], ...]:
    """The OB 3.0 `Evidence` objects of a skill badge: narrative, link, file, in that order."""
    entries: list[dict[str, Any]] = []
    narrative = evidence.checked_narrative(given.narrative)
    if narrative:
        entries.append(evidence.narrative_evidence(narrative))
    link = evidence.checked_link(given.link)
    if link:
        entries.append(evidence.link_evidence(
            link, evidence.checked_title(given.link_title)))
    if file is not None:
        entries.append(evidence.file_evidence(
            base_url, file, evidence.checked_title(given.file_title)))
    return tuple(entries)


def issue_skill_badge(service: IssuerService, slug: str, *, email: str, name: str | None,
                      given: SkillEvidence, show_name: bool = False, actor: str,
                      origin: str | None = None, send_email: bool = True,
                      now: datetime | None = None) -> IssuedBadge:
    """Issue a skill badge to a mediator with evidence (one part at least), aligned to the
    current catalogue version. Idempotent like every issuance: a person holds a skill badge
    once; asking again returns the first credential (`created` False) and keeps no new file.
    `send_email` queues the delivery e-mail in the same transaction (send it with
    `issuer.mail.deliver_pending` after this returns)."""
    badge = get_skill_badge(service, slug)
    definition = service.catalogue.badge(badge.slug)
    if not definition.alignments:
        raise SkillBadgeError(
            "Les compétences de ce badge sont toutes retirées du catalogue : il ne peut plus "
            "être délivré.", "Every skill of this badge is retired from the catalogue: it can "
            "no longer be issued.", code="skill_badge.retired_skill")
    # Check every text before a file is written.
    evidence_entries(service.settings.base_url, given, None)
    evidence.checked_title(given.file_title)
    if given.upload is None and not (given.narrative or "").strip() \
            and not (given.link or "").strip():
        raise evidence.EvidenceRefused(
            "Donnez au moins une preuve : un récit, un lien ou un fichier.",
            "Give at least one piece of evidence: a narrative, a link or a file.",
            code="evidence.required")
    file = None
    if given.upload is not None:
        file = evidence.write_evidence_file(service.settings, given.upload)
    try:
        request = IssueRequest(badge_slug=badge.slug, email=email, name=name,
                               show_name=show_name,
                               evidence=evidence_entries(service.settings.base_url, given, file))
        with service.database.session() as session:
            issued = service.issue_in_session(session, request, actor=actor, origin=origin,
                                              now=now)
            if issued.created:
                if file is not None:
                    evidence.record_evidence_file(
                        session, file, credential_id=issued.credential_id, actor=actor)
                record_audit(session, actor=actor, action="skill_badge.issued",
                             subject=issued.credential_id, origin=origin, details={
                                 "badge": badge.slug,
                                 "skills": [a.target_code for a in definition.alignments],
                                 "evidence": _evidence_kinds(given, file),
                                 "file": file.id if file else None})
                if send_email:
                    from issuer.mail import queue_badge_email

                    queue_badge_email(service, session, issued.credential_id, actor=actor,
                                      origin=origin)
    except BaseException:
        if file is not None:
            evidence.discard_evidence_file(service.settings, file)
        raise
    if not issued.created and file is not None:
        evidence.discard_evidence_file(service.settings, file)
    return issued


def _evidence_kinds(given: SkillEvidence, file: evidence.EvidenceFile | None) -> list[str]:
    kinds = []
    if (given.narrative or "").strip():
        kinds.append("narrative")
    if (given.link or "").strip():
        kinds.append("link")
    if file is not None:
        kinds.append("file")
    return kinds


# --- reading a credential's alignments (its public page) ----------------------------------


def aligned_skills(service: IssuerService, credential: dict[str, Any],
                   locale: str = "fr") -> list[AlignedSkill]:
    """The skills of our catalogue a credential is aligned to, named in `locale` as the
    version it points at names them (the credential itself is in French)."""
    achievement = credential.get("credentialSubject", {}).get("achievement", {})
    alignments = achievement.get("alignment") if isinstance(achievement, dict) else None
    if not isinstance(alignments, list):
        return []
    base_url = service.settings.base_url
    found: list[AlignedSkill] = []
    for alignment in alignments:
        if not isinstance(alignment, dict):
            continue
        url, code = alignment.get("targetUrl"), alignment.get("targetCode")
        if not isinstance(url, str) or not isinstance(code, str):
            continue
        match = _VERSION_IN_URI.search(url)
        version = int(match.group(1)) if match else None
        if version is None or uris.skill_version_uri(base_url, version, code) != url:
            continue  # not an entry of our catalogue
        found.append(AlignedSkill(
            code=code, name=_skill_name(service, version, code, locale)
            or str(alignment.get("targetName", code)),
            url=url, current_url=uris.skill_uri(base_url, code), version=version))
    return found


def _skill_name(service: IssuerService, version: int, code: str, locale: str) -> str | None:
    if not locale.startswith("en"):
        return None  # the French name is the credential's own targetName
    try:
        return stored_version(service, version).skill(code).name.text(locale)
    except (SkillNotFound, CatalogueError):
        return None


# --- a skill badge issued again under the same terms (issuer.workspace.reissue) -----------


def definition_as_granted(service: IssuerService, slug: str,
                          credential: dict[str, Any]) -> BadgeDefinition | None:
    """The skill badge `slug` as `credential` (one of ours) states it, for a re-issue under
    the same terms: aligned to the skills of the catalogue *version it points at* (not the
    current one: a later version may have renamed, described or retired a skill), with the
    criteria it carries (the coordinator may have edited them since). None when `slug` is no
    skill badge of the network or the credential names no single version of our catalogue
    (then the badge as it stands now is issued)."""
    try:
        badge = get_skill_badge(service, slug)
    except SkillBadgeNotFound:
        return None
    versions = {skill.version for skill in aligned_skills(service, credential)}
    if len(versions) != 1 or None in versions:
        return None
    (version,) = versions
    assert version is not None
    try:
        skills = stored_version(service, version)
    except SkillNotFound:
        return None
    definition = badge_definition(badge, skills, service.settings.base_url)
    achievement = credential.get("credentialSubject", {}).get("achievement", {})
    criteria = achievement.get("criteria") if isinstance(achievement, dict) else None
    narrative = criteria.get("narrative") if isinstance(criteria, dict) else None
    if isinstance(narrative, str) and narrative.strip() != definition.criteria.fr.strip():
        definition = replace(definition, criteria=LocalizedText(
            fr=narrative, en=definition.criteria.en))
    return definition


register_catalogue_extension(with_skill_badges)

# The skills catalogue's documents, which skill badges align to, and the evidence files they
# cite, in `issuer publish`.
register_publication_extension(skills_documents)
register_publication_extension(evidence.evidence_documents)
