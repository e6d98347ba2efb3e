"""The catalogue as a 1EdTech CASE 1.1 package, and a CASE package read back into the catalogue
(issue #5, item 3).

Export (`build_case_package`): one `CFPackage` holding the `CFDocument`, the `CFItems` and the
`CFAssociations` (CASE 1.1 Information Model, §7.1.21–7.1.25):
- each domain and skill is a French `CFItem` (`CFItemType` "Domaine" / "Compétence",
  `humanCodingScheme` = its code, `abbreviatedStatement` = its name, `fullStatement` = its
  description, `statusEndDate` = the day it was retired);
- its English text is a second `CFItem` (`language` "en") linked by `isTranslationOf`;
- the structure is `isChildOf` (domain → document, skill → domain), ordered by
  `sequenceNumber`; level descriptors are `CFItem`s ("Niveau") reached by `hasSkillLevel`;
- crosswalks are `exactMatchOf` / `isRelatedTo` associations whose destination is the public
  framework's URI (`targetType` "ext:Framework": not a CASE framework, §7.1.35.4).
Identifiers are UUIDs derived from the codes (uuid5 under a fixed namespace), so the same entry
keeps the same identifier in every export, whatever the site's address.

Import (`read_case_package` then `merge_case_package`): the package is first checked against
the CFPackage JSON Schema (issuer/openbadges/schemas/case_v1p1_cfpackage_schema.json), then read back into
domains and skills; malformed packages are refused with the path of the fault. Pure: no
database, no web.
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from functools import cache
from importlib import resources
from typing import Any, cast

import jsonschema

from issuer.network.skills.catalogue import (
    Bilingual,
    Crosswalk,
    CrosswalkRelation,
    LevelDescriptor,
    Skill,
    SkillCatalogue,
    SkillCatalogueError,
    SkillDomain,
    check_code,
)
from issuer.network.skills.uris import case_package_uri, catalogue_page_uri, domain_uri, skill_uri
from issuer.openbadges.credential import CITY_TIMEZONE

CASE_VERSION = "1.1"
#: Fixed, so that identifiers do not change when the site moves to another address.
CASE_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL,
                            "https://www.ville-roubaix.fr/competences-mediation-numerique")
DOMAIN_TYPE = "Domaine"
SKILL_TYPE = "Compétence"
LEVEL_TYPE = "Niveau"
#: LinkGenURI.targetType of a crosswalk: the destination is not a CASE framework (§7.1.35.4,
#: extension terms start with "ext:", §7.2.1).
EXTERNAL_TARGET_TYPE = "ext:Framework"
CROSSWALK_TYPES: frozenset[str] = frozenset({"exactMatchOf", "isRelatedTo"})
MAX_PACKAGE_ITEMS = 5000
_SCALE_LEVEL_PREFIX = "NIV-"


class CasePackageError(SkillCatalogueError):
    """A CASE package that cannot be imported, with where and why."""

    code = "skills.case_invalid"


@dataclass(frozen=True)
class CaseContent:
    """What a CASE package says, in the catalogue's terms."""

    title: str
    domains: tuple[SkillDomain, ...]
    skills: tuple[Skill, ...]
    ignored_associations: int = 0


@dataclass(frozen=True)
class ImportSummary:
    added_domains: tuple[str, ...] = ()
    updated_domains: tuple[str, ...] = ()
    added_skills: tuple[str, ...] = ()
    updated_skills: tuple[str, ...] = ()
    ignored_associations: int = 0

    def as_details(self) -> dict[str, Any]:
        return {"added_domains": list(self.added_domains),
                "updated_domains": list(self.updated_domains),
                "added_skills": list(self.added_skills),
                "updated_skills": list(self.updated_skills),
                "ignored_associations": self.ignored_associations}


# --- export -------------------------------------------------------------------------------


def case_identifier(kind: str, key: str) -> str:
    """The stable UUID of an entry of the package (e.g. ("skill", "ACC-01"))."""
    return str(uuid.uuid5(CASE_NAMESPACE, f"{kind}:{key}"))


