"""What the verifier page, the badge page and the API say was verified (issue #9 item 7), and
"Is this badge theirs?" on each of them (item 8): claims shown as facts only for an authentic
badge, a tampered badge's claims marked unverified everywhere; the holder check answers yes
or no, refuses to answer for a forged badge, shares the verification rate limit, keeps and
logs no address, and never fails with a 500."""

from __future__ import annotations

import html
import json
import logging
import re
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from starlette.testclient import TestClient

from issuer.issuance.issue_requests import IssuedBadge, IssueRequest
from issuer.issuance.service import IssuerService
from issuer.openbadges.fetch import Fetcher
from issuer.settings import Settings
from issuer.web.app import create_app
from issuer.web.rate_limit import RateLimiter
from tests.plugins.factory import IssuerHomes

BASE_URL = "https://badges.example.org"
BREAKFAST = "petit-dejeuner-inclusion-numerique"
HOLDER = "Camille.Claims@example.org"
TAMPERED_NAME = "Diplôme d'ingénieur en chef"
EDITION_NAME = "Petit-déjeuner de l'inclusion numérique nº 7 (11 octobre 2024)"


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory, issuer_homes: IssuerHomes) -> IssuerService:
    return issuer_homes.service(Settings(home=tmp_path_factory.mktemp("home"), base_url=BASE_URL,
                                         did_method="web", database_url=None, key_passphrase=None))


@pytest.fixture(scope="module")
def issued(service: IssuerService) -> IssuedBadge:
    return service.issue(IssueRequest(badge_slug=BREAKFAST, email=HOLDER, name="Camille Test",
                                      show_name=True, event_number=7, role="animateur"))


@pytest.fixture
def tampered(issued: IssuedBadge) -> str:
    credential = json.loads(issued.credential_json)
    credential["credentialSubject"]["achievement"]["name"] = TAMPERED_NAME
    return json.dumps(credential, ensure_ascii=False)


def _never_connect(request: httpx.Request) -> httpx.Response:
    raise AssertionError(f"no connection may be made, yet {request.url} was requested")


@pytest.fixture
def client(service: IssuerService) -> Iterator[TestClient]:
    app = create_app(service.settings, service)
    app.state.verification_rate_limiter = RateLimiter(limit=10_000)
    app.state.verifier_fetcher = Fetcher(transport=httpx.MockTransport(_never_connect),
                                         resolver=lambda host, port: ["93.184.216.34"])
    with TestClient(app, base_url=BASE_URL) as test_client:
        yield test_client


def paste(client: TestClient, text: str, path: str = "/verifier", **fields: str) -> httpx.Response:
    files: dict[str, Any] = {"credential": (None, text)}
    files.update({name: (None, value) for name, value in fields.items()})
    return client.post(path, files=files)


def text_of(markup: str) -> str:
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", markup)).split())


def verified_block(page: str) -> str | None:
    match = re.search(r'<section class="claims verified".*?</section>', page, re.DOTALL)
    return text_of(match.group(0)) if match else None


def unverified_block(page: str) -> str | None:
    match = re.search(r'<details class="claims unverified">.*?</details>', page, re.DOTALL)
    return text_of(match.group(0)) if match else None


def holder_answer(page: str) -> str | None:
    match = re.search(r'<p id="holder-answer"[^>]*>(.*?)</p>', page, re.DOTALL)
    return text_of(match.group(1)) if match else None


def holder_section(page: str) -> str:
    match = re.search(r'<section id="titulaire".*?</section>', page, re.DOTALL)
    assert match, "no holder check on the page"
    return match.group(0)


def hidden_fields(section: str) -> dict[str, str]:
    return {name: html.unescape(value) for name, value in
            re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)">', section)}


# --- item 7: the verifier page says what was verified ---------------------------------------------

