"""The badge page `/credentials/{id}` and the files hanging off it (issue #3 item 3).

A real service in a temporary ISSUER_HOME (SQLite, generated keys, the seed catalogue) issues
badges; the web app is driven through FastAPI's TestClient. The verification result on the page
is the live one: revoking or suspending through the service shows on the next request.
"""

from __future__ import annotations

import html
import io
import json
import os
import re
import uuid
import zlib
from collections.abc import Iterator
from datetime import date, datetime
from html.parser import HTMLParser
from typing import Any
from urllib.parse import parse_qs, urlsplit

import defusedxml.ElementTree as safe_xml
import pytest
from fastapi.testclient import TestClient
from PIL import Image

from issuer.issuance.issue_requests import IssuedBadge, IssueRequest
from issuer.issuance.service import IssuerService
from issuer.openbadges.baking import extract_from_png, extract_from_svg
from issuer.openbadges.credential import CITY_TIMEZONE
from issuer.settings import Settings
from issuer.wallet.holder_links import create_holder_link
from issuer.web import create_app
from issuer.web.security import CONTENT_SECURITY_POLICY
from issuer.web.views.credentials import is_indexable, prefers_json
from tests.plugins.factory import IssuerHomes

BASE_URL = "https://badges.example.org"
HOSTILE_NAME = "<script>alert(1)</script>"
BROWSER_ACCEPT = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
FILES = ("credential.json", "credential.jwt", "badge.png", "badge.svg", "preview.png", "qr.svg",
         "attestation.pdf")


# --- fixtures ----------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory,
            issuer_homes: IssuerHomes) -> Iterator[IssuerService]:
    home = tmp_path_factory.mktemp("issuer-home")
    with pytest.MonkeyPatch.context() as patch:
        for variable in [name for name in os.environ if name.startswith("ISSUER_")]:
            patch.delenv(variable)
        patch.delenv("DATABASE_URL", raising=False)
        patch.setenv("ISSUER_HOME", str(home))
        patch.setenv("ISSUER_BASE_URL", BASE_URL)
        yield issuer_homes.service(Settings.load())


@pytest.fixture
def client(service: IssuerService) -> TestClient:
    """A fresh client per test: no language cookie left by another test."""
    return TestClient(create_app(service.settings, service))


def _member(service: IssuerService, email: str, **fields: Any) -> IssuedBadge:
    """A CLN member designated today: valid for two years from today, whatever the run day."""
    today = datetime.now(CITY_TIMEZONE).date()
    fields.setdefault("role", "conseiller")
    return service.issue(IssueRequest("membre-cln", email, sector="Nord", mandate_start=today,
                                      through_register=True, **fields))


@pytest.fixture(scope="module")
def named_member(service: IssuerService) -> IssuedBadge:
    return _member(service, "camille@example.org", name=HOSTILE_NAME, show_name=True)


@pytest.fixture(scope="module")
def speaker(service: IssuerService) -> IssuedBadge:
    return service.issue(IssueRequest("petit-dejeuner-inclusion-numerique", "orateur@example.org",
                                      name="Dominique Exemple", show_name=False, event_number=7,
                                      role="intervenant"))


# --- helpers -----------------------------------------------------------------------------------

