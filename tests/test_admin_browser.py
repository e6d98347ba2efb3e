"""The coordinator's main flow in a real browser (issue #4, "Done means"): headless Chromium
against the live server, signed in through the real form, every page checked with axe-core.

One pass of the flow: sign in → dashboard → events → a Petit-déjeuner edition → a list with
bad lines (refused, each line's problem shown) → a list of 12 attendees → preview → confirm →
"issue the badges" (12 issued) → one badge's admin page and public page (authentic) → revoked
with a reason → its public page says revoked; the CLN register (a member added), People (the
member found, their page), e-mails, audit trail, accounts; a self-claim window opened, the
claim filled in on a phone by an attendee, then approved by the coordinator.

The pass runs on a 360 px phone in French and in English (`?lang=en`, kept in the cookie), and
on a 1280 px laptop in French. On every page: no WCAG 2.1 A/AA violation (RGAA 4.1) and no
sideways scrolling. Findings are gathered over the whole pass and reported together, so one
run lists every page to fix. Each pass uses its own edition, addresses and CLN sector, so the
passes share the session's live server without touching each other's data.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

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

BREAKFAST = "petit-dejeuner-inclusion-numerique"

# The words the flow clicks and reads, per language (the pages' own wording: a change there
# is a change the coordinator sees).
TEXT: dict[str, dict[str, str]] = {
    "fr": {
        "sign_in": "Se connecter", "dashboard": "Tableau de bord", "events": "Événements",
        "check_list": "Vérifier la liste", "lines_to_correct": "Lignes à corriger",
        "bad_email": "Ligne 3 : adresse e-mail invalide « bruno-at-example.org »",
        "unknown_role": "Ligne 4 : rôle inconnu « boulanger »",
        "to_add": "Personnes à ajouter : 12", "record": "Enregistrer ces 12 personnes",
        "added": "Personnes ajoutées à la liste : 12.", "issue": "Délivrer les badges",
        "issued": "Badges délivrés maintenant : 12.", "valid": "Badge valable",
        "public_page": "Ouvrir la page publique du badge", "authentic": "Badge authentique",
        "revoke_link": "Révoquer ce badge…", "revoke": "Révoquer le badge",
        "revoked": "Badge révoqué", "council": "Conseil local du numérique",
        "journal_revoked": "Badge révoqué",
        "add_member": "Ajouter le membre et délivrer le badge", "member_added": "ajouté·e au Conseil",
        "people": "Personnes", "search": "Rechercher", "mail": "Courriels", "audit": "Journal",
        "accounts": "Comptes", "open_claims": "Ouvrir les demandes",
        "send_claim": "Envoyer ma demande", "claim_recorded": "Demande enregistrée",
        "approve": "Approuver et délivrer les demandes cochées",
        "approved": "Demandes approuvées : 1.", "issued_one": "Badges délivrés maintenant : 1.",
    },
    "en": {
        "sign_in": "Sign in", "dashboard": "Dashboard", "events": "Events",
        "check_list": "Check the list", "lines_to_correct": "Lines to correct",
        "bad_email": "Line 3: invalid e-mail address 'bruno-at-example.org'",
        "unknown_role": "Line 4: unknown role 'boulanger'",
        "to_add": "People to add: 12", "record": "Record these 12 people",
        "added": "Attendees added to the list: 12.", "issue": "Issue the badges",
        "issued": "Badges issued now: 12.", "valid": "Valid badge",
        "public_page": "Open the public page of the badge", "authentic": "Authentic badge",
        "revoke_link": "Revoke this badge…", "revoke": "Revoke the badge",
        "revoked": "Revoked badge", "council": "Local digital council",
        "journal_revoked": "Badge revoked",
        "add_member": "Add the member and issue the badge", "member_added": "was added to the council",
        "people": "People", "search": "Search", "mail": "E-mails", "audit": "Audit trail",
        "accounts": "Accounts", "open_claims": "Open the requests",
        "send_claim": "Send my request", "claim_recorded": "Request recorded",
        "approve": "Approve and issue the selected requests",
        "approved": "Requests approved: 1.", "issued_one": "Badges issued now: 1.",
    },
}


@dataclass(frozen=True)
class Pass:
    """One pass of the main flow: language, screen, and the data only this pass uses."""

    name: str
    lang: str
    viewport: dict[str, int]
    edition: int        # the Petit-déjeuner edition the list is uploaded to
    sector: str         # the CLN sector of the member added (at most 4 per sector)

    @property
    def mail_prefix(self) -> str:
        return f"{self.name}-"


PASSES = [
    Pass("fr-phone", "fr", PHONE_VIEWPORT, edition=10, sector="Centre"),
    Pass("en-phone", "en", PHONE_VIEWPORT, edition=9, sector="Est"),
    Pass("fr-laptop", "fr", LAPTOP_VIEWPORT, edition=8, sector="Ouest"),
]


# -- fixtures -------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def administrator(live_server: LiveServer) -> Account:
    # An administrator sees every page a coordinator sees, and the accounts page too.
    return create_live_account(live_server, "administrator")


# -- the keyboard ---------------------------------------------------------------------------------

def test_the_sign_in_form_works_with_the_keyboard_alone(phone_page: Any, live_server: LiveServer,
                                                        administrator: Account) -> None:
    page = phone_page
    page.goto(live_server.url("/admin/connexion"))
    # Tab from the top of the page to the e-mail field (past the skip link, header and menu).
    for _ in range(12):
        page.keyboard.press("Tab")
        if page.evaluate("() => document.activeElement.id") == "email":
            break
    else:
        pytest.fail("Tab never reaches the e-mail field of the sign-in form")
    page.keyboard.type(administrator.email)
    page.keyboard.press("Tab")
    assert page.evaluate("() => document.activeElement.id") == "password"
    page.keyboard.type(administrator.password)
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.url == live_server.url("/admin")
    assert page.get_by_role("heading", level=1).inner_text() == "Tableau de bord"


# -- the main flow --------------------------------------------------------------------------------

@pytest.mark.parametrize("run", PASSES, ids=[run.name for run in PASSES])
def test_the_main_flow_works_and_every_page_passes_axe_and_fits_the_screen(
        browser: Any, live_server: LiveServer, administrator: Account, tmp_path: Path,
        run: Pass) -> None:
    text = TEXT[run.lang]
    audit = PageAudit(run.lang, run.viewport["width"])
    context = new_context(browser, run.viewport)
    try:
        page = context.new_page()
        sign_in(page, live_server, administrator, run, audit)
        event_path = upload_and_issue(page, live_server, run, audit, tmp_path, text)
        revoke_one_badge(page, run, audit, text)
        add_member_and_find_them(page, live_server, run, audit, text)
        for area, name in (("mail", "mail"), ("audit", "audit"), ("accounts", "accounts")):
            open_menu(page, text[area])
            audit.check(page, name)
            if area == "audit":
                # The journal names each action in the reader's language, never by its code.
                journal = page.locator("main table").first.inner_text()
                assert text["journal_revoked"] in journal
                assert "credential.revoked" not in journal and "login.succeeded" not in journal
        claim_on_a_phone_and_approve(browser, page, live_server, event_path, run, audit, text)
    finally:
        context.close()
    assert not audit.findings, (f"{run.name}: {len(audit.findings)} problem(s) on "
                                f"{len(audit.pages)} pages:\n" + "\n".join(audit.findings))


def sign_in(page: Any, server: LiveServer, account: Account, run: Pass, audit: PageAudit) -> None:
    """Through the real form; in English, the `?lang=en` switch first (kept in a cookie)."""
    page.goto(server.url("/admin/connexion", **({"lang": "en"} if run.lang == "en" else {})))
    audit.check(page, "login")
    page.locator("#email").fill(account.email)
    page.locator("#password").fill(account.password)
    with page.expect_navigation():
        page.get_by_role("button", name=TEXT[run.lang]["sign_in"]).click()
    assert page.url == server.url("/admin")
    assert heading(page) == TEXT[run.lang]["dashboard"]
    audit.check(page, "dashboard")


def upload_and_issue(page: Any, server: LiveServer, run: Pass, audit: PageAudit, tmp_path: Path,
                     text: dict[str, str]) -> str:
    open_menu(page, text["events"])
    audit.check(page, "events")
    event_path = f"/admin/evenements/{BREAKFAST}/{run.edition}"
    with page.expect_navigation():
        page.locator(f"main a[href='{event_path}']").click()
    audit.check(page, "event")

    # A list with two bad lines: refused, each line's problem said, nothing recorded.
    bad = tmp_path / "presences-erreurs.csv"
    bad.write_text("nom;courriel;rôle\n"
                   f"Alice Essai;{run.mail_prefix}alice@example.org;\n"
                   "Bruno Essai;bruno-at-example.org;\n"
                   f"Chloé Essai;{run.mail_prefix}chloe@example.org;boulanger\n", "utf-8")
    submit_list(page, bad, text)
    assert heading(page) == text["lines_to_correct"]
    problems = page.locator("ul.problems li").all_inner_texts()
    assert len(problems) == 2, problems
    assert problems[0] == text["bad_email"]
    assert problems[1].startswith(text["unknown_role"]), problems[1]
    audit.check(page, "preview-errors")

    # Twelve attendees: previewed line by line, confirmed, issued.
    page.goto(server.url(event_path))
    good = tmp_path / "presences.csv"
    good.write_text("Nom;Courriel;Rôle\n" + "".join(
        f"Personne {i} Essai;{run.mail_prefix}personne{i}@example.org;"
        f"{'Intervenante' if i == 1 else ''}\n" for i in range(1, 13)), "utf-8")
    submit_list(page, good, text)
    assert heading(page) == text["check_list"]
    table = page.locator("main table.admin-table")
    assert text["to_add"] in table.locator("caption").inner_text()
    assert table.locator("tbody tr").count() == 12
    assert f"{run.mail_prefix}personne12@example.org" in table.inner_text()
    audit.check(page, "preview")
    with page.expect_navigation():
        page.get_by_role("button", name=text["record"]).click()
    assert text["added"] in page.locator("#resultat").inner_text()
    audit.check(page, "event-list-recorded")

    with page.expect_navigation():
        page.get_by_role("button", name=text["issue"]).click()
    assert text["issued"] in page.locator("#resultat").inner_text()
    audit.check(page, "result")
    return event_path


def revoke_one_badge(page: Any, run: Pass, audit: PageAudit, text: dict[str, str]) -> None:
    with page.expect_navigation():
        page.locator("#presences ~ table a[href^='/admin/badges/']").first.click()
    assert text["valid"] in page.locator(".credential-status").inner_text()
    audit.check(page, "credential")
    admin_url = page.url

    with page.expect_navigation():
        page.get_by_role("link", name=text["public_page"]).click()
    assert page.locator(".verdict-sentence").inner_text().startswith(text["authentic"])

    page.goto(admin_url)
    with page.expect_navigation():
        page.get_by_role("link", name=text["revoke_link"]).click()
    audit.check(page, "revoke")
    page.locator("#reason").fill("Délivré par erreur (test)")
    with page.expect_navigation():
        page.get_by_role("button", name=text["revoke"]).click()
    assert page.url == admin_url
    assert text["revoked"] in page.locator(".credential-status").inner_text()
    audit.check(page, "credential-revoked")

    with page.expect_navigation():
        page.get_by_role("link", name=text["public_page"]).click()
    assert page.locator(".verdict-sentence").inner_text().startswith(text["revoked"])
    audit.check(page, "public-revoked")
    page.goto(admin_url)


def add_member_and_find_them(page: Any, server: LiveServer, run: Pass, audit: PageAudit,
                             text: dict[str, str]) -> None:
    open_menu(page, text["council"])
    audit.check(page, "registry")
    name = f"Membre {run.sector} Essai"
    form = page.locator("form[action^='/admin/conseil']")
    form.locator("#name").fill(name)
    form.locator("#email").fill(f"{run.mail_prefix}membre@example.org")
    form.locator("#role").select_option("conseiller")
    form.locator("#sector").select_option(run.sector)
    form.locator("#mandate_start").fill("2025-06-13")
    form.locator("#age_declared").check()  # required: residents aged 16 or more
    form.locator("#show_name").check()
    with page.expect_navigation():
        page.get_by_role("button", name=text["add_member"]).click()
    notice = page.locator("main .notice[role=status]").inner_text()
    assert name in notice and text["member_added"] in notice
    audit.check(page, "registry-member-added")

    open_menu(page, text["people"])
    audit.check(page, "people")
    page.locator("#q").fill(f"{run.sector} Essai")
    with page.expect_navigation():
        page.get_by_role("button", name=text["search"], exact=True).click()
    found = page.locator("#resultats ~ table tbody a")
    assert found.all_inner_texts() == [name]
    audit.check(page, "people-results")
    with page.expect_navigation():
        found.click()
    assert heading(page) == name
    audit.check(page, "person")


def claim_on_a_phone_and_approve(browser: Any, page: Any, server: LiveServer, event_path: str,
                                 run: Pass, audit: PageAudit, text: dict[str, str]) -> None:
    page.goto(server.url(event_path))
    with page.expect_navigation():
        page.get_by_role("button", name=text["open_claims"]).click()
    audit.check(page, "event-claims-open")
    claim_url = page.locator("code.claim-url").inner_text()
    assert claim_url.startswith(server.url("/reclamer/"))
    page.goto(server.url(f"{event_path}/ecran"))
    audit.check(page, "claim-screen")

    # The attendee: their own phone, no account, French browser (English by the switch).
    attendee_context = new_context(browser, PHONE_VIEWPORT)
    phone_audit = PageAudit(run.lang, PHONE_VIEWPORT["width"])
    try:
        phone = attendee_context.new_page()
        phone.goto(claim_url + ("?lang=en" if run.lang == "en" else ""))
        phone_audit.check(phone, "claim")
        phone.locator("#claim-name").fill(f"Awa {run.sector} Essai")
        phone.locator("#claim-email").fill(f"{run.mail_prefix}awa@example.org")
        phone.locator("#claim-role").select_option("animateur")
        phone.locator("#claim-show").check()
        with phone.expect_navigation():
            phone.get_by_role("button", name=text["send_claim"]).click()
        assert heading(phone) == text["claim_recorded"]
        phone_audit.check(phone, "claim-recorded")
    finally:
        attendee_context.close()
    audit.findings.extend(phone_audit.findings)
    audit.pages.extend(phone_audit.pages)

    # Back on the coordinator's screen: the request waits; approved, it is issued.
    page.goto(server.url(event_path))
    pending = page.get_by_label(f"Awa {run.sector} Essai")
    pending.check()
    audit.check(page, "event-pending-claim")
    with page.expect_navigation():
        page.get_by_role("button", name=text["approve"]).click()
    result = page.locator("#resultat").inner_text()
    assert text["approved"] in result and text["issued_one"] in result


# -- helpers --------------------------------------------------------------------------------------

def submit_list(page: Any, csv_file: Path, text: dict[str, str]) -> None:
    page.locator("#liste").set_input_files(str(csv_file))
    with page.expect_navigation():
        page.get_by_role("button", name=text["check_list"]).click()


def open_menu(page: Any, label: str) -> None:
    """Follow a link of the workspace menu, as the coordinator does."""
    with page.expect_navigation():
        page.locator("nav.admin-nav").get_by_role("link", name=label, exact=True).click()
    assert heading(page) == label


def heading(page: Any) -> str:
    text: str = page.get_by_role("heading", level=1).inner_text()
    return text.strip()
