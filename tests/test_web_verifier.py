"""The verification page for anyone (/verifier, /verify): an employer pastes a credential or its
JWT, uploads the baked image, or enters its address; the answer is one sentence, then every
check. Errors keep the form and mark the field; addresses are never fetched from a private or
loopback target; nothing a stranger sends gives a 500; POSTs are rate-limited and cross-site
form posts refused. Also the rate limiter itself."""

from __future__ import annotations

import html
import json
import random
import re
import threading
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
PUBLIC_ADDRESS = "93.184.216.34"
BREAKFAST = "petit-dejeuner-inclusion-numerique"


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory, issuer_homes: IssuerHomes) -> IssuerService:
    home = tmp_path_factory.mktemp("issuer-home")
    return issuer_homes.service(Settings(home=home, base_url=BASE_URL, did_method="web",
                                         database_url=None, key_passphrase=None))


@pytest.fixture(scope="module")
def issued(service: IssuerService) -> IssuedBadge:
    return service.issue(IssueRequest(badge_slug=BREAKFAST, email="camille@example.org",
                                      name="Camille Test", event_number=7))


class RecordingTransport(httpx.BaseTransport):
    """Serves fixed documents and remembers every request that reached the network layer."""

    def __init__(self, documents: dict[str, bytes] | None = None) -> None:
        self.documents = documents or {}
        self.requests: list[httpx.Request] = []

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        body = self.documents.get(request.url.path)
        if body is None:
            return httpx.Response(404)
        # A stream, as a real transport gives: the Fetcher reads it chunk by chunk.
        return httpx.Response(200, stream=httpx.ByteStream(body),
                              headers={"content-type": "application/ld+json"})


@pytest.fixture
def transport() -> RecordingTransport:
    return RecordingTransport()


@pytest.fixture
def client(service: IssuerService, transport: RecordingTransport) -> Iterator[TestClient]:
    app = create_app(service.settings, service)
    app.state.verification_rate_limiter = RateLimiter(limit=10_000)
    # Remote addresses go through the real bounded Fetcher; only the network is replaced, and
    # every name resolves to a public address so the checks are the ones production makes.
    app.state.verifier_fetcher = Fetcher(max_bytes=2_000_000, timeout=5, transport=transport,
                                         resolver=lambda host, port: [PUBLIC_ADDRESS])
    with TestClient(app, base_url=BASE_URL, raise_server_exceptions=True) as test_client:
        yield test_client


def paste(client: TestClient, text: str, path: str = "/verifier", **headers: str) -> httpx.Response:
    return client.post(path, files={"credential": (None, text)}, headers=headers)


def text_of(markup: str) -> str:
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", markup)).split())


def verdict_box(page: str) -> str:
    match = re.search(r'<div class="verdict (\w+)">(.*?)</div>', page, re.DOTALL)
    assert match, "no verdict box on the page"
    return f"{match.group(1)}: {text_of(match.group(2))}"


def error_text(page: str) -> str:
    match = re.search(r'<div id="resultat" class="verifier-error".*?</div>', page, re.DOTALL)
    assert match, "no error summary on the page"
    return text_of(match.group(0))


def field_tag(page: str, name: str) -> str:
    match = re.search(rf'<(?:textarea|input)[^>]*name="{name}"[^>]*>', page)
    assert match, f"no field {name}"
    return match.group(0)


# -- the form --------------------------------------------------------------------------------------

def test_form_is_in_french_by_default_with_three_labelled_ways_in(client: TestClient) -> None:
    response = client.get("/verifier")
    assert response.status_code == 200
    page = response.text
    assert '<html lang="fr">' in page
    assert "<h1>Vérifier un badge</h1>" in page
    assert page.count("<fieldset>") == 3 and page.count("<legend>") == 3
    for name, kind in (("credential", "textarea"), ("file", "input"), ("url", "input")):
        tag = field_tag(page, name)
        assert tag.startswith(f"<{kind}")
        assert f'id="field-{name}"' in tag and f'aria-describedby="hint-{name}"' in tag
        assert f'<label for="field-{name}">' in page
        assert f'id="hint-{name}"' in page
    assert 'accept=".png,.svg,image/png,image/svg+xml"' in field_tag(page, "file")
    assert 'enctype="multipart/form-data"' in page and 'action="/verifier#resultat"' in page


