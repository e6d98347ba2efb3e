"""The JSON API: POST /api/v1/verify with every accepted body (JSON credential, {"url"},
{"jwt"}, application/jwt, text/plain, PNG, SVG, multipart), its structured errors (400, 413,
415, 429), CORS for any origin, and an OpenAPI document that describes it truly."""

from __future__ import annotations

import json
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
VERIFY = "/api/v1/verify"


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory, issuer_homes: IssuerHomes) -> IssuerService:
    return issuer_homes.service(Settings(home=tmp_path_factory.mktemp("issuer-home"),
                                         base_url=BASE_URL, did_method="web", database_url=None,
                                         key_passphrase=None))


@pytest.fixture(scope="module")
def issued(service: IssuerService) -> IssuedBadge:
    return service.issue(IssueRequest(badge_slug="mediateur-numerique", email="sacha@example.org",
                                      name="Sacha Test"))


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


def assert_error(response: httpx.Response, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    error: dict[str, Any] = response.json()["error"]
    assert error["code"] == code
    assert error["message_fr"] and error["message_en"]
    assert error["message_fr"] != error["message_en"]
    return error


# -- every accepted body ---------------------------------------------------------------------

def _bodies(service: IssuerService, issued: IssuedBadge) -> dict[str, dict[str, Any]]:
    return {
        "json credential": {"content": issued.credential_json,
                            "headers": {"content-type": "application/json"}},
        "json-ld credential": {"content": issued.credential_json,
                               "headers": {"content-type": "application/ld+json; charset=utf-8"}},
        "json jwt wrapper": {"json": {"jwt": issued.credential_jwt}},
        "json url wrapper": {"json": {"url": issued.url}},
        "application/jwt": {"content": issued.credential_jwt,
                            "headers": {"content-type": "application/jwt"}},
        "text/plain jwt": {"content": issued.credential_jwt + "\n",
                           "headers": {"content-type": "text/plain"}},
        "png": {"content": service.baked_png(issued), "headers": {"content-type": "image/png"}},
        "svg": {"content": service.baked_svg(issued), "headers": {"content-type": "image/svg+xml"}},
        "multipart png": {"files": {"file": ("badge.png", service.baked_png(issued), "image/png")}},
        "multipart json": {"files": {"file": ("badge.json", issued.credential_json.encode(),
                                              "application/json")}},
    }


@pytest.mark.parametrize("kind", ["json credential", "json-ld credential", "json jwt wrapper",
                                  "json url wrapper", "application/jwt", "text/plain jwt", "png",
                                  "svg", "multipart png", "multipart json"])
def test_each_accepted_body_gives_the_valid_report(client: TestClient, service: IssuerService,
                                                   issued: IssuedBadge, kind: str) -> None:
    response = client.post(VERIFY, **_bodies(service, issued)[kind])
    assert response.status_code == 200, response.text
    report = response.json()
    assert report["verdict"] == "valid", [c for c in report["checks"] if c["outcome"] != "passed"]
    assert report["summary"]["fr"].startswith("Badge authentique, délivré par la Ville de Roubaix")
    assert [check["name"] for check in report["checks"]][:2] == ["format", "context"]
    assert report["issuer"]["known"] is True
    assert report["credential"]["id"] == issued.credential["id"]


def test_invalid_verdict_is_still_200(client: TestClient, issued: IssuedBadge) -> None:
    tampered = issued.credential
    tampered["credentialSubject"]["achievement"]["name"] = "Autre badge"
    response = client.post(VERIFY, json=tampered)
    assert response.status_code == 200
    report = response.json()
    assert report["verdict"] == "invalid"
    assert {"name": "proof", "outcome": "failed"}.items() <= next(
        c for c in report["checks"] if c["name"] == "proof").items()


def test_revoked_badge_reports_revoked(client: TestClient, service: IssuerService) -> None:
    revoked = service.issue(IssueRequest(badge_slug="mediateur-numerique",
                                         email="revoque@example.org"))
    service.revoke(revoked.credential_id, "erreur de saisie")
    report = client.post(VERIFY, json={"jwt": revoked.credential_jwt}).json()
    assert report["verdict"] == "invalid" and report["revoked"] is True


# -- errors ---------------------------------------------------------------------------------------

def test_empty_body_is_400(client: TestClient) -> None:
    assert_error(client.post(VERIFY, content=b"", headers={"content-type": "application/json"}),
                 400, "format.empty")


def test_unreadable_json_is_400(client: TestClient) -> None:
    response = client.post(VERIFY, content=b"{not json",
                           headers={"content-type": "application/json"})
    assert_error(response, 400, "format.not_json")


def test_wrapper_with_a_non_string_is_400(client: TestClient) -> None:
    assert_error(client.post(VERIFY, json={"url": 42}), 400, "api.bad_wrapper")


@pytest.mark.parametrize("url", ["https://10.0.0.1/badge", "https://127.0.0.1/badge",
                                 "http://wallet.example.net/badge", "https://169.254.169.254/latest"])
def test_private_targets_are_refused_without_connecting(client: TestClient, url: str) -> None:
    # The fetcher's transport fails the test if it is ever used.
    assert_error(client.post(VERIFY, json={"url": url}), 400, "fetch.forbidden_target")


def test_random_bytes_sent_as_png_are_400(client: TestClient) -> None:
    response = client.post(VERIFY, content=b"\x00\x01garbage",
                           headers={"content-type": "image/png"})
    assert_error(response, 400, "api.not_an_image")


def test_png_without_a_badge_is_400(client: TestClient, service: IssuerService) -> None:
    plain = service.badge_png(service.catalogue.badge("mediateur-numerique"))
    assert_error(client.post(VERIFY, content=plain, headers={"content-type": "image/png"}),
                 400, "baked.no_credential")


def test_multipart_without_a_file_field_is_400(client: TestClient) -> None:
    assert_error(client.post(VERIFY, files={"other": ("x.png", b"abc", "image/png")}),
                 400, "api.missing_file")


def test_broken_multipart_is_400(client: TestClient) -> None:
    response = client.post(VERIFY, content=b"--zz\r\nContent-Disposition: form-data; name=\"file\"",
                           headers={"content-type": "multipart/form-data; boundary=zz"})
    assert response.status_code == 400
    assert response.json()["error"]["code"] in ("verify.unreadable_form", "api.missing_file")


def test_body_over_the_cap_is_413(client: TestClient) -> None:
    body = b'{"a": "' + b"x" * 2_100_000 + b'"}'
    assert_error(client.post(VERIFY, content=body, headers={"content-type": "application/json"}),
                 413, "verify.too_large")


def test_body_over_the_cap_without_content_length_is_413(client: TestClient) -> None:
    def chunks() -> Iterator[bytes]:
        for _ in range(40):
            yield b"x" * 64_000

    response = client.post(VERIFY, content=chunks(), headers={"content-type": "image/png"})
    assert_error(response, 413, "verify.too_large")


def test_declared_length_over_the_cap_is_refused_before_reading(client: TestClient) -> None:
    response = client.post(VERIFY, content=b"{}", headers={"content-type": "application/json",
                                                           "content-length": "999999999"})
    assert_error(response, 413, "verify.too_large")


def test_uploaded_file_over_the_cap_is_413(client: TestClient) -> None:
    big = b"\x89PNG" + b"0" * 2_010_000
    response = client.post(VERIFY, files={"file": ("big.png", big, "image/png")})
    assert_error(response, 413, "verify.too_large")


@pytest.mark.parametrize("content_type", ["application/xml", "application/x-www-form-urlencoded",
                                          "application/octet-stream", None])
def test_unsupported_media_type_is_415(client: TestClient, content_type: str | None) -> None:
    headers = {"content-type": content_type} if content_type else {}
    error = assert_error(client.post(VERIFY, content=b"<x/>", headers=headers), 415,
                         "api.unsupported_media_type")
    assert "image/png" in error["message_en"]


def test_too_many_requests_is_429_with_retry_after(client: TestClient, issued: IssuedBadge) -> None:
    client.app.state.verification_rate_limiter = RateLimiter(limit=1, window=30)  # type: ignore[attr-defined]
    assert client.post(VERIFY, json={"jwt": issued.credential_jwt}).status_code == 200
    response = client.post(VERIFY, json={"jwt": issued.credential_jwt})
    assert_error(response, 429, "verify.rate_limited")
    assert 1 <= int(response.headers["retry-after"]) <= 30
    assert response.headers["access-control-allow-origin"] == "*"


def test_form_and_api_share_one_budget(client: TestClient, issued: IssuedBadge) -> None:
    client.app.state.verification_rate_limiter = RateLimiter(limit=1, window=30)  # type: ignore[attr-defined]
    form = client.post("/verifier", files={"credential": (None, issued.credential_jwt)})
    assert form.status_code == 200
    assert client.post(VERIFY, json={"jwt": issued.credential_jwt}).status_code == 429


@pytest.mark.parametrize("body", [b"\xff\xfe\x00garbage", b"[" * 50_000, b'{"url": "https://[::1"}',
                                  b'{"url": ""}', b'{"jwt": "a.b.c"}', b"null", b'"string"',
                                  b'{"@context": 1, "type": {}}'])
def test_hostile_json_bodies_never_give_a_server_error(client: TestClient, body: bytes) -> None:
    response = client.post(VERIFY, content=body, headers={"content-type": "application/json"})
    assert response.status_code in (200, 400), response.text
    assert "error" in response.json() or "verdict" in response.json()


# -- CORS and OpenAPI ------------------------------------------------------------------------

def test_reports_are_readable_from_any_origin(client: TestClient, issued: IssuedBadge) -> None:
    response = client.post(VERIFY, json={"jwt": issued.credential_jwt},
                           headers={"origin": "https://employer.example"})
    assert response.headers["access-control-allow-origin"] == "*"
    assert "access-control-allow-credentials" not in response.headers


def test_preflight_allows_posting_json(client: TestClient) -> None:
    response = client.options(VERIFY, headers={"origin": "https://employer.example",
                                                "access-control-request-method": "POST",
                                                "access-control-request-headers": "content-type"})
    assert response.status_code == 204
    assert response.headers["access-control-allow-origin"] == "*"
    assert "POST" in response.headers["access-control-allow-methods"]
    assert "Content-Type" in response.headers["access-control-allow-headers"]


def test_openapi_describes_the_verify_endpoint(client: TestClient) -> None:
    document = client.get("/api/openapi.json").json()
    operation = document["paths"][VERIFY]["post"]
    content = operation["requestBody"]["content"]
    for media_type in ("application/json", "application/jwt", "text/plain", "image/png",
                       "image/svg+xml", "multipart/form-data"):
        assert media_type in content
    assert content["multipart/form-data"]["schema"]["required"] == ["file"]
    assert {"200", "400", "413", "415", "429"} <= set(operation["responses"])
    report_schema = operation["responses"]["200"]["content"]["application/json"]["schema"]
    # A credential's report, or a presentation's (tests/test_web_presentations.py).
    assert {ref["$ref"].rsplit("/", 1)[1] for ref in report_schema["anyOf"]} == {
        "VerificationReportOut", "PresentationReportOut"}
    components = document["components"]["schemas"]
    report_properties = components["VerificationReportOut"]["properties"]
    assert {"verdict", "checks", "summary"} <= set(report_properties)
    assert "error" in components["ErrorOut"]["properties"]
    assert "Retry-After" in operation["responses"]["429"]["headers"]


def test_report_matches_its_documented_shape(client: TestClient, issued: IssuedBadge) -> None:
    from issuer.web.api_schemas import VerificationReportOut

    report = client.post(VERIFY, json=json.loads(issued.credential_json)).json()
    VerificationReportOut.model_validate(report)
