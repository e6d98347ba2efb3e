"""Mediators' own area (issue #5, items 6 and 7): password-less sign-in by e-mail link,
"Mon espace" (skills held and not held, badges, directory entry), and the public directory
built from verified, unrevoked badges. Through the real pages and forms; e-mails go to the
outbox folder (no SMTP server) and the link is read from the `.eml` file."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from html import unescape
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select

from issuer.issuance.issue_requests import IssueRequest
from issuer.issuance.service import IssuerService
from issuer.mail import outbox_message
from issuer.network import mediators
from issuer.network.mediators import DirectoryQuery, ProfileDraft, ProfileInvalid
from issuer.network.skill_badges import SkillEvidence, create_skill_badge, issue_skill_badge
from issuer.storage.mediator_models import DirectoryProfile, MediatorSession
from issuer.storage.models import AuditEntry, IssuedCredential
from issuer.storage.workspace_models import EmailMessage
from tests.plugins.admin import BASE_URL

CAMILLE = "camille.mediatrice@example.org"
SACHA = "sacha.mediateur@example.org"
DOMINIQUE = "dominique.ville@example.org"
LINK = re.compile(r"https://badges\.example\.org/espace/lien/[A-Za-z0-9_\-]+")
EMAIL_PATTERN = re.compile(r"[\w.+-]+@[\w-]+\.[\w.]+")


class FakeClock:
    def __init__(self) -> None:
        self.now = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@pytest.fixture
def app(admin_app: tuple[FastAPI, IssuerService]) -> FastAPI:
    app, service = admin_app
    for kind, code in (("skill", "ACC-01"), ("skill", "CYB-01"), ("domain", "DEM")):
        create_skill_badge(service, kind, code, actor="coordinatrice@ville-roubaix.example")
    return app


def service_of(app: FastAPI) -> IssuerService:
    service: IssuerService = app.state.service
    return service


def award(app: FastAPI, slug: str, email: str, name: str = "Camille Exemple") -> str:
    issued = issue_skill_badge(service_of(app), slug, email=email, name=name,
                               given=SkillEvidence(narrative="Observé en atelier."),
                               actor="coordinatrice@ville-roubaix.example", send_email=False)
    return issued.credential_id


def browser(app: FastAPI) -> TestClient:
    return TestClient(app, base_url=BASE_URL, follow_redirects=False)


def sign_in_messages(app: FastAPI) -> list[EmailMessage]:
    with service_of(app).database.session(read_only=True) as session:
        return list(session.scalars(select(EmailMessage).where(
            EmailMessage.kind == mediators.SIGN_IN_MAIL_KIND).order_by(EmailMessage.created_at)))


def link_from_outbox(app: FastAPI) -> str:
    """The sign-in link of the latest sign-in e-mail, read from its .eml file."""
    row = sign_in_messages(app)[-1]
    assert row.status == "outbox"
    _row, message = outbox_message(service_of(app), row.id)
    body = message.get_body(("plain",))
    assert body is not None
    text = body.get_content()
    found = LINK.findall(text)
    assert found, text
    return found[0]


def signed_in(app: FastAPI, email: str) -> TestClient:
    client = browser(app)
    answer = client.post("/espace/connexion", data={"email": email})
    assert answer.status_code == 303
    link = link_from_outbox(app)
    path = link.removeprefix(BASE_URL)
    assert client.get(path).status_code == 200
    opened = client.post(path)
    assert opened.status_code == 303 and opened.headers["location"] == "/espace"
    return client


def join(client: TestClient, **fields: str) -> None:
    form = {"display_name": "Camille E.", "sector": "nord", "organisation": "Centre social Nord",
            "description": "Démarches en ligne, le mardi matin.", "contact_url": ""} | fields
    answer = client.post("/espace/annuaire", data=form)
    assert answer.status_code == 303, answer.text[:2000]


def section(html: str, anchor: str, next_anchor: str | None = None) -> str:
    """The part of the page from the heading `id=anchor` to the next section's heading."""
    start = html.index(f'id="{anchor}"')
    end = html.index(f'id="{next_anchor}"', start) if next_anchor else len(html)
    return html[start:end]