def test_form_is_in_english_through_the_switch_and_at_verify(client: TestClient) -> None:
    switched = client.get("/verifier?lang=en")
    assert '<html lang="en">' in switched.text and "<h1>Check a badge</h1>" in switched.text
    client.cookies.clear()
    alias = client.get("/verify")
    assert alias.status_code == 200
    assert '<html lang="en">' in alias.text and 'action="/verify#resultat"' in alias.text
    assert '<html lang="fr">' in client.get("/verify?lang=fr").text


def test_address_given_in_the_query_fills_the_field(client: TestClient) -> None:
    page = client.get("/verifier", params={"url": f"{BASE_URL}/credentials/abc"}).text
    assert f'value="{BASE_URL}/credentials/abc"' in field_tag(page, "url")


# -- verdicts ------------------------------------------------------------------------------------

def test_pasted_credential_gives_the_valid_sentence_then_each_check(
        client: TestClient, issued: IssuedBadge) -> None:
    response = paste(client, issued.credential_json)
    assert response.status_code == 200
    box = verdict_box(response.text)
    assert box.startswith(
        "valid: Badge valable. Badge authentique, délivré par la Ville de Roubaix")
    checks = re.findall(r'<span class="outcome (\w+)">([^<]+)</span>', response.text)
    assert len(checks) == 9 and ("passed", "Réussi") in checks
    assert "Signature" in response.text and 'id="resultat"' in response.text
    assert response.headers["cache-control"] == "no-store"


def test_result_page_title_names_the_verdict(client: TestClient, issued: IssuedBadge) -> None:
    page = paste(client, issued.credential_json).text
    assert "<title>Badge valable — Vérifier un badge" in page


def test_pasted_jwt_is_valid(client: TestClient, issued: IssuedBadge) -> None:
    assert verdict_box(paste(client, issued.credential_jwt).text).startswith("valid: ")


def test_uploaded_baked_png_is_valid(client: TestClient, service: IssuerService,
                                     issued: IssuedBadge) -> None:
    response = client.post("/verifier", files={"file": ("badge.png", service.baked_png(issued),
                                                        "image/png")})
    assert response.status_code == 200
    assert verdict_box(response.text).startswith("valid: ")


def test_uploaded_baked_svg_is_valid(client: TestClient, service: IssuerService,
                                     issued: IssuedBadge) -> None:
    response = client.post("/verifier", files={"file": ("badge.svg", service.baked_svg(issued),
                                                        "image/svg+xml")})
    assert verdict_box(response.text).startswith("valid: ")


def test_tampered_credential_gets_the_not_authentic_sentence(
        client: TestClient, issued: IssuedBadge) -> None:
    tampered = issued.credential
    tampered["credentialSubject"]["achievement"]["name"] = "Diplôme d'ingénieur"
    response = paste(client, json.dumps(tampered))
    assert response.status_code == 200
    box = verdict_box(response.text)
    assert box.startswith("invalid: Badge non valable. Badge non authentique, ne vous y fiez pas.")
    assert '<span class="outcome failed">Échec</span>' in response.text


def test_revoked_credential_gets_the_revoked_sentence(client: TestClient,
                                                       service: IssuerService) -> None:
    revoked = service.issue(IssueRequest(badge_slug=BREAKFAST, email="revoked@example.org",
                                         name="Dominique Test", event_number=8))
    service.revoke(revoked.credential_id, "attribué par erreur")
    box = verdict_box(paste(client, revoked.credential_json).text)
    assert box.startswith(
        "invalid: Badge non valable. Badge révoqué : la Ville de Roubaix l'a retiré")


