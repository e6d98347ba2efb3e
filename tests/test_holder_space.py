"""Mon espace for everyone who holds badges (issue 13 items 5 and 6): any holder signs in with
a one-time e-mail link (the answer is the same for an unknown address), is greeted by name and
sees their badges first, with their state and page; the skills part is for mediators only. On
each badge the holder shows or hides their name: the badge is issued again under the same
terms, the old copy revoked as superseded."""

from __future__ import annotations

import re
from html import unescape

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select

from issuer.issuance.issue_requests import IssueRequest
from issuer.issuance.service import IssuerService
from issuer.issuance.verification_context import verification_context_for
from issuer.mail import outbox_message
from issuer.network import mediators
from issuer.network.skill_badges import SkillEvidence, create_skill_badge, issue_skill_badge
from issuer.openbadges.verification import verify
from issuer.storage.models import IssuedCredential
from issuer.storage.workspace_models import EmailMessage
from tests.plugins.admin import BASE_URL

LEA = "lea.habitante@example.org"
CAMILLE = "camille.mediatrice@example.org"
BREAKFAST = "petit-dejeuner-inclusion-numerique"
LINK = re.compile(r"https://badges\.example\.org/espace/lien/[A-Za-z0-9_\-]+")


@pytest.fixture
def app(admin_app: tuple[FastAPI, IssuerService]) -> FastAPI:
    return admin_app[0]


def service_of(app: FastAPI) -> IssuerService:
    service: IssuerService = app.state.service
    return service


def browser(app: FastAPI) -> TestClient:
    return TestClient(app, base_url=BASE_URL, follow_redirects=False)


def breakfast(app: FastAPI, email: str = LEA, name: str | None = "Léa Martin", *,
              show_name: bool = True, event: int = 9) -> str:
    return service_of(app).issue(IssueRequest(BREAKFAST, email, name, event_number=event,
                                              role="participant",
                                              show_name=show_name)).credential_id


def sign_in_messages(app: FastAPI) -> list[EmailMessage]:
    with service_of(app).database.session(read_only=True) as session:
        return list(session.scalars(select(EmailMessage).where(
            EmailMessage.kind == mediators.SIGN_IN_MAIL_KIND).order_by(EmailMessage.created_at)))


def signed_in(app: FastAPI, email: str) -> TestClient:
    client = browser(app)
    assert client.post("/espace/connexion", data={"email": email}).status_code == 303
    _row, message = outbox_message(service_of(app), sign_in_messages(app)[-1].id)
    body = message.get_body(("plain",))
    assert body is not None
    path = LINK.findall(body.get_content())[0].removeprefix(BASE_URL)
    assert client.post(path).status_code == 303
    return client


def space(client: TestClient, path: str = "/espace") -> str:
    answer = client.get(path)
    assert answer.status_code == 200
    return unescape(answer.text)


def stored(app: FastAPI, credential_id: str) -> IssuedCredential:
    with service_of(app).database.session(read_only=True) as session:
        row = session.get(IssuedCredential, credential_id)
        assert row is not None
        return row


def badge_line(page: str, credential_id: str) -> str:
    match = re.search(rf'<li id="badge-{credential_id}".*?</li>', page, re.DOTALL)
    assert match, f"no line for {credential_id}"
    return match.group(0)


# --- item 6: Mon espace for every holder --------------------------------------------------------

def test_a_holder_who_is_not_a_mediator_is_greeted_and_sees_their_badges_only(
        app: FastAPI) -> None:
    first = breakfast(app, event=9)
    second = breakfast(app, event=10)
    service_of(app).revoke(first, "Délivré par erreur")
    page = space(signed_in(app, LEA))
    assert "Bonjour Léa Martin, voici les badges" in page
    line = badge_line(page, second)
    assert f'href="/credentials/{second}"' in line and "badge-state valid" in line
    assert "badge-state revoked" in badge_line(page, first)
    # The skills part is for mediators: none of it here.
    for anchor in ("competences", "recommandations", "a-decouvrir", "annuaire"):
        assert f'id="{anchor}"' not in page
    assert 'action="/espace/annuaire"' not in page


def test_a_mediator_sees_their_badges_first_and_the_skills_below(app: FastAPI) -> None:
    service = service_of(app)
    create_skill_badge(service, "skill", "ACC-01", actor="coordinatrice@ville-roubaix.example")
    skill = issue_skill_badge(service, "competence-acc-01", email=CAMILLE, name="Camille Exemple",
                              given=SkillEvidence(narrative="Observé en atelier."),
                              actor="coordinatrice@ville-roubaix.example", send_email=False)
    page = space(signed_in(app, CAMILLE))
    assert "Bonjour Camille Exemple," in page
    assert page.index('id="badges"') < page.index('id="competences"') < page.index(
        'id="annuaire"')
    assert f'href="/credentials/{skill.credential_id}"' in page
    assert 'href="/competences/ACC-01"' in page[page.index('id="competences"'):]


def test_a_holder_without_a_name_gets_a_plain_greeting(app: FastAPI) -> None:
    breakfast(app, name=None, show_name=False)
    page = space(signed_in(app, LEA))
    assert "Bonjour," in page and "Bonjour Léa" not in page


def test_the_sign_in_answer_is_the_same_for_a_holder_and_a_stranger(app: FastAPI) -> None:
    breakfast(app)
    known_client, unknown_client = browser(app), browser(app)
    known = known_client.post("/espace/connexion", data={"email": LEA})
    unknown = unknown_client.post("/espace/connexion", data={"email": "personne@example.org"})
    assert (known.status_code, known.headers["location"], known.text) == (
        unknown.status_code, unknown.headers["location"], unknown.text)
    assert known_client.get(known.headers["location"]).text == \
        unknown_client.get(unknown.headers["location"]).text
    assert [message.to_address for message in sign_in_messages(app)] == [LEA]


