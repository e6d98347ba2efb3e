"""Presentations an employer can check (issue #12, item 5): the presentation request made from
/verifier, the VC-API exchange a wallet answers (request, verified answer, single use, expiry,
replay, two answers racing), the employer's page, and presentations sent to the JSON API."""

from __future__ import annotations

import copy
import json
import re
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import update
from starlette.testclient import TestClient

from issuer.issuance.issue_requests import IssuedBadge, IssueRequest
from issuer.issuance.service import IssuerService
from issuer.openbadges.proofs.data_integrity import sign_document
from issuer.settings import Settings
from issuer.storage.models import AuditEntry
from issuer.storage.presentation_models import PresentationRequestRow
from issuer.wallet.presentation_requests import PresentationRequests, challenge_for
from issuer.web.api_schemas import PresentationReportOut
from issuer.web.app import create_app
from issuer.web.rate_limit import RateLimiter
from tests.plugins.factory import IssuerHomes
from tests.vp_signing import Wallet, presentation, sign_presentation

BASE_URL = "https://badges.example.org"
DOMAIN = "badges.example.org"
BREAKFAST = "petit-dejeuner-inclusion-numerique"
WALLET = Wallet.new()
OTHER = Wallet.new()


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory, issuer_homes: IssuerHomes) -> IssuerService:
    home = tmp_path_factory.mktemp("issuer-home")
    return issuer_homes.service(Settings(home=home, base_url=BASE_URL, did_method="web",
                                         database_url=None, key_passphrase=None))


@pytest.fixture(scope="module")
def issued(service: IssuerService) -> IssuedBadge:
    return service.issue(IssueRequest(badge_slug=BREAKFAST, email="camille@example.org",
                                      name="Camille Test", event_number=7))


@pytest.fixture(scope="module")
def bound_badge(service: IssuerService, issued: IssuedBadge) -> dict[str, Any]:
    """The same badge issued to the wallet's DID (as a holder-bound copy is), signed by the
    service's own key."""
    credential = copy.deepcopy(json.loads(issued.credential_json))
    credential.pop("proof")
    credential["credentialSubject"]["id"] = WALLET.did
    key = service.keystore.active_key("Ed25519")
    return sign_document(credential, key.private_key,  # type: ignore[arg-type]
                         service.verification_method(key))


@pytest.fixture
def client(service: IssuerService) -> Iterator[TestClient]:
    app = create_app(service.settings, service)
    app.state.verification_rate_limiter = RateLimiter(limit=10_000)
    with TestClient(app, base_url=BASE_URL, raise_server_exceptions=True) as test_client:
        yield test_client


def make_request(client: TestClient) -> str:
    """Ask for a presentation as the employer's browser does; the exchange token."""
    response = client.post("/verifier/presentations", follow_redirects=False)
    assert response.status_code == 303
    location = response.headers["location"]
    assert location.startswith("/verifier/presentations/")
    return location.rsplit("/", 1)[1]


def vp_for(token: str, credentials: list[Any], wallet: Wallet = WALLET, **overrides: Any
           ) -> dict[str, Any]:
    settings: dict[str, Any] = {"challenge": challenge_for(token), "domain": DOMAIN}
    settings.update(overrides)
    holder = settings.pop("holder", wallet.did)
    return sign_presentation(presentation(holder, credentials), wallet, **settings)


def exchange(client: TestClient, token: str, body: Any) -> Any:
    return client.post(f"/exchanges/presentations/{token}", json=body)


# --- the request ----------------------------------------------------------------------------------

def test_verifier_page_offers_to_ask_for_a_presentation(client: TestClient) -> None:
    page = client.get("/verifier").text
    assert 'action="/verifier/presentations"' in page
    assert "Demander une présentation" in page
    english = client.get("/verifier?lang=en").text
    assert "Ask for a presentation" in english


def test_request_page_shows_a_qr_code_and_both_invitation_forms(client: TestClient) -> None:
    token = make_request(client)
    page = client.get(f"/verifier/presentations/{token}")
    assert page.status_code == 200
    assert page.headers["cache-control"] == "no-store"
    assert 'src="data:image/svg+xml;base64,' in page.text
    lcw = re.search(r'href="(https://lcw\.app/request\?request=[^"]+)"', page.text)
    assert lcw, "no Learner Credential Wallet link"
    request = json.loads(parse_qs(urlsplit(lcw.group(1).replace("&amp;", "&")).query)
                         ["request"][0])
    assert request == {"credentialRequestOrigin": BASE_URL,
                       "protocols": {"vcapi": f"{BASE_URL}/exchanges/presentations/{token}"}}
    assert f"{BASE_URL}/exchanges/presentations/{token}?iuv=1" in page.text


