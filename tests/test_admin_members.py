"""The register and people pages, through the real forms of a signed-in coordinator:
/admin/conseil (add, renew, close, resign), /admin/personnes (search, name, e-mail, export,
erasure) and /admin/badges/<id>/revoquer."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from datetime import date

import httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from issuer.issuance.issue_requests import IssueRequest
from issuer.issuance.service import IssuerService
from issuer.storage import models as rows
from issuer.workspace import members, recipients

Client = Callable[..., TestClient]
BREAKFAST = "petit-dejeuner-inclusion-numerique"


def member_form(number: int, sector: str = "Nord", start: str = "2025-06-13",
                **fields: str) -> dict[str, str]:
    return {"name": f"Membre {number}", "email": f"membre{number}@example.org",
            "role": "conseiller", "sector": sector, "mandate_start": start,
            "age_declared": "1", **fields}


def page(client: TestClient, path: str) -> str:
    response = client.get(path)
    assert response.status_code == 200, response.text[:500]
    return str(response.text)


def redirect_of(response: httpx.Response) -> str:
    assert response.status_code == 303, response.text[:800]
    return str(response.headers["location"])


def one_mandate(service: IssuerService, email: str) -> members.Mandate:
    register = members.register(service)
    return next(m for m in (*register.members, *register.former) if m.email == email)


def test_the_register_needs_a_session(admin_app: tuple[FastAPI, IssuerService]) -> None:
    app, _service = admin_app
    client = TestClient(app, base_url="https://badges.example.org", follow_redirects=False)
    response = client.get("/admin/conseil")
    assert response.status_code == 303
    assert response.headers["location"].startswith("/admin/connexion")
    assert client.post("/admin/conseil", data=member_form(1)).status_code == 403


def test_adding_members_through_the_form_counts_seats_and_refuses_the_fifth_in_a_sector(
        admin_app: tuple[FastAPI, IssuerService], signed_in_client: Client) -> None:
    app, service = admin_app
    client = signed_in_client(app)
    for number in range(4):
        location = redirect_of(client.post("/admin/conseil", data=member_form(number)))
        assert location.startswith("/admin/conseil?fait=ajoute&mandat=")
    text = page(client, location)
    assert "Membre 3" in text and 'role="status"' in text
    assert re.search(r'<a href="#secteur-nord">Nord</a></th><td>4 / 4</td>', text)
    refused = client.post("/admin/conseil", data=member_form(5))
    assert refused.status_code == 400
    assert "Le secteur Nord a déjà 4 habitant·es" in refused.text
    assert 'value="membre5@example.org"' in refused.text  # what was typed stays
    mandate = one_mandate(service, "membre0@example.org")
    assert service.credential(str(mandate.credential_id)).credential["validUntil"] \
        == "2027-06-12T21:59:59Z"


def test_renewing_through_the_confirmation_page(
        admin_app: tuple[FastAPI, IssuerService], signed_in_client: Client) -> None:
    app, service = admin_app
    client = signed_in_client(app)
    redirect_of(client.post("/admin/conseil", data=member_form(1)))
    mandate = one_mandate(service, "membre1@example.org")
    confirmation = page(client, f"/admin/conseil/{mandate.id}/renouveler")
    assert "13 juin 2027" in confirmation and "12 juin 2029" in confirmation
    redirect_of(client.post(f"/admin/conseil/{mandate.id}/renouveler"))
    renewal = one_mandate(service, "membre1@example.org")
    assert renewal.renews == mandate.id and renewal.end == date(2029, 6, 12)
    again = client.post(f"/admin/conseil/{mandate.id}/renouveler")
    assert again.status_code == 400 and "déjà été renouvelé" in again.text


def test_closing_an_ended_mandate_issues_the_former_member_badge(
        admin_app: tuple[FastAPI, IssuerService], signed_in_client: Client) -> None:
    app, service = admin_app
    client = signed_in_client(app)
    redirect_of(client.post("/admin/conseil", data=member_form(1, start="2021-03-01")))
    mandate = one_mandate(service, "membre1@example.org")
    assert f"/admin/conseil/{mandate.id}/clore" in page(client, "/admin/conseil")
    location = redirect_of(client.post(f"/admin/conseil/{mandate.id}/clore"))
    closed = one_mandate(service, "membre1@example.org")
    assert closed.status == "ended" and closed.alumni_credential_id
    assert "(2021–2023)" in page(client, location)
    alumni = service.credential(closed.alumni_credential_id).credential
    assert alumni["credentialSubject"]["term"] == "Mandat 2021–2023"


def test_a_resignation_needs_a_reason_and_revokes_the_badge_everywhere(
        admin_app: tuple[FastAPI, IssuerService], signed_in_client: Client) -> None:
    app, service = admin_app
    client = signed_in_client(app)
    redirect_of(client.post("/admin/conseil", data=member_form(1)))
    mandate = one_mandate(service, "membre1@example.org")
    path = f"/admin/conseil/{mandate.id}/demission"
    assert 'name="reason"' in page(client, path)
    refused = client.post(path, data={"reason": ""})
    assert refused.status_code == 400 and "motif de la démission" in refused.text
    redirect_of(client.post(path, data={"reason": "Déménagement"}))
    public = client.get(f"/credentials/{mandate.credential_id}").text
    assert "Badge révoqué" in public
    verdict = client.post("/api/v1/verify", json=service.credential(
        str(mandate.credential_id)).credential).json()
    assert verdict["verdict"] == "invalid" and verdict["revoked"] is True


def test_revoking_from_the_credential_admin_page(
        admin_app: tuple[FastAPI, IssuerService], signed_in_client: Client) -> None:
    app, service = admin_app
    client = signed_in_client(app)
    issued = service.issue(IssueRequest(BREAKFAST, "revoque@example.org", "Lou Revoque",
                                        event_number=9))
    admin_page = page(client, f"/admin/badges/{issued.credential_id}")
    assert f"/admin/badges/{issued.credential_id}/revoquer" in admin_page
    form = page(client, f"/admin/badges/{issued.credential_id}/revoquer")
    assert 'name="reason"' in form and "required" in form
    refused = client.post(f"/admin/badges/{issued.credential_id}/revoquer", data={"reason": " "})
    assert refused.status_code == 400 and "motif" in refused.text
    location = redirect_of(client.post(f"/admin/badges/{issued.credential_id}/revoquer",
                                       data={"reason": "Émis par erreur"}))
    assert location == f"/admin/badges/{issued.credential_id}"
    assert "Émis par erreur" in page(client, location)
    assert "Badge révoqué" in client.get(f"/credentials/{issued.credential_id}").text
    assert client.get("/admin/badges/pas-un-id/revoquer").status_code == 404


def test_people_search_name_and_email_changes_export_and_erasure(
        admin_app: tuple[FastAPI, IssuerService], signed_in_client: Client) -> None:
    app, service = admin_app
    client = signed_in_client(app)
    first = service.issue(IssueRequest(BREAKFAST, "ines@example.org", "Inès Dupond",
                                       event_number=9, show_name=True))
    other = service.issue(IssueRequest(BREAKFAST, "autre@example.org", "Autre Personne",
                                       event_number=9))
    results = page(client, "/admin/personnes?q=ines")
    person_id = re.search(r'/admin/personnes/([0-9a-f-]{36})"', results).group(1)  # type: ignore[union-attr]
    assert "Inès Dupond" in results and "Autre Personne" not in results
    assert page(client, "/admin/personnes?q=INES%40example.org").count("Inès Dupond") >= 1

    redirect_of(client.post(f"/admin/personnes/{person_id}/nom", data={"name": "Inès Dupont"}))
    text = page(client, f"/admin/personnes/{person_id}?fait=nom")
    assert "Inès Dupont" in text

    location = redirect_of(client.post(f"/admin/personnes/{person_id}/courriel",
                                       data={"email": "ines.dupont@example.org"}))
    assert "badges=1" in location
    person = recipients.person_file(service, person_id)
    assert {badge.state for badge in person.badges} == {"valid", "superseded"}
    taken = client.post(f"/admin/personnes/{person_id}/courriel",
                        data={"email": "autre@example.org"})
    assert taken.status_code == 400 and "autre personne" in taken.text

    export = client.get(f"/admin/personnes/{person_id}/export.json")
    assert export.status_code == 200
    assert export.headers["content-disposition"].startswith("attachment;")
    document = json.loads(export.text)
    assert document["recipient"]["email"] == "ines.dupont@example.org"
    assert {item["id"] for item in document["credentials"]} >= {first.credential_id}

    confirmation = page(client, f"/admin/personnes/{person_id}/effacer")
    assert 'name="confirm"' in confirmation
    unconfirmed = client.post(f"/admin/personnes/{person_id}/effacer", data={})
    assert unconfirmed.status_code == 400
    redirect_of(client.post(f"/admin/personnes/{person_id}/effacer", data={"confirm": "1"}))
    assert "Inès" not in page(client, f"/admin/personnes/{person_id}")
    assert client.get(f"/credentials/{first.credential_id}").status_code == 404
    assert "Badge authentique" in client.get(f"/credentials/{other.credential_id}").text


@pytest.mark.parametrize("path", ["/admin/conseil/00000000-0000-4000-8000-000000000000/clore",
                                  "/admin/conseil/pas-un-id/renouveler",
                                  "/admin/personnes/00000000-0000-4000-8000-000000000000",
                                  "/admin/personnes/pas-un-id/effacer"])
def test_unknown_mandates_and_people_are_not_found(
        admin_app: tuple[FastAPI, IssuerService], signed_in_client: Client, path: str) -> None:
    app, _service = admin_app
    assert signed_in_client(app).get(path).status_code == 404


# -- the deliberation's other rules on the web path (issue 13 item 11) ----------------------------
def test_the_form_refuses_a_member_without_the_age_declaration(
        admin_app: tuple[FastAPI, IssuerService], signed_in_client: Client) -> None:
    app, service = admin_app
    client = signed_in_client(app)
    form = page(client, "/admin/conseil")
    assert 'name="age_declared"' in form and "La personne déclare avoir 16 ans ou plus" in form
    refused = client.post("/admin/conseil", data={**member_form(1), "age_declared": ""})
    assert refused.status_code == 400
    assert "Cochez « La personne déclare avoir 16 ans ou plus »" in refused.text
    assert members.register(service).members == ()


def test_the_form_warns_before_parity_breaks_and_adds_once_confirmed(
        admin_app: tuple[FastAPI, IssuerService], signed_in_client: Client) -> None:
    app, service = admin_app
    client = signed_in_client(app)
    redirect_of(client.post("/admin/conseil", data=member_form(1, gender="femme")))
    warned = client.post("/admin/conseil", data=member_form(2, sector="Sud", gender="femme"))
    assert warned.status_code == 400
    text = warned.text.replace("&#39;", "'")
    assert "après cet ajout, le Conseil compterait 2 femmes et 0 homme parmi" in text
    assert 'name="parity_confirmed"' in text and "Ajouter malgré l'écart de parité" in text
    assert 'id="gender-femme" name="gender" value="femme" aria-describedby="hint-gender" checked' \
        in text  # what was chosen stays
    assert len(members.register(service).members) == 1
    redirect_of(client.post("/admin/conseil", data=member_form(
        2, sector="Sud", gender="femme", parity_confirmed="1")))
    register = page(client, "/admin/conseil")
    assert re.search(r"<th scope=\"row\">Femmes</th><td>2</td>", register)
    assert "La parité n'est pas respectée" in register.replace("&#39;", "'")
    assert "2 personnes d'écart entre femmes et hommes" in register.replace("&#39;", "'")
    assert "Mandats qui se terminent d'ici 60 jours" in register.replace("&#39;", "'")
    dashboard = page(client, "/admin")
    assert 'id="chart-parity-title"' in dashboard
    assert "Femmes : 2, hommes : 0, sans réponse : 0 ; habitant·es en fonction : 2." in dashboard
    # Never in the badge.
    mandate = one_mandate(service, "membre2@example.org")
    subject = dict(service.credential(str(mandate.credential_id)).credential["credentialSubject"])
    subject.pop("achievement")  # the badge class, the same for everyone
    assert "femme" not in json.dumps(subject).lower()


# -- correcting the answer for parity (issue 13 item 11) ------------------------------------------
def register_member_who_answered(client: TestClient, service: IssuerService) -> members.Mandate:
    """Membre 1 added to the register, having answered "femme"; their mandate."""
    redirect_of(client.post("/admin/conseil", data=member_form(1, gender="femme")))
    return one_mandate(service, "membre1@example.org")


def parity_answer_lines(service: IssuerService) -> list[str]:
    with service.database.session(read_only=True) as session:
        return [entry.subject or "" for entry in session.query(rows.AuditEntry).filter(
            rows.AuditEntry.action == "cln.parity_answer_changed")]


def test_the_coordinator_corrects_an_answer_and_the_balance_and_dashboard_follow(
        admin_app: tuple[FastAPI, IssuerService], signed_in_client: Client) -> None:
    app, service = admin_app
    client = signed_in_client(app)
    mandate = register_member_who_answered(client, service)
    path = f"/admin/conseil/{mandate.id}/parite"
    assert path in page(client, "/admin/conseil")  # linked from the member's row
    form = page(client, path)
    assert "Corriger la réponse pour la parité" in form
    assert 'id="gender-femme" name="gender" value="femme" aria-describedby="hint-gender" checked' \
        in form  # the recorded answer, ready to correct
    location = redirect_of(client.post(path, data={"gender": "homme"}))
    assert location == f"/admin/conseil?fait=parite&mandat={mandate.id}"
    done = page(client, location)
    assert "La réponse pour la parité de Membre 1 est enregistrée" in done.replace("&#39;", "'")
    assert re.search(r'<th scope="row">Hommes</th><td>1</td>', done)
    assert re.search(r'<th scope="row">Femmes</th><td>0</td>', done)
    assert "Femmes : 0, hommes : 1, sans réponse : 0" in page(client, "/admin")
    assert one_mandate(service, "membre1@example.org").gender == "homme"
    assert parity_answer_lines(service) == [mandate.id]
    # The journal names the action in words.
    assert "Réponse d'un membre du conseil pour la parité corrigée ou retirée" in page(
        client, "/admin/journal").replace("&#39;", "'")
    # The same answer again: said, nothing written.
    again = redirect_of(client.post(path, data={"gender": "homme"}))
    assert "fait=parite-inchangee" in again and len(parity_answer_lines(service)) == 1


def test_a_member_who_withdraws_their_answer_has_it_removed(
        admin_app: tuple[FastAPI, IssuerService], signed_in_client: Client) -> None:
    app, service = admin_app
    client = signed_in_client(app)
    mandate = register_member_who_answered(client, service)
    redirect_of(client.post(f"/admin/conseil/{mandate.id}/parite", data={"gender": ""}))
    assert one_mandate(service, "membre1@example.org").gender is None
    register = page(client, "/admin/conseil")
    assert re.search(r'<th scope="row">Sans réponse</th><td>1</td>', register)
    assert re.search(r'<th scope="row">Femmes</th><td>0</td>', register)
    with service.database.session(read_only=True) as session:
        [line] = session.query(rows.AuditEntry).filter(
            rows.AuditEntry.action == "cln.parity_answer_changed").all()
    assert json.loads(line.details_json or "{}")["answer_removed"] is True
    assert "Réponse retirée" in page(client, "/admin/journal")  # the detail in words


def test_a_bad_answer_is_refused_in_french_without_a_500(
        admin_app: tuple[FastAPI, IssuerService], signed_in_client: Client) -> None:
    app, service = admin_app
    client = signed_in_client(app)
    mandate = register_member_who_answered(client, service)
    path = f"/admin/conseil/{mandate.id}/parite"
    for forged in ({"gender": "autre"}, {"gender": "x" * 5000}):
        refused = client.post(path, data=forged)
        assert refused.status_code == 400
        text = refused.text.replace("&#39;", "'")
        assert "Rien n'a été modifié" in text and "Réponse inconnue pour la parité" in text
        assert 'value="femme" aria-describedby="hint-gender" checked' in text
    assert one_mandate(service, "membre1@example.org").gender == "femme"
    assert parity_answer_lines(service) == []
    assert client.post("/admin/conseil/00000000-0000-0000-0000-000000000000/parite",
                       data={"gender": "homme"}).status_code == 404


def test_the_answer_of_an_ended_mandate_cannot_be_changed(
        admin_app: tuple[FastAPI, IssuerService], signed_in_client: Client) -> None:
    app, service = admin_app
    client = signed_in_client(app)
    mandate = register_member_who_answered(client, service)
    redirect_of(client.post(f"/admin/conseil/{mandate.id}/demission",
                            data={"reason": "Déménagement"}))
    path = f"/admin/conseil/{mandate.id}/parite"
    shown = page(client, path)
    assert "Ce mandat est terminé" in shown and 'name="gender"' not in shown
    refused = client.post(path, data={"gender": "homme"})
    assert refused.status_code == 400
    assert "la réponse pour la parité a été effacée" in refused.text
    assert one_mandate(service, "membre1@example.org").gender is None
    assert parity_answer_lines(service) == []


def test_a_renewed_mandate_points_to_the_latest_for_its_answer(
        admin_app: tuple[FastAPI, IssuerService], signed_in_client: Client) -> None:
    app, service = admin_app
    client = signed_in_client(app)
    redirect_of(client.post("/admin/conseil", data=member_form(1, gender="femme")))
    first = one_mandate(service, "membre1@example.org")
    redirect_of(client.post(f"/admin/conseil/{first.id}/renouveler"))
    renewal = one_mandate(service, "membre1@example.org")
    shown = page(client, f"/admin/conseil/{first.id}/parite")
    assert f'href="/admin/conseil/{renewal.id}/parite"' in shown and 'name="gender"' not in shown
    refused = client.post(f"/admin/conseil/{first.id}/parite", data={"gender": "homme"})
    assert refused.status_code == 400 and "modifiez la réponse sur le dernier mandat" in refused.text
    redirect_of(client.post(f"/admin/conseil/{renewal.id}/parite", data={"gender": "homme"}))
    assert {members.get_mandate(service, m).gender for m in (first.id, renewal.id)} == {"homme"}


def test_only_a_signed_in_coordinator_changes_an_answer(
        admin_app: tuple[FastAPI, IssuerService], signed_in_client: Client) -> None:
    app, service = admin_app
    client = signed_in_client(app)
    mandate = register_member_who_answered(client, service)
    path = f"/admin/conseil/{mandate.id}/parite"
    visitor = TestClient(app, base_url="https://badges.example.org", follow_redirects=False)
    assert visitor.get(path).headers["location"].startswith("/admin/connexion")
    assert visitor.post(path, data={"gender": "homme"}).status_code == 403
    # A form posted from another site with the coordinator's cookie (CSRF).
    forged = client.post(path, data={"gender": "homme"},
                         headers={"sec-fetch-site": "cross-site", "origin": "https://evil.example"})
    assert forged.status_code == 403
    # An account an administrator disabled.
    admin = signed_in_client(app, role="administrator")
    stranger = signed_in_client(app)
    redirect_of(admin.post(f"/admin/comptes/{stranger.admin_user.id}/desactiver"))
    assert stranger.post(path, data={"gender": "homme"}).status_code == 403
    assert one_mandate(service, "membre1@example.org").gender == "femme"
    assert parity_answer_lines(service) == []


def test_the_badge_form_does_not_issue_a_membership(
        admin_app: tuple[FastAPI, IssuerService], signed_in_client: Client) -> None:
    """/admin/badges/nouveau offers event and skill badges only; a forged POST naming the
    membership badge is refused and issues nothing (the register is the way in)."""
    app, service = admin_app
    client = signed_in_client(app)
    assert 'value="membre-cln"' not in page(client, "/admin/badges/nouveau")
    refused = client.post("/admin/badges/nouveau", data={
        "badge": "membre-cln", "name": "Camille", "email": "camille@example.org",
        "role": "conseiller", "edition": ""})
    assert refused.status_code == 400
    assert members.register(service).members == ()
    assert not recipients.find_people(service, "camille@example.org")