class _Tags(HTMLParser):
    """Every start tag with its attributes, and the text inside <script> and <style>."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str]]] = []
        self.inline_code: list[str] = []
        self._in_code = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, {name: value or "" for name, value in attrs}))
        self._in_code = tag in ("script", "style")

    def handle_endtag(self, tag: str) -> None:
        self._in_code = False

    def handle_data(self, data: str) -> None:
        if self._in_code and data.strip():
            self.inline_code.append(data)

    def find(self, tag: str, **attributes: str) -> list[dict[str, str]]:
        return [attrs for name, attrs in self.tags if name == tag
                and all(attrs.get(key.rstrip("_")) == value for key, value in attributes.items())]


def _tags(markup: str) -> _Tags:
    parser = _Tags()
    parser.feed(markup)
    return parser


def _meta(tags: _Tags, key: str) -> str:
    found = tags.find("meta", property=key) or tags.find("meta", name=key)
    assert found, f"no <meta> {key}"
    return found[0]["content"]


def _city_month(value: str) -> tuple[int, int]:
    moment = datetime.fromisoformat(value).astimezone(CITY_TIMEZONE)
    return moment.year, moment.month


def _pdf_objects(pdf: bytes) -> bytes:
    """The PDF's object text, its compressed streams and object streams inflated."""
    parts = [pdf]
    for match in re.finditer(rb"stream\r?\n(.*?)\r?\nendstream", pdf, re.DOTALL):
        try:
            parts.append(zlib.decompress(match.group(1)))
        except zlib.error:
            continue
    return b"\n".join(parts)


def _as_holder(client: TestClient, service: IssuerService, issued: IssuedBadge) -> TestClient:
    """`client` becomes the badge's holder: it spends a one-time holder link, as from the badge
    e-mail (issuer.wallet.holder_links), and keeps the holder access cookie."""
    with service.database.session() as session:
        token, _expires = create_holder_link(session, issued.credential_id)
    assert client.post(f"/portefeuille/lien/{token}", follow_redirects=False).status_code == 303
    return client


def _page(client: TestClient, issued: IssuedBadge, **params: str) -> str:
    response = client.get(f"/credentials/{issued.credential_id}", params=params,
                          headers={"accept": BROWSER_ACCEPT, "accept-language": "fr-FR,fr"})
    assert response.status_code == 200
    return response.text


# --- the page --------------------------------------------------------------------------------

def test_fresh_badge_page_says_authentic_in_plain_french(client: TestClient,
                                                         named_member: IssuedBadge) -> None:
    response = client.get(f"/credentials/{named_member.credential_id}",
                          headers={"accept": BROWSER_ACCEPT})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert response.headers["content-language"] == "fr"
    assert response.headers["cache-control"] == "no-store"  # a live result is never replayed
    text = response.text
    assert "Badge authentique, délivré par la Ville de Roubaix le" in text
    assert "valide jusqu'au" in html.unescape(text)
    assert "Membre du Conseil local du numérique" in text
    assert "Conseiller·ère" in text


def test_page_switches_to_english(client: TestClient, named_member: IssuedBadge) -> None:
    text = _page(client, named_member, lang="en")
    assert "Authentic badge, issued by Ville de Roubaix on" in text
    assert "Member of the Local Digital Council" in text
    assert "Council member" in text
    assert '<html lang="en">' in text


def test_revoked_badge_shows_revoked_with_its_date(client: TestClient,
                                                   service: IssuerService) -> None:
    issued = _member(service, "revoque@example.org")
    assert "Badge authentique" in _page(client, issued)
    service.revoke(issued.credential_id, "Démission (test)")
    text = _page(client, issued)
    assert "Badge révoqué" in text
    assert "Badge authentique" not in text
    today = datetime.now(CITY_TIMEZONE).date()
    from babel.dates import format_date
    assert f"Révoqué le {format_date(today, 'long', locale='fr_FR')}." in text
    assert 'class="verdict invalid"' in text


def test_suspension_shows_at_once_and_lifting_it_too(client: TestClient,
                                                     service: IssuerService) -> None:
    issued = _member(service, "suspendu@example.org")
    service.suspend(issued.credential_id, "Vérification en cours")
    text = _page(client, issued)
    assert "Badge suspendu" in text
    assert "suspendu" in text and "Suspendu depuis le" in text
    service.unsuspend(issued.credential_id)
    assert "Badge authentique" in _page(client, issued)