def test_interaction_url_gives_a_wallet_the_vcapi_protocol(client: TestClient) -> None:
    token = make_request(client)
    answer = client.get(f"/exchanges/presentations/{token}?iuv=1",
                        headers={"accept": "application/json"})
    assert answer.json() == {"protocols": {
        "vcapi": f"{BASE_URL}/exchanges/presentations/{token}"}}
    page = client.get(f"/exchanges/presentations/{token}?iuv=1", headers={"accept": "text/html"})
    assert page.status_code == 200 and "portefeuille" in page.text


def test_empty_post_answers_the_presentation_request(client: TestClient) -> None:
    token = make_request(client)
    answer = exchange(client, token, {})
    assert answer.status_code == 200
    request = answer.json()["verifiablePresentationRequest"]
    assert request["challenge"] == challenge_for(token)
    assert request["domain"] == DOMAIN
    kinds = [query["type"] for query in request["query"]]
    assert kinds == ["QueryByExample", "DIDAuthentication"]
    assert request["query"][0]["credentialQuery"]["example"]["type"] == ["OpenBadgeCredential"]
    assert exchange(client, token, {}).json() == answer.json()  # asked again: the same request


def test_nothing_stored_can_answer_or_read_a_request(client: TestClient,
                                                     service: IssuerService) -> None:
    token = make_request(client)
    with service.database.session(read_only=True) as session:
        rows = session.query(PresentationRequestRow).all()
    stored = json.dumps([[getattr(row, column) for column in ("id", "exchange_digest",
                                                             "viewer_digest", "domain")]
                         for row in rows])
    assert token not in stored and challenge_for(token) not in stored


# --- the answer -----------------------------------------------------------------------------------

def test_holders_own_badge_is_verified_and_shown_to_the_employer(
        client: TestClient, bound_badge: dict[str, Any], service: IssuerService) -> None:
    token = make_request(client)
    answer = exchange(client, token, {"verifiablePresentation": vp_for(token, [bound_badge])})
    assert answer.status_code == 200, answer.text
    assert answer.json() == {}
    page = client.get(f"/verifier/presentations/{token}").text
    assert "Présentation valide" in page
    assert WALLET.did in page
    assert "Délivré à la personne qui le présente." in page
    assert "Petit-déjeuner" in page  # the badge itself, verified
    english = client.get(f"/verifier/presentations/{token}?lang=en").text
    assert "Valid presentation" in english and "Issued to the person presenting it." in english
    with service.database.session(read_only=True) as session:
        entries = session.query(AuditEntry).all()
        answered = [entry.details for entry in entries
                    if entry.action == "presentation_request.answered"]
    assert {"verdict": "valid", "holder_proof": "holder_proof.ok", "holder_bound": True,
            "credentials": 1} in answered
    assert WALLET.did not in json.dumps(answered)  # the audit trail never names the holder


def test_nameless_city_badge_is_shown_valid_but_not_bound(client: TestClient,
                                                          issued: IssuedBadge) -> None:
    token = make_request(client)
    answer = exchange(client, token, {"verifiablePresentation": vp_for(
        token, [json.loads(issued.credential_json)])})
    assert answer.status_code == 200, answer.text
    page = client.get(f"/verifier/presentations/{token}").text
    assert "Pas montré comme délivré à la personne qui le présente." in page


def test_only_the_browser_that_asked_sees_the_answer(client: TestClient, service: IssuerService,
                                                     bound_badge: dict[str, Any]) -> None:
    token = make_request(client)
    exchange(client, token, {"verifiablePresentation": vp_for(token, [bound_badge])})
    app = client.app
    with TestClient(app, base_url=BASE_URL) as stranger:
        page = stranger.get(f"/verifier/presentations/{token}")
    assert page.status_code == 404
    assert WALLET.did not in page.text and "Petit-déjeuner" not in page.text


