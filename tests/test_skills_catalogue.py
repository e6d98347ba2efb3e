"""The skills catalogue of the mediator network (issue #5, items 1–2): the seed file, the pure
data and its edits, versioning in the database (SQLite and PostgreSQL), and the JSON-LD form
(expansion drops no term)."""

from __future__ import annotations

import datetime as dt
import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from pyld import jsonld
from sqlalchemy import select

from issuer.issuance.catalogue import default_catalogue_dir, load_catalogue
from issuer.issuance.service import IssuerService
from issuer.network.skills import edits
from issuer.network.skills import jsonld as skills_jsonld
from issuer.network.skills import service as skills
from issuer.network.skills.catalogue import (
    Bilingual,
    Crosswalk,
    LevelDescriptor,
    SkillCatalogueError,
    SkillNotFound,
    load_skill_catalogue,
)
from issuer.network.skills.edits import DomainDraft, SkillDraft
from issuer.network.skills.uris import (
    case_package_uri,
    catalogue_jsonld_uri,
    skill_uri,
    skill_version_uri,
)
from issuer.openbadges import contexts
from issuer.settings import Settings
from issuer.storage.models import AuditEntry
from tests.plugins.factory import ServiceFactory

BASE_URL = "https://badges.example.org"
AUTHOR = "coordination@example.org"
THEMES = {"ACC", "DEM", "CYB", "SAN", "PAR", "RES", "FAL", "ANI", "ORI", "EMP"}
# The only crosswalk addresses the seed may hold: each was read in public material (see the
# header of badges/skills.yaml). A new one must be checked before it is added here.
CHECKED_CROSSWALKS = {
    "https://publications.jrc.ec.europa.eu/repository/handle/JRC128415",
    "http://data.europa.eu/esco/skill/16a00c69-9c74-4c37-96d7-6301d285e5ce",
    "http://data.europa.eu/esco/skill/14832d87-2f2f-4895-b290-e4760ebae42a",
}
NOW = dt.datetime(2026, 3, 14, 9, 30, tzinfo=dt.UTC)


@pytest.fixture
def service(database_url: str, tmp_path: Path,
            service_factory: ServiceFactory) -> IssuerService:
    return service_factory(Settings.load(home=tmp_path / "home", base_url=BASE_URL,
                                        database_url=database_url))


def new_skill(code: str = "ACC-03", domain: str = "ACC", name: str = "Tenir une permanence",
              **fields: Any) -> SkillDraft:
    return SkillDraft(code=code, domain_code=domain, name=Bilingual(name, "Running a drop-in"),
                      description=Bilingual("Accueillir sans rendez-vous.", "Walk-in help."),
                      **fields)


# --- the seed -------------------------------------------------------------------------------


def test_seed_covers_every_theme_of_the_network_with_stable_codes() -> None:
    catalogue = load_skill_catalogue()
    assert {d.code for d in catalogue.domains} == THEMES
    for skill in catalogue.skills:
        assert skill.code.startswith(skill.domain_code + "-")
        assert skill.name.fr and skill.name.en and skill.description.fr and skill.description.en
    assert [level.name.fr for level in catalogue.framework.levels] == [
        "Découverte", "Autonomie", "Transmission"]
    assert catalogue.skill("cyb-02").name.fr == "Animer une sensibilisation avec la Mallette Cyber"


def test_seed_crosswalks_are_only_checked_public_addresses() -> None:
    catalogue = load_skill_catalogue()
    used = {c.uri for entry in (*catalogue.domains, *catalogue.skills) for c in entry.crosswalks}
    assert used and used <= CHECKED_CROSSWALKS
    assert catalogue.skill("DEM-01").crosswalks[0].relation == "isRelatedTo"


def test_skills_file_is_not_read_as_a_badge_file() -> None:
    badges = load_catalogue()
    assert (default_catalogue_dir() / "skills.yaml").is_file()
    assert "skills" not in {badge.slug for badge in badges.badges}


def test_seed_file_error_names_the_file(tmp_path: Path) -> None:
    broken = tmp_path / "skills.yaml"
    text = (default_catalogue_dir() / "skills.yaml").read_text("utf-8")
    broken.write_text(text.replace("  - code: ACC\n", "  - code: acc-x\n", 1), "utf-8")
    with pytest.raises(SkillCatalogueError) as refused:
        load_skill_catalogue(broken)
    assert str(broken) in refused.value.message_fr and str(broken) in refused.value.message_en


def test_unknown_code_is_not_found() -> None:
    with pytest.raises(SkillNotFound):
        load_skill_catalogue().skill("XYZ-01")


# --- pure edits -----------------------------------------------------------------------------


def test_a_code_is_never_reused_even_after_retirement() -> None:
    catalogue = edits.retire_skill(load_skill_catalogue(), "ACC-01", NOW)
    with pytest.raises(SkillCatalogueError) as refused:
        edits.add_skill(catalogue, new_skill(code="ACC-01"))
    assert refused.value.code == "skills.code_taken"