def test_expired_mandate_shows_expired(client: TestClient, service: IssuerService) -> None:
    issued = service.issue(IssueRequest("membre-cln", "ancien-mandat@example.org",
                                        role="conseiller", mandate_start=date(2021, 6, 13),
                                        through_register=True))
    text = _page(client, issued)
    assert "Badge expiré : il était valable jusqu'au 12 juin 2023." in html.unescape(text)


def test_name_is_shown_only_when_the_recipient_agreed(client: TestClient,
                                                      speaker: IssuedBadge) -> None:
    assert "name" not in speaker.credential["credentialSubject"]
    text = _page(client, speaker)
    assert "Dominique Exemple" not in text
    assert "Le nom de la personne n'est pas affiché." in html.unescape(text)


def test_hostile_name_is_escaped_everywhere_on_the_page(client: TestClient,
                                                        named_member: IssuedBadge) -> None:
    for lang in ("fr", "en"):
        text = _page(client, named_member, lang=lang)
        assert HOSTILE_NAME not in text
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in text


def test_page_has_no_inline_script_or_style_and_keeps_the_csp(
        client: TestClient, service: IssuerService, named_member: IssuedBadge) -> None:
    response = _as_holder(client, service, named_member).get(
        f"/credentials/{named_member.credential_id}")
    assert response.headers["content-security-policy"] == CONTENT_SECURITY_POLICY
    tags = _tags(response.text)
    assert tags.inline_code == []
    assert not tags.find("style")
    assert all("style" not in attrs for _tag, attrs in tags.tags)
    assert all(not name.startswith("on") for _tag, attrs in tags.tags for name in attrs)
    scripts = tags.find("script")
    assert [s["src"] for s in scripts] == ["/static/share.js"]  # ours, no third party
    share_button = tags.find("button", class_="secondary share-native")
    assert share_button and "hidden" in share_button[0]  # shown by share.js where supported


def test_linkedin_form_gets_the_credential_values(client: TestClient, service: IssuerService,
                                                  named_member: IssuedBadge) -> None:
    tags = _tags(_page(_as_holder(client, service, named_member), named_member))
    links = [a["href"] for a in tags.find("a") if a.get("href", "").startswith(
        "https://www.linkedin.com/profile/add")]
    assert len(links) == 1
    query = parse_qs(urlsplit(links[0]).query, strict_parsing=True)
    credential = named_member.credential
    # A council membership: the month the mandate started (its first day is signed).
    issue_year, issue_month = _city_month(credential["credentialSubject"]["activityStartDate"])
    end_year, end_month = _city_month(credential["validUntil"])
    assert query == {
        "startTask": ["CERTIFICATION_NAME"],
        "name": [credential["name"]],
        "organizationName": [credential["issuer"]["name"]],
        "issueYear": [str(issue_year)],
        "issueMonth": [str(issue_month)],
        "expirationYear": [str(end_year)],
        "expirationMonth": [str(end_month)],
        "certUrl": [credential["id"]],
        "certId": [named_member.credential_id],
    }


def test_share_links_are_plain_links_without_referrer(client: TestClient, service: IssuerService,
                                                      speaker: IssuedBadge) -> None:
    tags = _tags(_page(_as_holder(client, service, speaker), speaker))
    external = [a for a in tags.find("a") if a.get("href", "").startswith(("https://", "mailto:"))
                and not a["href"].startswith((BASE_URL, "https://www.ville-roubaix.fr"))]
    hosts = {urlsplit(a["href"]).netloc or "mailto" for a in external}
    assert hosts == {"www.linkedin.com", "www.facebook.com", "x.com", "bsky.app",
                     "share.joinmastodon.org", "wa.me", "mailto"}
    for link in external:
        assert "noopener" in link["rel"].split()
        # The page address travels with the share, and nothing about the holder does.
        assert "Dominique" not in link["href"]
    assert any(speaker.credential_id in a["href"] for a in external)


