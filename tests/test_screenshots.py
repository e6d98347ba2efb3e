"""The README's screenshots, taken from the live server in headless Chromium. Opt-in:
`UPDATE_SCREENSHOTS=1 pytest tests/test_screenshots.py` rewrites the files under
docs/screenshots/ (and docs/screenshot-credential.png); otherwise every test here is skipped.

Each shot asserts what it shows first (a heading, a name), so a page that broke is never
photographed as if it worked. 1× pixels: a third of the file size of 2×, sharp enough."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from tests.plugins.browser import MEMBER_NAME, LiveServer, become_holder, create_live_account

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(os.environ.get("UPDATE_SCREENSHOTS") != "1",
                       reason="rewrites the README's screenshots only when UPDATE_SCREENSHOTS=1"),
]

DOCS = Path(__file__).resolve().parent.parent / "docs"
SHOTS = DOCS / "screenshots"
PHONE = {"width": 390, "height": 844}
LAPTOP = {"width": 1280, "height": 800}


def _context(browser: Any, viewport: dict[str, int]) -> Any:
    context = browser.new_context(viewport=viewport, locale="fr-FR", device_scale_factor=1)
    context.set_default_timeout(10_000)
    return context


def _shoot(page: Any, name: str, *, full_page: bool = True) -> None:
    SHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=full_page)


def test_the_badge_page_on_a_phone(browser: Any, live_server: LiveServer) -> None:
    context = _context(browser, PHONE)
    try:
        page = context.new_page()
        issued = live_server.credentials["membership"]
        # As its holder sees it (from the e-mail's link): the share block is theirs alone.
        become_holder(page, live_server, issued.credential_id)
        page.goto(issued.url)
        assert page.get_by_text(MEMBER_NAME).first.is_visible()
        assert page.locator('a[href*="linkedin.com/profile/add"]').count() == 1
        page.screenshot(path=str(DOCS / "screenshot-credential.png"), full_page=True)
    finally:
        context.close()


def test_the_home_page_on_a_phone(browser: Any, live_server: LiveServer) -> None:
    context = _context(browser, PHONE)
    try:
        page = context.new_page()
        page.goto(live_server.url("/"))
        assert page.get_by_role("heading", level=1).is_visible()
        _shoot(page, "home-phone")
    finally:
        context.close()


def test_the_coordinator_dashboard_on_a_laptop(browser: Any, live_server: LiveServer) -> None:
    account = create_live_account(live_server, "coordinator")
    context = _context(browser, LAPTOP)
    try:
        page = context.new_page()
        page.goto(live_server.url("/admin/connexion"))
        page.locator("#email").fill(account.email)
        page.locator("#password").fill(account.password)
        with page.expect_navigation():
            page.get_by_role("button", name="Se connecter").click()
        assert page.get_by_role("heading", level=1).inner_text() == "Tableau de bord"
        assert page.locator("svg[role=img]").count() >= 1
        _shoot(page, "dashboard-laptop")
    finally:
        context.close()


def test_the_badge_email_on_a_phone(browser: Any, live_server: LiveServer) -> None:
    from issuer.mail.compose import compose_badge_email
    from issuer.storage.models import IssuedCredential
    from tests.test_mail_browser import html_as_a_mail_client_shows_it

    service = live_server.service
    issued = live_server.credentials["event"]
    with service.database.session(read_only=True) as session:
        row = session.get(IssuedCredential, issued.credential_id)
        assert row is not None
        message = compose_badge_email(service.settings, service.catalogue, row,
                                      to="dominique.essai@example.org",
                                      wallet_url=f"{service.settings.base_url}/portefeuille/lien/x",
                                      wallet_days=30)
    context = _context(browser, {"width": 360, "height": 740})
    try:
        page = context.new_page()
        page.set_content(html_as_a_mail_client_shows_it(message))
        assert page.get_by_text("Voir mon badge").first.is_visible()
        page.screenshot(path=str(DOCS / "screenshot-email.png"), full_page=True)
    finally:
        context.close()


def test_mon_espace_on_a_phone(browser: Any, live_server: LiveServer) -> None:
    from tests.test_holder_space_browser import _sign_in_link

    address = "dominique.essai@example.org"   # the live server's event badge (demo_requests)
    context = _context(browser, PHONE)
    try:
        page = context.new_page()
        page.goto(live_server.url("/espace"))
        page.fill("#space-email", address)
        with page.expect_navigation(url="**/espace?fait=link-sent"):
            page.locator("form[action='/espace/connexion'] button").click()
        page.goto(_sign_in_link(live_server.service, address))
        with page.expect_navigation(url=live_server.url("/espace")):
            page.locator("main form button").click()
        assert "Dominique Essai" in page.locator("main").inner_text()
        _shoot(page, "mon-espace-phone")
    finally:
        context.close()
