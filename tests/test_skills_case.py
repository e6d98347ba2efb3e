"""The catalogue as a 1EdTech CASE 1.1 package (issue #5, item 3): the export validates against
the CFPackage JSON Schema, identifiers are stable, export → import gives the same catalogue,
a foreign package extends the catalogue in one version, malformed packages are refused with a
clear message.

The official JSON Schema (case_v1p1_cfpackage-jsonschema1.json) could not be obtained offline;
issuer/openbadges/schemas/case_v1p1_cfpackage_schema.json is written from the CASE 1.1 Information Model
text (required fields and multiplicities of CFPckgDocument, CFPckgItem, CFPckgAssociation,
LinkURI, LinkGenURI), and is itself checked as a Draft 2020-12 schema here.
"""

from __future__ import annotations

import copy
import datetime as dt
import uuid
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from sqlalchemy import select

from issuer.issuance.service import IssuerService
from issuer.network.skills import edits
from issuer.network.skills import service as skills
from issuer.network.skills.case import (
    CasePackageError,
    build_case_package,
    case_package_schema,
    check_case_package,
    merge_case_content,
    read_case_package,
)
from issuer.network.skills.catalogue import (
    Bilingual,
    LevelDescriptor,
    SkillCatalogue,
    SkillCatalogueError,
    load_skill_catalogue,
)
from issuer.network.skills.edits import SkillDraft
from issuer.settings import Settings
from issuer.storage.models import AuditEntry
from tests.plugins.factory import ServiceFactory

BASE_URL = "https://badges.example.org"
AUTHOR = "coordination@example.org"
NOW = dt.datetime(2026, 3, 14, 9, 30, tzinfo=dt.UTC)
DOC_ID = "3f1f9a52-8c1e-4d8e-9a51-1b2c3d4e5f60"
ESCO_E_SERVICES = "http://data.europa.eu/esco/skill/16a00c69-9c74-4c37-96d7-6301d285e5ce"


@pytest.fixture
def service(database_url: str, tmp_path: Path,
            service_factory: ServiceFactory) -> IssuerService:
    return service_factory(Settings.load(home=tmp_path / "home", base_url=BASE_URL,
                                        database_url=database_url))


def edited_catalogue() -> SkillCatalogue:
    """The seed after a coordinator's changes of every kind."""
    catalogue = load_skill_catalogue()
    catalogue = edits.add_skill(catalogue, SkillDraft(
        "FAL-03", "FAL", Bilingual("Relire un document en FALC", ""),
        Bilingual("Relire avec une personne concernée.", ""),
        levels=(LevelDescriptor(1, Bilingual("Relire", "Proofread"), Bilingual("", "")),)))
    catalogue = edits.retire_skill(catalogue, "PAR-02", NOW)
    catalogue = edits.move_skill(catalogue, "FAL-03", -2)
    catalogue = edits.move_domain(catalogue, "EMP", -3)
    return catalogue.with_version(6, NOW)


def same_catalogue(left: SkillCatalogue, right: SkillCatalogue) -> None:
    """Equal, reading retirement by day (CASE carries statusEndDate as a date)."""
    def day_only(snapshot: dict[str, Any]) -> dict[str, Any]:
        for entry in (*snapshot["domains"], *snapshot["skills"]):
            if entry["retired_at"]:
                entry["retired_at"] = entry["retired_at"][:10]
        return snapshot
    assert day_only(left.to_snapshot()) == day_only(right.to_snapshot())