def test_open_graph_card_points_at_the_preview_and_names_nobody(client: TestClient,
                                                               named_member: IssuedBadge) -> None:
    tags = _tags(_page(client, named_member))
    page_url = f"{BASE_URL}/credentials/{named_member.credential_id}"
    assert _meta(tags, "og:url") == page_url
    assert _meta(tags, "og:image") == f"{page_url}/preview.png"
    assert (_meta(tags, "og:image:width"), _meta(tags, "og:image:height")) == ("1200", "630")
    assert _meta(tags, "twitter:card") == "summary_large_image"
    assert _meta(tags, "og:title") == "Membre du Conseil local du numérique"
    for key in ("og:title", "og:description", "twitter:title", "twitter:description"):
        assert "script" not in _meta(tags, key)


def test_page_is_not_indexed_without_the_recipients_consent(client: TestClient,
                                                            named_member: IssuedBadge) -> None:
    assert is_indexable(named_member) is False
    response = client.get(f"/credentials/{named_member.credential_id}")
    assert _meta(_tags(response.text), "robots") == "noindex"
    assert response.headers["x-robots-tag"] == "noindex"


# --- negotiation and signed forms ----------------------------------------------------------------

@pytest.mark.parametrize("accept", ["application/ld+json", "application/json",
                                    "application/ld+json, application/json;q=0.9, */*;q=0.1",
                                    "text/html;q=0.5, application/json"])
def test_json_clients_get_the_stored_credential_byte_for_byte(client: TestClient,
                                                              named_member: IssuedBadge,
                                                              accept: str) -> None:
    response = client.get(f"/credentials/{named_member.credential_id}", headers={"accept": accept})
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/ld+json"
    assert response.content == named_member.credential_json.encode("utf-8")
    assert "Accept" in response.headers["vary"]


@pytest.mark.parametrize("accept", ["", "*/*", BROWSER_ACCEPT, "application/json, text/html"])
def test_browsers_and_unspecific_clients_get_the_page(accept: str) -> None:
    assert prefers_json(accept) is False


def test_credential_json_route_returns_exactly_the_issued_text(client: TestClient,
                                                              named_member: IssuedBadge) -> None:
    response = client.get(f"/credentials/{named_member.credential_id}/credential.json")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/ld+json"
    assert response.content == named_member.credential_json.encode("utf-8")


def test_jwt_route_returns_the_issued_vc_jwt(client: TestClient, named_member: IssuedBadge) -> None:
    response = client.get(f"/credentials/{named_member.credential_id}/credential.jwt")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/jwt"
    assert response.text == named_member.credential_jwt


@pytest.mark.parametrize("kind", ["png", "svg"])
def test_baked_images_download_with_the_credential_inside(client: TestClient,
                                                          speaker: IssuedBadge, kind: str) -> None:
    response = client.get(f"/credentials/{speaker.credential_id}/badge.{kind}")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("image/png" if kind == "png"
                                                       else "image/svg+xml")
    disposition = response.headers["content-disposition"]
    assert disposition == (f'attachment; filename="badge-petit-dejeuner-inclusion-numerique-7-'
                           f'{speaker.credential_id[:8]}.{kind}"')
    extract = extract_from_png if kind == "png" else extract_from_svg
    assert json.loads(extract(response.content).payload) == speaker.credential


def test_preview_is_a_1200_by_630_png_with_nothing_about_the_holder(
        client: TestClient, service: IssuerService, named_member: IssuedBadge) -> None:
    other = _member(service, "autre-membre@example.org", name="Autre Personne", show_name=True)
    first = client.get(f"/credentials/{named_member.credential_id}/preview.png")
    second = client.get(f"/credentials/{other.credential_id}/preview.png")
    assert first.status_code == 200
    assert first.headers["content-type"] == "image/png"
    with Image.open(io.BytesIO(first.content)) as image:
        assert image.format == "PNG"
        assert image.size == (1200, 630)
        assert "openbadgecredential" not in image.info  # not the baked badge
    # Two people, same badge: the same image, so it cannot carry anything personal.
    assert first.content == second.content