def test_the_sign_in_page_speaks_to_every_holder(app: FastAPI) -> None:
    page = space(browser(app), "/espace?lang=en")
    assert "For everyone who received a badge from the City" in page
    assert "Pour toutes les personnes qui ont reçu un badge de la Ville" in space(browser(app))


# --- item 5: showing or hiding one's name on a badge ---------------------------------------------

def test_hiding_then_showing_the_name_reissues_the_badge_each_time(app: FastAPI) -> None:
    service = service_of(app)
    old = breakfast(app)
    client = signed_in(app, LEA)
    assert "Votre nom apparaît sur ce badge." in badge_line(space(client), old)

    answer = client.post(f"/espace/badges/{old}/nom", data={"afficher": "non"})
    assert answer.status_code == 303
    new = stored(app, old).superseded_by
    assert new and answer.headers["location"] == (
        f"/espace?fait=name-hidden&badge={new}#badge-{new}")
    page = space(client, answer.headers["location"].split("#")[0])
    assert "Votre nom n'apparaît plus sur ce badge." in page
    assert "Votre nom n'apparaît pas sur ce badge." in badge_line(page, new)
    assert f'id="badge-{old}"' not in page  # the replaced copy is not listed

    hidden = service.credential(new).credential
    assert "name" not in hidden["credentialSubject"]
    assert verify(service.credential(new).credential_json,
                  verification_context_for(service, untrusted=False)).verdict == "valid"
    row = stored(app, old)
    assert row.revocation_reason == "superseded" and row.revoked_at is not None
    # The old copy carried the name: its page is gone.
    assert browser(app).get(f"/credentials/{old}").status_code == 404
    with service.database.session(read_only=True) as session:
        mailed = session.scalars(select(EmailMessage.to_address).where(
            EmailMessage.credential_id == new)).all()
    assert mailed == [LEA]

    shown = client.post(f"/espace/badges/{new}/nom", data={"afficher": "oui"})
    newest = stored(app, new).superseded_by
    assert shown.status_code == 303 and newest
    assert service.credential(newest).credential["credentialSubject"]["name"] == "Léa Martin"
    english = space(client, f"/espace?fait=name-shown&badge={newest}&lang=en")
    assert "Your name now appears on this badge." in english
    # The copy that showed no name stays readable (revoked, superseded).
    assert browser(app).get(f"/credentials/{new}").status_code == 200


def test_asking_for_what_the_badge_already_shows_changes_nothing(app: FastAPI) -> None:
    old = breakfast(app)
    client = signed_in(app, LEA)
    answer = client.post(f"/espace/badges/{old}/nom", data={"afficher": "oui"})
    assert answer.headers["location"] == "/espace?fait=name-unchanged#badges"
    assert stored(app, old).revoked_at is None


def test_nobody_changes_the_name_display_of_someone_elses_badge(app: FastAPI) -> None:
    theirs = breakfast(app, "autre@example.org", "Autre Personne")
    breakfast(app)
    client = signed_in(app, LEA)
    refused = client.post(f"/espace/badges/{theirs}/nom", data={"afficher": "non"})
    assert refused.status_code == 404
    assert stored(app, theirs).revoked_at is None
    anonymous = browser(app).post(f"/espace/badges/{theirs}/nom", data={"afficher": "non"})
    assert anonymous.status_code == 303 and anonymous.headers["location"] == "/espace"
    assert stored(app, theirs).revoked_at is None


def test_a_bad_choice_or_a_missing_name_is_refused_clearly(app: FastAPI) -> None:
    nameless = breakfast(app, name=None, show_name=False)
    client = signed_in(app, LEA)
    bad = client.post(f"/espace/badges/{nameless}/nom", data={"afficher": "peut-être"})
    assert bad.status_code == 400 and "Choisissez d'afficher ou de masquer votre nom." in \
        unescape(bad.text)
    no_name = client.post(f"/espace/badges/{nameless}/nom", data={"afficher": "oui"})
    assert no_name.status_code == 400 and "Aucun nom n'est enregistré" in unescape(no_name.text)
    assert stored(app, nameless).revoked_at is None


def test_the_claim_forms_promise_is_kept_the_name_can_be_hidden_later(app: FastAPI) -> None:
    from datetime import UTC, datetime, timedelta

    from issuer.workspace import claims, events

    service = service_of(app)
    now = datetime.now(UTC).replace(microsecond=0)
    edition = events.get_event(service, BREAKFAST, 10)
    token = claims.open_claim_window(service, edition, opens_at=now,
                                     closes_at=now + timedelta(hours=3), actor="coordination")
    form = unescape(browser(app).get(f"/reclamer/{token}").text)
    assert "Vous pourrez changer d'avis plus tard, dans « Mon espace »." in form
    claims.submit_claim(service, token, name="Awa Diallo", email="awa@example.org",
                        show_name=True)
    [pending] = claims.pending_claims(service, edition)
    [issued] = claims.approve_claims(service, edition, [pending.id],
                                     actor="coordination").credential_ids
    assert service.credential(issued).credential["credentialSubject"]["name"] == "Awa Diallo"
    client = signed_in(app, "awa@example.org")
    assert client.post(f"/espace/badges/{issued}/nom",
                       data={"afficher": "non"}).status_code == 303
    successor = stored(app, issued).superseded_by
    assert successor and "name" not in service.credential(successor).credential[
        "credentialSubject"]
