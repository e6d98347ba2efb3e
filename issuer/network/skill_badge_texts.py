"""What a skill badge says of its skills: the framework's name, the OB 3.0 Alignment to a skill
version, and the pieces of its descriptions (a list of skills, the evidence it expects)."""

from __future__ import annotations

from collections.abc import Iterable

from issuer.network.skills import uris
from issuer.network.skills.catalogue import Skill, SkillCatalogue
from issuer.openbadges.badge_definitions import Alignment, LocalizedText


def framework_name(catalogue: SkillCatalogue) -> str:
    """`targetFramework`: the catalogue's French title (credentials are written in French)."""
    return catalogue.framework.title.fr


EVIDENCE_EXPECTED = LocalizedText(
    fr="Elle s'appuie sur des preuves : un court récit de ce que la personne a fait, et si "
       "possible un lien ou un document.",
    en="It relies on evidence: a short account of what the person did and, where possible, "
       "a link or a document.")


def skill_list(skills: Iterable[Skill], locale: str) -> str:
    return "\n".join(f"- **{skill.name.text(locale)}** ({skill.code})" for skill in skills)


def paragraphs(*texts: str) -> str:
    return "\n\n".join(text.strip() for text in texts if text.strip())


def skill_alignment(catalogue: SkillCatalogue, skill: Skill, base_url: str) -> Alignment:
    """The OB 3.0 Alignment to `skill` as `catalogue` (one version) states it."""
    return Alignment(
        target_url=uris.skill_version_uri(base_url, catalogue.version, skill.code),
        target_name=skill.name.fr, target_code=skill.code,
        target_framework=framework_name(catalogue),
        target_description=skill.description.fr or None, target_type="CFItem")