def build_case_package(catalogue: SkillCatalogue, base_url: str) -> dict[str, Any]:
    """The CFPackage of this catalogue version (REST binding shape: the package object)."""
    changed = _case_time(catalogue.created_at or dt.datetime.now(dt.UTC))
    document_link = {"title": catalogue.framework.title.fr,
                     "identifier": case_identifier("document", "catalogue"),
                     "uri": catalogue_page_uri(base_url)}
    document = {
        "identifier": document_link["identifier"],
        "uri": document_link["uri"],
        "caseVersion": CASE_VERSION,
        "creator": catalogue.framework.publisher,
        "title": catalogue.framework.title.fr,
        "lastChangeDateTime": changed,
        "officialSourceURL": catalogue_page_uri(base_url),
        "publisher": catalogue.framework.publisher,
        "description": catalogue.framework.description.fr,
        "language": catalogue.framework.language,
        "version": str(catalogue.version),
        "notes": catalogue.framework.title.en,
    }
    builder = _PackageBuilder(base_url=base_url, changed=changed)
    for level in catalogue.framework.levels:
        builder.level_item(level, owner=None, page=catalogue_page_uri(base_url))
    for domain in catalogue.ordered_domains():
        domain_item = builder.entry_item(
            kind="domain", code=domain.code, item_type=DOMAIN_TYPE,
            uri=domain_uri(base_url, domain.code), name=domain.name,
            description=domain.description, position=domain.position,
            retired_at=domain.retired_at)
        builder.associate("isChildOf", domain_item, document_link,
                          sequence=domain.position + 1)
        builder.crosswalks(domain_item, domain.crosswalks)
        for skill in catalogue.skills_of(domain.code, include_retired=True):
            skill_item = builder.entry_item(
                kind="skill", code=skill.code, item_type=SKILL_TYPE,
                uri=skill_uri(base_url, skill.code), name=skill.name,
                description=skill.description, position=skill.position,
                retired_at=skill.retired_at)
            builder.associate("isChildOf", skill_item, domain_item,
                              sequence=skill.position + 1)
            builder.crosswalks(skill_item, skill.crosswalks)
            own = bool(skill.levels)
            for level in catalogue.levels_of(skill):
                level_item = (builder.level_item(level, owner=skill.code,
                                                 page=skill_uri(base_url, skill.code))
                              if own else builder.scale_items[level.level])
                builder.associate("hasSkillLevel", skill_item, level_item, sequence=level.level)
    return {"CFDocument": document, "CFItems": builder.items,
            "CFAssociations": builder.associations}


@dataclass
class _PackageBuilder:
    base_url: str
    changed: str

    def __post_init__(self) -> None:
        self.items: list[dict[str, Any]] = []
        self.associations: list[dict[str, Any]] = []
        self.scale_items: dict[int, dict[str, Any]] = {}

    def entry_item(self, *, kind: str, code: str, item_type: str, uri: str, name: Bilingual,
                   description: Bilingual, position: int,
                   retired_at: dt.datetime | None) -> dict[str, Any]:
        item = self._item(identifier=case_identifier(kind, code), uri=uri, code=code,
                          item_type=item_type, name=name.fr,
                          statement=description.fr or name.fr, language="fr",
                          enumeration=str(position + 1))
        if retired_at is not None:
            item["statusEndDate"] = retired_at.date().isoformat()
        self.items.append(item)
        self._translation(item, kind, code, name, description)
        return item

    def level_item(self, level: LevelDescriptor, *, owner: str | None,
                   page: str) -> dict[str, Any]:
        code = f"{owner}/N{level.level}" if owner else f"{_SCALE_LEVEL_PREFIX}{level.level}"
        item = self._item(identifier=case_identifier("level", code),
                          uri=f"{page}#niveau-{level.level}", code=code, item_type=LEVEL_TYPE,
                          name=level.name.fr, statement=level.description.fr or level.name.fr,
                          language="fr", enumeration=str(level.level))
        self.items.append(item)
        self._translation(item, "level", code, level.name, level.description)
        if owner is None:
            self.scale_items[level.level] = item
        return item

    def associate(self, association_type: str, origin: Mapping[str, Any],
                  destination: Mapping[str, Any], *, sequence: int | None = None,
                  target_type: str | None = None) -> None:
        identifier = case_identifier(
            "association", f"{association_type}:{origin['identifier']}:{destination['identifier']}")
        association: dict[str, Any] = {
            "identifier": identifier,
            "associationType": association_type,
            "uri": f"{case_package_uri(self.base_url)}#{identifier}",
            "originNodeURI": _link(origin),
            "destinationNodeURI": _link(destination),
            "lastChangeDateTime": self.changed,
        }
        if target_type is not None:
            association["destinationNodeURI"]["targetType"] = target_type
        if sequence is not None:
            association["sequenceNumber"] = sequence
        self.associations.append(association)

    def crosswalks(self, origin: Mapping[str, Any], crosswalks: Iterable[Crosswalk]) -> None:
        for crosswalk in crosswalks:
            destination = {"title": crosswalk.framework or crosswalk.uri,
                           "identifier": crosswalk.uri, "uri": crosswalk.uri}
            self.associate(crosswalk.relation, origin, destination,
                           target_type=EXTERNAL_TARGET_TYPE)

    def _translation(self, item: Mapping[str, Any], kind: str, code: str, name: Bilingual,
                     description: Bilingual) -> None:
        if not name.en:
            return
        separator = "&" if "?" in item["uri"] else "?"
        page, _, fragment = item["uri"].partition("#")
        english = self._item(
            identifier=case_identifier(f"{kind}-en", code),
            uri=f"{page}{separator}lang=en" + (f"#{fragment}" if fragment else ""),
            code=code, item_type=item["CFItemType"], name=name.en,
            statement=description.en or name.en, language="en",
            enumeration=item["listEnumeration"])
        self.items.append(english)
        self.associate("isTranslationOf", english, item)

    def _item(self, *, identifier: str, uri: str, code: str, item_type: str, name: str,
              statement: str, language: str, enumeration: str) -> dict[str, Any]:
        return {"identifier": identifier, "uri": uri, "fullStatement": statement,
                "abbreviatedStatement": name, "humanCodingScheme": code,
                "CFItemType": item_type, "listEnumeration": enumeration, "language": language,
                "lastChangeDateTime": self.changed}


