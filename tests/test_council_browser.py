"""The council register's parity and age rules in a real browser (issue 13 item 11): headless
Chromium against the live server, signed in through the real form, on a 360 px phone and a
1280 px laptop, in French and in English. The register shows the balance of women and men
(a table with its caption); the form asks for the age declaration (required) and the optional
answer (a group of radio buttons with its legend); an addition that would widen the gap comes
back with the numbers and a box to confirm, and is done once confirmed; the answer is then
corrected from the member's row and the balance follows. axe-core finds nothing
on any of these pages and nothing scrolls sideways.
"""

from __future__ import annotations

from typing import Any

import pytest

from issuer.workspace import members
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

TEXT = {
    "fr": {"sign_in": "Se connecter", "parity": "Parité entre femmes et hommes",
           "women": "Femmes", "age": "La personne déclare avoir 16 ans ou plus",
           "woman": "Femme", "legend": "Pour la parité (facultatif)",
           "add": "Ajouter le membre et délivrer le badge",
           "warning": "Parité : après cet ajout, le Conseil compterait",
           "confirm": "Ajouter malgré l'écart de parité", "added": "ajouté·e au Conseil",
           "correct": "Réponse pour la parité", "declines": "Ne souhaite pas répondre",
           "save": "Enregistrer la réponse",
           "saved": "est enregistrée", "men": "Hommes"},
    "en": {"sign_in": "Sign in", "parity": "Parity between women and men", "women": "Women",
           "age": "The person declares being 16 or over", "woman": "Woman",
           "legend": "For parity (optional)", "add": "Add the member and issue the badge",
           "warning": "Parity: after this addition, the council would have",
           "confirm": "Add despite the parity gap", "added": "was added to the council",
           "correct": "Answer for parity", "declines": "Prefers not to answer", "save": "Save the answer",
           "saved": "is saved", "men": "Men"},
}
RUNS = [("fr", PHONE_VIEWPORT, "Centre"), ("en", PHONE_VIEWPORT, "Est"),
        ("fr", LAPTOP_VIEWPORT, "Ouest"), ("en", LAPTOP_VIEWPORT, "Nord")]


@pytest.fixture(scope="module")
def coordinator(live_server: LiveServer) -> Account:
    """A coordinator, and two women already on the council (through the register), so that
    each further woman widens the gap."""
    for number, sector in enumerate(("Sud", "Sud")):
        members.add_member(live_server.service, members.NewMember(
            name=f"Habitante Parité {number}", email=f"parite{number}@example.org",
            role="conseiller", sector=sector, mandate_start=members.city_today(),
            age_declared=True, gender="femme", parity_confirmed=True), actor="test")
    return create_live_account(live_server, "coordinator")


def counts(page: Any, text: dict[str, str]) -> tuple[int, int]:
    """Women and men in the register's balance table."""
    balance = page.locator("#parite ~ table").first
    return tuple(int(balance.locator(f"tr:has(th:text-is('{text[key]}')) td").inner_text())
                 for key in ("women", "men"))  # type: ignore[return-value]


def fits(page: Any, width: int) -> bool:
    return bool(page.evaluate("() => document.documentElement.scrollWidth") <= width)


@pytest.mark.parametrize(("lang", "viewport", "sector"), RUNS,
                         ids=["fr-phone", "en-phone", "fr-laptop", "en-laptop"])
def test_the_register_shows_parity_and_warns_before_an_addition_breaks_it(
        browser: Any, live_server: LiveServer, coordinator: Account, lang: str,
        viewport: dict[str, int], sector: str) -> None:
    text = TEXT[lang]
    audit = PageAudit(lang, viewport["width"])
    context = new_context(browser, viewport)
    try:
        page = context.new_page()
        page.goto(live_server.url("/admin/connexion", **({"lang": "en"} if lang == "en" else {})))
        page.locator("#email").fill(coordinator.email)
        page.locator("#password").fill(coordinator.password)
        with page.expect_navigation():
            page.get_by_role("button", name=text["sign_in"]).click()
        page.goto(live_server.url("/admin/conseil"))
        assert page.get_by_role("heading", name=text["parity"]).is_visible()
        balance = page.locator("#parite ~ table").first
        women = balance.get_by_role("row", name=text["women"], exact=False).first
        assert int(women.locator("td").inner_text()) >= 2
        audit.check(page, "registry-parity")
        assert fits(page, viewport["width"])

        form = page.locator("form[action^='/admin/conseil']")
        name = f"Habitante {sector} Navigateur"
        form.locator("#name").fill(name)
        form.locator("#email").fill(f"navigateur.{sector.lower()}.{lang}@example.org")
        form.locator("#role").select_option("conseiller")
        form.locator("#sector").select_option(sector)
        page.get_by_role("group", name=text["legend"]).get_by_label(
            text["woman"], exact=True).check()
        # The declaration is required: the browser keeps the form until it is ticked.
        page.get_by_role("button", name=text["add"]).click()
        assert page.locator("#alerte-parite").count() == 0
        page.get_by_label(text["age"]).check()
        with page.expect_navigation():
            page.get_by_role("button", name=text["add"]).click()
        warning = page.locator("#alerte-parite")
        assert text["warning"] in warning.inner_text()
        audit.check(page, "registry-parity-warning")
        assert fits(page, viewport["width"])

        page.get_by_label(text["age"]).check()
        page.get_by_label(text["confirm"]).check()
        with page.expect_navigation():
            page.get_by_role("button", name=text["add"]).click()
        notice = page.locator("main .notice[role=status]").inner_text()
        assert name in notice and text["added"] in notice
        audit.check(page, "registry-parity-confirmed")
        women_before, men_before = counts(page, text)

        # The person changes their mind: the answer is corrected from the member's row (to "prefers
        # not to answer", so that the next run's addition still widens the gap).
        with page.expect_navigation():
            page.get_by_role("link", name=f"{text['correct']} — {name}").click()
        group = page.get_by_role("group", name=text["legend"])
        assert group.get_by_label(text["woman"], exact=True).is_checked()
        audit.check(page, "registry-parity-correct")
        assert fits(page, viewport["width"])
        group.get_by_label(text["declines"], exact=True).check()
        with page.expect_navigation():
            page.get_by_role("button", name=text["save"]).click()
        notice = page.locator("main .notice[role=status]").inner_text()
        assert name in notice and text["saved"] in notice
        assert counts(page, text) == (women_before - 1, men_before)
        audit.check(page, "registry-parity-corrected")
    finally:
        context.close()
    assert not audit.findings, "\n".join(audit.findings)