def test_english_page_gives_the_english_sentence(client: TestClient, issued: IssuedBadge) -> None:
    box = verdict_box(paste(client, issued.credential_json, path="/verify").text)
    assert box.startswith("valid: Valid badge. Authentic badge, issued by Ville de Roubaix")


# -- addresses ------------------------------------------------------------------------------

def test_address_of_this_service_is_verified_locally(
        client: TestClient, issued: IssuedBadge, transport: RecordingTransport) -> None:
    forms = ("", ".jwt", "/credential.jwt", "/credential.json", "/badge.png", "/badge.svg",
             "/attestation.pdf")
    urls = [issued.url + form for form in forms] + [issued.url.replace("https://", "http://")]
    for url in urls:
        response = client.post("/verifier", files={"url": (None, url)})
        assert verdict_box(response.text).startswith("valid: "), url
    assert transport.requests == []


def test_address_pasted_in_the_text_area_is_followed(client: TestClient,
                                                     issued: IssuedBadge) -> None:
    assert verdict_box(paste(client, issued.url).text).startswith("valid: ")


def test_address_of_another_site_is_fetched_within_bounds(
        client: TestClient, issued: IssuedBadge, transport: RecordingTransport) -> None:
    transport.documents["/badges/camille.json"] = issued.credential_json.encode("utf-8")
    response = client.post("/verifier",
                           files={"url": (None, "https://wallet.example.net/badges/camille.json")})
    assert verdict_box(response.text).startswith("valid: ")
    (request,) = transport.requests
    assert request.url.host == PUBLIC_ADDRESS and request.headers["host"] == "wallet.example.net"


@pytest.mark.parametrize("url", ["https://10.0.0.1/badge.json", "https://127.0.0.1/badge.json",
                                 "http://wallet.example.net/badge.json",
                                 "https://[::ffff:192.168.1.1]/badge.json"])
def test_private_loopback_and_plain_http_addresses_are_refused_without_connecting(
        client: TestClient, transport: RecordingTransport, url: str) -> None:
    response = client.post("/verifier", files={"url": (None, url)})
    assert response.status_code == 400
    assert "Adresse refusée" in error_text(response.text)
    tag = field_tag(response.text, "url")
    assert 'aria-invalid="true"' in tag and "error-url" in tag
    assert f'value="{url}"' in tag  # the form is kept
    assert transport.requests == []


def test_address_of_this_service_that_is_not_a_badge_is_refused(client: TestClient) -> None:
    response = client.post("/verifier", files={"url": (None, f"{BASE_URL}/issuer")})
    assert response.status_code == 400
    assert "ne mène pas à un badge" in error_text(response.text)


def test_unknown_badge_of_this_service_is_a_clear_error(client: TestClient) -> None:
    response = client.post("/verifier", files={"url": (None, f"{BASE_URL}/credentials/inconnu")})
    assert response.status_code == 400
    assert "Aucun badge" in error_text(response.text)


# -- errors --------------------------------------------------------------------------------------

def test_empty_form_is_refused_with_the_field_marked(client: TestClient) -> None:
    response = client.post("/verifier", files={"credential": (None, ""), "url": (None, "")})
    assert response.status_code == 400
    page = response.text
    assert "<title>Erreur — Vérifier un badge" in page
    assert "Donnez un badge à vérifier" in error_text(page)
    tag = field_tag(page, "credential")
    assert 'aria-invalid="true"' in tag
    assert 'aria-describedby="hint-credential error-credential"' in tag
    assert 'id="error-credential"' in page and 'href="#field-credential"' in page
    # No script needed: the answer sits at the fragment the form posts to, focusable.
    assert re.search(r'id="resultat"[^>]*tabindex="-1"', page)


def test_two_ways_at_once_are_refused_and_the_form_is_kept(client: TestClient,
                                                           issued: IssuedBadge) -> None:
    response = client.post("/verifier", files={"credential": (None, issued.credential_jwt),
                                               "url": (None, issued.url)})
    assert response.status_code == 400
    assert "Une seule façon à la fois" in error_text(response.text)
    assert issued.credential_jwt in response.text
    for name in ("credential", "url"):
        assert 'aria-invalid="true"' in field_tag(response.text, name)
    assert 'aria-invalid' not in field_tag(response.text, "file")


