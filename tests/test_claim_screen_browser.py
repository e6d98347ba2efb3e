"""The claim QR code on a projector (issue 13 item 9), in headless Chromium against the live
server: a page of its own (no workspace header or menu) where the QR code takes the screen's
height at 1280×720 and 1920×1080, the short code and the window's end in large type, nothing
scrolls; axe-core clean, in French and in English. Also the short-code page on a phone, and the
"All the requests" checkbox ticking every request when script runs."""

from __future__ import annotations

import re
from typing import Any

import pytest

from issuer.workspace import claims
from tests.plugins.browser import (
    PHONE_VIEWPORT,
    Account,
    LiveServer,
    PageAudit,
    create_live_account,
    new_context,
)

pytestmark = pytest.mark.browser

EVENT = "/admin/evenements/petit-dejeuner-inclusion-numerique/4"
SCREENS = [{"width": 1280, "height": 720}, {"width": 1920, "height": 1080}]
WORDS = {"fr": {"sign_in": "Se connecter", "open": "Ouvrir les demandes", "until": "Ouvert jusqu'à",
                "all": "Toutes les demandes (3)", "continue": "Continuer"},
         "en": {"sign_in": "Sign in", "open": "Open the requests", "until": "Open until",
                "all": "All the requests (3)", "continue": "Continue"}}


@pytest.fixture(scope="module")
def coordinator(live_server: LiveServer) -> Account:
    return create_live_account(live_server, "coordinator")


@pytest.fixture(scope="module")
def claim_path(browser: Any, live_server: LiveServer, coordinator: Account) -> str:
    """Open the edition's request window once, through the event page."""
    context = new_context(browser, {"width": 1280, "height": 800})
    try:
        page = sign_in(context, live_server, coordinator, "fr")
        page.goto(live_server.url(EVENT))
        with page.expect_navigation():
            page.get_by_role("button", name=WORDS["fr"]["open"]).click()
        url = page.locator("code.claim-url").first.inner_text()
    finally:
        context.close()
    return url.removeprefix(live_server.base_url)


def sign_in(context: Any, server: LiveServer, account: Account, lang: str) -> Any:
    page = context.new_page()
    page.goto(server.url("/admin/connexion", **({"lang": "en"} if lang == "en" else {})))
    page.locator("#email").fill(account.email)
    page.locator("#password").fill(account.password)
    with page.expect_navigation():
        page.get_by_role("button", name=WORDS[lang]["sign_in"]).click()
    return page


@pytest.mark.parametrize("lang", ["fr", "en"])
@pytest.mark.parametrize("screen", SCREENS, ids=lambda s: f"{s['width']}x{s['height']}")
def test_the_projection_page_fills_the_screen(browser: Any, live_server: LiveServer,
                                              coordinator: Account, claim_path: str,
                                              screen: dict[str, int], lang: str) -> None:
    context = new_context(browser, screen)
    audit = PageAudit(lang, screen["width"])
    try:
        page = sign_in(context, live_server, coordinator, lang)
        page.goto(live_server.url(f"{EVENT}/ecran"))
        audit.check(page, f"claim-screen-{lang}-{screen['width']}")
        assert page.locator("nav").count() == 0  # no workspace menu, no site menu
        assert page.locator("header").count() == 0
        qr = page.locator("img.projection-qr").bounding_box()
        assert qr["height"] >= 0.9 * screen["height"], qr
        assert qr["y"] >= 0 and qr["y"] + qr["height"] <= screen["height"] + 1, qr
        assert qr["x"] + qr["width"] <= screen["width"] + 1, qr
        assert page.evaluate("() => document.scrollingElement.scrollHeight") <= screen["height"]
        code = claims.short_code(claim_path.rsplit("/", 1)[-1])
        shown = page.locator(".projection-code")
        assert re.sub(r"\W", "", shown.inner_text()) == code
        assert page.get_by_text(WORDS[lang]["until"], exact=True).is_visible()
        end = page.locator(".projection-end time")
        assert re.fullmatch(r"\d\d:\d\d", end.inner_text().strip())
        for element in (shown, end):
            size = float(element.evaluate("e => getComputedStyle(e).fontSize").removesuffix("px"))
            assert size >= 0.09 * screen["height"], size  # readable from the back of the room
            box = element.bounding_box()
            assert box["y"] + box["height"] <= screen["height"] + 1
            assert box["x"] + box["width"] <= screen["width"] + 1
    finally:
        context.close()
    assert not audit.findings, "\n".join(audit.findings)


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_the_short_code_typed_on_a_phone_leads_to_the_request_form(
        browser: Any, live_server: LiveServer, claim_path: str, lang: str) -> None:
    context = new_context(browser, PHONE_VIEWPORT)
    audit = PageAudit(lang, PHONE_VIEWPORT["width"])
    try:
        page = context.new_page()
        page.goto(live_server.url("/reclamer", **({"lang": "en"} if lang == "en" else {})))
        audit.check(page, f"claim-code-{lang}")
        code = claims.short_code(claim_path.rsplit("/", 1)[-1])
        page.locator("#code").fill(f"{code[:3].lower()} {code[3:]}")
        with page.expect_navigation():
            page.get_by_role("button", name=WORDS[lang]["continue"]).click()
        assert page.url == live_server.url(claim_path)
        audit.check(page, f"claim-from-code-{lang}")
    finally:
        context.close()
    assert not audit.findings, "\n".join(audit.findings)


def test_all_the_requests_ticks_every_request_on_a_phone(browser: Any, live_server: LiveServer,
                                                         coordinator: Account,
                                                         claim_path: str) -> None:
    attendee = new_context(browser, PHONE_VIEWPORT)
    try:
        phone = attendee.new_page()
        for n in range(3):
            phone.goto(live_server.url(claim_path))
            phone.locator("#claim-name").fill(f"Tout {n} Essai")
            phone.locator("#claim-email").fill(f"screen-all-{n}@example.org")
            with phone.expect_navigation():
                phone.locator("form button[type=submit]").click()
    finally:
        attendee.close()
    context = new_context(browser, PHONE_VIEWPORT)
    audit = PageAudit("fr", PHONE_VIEWPORT["width"])
    try:
        page = sign_in(context, live_server, coordinator, "fr")
        page.goto(live_server.url(EVENT))
        waiting = page.locator("#demandes-en-attente")
        assert waiting.bounding_box()["y"] < page.locator("#delivrer").bounding_box()["y"]
        page.get_by_label(WORDS["fr"]["all"]).check()
        boxes = page.locator("input[name=demande]")
        assert boxes.count() == 3
        assert all(boxes.nth(i).is_checked() for i in range(3))
        boxes.nth(0).uncheck()
        assert not page.get_by_label(WORDS["fr"]["all"]).is_checked()
        audit.check(page, "event-pending-phone")
    finally:
        context.close()
    assert not audit.findings, "\n".join(audit.findings)