def foreign_package() -> dict[str, Any]:
    """A small package written by another tool: one domain, two skills, one of which updates
    a code of ours; wrapped as {"CFPackage": …} as some providers do."""
    def item(identifier: str, code: str, statement: str, **extra: Any) -> dict[str, Any]:
        return {"identifier": identifier, "uri": f"https://case.example.net/items/{identifier}",
                "fullStatement": statement, "humanCodingScheme": code,
                "lastChangeDateTime": "2026-01-05T10:00:00+01:00", **extra}

    def child(identifier: str, origin: str, destination: str, title: str,
              sequence: int) -> dict[str, Any]:
        return {"identifier": identifier, "associationType": "isChildOf",
                "uri": f"https://case.example.net/associations/{identifier}",
                "sequenceNumber": sequence,
                "originNodeURI": {"title": "x", "identifier": origin,
                                  "uri": f"https://case.example.net/items/{origin}"},
                "destinationNodeURI": {"title": title, "identifier": destination,
                                       "uri": f"https://case.example.net/items/{destination}"},
                "lastChangeDateTime": "2026-01-05T10:00:00Z"}

    domain, new, known = (str(uuid.uuid4()) for _ in range(3))
    return {"CFPackage": {
        "CFDocument": {"identifier": DOC_ID, "uri": "https://case.example.net/doc",
                       "creator": "Réseau voisin", "title": "Compétences voisines",
                       "lastChangeDateTime": "2026-01-05T10:00:00Z", "caseVersion": "1.1"},
        "CFItems": [
            item(domain, "INC", "Inclusion bancaire", CFItemType="Domaine"),
            item(new, "INC-01", "Ouvrir un compte en ligne avec la personne.",
                 abbreviatedStatement="Ouvrir un compte en ligne"),
            item(known, "ACC-01", "Accueillir chaque personne, sans jugement.",
                 abbreviatedStatement="Accueillir"),
        ],
        "CFAssociations": [
            child(str(uuid.uuid4()), domain, DOC_ID, "doc", 1),
            child(str(uuid.uuid4()), new, domain, "INC", 1),
            child(str(uuid.uuid4()), known, domain, "INC", 2),
            {"identifier": str(uuid.uuid4()), "associationType": "exactMatchOf",
             "uri": "https://case.example.net/associations/x",
             "originNodeURI": {"title": "INC-01", "identifier": new, "uri": "https://x.example"},
             "destinationNodeURI": {"title": "use e-services", "identifier": ESCO_E_SERVICES,
                                    "uri": ESCO_E_SERVICES, "targetType": "ext:ESCO"},
             "lastChangeDateTime": "2026-01-05T10:00:00Z"},
        ],
    }}


# --- export ---------------------------------------------------------------------------------


def test_schema_is_a_valid_draft_2020_12_schema() -> None:
    jsonschema.Draft202012Validator.check_schema(case_package_schema())


def test_export_validates_against_the_case_1_1_schema() -> None:
    package = build_case_package(edited_catalogue(), BASE_URL)
    jsonschema.Draft202012Validator(case_package_schema()).validate(package)
    document = package["CFDocument"]
    assert (document["caseVersion"], document["version"]) == ("1.1", "6")
    assert document["uri"] == f"{BASE_URL}/competences"


def test_export_structure_uses_case_association_types() -> None:
    package = build_case_package(edited_catalogue(), BASE_URL)
    items = {item["identifier"]: item for item in package["CFItems"]}
    by_type: dict[str, list[dict[str, Any]]] = {}
    for association in package["CFAssociations"]:
        by_type.setdefault(association["associationType"], []).append(association)
    assert set(by_type) == {"isChildOf", "isTranslationOf", "hasSkillLevel", "isRelatedTo"}
    skill_parent = {items[a["originNodeURI"]["identifier"]]["humanCodingScheme"]:
                    a["destinationNodeURI"]["identifier"] for a in by_type["isChildOf"]
                    if a["originNodeURI"]["identifier"] in items}
    assert items[skill_parent["CYB-02"]]["humanCodingScheme"] == "CYB"
    crosswalk = next(a for a in by_type["isRelatedTo"]
                     if a["destinationNodeURI"]["uri"] == ESCO_E_SERVICES)
    assert crosswalk["destinationNodeURI"]["targetType"] == "ext:Framework"
    retired = next(i for i in package["CFItems"] if i["humanCodingScheme"] == "PAR-02"
                   and i["language"] == "fr")
    assert retired["statusEndDate"] == "2026-03-14"
    skill = next(i for i in package["CFItems"] if i["humanCodingScheme"] == "ACC-01"
                 and i["language"] == "fr")
    assert skill["uri"] == f"{BASE_URL}/competences/ACC-01"
    assert skill["CFItemType"] == "Compétence"


def test_identifiers_are_stable_uuids_derived_from_codes() -> None:
    first = build_case_package(edited_catalogue(), BASE_URL)
    moved = build_case_package(edited_catalogue(), "https://autre.example.org")
    assert [i["identifier"] for i in first["CFItems"]] == [i["identifier"] for i in moved["CFItems"]]
    assert len({i["identifier"] for i in first["CFItems"]}) == len(first["CFItems"])
    assert all(uuid.UUID(i["identifier"]).version == 5 for i in first["CFItems"])


# --- import ---------------------------------------------------------------------------------


def test_export_then_import_gives_the_same_catalogue() -> None:
    original = edited_catalogue()
    content = read_case_package(build_case_package(original, BASE_URL),
                                today=dt.date(2026, 3, 20))
    merged, summary = merge_case_content(load_skill_catalogue().with_version(6, NOW), content)
    same_catalogue(merged, original)
    assert summary.added_skills == ("FAL-03",)


