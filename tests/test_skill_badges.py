"""Mediator skill badges aligned to the skills catalogue (issue #5, item 4): OB 3.0 alignment
terms, badges made from a skill or a domain, issuing with evidence (narrative, link, file), the
credential page, and versioned skill addresses."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from pyld import jsonld

from issuer.errors import IssuerError
from issuer.issuance.catalogue import load_catalogue
from issuer.issuance.service import IssuerService
from issuer.issuance.verification_context import verification_context_for
from issuer.network import skill_badges
from issuer.network.evidence import (
    EvidenceUpload,
    evidence_dir,
    published_evidence_file,
)
from issuer.network.skill_badges import SkillBadgeError, SkillEvidence
from issuer.network.skills import service as skills
from issuer.network.skills.catalogue import Bilingual, load_skill_catalogue
from issuer.network.skills.edits import SkillDraft
from issuer.openbadges import contexts
from issuer.openbadges import credential as model
from issuer.openbadges.canonical import SHAPES, assert_signable
from issuer.openbadges.schema import schema_errors
from issuer.openbadges.status_list import status_list_entry
from issuer.openbadges.verification import verify
from issuer.settings import Settings
from issuer.storage.models import AuditEntry, IssuedCredential
from issuer.storage.skill_badge_models import EvidenceFileRow, SkillBadgeRow
from tests.plugins.factory import ServiceFactory

BASE_URL = "https://badges.example.org"
PROFILE = model.IssuerProfile(
    id="did:web:badges.example.org", name="Ville de Roubaix", url="https://www.ville-roubaix.fr",
    email="participation-citoyenne@ville-roubaix.fr", description="Service Participation citoyenne",
    street_address="17 Grand'Place, CS 70737", postal_code="59066", locality="Roubaix Cedex 1")
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
PDF = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"
ALIGNMENT_TERMS = ("targetName", "targetUrl", "targetCode", "targetFramework", "targetType",
                   "targetDescription")


def _service(build: ServiceFactory, home: Path, database_url: str | None = None) -> IssuerService:
    return build(Settings.load(home=home, base_url=BASE_URL, database_url=database_url))


@pytest.fixture
def service(tmp_path: Path, service_factory: ServiceFactory) -> IssuerService:
    return _service(service_factory, tmp_path / "home")


def _seed_version(version: int = 1) -> Any:
    return load_skill_catalogue().with_version(version, datetime(2026, 1, 1, tzinfo=UTC))


def _credential_for(definition: Any) -> dict[str, Any]:
    recipient = model.Recipient(model.new_subject_id(), "mediatrice@example.org", "00" * 16)
    return model.build_credential(
        credential_id="0b9a0f8e-3f57-4f69-9c1e-222222222222", base_url=BASE_URL,
        issuer=PROFILE, badge=definition, recipient=recipient,
        award=model.Award(valid_from=datetime(2026, 2, 1, tzinfo=UTC),
                          evidence=({"type": ["Evidence"], "name": "Récit",
                                     "narrative": "A animé un atelier « Mallette Cyber »."},)),
        status=status_list_entry(f"{BASE_URL}/status/1/revocation", 3, "revocation"))


def _domain_definition() -> Any:
    catalogue = _seed_version()
    return skill_badges.badge_definition(skill_badges.draft_for_domain(catalogue, "CYB"),
                                         catalogue, BASE_URL)


# --- OB 3.0 alignment: defined terms, schema ---------------------------------------------------

@pytest.mark.parametrize("context_file", ["ob-v3p0-context-3.0.3.json",
                                          "ob-v3p0-context-3.0.3.current-2026.json"])
def test_alignment_terms_are_defined_by_both_revisions_of_the_ob_context(context_file):
    # VERIFICATION.md R4: wallets hold the 2024 copy, contexts.json maps the URL to the 2026 one
    path = Path(contexts.__file__).parent / context_file
    context = json.loads(path.read_text("utf-8"))["@context"]
    assert "alignment" in context["Achievement"]["@context"]
    defined = context["Alignment"]["@context"]
    assert all(term in defined for term in ALIGNMENT_TERMS)


def test_skill_badge_credential_has_no_undefined_term_and_keeps_the_alignment_when_expanded():
    credential = _credential_for(_domain_definition())

    assert_signable(credential)  # refuses any term a context does not define (VERIFICATION.md R1)
    assert SHAPES.undefined_terms(credential) == []
    expanded = jsonld.expand(credential, {"documentLoader": contexts.document_loader})
    text = json.dumps(expanded)
    for iri in ("https://purl.imsglobal.org/spec/vc/ob/vocab.html#alignment",
                "https://schema.org/AlignmentObject", "https://schema.org/targetName",
                "https://schema.org/targetUrl", "https://schema.org/targetFramework",
                "https://schema.org/targetDescription",
                "https://purl.imsglobal.org/spec/vc/ob/vocab.html#targetCode",
                "https://purl.imsglobal.org/spec/vc/ob/vocab.html#targetType"):
        assert iri in text


def test_skill_badge_credential_validates_against_the_ob_json_schema():
    credential = _credential_for(_domain_definition())

    assert schema_errors(credential) == []
    alignment = credential["credentialSubject"]["achievement"]["alignment"]
    assert [entry["targetType"] for entry in alignment] == ["CFItem"] * len(alignment)
    assert credential["credentialSubject"]["achievement"]["achievementType"] == "Competency"


def test_alignment_names_the_skill_its_code_the_framework_and_the_versioned_address():
    catalogue = _seed_version(3)
    definition = skill_badges.badge_definition(
        skill_badges.draft_for_skill(catalogue, "CYB-01"), catalogue, BASE_URL)
    [alignment] = model.build_achievement(definition, base_url=BASE_URL,
                                          issuer=PROFILE)["alignment"]
    skill = catalogue.skill("CYB-01")

    assert alignment == {
        "type": ["Alignment"], "targetName": skill.name.fr,
        "targetUrl": f"{BASE_URL}/competences/versions/3/CYB-01", "targetCode": "CYB-01",
        "targetFramework": catalogue.framework.title.fr, "targetType": "CFItem",
        "targetDescription": skill.description.fr}


def test_badges_without_alignment_are_unchanged():
    achievement = model.build_achievement(load_catalogue().badge("membre-cln"),
                                          base_url=BASE_URL, issuer=PROFILE)
    assert "alignment" not in achievement


# --- a badge per skill, a badge per domain ----------------------------------------------------

def test_badge_made_from_a_skill_takes_the_catalogue_texts_and_aligns_to_that_skill(service):
    badge = skill_badges.create_skill_badge(service, "skill", "acc-01", actor="coord@example.org")
    definition = service.catalogue.badge("competence-acc-01")
    skill = skills.current_catalogue(service).skill("ACC-01")

    assert badge.slug == "competence-acc-01" and badge.skill_codes == ("ACC-01",)
    assert definition.family == "skill" and definition.achievement_type == "Competency"
    assert definition.name.fr == skill.name.fr
    assert skill.description.fr in definition.description.fr
    assert "ACC-01" in definition.criteria.fr and "ACC-01" in definition.criteria.en
    assert [a.target_url for a in definition.alignments] == [
        f"{BASE_URL}/competences/versions/1/ACC-01"]
    assert service.catalogue.image_path(definition).name == "mediateur-numerique.svg"


def test_badge_made_from_a_domain_aligns_to_every_skill_of_the_domain(service):
    skill_badges.create_skill_badge(service, "domain", "DEM", actor="coord@example.org")
    definition = service.catalogue.badge("domaine-dem")
    codes = [skill.code for skill in skills.current_catalogue(service).skills_of("DEM")]

    assert [a.target_code for a in definition.alignments] == codes == [
        "DEM-01", "DEM-02", "DEM-03"]
    assert all(f"({code})" in definition.criteria.fr for code in codes)


def test_a_skill_or_domain_has_one_badge_only(service):
    skill_badges.create_skill_badge(service, "skill", "ACC-01", actor="coord@example.org")
    with pytest.raises(SkillBadgeError) as error:
        skill_badges.create_skill_badge(service, "skill", "ACC-01", actor="coord@example.org")
    assert error.value.code == "skill_badge.exists"


def test_unknown_skill_or_kind_is_refused_with_a_code(service):
    with pytest.raises(SkillBadgeError) as unknown:
        skill_badges.create_skill_badge(service, "skill", "ZZZ-99", actor="coord@example.org")
    with pytest.raises(SkillBadgeError) as kind:
        skill_badges.create_skill_badge(service, "level", "ACC-01", actor="coord@example.org")
    assert (unknown.value.code, kind.value.code) == ("skill_badge.unknown_target",
                                                     "skill_badge.unknown_kind")


def test_creating_a_badge_and_editing_its_criteria_are_audited(service):
    skill_badges.create_skill_badge(service, "skill", "CYB-02", actor="coord@example.org",
                                    origin="203.0.113.5")
    skill_badges.update_criteria(service, "competence-cyb-02", criteria_fr="Nouveaux critères.",
                                 criteria_en="New criteria.", actor="coord@example.org")

    assert service.catalogue.badge("competence-cyb-02").criteria.fr == "Nouveaux critères."
    with service.database.session(read_only=True) as session:
        actions = [(entry.action, entry.subject, entry.origin)
                   for entry in session.query(AuditEntry).filter(
                       AuditEntry.action.like("skill_badge.%")).order_by(AuditEntry.id)]
    assert actions == [("skill_badge.created", "competence-cyb-02", "203.0.113.5"),
                       ("skill_badge.criteria_edited", "competence-cyb-02", None)]


# --- issuing with evidence --------------------------------------------------------------------

def _issue(service: IssuerService, slug: str, email: str = "mediatrice@example.org",
           **evidence: Any) -> Any:
    given = SkillEvidence(**(evidence or {"narrative": "Accueille chaque mardi à la médiathèque."}))
    return skill_badges.issue_skill_badge(service, slug, email=email, name="Camille Exemple",
                                          given=given, actor="coord@example.org",
                                          send_email=False)


def test_skill_badge_is_issued_with_narrative_link_and_file_and_verifies(tmp_path, database_url,
                                                                        service_factory):
    service = _service(service_factory, tmp_path / "home", database_url)
    skill_badges.create_skill_badge(service, "skill", "ANI-01", actor="coord@example.org")
    issued = _issue(service, "competence-ani-01",
                    narrative="A animé trois ateliers **Mallette Cyber**.",
                    link="https://www.ville-roubaix.fr/ateliers", link_title="Programme",
                    upload=EvidenceUpload("photo atelier.png", PNG), file_title="Photo")
    evidence = issued.credential["evidence"]

    assert [entry["name"] for entry in evidence] == ["Récit", "Programme", "Photo"]
    assert evidence[0]["narrative"] == "A animé trois ateliers **Mallette Cyber**."
    assert evidence[1]["id"] == "https://www.ville-roubaix.fr/ateliers"
    file_url = evidence[2]["id"]
    assert file_url.startswith(f"{BASE_URL}/preuves/") and file_url.endswith(".png")
    assert all(entry["type"] == ["Evidence"] for entry in evidence)
    stored = evidence_dir(service.settings) / file_url.rsplit("/", 1)[1]
    assert stored.read_bytes() == PNG
    with service.database.session(read_only=True) as session:
        [row] = session.query(EvidenceFileRow).all()
        assert (row.credential_id, row.media_type) == (issued.credential_id, "image/png")
    assert schema_errors(issued.credential) == []
    report = verify(issued.credential_json, verification_context_for(service, untrusted=False))
    assert report.verdict == "valid", report.summary("en")
    service.database.dispose()


def test_evidence_is_required(service):
    skill_badges.create_skill_badge(service, "skill", "ACC-02", actor="coord@example.org")
    with pytest.raises(IssuerError) as error:
        _issue(service, "competence-acc-02", narrative="  ")
    assert error.value.code == "evidence.required"


@pytest.mark.parametrize(("name", "data", "code"), [
    ("page.html", b"<html><script>alert(1)</script></html>", "evidence.file_type"),
    ("image.svg", b"<svg xmlns='http://www.w3.org/2000/svg'/>", "evidence.file_type"),
    ("empty.pdf", b"", "evidence.empty_file"),
    ("huge.pdf", b"%PDF-" + b"0" * 5_000_000, "evidence.file_too_large"),
])
def test_unsafe_or_unusable_file_is_refused_and_nothing_is_issued_or_kept(service, name, data,
                                                                           code):
    skill_badges.create_skill_badge(service, "skill", "ACC-02", actor="coord@example.org")
    with pytest.raises(IssuerError) as error:
        _issue(service, "competence-acc-02", narrative="Récit.",
               upload=EvidenceUpload(name, data))
    assert error.value.code == code
    assert not any(evidence_dir(service.settings).glob("*"))
    with service.database.session(read_only=True) as session:
        assert session.query(EvidenceFileRow).count() == 0


@pytest.mark.parametrize("link", ["javascript:alert(1)", "www.example.org", "https://a b.org",
                                  "ftp://example.org/file"])
def test_link_that_is_not_a_complete_web_address_is_refused(service, link):
    skill_badges.create_skill_badge(service, "skill", "ACC-02", actor="coord@example.org")
    with pytest.raises(IssuerError) as error:
        _issue(service, "competence-acc-02", link=link)
    assert error.value.code == "evidence.bad_link"


def test_issuing_twice_returns_the_first_badge_and_keeps_no_new_file(service):
    skill_badges.create_skill_badge(service, "skill", "ORI-01", actor="coord@example.org")
    first = _issue(service, "competence-ori-01", upload=EvidenceUpload("a.pdf", PDF))
    again = _issue(service, "competence-ori-01", upload=EvidenceUpload("b.pdf", PDF))

    assert first.created and not again.created
    assert again.credential_id == first.credential_id
    assert len(list(evidence_dir(service.settings).glob("*.pdf"))) == 1


def test_issuing_is_audited_without_personal_data(service):
    skill_badges.create_skill_badge(service, "skill", "ORI-02", actor="coord@example.org")
    issued = _issue(service, "competence-ori-02", narrative="Oriente vers la carte des acteurs.",
                    link="https://example.org/carte")
    with service.database.session(read_only=True) as session:
        [entry] = session.query(AuditEntry).filter(AuditEntry.action == "skill_badge.issued").all()
        assert entry.subject == issued.credential_id
        assert entry.details == {"badge": "competence-ori-02", "skills": ["ORI-02"],
                                 "evidence": ["narrative", "link"], "file": None}
        assert "mediatrice" not in (entry.details_json or "") and "Camille" not in entry.details_json


# --- versions: a badge keeps pointing at the version it was issued under -------------------------

def _rename_skill(service: IssuerService, code: str, name_fr: str) -> None:
    skill = skills.current_catalogue(service).skill(code)
    skills.edit_skill(service, code, SkillDraft(
        code=code, domain_code=skill.domain_code, name=Bilingual(name_fr, skill.name.en),
        description=skill.description, levels=skill.levels, crosswalks=skill.crosswalks),
        actor="coord@example.org", note="Nom plus clair")


def test_versioned_uri_keeps_pointing_at_the_issue_time_version_after_a_catalogue_change(service):
    skill_badges.create_skill_badge(service, "skill", "CYB-01", actor="coord@example.org")
    before = _issue(service, "competence-cyb-01", email="avant@example.org")
    old_name = skills.current_catalogue(service).skill("CYB-01").name.fr
    _rename_skill(service, "CYB-01", "Sensibiliser à la cybersécurité au quotidien")
    after = _issue(service, "competence-cyb-01", email="apres@example.org")

    [old] = service.credential(before.credential_id).credential["credentialSubject"][
        "achievement"]["alignment"]
    [new] = after.credential["credentialSubject"]["achievement"]["alignment"]
    assert (old["targetUrl"], old["targetName"]) == (
        f"{BASE_URL}/competences/versions/1/CYB-01", old_name)
    assert (new["targetUrl"], new["targetName"]) == (
        f"{BASE_URL}/competences/versions/2/CYB-01", "Sensibiliser à la cybersécurité au quotidien")
    # version 1 still says what the first badge was issued for
    assert skills.catalogue_version(service, 1).skill("CYB-01").name.fr == old_name
    report = verify(service.credential(before.credential_id).credential_json,
                    verification_context_for(service, untrusted=False))
    assert report.verdict == "valid"


def test_retired_skill_is_left_out_of_new_badges_and_a_badge_of_retired_skills_is_refused(service):
    skill_badges.create_skill_badge(service, "domain", "PAR", actor="coord@example.org")
    skill_badges.create_skill_badge(service, "skill", "PAR-02", actor="coord@example.org")
    skills.retire_skill(service, "PAR-02", actor="coord@example.org", note="Fusionnée")

    issued = _issue(service, "domaine-par")
    codes = [a["targetCode"] for a in issued.credential["credentialSubject"]["achievement"]
             ["alignment"]]
    assert codes == ["PAR-01"]
    with pytest.raises(SkillBadgeError) as error:
        _issue(service, "competence-par-02")
    assert error.value.code == "skill_badge.retired_skill"


# --- the workspace pages and the public pages -------------------------------------------------

def test_coordinator_makes_a_badge_from_the_catalogue_and_issues_it_with_a_file(
        admin_app, signed_in_client):
    app, service = admin_app
    client = signed_in_client(app)

    page = client.get("/admin/competences/badges")
    assert page.status_code == 200 and 'value="skill:FAL-01"' in page.text
    created = client.post("/admin/competences/badges", data={"target": "skill:FAL-01"})
    assert created.status_code == 303
    assert created.headers["location"] == "/admin/competences/badges/competence-fal-01?cree=1"
    badge_page = client.get("/admin/competences/badges/competence-fal-01")
    assert badge_page.status_code == 200 and 'enctype="multipart/form-data"' in badge_page.text
    assert 'value="skill:FAL-01"' not in client.get("/admin/competences/badges").text

    issued = client.post("/admin/competences/badges/competence-fal-01/delivrer",
                         data={"name": "Camille Exemple", "email": "camille@example.org",
                               "narrative": "A réécrit un courrier en FALC.",
                               "link": "https://example.org/courrier-falc"},
                         files={"file": ("courrier.pdf", PDF, "application/pdf")})
    assert issued.status_code == 303, issued.text
    credential_id = issued.headers["location"].removeprefix("/admin/badges/")
    credential = service.credential(credential_id).credential
    file_url = credential["evidence"][2]["id"]

    public = client.get(file_url.removeprefix(BASE_URL))
    assert public.status_code == 200 and public.content == PDF
    assert public.headers["content-type"] == "application/pdf"
    assert public.headers["content-disposition"].startswith("attachment")
    assert "sandbox" in public.headers["content-security-policy"]
    assert public.headers["x-robots-tag"] == "noindex"


def test_issue_form_shows_the_problem_and_keeps_what_was_typed(admin_app, signed_in_client):
    app, service = admin_app
    client = signed_in_client(app)
    skill_badges.create_skill_badge(service, "skill", "EMP-01", actor="coord@example.org")

    response = client.post("/admin/competences/badges/competence-emp-01/delivrer",
                           data={"name": "Camille", "email": "camille@example.org",
                                 "narrative": "Récit gardé", "link": "pas un lien"})
    assert response.status_code == 400
    assert "Récit gardé" in response.text and 'role="alert"' in response.text


def test_criteria_form_saves_and_redirects(admin_app, signed_in_client):
    app, service = admin_app
    client = signed_in_client(app)
    skill_badges.create_skill_badge(service, "skill", "EMP-02", actor="coord@example.org")

    response = client.post("/admin/competences/badges/competence-emp-02/criteres",
                           data={"criteria_fr": "Critères revus.", "criteria_en": "Revised."})
    assert response.status_code == 303
    assert service.catalogue.badge("competence-emp-02").criteria.en == "Revised."


def test_skill_badge_pages_need_an_account_and_unknown_badges_are_404(admin_app,
                                                                       signed_in_client):
    from fastapi.testclient import TestClient

    app, _service = admin_app
    anonymous = TestClient(app, base_url=BASE_URL, follow_redirects=False)
    assert anonymous.get("/admin/competences/badges").status_code == 303
    assert anonymous.post("/admin/competences/badges",
                          data={"target": "skill:ACC-01"}).status_code in (303, 403)
    client = signed_in_client(app)
    assert client.get("/admin/competences/badges/competence-zzz-99").status_code == 404
    assert anonymous.get("/preuves/00000000-0000-0000-0000-000000000000.pdf").status_code == 404
    assert anonymous.get("/preuves/..%2Fissuer.sqlite3").status_code == 404


def test_credential_page_lists_the_aligned_skills_with_links_to_their_pages(admin_app):
    from fastapi.testclient import TestClient

    app, service = admin_app
    skill_badges.create_skill_badge(service, "domain", "CYB", actor="coord@example.org")
    issued = _issue(service, "domaine-cyb")
    catalogue = skills.current_catalogue(service)
    client = TestClient(app, base_url=BASE_URL)

    french = client.get(f"/credentials/{issued.credential_id}").text
    english = client.get(f"/credentials/{issued.credential_id}",
                         headers={"accept-language": "en"}).text
    for skill in catalogue.skills_of("CYB"):
        assert f'href="{BASE_URL}/competences/versions/1/{skill.code}"' in french
        assert f'href="{BASE_URL}/competences/{skill.code}"' in french
        assert skill.name.fr in french and skill.name.en in english
    # the version page the credential points at exists
    assert client.get(f"/competences/versions/1/{catalogue.skills_of('CYB')[0].code}",
                      headers={"accept": "text/html"}).status_code == 200


def test_credential_page_of_a_badge_without_alignment_lists_no_skill(admin_app):
    from fastapi.testclient import TestClient

    from issuer.issuance.issue_requests import IssueRequest

    app, service = admin_app
    issued = service.issue(IssueRequest("mediateur-numerique", "m@example.org"))
    page = TestClient(app, base_url=BASE_URL).get(f"/credentials/{issued.credential_id}").text
    assert 'id="skills-title"' not in page


def test_published_achievement_of_a_skill_badge_carries_its_alignments(admin_app):
    from fastapi.testclient import TestClient

    app, service = admin_app
    skill_badges.create_skill_badge(service, "skill", "SAN-01", actor="coord@example.org")
    document = TestClient(app, base_url=BASE_URL).get(
        "/achievements/competence-san-01", headers={"accept": "application/ld+json"}).json()

    assert document["achievementType"] == "Competency"
    assert [a["targetUrl"] for a in document["alignment"]] == [
        f"{BASE_URL}/competences/versions/1/SAN-01"]
    assert_signable(document)


def test_a_skill_badge_made_by_another_process_joins_the_catalogue(service, monkeypatch):
    skills.current_catalogue(service)  # seeds version 1
    assert "competence-res-01" not in {badge.slug for badge in service.catalogue.badges}
    # Another worker's insert: plain SQL, so no event of this process announces it.
    with service.database.engine.begin() as connection:
        connection.execute(SkillBadgeRow.__table__.insert().values(
            slug="competence-res-01", kind="skill", target_code="RES-01",
            skill_codes='["RES-01"]', name_fr="Réparer", name_en="Repair",
            description_fr="d", description_en="d", criteria_fr="c", criteria_en="c",
            catalogue_version=1, created_by="cli", created_at=datetime.now(UTC),
            updated_at=datetime.now(UTC)))
    monkeypatch.setattr(skill_badges, "RECHECK_SECONDS", 0.0)

    definition = service.catalogue.badge("competence-res-01")
    assert [a.target_code for a in definition.alignments] == ["RES-01"]


def test_erasing_a_person_forgets_the_evidence_files_their_badges_cite(service):
    from issuer.workspace.recipient_erasure import erase_person

    skill_badges.create_skill_badge(service, "skill", "RES-02", actor="coord@example.org")
    issued = _issue(service, "competence-res-02", upload=EvidenceUpload("a.png", PNG))
    file_name = issued.credential["evidence"][0]["id"].rsplit("/", 1)[1]
    assert published_evidence_file(service, file_name) is not None
    with service.database.session(read_only=True) as session:
        person = session.get(IssuedCredential, issued.credential_id).recipient_id

    erase_person(service, person, actor="coord@example.org")

    # A photo may show the person: the row and the file go with the rest of their data.
    assert not any(evidence_dir(service.settings).glob("*.png"))
    assert published_evidence_file(service, file_name) is None