def test_english_errors_are_in_english(client: TestClient) -> None:
    response = client.post("/verify", files={"credential": (None, "")})
    assert response.status_code == 400
    assert "Give a badge to check" in error_text(response.text)


def test_unreadable_paste_is_refused_with_the_reason(client: TestClient) -> None:
    response = paste(client, "bonjour, voici mon badge")
    assert response.status_code == 400
    assert "Fichier illisible" in error_text(response.text)
    assert "bonjour, voici mon badge" in response.text


def test_too_large_upload_is_refused(client: TestClient) -> None:
    response = client.post("/verifier", files={"file": ("big.png", b"\x89PNG" + b"0" * 2_100_000,
                                                        "image/png")})
    assert response.status_code == 400
    assert "trop volumineux" in error_text(response.text)


def test_image_without_a_badge_is_refused(client: TestClient, service: IssuerService) -> None:
    plain = service.badge_png(service.catalogue.badge(BREAKFAST))
    response = client.post("/verifier", files={"file": ("badge.png", plain, "image/png")})
    assert response.status_code == 400
    assert "ne contient pas de badge" in error_text(response.text)
    assert 'aria-invalid="true"' in field_tag(response.text, "file")


def _stranger_requests() -> list[tuple[str, dict[str, Any]]]:
    noise = random.Random(7)
    junk = bytes(noise.getrandbits(8) for _ in range(4096))
    multipart = {"content-type": "multipart/form-data; boundary=----x"}
    urlencoded = {"content-type": "application/x-www-form-urlencoded"}
    truncated = b'------x\r\nContent-Disposition: form-data; name="credential"\r\n\r\nabc'
    entities = (b'<?xml version="1.0"?><!DOCTYPE svg [<!ENTITY a "aaaa">]>'
                b'<svg xmlns="http://www.w3.org/2000/svg">&a;</svg>')
    return [
        ("random bytes, no type", {"content": junk}),
        ("random bytes as multipart", {"content": junk, "headers": multipart}),
        ("multipart without boundary", {"content": b"--a\r\n\r\n",
                                        "headers": {"content-type": "multipart/form-data"}}),
        ("truncated multipart", {"content": truncated, "headers": multipart}),
        ("random urlencoded", {"content": junk, "headers": urlencoded}),
        ("json body", {"content": b'{"credential": 1}',
                       "headers": {"content-type": "application/json"}}),
        ("huge field", {"data": {"credential": "A" * 2_500_000}}),
        ("random bytes as file", {"files": {"file": ("x.png", junk, "image/png")}}),
        ("random text pasted", {"files": {"credential": (None, junk.decode("latin-1"))}}),
        ("svg with entities", {"files": {"file": ("x.svg", entities, "image/svg+xml")}}),
        ("file sent as text field", {"files": {"file": (None, "{}")}}),
        ("text area sent as file", {"files": {"credential": ("x.json", b"{}", "text/plain")}}),
        ("same field twice", {"content": b"credential=a&credential=b", "headers": urlencoded}),
        ("odd address", {"files": {"url": (None, "https://[::1")}}),
        ("address with a bad port", {"files": {"url": (None, "https://example.org:99999999/x")}}),
        ("address with credentials", {"files": {"url": (None, "https://user:pw@example.org/x")}}),
        ("very long address", {"files": {"url": (None, "https://example.org/" + "a" * 5000)}}),
        ("javascript address", {"files": {"url": (None, "javascript:alert(1)")}}),
        ("deep JSON", {"files": {"credential": (None, "[" * 100_000 + "]" * 100_000)}}),
        ("JWT-looking junk", {"files": {"credential": (None, "eyJ.eyJ.abc")}}),
    ]