def directory(client: TestClient, **params: str) -> str:
    answer = client.get("/annuaire", params=params)
    assert answer.status_code == 200
    return unescape(answer.text)


def entries_of(html: str) -> list[str]:
    return [unescape(name) for name in re.findall(r'<li class="directory-entry">\s*<h3>(.*?)</h3>',
                                                   html)]


# --- signing in ------------------------------------------------------------------------------

def test_the_link_read_from_the_outbox_opens_the_space_once(app: FastAPI) -> None:
    award(app, "competence-acc-01", CAMILLE)
    client = browser(app)
    form = client.get("/espace")
    assert form.status_code == 200 and 'action="/espace/connexion"' in form.text
    answer = client.post("/espace/connexion", data={"email": CAMILLE.upper()})
    assert answer.status_code == 303 and answer.headers["location"] == "/espace?fait=link-sent"
    link = link_from_outbox(app)
    path = link.removeprefix(BASE_URL)

    # Opening the link only shows a button: a mail scanner following it spends nothing.
    assert client.get(path).status_code == 200
    assert client.get(path).status_code == 200
    opened = client.post(path)
    assert opened.status_code == 303
    assert "__Host-issuer_mediator_session" in opened.headers["set-cookie"]
    space = client.get("/espace")
    assert space.status_code == 200 and 'action="/espace/deconnexion"' in space.text
    assert space.headers["cache-control"] == "no-store"

    stranger = browser(app)
    assert stranger.post(path).status_code == 404  # used once
    assert stranger.get(path).status_code == 404
    with service_of(app).database.session(read_only=True) as session:
        stored = [row.token_hash for row in session.scalars(select(MediatorSession))]
    token = link.rsplit("/", 1)[1]
    assert token not in stored and len(stored) == 1  # only digests are kept
    with service_of(app).database.session(read_only=True) as session:
        audit = [(row.actor, row.action, row.subject, row.details_json or "")
                 for row in session.scalars(select(AuditEntry))]
    assert ("mediator", "mediator.signed_in") in {(actor, action) for actor, action, *_ in audit}
    assert not any(CAMILLE in " ".join(line) or token in " ".join(line) for line in audit)


def test_a_sign_in_link_expires_after_twenty_minutes(app: FastAPI) -> None:
    award(app, "competence-acc-01", CAMILLE)
    clock = FakeClock()
    app.state.mediator_clock = clock
    client = browser(app)
    client.post("/espace/connexion", data={"email": CAMILLE})
    path = link_from_outbox(app).removeprefix(BASE_URL)
    clock.advance(minutes=20, seconds=1)
    expired = client.get(path)
    assert expired.status_code == 404 and 'href="/espace"' in expired.text
    assert client.post(path).status_code == 404
    assert 'action="/espace/connexion"' in client.get("/espace").text  # still signed out

    client.post("/espace/connexion", data={"email": CAMILLE})
    clock.advance(minutes=19)
    assert client.post(link_from_outbox(app).removeprefix(BASE_URL)).status_code == 303
    assert 'action="/espace/deconnexion"' in client.get("/espace").text
    clock.advance(hours=2, seconds=1)  # idle too long: the session is over
    assert 'action="/espace/connexion"' in client.get("/espace").text


def test_an_unknown_address_gets_the_same_answer_and_no_email(app: FastAPI) -> None:
    award(app, "competence-acc-01", CAMILLE)
    known = browser(app).post("/espace/connexion", data={"email": CAMILLE})
    unknown_client = browser(app)
    unknown = unknown_client.post("/espace/connexion", data={"email": "personne@example.org"})
    assert (unknown.status_code, unknown.headers["location"]) == (
        known.status_code, known.headers["location"])
    after_known = browser(app).get(known.headers["location"]).text
    after_unknown = unknown_client.get(unknown.headers["location"]).text
    assert after_known == after_unknown
    assert "personne@example.org" not in after_unknown
    assert len(sign_in_messages(app)) == 1  # Camille's only