def test_qr_code_is_an_svg_of_the_page_address(client: TestClient,
                                               named_member: IssuedBadge) -> None:
    response = client.get(f"/credentials/{named_member.credential_id}/qr.svg")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("image/svg+xml")
    root = safe_xml.fromstring(response.content)
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    import cairosvg  # test dependencies (pyproject.toml): a missing one is a failure
    import zxingcpp
    png = cairosvg.svg2png(bytestring=response.content, output_width=400, output_height=400)
    found = zxingcpp.read_barcodes(Image.open(io.BytesIO(png)))
    assert [code.text for code in found] == [f"{BASE_URL}/credentials/{named_member.credential_id}"]


def test_attestation_is_a_one_page_a4_pdf(client: TestClient, speaker: IssuedBadge) -> None:
    response = client.get(f"/credentials/{speaker.credential_id}/attestation.pdf")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/pdf"
    assert response.headers["content-disposition"].startswith("attachment; filename=")
    assert response.content.startswith(b"%PDF-")
    objects = _pdf_objects(response.content)
    assert len(re.findall(rb"/Type\s*/Page(?![a-zA-Z])", objects)) == 1
    assert re.search(rb"/MediaBox\s*\[0 0 595\.\d+ 841\.\d+\]", objects)  # A4 in points


def test_english_attestation_of_a_named_member_renders(client: TestClient,
                                                       named_member: IssuedBadge) -> None:
    response = client.get(f"/credentials/{named_member.credential_id}/attestation.pdf?lang=en")
    assert response.status_code == 200
    assert len(re.findall(rb"/Type\s*/Page(?![a-zA-Z])", _pdf_objects(response.content))) == 1


# --- unknown, malformed and hostile ids ----------------------------------------------------------

@pytest.mark.parametrize("path", [
    f"/credentials/{uuid.UUID(int=1)}",                       # well formed, never issued
    "/credentials/nope",
    "/credentials/12345678-1234-1234-1234-1234567890AB",      # upper case: not an id we give
    "/credentials/..%2F..%2Fissuer",
    "/credentials/%2e%2e%2f%2e%2e%2fetc%2fpasswd",
    "/credentials/..;/issuer",
    "/credentials/00000000-0000-0000-0000-000000000001.json",
    "/credentials/' OR '1'='1",
    f"/credentials/{uuid.UUID(int=1)}/attestation.pdf",
    "/credentials/nope/badge.png",
    "/credentials/../badges/membre-cln.svg/qr.svg",
])
def test_unknown_or_malformed_ids_get_the_friendly_404_page(client: TestClient, path: str) -> None:
    response = client.get(path, headers={"accept": BROWSER_ACCEPT})
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("text/html")
    assert "Page introuvable" in response.text
    assert response.headers["content-security-policy"] == CONTENT_SECURITY_POLICY


@pytest.mark.parametrize("name", FILES)
def test_every_file_route_answers_for_an_issued_badge_and_404s_otherwise(
        client: TestClient, named_member: IssuedBadge, name: str) -> None:
    assert client.get(f"/credentials/{named_member.credential_id}/{name}").status_code == 200
    assert client.get(f"/credentials/{uuid.uuid4()}/{name}").status_code == 404
    assert client.get(f"/credentials/not-a-uuid/{name}").status_code == 404


def test_unknown_id_asked_as_json_gets_a_json_404(client: TestClient) -> None:
    response = client.get(f"/credentials/{uuid.uuid4()}", headers={"accept": "application/json"})
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "http.404"


def test_share_script_is_served_from_our_origin(client: TestClient) -> None:
    response = client.get("/static/share.js")
    assert response.status_code == 200
    assert "navigator.share" in response.text


