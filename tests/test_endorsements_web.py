"""Peer endorsement through the real pages and forms (issue #5, item 5): a mediator signed in
to "Mon espace" endorses a colleague's skill badge from its page, the coordinator approves it
in /admin/recommandations, the badge page shows it, its own page verifies it live, the signed
forms are served, and a revocation shows everywhere at once."""

from __future__ import annotations

import json
from html import unescape

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from issuer.issuance.service import IssuerService
from issuer.issuance.verification_context import verification_context_for
from issuer.network import endorsements
from issuer.network.skill_badges import create_skill_badge
from issuer.openbadges.verification import verify
from tests.plugins.admin import BASE_URL
from tests.test_mediators import award, browser, service_of, signed_in

CAMILLE = "camille.mediatrice@example.org"
SACHA = "sacha.mediateur@example.org"
COMMENT = "Sacha et moi avons animé ensemble l'atelier Mallette Cyber de mars : très clair."


@pytest.fixture
def app(admin_app: tuple[FastAPI, IssuerService]) -> FastAPI:
    app, service = admin_app
    for code in ("ACC-01", "CYB-01"):
        create_skill_badge(service, "skill", code, actor="coordinatrice@ville-roubaix.example")
    return app


@pytest.fixture
def badges(app: FastAPI) -> dict[str, str]:
    return {"camille": award(app, "competence-acc-01", CAMILLE, "Camille Exemple"),
            "sacha": award(app, "competence-cyb-01", SACHA, "Sacha Exemple")}


def endorse(client: TestClient, credential_id: str, **fields: str) -> TestClient:
    form = {"comment": COMMENT, "show_name": "1", "display_name": "Sacha E."} | fields
    return client.post(f"/espace/recommander/{credential_id}", data=form)


def test_the_badge_page_invites_peers_to_endorse_a_skill_badge(app: FastAPI,
                                                               badges: dict[str, str]) -> None:
    page = unescape(browser(app).get(f"/credentials/{badges['camille']}").text)
    assert "Recommandations de pairs" in page
    assert f'href="/espace/recommander/{badges["camille"]}"' in page


def test_a_visitor_not_signed_in_is_asked_to_sign_in_first(app: FastAPI,
                                                            badges: dict[str, str]) -> None:
    answer = browser(app).get(f"/espace/recommander/{badges['camille']}")
    assert answer.status_code == 200
    assert "connectez-vous d'abord" in unescape(answer.text)
    assert 'name="comment"' not in answer.text
    posted = browser(app).post(f"/espace/recommander/{badges['camille']}",
                               data={"comment": COMMENT})
    assert posted.status_code == 303 and posted.headers["location"] == "/espace"
    assert endorsements.moderation_queue(service_of(app)) == ()


def test_endorsement_from_the_form_to_the_published_credential(
        app: FastAPI, badges: dict[str, str], signed_in_client) -> None:
    sacha = signed_in(app, SACHA)
    form = sacha.get(f"/espace/recommander/{badges['camille']}")
    assert form.status_code == 200 and 'name="comment"' in form.text
    sent = endorse(sacha, badges["camille"])
    assert sent.status_code == 303
    assert sent.headers["location"] == "/espace?fait=endorsement-sent#recommandations-ecrites"
    space = unescape(sacha.get("/espace").text)
    assert "En attente de la coordination" in space and COMMENT in space
    # Nothing public before the coordinator approves.
    assert COMMENT not in unescape(browser(app).get(f"/credentials/{badges['camille']}").text)

    coordinator = signed_in_client(app)
    dashboard = unescape(coordinator.get("/admin").text)
    assert "<strong>1</strong> recommandations à relire" in dashboard
    queue = unescape(coordinator.get("/admin/recommandations").text)
    assert COMMENT in queue and "Sacha E." in queue
    pending = endorsements.moderation_queue(service_of(app))[0]
    approved = coordinator.post(f"/admin/recommandations/{pending.id}/approuver")
    assert approved.status_code == 303

    badge_page = unescape(browser(app).get(f"/credentials/{badges['camille']}").text)
    assert COMMENT in badge_page and "Par Sacha E." in badge_page
    page = browser(app).get(f"/recommandations/{pending.id}")
    assert page.status_code == 200 and page.headers["x-robots-tag"] == "noindex"
    assert "Recommandation authentique, délivrée par la Ville de Roubaix" in unescape(page.text)
    signed = browser(app).get(f"/recommandations/{pending.id}/credential.json")
    assert signed.headers["content-type"].startswith("application/ld+json")
    credential = json.loads(signed.content)
    assert credential["type"] == ["VerifiableCredential", "EndorsementCredential"]
    negotiated = browser(app).get(f"/recommandations/{pending.id}",
                                  headers={"accept": "application/ld+json"})
    assert negotiated.content == signed.content
    jwt = browser(app).get(f"/recommandations/{pending.id}/credential.jwt")
    report = verify(jwt.text, verification_context_for(service_of(app), untrusted=False))
    assert report.verdict == "valid"
    # The endorsed person sees it in their space.
    camille = signed_in(app, CAMILLE)
    assert COMMENT in unescape(camille.get("/espace").text)


