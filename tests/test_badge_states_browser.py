"""A badge page as a visitor sees it in each state that changes what it offers (issue 13,
items 2 and 3, "Done means"): a revoked badge offers nothing to share and nothing to download
but its JSON; a skill badge shows the evidence it signs. In Chromium at 360 px and 1280 px, in
French and in English, axe-core clean, nothing scrolling sideways."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from issuer.issuance.issue_requests import IssueRequest
from issuer.network.skill_badges import SkillEvidence, evidence_entries
from issuer.workspace.recipients import revoke_credential
from tests.plugins.browser import (
    LAPTOP_VIEWPORT,
    PHONE_VIEWPORT,
    LiveServer,
    axe_violations,
    describe_violations,
    new_context,
    overflowing_elements,
)

pytestmark = pytest.mark.browser

NARRATIVE = "A animé trois ateliers « premiers pas sur le smartphone » à la médiathèque."
EVIDENCE_LINK = "https://mediatheque.example.org/ateliers-smartphone"
REVOCATION_REASON = "Inscription en double"
SHARING_ADDRESSES = ("linkedin.com", "facebook.com", "twitter.com", "x.com/", "bsky.app",
                     "mastodon", "wa.me", "whatsapp", "mailto:")


@pytest.fixture(scope="module")
def badges(live_server: LiveServer) -> dict[str, str]:
    """A revoked event badge and a skill badge with evidence, on the live server's database."""
    service = live_server.service
    revoked = service.issue(IssueRequest("petit-dejeuner-inclusion-numerique",
                                         "retire.essai@example.org", "Rémi Retiré",
                                         event_number=7, role="participant"), actor="tests")
    revoke_credential(service, revoked.credential_id, REVOCATION_REASON, actor="tests")
    entries = evidence_entries(service.settings.base_url,
                               SkillEvidence(narrative=NARRATIVE, link=EVIDENCE_LINK,
                                             link_title="Programme des ateliers"), None)
    skill = service.issue(IssueRequest("mediateur-numerique", "preuve.essai@example.org",
                                       "Inès Preuve", show_name=True, evidence=entries),
                          actor="tests")
    return {"revoked": revoked.url, "evidence": skill.url}


VIEWPORTS = {"phone": PHONE_VIEWPORT, "laptop": LAPTOP_VIEWPORT}


@pytest.fixture(params=[(lang, size) for lang in ("fr", "en") for size in VIEWPORTS],
                ids=lambda value: f"{value[0]}-{value[1]}")
def page(request: pytest.FixtureRequest, browser: Any) -> Iterator[tuple[Any, str, int]]:
    lang, size = request.param
    context = new_context(browser, VIEWPORTS[size])
    try:
        yield context.new_page(), lang, VIEWPORTS[size]["width"]
    finally:
        context.close()


def _open(page: Any, url: str, lang: str, width: int) -> None:
    response = page.goto(f"{url}?lang={lang}")
    assert response is not None and response.status == 200
    violations = axe_violations(page)
    assert not violations, f"axe-core on {page.url}:\n{describe_violations(violations)}"
    scroll_width = page.evaluate("() => document.scrollingElement.scrollWidth")
    assert scroll_width <= width, f"{page.url} scrolls sideways: {overflowing_elements(page)}"


def test_a_revoked_badge_says_so_and_offers_nothing_to_share(
        page: tuple[Any, str, int], badges: dict[str, str]) -> None:
    tab, lang, width = page
    _open(tab, badges["revoked"], lang, width)
    main = tab.locator("main").inner_text()
    assert ("retiré" if lang == "fr" else "revoked") in main.lower()
    # The coordinator's reason goes to the holder by e-mail, never on the public page.
    assert REVOCATION_REASON not in main
    hrefs = tab.locator("main a").evaluate_all("links => links.map(link => link.href)")
    shares = [href for href in hrefs if any(network in href for network in SHARING_ADDRESSES)]
    assert not shares, shares
    assert tab.locator(".copy-link, .share-native").count() == 0, "no copy or share button"
    assert not [href for href in hrefs if href.endswith((".png", ".svg", ".pdf"))], hrefs
    assert [href for href in hrefs if href.endswith(".json")], "the JSON stays downloadable"


def test_a_skill_badge_shows_the_evidence_it_signs(
        page: tuple[Any, str, int], badges: dict[str, str]) -> None:
    tab, lang, width = page
    _open(tab, badges["evidence"], lang, width)
    main = " ".join(tab.locator("main").inner_text().split())
    assert NARRATIVE in main
    link = tab.locator(f'main a[href="{EVIDENCE_LINK}"]')
    assert link.count() == 1
    assert "Programme des ateliers" in link.inner_text()