@pytest.mark.parametrize(("case", "code"), [
    ("wrong_challenge", "challenge.mismatch"),
    ("wrong_domain", "domain.mismatch"),
    ("other_key", "holder_did.key_not_holder"),
    ("wrong_holder", "holder_binding.other_subject"),
    ("stale", "freshness.stale"),
])
def test_refused_answers_get_a_reason_and_the_employer_sees_it(
        client: TestClient, bound_badge: dict[str, Any], case: str, code: str) -> None:
    token = make_request(client)
    if case == "wrong_challenge":
        vp = vp_for(token, [bound_badge], challenge=challenge_for("another request"))
    elif case == "wrong_domain":
        vp = vp_for(token, [bound_badge], domain="evil.example")
    elif case == "other_key":
        vp = vp_for(token, [bound_badge], wallet=OTHER, holder=WALLET.did)
    elif case == "wrong_holder":
        vp = vp_for(token, [bound_badge], wallet=OTHER)  # someone else's badge
    else:
        vp = vp_for(token, [bound_badge], created=datetime.now(UTC) - timedelta(minutes=30))
    answer = exchange(client, token, {"verifiablePresentation": vp})
    assert answer.status_code == 400
    assert answer.json()["error"]["code"] == code
    page = client.get(f"/verifier/presentations/{token}").text
    assert "Présentation non valide" in page


def test_a_request_takes_one_answer_only(client: TestClient, bound_badge: dict[str, Any],
                                         service: IssuerService) -> None:
    token = make_request(client)
    vp = vp_for(token, [bound_badge])
    assert exchange(client, token, {"verifiablePresentation": vp}).status_code == 200
    replay = exchange(client, token, {"verifiablePresentation": vp})
    assert replay.status_code == 409
    assert replay.json()["error"]["code"] == "presentation_request.used"
    assert exchange(client, token, {}).status_code == 409
    with service.database.session(read_only=True) as session:
        actions = [entry.action for entry in session.query(AuditEntry).all()]
    assert "presentation_request.refused" in actions


def test_a_presentation_for_one_request_is_refused_by_another(
        client: TestClient, bound_badge: dict[str, Any]) -> None:
    first, second = make_request(client), make_request(client)
    vp = vp_for(first, [bound_badge])
    answer = exchange(client, second, {"verifiablePresentation": vp})
    assert answer.status_code == 400 and answer.json()["error"]["code"] == "challenge.mismatch"


def test_expired_request_is_refused_to_wallets_and_said_to_people(
        client: TestClient, service: IssuerService, bound_badge: dict[str, Any]) -> None:
    token = make_request(client)
    with service.database.session() as session:
        session.execute(update(PresentationRequestRow).values(
            expires_at=datetime.now(UTC) - timedelta(seconds=1)))
    answer = exchange(client, token, {"verifiablePresentation": vp_for(token, [bound_badge])})
    assert answer.status_code == 410
    assert answer.json()["error"]["code"] == "presentation_request.expired"
    assert exchange(client, token, {}).status_code == 410
    page = client.get(f"/verifier/presentations/{token}")
    assert "a expiré" in page.text
    person = client.get(f"/exchanges/presentations/{token}?iuv=1",
                        headers={"accept": "text/html"})
    assert person.status_code == 410 and "a expiré" in person.text


def test_unknown_exchange_is_a_json_404(client: TestClient) -> None:
    answer = exchange(client, "not-a-request", {})
    assert answer.status_code == 404
    assert answer.json()["error"]["code"] == "presentation_request.not_found"


@pytest.mark.parametrize("body", [b"[]", b"not json", b'{"verifiablePresentation": 1, "x": 2}'])
def test_unreadable_exchange_bodies_get_a_json_error(client: TestClient, body: bytes) -> None:
    token = make_request(client)
    answer = client.post(f"/exchanges/presentations/{token}", content=body,
                         headers={"content-type": "application/json"})
    assert answer.status_code == 400
    assert answer.json()["error"]["code"] == "exchange.bad_request"


def test_garbage_presentation_consumes_the_request_and_is_reported(client: TestClient) -> None:
    token = make_request(client)
    answer = exchange(client, token, {"verifiablePresentation": {"hello": "world"}})
    assert answer.status_code == 400
    assert answer.json()["error"]["code"].startswith("presentation.")