@pytest.mark.parametrize("form", ["json", "jwt", "png"])
def test_verifier_shows_the_verified_claims_of_a_valid_badge(
        client: TestClient, service: IssuerService, issued: IssuedBadge, form: str) -> None:
    if form == "png":
        response = client.post("/verifier", files={"file": ("b.png", service.baked_png(issued),
                                                            "image/png")})
    else:
        response = paste(client, issued.credential_json if form == "json" else
                         issued.credential_jwt)
    assert response.status_code == 200
    block = verified_block(response.text)
    assert block is not None and unverified_block(response.text) is None
    assert block.startswith("Ce qui a été vérifié La signature de l'émetteur couvre tout")
    for fact in (f"Badge {EDITION_NAME}", f"Émetteur Ville de Roubaix {service.issuer_did}",
                 "Émetteur reconnu ici : Ville de Roubaix.", "Titulaire Camille Test",
                 "Rôle Animateur·rice d'atelier",
                 ("Édition ou événement Petit-déjeuner de l'inclusion numérique nº 7 11 octobre "
                  "2024 — Faire une transition numérique responsable"),
                 "Fin de validité Sans date de fin",
                 "État En vigueur : ni révoqué, ni suspendu, ni expiré"):
        assert fact in block, fact
    # The badge image of this service is shown from its own path (CSP: img-src 'self' data:).
    assert f'<img class="claims-image" src="/badges/{BREAKFAST}.png"' in response.text


def test_verifier_in_english_says_what_was_verified(client: TestClient,
                                                    issued: IssuedBadge) -> None:
    block = verified_block(paste(client, issued.credential_json, path="/verify").text)
    assert block is not None
    assert block.startswith("What was verified The issuer's signature covers everything")
    assert "Issuer recognised here: Ville de Roubaix." in block


def test_verifier_shows_a_tampered_badge_s_claims_only_as_unverified(
        client: TestClient, tampered: str) -> None:
    page = paste(client, tampered).text
    assert verified_block(page) is None and 'class="claims verified"' not in page
    block = unverified_block(page)
    assert block is not None
    assert block.startswith("Ce que le fichier prétend (non vérifié) La signature ne couvre pas")
    assert TAMPERED_NAME in block
    assert "reconnu" not in block  # the City's key does not make tampered content the City's
    # The tampered name appears nowhere else on the page but in the form that re-sends it.
    outside = page.replace(re.search(r'<details class="claims unverified">.*?</details>', page,
                                     re.DOTALL).group(0), "")
    outside = re.sub(r"<textarea.*?</textarea>", "", outside, flags=re.DOTALL)
    assert TAMPERED_NAME not in html.unescape(outside)
    # No link or image comes from a badge that is not authentic.
    assert 'class="claims-image"' not in page
    assert "rel=\"nofollow noopener noreferrer\"" not in page


# --- item 7: the badge page -----------------------------------------------------------------------

def test_badge_page_says_what_the_signature_vouches_for(client: TestClient,
                                                        issued: IssuedBadge) -> None:
    page = client.get(f"/credentials/{issued.credential_id}").text
    block = verified_block(page)
    assert block is not None and unverified_block(page) is None
    for fact in (f"Badge {EDITION_NAME}", "Titulaire Camille Test",
                 "Rôle Animateur·rice d'atelier", "Édition ou événement"):
        assert fact in block, fact
    english = verified_block(client.get(f"/credentials/{issued.credential_id}?lang=en").text)
    assert english is not None and english.startswith("What was verified")


# --- item 7: the API ------------------------------------------------------------------------------

def test_api_report_carries_the_claims_in_their_documented_shape(
        client: TestClient, issued: IssuedBadge) -> None:
    from issuer.web.api_schemas import ClaimsOut, VerificationReportOut

    report = client.post("/api/v1/verify", json=json.loads(issued.credential_json)).json()
    VerificationReportOut.model_validate(report)
    assert set(report["claims"]) == set(ClaimsOut.model_fields)
    assert report["claims_verified"] is True and report["claims"]["verified"] is True
    claims = report["claims"]
    assert claims["name"] == EDITION_NAME and claims["role"] == "Animateur·rice d'atelier"
    assert claims["holder_name"] == "Camille Test"
    assert claims["issuer"] == {"id": report["issuer"]["id"], "name": "Ville de Roubaix",
                                "url": "https://www.ville-roubaix.fr", "known": True,
                                "label": "Ville de Roubaix"}
    assert claims["event"]["name"] == "Petit-déjeuner de l'inclusion numérique nº 7"
    assert claims["valid_from"] == report["valid_from"] and claims["valid_until"] is None
    assert claims["status"] == {"revoked": False, "suspended": False, "expired": False}