def test_a_person_whose_only_badge_is_not_a_skill_badge_can_sign_in_but_not_join(
        app: FastAPI) -> None:
    service_of(app).issue(IssueRequest(badge_slug="petit-dejeuner-inclusion-numerique", email=SACHA,
                                       event_number=9,
                                       role="participant"))
    client = signed_in(app, SACHA)
    page = client.get("/espace").text
    assert 'action="/espace/annuaire"' not in page
    refused = client.post("/espace/annuaire", data={"display_name": "Sacha", "sector": "sud"})
    assert refused.status_code == 400
    assert entries_of(directory(client)) == []


def test_link_requests_are_limited_per_address_known_or_not(app: FastAPI) -> None:
    award(app, "competence-acc-01", CAMILLE)
    answers = {}
    for address in (CAMILLE, "inconnue@example.org"):
        client = browser(app)
        for _ in range(mediators.POLICY.max_requests_per_address):
            assert client.post("/espace/connexion", data={"email": address}).status_code == 303
        answers[address] = client.post("/espace/connexion", data={"email": address})
    assert {answer.status_code for answer in answers.values()} == {429}
    texts = [re.sub(re.escape(address), "", unescape(answer.text))
             for address, answer in answers.items()]
    assert texts[0] == texts[1]
    assert len(sign_in_messages(app)) == mediators.POLICY.max_requests_per_address


def test_link_requests_are_limited_per_client(app: FastAPI) -> None:
    client = browser(app)
    for number in range(mediators.POLICY.max_requests_per_client):
        answer = client.post("/espace/connexion", data={"email": f"p{number}@example.org"})
        assert answer.status_code == 303
    refused = client.post("/espace/connexion", data={"email": "encore@example.org"})
    assert refused.status_code == 429 and int(refused.headers["retry-after"]) > 0


def test_a_malformed_address_is_refused_without_counting(app: FastAPI) -> None:
    answer = browser(app).post("/espace/connexion", data={"email": "pas-une-adresse"})
    assert answer.status_code == 400 and 'aria-invalid="true"' in answer.text


def test_signing_out_ends_the_session_and_it_never_opens_the_admin(app: FastAPI) -> None:
    award(app, "competence-acc-01", CAMILLE)
    client = signed_in(app, CAMILLE)
    admin = client.get("/admin")
    assert admin.status_code == 303 and admin.headers["location"].startswith("/admin/connexion")
    cookie = client.cookies.get("__Host-issuer_mediator_session")
    assert client.post("/espace/deconnexion").status_code == 303
    replay = browser(app)
    replay.cookies.set("__Host-issuer_mediator_session", cookie or "", domain="badges.example.org")
    assert 'action="/espace/connexion"' in replay.get("/espace").text


# --- the space -------------------------------------------------------------------------------

def test_the_space_lists_skills_held_and_the_catalogue_skills_not_held(app: FastAPI) -> None:
    credential_id = award(app, "competence-acc-01", CAMILLE)
    page = unescape(signed_in(app, CAMILLE).get("/espace").text)
    badges = section(page, "badges", "competences")  # the badges first (issue 13 item 6)
    held = section(page, "competences", "recommandations")
    endorsements = section(page, "recommandations", "a-decouvrir")
    missing = section(page, "a-decouvrir", "annuaire")
    assert 'href="/competences/ACC-01"' in held
    assert 'href="/competences/DEM-01"' not in held
    assert 'href="/competences/ACC-01"' not in missing
    assert 'href="/competences/DEM-01"' in missing and 'href="/competences/CYB-01"' in missing
    assert "<li>" not in endorsements  # none yet (item 5 comes later)
    assert f'href="/credentials/{credential_id}"' in badges


def test_the_space_counts_only_valid_badges(app: FastAPI) -> None:
    credential_id = award(app, "competence-acc-01", CAMILLE)
    service_of(app).revoke(credential_id, "Délivré par erreur")
    page = unescape(signed_in(app, CAMILLE).get("/espace").text)
    assert 'href="/competences/ACC-01"' in section(page, "a-decouvrir", "annuaire")
    assert 'badge-state revoked' in section(page, "badges", "competences")


# --- the directory ---------------------------------------------------------------------------

