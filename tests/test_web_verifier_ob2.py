"""Open Badges 2.0 assertions through the verification page and the JSON API: the documents
the assertion names are fetched with the page's bounded fetcher (served here from memory,
behind a public address), the answer says "Open Badges 2.0", a tampered one is not authentic,
and an Open Badges 1.0 badge is a format we do not read, never a forged one."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator

import pytest
from starlette.testclient import TestClient

from issuer.issuance.service import IssuerService
from issuer.settings import Settings
from issuer.web.app import create_app
from issuer.web.rate_limit import RateLimiter
from tests.plugins.factory import IssuerHomes
from tests.test_ob2_verification import KEY_URL, Web, issuer_web, sign, signed_assertion
from tests.test_web_verifier import paste, verdict_box

BASE_URL = "https://verifier.example.org"


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory, issuer_homes: IssuerHomes) -> IssuerService:
    return issuer_homes.service(Settings(home=tmp_path_factory.mktemp("issuer-home"),
                                         base_url=BASE_URL, did_method="web", database_url=None,
                                         key_passphrase=None))


@pytest.fixture
def web() -> Web:
    return issuer_web()


@pytest.fixture
def client(service: IssuerService, web: Web) -> Iterator[TestClient]:
    app = create_app(service.settings, service)
    app.state.verification_rate_limiter = RateLimiter(limit=10_000)
    app.state.verifier_fetcher = web.fetcher()
    with TestClient(app, base_url=BASE_URL, raise_server_exceptions=True) as test_client:
        yield test_client


def _tampered_token() -> str:
    header, _, signature = sign(signed_assertion()).split(".")
    payload = base64.urlsafe_b64encode(json.dumps(signed_assertion(
        issuedOn="2019-01-01T00:00:00Z")).encode()).rstrip(b"=").decode()
    return f"{header}.{payload}.{signature}"


def test_page_verifies_a_signed_open_badges_2_assertion(client: TestClient, web: Web) -> None:
    response = paste(client, sign(signed_assertion()))
    assert response.status_code == 200
    box = verdict_box(response.text)
    assert "Badge Open Badges 2.0 authentique" in box, box
    assert "Association Numérique Exemple" in box
    assert KEY_URL in web.requested


def test_page_calls_a_tampered_open_badges_2_assertion_not_authentic(client: TestClient) -> None:
    response = paste(client, _tampered_token())
    assert response.status_code == 200
    assert "Badge Open Badges 2.0 non authentique" in verdict_box(response.text)


def test_api_reports_the_standard_and_the_resolved_assertion(client: TestClient) -> None:
    response = client.post("/api/v1/verify", content=sign(signed_assertion()),
                           headers={"content-type": "application/jwt"})
    assert response.status_code == 200, response.text
    report = response.json()
    assert report["standard"] == "ob2" and report["verdict"] == "valid"
    assert report["summary"]["en"].startswith("Authentic Open Badges 2.0 badge")
    assert report["credential"]["badge"]["issuer"]["name"] == "Association Numérique Exemple"
    assert [check["code"] for check in report["checks"]][4:6] == [
        "proof.ob2_signed_ok", "issuer_key.ob2_key_ok"]


def test_api_says_open_badges_1_is_not_supported_rather_than_forged(client: TestClient,
                                                                    web: Web) -> None:
    ob1 = {"uid": "abc", "recipient": {"type": "email", "hashed": False,
                                       "identity": "a@example.org"},
           "badge": "https://badges.example.org/b.json",
           "verify": {"type": "hosted", "url": "https://badges.example.org/a/abc.json"},
           "issuedOn": "2014-01-01"}
    response = client.post("/api/v1/verify", json=ob1)
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "format.unsupported_ob1"
    assert error["message_fr"].startswith("Format non pris en charge")
    assert "authentique" not in error["message_fr"].replace("authenticité", "")
    assert web.requested == []