def test_two_answers_racing_get_one_acceptance(service: IssuerService,
                                               bound_badge: dict[str, Any]) -> None:
    requests = PresentationRequests(service.database, domain=DOMAIN)
    created = requests.create()
    vp = vp_for(created.exchange_token, [bound_badge])
    from issuer.issuance.verification_context import verification_context_for
    outcomes: list[str] = []
    barrier = threading.Barrier(4)

    def answer() -> None:
        barrier.wait()
        try:
            requests.answer(created.exchange_token, vp,
                            context=verification_context_for(service, untrusted=False))
            outcomes.append("accepted")
        except Exception as error:  # noqa: BLE001 - the refusal is what is counted
            outcomes.append(getattr(error, "code", repr(error)))

    threads = [threading.Thread(target=answer) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["accepted", *["presentation_request.used"] * 3]


def test_cross_site_request_is_refused(client: TestClient) -> None:
    answer = client.post("/verifier/presentations", headers={"sec-fetch-site": "cross-site"},
                         follow_redirects=False)
    assert answer.status_code == 403


def test_requests_are_deleted_after_their_result_lifetime(service: IssuerService) -> None:
    requests = PresentationRequests(service.database, domain=DOMAIN)
    old = requests.create(now=datetime.now(UTC) - timedelta(hours=2))
    assert requests.purge() >= 1
    assert requests.for_viewer(old.exchange_token, old.viewer_token) is None


# --- the JSON API ---------------------------------------------------------------------------------

def test_api_verifies_a_presentation_with_challenge_and_domain(
        client: TestClient, bound_badge: dict[str, Any]) -> None:
    vp = sign_presentation(presentation(WALLET.did, [bound_badge]), WALLET, challenge="c-123",
                           domain="employer.example")
    answer = client.post("/api/v1/verify", json={"verifiablePresentation": vp,
                                                 "challenge": "c-123",
                                                 "domain": "employer.example"})
    assert answer.status_code == 200, answer.text
    report = answer.json()
    PresentationReportOut.model_validate(report)  # the shape the OpenAPI document gives
    assert report["kind"] == "presentation" and report["verdict"] == "valid"
    assert report["holder"] == WALLET.did and report["holder_bound"] is True
    assert report["credentials"][0]["report"]["verdict"] == "valid"
    assert {check["name"]: check["outcome"] for check in report["checks"]}["challenge"] == "passed"
    wrong = client.post("/api/v1/verify", json={"verifiablePresentation": vp,
                                                "options": {"challenge": "other",
                                                            "domain": "employer.example"}})
    assert wrong.json()["verdict"] == "invalid"
    assert wrong.json()["holder_proof"]["code"] == "challenge.mismatch"


def test_api_reads_a_bare_presentation_and_says_no_challenge_was_asked(
        client: TestClient, bound_badge: dict[str, Any]) -> None:
    vp = sign_presentation(presentation(WALLET.did, [bound_badge]), WALLET, challenge=None,
                           domain=None)
    report = client.post("/api/v1/verify", json=vp).json()
    assert report["kind"] == "presentation" and report["verdict"] == "valid"
    checks = {check["name"]: check["code"] for check in report["checks"]}
    assert checks["challenge"] == "challenge.not_expected"


@pytest.mark.parametrize("body", [
    {"verifiablePresentation": "text"},
    {"verifiablePresentation": {}, "challenge": 5},
    {"verifiablePresentation": {}, "extra": 1},
    {"verifiablePresentation": {}, "options": {"challenge": "a"}, "challenge": "b"},
])
def test_api_refuses_a_malformed_presentation_request(client: TestClient, body: Any) -> None:
    answer = client.post("/api/v1/verify", json=body)
    assert answer.status_code == 400
    assert answer.json()["error"]["code"] == "api.bad_presentation_request"


def test_requests_and_exchange_posts_share_the_verification_rate_limit(
        service: IssuerService) -> None:
    app = create_app(service.settings, service)
    app.state.verification_rate_limiter = RateLimiter(limit=2)
    with TestClient(app, base_url=BASE_URL) as limited:
        token = make_request(limited)  # 1
        assert exchange(limited, token, {}).status_code == 200  # 2
        refused = exchange(limited, token, {})  # 3
        assert refused.status_code == 429
        assert refused.json()["error"]["code"] == "verify.rate_limited"
        assert int(refused.headers["retry-after"]) > 0
        page = limited.post("/verifier/presentations", follow_redirects=False)
        assert page.status_code == 429 and "text/html" in page.headers["content-type"]