def _link(node: Mapping[str, Any]) -> dict[str, Any]:
    title = node.get("title") or node.get("abbreviatedStatement") or node.get("fullStatement")
    return {"title": title, "identifier": node["identifier"], "uri": node["uri"]}


def _case_time(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).replace(microsecond=0).isoformat().replace(
        "+00:00", "Z")


# --- import -------------------------------------------------------------------------------


@cache
def case_package_schema() -> dict[str, Any]:
    """The JSON Schema of a CASE 1.1 CFPackage this module accepts and produces."""
    text = (resources.files("issuer.openbadges.schemas") / "case_v1p1_cfpackage_schema.json").read_text(
        encoding="utf-8")
    schema: dict[str, Any] = json.loads(text)
    return schema


def check_case_package(package: Any) -> dict[str, Any]:
    """The CFPackage object (unwrapped from {"CFPackage": …} if need be), checked against the
    schema; CasePackageError naming the first fault otherwise."""
    if isinstance(package, dict) and set(package) == {"CFPackage"}:
        package = package["CFPackage"]
    validator = jsonschema.Draft202012Validator(
        case_package_schema(), format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER)
    errors = sorted(validator.iter_errors(package), key=lambda e: list(e.absolute_path))
    if errors:
        first = errors[0]
        where = "CFPackage" + "".join(
            f"[{p}]" if isinstance(p, int) else f".{p}" for p in first.absolute_path)
        # In words first (issue 13, item 10): the schema's own message is English jargon.
        where_fr, where_en = _where(list(first.absolute_path))
        fault_fr, fault_en = _schema_fault(first)
        raise CasePackageError(
            f"Paquet CASE 1.1 invalide : {len(errors)} problème(s). Le premier, {where_fr} : "
            f"{fault_fr}. Corrigez le fichier (ou demandez à qui l'a produit de l'exporter de "
            f"nouveau en CASE 1.1), puis importez-le encore. (Emplacement : {where}.)",
            f"Invalid CASE 1.1 package ({len(errors)} error(s)). First: {where} — "
            f"{first.message}. In words: {where_en}, {fault_en}. Correct the file (or ask "
            "whoever produced it to export it again as CASE 1.1), then import it again.")
    if len(package.get("CFItems", ())) > MAX_PACKAGE_ITEMS:
        raise CasePackageError(
            f"Le paquet CASE contient plus de {MAX_PACKAGE_ITEMS} éléments.",
            f"The CASE package holds more than {MAX_PACKAGE_ITEMS} items.")
    return cast(dict[str, Any], package)


_PARTS_FR = {"CFItems": "l'élément", "CFAssociations": "le lien", "CFDefinitions": "la définition",
             "CFRubrics": "la grille"}
_PARTS_EN = {"CFItems": "item", "CFAssociations": "association", "CFDefinitions": "definition",
             "CFRubrics": "rubric"}
_FORMATS_FR = {"uri": "une adresse (URI)", "uuid": "un identifiant UUID",
               "date-time": "une date et heure (AAAA-MM-JJTHH:MM:SSZ)", "date": "une date (AAAA-MM-JJ)"}
