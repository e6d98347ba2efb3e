"""Holder-bound copies on the pages: the credential's admin page lists them (holder DID,
format, date, status) and "Mon espace" shows the holder the copies in their wallet, in French
first and in English."""

from __future__ import annotations

from collections.abc import Callable
from html import unescape

from fastapi import FastAPI
from fastapi.testclient import TestClient

from issuer.issuance.issue_requests import IssueRequest
from issuer.issuance.service import IssuerService
from issuer.wallet.copies import issue_holder_copy
from tests.test_holder_copies import did_jwk, holder_did
from tests.test_mediators import signed_in

BREAKFAST = "petit-dejeuner-inclusion-numerique"
Client = Callable[..., TestClient]


def _copy(service: IssuerService, original_id: str, did: str, fmt: str) -> str:
    with service.database.session() as session:
        return issue_holder_copy(service, session, original_id, did, fmt).copy_id  # type: ignore[arg-type]


def _text(client: TestClient, path: str) -> str:
    answer = client.get(path)
    assert answer.status_code == 200, answer.text[:300]
    return unescape(answer.text)


def test_the_admin_page_of_a_badge_lists_its_copies_and_their_status(
        admin_app: tuple[FastAPI, IssuerService], signed_in_client: Client) -> None:
    app, service = admin_app
    client = signed_in_client(app)
    issued = service.issue(IssueRequest(BREAKFAST, "porteuse@example.org", "Nour Exemple",
                                        event_number=9))
    path = f"/admin/badges/{issued.credential_id}"
    assert "Aucune copie de ce badge n'est dans un portefeuille." in _text(client, path)
    key_did, jwk = holder_did(), did_jwk()
    _copy(service, issued.credential_id, key_did, "ldp_vc")
    _copy(service, issued.credential_id, jwk, "jwt_vc_json")
    page = _text(client, path)
    assert "Copies dans des portefeuilles" in page
    assert key_did in page and jwk in page
    assert "JSON signé (Data Integrity)" in page and "VC-JWT" in page
    assert page.count("Copie valide") == 2
    service.revoke(issued.credential_id, "Émis par erreur")
    page = _text(client, path)
    assert page.count("Copie révoquée") == 2 and "Copie valide" not in page
    english = _text(client, path + "?lang=en")
    assert "Copies in wallets" in english and english.count("Revoked copy") == 2


def test_my_space_shows_the_copies_in_the_holders_wallet(
        admin_app: tuple[FastAPI, IssuerService]) -> None:
    app, service = admin_app
    email = "mediatrice.portefeuille@example.org"
    kept = service.issue(IssueRequest(BREAKFAST, email, "Inès Exemple", event_number=8))
    alone = service.issue(IssueRequest(BREAKFAST, email, "Inès Exemple", event_number=9))
    did = holder_did()
    _copy(service, kept.credential_id, did, "ldp_vc")
    client = signed_in(app, email)
    page = _text(client, "/espace")
    assert page.count("Copies dans votre portefeuille :") == 1
    assert "JSON signé (Data Integrity)" in page
    assert '<span class="badge-state valid">valide</span>' in page
    assert did[:24] + "…" + did[-8:] in page  # the wallet's DID, shortened
    assert alone.credential_id in page  # listed, without copies
    service.suspend(kept.credential_id, "Vérification")
    assert '<span class="badge-state suspended">suspendue</span>' in _text(client, "/espace")
    english = _text(client, "/espace?lang=en")
    assert "Copies in your wallet:" in english
    assert '<span class="badge-state suspended">suspended</span>' in english


def test_the_verification_api_reads_a_copy_and_its_own_status_list(
        admin_app: tuple[FastAPI, IssuerService]) -> None:
    app, service = admin_app
    client = TestClient(app, base_url="https://badges.example.org")
    issued = service.issue(IssueRequest(BREAKFAST, "api@example.org", event_number=9))
    with service.database.session() as session:
        copy = issue_holder_copy(service, session, issued.credential_id, holder_did(), "ldp_vc")
    list_url = copy.credential["credentialStatus"]["statusListCredential"]  # type: ignore[index]
    published = client.get(list_url.removeprefix("https://badges.example.org"))
    assert published.status_code == 200 and published.json()["id"] == list_url
    verdict = client.post("/api/v1/verify", json=copy.credential).json()
    assert verdict["verdict"] == "valid" and verdict["revoked"] is False
    service.revoke(issued.credential_id, "Émis par erreur")
    verdict = client.post("/api/v1/verify", json=copy.credential).json()
    assert verdict["verdict"] == "invalid" and verdict["revoked"] is True