def test_personal_data_page_says_what_is_kept_for_how_long_and_whom_to_ask(
        client: TestClient) -> None:
    page = client.get("/donnees-personnelles")
    assert page.status_code == 200
    text = page.text.replace("&#39;", "'")
    for words in ("Ce qui est gardé, et pourquoi", "L'annuaire du réseau", "Les recommandations",
                  "effacées 1095 jours plus tard", "pendant 20 minutes", "CNIL"):
        assert words in text, words
    assert "mailto:participation-citoyenne@ville-roubaix.fr" in text


@pytest.mark.parametrize("slug", ["mediateur-numerique", "membre-cln",
                                  "petit-dejeuner-inclusion-numerique"])
def test_badge_class_pages_render_their_markdown(client: TestClient, slug: str) -> None:
    """The catalogue's texts are Markdown (lists, emphasis): the badge-class page shows them as
    HTML, never the raw `**` and `- ` (issue 13 item 1)."""
    page = client.get(f"/achievements/{slug}", headers={"accept": "text/html"})
    assert page.status_code == 200
    prose = "".join(re.findall(r'<div class="prose">(.*?)</div>', page.text, re.DOTALL))
    assert prose and "**" not in prose and "\n- " not in prose
    assert "<p>" in prose


def test_the_mediator_badge_class_page_shows_its_list_as_a_list(client: TestClient) -> None:
    page = client.get("/achievements/mediateur-numerique", headers={"accept": "text/html"})
    assert "<li><strong>accueillir</strong>" in page.text


@pytest.mark.parametrize("change", ["revoke", "suspend"])
def test_a_withdrawn_badge_offers_nothing_to_share(client: TestClient, service: IssuerService,
                                                   change: str) -> None:
    """Revoked or suspended (issue 13 item 3): no LinkedIn, no share links, no wallet, no QR
    code, no downloads but the signed JSON; the image and the preview say it is withdrawn."""
    issued = _member(service, f"{change}@example.org", name="Alex Exemple", show_name=True)
    before = _page(_as_holder(client, service, issued), issued)
    assert "https://www.linkedin.com/profile/add" in before and "/attestation.pdf" in before
    assert 'id="portefeuille"' in before and "withdrawn-label" not in before
    getattr(service, change)(issued.credential_id, "Erreur de saisie")
    after = _page(client, issued)
    assert "https://www.linkedin.com/profile/add" not in after
    assert 'class="share-list"' not in after and 'id="portefeuille"' not in after
    assert "/qr.svg" not in after
    for download in ("attestation.pdf", "badge.png", "badge.svg", "credential.jwt"):
        assert f"{issued.credential_id}/{download}" not in after
    assert f"{issued.credential_id}/credential.json" in after
    assert "withdrawn-label" in after and "il n'est plus proposé au partage" in html.unescape(after)
    preview = client.get(f"/credentials/{issued.credential_id}/preview.png")
    assert preview.status_code == 200 and preview.headers["cache-control"] == "no-cache"
    valid = _member(service, f"ok-{change}@example.org")
    valid_preview = client.get(f"/credentials/{valid.credential_id}/preview.png")
    assert valid_preview.headers["cache-control"] != "no-cache"
    assert preview.content != valid_preview.content


def test_an_event_badges_evidence_id_resolves_to_the_editions_page(
        client: TestClient, speaker: IssuedBadge) -> None:
    """Every event badge's evidence `id` leads to a public page of its edition (issue 13
    item 2; it answered 404)."""
    [evidence] = speaker.credential["evidence"]
    path = urlsplit(evidence["id"]).path
    assert path == "/events/petit-dejeuner-inclusion-numerique/7"
    answer = client.get(path, follow_redirects=False)
    assert answer.status_code == 303
    assert answer.headers["location"] == "/achievements/petit-dejeuner-inclusion-numerique/7"
    page = client.get(path, headers={"accept": "text/html"})
    assert page.status_code == 200 and "7" in page.text
    assert client.get("/events/petit-dejeuner-inclusion-numerique/999").status_code == 404
    assert client.get("/events/inconnu/1").status_code == 404