@pytest.fixture
def network(app: FastAPI) -> dict[str, TestClient]:
    """Camille (ACC-01, sector Nord), Sacha (domain DEM, sector Sud), Dominique (CYB-01, whole
    city), all listed."""
    award(app, "competence-acc-01", CAMILLE, "Camille Exemple")
    award(app, "domaine-dem", SACHA, "Sacha Exemple")
    award(app, "competence-cyb-01", DOMINIQUE, "Dominique Exemple")
    clients = {"camille": signed_in(app, CAMILLE), "sacha": signed_in(app, SACHA),
               "dominique": signed_in(app, DOMINIQUE)}
    join(clients["camille"], display_name="Camille E.", sector="nord")
    join(clients["sacha"], display_name="Sacha E.", sector="sud", organisation="Médiathèque",
         contact_url="https://mediatheque.example.org/contact")
    join(clients["dominique"], display_name="Dominique E.", sector="ville")
    return clients


def test_opting_in_lists_the_mediator_searchable_by_skill_domain_and_sector(
        app: FastAPI, network: dict[str, TestClient]) -> None:
    client = browser(app)
    assert entries_of(directory(client)) == ["Camille E.", "Dominique E.", "Sacha E."]
    assert entries_of(directory(client, competence="ACC-01")) == ["Camille E."]
    assert entries_of(directory(client, competence="DEM-02")) == ["Sacha E."]
    assert entries_of(directory(client, domaine="DEM")) == ["Sacha E."]
    assert entries_of(directory(client, domaine="CYB")) == ["Dominique E."]
    # A sector shows its mediators and those working in the whole city.
    assert entries_of(directory(client, secteur="nord")) == ["Camille E.", "Dominique E."]
    assert entries_of(directory(client, secteur="sud", domaine="ACC")) == []
    page = directory(client, competence="DEM-01")
    assert 'href="/competences/DEM-01"' in page
    assert 'href="https://mediatheque.example.org/contact"' in page


def test_each_entry_links_to_the_persons_public_badge_pages(
        app: FastAPI, network: dict[str, TestClient]) -> None:
    with service_of(app).database.session(read_only=True) as session:
        ids = list(session.scalars(select(IssuedCredential.id)))
    page = directory(browser(app))
    for credential_id in ids:
        assert f'href="/credentials/{credential_id}"' in page
        assert browser(app).get(f"/credentials/{credential_id}").status_code == 200


def test_the_directory_never_shows_an_email_address(
        app: FastAPI, network: dict[str, TestClient]) -> None:
    for params in ({}, {"competence": "ACC-01"}, {"secteur": "sud"}):
        page = directory(browser(app), **params)
        assert EMAIL_PATTERN.findall(page) == []
        for address in (CAMILLE, SACHA, DOMINIQUE):
            assert address not in page and address.split("@")[0] not in page


def test_a_revoked_badge_takes_its_skills_out_of_the_directory(
        app: FastAPI, network: dict[str, TestClient]) -> None:
    second = award(app, "competence-cyb-01", CAMILLE)
    assert entries_of(directory(browser(app), domaine="CYB")) == ["Camille E.", "Dominique E."]
    service_of(app).revoke(second, "Délivré par erreur")
    assert entries_of(directory(browser(app), domaine="CYB")) == ["Dominique E."]
    assert "Camille E." in entries_of(directory(browser(app)))  # ACC-01 still valid

    with service_of(app).database.session(read_only=True) as session:
        first = session.scalar(select(IssuedCredential.id).where(
            IssuedCredential.badge_slug == "competence-acc-01"))
    assert first is not None
    service_of(app).suspend(first, "Vérification en cours")
    assert "Camille E." not in entries_of(directory(browser(app)))


def test_a_badge_that_fails_verification_is_not_listed(
        app: FastAPI, network: dict[str, TestClient]) -> None:
    """Not only the database's word: each listed badge is verified (here, a stored credential
    altered after signing)."""
    service = service_of(app)
    with service.database.session() as session:
        row = session.scalar(select(IssuedCredential).where(
            IssuedCredential.badge_slug == "domaine-dem"))
        assert row is not None
        tampered = json.loads(row.credential_json)
        tampered["credentialSubject"]["achievement"]["alignment"][0]["targetCode"] = "ACC-01"
        row.credential_json = json.dumps(tampered)
    assert "Sacha E." not in entries_of(directory(browser(app)))
    assert mediators.build_directory(service, DirectoryQuery(domain="DEM")) == []