def test_round_trip_through_two_services(service: IssuerService, tmp_path: Path) -> None:
    other = IssuerService(Settings.load(home=tmp_path / "other", base_url=BASE_URL))
    other.init()
    skills.add_skill(other, SkillDraft("ORI-03", "ORI",
                                       Bilingual("Tenir à jour la carte", "Keep the map up to date"),
                                       Bilingual("Signaler les changements.", "Report changes.")),
                     actor=AUTHOR, note="Ajout")
    skills.retire_skill(other, "RES-02", actor=AUTHOR, note="Retrait")
    skills.move_domain(other, "ORI", -8, actor=AUTHOR, note="Ordre")
    exported = build_case_package(skills.current_catalogue(other), BASE_URL)
    catalogue, summary = skills.import_case_package(service, exported, actor=AUTHOR,
                                                    note="Reprise du catalogue voisin")
    assert catalogue.version == 2 and summary.added_skills == ("ORI-03",)
    same_catalogue(catalogue.with_version(0, NOW),
                   skills.current_catalogue(other).with_version(0, NOW))
    other.database.dispose()


def test_foreign_package_extends_the_catalogue_in_one_version(service: IssuerService) -> None:
    catalogue, summary = skills.import_case_package(service, foreign_package(), actor=AUTHOR,
                                                    note="Import du réseau voisin")
    assert catalogue.version == 2
    assert (summary.added_domains, summary.added_skills, summary.updated_skills) == (
        ("INC",), ("INC-01",), ("ACC-01",))
    added = catalogue.skill("INC-01")
    assert (added.name.fr, added.domain_code) == ("Ouvrir un compte en ligne", "INC")
    assert added.crosswalks[0].relation == "exactMatchOf"
    assert catalogue.skill("ACC-01").domain_code == "INC"  # existing code updated and moved
    assert catalogue.skill("ACC-02").domain_code == "ACC"  # codes not in the package untouched
    with service.database.session(read_only=True) as session:
        entry = session.scalars(select(AuditEntry).where(
            AuditEntry.action == "skills.case_imported")).one()
    assert entry.details is not None
    assert entry.details["added_skills"] == ["INC-01"] and entry.details["version"] == 2


def test_importing_the_current_export_changes_nothing(service: IssuerService) -> None:
    package = build_case_package(skills.current_catalogue(service), BASE_URL)
    with pytest.raises(SkillCatalogueError) as refused:
        skills.import_case_package(service, package, actor=AUTHOR, note="Deux fois")
    assert getattr(refused.value, "code", "") == "skills.no_change"


def _broken(change: str) -> Any:
    package = foreign_package()
    inner = package["CFPackage"]
    if change == "no document":
        del inner["CFDocument"]
    elif change == "bad uuid":
        inner["CFItems"][0]["identifier"] = "not-a-uuid"
    elif change == "no code":
        del inner["CFItems"][1]["humanCodingScheme"]
    elif change == "bad code":
        inner["CFItems"][1]["humanCodingScheme"] = "1.2.3"
    elif change == "too deep":
        inner["CFAssociations"][2]["destinationNodeURI"]["identifier"] = \
            inner["CFItems"][1]["identifier"]
    elif change == "two parents":
        extra = copy.deepcopy(inner["CFAssociations"][1])
        extra["identifier"] = str(uuid.uuid4())
        inner["CFAssociations"].append(extra)
    elif change == "duplicate":
        inner["CFItems"].append(copy.deepcopy(inner["CFItems"][0]))
    elif change == "unknown type":
        inner["CFAssociations"][0]["associationType"] = "isCousinOf"
    elif change == "not a package":
        return ["CFDocument"]
    return package


@pytest.mark.parametrize(("change", "says"), [
    ("no document", "'CFDocument' is a required property"),
    ("bad uuid", "CFPackage.CFItems[0].identifier"),
    ("no code", "humanCodingScheme"),
    ("bad code", "malformed"),
    ("too deep", "more than two levels"),
    ("two parents", "two parents"),
    ("duplicate", "duplicated"),
    ("unknown type", "CFPackage.CFAssociations[0].associationType"),
    ("not a package", "Invalid CASE 1.1 package"),
])
def test_malformed_packages_are_refused_with_a_clear_message(change: str, says: str) -> None:
    with pytest.raises(CasePackageError) as refused:
        read_case_package(_broken(change))
    assert says in refused.value.message_en
    assert refused.value.message_fr and refused.value.message_fr != refused.value.message_en


def test_check_accepts_the_wrapped_and_the_plain_package() -> None:
    wrapped = foreign_package()
    assert check_case_package(wrapped) == check_case_package(wrapped["CFPackage"])