def test_api_marks_a_tampered_badge_s_claims_unverified(client: TestClient,
                                                         tampered: str) -> None:
    report = client.post("/api/v1/verify", content=tampered.encode(),
                         headers={"content-type": "application/json"}).json()
    assert report["verdict"] == "invalid"
    assert report["claims_verified"] is False and report["claims"]["verified"] is False
    assert report["claims"]["name"] == TAMPERED_NAME
    assert report["claims"]["issuer"]["known"] is False
    assert report["claims"]["issuer"]["label"] is None


def test_openapi_says_what_is_checked_and_describes_the_claims_and_the_holder_check(
        client: TestClient) -> None:
    document = client.get("/api/openapi.json").json()
    description = document["paths"]["/api/v1/verify"]["post"]["description"]
    assert "claims_verified" in description and "tampered" in description
    schemas = document["components"]["schemas"]
    assert "claims" in schemas["VerificationReportOut"]["properties"]
    assert {"verified", "name", "issuer", "skills", "evidence", "status"} <= set(
        schemas["ClaimsOut"]["properties"])
    holder = document["paths"]["/api/v1/verify/holder"]["post"]
    assert {"200", "400", "413", "415", "429"} <= set(holder["responses"])
    body = holder["requestBody"]["content"]["application/json"]["schema"]
    assert body["required"] == ["email"] and "credential" in body["properties"]


# --- item 8: "Is this badge theirs?" on the verifier -------------------------------------------------

def test_verifier_result_offers_the_holder_check_carrying_the_badge_again(
        client: TestClient, issued: IssuedBadge) -> None:
    section = holder_section(paste(client, issued.credential_jwt).text)
    assert 'action="/verifier#titulaire"' in section
    assert hidden_fields(section) == {"credential": issued.credential_jwt}
    assert '<input type="email" id="field-email" name="email"' in section


@pytest.mark.parametrize(("typed", "expected"), [
    (HOLDER, "Oui, ce badge a été délivré à cette adresse."),
    ("  camille.CLAIMS@EXAMPLE.org ", "Oui, ce badge a été délivré à cette adresse."),
    ("camille.claims@example.com", "Non, ce badge n'a pas été délivré à cette adresse."),
    ("pas-une-adresse", ("Adresse e-mail illisible : tapez l'adresse complète, par exemple "
                         "nom@exemple.fr.")),
])
def test_verifier_answers_the_holder_check(client: TestClient, issued: IssuedBadge,
                                           typed: str, expected: str) -> None:
    response = paste(client, issued.credential_json, email=typed)
    assert response.status_code == 200
    assert holder_answer(response.text) == expected
    assert typed.strip() not in response.text  # the address is not echoed back


def test_verifier_holder_check_works_for_an_uploaded_image_and_in_english(
        client: TestClient, service: IssuerService, issued: IssuedBadge) -> None:
    first = client.post("/verify", files={"file": ("b.png", service.baked_png(issued),
                                                   "image/png")}).text
    fields = hidden_fields(holder_section(first))
    response = client.post("/verify", files={**{name: (None, value)
                                                for name, value in fields.items()},
                                             "email": (None, HOLDER)})
    assert holder_answer(response.text) == "Yes, this badge was issued to this address."


def test_verifier_refuses_the_holder_check_for_a_tampered_badge(client: TestClient,
                                                                tampered: str) -> None:
    page = paste(client, tampered, email=HOLDER).text
    section = holder_section(page)
    assert "<form" not in section and holder_answer(page) is None
    assert "ce badge n'est pas authentique, l'adresse qu'il contient ne prouve donc rien" in \
        text_of(section)


# --- item 8: the badge page -------------------------------------------------------------------------

@pytest.mark.parametrize(("typed", "expected"), [
    (HOLDER, "Oui, ce badge a été délivré à cette adresse."),
    ("\tCAMILLE.claims@example.ORG", "Oui, ce badge a été délivré à cette adresse."),
    ("quelquun@example.org", "Non, ce badge n'a pas été délivré à cette adresse."),
])
def test_badge_page_answers_the_holder_check(client: TestClient, issued: IssuedBadge,
                                             typed: str, expected: str) -> None:
    page = client.get(f"/credentials/{issued.credential_id}").text
    section = holder_section(page)
    assert f'action="/credentials/{issued.credential_id}#titulaire"' in section
    assert hidden_fields(section) == {}  # the page knows its badge: nothing to carry
    response = client.post(f"/credentials/{issued.credential_id}", data={"email": typed})
    assert response.status_code == 200
    assert response.headers["cache-control"] == "no-store"
    assert holder_answer(response.text) == expected
    assert typed.strip() not in response.text


