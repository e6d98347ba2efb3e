"""The coordinator's changes to the catalogue, as pure functions: each takes a catalogue and
returns the next one (issue #5, item 2). `issuer.network.skills.service` stores the result as a new
version; nothing here touches the database.

Codes never change and nothing is deleted: a retired skill or domain keeps its entry (its
public address must keep resolving, marked retired), and can be reinstated.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field, replace

from issuer.network.skills.catalogue import (
    Bilingual,
    Crosswalk,
    LevelDescriptor,
    Skill,
    SkillCatalogue,
    SkillCatalogueError,
    SkillDomain,
    check_code,
)


@dataclass(frozen=True)
class DomainDraft:
    """What the coordinator types for a domain."""

    code: str
    name: Bilingual
    description: Bilingual = field(default_factory=lambda: Bilingual("", ""))
    crosswalks: tuple[Crosswalk, ...] = ()


@dataclass(frozen=True)
class SkillDraft:
    """What the coordinator types for a skill. `levels` empty: the catalogue's scale applies."""

    code: str
    domain_code: str
    name: Bilingual
    description: Bilingual
    levels: tuple[LevelDescriptor, ...] = ()
    crosswalks: tuple[Crosswalk, ...] = ()


def add_domain(catalogue: SkillCatalogue, draft: DomainDraft) -> SkillCatalogue:
    code = check_code(draft.code, skill=False)
    if any(d.code == code for d in catalogue.domains):
        raise _taken(code)
    domain = SkillDomain(code=code, name=draft.name, description=draft.description,
                         position=_next_position(d.position for d in catalogue.domains),
                         crosswalks=draft.crosswalks)
    return replace(catalogue, domains=(*catalogue.domains, domain))


def edit_domain(catalogue: SkillCatalogue, code: str, draft: DomainDraft) -> SkillCatalogue:
    current = catalogue.domain(code)
    updated = replace(current, name=draft.name, description=draft.description,
                      crosswalks=draft.crosswalks)
    return _with_domain(catalogue, updated)


def retire_domain(catalogue: SkillCatalogue, code: str, at: dt.datetime) -> SkillCatalogue:
    """Retire a domain and, with it, every skill of it still in use (a retired domain holds
    no active skill)."""
    domain = catalogue.domain(code)
    if domain.retired:
        raise _already_retired(domain.code)
    skills = tuple(replace(s, retired_at=at) if s.domain_code == domain.code and not s.retired
                   else s for s in catalogue.skills)
    return replace(_with_domain(catalogue, replace(domain, retired_at=at)), skills=skills)


def reinstate_domain(catalogue: SkillCatalogue, code: str) -> SkillCatalogue:
    """Bring a retired domain back (its skills stay retired until reinstated one by one)."""
    domain = catalogue.domain(code)
    if not domain.retired:
        raise _not_retired(domain.code)
    return _with_domain(catalogue, replace(domain, retired_at=None))


def move_domain(catalogue: SkillCatalogue, code: str, offset: int) -> SkillCatalogue:
    """Move a domain up (offset < 0) or down (offset > 0) in the display order."""
    ordered = list(catalogue.ordered_domains())
    moved = _moved([d.code for d in ordered], catalogue.domain(code).code, offset)
    by_code = {d.code: d for d in ordered}
    return replace(catalogue, domains=tuple(
        replace(by_code[c], position=i) for i, c in enumerate(moved)))


def add_skill(catalogue: SkillCatalogue, draft: SkillDraft) -> SkillCatalogue:
    code = check_code(draft.code, skill=True)
    if catalogue.has_skill(code):
        raise _taken(code)
    domain = _open_domain(catalogue, draft.domain_code)
    siblings = catalogue.skills_of(domain.code, include_retired=True)
    skill = Skill(code=code, domain_code=domain.code, name=draft.name,
                  description=draft.description,
                  position=_next_position(s.position for s in siblings),
                  levels=_sorted_levels(draft.levels), crosswalks=draft.crosswalks)
    return replace(catalogue, skills=(*catalogue.skills, skill))