def test_the_badge_page_explains_before_it_shares_and_names_downloads_plainly(
        client: TestClient, service: IssuerService, speaker: IssuedBadge) -> None:
    """Issue 13 item 4: what the badge means comes before the share block; "Copier le lien";
    downloads in plain words, each with one line of help."""
    page = html.unescape(_page(_as_holder(client, service, speaker), speaker))
    assert page.index("Ce que ce badge veut dire") < page.index('id="share-title"')
    assert 'class="secondary copy-link" hidden' in page and "Copier le lien" in page
    for label in ("Image du badge à partager (PNG)", "Attestation à imprimer (PDF, A4)",
                  "Fichier pour un portefeuille numérique (JSON)"):
        item = page[page.index(label):]
        assert item.index('<span class="hint">') < item.index("</li>")


def test_the_accessibility_statement_follows_the_rgaa_model(client: TestClient) -> None:
    """Issue 13 item 16: the official model's sections, in order; "non conforme" until an audit
    exists; the date; French passages of the English page marked `lang="fr"`."""
    french = html.unescape(client.get("/accessibilite", headers={"accept-language": "fr"}).text)
    sections = ["État de conformité", "Résultats des tests", "Contenus non accessibles",
                "Établissement de cette déclaration d'accessibilité",
                "Retour d'information et contact", "Voies de recours"]
    positions = [french.index(f">{title}</h2>") for title in sections]
    assert positions == sorted(positions)
    assert "non conforme avec le RGAA 4.1" in french and "6 décembre 2026" in french
    english = client.get("/accessibilite?lang=en").text
    assert "is not compliant with RGAA 4.1" in english
    assert '<span lang="fr">Défenseur des droits, Libre réponse 71120' in english


def test_the_home_page_is_a_front_door_for_residents(client: TestClient) -> None:
    """Issue 13 item 12: what a badge is, how to earn each one, how to share and keep it, how an
    employer checks one; Open Graph tags for a shared link."""
    home = html.unescape(client.get("/", headers={"accept-language": "fr"}).text)
    order = ["Un badge numérique, c'est quoi ?", "Comment obtenir un badge",
             "Partager son badge, le garder dans un portefeuille", "Employeurs : vérifier un badge"]
    positions = [home.index(title) for title in order]
    assert positions == sorted(positions)
    assert 'href="/aide/portefeuille"' in home and 'href="/verifier"' in home
    assert '<meta property="og:title"' in home and '<meta property="og:url"' in home


def test_a_council_badge_page_shows_the_sector_and_the_mandate_it_signs(
        client: TestClient, service: IssuerService) -> None:
    """Issue 13 item 2: everything the badge signs is shown; a membership carries its CLN
    sector and its mandate (the signed activity dates)."""
    issued = _member(service, "secteur@example.org", name="Sacha Exemple", show_name=True)
    subject = issued.credential["credentialSubject"]
    assert subject["narrative"] == "Secteur Nord"
    page = html.unescape(_page(client, issued))
    assert "<dt>Secteur</dt>\n  <dd>Nord</dd>" in page
    start = datetime.fromisoformat(subject["activityStartDate"]).astimezone(CITY_TIMEZONE)
    assert "<dt>Mandat</dt>" in page and f"Du {start.day}" in page


# --- holder actions (issue 13 item 4) ---------------------------------------------------------

HOLDER_ONLY = ("https://www.linkedin.com/profile/add", 'class="share-list"', "/qr.svg",
               'id="share-title"', "/espace#badge-")


