"""Every way a council membership could be created goes through the register (issue 13 item
11). The register itself, the CLI, the web form, the badge form, event attendance and the demo
are tested beside their own code (test_members, test_cli, test_admin_members, test_events,
test_demo); here, the two paths that hand out badges without the register: a wallet's
OpenID4VCI offer (a holder-bound copy of a badge the register issued: no new seat), and the JSON
API (it issues nothing)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric import ed25519
from fastapi.testclient import TestClient

from issuer.issuance.service import IssuerService
from issuer.settings import Settings
from issuer.web.app import create_app
from issuer.workspace import members
from tests.plugins.factory import ServiceFactory
from tests.test_oid4vci_proof import Wallet
from tests.test_oid4vci_web import (
    BASE_URL,
    access_token,
    ask_credential,
    fresh_nonce,
    make_offer,
    request_body,
    verified,
)


@pytest.fixture
def service(tmp_path: Path, service_factory: ServiceFactory) -> IssuerService:
    return service_factory(Settings(home=tmp_path / "home", base_url=BASE_URL,
                                    database_url=None))


@pytest.fixture
def client(service: IssuerService) -> TestClient:
    return TestClient(create_app(service.settings, service), base_url=BASE_URL)


def test_a_wallet_offer_of_a_membership_copies_the_registered_badge_and_takes_no_seat(
        service: IssuerService, client: TestClient) -> None:
    mandate = members.add_member(service, members.NewMember(
        name="Léa Conseillère", email="lea.conseillere@example.org", role="conseiller",
        sector="Nord", mandate_start=date(2025, 6, 13), age_declared=True), actor="test")
    assert mandate.credential_id is not None
    wallet = Wallet(ed25519.Ed25519PrivateKey.generate())
    offer = make_offer(service, mandate.credential_id, tx_code=True)
    token = access_token(client, offer, tx_code=offer.tx_code or "")
    answer = ask_credential(client, token, request_body(wallet, fresh_nonce(client),
                                                        "membership_ldp_vc"))
    assert answer.status_code == 200, answer.text
    [item] = answer.json()["credentials"]
    copy = item["credential"]
    original = service.credential(mandate.credential_id).credential
    # The same mandate, ending on the same day; the register still holds one seat.
    assert copy["validUntil"] == original["validUntil"] == "2027-06-12T21:59:59Z"
    assert copy["credentialSubject"]["id"] == wallet.did
    assert verified(service, copy).verdict == "valid"
    register = members.register(service, today=date(2025, 9, 1))
    assert [m.id for m in register.members] == [mandate.id] and register.residents == 1


def test_the_json_api_has_no_route_that_issues_a_badge(client: TestClient) -> None:
    schema = client.get("/api/openapi.json")
    assert schema.status_code == 200
    posts = sorted(path for path, operations in schema.json()["paths"].items()
                   if "post" in operations)
    assert posts and all("verif" in path or "presentation" in path for path in posts), posts
