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

from tests.plugins.browser import MEMBER_NAME, LiveServer, create_live_account

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
        page.goto(live_server.credentials["membership"].url)
        assert page.get_by_text(MEMBER_NAME).first.is_visible()
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