def test_opting_out_removes_the_entry_at_once(app: FastAPI,
                                              network: dict[str, TestClient]) -> None:
    left = network["camille"].post("/espace/annuaire/retrait")
    assert left.status_code == 303
    assert "Camille E." not in entries_of(directory(browser(app)))
    with service_of(app).database.session(read_only=True) as session:
        kept = sorted(row.display_name for row in session.scalars(select(DirectoryProfile)))
    assert kept == ["Dominique E.", "Sacha E."]  # what Camille's entry showed is deleted
    assert 'action="/espace/annuaire/retrait"' not in network["camille"].get("/espace").text


def test_an_entry_may_not_carry_an_email_address_or_a_non_https_link(app: FastAPI) -> None:
    award(app, "competence-acc-01", CAMILLE)
    client = signed_in(app, CAMILLE)
    for fields in ({"description": f"Écrivez-moi : {CAMILLE}"},
                   {"contact_url": f"mailto:{CAMILLE}"},
                   {"contact_url": "https://camille@example.org/"},
                   {"contact_url": "http://example.org/"},
                   {"sector": "atlantide"},
                   {"display_name": "  "}):
        form = {"display_name": "Camille E.", "sector": "nord"} | fields
        answer = client.post("/espace/annuaire", data=form)
        assert answer.status_code == 400 and 'aria-invalid="true"' in answer.text, fields
    assert entries_of(directory(browser(app))) == []


def test_profile_texts_are_cleaned_before_they_are_shown() -> None:
    draft = mediators.check_profile(ProfileDraft(
        display_name="  Camille \t E. ", sector="nord", organisation="Centre\nsocial",
        description="Ligne 1\r\n\r\n\r\n\r\nLigne 2\x0b", contact_url=" https://ex.org/a "))
    assert draft == ProfileDraft("Camille E.", "nord", "Centre social", "Ligne 1\n\nLigne 2",
                                 "https://ex.org/a")
    with pytest.raises(ProfileInvalid) as refused:
        mediators.check_profile(ProfileDraft("Camille", "nord", description="x" * 601))
    assert refused.value.field == "description"
    # A name is a person's name (issuer.names): a control character is refused, not cleaned.
    with pytest.raises(ProfileInvalid) as refused:
        mediators.check_profile(ProfileDraft("Camille \x07 E.", "nord"))
    assert refused.value.field == "display_name" and "U+0007" in refused.value.message_fr


def test_skill_codes_are_read_only_from_our_own_skill_addresses() -> None:
    base = "https://badges.example.org"
    credential = {"credentialSubject": {"achievement": {"alignment": [
        {"targetUrl": f"{base}/competences/versions/3/ACC-01"},
        {"targetUrl": f"{base}/competences/DEM-02"},
        {"targetUrl": f"{base}/competences/versions/3/ACC-01"},
        {"targetUrl": "https://elsewhere.example/competences/CYB-01"},
        {"targetUrl": f"{base}/competences/catalogue.jsonld"},
        "not an object"]}}}
    assert mediators.aligned_skill_codes(credential, base) == ("ACC-01", "DEM-02")


def test_the_directory_and_the_space_are_in_english_with_the_switch(
        app: FastAPI, network: dict[str, TestClient]) -> None:
    client = browser(app)
    french = client.get("/annuaire")
    assert french.headers["content-language"] == "fr" and "Annuaire" in french.text
    english = client.get("/annuaire?lang=en")
    assert english.headers["content-language"] == "en" and "Directory" in english.text
    assert "Sector: North" in unescape(english.text)


def test_the_flow_works_on_sqlite_and_postgresql(admin_app_on, database_url: str) -> None:
    app, service = admin_app_on(database_url)
    create_skill_badge(service, "skill", "ACC-01", actor="coordinatrice@ville-roubaix.example")
    credential_id = award(app, "competence-acc-01", CAMILLE)
    client = signed_in(app, CAMILLE)
    join(client)
    assert entries_of(directory(browser(app), competence="ACC-01")) == ["Camille E."]
    service.revoke(credential_id, "Délivré par erreur")
    assert entries_of(directory(browser(app))) == []
    client.post("/espace/annuaire/retrait")
    with service.database.session(read_only=True) as session:
        assert session.scalar(select(DirectoryProfile)) is None


