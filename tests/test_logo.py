"""The City's logo (ISSUER_LOGO_FILE, issuer.issuance.logo; issue 13 item 14): a setting checked
at start with a clear refusal, the demo's neutral mark by default, and the logo where the City's
identity shows: page header, favicon, the issuer Profile's `image` (OB 3.0 §B.1.18, an Image
object, schema-valid), the PDF attestation, the preview image, the OID4VCI display; the home
page's Open Graph and Twitter card tags, with absolute addresses."""

from __future__ import annotations

import io
import json
import re
from html.parser import HTMLParser
from importlib import resources
from pathlib import Path

import pytest
from click.testing import CliRunner
from fastapi.testclient import TestClient
from jsonschema import Draft201909Validator
from PIL import Image

from issuer.cli.main import main as cli_main
from issuer.errors import InvalidInput
from issuer.issuance.issue_requests import IssuedBadge, IssueRequest
from issuer.issuance.logo import DEMO_LOGO_FILE, FAVICON_MEDIA_TYPE, load_logo
from issuer.issuance.own_verification import verify_own
from issuer.issuance.service import IssuerService
from issuer.openbadges.schema import schema_errors
from issuer.presentation.preview import render_preview
from issuer.settings import Settings
from issuer.web import create_app
from tests.plugins.factory import ServiceFactory

BASE_URL = "https://badges.roubaix.example"
RED = (192, 57, 43)


def red_png(path: Path, size: tuple[int, int] = (97, 41)) -> Path:
    Image.new("RGB", size, RED).save(path)
    return path


def refusal(path: Path) -> InvalidInput:
    with pytest.raises(InvalidInput) as refused:
        load_logo(path)
    assert refused.value.code == "settings.bad_logo"
    assert str(path.name) in refused.value.message_fr
    assert refused.value.message_fr.startswith("ISSUER_LOGO_FILE : logo inutilisable")
    return refused.value


# --- the setting and its checks ----------------------------------------------------------------

def test_without_the_setting_the_demo_neutral_mark_is_used() -> None:
    logo = load_logo(None)
    assert logo.source == DEMO_LOGO_FILE
    assert logo.svg is not None and b"<title" in logo.svg
    assert (logo.width, logo.height) == (256, 256)
    assert logo.page_path == "/logo.svg"


def test_a_png_logo_is_read_with_its_size(tmp_path: Path) -> None:
    logo = load_logo(red_png(tmp_path / "ville.png"))
    assert (logo.svg, logo.width, logo.height, logo.page_path) == (None, 97, 41, "/logo.png")
    assert logo.height_for_width(48) == 20


def test_an_svg_logo_needs_its_png_beside_it(tmp_path: Path) -> None:
    svg = tmp_path / "ville.svg"
    svg.write_bytes(DEMO_LOGO_FILE.read_bytes())
    assert "ville.png" in refusal(svg).message_fr
    red_png(tmp_path / "ville.png")
    assert load_logo(svg).svg == DEMO_LOGO_FILE.read_bytes()


@pytest.mark.parametrize(("name", "content", "rule"), [
    ("absent.png", None, "introuvable"),
    ("logo.jpg", b"\xff\xd8\xff", ".svg"),
    ("texte.png", b"pas une image", "PNG lisible"),
    ("grand.png", b"x" * (300 * 1024), "Kio"),
    ("script.svg", (b'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 1 1">'
                   b"<script>alert(1)</script></svg>"), "<script>"),
    ("clic.svg", b'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 1 1" onload="x()"/>',
     "onload"),
    ("distant.svg", (b'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 1 1">'
                    b'<image href="https://tracker.example/x.png"/></svg>'), "extérieure"),
    ("entites.svg", (b'<!DOCTYPE svg [<!ENTITY a "aaaa">]><svg xmlns="http://www.w3.org/2000/svg"'
                    b' viewBox="0 0 1 1">&a;</svg>'), "entités"),
    ("html.svg", b"<html/>", "<svg>"),
    ("fixe.svg", b'<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"/>', "viewBox"),
])
def test_a_bad_logo_file_is_refused_with_the_rule_in_french(
        tmp_path: Path, name: str, content: bytes | None, rule: str) -> None:
    path = tmp_path / name
    if content is not None:
        path.write_bytes(content)
    if path.suffix == ".svg":
        red_png(path.with_suffix(".png"))
    assert rule in refusal(path).message_fr


