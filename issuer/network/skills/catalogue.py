"""The skills catalogue of the mediator network as plain data (issue #5, item 1): domains,
skills, level descriptors and crosswalks, read from `badges/skills.yaml` or from a stored
version's snapshot.

Pure: no database, no web. `SkillCatalogue.to_snapshot()` / `from_snapshot()` give the JSON
kept with every version, so that `catalogue_version(n)` returns the catalogue exactly as it was
(a badge keeps pointing at the version it was issued under).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Literal, cast, get_args

import yaml

from issuer.errors import IssuerError, NotFound
from issuer.issuance.catalogue import SKILLS_CATALOGUE_FILE, default_catalogue_dir

#: How a skill relates to an entry of another framework: the CASE 1.1 association types
#: (CFAssociation.associationType) that say "same as" and "related to".
CrosswalkRelation = Literal["exactMatchOf", "isRelatedTo"]
CROSSWALK_RELATIONS: tuple[str, ...] = get_args(CrosswalkRelation)

#: A domain code: 2–8 capital letters or digits, starting with a letter (e.g. "ACC").
DOMAIN_CODE = re.compile(r"[A-Z][A-Z0-9]{1,7}")
#: A skill code: its domain's code, a hyphen, two or three digits (e.g. "ACC-01").
SKILL_CODE = re.compile(r"([A-Z][A-Z0-9]{1,7})-([0-9]{2,3})")
_CONTROL_CHARACTER = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")  # VERIFICATION.md R8
_URI = re.compile(r"https?://[^\s<>\"{}|\\^`]+")
MAX_NAME_LENGTH = 200
MAX_DESCRIPTION_LENGTH = 4000


class SkillCatalogueError(IssuerError):
    """A skill, a domain or a catalogue file that cannot be accepted (bad code, missing name,
    duplicate...)."""

    code = "skills.invalid"


class SkillNotFound(NotFound):
    code = "skills.not_found"


@dataclass(frozen=True)
class Bilingual:
    """A text in French (first: the public pages are French) and English."""

    fr: str
    en: str

    def text(self, locale: str = "fr") -> str:
        return self.en if locale.startswith("en") and self.en else self.fr

    def to_json(self) -> dict[str, str]:
        return {"fr": self.fr, "en": self.en}


@dataclass(frozen=True)
class LevelDescriptor:
    """One level of mastery of a skill (e.g. 1 découverte / 2 autonomie / 3 transmission)."""

    level: int
    name: Bilingual
    description: Bilingual


@dataclass(frozen=True)
class Crosswalk:
    """A link to an entry of a public framework (DigComp 2.2, CRCN/Pix, ESCO), as a plain URI."""

    uri: str
    framework: str  # a short label: "DigComp 2.2", "CRCN", "ESCO"...
    relation: CrosswalkRelation = "isRelatedTo"


@dataclass(frozen=True)
class Skill:
    code: str
    domain_code: str
    name: Bilingual
    description: Bilingual
    position: int = 0
    levels: tuple[LevelDescriptor, ...] = ()
    crosswalks: tuple[Crosswalk, ...] = ()
    retired_at: dt.datetime | None = None

    @property
    def retired(self) -> bool:
        return self.retired_at is not None


@dataclass(frozen=True)
class SkillDomain:
    code: str
    name: Bilingual
    description: Bilingual
    position: int = 0
    crosswalks: tuple[Crosswalk, ...] = ()
    retired_at: dt.datetime | None = None

    @property
    def retired(self) -> bool:
        return self.retired_at is not None


@dataclass(frozen=True)
class FrameworkInfo:
    """What the catalogue says about itself (title, publisher, default level scale)."""

    title: Bilingual
    description: Bilingual
    publisher: str
    language: str = "fr"
    levels: tuple[LevelDescriptor, ...] = ()


@dataclass(frozen=True)
class SkillCatalogue:
    """One version of the catalogue. `version` is 0 for a catalogue not stored yet (the seed)."""

    framework: FrameworkInfo
    domains: tuple[SkillDomain, ...]
    skills: tuple[Skill, ...]
    version: int = 0
    created_at: dt.datetime | None = None
    _skill_index: dict[str, Skill] = field(default_factory=dict, init=False, repr=False,
                                           compare=False)

    def __post_init__(self) -> None:
        check_catalogue(self)
        self._skill_index.update({skill.code: skill for skill in self.skills})

    # -- look-ups ----------------------------------------------------------------------------
    def skill(self, code: str) -> Skill:
        """The skill with this code, retired or not; SkillNotFound otherwise."""
        found = self._skill_index.get(code.strip().upper())
        if found is None:
            raise SkillNotFound(f"Aucune compétence « {code} » dans le catalogue.",
                                f"No skill '{code}' in the catalogue.")
        return found

    def domain(self, code: str) -> SkillDomain:
        wanted = code.strip().upper()
        for domain in self.domains:
            if domain.code == wanted:
                return domain
        raise SkillNotFound(f"Aucun domaine « {code} » dans le catalogue.",
                            f"No domain '{code}' in the catalogue.")

    def has_skill(self, code: str) -> bool:
        return code.strip().upper() in self._skill_index

    def skills_of(self, domain_code: str, *, include_retired: bool = False) -> tuple[Skill, ...]:
        """A domain's skills in their display order."""
        found = [s for s in self.skills if s.domain_code == domain_code
                 and (include_retired or not s.retired)]
        return tuple(sorted(found, key=lambda s: (s.position, s.code)))

    def active_domains(self) -> tuple[SkillDomain, ...]:
        return tuple(d for d in self.ordered_domains() if not d.retired)

    def active_skills(self) -> tuple[Skill, ...]:
        return tuple(s for d in self.active_domains() for s in self.skills_of(d.code))

    def ordered_domains(self) -> tuple[SkillDomain, ...]:
        return tuple(sorted(self.domains, key=lambda d: (d.position, d.code)))

    def levels_of(self, skill: Skill) -> tuple[LevelDescriptor, ...]:
        """The skill's own level descriptors, else the catalogue's scale."""
        return skill.levels or self.framework.levels

    # -- snapshot (stored with each version) -------------------------------------------------
    def to_snapshot(self) -> dict[str, Any]:
        return {
            "framework": {
                "title": self.framework.title.to_json(),
                "description": self.framework.description.to_json(),
                "publisher": self.framework.publisher,
                "language": self.framework.language,
                "levels": [_level_json(level) for level in self.framework.levels],
            },
            "domains": [
                {"code": d.code, "name": d.name.to_json(), "description": d.description.to_json(),
                 "position": d.position, "crosswalks": [_crosswalk_json(c) for c in d.crosswalks],
                 "retired_at": _time_json(d.retired_at)}
                for d in self.ordered_domains()
            ],
            "skills": [
                {"code": s.code, "domain": s.domain_code, "name": s.name.to_json(),
                 "description": s.description.to_json(), "position": s.position,
                 "levels": [_level_json(level) for level in s.levels],
                 "crosswalks": [_crosswalk_json(c) for c in s.crosswalks],
                 "retired_at": _time_json(s.retired_at)}
                for d in self.ordered_domains() for s in self.skills_of(d.code, include_retired=True)
            ],
        }

    @classmethod
    def from_snapshot(cls, snapshot: Mapping[str, Any], *, version: int = 0,
                      created_at: dt.datetime | None = None) -> SkillCatalogue:
        framework = snapshot["framework"]
        return cls(
            framework=FrameworkInfo(
                title=_bilingual(framework["title"]),
                description=_bilingual(framework["description"]),
                publisher=framework["publisher"], language=framework.get("language", "fr"),
                levels=tuple(_level(raw) for raw in framework.get("levels", ()))),
            domains=tuple(
                SkillDomain(code=d["code"], name=_bilingual(d["name"]),
                            description=_bilingual(d["description"]), position=d["position"],
                            crosswalks=tuple(_crosswalk(c) for c in d.get("crosswalks", ())),
                            retired_at=_time(d.get("retired_at")))
                for d in snapshot["domains"]),
            skills=tuple(
                Skill(code=s["code"], domain_code=s["domain"], name=_bilingual(s["name"]),
                      description=_bilingual(s["description"]), position=s["position"],
                      levels=tuple(_level(raw) for raw in s.get("levels", ())),
                      crosswalks=tuple(_crosswalk(c) for c in s.get("crosswalks", ())),
                      retired_at=_time(s.get("retired_at")))
                for s in snapshot["skills"]),
            version=version, created_at=created_at,
        )

    def with_version(self, version: int, created_at: dt.datetime) -> SkillCatalogue:
        return replace(self, version=version, created_at=created_at)