def test_a_stranger_sees_the_badge_and_its_verification_but_no_holder_action(
        client: TestClient, service: IssuerService, speaker: IssuedBadge) -> None:
    stranger = html.unescape(_page(client, speaker))
    assert "Badge authentique" in stranger and "Ce que ce badge veut dire" in stranger
    for marker in HOLDER_ONLY:
        assert marker not in stranger, marker
    assert f'href="/portefeuille/{speaker.credential_id}"' not in stranger
    # The door for a holder without a session: a link by e-mail to the badge's own address.
    assert f'action="/credentials/{speaker.credential_id}/portefeuille"' in stranger

    holder_client = _as_holder(TestClient(create_app(service.settings, service)), service,
                               speaker)
    holder = html.unescape(_page(holder_client, speaker))
    for marker in HOLDER_ONLY:
        assert marker in holder, marker
    assert f'href="/portefeuille/{speaker.credential_id}"' in holder
    assert "Votre nom n'apparaît pas sur ce badge." in holder
    # The stranger's page is still the shared one, without the holder's actions.
    assert "https://www.linkedin.com/profile/add" not in _page(client, speaker)


def test_share_buttons_show_each_networks_mark_and_name(
        client: TestClient, service: IssuerService, speaker: IssuedBadge) -> None:
    assert "share-mark" not in _page(client, speaker)  # a stranger: none
    holder_page = _page(_as_holder(client, service, speaker), speaker)
    tags = _tags(holder_page)
    links = re.findall(r'<a href="[^"]+" rel="noopener noreferrer" class="share-([a-z]+)">'
                       r'(<svg class="share-mark".*?</svg>)<span>(.*?)</span></a>', holder_page,
                       re.DOTALL)
    assert [network for network, _svg, _label in links] == [
        "linkedin", "facebook", "x", "bluesky", "mastodon", "whatsapp", "email"]
    for _network, svg, label in links:
        assert 'aria-hidden="true"' in svg and 'focusable="false"' in svg
        visible = re.sub(r'<span class="visually-hidden">.*?</span>', "", label)
        assert visible.strip()  # the network's name is written out, not only its mark
    assert tags.find("a", class_="button linkedin-add")


def test_an_event_badge_goes_to_linkedin_with_the_events_month(
        client: TestClient, service: IssuerService, speaker: IssuedBadge) -> None:
    tags = _tags(_page(_as_holder(client, service, speaker), speaker))
    [link] = [a["href"] for a in tags.find("a") if a.get("href", "").startswith(
        "https://www.linkedin.com/profile/add")]
    query = parse_qs(urlsplit(link).query)
    # Petit-déjeuner nº 7 was held on 11 October 2024, whatever day the badge was issued.
    assert (query["issueYear"], query["issueMonth"]) == (["2024"], ["10"])
    assert query["organizationName"] == ["Ville de Roubaix"]


def test_the_citys_linkedin_page_is_named_when_the_setting_is_given(
        tmp_path: Any, issuer_homes: IssuerHomes) -> None:
    settings = Settings.load(home=tmp_path, base_url=BASE_URL,
                             linkedin_organization_id="2414183")
    service = issuer_homes.service(settings)
    issued = _member(service, "linkedin@example.org", name="Alex Exemple", show_name=True)
    client = _as_holder(TestClient(create_app(settings, service)), service, issued)
    [link] = [a["href"] for a in _tags(_page(client, issued)).find("a") if a.get(
        "href", "").startswith("https://www.linkedin.com/profile/add")]
    query = parse_qs(urlsplit(link).query)
    assert query["organizationId"] == ["2414183"] and "organizationName" not in query


def test_a_revoked_badge_offers_its_holder_no_share_block(
        client: TestClient, service: IssuerService) -> None:
    issued = _member(service, "revoque-titulaire@example.org", name="Alex Exemple",
                     show_name=True)
    holder = _as_holder(client, service, issued)
    assert 'class="share-list"' in _page(holder, issued)
    service.revoke(issued.credential_id, "Erreur de saisie")
    after = _page(holder, issued)
    for marker in ("https://www.linkedin.com/profile/add", 'class="share-list"', "/qr.svg",
                   "share-mark", f'href="/portefeuille/{issued.credential_id}"'):
        assert marker not in after, marker