@pytest.mark.parametrize("size", [(16, 16), (3000, 200)])
def test_a_logo_too_small_or_too_large_in_pixels_is_refused(tmp_path: Path,
                                                            size: tuple[int, int]) -> None:
    assert "pixels" in refusal(red_png(tmp_path / "ville.png", size)).message_fr


def test_a_relative_logo_path_is_read_from_the_issuer_home(tmp_path: Path) -> None:
    red_png(tmp_path / "ville.png")
    settings = Settings(home=tmp_path, base_url=BASE_URL, logo_file=Path("ville.png"))
    assert settings.logo_path == tmp_path / "ville.png"
    assert IssuerService(settings).logo.width == 97


def test_the_service_refuses_to_start_with_a_bad_logo(tmp_path: Path) -> None:
    settings = Settings(home=tmp_path, base_url=BASE_URL, logo_file=tmp_path / "absent.svg")
    with pytest.raises(InvalidInput, match="ISSUER_LOGO_FILE"):
        IssuerService(settings)


def test_the_command_line_names_the_bad_logo_without_a_traceback(tmp_path: Path) -> None:
    (tmp_path / "logo.svg").write_text("<svg")
    result = CliRunner().invoke(cli_main, ["publish", "--out", str(tmp_path / "site")],
                                catch_exceptions=False, env={
        "ISSUER_HOME": str(tmp_path), "ISSUER_LOGO_FILE": str(tmp_path / "logo.svg"),
        "ISSUER_LANG": "fr"})
    assert result.exit_code != 0
    assert "settings.bad_logo" in result.stderr and "ISSUER_LOGO_FILE" in result.stderr
    assert "Traceback" not in result.stderr


# --- where the logo shows ----------------------------------------------------------------------

@pytest.fixture(scope="module")
def city(tmp_path_factory: pytest.TempPathFactory) -> tuple[IssuerService, IssuedBadge]:
    home = tmp_path_factory.mktemp("logo-home")
    service = IssuerService(Settings(home=home, base_url=BASE_URL,
                                     logo_file=red_png(home / "ville.png")))
    service.init()
    issued = service.issue(IssueRequest("petit-dejeuner-inclusion-numerique", "a@example.org",
                                        "Camille Martin", event_number=7), actor="tests")
    return service, issued


@pytest.fixture
def client(city: tuple[IssuerService, IssuedBadge]) -> TestClient:
    return TestClient(create_app(city[0].settings, city[0]))


class Head(HTMLParser):
    def __init__(self, markup: str) -> None:
        super().__init__()
        self.meta: dict[str, str] = {}
        self.icons: list[tuple[str, str]] = []
        self.images: list[str] = []
        self.feed(markup)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {key: value or "" for key, value in attrs}
        if tag == "meta" and (key := values.get("property") or values.get("name")):
            self.meta.setdefault(key, values.get("content", ""))
        if tag == "link" and values.get("rel") == "icon":
            self.icons.append((values["href"], values.get("type", "")))
        if tag == "img":
            self.images.append(values.get("src", ""))


def test_logo_and_favicon_are_served_with_their_media_types(client: TestClient) -> None:
    png = client.get("/logo.png")
    assert (png.status_code, png.headers["content-type"]) == (200, "image/png")
    assert Image.open(io.BytesIO(png.content)).getpixel((5, 5)) == RED
    assert client.get("/logo.svg").status_code == 404  # this City gave a PNG only
    icon = client.get("/favicon.ico")
    assert (icon.status_code, icon.headers["content-type"]) == (200, FAVICON_MEDIA_TYPE)
    with Image.open(io.BytesIO(icon.content)) as ico:
        assert ico.format == "ICO" and (48, 48) in ico.info["sizes"]


def test_the_demo_mark_is_served_as_svg_and_png(tmp_path: Path,
                                                service_factory: ServiceFactory) -> None:
    service = service_factory(Settings.load(home=tmp_path, base_url=BASE_URL))
    demo = TestClient(create_app(service.settings, service))
    svg = demo.get("/logo.svg")
    assert (svg.status_code, svg.headers["content-type"]) == (200, "image/svg+xml")
    assert svg.content == DEMO_LOGO_FILE.read_bytes()
    page = Head(demo.get("/").text)
    assert ("/logo.svg", "image/svg+xml") in page.icons and ("/logo.png", "image/png") in page.icons
    assert "/logo.svg" in page.images