# --- checks -------------------------------------------------------------------------------


def check_code(code: str, *, skill: bool) -> str:
    """A normalised (upper-case) domain or skill code; SkillCatalogueError if malformed."""
    normalised = code.strip().upper()
    pattern = SKILL_CODE if skill else DOMAIN_CODE
    if not pattern.fullmatch(normalised):
        example = "ACC-01" if skill else "ACC"
        kind_fr, kind_en = ("compétence", "skill") if skill else ("domaine", "domain")
        raise SkillCatalogueError(
            f"Le code de {kind_fr} « {code} » n'a pas la bonne forme (exemple : {example}).",
            f"The {kind_en} code '{code}' is malformed (example: {example}).",
            code="skills.bad_code")
    return normalised


def check_text(value: Bilingual, what_fr: str, what_en: str, *, limit: int,
               required: bool = True) -> None:
    for language, text in (("fr", value.fr), ("en", value.en)):
        # French is required (the public pages are French first); English falls back to it.
        if required and language == "fr" and not text.strip():
            raise SkillCatalogueError(
                f"{what_fr} ({language}) est obligatoire.", f"{what_en} ({language}) is required.",
                code="skills.missing_text")
        if len(text) > limit:
            raise SkillCatalogueError(
                f"{what_fr} ({language}) dépasse {limit} caractères.",
                f"{what_en} ({language}) is longer than {limit} characters.",
                code="skills.text_too_long")
        if _CONTROL_CHARACTER.search(text):
            raise SkillCatalogueError(
                f"{what_fr} ({language}) contient un caractère de contrôle.",
                f"{what_en} ({language}) contains a control character.",
                code="skills.control_character")