def test_a_revoked_endorsement_leaves_the_badge_page_and_its_page_says_revoked(
        app: FastAPI, badges: dict[str, str], signed_in_client) -> None:
    sacha = signed_in(app, SACHA)
    endorse(sacha, badges["camille"])
    coordinator = signed_in_client(app)
    pending = endorsements.moderation_queue(service_of(app))[0]
    coordinator.post(f"/admin/recommandations/{pending.id}/approuver")
    status_url = json.loads(browser(app).get(
        f"/recommandations/{pending.id}/credential.json").content)["credentialStatus"]
    revoked = coordinator.post(f"/admin/recommandations/{pending.id}/revoquer",
                               data={"reason": "Texte signalé par la personne"})
    assert revoked.status_code == 303
    assert COMMENT not in unescape(browser(app).get(f"/credentials/{badges['camille']}").text)
    page = unescape(browser(app).get(f"/recommandations/{pending.id}").text)
    assert "Recommandation révoquée : la Ville de Roubaix l'a retirée ; elle n'est plus valable." in page
    # The published status list (what third-party wallets read) has the bit set.
    published = browser(app).get(status_url["statusListCredential"].removeprefix(BASE_URL))
    assert published.status_code == 200
    credential = json.loads(browser(app).get(
        f"/recommandations/{pending.id}/credential.json").content)
    report = verify(credential, verification_context_for(service_of(app), untrusted=False))
    assert report.revoked


def test_a_bad_comment_is_shown_in_french_with_the_text_kept(app: FastAPI,
                                                              badges: dict[str, str]) -> None:
    sacha = signed_in(app, SACHA)
    answer = endorse(sacha, badges["camille"], comment="Bien.")
    assert answer.status_code == 400
    page = unescape(answer.text)
    assert "au moins 10 caractères" in page and 'aria-invalid="true"' in page
    assert endorsements.moderation_queue(service_of(app)) == ()


def test_the_holder_is_told_they_cannot_endorse_their_own_badge(app: FastAPI,
                                                                badges: dict[str, str]) -> None:
    camille = signed_in(app, CAMILLE)
    page = unescape(camille.get(f"/espace/recommander/{badges['camille']}").text)
    assert "votre propre badge" in page and 'name="comment"' not in page


def test_the_coordinator_rejects_with_a_reason_the_author_reads(
        app: FastAPI, badges: dict[str, str], signed_in_client) -> None:
    sacha = signed_in(app, SACHA)
    endorse(sacha, badges["camille"])
    pending = endorsements.moderation_queue(service_of(app))[0]
    coordinator = signed_in_client(app)
    empty = coordinator.post(f"/admin/recommandations/{pending.id}/refuser", data={"reason": ""})
    assert empty.status_code == 400 and "motif" in unescape(empty.text)
    rejected = coordinator.post(f"/admin/recommandations/{pending.id}/refuser",
                                data={"reason": "Décrivez un fait précis, s'il vous plaît."})
    assert rejected.status_code == 303
    assert "Décrivez un fait précis" in unescape(sacha.get("/espace").text)


def test_moderation_needs_a_workspace_session(app: FastAPI, badges: dict[str, str]) -> None:
    sacha = signed_in(app, SACHA)
    endorse(sacha, badges["camille"])
    pending = endorsements.moderation_queue(service_of(app))[0]
    assert browser(app).get("/admin/recommandations").status_code in (302, 303)
    # A mediator's session is not a workspace session.
    assert sacha.post(f"/admin/recommandations/{pending.id}/approuver").status_code in (403, 303)
    assert endorsements.moderation_queue(service_of(app))[0].id == pending.id


@pytest.mark.parametrize("path", ["/recommandations/not-a-uuid",
                                  "/recommandations/00000000-0000-4000-8000-000000000000",
                                  "/recommandations/00000000-0000-4000-8000-000000000000/credential.json",
                                  "/espace/recommander/not-a-uuid"])
def test_unknown_addresses_get_the_friendly_404(app: FastAPI, path: str) -> None:
    answer = browser(app).get(path)
    assert answer.status_code == 404


def test_the_author_withdraws_from_their_space(app: FastAPI, badges: dict[str, str]) -> None:
    sacha = signed_in(app, SACHA)
    endorse(sacha, badges["camille"])
    pending = endorsements.moderation_queue(service_of(app))[0]
    answer = sacha.post(f"/espace/recommandations/{pending.id}/retrait")
    assert answer.status_code == 303
    assert endorsements.moderation_queue(service_of(app)) == ()
    # Nobody else can withdraw it.
    endorse(sacha, badges["camille"])
    pending = endorsements.moderation_queue(service_of(app))[0]
    camille = signed_in(app, CAMILLE)
    assert camille.post(f"/espace/recommandations/{pending.id}/retrait").status_code == 404