def edit_skill(catalogue: SkillCatalogue, code: str, draft: SkillDraft) -> SkillCatalogue:
    """Change a skill's texts, levels, crosswalks, or move it to another domain (its code, and
    so its address, stays)."""
    current = catalogue.skill(code)
    position = current.position
    if draft.domain_code.strip().upper() != current.domain_code:
        domain = _open_domain(catalogue, draft.domain_code)
        position = _next_position(
            s.position for s in catalogue.skills_of(domain.code, include_retired=True))
    else:
        domain = catalogue.domain(current.domain_code)
    updated = replace(current, domain_code=domain.code, name=draft.name,
                      description=draft.description, position=position,
                      levels=_sorted_levels(draft.levels), crosswalks=draft.crosswalks)
    return _with_skill(catalogue, updated)


def retire_skill(catalogue: SkillCatalogue, code: str, at: dt.datetime) -> SkillCatalogue:
    skill = catalogue.skill(code)
    if skill.retired:
        raise _already_retired(skill.code)
    return _with_skill(catalogue, replace(skill, retired_at=at))


def reinstate_skill(catalogue: SkillCatalogue, code: str) -> SkillCatalogue:
    skill = catalogue.skill(code)
    if not skill.retired:
        raise _not_retired(skill.code)
    _open_domain(catalogue, skill.domain_code)
    return _with_skill(catalogue, replace(skill, retired_at=None))


def move_skill(catalogue: SkillCatalogue, code: str, offset: int) -> SkillCatalogue:
    """Move a skill up (offset < 0) or down (offset > 0) within its domain."""
    skill = catalogue.skill(code)
    siblings = catalogue.skills_of(skill.domain_code, include_retired=True)
    moved = _moved([s.code for s in siblings], skill.code, offset)
    positions = {c: i for i, c in enumerate(moved)}
    return replace(catalogue, skills=tuple(
        replace(s, position=positions[s.code]) if s.code in positions else s
        for s in catalogue.skills))


# --- helpers ------------------------------------------------------------------------------


def _with_domain(catalogue: SkillCatalogue, domain: SkillDomain) -> SkillCatalogue:
    return replace(catalogue, domains=tuple(
        domain if d.code == domain.code else d for d in catalogue.domains))


def _with_skill(catalogue: SkillCatalogue, skill: Skill) -> SkillCatalogue:
    return replace(catalogue, skills=tuple(
        skill if s.code == skill.code else s for s in catalogue.skills))


def _open_domain(catalogue: SkillCatalogue, code: str) -> SkillDomain:
    domain = catalogue.domain(code)
    if domain.retired:
        raise SkillCatalogueError(
            f"Le domaine « {domain.code} » est retiré : on ne peut pas y ranger de compétence.",
            f"Domain '{domain.code}' is retired: no skill can be placed in it.",
            code="skills.domain_retired")
    return domain


def _next_position(positions: Iterable[int]) -> int:
    return max(positions, default=-1) + 1


def _moved(codes: list[str], code: str, offset: int) -> list[str]:
    index = codes.index(code)
    target = min(max(index + offset, 0), len(codes) - 1)
    codes.insert(target, codes.pop(index))
    return codes


def _sorted_levels(levels: tuple[LevelDescriptor, ...]) -> tuple[LevelDescriptor, ...]:
    numbers = [level.level for level in levels]
    if len(set(numbers)) != len(numbers) or any(n < 1 for n in numbers):
        raise SkillCatalogueError(
            "Chaque niveau doit avoir un numéro différent, à partir de 1.",
            "Each level needs a different number, starting at 1.", code="skills.bad_levels")
    return tuple(sorted(levels, key=lambda level: level.level))


def _taken(code: str) -> SkillCatalogueError:
    return SkillCatalogueError(
        f"Le code « {code} » existe déjà (un code n'est jamais réutilisé, même retiré).",
        f"Code '{code}' already exists (a code is never reused, even once retired).",
        code="skills.code_taken")


def _already_retired(code: str) -> SkillCatalogueError:
    return SkillCatalogueError(f"« {code} » est déjà retiré.", f"'{code}' is already retired.",
                               code="skills.already_retired")


def _not_retired(code: str) -> SkillCatalogueError:
    return SkillCatalogueError(f"« {code} » n'est pas retiré.", f"'{code}' is not retired.",
                               code="skills.not_retired")