@pytest.mark.parametrize(("description", "request_arguments"), _stranger_requests(),
                         ids=[name for name, _ in _stranger_requests()])
def test_nothing_a_stranger_sends_gives_a_server_error(client: TestClient, description: str,
                                                       request_arguments: dict[str, Any]) -> None:
    response = client.post("/verifier", **request_arguments)
    assert response.status_code in (200, 400), (description, response.status_code)
    assert '<html lang="fr">' in response.text


# -- cross-site posts and rate limiting -----------------------------------------------------------

@pytest.mark.parametrize("headers", [{"sec-fetch-site": "cross-site"},
                                     {"sec-fetch-site": "same-site"},
                                     {"origin": "https://evil.example"}, {"origin": "null"}])
def test_cross_site_form_post_is_refused(client: TestClient, issued: IssuedBadge,
                                         headers: dict[str, str]) -> None:
    response = paste(client, issued.credential_json, **headers)
    assert response.status_code == 403
    assert "depuis un autre site" in error_text(response.text)


@pytest.mark.parametrize("headers", [{"sec-fetch-site": "same-origin"}, {"sec-fetch-site": "none"},
                                     {"origin": BASE_URL}, {}])
def test_same_origin_or_non_browser_post_is_accepted(client: TestClient, issued: IssuedBadge,
                                                     headers: dict[str, str]) -> None:
    assert paste(client, issued.credential_json, **headers).status_code == 200


def test_too_many_posts_get_429_with_retry_after(client: TestClient, issued: IssuedBadge) -> None:
    client.app.state.verification_rate_limiter = RateLimiter(limit=2, window=60)  # type: ignore[attr-defined]
    assert paste(client, issued.credential_jwt).status_code == 200
    assert client.post("/verifier", files={"credential": (None, "")}).status_code == 400
    response = paste(client, issued.credential_jwt)
    assert response.status_code == 429
    assert 1 <= int(response.headers["retry-after"]) <= 60
    assert "Trop de vérifications" in error_text(response.text)
    assert client.get("/verifier").status_code == 200  # reading the form is never limited


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_rate_limiter_window_slides() -> None:
    clock = FakeClock()
    limiter = RateLimiter(limit=3, window=60, clock=clock)
    assert [limiter.hit("a") for _ in range(3)] == [None, None, None]
    clock.now += 20
    assert limiter.hit("a") == pytest.approx(40)
    assert limiter.hit("b") is None  # another client has its own budget
    clock.now += 40
    # The first three have left the window, and the refused request was not counted.
    assert [limiter.hit("a") for _ in range(3)] == [None, None, None]
    assert limiter.hit("a") == pytest.approx(60)


def test_rate_limiter_memory_is_bounded() -> None:
    limiter = RateLimiter(limit=1, window=60, max_clients=100, clock=FakeClock())
    for number in range(10_000):
        limiter.hit(f"client-{number}")
    assert limiter.tracked_clients() == 100
    assert limiter.hit("client-9999") is not None  # the most recent are the ones kept


def test_rate_limiter_counts_exactly_under_concurrency() -> None:
    limiter = RateLimiter(limit=50, window=60)
    allowed: list[bool] = []
    lock = threading.Lock()

    def worker() -> None:
        for _ in range(20):
            result = limiter.hit("same-client") is None
            with lock:
                allowed.append(result)

    threads = [threading.Thread(target=worker) for _ in range(10)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert allowed.count(True) == 50


def test_rate_limiter_groups_an_ipv6_host_by_its_slash_64() -> None:
    from starlette.requests import Request

    from issuer.web.rate_limit import client_key

    def request_from(host: str) -> Request:
        return Request({"type": "http", "method": "POST", "path": "/", "headers": [],
                        "client": (host, 1234)})

    host = client_key(request_from("2001:db8:1:2::1"))
    assert host == client_key(request_from("2001:db8:1:2::ffff"))
    assert host != client_key(request_from("2001:db8:1:3::1"))
    assert client_key(request_from("203.0.113.5")) == "203.0.113.5"

