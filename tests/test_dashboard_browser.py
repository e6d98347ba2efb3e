"""The dashboard's charts in a real browser (issue 13, item 13): headless Chromium against the
live server, signed in through the real form, on a 360 px phone and a 1280 px laptop, in
French and in English. Each chart is a picture with its name (`role="img"`, title and
description) beside its table; axe-core finds nothing; nothing scrolls sideways on the phone;
on the laptop the workspace uses the screen's width, not the 48rem column of public pages.
"""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

import pytest

from issuer.storage.workspace_models import ClaimRequest, ClnMember
from tests.plugins.browser import (
    LAPTOP_VIEWPORT,
    PHONE_VIEWPORT,
    Account,
    LiveServer,
    PageAudit,
    create_live_account,
    new_context,
)

pytestmark = pytest.mark.browser

CHARTS = {
    "fr": ["Demandes en attente de validation, par événement", "Badges délivrés par mois",
           "Badges valables par événement", "Sièges du conseil occupés, par secteur",
           "Habitant·es en fonction, femmes et hommes"],
    "en": ["Requests waiting for approval, per event", "Badges issued per month",
           "Valid badges per event", "Council seats held, per sector",
           "Residents in office, women and men"],
}
SIGN_IN = {"fr": "Se connecter", "en": "Sign in"}
DASHBOARD = {"fr": "Tableau de bord", "en": "Dashboard"}


@pytest.fixture(scope="module")
def coordinator(live_server: LiveServer) -> Account:
    """A coordinator, and something to draw: a claim waiting, a council member (the live
    server's demo badges give the months and the events their bars)."""
    with live_server.service.database.session() as session:
        session.add_all([
            ClaimRequest(event_family="petit-dejeuner-inclusion-numerique", event_number=7,
                         name="Awa Essai", email="awa.dashboard@example.org", status="pending"),
            ClnMember(id=str(uuid.uuid4()), name="Éloïse Graphique",
                      email="eloise.dashboard@example.org", sector="Sud", role="conseiller",
                      mandate_start=date(2025, 7, 11), mandate_end=date(2027, 7, 10),
                      status="active", gender="femme"),
        ])
    return create_live_account(live_server, "coordinator")


@pytest.mark.parametrize(("lang", "viewport"), [
    ("fr", PHONE_VIEWPORT), ("en", PHONE_VIEWPORT), ("fr", LAPTOP_VIEWPORT),
    ("en", LAPTOP_VIEWPORT)], ids=["fr-phone", "en-phone", "fr-laptop", "en-laptop"])
def test_the_dashboard_charts_are_named_pictures_that_fit_the_screen(
        browser: Any, live_server: LiveServer, coordinator: Account, lang: str,
        viewport: dict[str, int]) -> None:
    audit = PageAudit(lang, viewport["width"])
    context = new_context(browser, viewport)
    try:
        page = context.new_page()
        page.goto(live_server.url("/admin/connexion", **({"lang": "en"} if lang == "en" else {})))
        page.locator("#email").fill(coordinator.email)
        page.locator("#password").fill(coordinator.password)
        with page.expect_navigation():
            page.get_by_role("button", name=SIGN_IN[lang]).click()
        assert page.get_by_role("heading", level=1).inner_text().strip() == DASHBOARD[lang]
        audit.check(page, "dashboard")

        pictures = page.locator("main svg[role='img']")
        assert pictures.count() == 5
        for title in CHARTS[lang]:
            picture = page.get_by_role("img", name=title, exact=True)
            picture.scroll_into_view_if_needed()
            assert picture.is_visible()
            box = picture.bounding_box()
            assert box is not None and box["width"] > 200 and box["x"] + box["width"] <= viewport["width"]
            # Its table is in the same figure: the numbers can be read one by one.
            figure = page.locator("figure.chart-figure", has=picture)
            assert figure.locator("table").count() == 1
        description = page.locator("#chart-months-desc").text_content() or ""
        assert ("badges délivrés sur les 12 derniers mois" if lang == "fr"
                else "badges issued over the last 12 months") in description

        main_width = page.evaluate("() => document.querySelector('main').clientWidth")
        if viewport is LAPTOP_VIEWPORT:
            assert main_width > 1100  # a desktop's width (80rem), not the public 48rem column
            events_table = page.locator("section[aria-labelledby='events'] table")
            assert (events_table.bounding_box() or {"width": 0})["width"] > 500
        else:
            assert main_width <= viewport["width"]
    finally:
        context.close()
    assert not audit.findings, "\n".join(audit.findings)