def test_retiring_a_domain_retires_its_skills_and_keeps_them_resolvable() -> None:
    catalogue = edits.retire_domain(load_skill_catalogue(), "SAN", NOW)
    assert catalogue.domain("SAN").retired and catalogue.skill("SAN-01").retired
    assert "SAN" not in {d.code for d in catalogue.active_domains()}
    with pytest.raises(SkillCatalogueError):
        edits.add_skill(catalogue, new_skill(code="SAN-02", domain="SAN"))


def test_moving_a_skill_changes_only_the_order_of_its_domain() -> None:
    catalogue = edits.move_skill(load_skill_catalogue(), "DEM-03", -1)
    assert [s.code for s in catalogue.skills_of("DEM")] == ["DEM-01", "DEM-03", "DEM-02"]
    assert [s.code for s in catalogue.skills_of("ACC")] == ["ACC-01", "ACC-02"]


def test_malformed_codes_and_missing_french_are_refused() -> None:
    catalogue = load_skill_catalogue()
    with pytest.raises(SkillCatalogueError, match="malformed"):
        edits.add_skill(catalogue, new_skill(code="ACC3"))
    with pytest.raises(SkillCatalogueError, match="required"):
        edits.add_skill(catalogue, SkillDraft("ACC-04", "ACC", Bilingual("", "Only English"),
                                              Bilingual("x", "x")))
    with pytest.raises(SkillCatalogueError, match="http"):
        edits.add_skill(catalogue, new_skill(crosswalks=(Crosswalk("javascript:alert(1)", ""),)))


# --- versions in the database ---------------------------------------------------------------


def test_first_use_seeds_version_one_with_an_audit_line(service: IssuerService) -> None:
    catalogue = skills.current_catalogue(service)
    assert catalogue.version == 1 and len(catalogue.skills) == 20
    with service.database.session(read_only=True) as session:
        actions = session.scalars(select(AuditEntry.action)).all()
    assert actions.count("skills.seeded") == 1
    assert skills.current_catalogue(service).version == 1  # seeded once


def test_each_change_is_a_new_version_with_note_author_and_audit(service: IssuerService) -> None:
    skills.add_skill(service, new_skill(), actor=AUTHOR, note="Nouvelle compétence",
                     origin="192.0.2.7")
    edited = skills.edit_skill(
        service, "ACC-03", new_skill(name="Tenir une permanence numérique"), actor=AUTHOR,
        note="Nom plus précis")
    assert edited.version == 3
    assert skills.catalogue_version(service, 2).skill("ACC-03").name.fr == "Tenir une permanence"
    assert skills.catalogue_version(service, 1).has_skill("ACC-03") is False
    history = skills.version_history(service)
    assert [(v.number, v.author, v.note) for v in history[:2]] == [
        (3, AUTHOR, "Nom plus précis"), (2, AUTHOR, "Nouvelle compétence")]
    with service.database.session(read_only=True) as session:
        entry = session.scalars(select(AuditEntry).where(
            AuditEntry.action == "skills.skill_added")).one()
    assert (entry.actor, entry.subject, entry.origin) == (AUTHOR, "ACC-03", "192.0.2.7")
    assert entry.details == {"version": 2, "note": "Nouvelle compétence"}


def test_retired_skill_stays_resolvable_and_its_old_version_unchanged(
        service: IssuerService) -> None:
    catalogue = skills.retire_skill(service, "CYB-01", actor=AUTHOR, note="Fusionnée")
    assert catalogue.skill("CYB-01").retired
    assert catalogue.skill("CYB-01") not in catalogue.active_skills()
    assert not skills.catalogue_version(service, 1).skill("CYB-01").retired
    reinstated = skills.reinstate_skill(service, "CYB-01", actor=AUTHOR, note="Erreur")
    assert not reinstated.skill("CYB-01").retired and reinstated.version == 3


def test_a_change_without_note_or_without_effect_is_refused(service: IssuerService) -> None:
    with pytest.raises(SkillCatalogueError) as no_note:
        skills.add_skill(service, new_skill(), actor=AUTHOR, note="   ")
    assert no_note.value.code == "skills.note_required"
    with pytest.raises(SkillCatalogueError) as no_effect:
        skills.move_skill(service, "ACC-01", -1, actor=AUTHOR, note="Remonter")
    assert no_effect.value.code == "skills.no_change"
    assert skills.current_catalogue(service).version == 1


def test_levels_and_crosswalks_survive_storage(service: IssuerService) -> None:
    levels = (LevelDescriptor(1, Bilingual("Observer", "Observe"), Bilingual("a", "b")),
              LevelDescriptor(2, Bilingual("Faire", "Do"), Bilingual("c", "d")))
    link = Crosswalk("http://data.europa.eu/esco/skill/16a00c69-9c74-4c37-96d7-6301d285e5ce",
                     "ESCO use e-services", "exactMatchOf")
    skills.add_skill(service, new_skill(levels=levels, crosswalks=(link,)), actor=AUTHOR,
                     note="Avec niveaux")
    stored = skills.current_catalogue(service).skill("ACC-03")
    assert stored.levels == levels and stored.crosswalks == (link,)