# --- in a real browser, on a phone, with axe-core --------------------------------------------

@pytest.fixture(scope="module")
def mediator_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, IssuerService]]:
    """The app on a loopback port of its own (not the shared `live_server`: this test adds
    skill badges and directory entries), with two mediators holding skill badges."""
    import socket
    import threading
    import time

    import uvicorn

    from issuer.settings import Settings
    from issuer.web import create_app

    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    base_url = f"http://127.0.0.1:{sock.getsockname()[1]}"
    settings = Settings(home=tmp_path_factory.mktemp("mediators-home"), base_url=base_url,
                        did_method="web", database_url=None, key_passphrase=None,
                        identity_secret=None)
    service = IssuerService(settings)
    service.init()
    for kind, code in (("skill", "ACC-01"), ("domain", "DEM")):
        create_skill_badge(service, kind, code, actor="coordinatrice@ville-roubaix.example")
    for slug, email in (("competence-acc-01", CAMILLE), ("domaine-dem", SACHA)):
        issue_skill_badge(service, slug, email=email, name=None,
                          given=SkillEvidence(narrative="Observé en atelier."),
                          actor="coordinatrice@ville-roubaix.example", send_email=False)
    server = uvicorn.Server(uvicorn.Config(create_app(settings, service), log_level="warning",
                                           lifespan="off"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "server did not start"
        time.sleep(0.02)
    try:
        yield base_url, service
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()


@pytest.mark.browser
@pytest.mark.parametrize("lang", ["fr", "en"])
def test_space_and_directory_pages_pass_axe_on_a_phone(
        audited_phone_page: Any, mediator_server: tuple[str, IssuerService], lang: str) -> None:
    from tests.plugins.browser import (
        axe_violations,
        describe_violations,
        sign_in_link_from_outbox,
    )

    base_url, service = mediator_server
    page = audited_phone_page
    email = CAMILLE if lang == "fr" else SACHA

    def audit(what: str) -> None:
        violations = axe_violations(page)
        assert not violations, f"{what} ({lang}):\n{describe_violations(violations)}"
        assert page.evaluate("document.documentElement.scrollWidth") <= 360, f"{what} scrolls"
        assert page.locator("html").get_attribute("lang") == lang

    page.goto(f"{base_url}/espace?lang={lang}")
    audit("sign-in form")
    page.fill("#space-email", "camille@exemple")  # the browser accepts it, the server not
    with page.expect_navigation():
        page.locator("form[action='/espace/connexion'] button").click()
    audit("sign-in form with an error")
    page.fill("#space-email", email)
    with page.expect_navigation(url="**/espace?fait=link-sent"):
        page.locator("form[action='/espace/connexion'] button").click()
    audit("link sent")

    page.goto(sign_in_link_from_outbox(service, email))
    audit("sign-in link page")
    with page.expect_navigation(url=f"{base_url}/espace"):
        page.locator("main form button").click()
    audit("my space")

    page.fill("#profil-display_name", "Camille E." if lang == "fr" else "Sacha E.")
    page.select_option("#profil-sector", "nord")
    page.fill("#profil-contact_url", "mailto:quelqu-un")
    with page.expect_navigation():
        page.locator("form[action='/espace/annuaire'] button").click()
    audit("my space with a form error")
    page.fill("#profil-contact_url", "")
    with page.expect_navigation(url="**/espace?fait=joined*"):
        page.locator("form[action='/espace/annuaire'] button").click()
    audit("my space, in the directory")

    page.goto(f"{base_url}/annuaire")
    audit("directory")
    assert page.locator(".directory-entry").count() >= 1
    page.select_option("#recherche-domaine", "DEM")
    with page.expect_navigation(url="**/annuaire?*"):
        page.locator("form[role=search] button").click()
    audit("directory search")
