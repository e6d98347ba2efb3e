"""Mon espace of a holder who is not a mediator, the name toggle, and the badge page as its
holder and as a stranger, in a real browser (issue 13 items 4, 5 and 6): on a 360 px phone and
a 1280 px laptop, in French and English, axe-core finds nothing and nothing scrolls sideways;
share buttons are 44 px targets on the phone."""

from __future__ import annotations

import re
from typing import Any

import pytest

from issuer.issuance.issue_requests import IssueRequest
from tests.plugins.browser import (
    LAPTOP_VIEWPORT,
    PHONE_VIEWPORT,
    LiveServer,
    axe_violations,
    describe_violations,
    new_context,
    overflowing_elements,
    sign_in_link_from_outbox,
)

pytestmark = pytest.mark.browser

TEXTS = {
    "fr": {"greeting": "Bonjour Léa Martin,", "hide": "Masquer mon nom",
           "hidden": "Votre nom n'apparaît plus sur ce badge.", "show": "Afficher mon nom"},
    "en": {"greeting": "Hello Léa Martin,", "hide": "Hide my name",
           "hidden": "Your name no longer appears on this badge.", "show": "Show my name"},
}
VIEWPORTS = {"phone": PHONE_VIEWPORT, "laptop": LAPTOP_VIEWPORT}


def _audit(page: Any, what: str, lang: str, width: int) -> None:
    violations = axe_violations(page)
    assert not violations, f"{what} ({lang}, {width} px):\n{describe_violations(violations)}"
    scroll = page.evaluate("document.scrollingElement.scrollWidth")
    assert scroll <= width, f"{what} scrolls sideways: {overflowing_elements(page)}"
    assert page.locator("html").get_attribute("lang") == lang


@pytest.mark.parametrize("size", list(VIEWPORTS))
@pytest.mark.parametrize("lang", ["fr", "en"])
def test_a_holders_space_name_toggle_and_badge_page(browser: Any, live_server: LiveServer,
                                                    lang: str, size: str) -> None:
    service, viewport = live_server.service, VIEWPORTS[size]
    width, words = viewport["width"], TEXTS[lang]
    address = f"lea.{lang}.{size}@example.org"
    old = service.issue(IssueRequest("petit-dejeuner-inclusion-numerique", address,
                                     "Léa Martin", event_number=8, role="participant",
                                     show_name=True), actor="tests").credential_id
    holder_context = new_context(browser, viewport)
    stranger_context = new_context(browser, viewport)
    try:
        page = holder_context.new_page()
        page.goto(live_server.url("/espace", lang=lang))
        _audit(page, "sign-in form", lang, width)
        page.fill("#space-email", address)
        with page.expect_navigation(url="**/espace?fait=link-sent"):
            page.locator("form[action='/espace/connexion'] button").click()
        page.goto(sign_in_link_from_outbox(service, address))
        with page.expect_navigation(url=live_server.url("/espace")):
            page.locator("main form button").click()

        # Mon espace of a resident who is not a mediator: greeting, badges, no skills part.
        assert words["greeting"] in page.locator(".space-greeting").inner_text()
        assert page.locator("#competences").count() == 0
        line = page.locator(f"#badge-{old}")
        assert line.locator(f"a[href='/credentials/{old}']").count() == 1
        _audit(page, "my space", lang, width)

        # The name toggle: the badge is issued again without the name.
        with page.expect_navigation(url="**/espace?fait=name-hidden*"):
            line.get_by_role("button", name=re.compile(words["hide"])).click()
        assert words["hidden"] in page.locator("[role=status]").first.inner_text()
        successor = page.locator(".space-badge-changed")
        assert successor.get_by_role("button", name=re.compile(words["show"])).count() == 1
        new_id = (successor.get_attribute("id") or "").removeprefix("badge-")
        assert new_id and new_id != old
        _audit(page, "my space after hiding the name", lang, width)

        # The badge page as its holder: LinkedIn, share buttons with marks, the name choice.
        page.goto(live_server.url(f"/credentials/{new_id}"))
        assert page.locator("a.linkedin-add").count() == 1
        buttons = page.locator(".share-list a")
        assert buttons.count() == 7
        for index in range(buttons.count()):
            box = buttons.nth(index).bounding_box()
            assert box is not None and box["height"] >= 44 and box["width"] >= 44
            assert buttons.nth(index).locator("svg.share-mark").count() == 1
        assert page.locator("a[href^='/espace#badge-']").count() == 1
        _audit(page, "badge page, holder", lang, width)

        # The same page for a stranger: the badge and its verification, no holder action.
        stranger = stranger_context.new_page()
        stranger.goto(live_server.url(f"/credentials/{new_id}", lang=lang))
        assert stranger.locator(".verdict.valid").count() == 1
        for selector in (".share-list", "a.linkedin-add", "img.qr", "a[href^='/espace#badge-']",
                         f"a[href='/portefeuille/{new_id}']"):
            assert stranger.locator(selector).count() == 0, selector
        _audit(stranger, "badge page, stranger", lang, width)
    finally:
        holder_context.close()
        stranger_context.close()