def test_domains_can_be_added_edited_moved_and_retired(service: IssuerService) -> None:
    draft = DomainDraft("INC", Bilingual("Inclusion bancaire", "Banking inclusion"))
    skills.add_domain(service, draft, actor=AUTHOR, note="Nouveau domaine")
    skills.move_domain(service, "INC", -20, actor=AUTHOR, note="En tête")
    skills.edit_domain(service, "INC", DomainDraft("INC", Bilingual("Banque", "Banking")),
                       actor=AUTHOR, note="Nom court")
    catalogue = skills.retire_domain(service, "INC", actor=AUTHOR, note="Abandonné")
    assert catalogue.ordered_domains()[0].code == "INC"
    assert catalogue.domain("INC").name.fr == "Banque" and catalogue.domain("INC").retired
    assert catalogue.version == 5


def test_seed_comes_from_the_service_badge_folder(tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    folder = tmp_path / "badges"
    shutil.copytree(default_catalogue_dir(), folder)
    text = (folder / "skills.yaml").read_text("utf-8")
    (folder / "skills.yaml").write_text(text.replace(
        "Accueillir et mettre en confiance", "Accueillir chaleureusement"), "utf-8")
    monkeypatch.setenv("ISSUER_CATALOGUE_DIR", str(folder))
    issuer = IssuerService(Settings.load(home=tmp_path / "home", base_url=BASE_URL))
    issuer.init()
    assert skills.current_catalogue(issuer).skill("ACC-01").name.fr == "Accueillir chaleureusement"
    issuer.database.dispose()


# --- addresses and JSON-LD ------------------------------------------------------------------


def test_addresses_are_stable_and_versioned() -> None:
    assert skill_uri(BASE_URL + "/", "ACC-01") == f"{BASE_URL}/competences/ACC-01"
    assert skill_version_uri(BASE_URL, 4, "ACC-01") == f"{BASE_URL}/competences/versions/4/ACC-01"
    assert catalogue_jsonld_uri(BASE_URL) == f"{BASE_URL}/competences/catalogue.jsonld"
    assert case_package_uri(BASE_URL) == f"{BASE_URL}/competences/case.json"


def _expanded_without_loss(document: dict[str, Any]) -> list[dict[str, Any]]:
    """Expand with the pinned context only; compacting back must give the document again
    (a term no context defines would be dropped: VERIFICATION.md R1)."""
    options = {"documentLoader": skills_jsonld.document_loader(BASE_URL)}
    expanded = jsonld.expand(document, options)
    compacted = jsonld.compact(expanded, document["@context"], options)
    assert json.dumps(compacted, sort_keys=True) == json.dumps(document, sort_keys=True)
    return expanded


def _predicates(node: Any) -> set[str]:
    found: set[str] = set()
    if isinstance(node, dict):
        for key, value in node.items():
            if not key.startswith("@"):
                found.add(key)
            found |= _predicates(value)
    elif isinstance(node, list):
        for item in node:
            found |= _predicates(item)
    return found


def test_catalogue_json_ld_expands_without_dropping_a_term() -> None:
    catalogue = edits.retire_skill(load_skill_catalogue(), "RES-02", NOW).with_version(7, NOW)
    document = skills_jsonld.catalogue_document(catalogue, BASE_URL)
    expanded = _expanded_without_loss(document)
    predicates = _predicates(expanded)
    assert all(p.startswith(("https://schema.org/", "http://www.w3.org/")) for p in predicates)
    assert "http://www.w3.org/2002/07/owl#deprecated" in predicates
    assert "http://www.w3.org/2004/02/skos/core#relatedMatch" in predicates


def test_skill_json_ld_names_its_version_and_domain() -> None:
    catalogue = load_skill_catalogue().with_version(3, NOW)
    document = skills_jsonld.skill_document(catalogue, catalogue.skill("DEM-01"), BASE_URL,
                                            versioned=True)
    _expanded_without_loss(document)
    assert document["id"] == f"{BASE_URL}/competences/versions/3/DEM-01"
    assert document["type"] == "DefinedTerm" and document["termCode"] == "DEM-01"
    assert document["inDefinedTermSet"]["id"] == f"{BASE_URL}/competences#domaine-DEM"
    assert document["name"] == {"fr": "Accompagner une démarche administrative en ligne",
                                "en": "Supporting an online administrative procedure"}


def test_catalogue_context_is_pinned() -> None:
    pinned = contexts.PINNED[contexts.SKILLS_CATALOGUE_V1]
    assert pinned.filename == skills_jsonld.CONTEXT_FILENAME
    assert contexts.context_bytes(contexts.SKILLS_CATALOGUE_V1)  # hash checked
    assert "@vocab" not in contexts.context_document(contexts.SKILLS_CATALOGUE_V1)["@context"]