def test_badge_page_holder_check_in_english(client: TestClient, issued: IssuedBadge) -> None:
    response = client.post(f"/credentials/{issued.credential_id}?lang=en",
                           data={"email": "someone@example.org"})
    assert holder_answer(response.text) == "No, this badge was not issued to this address."


def test_badge_page_holder_check_refuses_cross_site_posts(client: TestClient,
                                                          issued: IssuedBadge) -> None:
    response = client.post(f"/credentials/{issued.credential_id}", data={"email": HOLDER},
                           headers={"sec-fetch-site": "cross-site"})
    assert response.status_code == 403


@pytest.mark.parametrize("request_kwargs", [
    {"data": {}}, {"data": {"email": ""}}, {"data": {"email": "x" * 5000}},
    {"files": {"email": ("a.txt", b"camille@example.org", "text/plain")}},
    {"content": b"\xff\xfe\x00garbage", "headers": {"content-type": "multipart/form-data; boundary=x"}},
    {"content": b"email=a%40b.org", "headers": {"content-type": "application/json"}},
    {"content": b"email=" + b"a" * 40_000, "headers": {"content-type":
                                                       "application/x-www-form-urlencoded"}},
], ids=["no-field", "empty", "huge", "file", "broken-multipart", "json", "too-large"])
def test_badge_page_holder_check_never_fails_on_junk(client: TestClient, issued: IssuedBadge,
                                                     request_kwargs: dict[str, Any]) -> None:
    response = client.post(f"/credentials/{issued.credential_id}", **request_kwargs)
    assert response.status_code in (200, 400, 413)
    assert "Oui, ce badge" not in response.text


def test_holder_check_on_an_unknown_badge_is_404(client: TestClient) -> None:
    response = client.post("/credentials/00000000-0000-4000-8000-000000000000",
                           data={"email": HOLDER})
    assert response.status_code == 404
    assert client.post("/credentials/pas-un-id", data={"email": HOLDER}).status_code == 404


def test_holder_check_shares_the_verification_rate_limit(client: TestClient,
                                                         issued: IssuedBadge) -> None:
    client.app.state.verification_rate_limiter = RateLimiter(limit=2, window=60)  # type: ignore[attr-defined]
    assert paste(client, issued.credential_json).status_code == 200
    assert client.post(f"/credentials/{issued.credential_id}",
                       data={"email": HOLDER}).status_code == 200
    page = client.post(f"/credentials/{issued.credential_id}", data={"email": HOLDER})
    assert page.status_code == 429 and 1 <= int(page.headers["retry-after"]) <= 60
    assert "Trop de vérifications" in page.text and holder_answer(page.text) is None
    api = client.post("/api/v1/verify/holder", json={"jwt": issued.credential_jwt,
                                                     "email": HOLDER})
    assert api.status_code == 429 and api.json()["error"]["code"] == "verify.rate_limited"
    assert paste(client, issued.credential_json, email=HOLDER).status_code == 429


# --- item 8: the API -------------------------------------------------------------------------------

@pytest.mark.parametrize("badge_field", ["credential", "credential-text", "jwt", "url"])
def test_api_holder_check_answers_for_each_form_of_the_badge(
        client: TestClient, issued: IssuedBadge, badge_field: str) -> None:
    badge: dict[str, Any] = {
        "credential": {"credential": json.loads(issued.credential_json)},
        "credential-text": {"credential": issued.credential_json},
        "jwt": {"jwt": issued.credential_jwt},
        "url": {"url": issued.url}}[badge_field]
    match = client.post("/api/v1/verify/holder", json={**badge, "email": " camille.claims@EXAMPLE.org"})
    assert match.status_code == 200, match.text
    document = match.json()
    assert document["holder"] == {"answer": "match", "message": {
        "fr": "Oui, ce badge a été délivré à cette adresse.",
        "en": "Yes, this badge was issued to this address."}}
    assert document["verdict"] == "valid" and document["claims_verified"] is True
    assert set(document) == {"holder", "verdict", "claims_verified", "summary"}
    assert match.headers["access-control-allow-origin"] == "*"
    other = client.post("/api/v1/verify/holder", json={**badge, "email": "autre@example.org"})
    assert other.json()["holder"]["answer"] == "no_match"