_FORMATS_EN = {"uri": "an address (URI)", "uuid": "a UUID",
               "date-time": "a date and time (YYYY-MM-DDTHH:MM:SSZ)", "date": "a date (YYYY-MM-DD)"}
_TYPES_FR = {"string": "un texte", "array": "une liste", "object": "un objet JSON",
             "integer": "un nombre entier", "number": "un nombre", "boolean": "vrai ou faux"}


def _where(path: list[Any]) -> tuple[str, str]:
    """Where a fault is, in words: "dans l'élément nº 3 (CFItems), champ « uri »"."""
    if not path:
        return "dans le paquet lui-même", "in the package itself"
    french, english = [], []
    index = 0
    while index < len(path):
        part = path[index]
        following = path[index + 1] if index + 1 < len(path) else None
        if isinstance(part, str) and isinstance(following, int):
            french.append(f"{_PARTS_FR.get(part, part)} nº {following + 1} ({part})")
            english.append(f"{_PARTS_EN.get(part, part)} no. {following + 1} ({part})")
            index += 2
            continue
        french.append(f"le champ « {part} »")
        english.append(f"the field '{part}'")
        index += 1
    return "dans " + ", ".join(french), "in " + ", ".join(english)


def _schema_fault(error: jsonschema.ValidationError) -> tuple[str, str]:
    """What is wrong, in French and English, for the JSON Schema faults a person can fix."""
    expected: Any = error.validator_value
    kind = str(error.validator)
    if kind == "required":
        missing = [name for name in expected if isinstance(error.instance, dict)
                   and name not in error.instance]
        names = ", ".join(f"« {name} »" for name in missing) or "?"
        names_en = ", ".join(f"'{name}'" for name in missing) or "?"
        if len(missing) > 1:
            return (f"il manque les champs obligatoires {names}",
                    f"the required fields {names_en} are missing")
        return (f"il manque le champ obligatoire {names}",
                f"the required field {names_en} is missing")
    if kind == "type":
        kinds = [str(k) for k in (expected if isinstance(expected, list) else [expected])]
        return (f"la valeur doit être {' ou '.join(_TYPES_FR.get(k, k) for k in kinds)}",
                f"the value must be of type {' or '.join(kinds)}")
    if kind == "format":
        expected = str(expected)
        return (f"« {error.instance} » n'est pas {_FORMATS_FR.get(expected, expected)}",
                f"'{error.instance}' is not {_FORMATS_EN.get(expected, expected)}")
    if kind == "enum":
        allowed = ", ".join(str(value) for value in expected)
        return (f"« {error.instance} » n'est pas une valeur permise ({allowed})",
                f"'{error.instance}' is not an allowed value ({allowed})")
    if kind in ("minLength", "minItems"):
        return "la valeur est vide", "the value is empty"
    if kind == "additionalProperties":
        return ("le champ n'existe pas en CASE 1.1 (faute de frappe ?)",
                "the field does not exist in CASE 1.1 (a typo?)")
    return (f"la valeur ne respecte pas le schéma CASE 1.1 (détail technique : {error.message})",
            f"the value breaks the CASE 1.1 schema (technical detail: {error.message})")


