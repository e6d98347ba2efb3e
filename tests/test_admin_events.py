"""The events pages of the coordinator's workspace (issue #4 items 2–4), driven like a browser:
sign in through the real form, submit the real forms (their action and hidden fields are read
from the pages), follow the redirects. Includes the issue's functional test: a list of 50
attendees uploaded, previewed, confirmed, issued, every credential verified, issued again
without duplicates — on SQLite and PostgreSQL."""

from __future__ import annotations

import io
import json
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from html.parser import HTMLParser
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from openpyxl import Workbook
from sqlalchemy import event, select

from issuer.issuance.service import IssuerService
from issuer.issuance.verification_context import verification_context_for
from issuer.openbadges import verification
from issuer.storage import models as rows

BREAKFAST = "petit-dejeuner-inclusion-numerique"
EVENT = f"/admin/evenements/{BREAKFAST}/10"


# -- reading the pages like a browser -------------------------------------------------------------

class _Forms(HTMLParser):
    """Every <form>: its action, method and the values a browser would send by default."""

    def __init__(self) -> None:
        super().__init__()
        self.forms: list[dict[str, Any]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = {name: value or "" for name, value in attrs}
        if tag == "form":
            self.forms.append({"action": attributes.get("action", ""),
                               "method": attributes.get("method", "get"), "fields": {}})
        elif tag == "input" and self.forms and attributes.get("type") == "hidden":
            self.forms[-1]["fields"][attributes["name"]] = attributes.get("value", "")


def form_to(page: str, action_ending: str) -> dict[str, Any]:
    parser = _Forms()
    parser.feed(page)
    found = [form for form in parser.forms if form["action"].endswith(action_ending)]
    assert found, f"no form posting to …{action_ending}"
    return found[0]


def text_of(page: str) -> str:
    """The visible text of a page, on one line (tags dropped, entities decoded)."""
    import html

    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", page)).split())


def attendance_csv(count: int, *, start: int = 0) -> bytes:
    lines = ["Nom;Courriel;Rôle"] + [
        f"Personne {i};personne{i}@example.org;{'Intervenante' if i % 10 == 0 else ''}"
        for i in range(start, start + count)]
    return ("\n".join(lines) + "\n").encode("utf-8")


def upload(client: TestClient, event_path: str, data: bytes, name: str = "presences.csv",
           ) -> Any:
    page = client.get(event_path).text
    form = form_to(page, "/presences/apercu")
    return client.post(form["action"], files={"liste": (name, data, "text/csv")})


def confirm(client: TestClient, preview_page: str) -> Any:
    form = form_to(preview_page, "/presences/confirmer")
    return client.post(form["action"], data=form["fields"])


def issue(client: TestClient, event_path: str) -> Any:
    form = form_to(client.get(event_path).text, "/delivrer")
    return client.post(form["action"], data=form["fields"])


@contextmanager
def count_statements(service: IssuerService) -> Iterator[list[str]]:
    """The SQL statements the service's database runs inside the block."""
    statements: list[str] = []

    def record(_connection: Any, _cursor: Any, statement: str, *_: Any) -> None:
        statements.append(statement)

    event.listen(service.database.engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        event.remove(service.database.engine, "before_cursor_execute", record)


def stored_credentials(service: IssuerService) -> list[rows.IssuedCredential]:
    with service.database.session(read_only=True) as session:
        return list(session.scalars(select(rows.IssuedCredential)))


@pytest.fixture
def admin(admin_app: tuple[FastAPI, IssuerService],
          signed_in_client: Callable[..., TestClient]) -> tuple[TestClient, IssuerService]:
    app, service = admin_app
    return signed_in_client(app), service


# -- the functional test of the issue ---------------------------------------------------------------

def test_fifty_attendees_uploaded_previewed_issued_verified_and_never_issued_twice(
        database_url: str, admin_app_on: Callable[[str], tuple[FastAPI, IssuerService]],
        signed_in_client: Callable[..., TestClient]) -> None:
    app, service = admin_app_on(database_url)
    client = signed_in_client(app)

    preview = upload(client, EVENT, attendance_csv(50))
    assert preview.status_code == 200
    assert "Personnes à ajouter : 50" in text_of(preview.text)
    assert stored_credentials(service) == []

    confirmed = confirm(client, preview.text)
    assert confirmed.status_code == 303
    assert "presences=50" in confirmed.headers["location"]

    with count_statements(service) as statements:
        issued = issue(client, EVENT)
    assert issued.status_code == 303
    # Work done, not wall-clock time (which failed on a loaded machine): one request issues the
    # 50 badges in batches, about 20 SQL statements a badge (978 on SQLite, 856 on PostgreSQL).
    assert len(statements) < 25 * 50, f"{len(statements)} SQL statements for 50 badges"
    result = text_of(client.get(issued.headers["location"]).text)
    assert "Badges délivrés maintenant : 50." in result
    assert "Déjà délivrés avant (jamais deux fois) : 0." in result

    credentials = stored_credentials(service)
    assert len(credentials) == 50
    context = verification_context_for(IssuerService(service.settings), untrusted=False)
    for credential in credentials:
        report = verification.verify(credential.credential_json.encode("utf-8"), context)
        assert report.verdict == "valid", report.to_json()
    speakers = [c for c in credentials if c.role == "intervenant"]
    assert len(speakers) == 5

    again = issue(client, EVENT)
    assert "delivres=0&deja=50" in again.headers["location"]
    assert len(stored_credentials(service)) == 50
    assert len({c.idempotency_key for c in stored_credentials(service)}) == 50

    # The same list sent again adds nobody.
    preview = upload(client, EVENT, attendance_csv(50))
    assert "Déjà sur la liste" in text_of(preview.text)
    assert "Personne de nouveau sur cette liste." in text_of(preview.text)


def test_a_list_with_errors_shows_every_bad_line_in_french_and_stores_nothing(
        admin: tuple[TestClient, IssuerService]) -> None:
    client, _service = admin
    data = ("nom;courriel;rôle\n"
            "Alice;alice@example.org;\n"
            "Bruno;bruno-at-example.org;\n"
            "Alice encore;alice@example.org;\n"
            "Chloé;chloe@example.org;boulanger\n").encode()
    preview = upload(client, EVENT, data)
    assert preview.status_code == 422
    page = text_of(preview.text)
    assert "Lignes avec un problème : 3" in page
    assert "Rien n'est encore enregistré" in page
    assert "Ligne 3 : adresse e-mail invalide « bruno-at-example.org »" in page
    assert "Ligne 4 : doublon de la ligne 2 (alice@example.org)" in page
    assert "Ligne 5 : rôle inconnu « boulanger »" in page
    assert "Personne n'est encore sur la liste." in text_of(client.get(EVENT).text)


def test_a_list_of_bad_lines_only_offers_nothing_to_record(
        admin: tuple[TestClient, IssuerService]) -> None:
    client, _service = admin
    preview = upload(client, EVENT, b"nom;courriel\nBruno;bruno-at-example.org\n")
    assert preview.status_code == 422
    assert "Rien n'a été enregistré" in text_of(preview.text)
    assert 'action="' + EVENT + '/presences/confirmer"' not in preview.text


def test_the_good_lines_are_recorded_now_and_the_bad_ones_listed_again(
        admin: tuple[TestClient, IssuerService]) -> None:
    client, service = admin
    data = ("nom;courriel;rôle\n"
            "Alice;alice@example.org;\n"
            "Bruno;bruno-at-example.org;\n"
            "ALICE ; Alice@Example.org;\n"
            "Chloé;chloe@example.org;boulanger\n"
            "Driss;driss@example.org;intervenant\n").encode()
    preview = upload(client, EVENT, data)
    page = text_of(preview.text)
    assert "Lignes correctes, prêtes à enregistrer : 2" in page
    assert ("Ligne 4 : même personne que la ligne 2 (seules les majuscules ou les espaces "
            "diffèrent) : fusionnée avec elle") in page
    assert "Enregistrer maintenant les 2 lignes correctes, corriger les autres plus tard" in page
    recorded = confirm(client, preview.text)
    assert recorded.status_code == 200
    after = text_of(recorded.text)
    assert "Personnes ajoutées à la liste : 2." in after
    assert "Ligne 3 : adresse e-mail invalide « bruno-at-example.org »" in after
    assert "Ligne 5 : rôle inconnu « boulanger »" in after
    assert "Ligne 4" not in after  # a merged line is not a line to correct
    event_page = client.get(EVENT).text
    assert "alice@example.org" in event_page and "driss@example.org" in event_page
    assert "bruno" not in event_page
    # "issue the good ones now": the button on that page issues the two recorded people
    now = form_to(recorded.text, "/delivrer")
    issued = client.post(now["action"], data=now["fields"])
    assert "Badges délivrés maintenant : 2." in text_of(client.get(issued.headers["location"]).text)
    assert len(stored_credentials(service)) == 2
    # the corrected lines sent later add only them
    fixed = upload(client, EVENT, ("nom;courriel;rôle\nAlice;alice@example.org;\n"
                                   "Bruno;bruno@example.org;\n"
                                   "Chloé;chloe@example.org;\n").encode())
    assert fixed.status_code == 200
    assert confirm(client, fixed.text).status_code == 303
    assert "Badges délivrés maintenant : 2." in text_of(
        client.get(issue(client, EVENT).headers["location"]).text)


def test_a_forged_list_of_lines_to_correct_is_ignored(
        admin: tuple[TestClient, IssuerService]) -> None:
    client, _service = admin
    sent = client.post(f"{EVENT}/presences/confirmer", data={
        "liste_verifiee": "nom;courriel\nAwa;awa@example.org\n", "a_corriger": "{not json"})
    assert sent.status_code == 303


@pytest.mark.parametrize("name", ["presences.csv", "presences.txt"])
def test_a_carriage_return_alone_in_a_cell_is_a_line_error_not_a_500(
        admin: tuple[TestClient, IssuerService], name: str) -> None:
    client, _service = admin
    preview = upload(client, EVENT, b"nom;courriel\nMarie Dupont;marie@example.org\n"
                                    b"Jean\rPetit;jean@example.org\n", name=name)
    assert preview.status_code == 422
    page = text_of(preview.text)
    assert ("Ligne 3 : retour chariot (CR) seul dans une cellule sans guillemets : supprimez ce "
            "retour à la ligne ou mettez la cellule entre guillemets") in page
    assert "Marie Dupont" in page
    english = client.post(f"{EVENT}/presences/apercu?lang=en", files={
        "liste": (name, b"nom;courriel\nJean\rPetit;jean@example.org\n", "text/csv")})
    assert english.status_code == 422
    assert "Line 2: carriage return (CR) alone in a cell without quotes" in text_of(english.text)


def test_a_spreadsheet_goes_through_the_same_form(admin: tuple[TestClient, IssuerService]) -> None:
    client, _service = admin
    book = Workbook()
    sheet = book.active
    sheet.append(["Nom", "E-mail", "Rôle"])
    sheet.append(["Awa Diallo", "awa@example.org", "Animatrice"])
    buffer = io.BytesIO()
    book.save(buffer)
    preview = upload(client, EVENT, buffer.getvalue(), name="presences.xlsx")
    assert preview.status_code == 200
    assert "Awa Diallo" in preview.text and "Animateur·rice d&#39;atelier" in preview.text
    assert confirm(client, preview.text).status_code == 303
    assert "awa@example.org" in client.get(EVENT).text


def test_a_confirmation_is_checked_again_on_the_server(admin: tuple[TestClient, IssuerService]) -> None:
    client, _service = admin
    forged = "nom;courriel;rôle\nMallory;not-an-address;\n"
    refused = client.post(f"{EVENT}/presences/confirmer", data={"liste_verifiee": forged})
    assert refused.status_code == 422
    assert "adresse e-mail invalide" in text_of(refused.text)


def test_one_person_is_typed_in_and_a_bad_entry_says_why(admin: tuple[TestClient, IssuerService]) -> None:
    client, _service = admin
    form = form_to(client.get(EVENT).text, "/presences/ajouter")
    bad = client.post(form["action"], data={"name": "Awa", "email": "awa@", "role": "participant"})
    assert bad.status_code == 400
    assert "Adresse e-mail invalide « awa@ »." in text_of(bad.text)
    assert 'value="Awa"' in bad.text  # what was typed is kept
    added = client.post(form["action"], data={"name": "Awa", "email": "awa@example.org",
                                              "role": "intervenant", "show_name": "1"})
    assert added.status_code == 303
    page = text_of(client.get(added.headers["location"]).text)
    assert "awa@example.org" in page and "Intervenant·e" in page


def test_the_cln_installation_session_is_added_from_the_form(
        admin: tuple[TestClient, IssuerService]) -> None:
    client, _service = admin
    assert client.get("/admin/evenements/nouveau").status_code == 200
    created = client.post("/admin/evenements/nouveau", data={
        "kind": "cln-session", "title_fr": "Séance d'installation du Conseil local du numérique",
        "title_en": "", "date": "2025-07-11", "venue": "Hôtel de Ville", "badge": ""})
    assert created.status_code == 303
    assert created.headers["location"] == "/admin/evenements/seance-cln/1"
    page = text_of(client.get("/admin/evenements").text)
    assert "Séance d'installation du Conseil local du numérique" in page
    assert "Séance du Conseil local du numérique" in page
    refused = client.post("/admin/evenements/nouveau", data={
        "kind": "workshop", "title_fr": "Atelier", "date": "11/07/2025"})
    assert refused.status_code == 400
    assert "Date illisible" in text_of(refused.text)


def test_nobody_reaches_the_events_pages_without_signing_in(
        admin_app: tuple[FastAPI, IssuerService]) -> None:
    app, _service = admin_app
    stranger = TestClient(app, base_url="https://badges.example.org", follow_redirects=False)
    page = stranger.get(EVENT)
    assert page.status_code == 303 and page.headers["location"].startswith("/admin/connexion")
    assert stranger.post(f"{EVENT}/delivrer").status_code == 403
    assert stranger.get(f"{EVENT}/qr.svg").status_code == 303
    assert stranger.get("/admin/badges/nouveau").status_code == 303


def test_an_unknown_event_is_a_404(admin: tuple[TestClient, IssuerService]) -> None:
    client, _service = admin
    assert client.get(f"/admin/evenements/{BREAKFAST}/99").status_code == 404


# -- self-claim -----------------------------------------------------------------------------------

def test_self_claim_from_the_qr_code_to_the_approved_badge(
        admin: tuple[TestClient, IssuerService]) -> None:
    client, service = admin
    form = form_to(client.get(EVENT).text, "/reclamation/ouvrir")
    opened = client.post(form["action"], data={"opens_at": "", "hours": "2"})
    assert opened.status_code == 303
    page = client.get(EVENT).text
    claim_url = re.search(r'<code class="claim-url">([^<]+)</code>', page).group(1)  # type: ignore[union-attr]
    qr = client.get(f"{EVENT}/qr.svg")
    assert qr.status_code == 200 and qr.headers["content-type"].startswith("image/svg+xml")
    assert claim_url in client.get(f"{EVENT}/ecran").text

    attendee = TestClient(client.app, base_url="https://badges.example.org", follow_redirects=False)
    path = claim_url.removeprefix("https://badges.example.org")
    claim_page = attendee.get(path)
    assert claim_page.status_code == 200
    assert claim_page.headers["cache-control"] == "no-store"
    assert "Demander votre badge" in text_of(claim_page.text)
    sent = attendee.post(path, data={"name": "Awa Diallo", "email": "awa@example.org",
                                     "role": "intervenant", "show_name": "1"})
    assert sent.status_code == 303
    assert "Demande enregistrée" in text_of(attendee.get(sent.headers["location"]).text)
    assert stored_credentials(service) == []  # nothing without approval

    page = client.get(EVENT).text
    decide = form_to(page, "/demandes")
    ids = re.findall(r'name="demande" value="(\d+)"', page)
    approved = client.post(decide["action"], data={"demande": ids, "decision": "approuver"})
    assert approved.status_code == 303
    assert "Badges délivrés maintenant : 1." in text_of(client.get(approved.headers["location"]).text)
    [credential] = stored_credentials(service)
    assert credential.role == "intervenant"

    close = form_to(client.get(EVENT).text, "/reclamation/fermer")
    assert client.post(close["action"]).status_code == 303
    closed = attendee.get(path)
    assert closed.status_code == 410
    assert "ce code QR ne fonctionne plus" in text_of(closed.text)
    assert attendee.post(path, data={"name": "X", "email": "x@example.org"}).status_code == 410
    assert client.get(f"{EVENT}/qr.svg").status_code == 404


def test_rejected_claims_issue_nothing(admin: tuple[TestClient, IssuerService]) -> None:
    client, service = admin
    client.post(f"{EVENT}/reclamation/ouvrir", data={"hours": "1"})
    page = client.get(EVENT).text
    path = re.search(r'<code class="claim-url">https://badges\.example\.org([^<]+)</code>',
                     page).group(1)  # type: ignore[union-attr]
    client.post(path, data={"name": "Intrus", "email": "intrus@example.org"})
    ids = re.findall(r'name="demande" value="(\d+)"', client.get(EVENT).text)
    rejected = client.post(f"{EVENT}/demandes", data={"demande": ids, "decision": "refuser"})
    assert "refusees=1" in rejected.headers["location"]
    assert stored_credentials(service) == []


def test_a_claim_form_with_a_bad_address_says_why_in_french(
        admin: tuple[TestClient, IssuerService]) -> None:
    client, _service = admin
    client.post(f"{EVENT}/reclamation/ouvrir", data={"hours": "1"})
    path = re.search(r'<code class="claim-url">https://badges\.example\.org([^<]+)</code>',
                     client.get(EVENT).text).group(1)  # type: ignore[union-attr]
    refused = client.post(path, data={"name": "Awa", "email": "awa"})
    assert refused.status_code == 400
    assert "Adresse e-mail invalide « awa »." in text_of(refused.text)
    assert client.get("/reclamer/AAAAAAAAAAAAAAAAAAAAAA").status_code == 404


# -- single issuance --------------------------------------------------------------------------------

def test_one_badge_from_the_form_leads_to_its_admin_page(admin: tuple[TestClient, IssuerService]) -> None:
    client, service = admin
    fields = {"badge": BREAKFAST, "edition": "7", "role": "animateur", "name": "Yann Le Gall",
              "email": "yann@example.org", "show_name": "1"}
    issued = client.post("/admin/badges/nouveau", data=fields)
    assert issued.status_code == 303
    location = issued.headers["location"]
    assert re.fullmatch(r"/admin/badges/[0-9a-f-]{36}", location)
    page = client.get(location).text
    credential_id = location.rsplit("/", 1)[-1]
    assert f'href="/credentials/{credential_id}"' in page
    assert "Yann Le Gall" in page and "Animateur·rice d&#39;atelier" in page
    again = client.post("/admin/badges/nouveau", data=fields)
    assert again.headers["location"] == f"{location}?deja=1"
    assert "rien n'a été délivré deux fois" in text_of(client.get(again.headers["location"]).text)
    assert len(stored_credentials(service)) == 1


def test_the_single_issuance_form_explains_a_missing_edition(
        admin: tuple[TestClient, IssuerService]) -> None:
    client, service = admin
    refused = client.post("/admin/badges/nouveau", data={
        "badge": BREAKFAST, "edition": "", "name": "Yann", "email": "yann@example.org"})
    assert refused.status_code == 400
    assert "Choisissez l'édition de l'événement." in text_of(refused.text)
    assert stored_credentials(service) == []
    assert client.get("/admin/badges/00000000-0000-0000-0000-000000000000").status_code == 404


# -- claims on the coordinator's side (issue 13 item 9) ---------------------------------------------

def open_requests(client: TestClient) -> str:
    """Open the window; returns the claim page's path."""
    client.post(f"{EVENT}/reclamation/ouvrir", data={"hours": "1"})
    return re.search(r'<code class="claim-url">https://badges\.example\.org([^<]+)</code>',
                     client.get(EVENT).text).group(1)  # type: ignore[union-attr]


def test_nothing_ticked_says_so_and_changes_nothing(
        admin: tuple[TestClient, IssuerService]) -> None:
    client, service = admin
    path = open_requests(client)
    client.post(path, data={"name": "Awa", "email": "awa@example.org"})
    for decision in ("approuver", "refuser"):
        sent = client.post(f"{EVENT}/demandes", data={"decision": decision})
        assert sent.status_code == 400
        assert "Aucune demande n'est cochée" in text_of(sent.text)
    assert stored_credentials(service) == []
    assert len(re.findall(r'name="demande" value="(\d+)"', client.get(EVENT).text)) == 1
    english = client.post(f"{EVENT}/demandes?lang=en", data={"decision": "approuver"})
    assert "No request is ticked" in text_of(english.text)


def test_all_the_requests_is_a_real_checkbox_that_works_without_script(
        admin: tuple[TestClient, IssuerService]) -> None:
    client, service = admin
    path = open_requests(client)
    for n in range(3):
        client.post(path, data={"name": f"Personne {n}", "email": f"p{n}@example.org"})
    page = client.get(EVENT).text
    assert 'type="checkbox" id="demandes-toutes" name="toutes" value="1"' in page
    assert "Toutes les demandes (3)" in text_of(page)
    decide = form_to(page, "/demandes")
    # a request arriving after the page was shown is not approved with "all"
    client.post(path, data={"name": "Tardive", "email": "late@example.org"})
    approved = client.post(decide["action"], data={**decide["fields"], "toutes": "1",
                                                   "decision": "approuver"})
    assert approved.status_code == 303
    assert "Badges délivrés maintenant : 3." in text_of(client.get(approved.headers["location"]).text)
    assert len(stored_credentials(service)) == 3
    left = client.get(EVENT).text
    assert "late@example.org" in left and "Demandes en attente d'approbation : 1" in text_of(left)


def test_a_request_from_a_holder_is_flagged_and_the_claim_page_says_what_happens(
        admin: tuple[TestClient, IssuerService]) -> None:
    client, _service = admin
    form = form_to(client.get(EVENT).text, "/presences/ajouter")
    client.post(form["action"], data={"name": "Awa", "email": "awa@example.org",
                                      "role": "participant"})
    issue(client, EVENT)
    path = open_requests(client)
    attendee = TestClient(client.app, base_url="https://badges.example.org", follow_redirects=False)
    sent = attendee.post(path, data={"name": "Awa", "email": "awa@example.org"})
    done = text_of(attendee.get(sent.headers["location"]).text)
    assert ("Si cette adresse e-mail a déjà reçu le badge de cet événement, il n'est pas délivré "
            "deux fois") in done
    # the same words for someone who does not hold it: the page reveals nothing about others
    other = attendee.post(path, data={"name": "Bruno", "email": "bruno@example.org"})
    assert text_of(attendee.get(other.headers["location"]).text) == done
    page = client.get(EVENT).text
    flagged = re.findall(r'<li class="already-holds">.*?</li>', page, flags=re.DOTALL)
    assert len(flagged) == 1 and "awa@example.org" in flagged[0]
    assert "A déjà ce badge : l'approbation ne délivre rien de nouveau." in text_of(flagged[0])


def test_waiting_requests_come_before_everything_else_on_the_event_page(
        admin: tuple[TestClient, IssuerService]) -> None:
    client, _service = admin
    path = open_requests(client)
    client.post(path, data={"name": "Awa", "email": "awa@example.org"})
    page = client.get(EVENT).text
    assert page.index('id="demandes-en-attente"') < page.index('id="delivrer"')
    assert page.index('id="demandes-en-attente"') < page.index('id="presences"')
    assert '<script src="/static/select-all.js" defer></script>' in page
    assert client.get("/static/select-all.js").status_code == 200


def test_the_projection_page_is_a_page_of_its_own_with_the_short_code(
        admin: tuple[TestClient, IssuerService]) -> None:
    from issuer.workspace import claims

    client, _service = admin
    path = open_requests(client)
    screen = client.get(f"{EVENT}/ecran")
    assert screen.status_code == 200
    assert 'class="admin-nav"' not in screen.text and 'class="main-nav"' not in screen.text
    code = claims.short_code(path.rsplit("/", 1)[-1])
    assert f'{code[:3]}&#8239;{code[3:]}' in screen.text
    assert "Ou tapez ce code sur https://badges.example.org/reclamer" in text_of(screen.text)
    assert "Ouvert jusqu'à" in text_of(screen.text)
    # the short code typed on a phone leads to the claim page
    attendee = TestClient(client.app, base_url="https://badges.example.org", follow_redirects=False)
    assert attendee.get("/reclamer").status_code == 200
    found = attendee.get("/reclamer", params={"code": f"{code[:3].lower()} {code[3:]}"})
    assert found.status_code == 303 and found.headers["location"] == path
    wrong = attendee.get("/reclamer", params={"code": "ZZZ-ZZZ" if code != "ZZZZZZ" else "YYY"})
    assert wrong.status_code == 404
    assert "Ce code ne correspond à aucune demande de badge ouverte" in text_of(wrong.text)
    assert attendee.get("/reclamer", params={"code": "\x00" * 5000}).status_code == 404


def test_the_name_display_column_is_explained_on_the_upload_page_and_shown_in_the_preview(
        admin: tuple[TestClient, IssuerService]) -> None:
    """Issue 13 item 5: the optional "afficher le nom" column is documented in the page hint
    and each line's choice is shown before anything is recorded; then it reaches the badge."""
    client, service = admin
    assert "Colonne facultative « afficher le nom »" in text_of(client.get(EVENT).text)
    data = ("Nom;Courriel;Afficher le nom\nAwa Diallo;awa@example.org;oui\n"
            "Noé Martin;noe@example.org;non\nLina Petit;lina@example.org;\n").encode()
    preview = text_of(upload(client, EVENT, data).text)
    assert "Nom sur le badge" in preview
    assert "awa@example.org Participant·e Affiché" in preview
    assert "noe@example.org Participant·e Masqué" in preview
    assert "lina@example.org Participant·e Masqué" in preview
    assert confirm(client, upload(client, EVENT, data).text).status_code == 303
    assert issue(client, EVENT).status_code == 303
    names = {row.credential_json and json.loads(row.credential_json)["credentialSubject"].get(
        "name") for row in stored_credentials(service)}
    assert names == {"Awa Diallo", None}