def test_api_holder_check_reveals_neither_hash_salt_nor_address(client: TestClient,
                                                                issued: IssuedBadge) -> None:
    identity = json.loads(issued.credential_json)["credentialSubject"]["identifier"][0]
    text = client.post("/api/v1/verify/holder", json={"jwt": issued.credential_jwt,
                                                      "email": "autre@example.org"}).text
    for secret in (identity["identityHash"], identity["salt"], "autre@example.org", HOLDER.lower()):
        assert secret not in text


def test_api_holder_check_refuses_to_answer_for_a_tampered_badge(client: TestClient,
                                                                 tampered: str) -> None:
    document = client.post("/api/v1/verify/holder",
                           json={"credential": json.loads(tampered), "email": HOLDER}).json()
    assert document["holder"]["answer"] == "not_authentic"
    assert document["verdict"] == "invalid" and document["claims_verified"] is False


@pytest.mark.parametrize(("body", "content_type", "status", "code"), [
    (b"", "application/json", 400, "api.bad_holder_request"),
    (b"[]", "application/json", 400, "api.bad_holder_request"),
    (b'{"email": "a@example.org"}', "application/json", 400, "api.bad_holder_request"),
    (b'{"email": 3, "jwt": "x"}', "application/json", 400, "api.bad_holder_request"),
    (b'{"email": "a@example.org", "jwt": "x", "url": "y"}', "application/json", 400,
     "api.bad_holder_request"),
    (b'{"email": "a@example.org", "email": "b@example.org", "jwt": "x"}', "application/json",
     400, "api.bad_holder_request"),
    (b'{"email": "a@example.org", "credential": 5}', "application/json", 400,
     "api.bad_holder_request"),
    (b'{"email": "a@example.org", "other": "x"}', "application/json", 400,
     "api.bad_holder_request"),
    (b'{"email": "pas une adresse", "jwt": "x"}', "application/json", 400, "holder.bad_email"),
    (b'{"email": "a@example.org", "jwt": "x"}', "application/json", 400, "format.not_json"),
    (b'{"email": "a@example.org", "credential": {"a": NaN}}', "application/json", 400,
     "api.bad_holder_request"),
    (b"[" * 100_000, "application/json", 400, "api.bad_holder_request"),
    (b'{"email": "a@example.org", "jwt": "x"}', "text/plain", 415, "api.unsupported_media_type"),
])
def test_api_holder_check_refuses_junk_with_a_structured_error(
        client: TestClient, body: bytes, content_type: str, status: int, code: str) -> None:
    response = client.post("/api/v1/verify/holder", content=body,
                           headers={"content-type": content_type})
    assert response.status_code == status, response.text
    error = response.json()["error"]
    assert error["code"] == code and error["message_fr"] and error["message_en"]
    assert "a@example.org" not in response.text


def test_api_holder_preflight_allows_posting_json(client: TestClient) -> None:
    response = client.options("/api/v1/verify/holder", headers={
        "origin": "https://employer.example", "access-control-request-method": "POST"})
    assert response.status_code == 204 and response.headers["access-control-allow-origin"] == "*"


# --- nothing kept, nothing logged --------------------------------------------------------------------

def test_no_address_reaches_the_logs(client: TestClient, issued: IssuedBadge, tampered: str,
                                     caplog: pytest.LogCaptureFixture) -> None:
    typed = "Secret.Holder+badge@example.org"
    with caplog.at_level(logging.DEBUG):
        paste(client, issued.credential_json, email=typed)
        paste(client, tampered, email=typed)
        client.post(f"/credentials/{issued.credential_id}", data={"email": typed})
        client.post(f"/credentials/{issued.credential_id}", data={"email": typed + "\x00"})
        client.post("/api/v1/verify/holder", json={"jwt": issued.credential_jwt, "email": typed})
        client.post("/api/v1/verify/holder", json={"jwt": "junk", "email": typed})
    logged = "\n".join(record.getMessage() + repr(record.args) for record in caplog.records)
    assert typed.lower() not in logged.lower() and "secret.holder" not in logged.lower()