def check_crosswalk(crosswalk: Crosswalk) -> None:
    if not _URI.fullmatch(crosswalk.uri):
        raise SkillCatalogueError(
            f"Le lien vers un référentiel « {crosswalk.uri} » n'est pas une adresse http(s).",
            f"The framework link '{crosswalk.uri}' is not an http(s) address.",
            code="skills.bad_crosswalk")
    if crosswalk.relation not in CROSSWALK_RELATIONS:
        raise SkillCatalogueError(
            f"Relation inconnue « {crosswalk.relation} » (exactMatchOf ou isRelatedTo).",
            f"Unknown relation '{crosswalk.relation}' (exactMatchOf or isRelatedTo).",
            code="skills.bad_crosswalk")


def check_catalogue(catalogue: SkillCatalogue) -> None:
    """Every rule a version must keep: well-formed unique codes, texts present, each skill in
    a known domain whose code it starts with."""
    domain_codes: set[str] = set()
    for domain in catalogue.domains:
        if check_code(domain.code, skill=False) != domain.code or domain.code in domain_codes:
            raise SkillCatalogueError(f"Domaine « {domain.code} » en double ou mal écrit.",
                                      f"Domain '{domain.code}' is duplicated or malformed.",
                                      code="skills.duplicate_code")
        domain_codes.add(domain.code)
        check_text(domain.name, "Le nom du domaine", "The domain name", limit=MAX_NAME_LENGTH)
        check_text(domain.description, "La description du domaine", "The domain description",
                   limit=MAX_DESCRIPTION_LENGTH, required=False)
        for crosswalk in domain.crosswalks:
            check_crosswalk(crosswalk)
    skill_codes: set[str] = set()
    for skill in catalogue.skills:
        if check_code(skill.code, skill=True) != skill.code or skill.code in skill_codes:
            raise SkillCatalogueError(f"Compétence « {skill.code} » en double ou mal écrite.",
                                      f"Skill '{skill.code}' is duplicated or malformed.",
                                      code="skills.duplicate_code")
        skill_codes.add(skill.code)
        if skill.domain_code not in domain_codes:
            raise SkillCatalogueError(
                f"La compétence « {skill.code} » est rangée dans un domaine inconnu "
                f"« {skill.domain_code} ».",
                f"Skill '{skill.code}' belongs to an unknown domain '{skill.domain_code}'.",
                code="skills.unknown_domain")
        check_text(skill.name, f"Le nom de {skill.code}", f"The name of {skill.code}",
                   limit=MAX_NAME_LENGTH)
        check_text(skill.description, f"La description de {skill.code}",
                   f"The description of {skill.code}", limit=MAX_DESCRIPTION_LENGTH)
        for crosswalk in skill.crosswalks:
            check_crosswalk(crosswalk)