def read_case_package(package: Any, *, today: dt.date | None = None) -> CaseContent:
    """Domains and skills of a CASE package (checked first)."""
    package = check_case_package(package)
    today = today or dt.datetime.now(CITY_TIMEZONE).date()
    document = package["CFDocument"]
    items: dict[str, dict[str, Any]] = {}
    for index, item in enumerate(package.get("CFItems", ())):
        if item["identifier"] in items:
            raise CasePackageError(
                f"CFItems[{index}] : l'identifiant {item['identifier']} est en double.",
                f"CFItems[{index}]: identifier {item['identifier']} is duplicated.")
        items[item["identifier"]] = item
    parent: dict[str, str] = {}
    sequence: dict[str, int] = {}
    translation_of: dict[str, dict[str, Any]] = {}
    levels_of: dict[str, list[tuple[int, str]]] = defaultdict(list)
    crosswalks: dict[str, list[Crosswalk]] = defaultdict(list)
    ignored = 0
    for index, association in enumerate(package.get("CFAssociations", ())):
        kind = association["associationType"]
        origin = association["originNodeURI"]["identifier"]
        destination = association["destinationNodeURI"]
        if origin not in items:
            ignored += 1  # about something outside this package
            continue
        if kind == "isChildOf":
            if origin in parent:
                raise CasePackageError(
                    f"CFAssociations[{index}] : l'élément {origin} a deux parents ; ce "
                    "catalogue range chaque compétence dans un seul domaine.",
                    f"CFAssociations[{index}]: item {origin} has two parents; this catalogue "
                    "places each skill in one domain.")
            parent[origin] = destination["identifier"]
            if isinstance(association.get("sequenceNumber"), int):
                sequence[origin] = association["sequenceNumber"]
        elif kind == "isTranslationOf" and destination["identifier"] in items:
            translation_of[destination["identifier"]] = items[origin]
        elif kind == "hasSkillLevel" and destination["identifier"] in items:
            number = association.get("sequenceNumber")
            levels_of[origin].append((number if isinstance(number, int) else 0,
                                      destination["identifier"]))
        elif kind in CROSSWALK_TYPES and destination["identifier"] not in items:
            crosswalks[origin].append(Crosswalk(
                uri=destination["uri"], framework=destination.get("title", ""),
                relation=cast(CrosswalkRelation, kind)))
        else:
            ignored += 1
    translations = {id(item) for item in translation_of.values()}
    level_items = {dest for pairs in levels_of.values() for _, dest in pairs}
    entries = [i for i in items.values() if id(i) not in translations
               and i["identifier"] not in level_items]
    entry_ids = {i["identifier"] for i in entries}
    domain_items = [i for i in entries if parent.get(i["identifier"]) not in entry_ids]
    domain_ids = {i["identifier"] for i in domain_items}
    skill_items = [i for i in entries if i["identifier"] not in domain_ids]
    for item in skill_items:
        if parent[item["identifier"]] not in domain_ids:
            raise CasePackageError(
                f"L'élément « {_label(item)} » est rangé sur plus de deux niveaux ; ce catalogue "
                "ne connaît que des domaines et leurs compétences.",
                f"Item '{_label(item)}' is nested more than two levels deep; this catalogue "
                "holds only domains and their skills.")
    skill_ids = {i["identifier"] for i in skill_items}
    code_of = {i["identifier"]: _code(i, skill=i["identifier"] in skill_ids) for i in entries}
    _refuse_duplicate_codes(entries, code_of)

    def texts(item: dict[str, Any]) -> tuple[Bilingual, Bilingual]:
        english = translation_of.get(item["identifier"], {})
        name_fr, description_fr = _name_and_description(item)
        name_en, description_en = _name_and_description(english) if english else ("", "")
        return Bilingual(name_fr, name_en), Bilingual(description_fr, description_en)

    domains = []
    for position, item in enumerate(_ordered(domain_items, sequence)):
        name, description = texts(item)
        domains.append(SkillDomain(
            code=code_of[item["identifier"]], name=name, description=description,
            position=position, crosswalks=tuple(crosswalks[item["identifier"]]),
            retired_at=_retired(item, today)))
    skills = []
    by_domain: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for item in skill_items:
        by_domain[parent[item["identifier"]]].append(item)
    for domain_id, children in by_domain.items():
        for position, item in enumerate(_ordered(children, sequence)):
            name, description = texts(item)
            if not description.fr:
                description = Bilingual(name.fr, description.en or name.en)
            skills.append(Skill(
                code=code_of[item["identifier"]], domain_code=code_of[domain_id], name=name,
                description=description, position=position,
                levels=_levels(levels_of[item["identifier"]], items, translation_of),
                crosswalks=tuple(crosswalks[item["identifier"]]),
                retired_at=_retired(item, today)))
    return CaseContent(title=str(document["title"]), domains=tuple(domains),
                       skills=tuple(skills), ignored_associations=ignored)