def test_every_page_header_shows_the_logo_and_names_the_icons(client: TestClient) -> None:
    for path in ("/", "/verifier", "/competences", "/issuer"):
        page = Head(client.get(path, headers={"accept": "text/html"}).text)
        assert "/logo.png" in page.images, path
        assert ("/logo.png", "image/png") in page.icons, path


def test_home_page_open_graph_tags_are_absolute_and_name_both_languages(
        client: TestClient) -> None:
    french = Head(client.get("/").text).meta
    assert french["og:url"] == f"{BASE_URL}/"
    assert french["og:image"] == f"{BASE_URL}/logo.png"
    assert (french["og:image:width"], french["og:image:height"]) == ("97", "41")
    assert (french["og:locale"], french["og:locale:alternate"]) == ("fr_FR", "en_GB")
    assert french["og:title"] and french["og:description"]
    assert french["twitter:card"] == "summary"
    english = Head(client.get("/?lang=en").text).meta
    assert (english["og:locale"], english["og:locale:alternate"]) == ("en_GB", "fr_FR")
    # The image the networks fetch is the one served.
    assert client.get(french["og:image"].removeprefix(BASE_URL)).status_code == 200


def _profile_validator() -> Draft201909Validator:
    text = (resources.files("issuer.openbadges.schemas")
            / "ob_v3p0_achievementcredential_schema.json").read_text("utf-8")
    schema = json.loads(text)
    return Draft201909Validator({"$defs": schema["$defs"], "$ref": "#/$defs/Profile"})


def test_the_issuer_profile_image_is_the_logo_and_schema_valid(
        city: tuple[IssuerService, IssuedBadge], client: TestClient) -> None:
    service, issued = city
    image = {"id": f"{BASE_URL}/logo.png", "type": "Image", "caption": "Ville de Roubaix"}
    assert issued.credential["issuer"]["image"] == image
    assert schema_errors(issued.credential) == []
    profile = client.get("/issuer", headers={"accept": "application/ld+json"}).json()
    assert profile["image"] == image
    assert not list(_profile_validator().iter_errors(profile))
    # The credential verifies with its Profile image, by our own verifier.
    report, _status = verify_own(service, "badge", issued.credential_id, issued.credential_json)
    assert report.verdict == "valid", report


def test_a_profile_image_setting_still_wins(tmp_path: Path,
                                           service_factory: ServiceFactory) -> None:
    service = service_factory(Settings.load(home=tmp_path, base_url=BASE_URL,
                                            profile_image_url="https://www.ville-roubaix.fr/l.png"))
    assert service.profile.to_json()["image"]["id"] == "https://www.ville-roubaix.fr/l.png"


def test_the_wallet_display_names_the_logo(client: TestClient) -> None:
    metadata = client.get("/.well-known/openid-credential-issuer").json()
    assert [entry["logo"]["uri"] for entry in metadata["display"]] == [f"{BASE_URL}/logo.png"] * 2


def _red_pixels(image: Image.Image, box: tuple[int, int, int, int]) -> int:
    area = image.convert("RGB").crop(box)
    return sum(count for count, colour in area.getcolors(maxcolors=1_000_000) or []
               if colour == RED)


def test_the_preview_image_shows_the_logo_beside_the_issuer(
        city: tuple[IssuerService, IssuedBadge], client: TestClient) -> None:
    service, issued = city
    response = client.get(f"/credentials/{issued.credential_id}/preview.png")
    with Image.open(io.BytesIO(response.content)) as preview:
        text_column = (590, 0, 1200, 612)
        assert _red_pixels(preview, text_column) > 1000
    artwork = service.badge_png(service.catalogue.badge("petit-dejeuner-inclusion-numerique"))
    without = render_preview(artwork, "Petit-déjeuner", "Ville de Roubaix", "Badge")
    with Image.open(io.BytesIO(without)) as plain:
        assert _red_pixels(plain, text_column) == 0


def test_the_attestation_pdf_carries_the_logo(city: tuple[IssuerService, IssuedBadge],
                                              client: TestClient) -> None:
    _service, issued = city
    pdf = client.get(f"/credentials/{issued.credential_id}/attestation.pdf").content
    assert pdf.startswith(b"%PDF")
    # The 97×41 PNG is drawn as an image of its own size (WeasyPrint keeps its pixels).
    sizes = set(re.findall(rb"/Width (\d+)\s*/Height (\d+)", pdf)) | {
        (w, h) for h, w in re.findall(rb"/Height (\d+)\s*/Width (\d+)", pdf)}
    assert (b"97", b"41") in sizes, sizes