# --- reading the seed YAML ----------------------------------------------------------------


def default_seed_path() -> Path:
    return default_catalogue_dir() / SKILLS_CATALOGUE_FILE


def load_skill_catalogue(path: Path | None = None) -> SkillCatalogue:
    """Read the seed catalogue (default `badges/skills.yaml`); SkillCatalogueError naming the
    file and the entry at fault."""
    path = path or default_seed_path()
    try:
        document = yaml.safe_load(path.read_text(encoding="utf-8"))
        return _catalogue_from_yaml(document)
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise SkillCatalogueError(f"{path} : fichier illisible ou YAML invalide ({exc}).",
                                  f"{path}: unreadable file or invalid YAML ({exc}).",
                                  code="skills.invalid_yaml") from exc
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise SkillCatalogueError(f"{path} : entrée manquante ou mal formée ({exc!r}).",
                                  f"{path}: missing or malformed entry ({exc!r}).",
                                  code="skills.invalid_yaml") from exc
    except SkillCatalogueError as exc:
        raise SkillCatalogueError(f"{path} : {exc.message_fr}", f"{path}: {exc.message_en}",
                                  code=exc.code) from exc


def _catalogue_from_yaml(document: Mapping[str, Any]) -> SkillCatalogue:
    framework = document["framework"]
    domains: list[SkillDomain] = []
    skills: list[Skill] = []
    for d_position, raw_domain in enumerate(document["domains"]):
        domain_code = str(raw_domain["code"])
        domains.append(SkillDomain(
            code=domain_code, name=_bilingual(raw_domain["name"]),
            description=_bilingual(raw_domain.get("description")), position=d_position,
            crosswalks=tuple(_crosswalk(c) for c in raw_domain.get("crosswalks") or ())))
        for s_position, raw_skill in enumerate(raw_domain.get("skills") or ()):
            skills.append(Skill(
                code=str(raw_skill["code"]), domain_code=domain_code,
                name=_bilingual(raw_skill["name"]),
                description=_bilingual(raw_skill["description"]), position=s_position,
                levels=tuple(_level(raw) for raw in raw_skill.get("levels") or ()),
                crosswalks=tuple(_crosswalk(c) for c in raw_skill.get("crosswalks") or ())))
    return SkillCatalogue(
        framework=FrameworkInfo(
            title=_bilingual(framework["title"]),
            description=_bilingual(framework.get("description")),
            publisher=str(framework["publisher"]), language=str(framework.get("language", "fr")),
            levels=tuple(_level(raw) for raw in framework.get("levels") or ())),
        domains=tuple(domains), skills=tuple(skills))


# --- JSON helpers -------------------------------------------------------------------------


def _bilingual(raw: Any) -> Bilingual:
    if raw is None:
        return Bilingual("", "")
    if isinstance(raw, str):
        return Bilingual(raw.strip(), "")
    mapping = cast(Mapping[str, Any], raw)
    return Bilingual(str(mapping.get("fr") or "").strip(), str(mapping.get("en") or "").strip())


def _level(raw: Mapping[str, Any]) -> LevelDescriptor:
    return LevelDescriptor(level=int(raw["level"]), name=_bilingual(raw["name"]),
                           description=_bilingual(raw.get("description")))


def _level_json(level: LevelDescriptor) -> dict[str, Any]:
    return {"level": level.level, "name": level.name.to_json(),
            "description": level.description.to_json()}


def _crosswalk(raw: Mapping[str, Any]) -> Crosswalk:
    relation = str(raw.get("relation", "isRelatedTo"))
    return Crosswalk(uri=str(raw["uri"]), framework=str(raw.get("framework", "")),
                     relation=cast(CrosswalkRelation, relation))


def _crosswalk_json(crosswalk: Crosswalk) -> dict[str, str]:
    return {"uri": crosswalk.uri, "framework": crosswalk.framework, "relation": crosswalk.relation}


def _time(raw: str | None) -> dt.datetime | None:
    return None if raw is None else dt.datetime.fromisoformat(raw)


def _time_json(value: dt.datetime | None) -> str | None:
    return None if value is None else value.isoformat()