def merge_case_content(catalogue: SkillCatalogue,
                       content: CaseContent) -> tuple[SkillCatalogue, ImportSummary]:
    """The catalogue extended by the package: new codes added, existing codes updated (texts,
    order, levels, crosswalks, domain). A retired entry stays retired; an entry the package
    marks ended is retired. Entries the package does not mention are left as they are."""
    domains = {d.code: d for d in catalogue.domains}
    added_domains, updated_domains = [], []
    for imported in content.domains:
        existing = domains.get(imported.code)
        if existing is None:
            domains[imported.code] = imported
            added_domains.append(imported.code)
        else:
            domains[imported.code] = replace(
                existing, name=imported.name, description=imported.description,
                position=imported.position, crosswalks=imported.crosswalks,
                retired_at=existing.retired_at or imported.retired_at)
            updated_domains.append(imported.code)
    skills = {s.code: s for s in catalogue.skills}
    added_skills, updated_skills = [], []
    for imported_skill in content.skills:
        existing_skill = skills.get(imported_skill.code)
        if existing_skill is None:
            skills[imported_skill.code] = imported_skill
            added_skills.append(imported_skill.code)
        else:
            skills[imported_skill.code] = replace(
                existing_skill, domain_code=imported_skill.domain_code, name=imported_skill.name,
                description=imported_skill.description, position=imported_skill.position,
                levels=imported_skill.levels, crosswalks=imported_skill.crosswalks,
                retired_at=existing_skill.retired_at or imported_skill.retired_at)
            updated_skills.append(imported_skill.code)
    merged = replace(catalogue, domains=tuple(domains.values()), skills=tuple(skills.values()))
    return merged, ImportSummary(tuple(added_domains), tuple(updated_domains),
                                 tuple(added_skills), tuple(updated_skills),
                                 content.ignored_associations)


# --- reading helpers ----------------------------------------------------------------------


def _label(item: Mapping[str, Any]) -> str:
    text = str(item.get("humanCodingScheme") or item.get("abbreviatedStatement")
               or item.get("fullStatement") or item["identifier"])
    return text[:80]


def _code(item: Mapping[str, Any], *, skill: bool) -> str:
    raw = item.get("humanCodingScheme")
    if not raw:
        raise CasePackageError(
            f"L'élément « {_label(item)} » n'a pas de code (humanCodingScheme) : chaque domaine "
            "et chaque compétence en a besoin pour son adresse publique.",
            f"Item '{_label(item)}' has no code (humanCodingScheme): every domain and skill "
            "needs one for its public address.")
    try:
        return check_code(str(raw), skill=skill)
    except SkillCatalogueError as error:
        raise CasePackageError(f"Élément « {_label(item)} » : {error.message_fr}",
                               f"Item '{_label(item)}': {error.message_en}") from error


def _refuse_duplicate_codes(entries: list[dict[str, Any]], code_of: Mapping[str, str]) -> None:
    seen: dict[str, str] = {}
    for item in entries:
        code = code_of[item["identifier"]]
        if code in seen:
            raise CasePackageError(f"Le code « {code} » est porté par deux éléments du paquet.",
                                   f"Code '{code}' is carried by two items of the package.")
        seen[code] = item["identifier"]


def _name_and_description(item: Mapping[str, Any]) -> tuple[str, str]:
    statement = str(item.get("fullStatement", "")).strip()
    name = str(item.get("abbreviatedStatement") or "").strip()
    if not name:
        return statement[:200], statement
    return name, "" if statement == name else statement


def _ordered(items: list[dict[str, Any]], sequence: Mapping[str, int]) -> list[dict[str, Any]]:
    def key(pair: tuple[int, dict[str, Any]]) -> tuple[int, int, int]:
        index, item = pair
        if item["identifier"] in sequence:
            return (0, sequence[item["identifier"]], index)
        enumeration = str(item.get("listEnumeration", ""))
        return (0, int(enumeration), index) if enumeration.isdigit() else (1, 0, index)
    return [item for _, item in sorted(enumerate(items), key=key)]


def _levels(pairs: list[tuple[int, str]], items: Mapping[str, dict[str, Any]],
            translation_of: Mapping[str, dict[str, Any]]) -> tuple[LevelDescriptor, ...]:
    """A skill's own level descriptors; () when it uses the catalogue's scale."""
    if not pairs or all(str(items[d].get("humanCodingScheme", "")).startswith(
            _SCALE_LEVEL_PREFIX) for _, d in pairs):
        return ()
    levels = []
    for rank, (number, identifier) in enumerate(sorted(pairs), start=1):
        item = items[identifier]
        english = translation_of.get(identifier, {})
        name_fr, description_fr = _name_and_description(item)
        name_en, description_en = _name_and_description(english) if english else ("", "")
        levels.append(LevelDescriptor(level=number or rank, name=Bilingual(name_fr, name_en),
                                      description=Bilingual(description_fr, description_en)))
    return tuple(levels)


def _retired(item: Mapping[str, Any], today: dt.date) -> dt.datetime | None:
    ended = item.get("statusEndDate")
    if not ended:
        return None
    day = dt.date.fromisoformat(str(ended))
    if day > today:
        return None  # announced, not yet ended
    return dt.datetime.combine(day, dt.time(), tzinfo=dt.UTC)
