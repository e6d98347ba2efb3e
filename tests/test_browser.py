"""Every public page in a real browser (headless Chromium), on a 360 px wide phone, in French
and in English (issue #3, "Done means"):

- axe-core finds no WCAG 2.1 A/AA violation (RGAA 4.1 is based on WCAG 2.1 AA);
- nothing scrolls sideways, the skip link is the first Tab stop and moves focus to the content,
  and every link and control can be reached with the keyboard;
- the employer flow: the LinkedIn "add to profile" link carries the badge's facts, the baked PNG
  downloaded from the credential page is accepted as authentic by the verifier.

The README's screenshots are taken by tests/test_screenshots.py (`UPDATE_SCREENSHOTS=1`).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit
from zoneinfo import ZoneInfo

import pytest

from issuer.openbadges.baking import extract_baked_credential
from tests.plugins.browser import (
    PHONE_VIEWPORT,
    LiveServer,
    assert_works_with_the_keyboard,
    axe_violations,
    become_holder,
    describe_violations,
    overflowing_elements,
)

pytestmark = pytest.mark.browser

CITY_TIMEZONE = ZoneInfo("Europe/Paris")
FAMILIES = ("membership", "event", "skill")


@dataclass(frozen=True)
class PublicPage:
    """A page a visitor can reach, and how to get there."""

    name: str
    path: Callable[[LiveServer], str]
    status: int = 200
    submit_credential: bool = False   # the verifier's result: paste a credential and submit
    default_lang: str = "fr"          # /verify is the English address of the verifier
    tamper: bool = False              # change the badge's name after signing before pasting it
    holder_email: str | None = None   # then answer "Is this badge theirs?" with this address
    holder_matches: bool = False      # ...expecting "yes" (else "no")


def _fixed(path: str) -> Callable[[LiveServer], str]:
    return lambda server: path


def _credential_page(family: str) -> Callable[[LiveServer], str]:
    return lambda server: f"/credentials/{server.credentials[family].credential_id}"


PAGES = [
    PublicPage("home", _fixed("/")),
    PublicPage("accessibility", _fixed("/accessibilite")),
    PublicPage("privacy", _fixed("/donnees-personnelles")),
    PublicPage("achievement-cln", _fixed("/achievements/membre-cln")),
    PublicPage("achievement-breakfast-7",
               _fixed("/achievements/petit-dejeuner-inclusion-numerique/7")),
    PublicPage("not-found", _fixed("/cette-page-n-existe-pas"), status=404),
    *(PublicPage(f"credential-{family}", _credential_page(family)) for family in FAMILIES),
    PublicPage("verifier", _fixed("/verifier")),
    PublicPage("verify", _fixed("/verify"), default_lang="en"),
    PublicPage("verifier-result", _fixed("/verifier"), submit_credential=True),
    # What was verified and "Is this badge theirs?" (issue #9 items 7, 8).
    PublicPage("verifier-tampered", _fixed("/verifier"), submit_credential=True, tamper=True),
    PublicPage("verifier-holder", _fixed("/verifier"), submit_credential=True,
               holder_email=" Camille.Exemple@example.org", holder_matches=True),
    PublicPage("credential-holder", _credential_page("membership"),
               holder_email="quelquun@example.org"),
    PublicPage("api-docs", _fixed("/api/docs")),
]
LANGUAGES = ("fr", "en")


def _with_lang(path: str, lang: str, default_lang: str) -> str:
    if lang == default_lang:
        return path       # no switch: the page's own language (French for a French browser)
    return path + ("&" if "?" in path else "?") + f"lang={lang}"


def open_public_page(page: Any, server: LiveServer, spec: PublicPage, lang: str) -> None:
    """Navigate to the page as a visitor would (a browser asks for HTML first)."""
    response = page.goto(server.base_url + _with_lang(spec.path(server), lang, spec.default_lang))
    assert response is not None and response.status == spec.status, (
        f"{spec.name}: HTTP {response and response.status}")
    if spec.submit_credential:
        credential = server.credentials["membership"].credential_json
        if spec.tamper:
            document = json.loads(credential)
            document["credentialSubject"]["achievement"]["name"] = "Diplôme d'ingénieur"
            credential = json.dumps(document, ensure_ascii=False)
        form = page.locator("form", has=page.locator("textarea")).first
        form.locator("textarea").first.fill(credential)
        with page.expect_navigation():
            form.locator("button[type=submit], button:not([type]), input[type=submit]").first.click()
        verdict = "invalid" if spec.tamper else "valid"
        assert page.locator(f"#resultat .verdict.{verdict}").count() == 1, "no verdict on the page"
        claims = "details.claims.unverified" if spec.tamper else "section.claims.verified"
        assert page.locator(claims).count() == 1, "the claims are not shown as they should be"
    if spec.holder_email is not None:
        form = page.locator("#titulaire form")
        form.locator("input[type=email]").fill(spec.holder_email)
        with page.expect_navigation():
            form.locator("button[type=submit]").click()
        answer = page.locator("#holder-answer").inner_text()
        expected = {("fr", True): "Oui, ce badge a été délivré à cette adresse.",
                    ("fr", False): "Non, ce badge n'a pas été délivré à cette adresse.",
                    ("en", True): "Yes, this badge was issued to this address.",
                    ("en", False): "No, this badge was not issued to this address."}
        assert answer == expected[lang, spec.holder_matches], answer
    assert page.locator("html").get_attribute("lang") == lang


@pytest.mark.parametrize("lang", LANGUAGES)
@pytest.mark.parametrize("spec", PAGES, ids=[p.name for p in PAGES])
def test_public_page_has_no_wcag_21_aa_violation(audited_phone_page: Any, live_server: LiveServer,
                                                 spec: PublicPage, lang: str) -> None:
    page = audited_phone_page
    open_public_page(page, live_server, spec, lang)
    violations = axe_violations(page)
    assert not violations, f"axe-core on {page.url} ({lang}):\n{describe_violations(violations)}"


@pytest.mark.parametrize("lang", LANGUAGES)
@pytest.mark.parametrize("spec", PAGES, ids=[p.name for p in PAGES])
def test_public_page_fits_a_phone_and_works_with_the_keyboard(
        phone_page: Any, live_server: LiveServer, spec: PublicPage, lang: str) -> None:
    open_public_page(phone_page, live_server, spec, lang)
    page = phone_page

    scroll_width = page.evaluate("() => document.scrollingElement.scrollWidth")
    assert scroll_width <= PHONE_VIEWPORT["width"], (
        f"{page.url} scrolls sideways at 360 px: {scroll_width} px wide; widest elements: "
        f"{overflowing_elements(page)}")

    # WCAG 2.4.1 / 2.4.3 / 2.1.1: skip link first, Tab reaches every control.
    assert_works_with_the_keyboard(page)


# -- the employer flow ---------------------------------------------------------------------------
def _month_year(timestamp: str) -> tuple[str, str]:
    moment = datetime.fromisoformat(timestamp).astimezone(CITY_TIMEZONE)
    return str(moment.month), str(moment.year)


def test_linkedin_link_and_downloaded_badge_image_pass_the_employer_check(
        phone_page: Any, live_server: LiveServer, tmp_path: Path) -> None:
    page = phone_page
    issued = live_server.credentials["membership"]
    credential = issued.credential
    become_holder(page, live_server, issued.credential_id)  # holder actions: the holder's only
    page.goto(issued.url)

    # LinkedIn's "add a certification" form, pre-filled from the link.
    href = page.locator('a[href*="linkedin.com/profile/add"]').first.get_attribute("href")
    query = {key: values[-1] for key, values in parse_qs(urlsplit(href).query).items()}
    # The month the mandate started (its first day is signed as activityStartDate).
    issue_month, issue_year = _month_year(credential["credentialSubject"]["activityStartDate"])
    expiry_month, expiry_year = _month_year(credential["validUntil"])
    assert query["name"] == credential["name"]
    assert query["organizationName"] == "Ville de Roubaix"
    assert (query["issueMonth"], query["issueYear"]) == (issue_month, issue_year) == ("6", "2025")
    assert (query["expirationMonth"], query["expirationYear"]) == (expiry_month, expiry_year) \
        == ("6", "2027")
    assert query["certUrl"] == page.url == issued.url
    assert query["certId"] == issued.credential_id

    # The holder downloads the image with the badge inside...
    with page.expect_download() as download_info:
        page.locator('a[href$="/badge.png"]').first.click()
    download = download_info.value
    image = tmp_path / (download.suggested_filename or "badge.png")
    download.save_as(image)
    baked = extract_baked_credential(image.read_bytes())
    assert json.loads(baked.payload)["id"] == credential["id"]

    # ...and an employer uploads it to the verifier.
    page.goto(live_server.url("/verifier"))
    file_input = page.locator("input[type=file]").first
    file_input.set_input_files(image)
    form = page.locator("form", has=file_input)
    with page.expect_navigation():
        form.locator("button[type=submit], button:not([type]), input[type=submit]").first.click()
    verdict = page.locator("#resultat .verdict")
    assert "valid" in (verdict.get_attribute("class") or "").split()
    assert ("Badge authentique, délivré par la Ville de Roubaix le 13 juin 2025, valide "
            "jusqu'au 12 juin 2027.") in " ".join(verdict.inner_text().split())
