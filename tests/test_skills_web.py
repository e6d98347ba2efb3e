"""The published catalogue and its workspace pages (issue #5, items 2–3): /competences in
French and English, each skill at its stable address (HTML or JSON-LD), versions, a retired
skill still answering, the JSON-LD and CASE downloads; and /admin/competences through the real
forms of a signed-in coordinator: create, edit (new version), retire, reorder, import CASE."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from html import unescape

import httpx
import jsonschema
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select

from issuer.issuance.service import IssuerService
from issuer.network.skills import service as skills
from issuer.network.skills.case import case_package_schema
from issuer.openbadges import contexts
from issuer.storage.models import AuditEntry

Client = Callable[..., TestClient]
BASE_URL = "https://badges.example.org"
HTML = {"accept": "text/html,application/xhtml+xml"}
JSON_LD = {"accept": "application/ld+json"}


@pytest.fixture
def public(admin_app: tuple[FastAPI, IssuerService]) -> TestClient:
    return TestClient(admin_app[0], base_url=BASE_URL)


def page(client: TestClient, path: str, status: int = 200) -> str:
    response = client.get(path, headers=HTML)
    assert response.status_code == status, response.text[:500]
    return str(response.text)


def redirect_of(response: httpx.Response) -> str:
    assert response.status_code == 303, _message(response.text) or response.text[:800]
    return str(response.headers["location"])


def _message(text: str) -> str:
    found = re.search(r'<div class="form-error"[^>]*>.*?<p>(.*?)</p>', text, re.DOTALL)
    return found.group(1) if found else ""


# --- public pages ---------------------------------------------------------------------------


def test_catalogue_page_lists_domains_and_skills_in_french(public: TestClient) -> None:
    text = page(public, "/competences")
    assert '<html lang="fr">' in text
    assert 'id="domaine-CYB"' in text and "Sensibilisation à la cybersécurité" in text
    assert 'href="/competences/CYB-02"' in text
    assert 'href="https://badges.example.org/competences/case.json"' in text


def test_catalogue_page_in_english(public: TestClient) -> None:
    text = page(public, "/competences?lang=en")
    assert '<html lang="en">' in text and "Cybersecurity awareness" in text


def test_skill_page_and_json_ld_share_one_stable_address(public: TestClient) -> None:
    text = page(public, "/competences/FAL-01")
    assert "Écrire en facile à lire et à comprendre (FALC)" in text
    assert 'id="niveau-2"' in text  # the catalogue's levels
    response = public.get("/competences/FAL-01", headers=JSON_LD)
    assert response.headers["content-type"].startswith("application/ld+json")
    document = response.json()
    assert document["id"] == f"{BASE_URL}/competences/FAL-01"
    assert document["@context"] == f"{BASE_URL}/contexts/competences-v1.jsonld"
    assert "deprecated" not in document


def test_crosswalks_are_shown_as_links(public: TestClient) -> None:
    text = page(public, "/competences/DEM-01")
    assert ('href="http://data.europa.eu/esco/skill/16a00c69-9c74-4c37-96d7-6301d285e5ce"'
            in text)


def test_published_context_is_the_pinned_file(public: TestClient) -> None:
    response = public.get("/contexts/competences-v1.jsonld")
    assert response.status_code == 200
    assert response.content == contexts.context_bytes(contexts.SKILLS_CATALOGUE_V1)


def test_catalogue_downloads(public: TestClient) -> None:
    catalogue = public.get("/competences/catalogue.jsonld")
    assert catalogue.headers["content-type"].startswith("application/ld+json")
    assert catalogue.json()["type"] == "DefinedTermSet"
    package = public.get("/competences/case.json")
    assert package.headers["content-type"].startswith("application/json")
    jsonschema.Draft202012Validator(case_package_schema()).validate(package.json())


def test_unknown_skill_and_version_are_not_found(public: TestClient) -> None:
    page(public, "/competences/ZZZ-01", status=404)
    assert public.get("/competences/versions/99/ACC-01", headers=JSON_LD).status_code == 404
    assert public.get("/competences/versions/1/ZZZ-01", headers=JSON_LD).status_code == 404


def test_retired_skill_still_resolves_marked_retired(
        admin_app: tuple[FastAPI, IssuerService], public: TestClient) -> None:
    skills.retire_skill(admin_app[1], "PAR-02", actor="cli", note="Remplacée")
    text = page(public, "/competences/PAR-02")
    assert "Compétence retirée." in text
    assert public.get("/competences/PAR-02", headers=JSON_LD).json()["deprecated"] is True
    listing = page(public, "/competences")
    assert 'id="retirees"' in listing
    assert listing.index('href="/competences/PAR-02"') > listing.index('id="retirees"')


def test_a_version_address_shows_the_skill_as_it_was(
        admin_app: tuple[FastAPI, IssuerService], public: TestClient,
        signed_in_client: Client) -> None:
    coordinator = signed_in_client(admin_app[0])
    redirect_of(coordinator.post("/admin/competences/ORI-01", data={
        "domain": "ORI", "name_fr": "Orienter vers le bon lieu",
        "description_fr": "Trouver le bon lieu sur la carte.", "note": "Nom plus court"}))
    assert "Orienter vers le bon lieu" in page(public, "/competences/ORI-01")
    old = page(public, "/competences/versions/1/ORI-01")
    assert "Orienter vers le bon acteur du réseau" in old
    assert "version 1 du catalogue" in old
    assert public.get("/competences/versions/2/ORI-01", headers=JSON_LD).json()["id"] == (
        f"{BASE_URL}/competences/versions/2/ORI-01")


# --- the workspace --------------------------------------------------------------------------


def test_catalogue_admin_needs_an_account(admin_app: tuple[FastAPI, IssuerService]) -> None:
    anonymous = TestClient(admin_app[0], base_url=BASE_URL, follow_redirects=False)
    assert anonymous.get("/admin/competences").headers["location"].startswith("/admin/connexion")
    refused = anonymous.post("/admin/competences/nouvelle", data={"code": "ACC-09"})
    assert refused.status_code == 403
    assert not skills.current_catalogue(admin_app[1]).has_skill("ACC-09")


def test_coordinator_creates_a_skill_as_a_new_version(
        admin_app: tuple[FastAPI, IssuerService], signed_in_client: Client) -> None:
    app, service = admin_app
    coordinator = signed_in_client(app)
    assert "Ajouter une compétence" in page(coordinator, "/admin/competences")
    location = redirect_of(coordinator.post("/admin/competences/nouvelle", data={
        "code": "acc-03", "domain": "ACC", "name_fr": "Tenir une permanence numérique",
        "name_en": "Running a digital drop-in", "description_fr": "Accueillir sans rendez-vous.",
        "level1_name_fr": "Avec une ou un collègue", "level1_description_fr": "En binôme.",
        "related_matches": "http://data.europa.eu/esco/skill/16a00c69-9c74-4c37-96d7-6301d285e5ce ESCO",
        "note": "Demande du réseau"}))
    assert location == "/admin/competences?fait=ajoutee&code=ACC-03&version=2"
    assert "version 2 du catalogue" in page(coordinator, location)
    skill = skills.current_catalogue(service).skill("ACC-03")
    assert skill.levels[0].name.fr == "Avec une ou un collègue"
    assert skill.crosswalks[0].framework == "ESCO"
    history = page(coordinator, "/admin/competences/versions")
    assert "Demande du réseau" in history and coordinator.admin_user.email in history  # type: ignore[attr-defined]
    with service.database.session(read_only=True) as session:
        entry = session.scalars(select(AuditEntry).where(
            AuditEntry.action == "skills.skill_added")).one()
    assert entry.actor == coordinator.admin_user.email  # type: ignore[attr-defined]


def test_a_change_without_note_changes_nothing(
        admin_app: tuple[FastAPI, IssuerService], signed_in_client: Client) -> None:
    coordinator = signed_in_client(admin_app[0])
    response = coordinator.post("/admin/competences/nouvelle", data={
        "code": "ACC-03", "domain": "ACC", "name_fr": "Sans note",
        "description_fr": "x", "note": ""})
    assert response.status_code == 400
    assert "note de modification est obligatoire" in _message(response.text)
    assert 'value="Sans note"' in response.text  # what was typed is kept
    assert skills.current_catalogue(admin_app[1]).version == 1


def test_coordinator_edits_retires_reinstates_and_reorders(
        admin_app: tuple[FastAPI, IssuerService], signed_in_client: Client) -> None:
    app, service = admin_app
    coordinator = signed_in_client(app)
    form = page(coordinator, "/admin/competences/CYB-01")
    assert "Reconnaître les arnaques en ligne" in form
    redirect_of(coordinator.post("/admin/competences/CYB-01", data={
        "domain": "CYB", "name_fr": "Repérer les arnaques en ligne",
        "name_en": "Spotting online scams", "description_fr": "Hameçonnage, faux appels.",
        "note": "Vocabulaire plus simple"}))
    assert "Confirmer" in page(coordinator, "/admin/competences/CYB-01/retirer")
    redirect_of(coordinator.post("/admin/competences/CYB-01/retirer",
                                 data={"note": "Fusion avec CYB-02"}))
    redirect_of(coordinator.post("/admin/competences/CYB-01/reintegrer",
                                 data={"note": "Finalement gardée"}))
    redirect_of(coordinator.post("/admin/competences/CYB-02/monter", data={"note": "Ordre"}))
    redirect_of(coordinator.post("/admin/competences/domaines/EMP/monter",
                                 data={"note": "Priorité emploi"}))
    catalogue = skills.current_catalogue(service)
    assert catalogue.version == 6
    assert [s.code for s in catalogue.skills_of("CYB")] == ["CYB-02", "CYB-01"]
    assert [d.code for d in catalogue.ordered_domains()][-2:] == ["EMP", "ORI"]
    assert skills.catalogue_version(service, 3).skill("CYB-01").retired
    assert page(coordinator, "/admin/competences/CYB-01/supprimer", status=404)


def test_coordinator_adds_and_retires_a_domain(
        admin_app: tuple[FastAPI, IssuerService], signed_in_client: Client) -> None:
    app, service = admin_app
    coordinator = signed_in_client(app)
    redirect_of(coordinator.post("/admin/competences/domaines/nouveau", data={
        "code": "INC", "name_fr": "Inclusion bancaire", "name_en": "Banking inclusion",
        "note": "Nouveau thème"}))
    redirect_of(coordinator.post("/admin/competences/domaines/INC/retirer",
                                 data={"note": "Pas retenu"}))
    catalogue = skills.current_catalogue(service)
    assert catalogue.domain("INC").retired and catalogue.version == 3


def test_coordinator_imports_a_case_package(
        admin_app: tuple[FastAPI, IssuerService], signed_in_client: Client) -> None:
    app, service = admin_app
    coordinator = signed_in_client(app)
    package = TestClient(app, base_url=BASE_URL).get("/competences/case.json").json()
    for item in package["CFItems"]:
        if item["humanCodingScheme"] == "SAN-01" and item["language"] == "fr":
            item["abbreviatedStatement"] = "Accompagner la e-santé"
    location = redirect_of(coordinator.post(
        "/admin/competences/importer", data={"note": "Relecture externe"},
        files={"package": ("competences.json", json.dumps(package).encode(), "application/json")}))
    assert location == "/admin/competences?fait=importe"
    assert "Le paquet CASE a été importé." in page(coordinator, location)
    catalogue = skills.current_catalogue(service)
    assert catalogue.version == 2
    assert catalogue.skill("SAN-01").name.fr == "Accompagner la e-santé"


def test_malformed_case_upload_is_refused_with_its_reason(
        admin_app: tuple[FastAPI, IssuerService], signed_in_client: Client) -> None:
    coordinator = signed_in_client(admin_app[0])
    response = coordinator.post(
        "/admin/competences/importer", data={"note": "Essai"},
        files={"package": ("p.json", b'{"CFItems": []}', "application/json")})
    assert response.status_code == 400
    assert "Paquet CASE 1.1 invalide" in _message(response.text)
    # In French words, not the schema's English (issue 13, item 10).
    said = unescape(_message(response.text))
    assert "il manque le champ obligatoire « CFDocument »" in said
    assert "is a required property" not in said
    unreadable = coordinator.post(
        "/admin/competences/importer", data={"note": "Essai"},
        files={"package": ("p.json", b"not json", "application/json")})
    assert "pas un JSON lisible" in _message(unreadable.text)
    assert skills.current_catalogue(admin_app[1]).version == 1


def test_current_skill_page_is_revalidated_so_an_edit_shows_at_once(public: TestClient) -> None:
    """Found by the browser tests: a five-minute cache kept showing a retired skill as current."""
    page = public.get("/competences/ACC-01", headers={"accept": "text/html"})
    assert page.status_code == 200
    assert page.headers["cache-control"] == "no-cache"
    assert "Accept" in page.headers["vary"]
    version = public.get("/competences/versions/1/ACC-01", headers={"accept": "text/html"})
    assert version.headers["cache-control"] == "public, max-age=86400"
    document = public.get("/competences/ACC-01", headers={"accept": "application/ld+json"})
    assert document.headers["vary"] == "Accept"


# --- links to the catalogue and the skill badges (issue 13, item 10) --------------------------


def test_the_public_catalogue_is_linked_from_the_home_page_and_the_menu(public: TestClient) -> None:
    home = page(public, "/")
    menu = home.split('class="main-nav"')[1].split("</nav>")[0]
    assert 'href="/competences"' in menu and ">Compétences<" in menu
    body = home.split('id="contenu"')[1]
    assert 'href="/competences">Voir le catalogue des compétences</a>' in body
    catalogue = page(public, "/competences")
    assert 'href="/competences" aria-current="page"' in catalogue
    english = page(public, "/?lang=en")
    assert 'href="/competences">See the skills catalogue</a>' in english


def test_skill_badges_are_linked_from_the_workspace_menu_and_the_catalogue(
        admin_app: tuple[FastAPI, IssuerService], signed_in_client: Client) -> None:
    coordinator = signed_in_client(admin_app[0])
    dashboard = page(coordinator, "/admin")
    menu = dashboard.split('class="admin-nav"')[1].split("</nav>")[0]
    assert 'href="/admin/competences/badges">Badges de compétences</a>' in menu
    catalogue = page(coordinator, "/admin/competences")
    assert 'href="/admin/competences/badges">Badges de compétences</a>' in catalogue
    badges = page(coordinator, "/admin/competences/badges")
    menu = badges.split('class="admin-nav"')[1].split("</nav>")[0]
    # Only the page shown is marked current in the menu, not the catalogue above it.
    assert 'href="/admin/competences/badges" aria-current="page"' in menu
    assert 'href="/admin/competences" aria-current="page"' not in menu
