"""The holder's "add to wallet" pages in a real browser (headless Chromium, axe-core), issue
#12: on a 360 px phone, in French and in English, a visitor of a badge page presses "C'est
mon badge", the holder opens the link the e-mail brings (read from the outbox), continues,
asks for a code and gets the wallet link and the QR code; the help page "Mettre mon badge
dans un portefeuille numérique". Every step: the page's language, no WCAG 2.1 A/AA violation
(RGAA 4.1), nothing scrolls sideways, the skip link first and every control reachable with
Tab.

Runs on the session's live server (tests/plugins/browser.py) with a skill badge of its own
(each language its own holder: "C'est mon badge" is limited per badge)."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import pytest
from sqlalchemy import select

from issuer.issuance.service import IssuerService
from issuer.mail import outbox_message
from issuer.mail.wallet_link import WALLET_LINK_MAIL_KIND
from issuer.network.skill_badges import SkillEvidence, issue_skill_badge
from issuer.storage.workspace_models import EmailMessage
from tests.plugins.browser import PHONE_VIEWPORT, LiveServer, new_context
from tests.test_skills_browser import (
    assert_passes_the_phone_checks,
    ensure_skill_badge,
    heading,
    open_page,
)

pytestmark = pytest.mark.browser

LANGUAGES = ("fr", "en")
HOLDERS = {"fr": "alex.portefeuille@example.org", "en": "robin.wallet@example.org"}
LINK = re.compile(r"https?://[^\s]+/portefeuille/lien/[A-Za-z0-9_\-]+")
TEXT = {
    "fr": {"mine": "C'est mon badge", "continue": "Continuer", "add": "Ajouter ce badge à mon "
           "portefeuille", "title": "Ajouter à mon portefeuille",
           "help": "Mettre mon badge dans un portefeuille numérique"},
    "en": {"mine": "This is my badge", "continue": "Continue",
           "add": "Add this badge to my wallet", "title": "Add to my wallet",
           "help": "Put my badge in a digital wallet"},
}


@pytest.fixture
def phone(browser: Any) -> Iterator[Any]:
    context = new_context(browser, PHONE_VIEWPORT)
    try:
        yield context.new_page()
    finally:
        context.close()


def _award(service: IssuerService, email: str) -> str:
    slug = ensure_skill_badge(service, "skill", "ACC-01")
    return issue_skill_badge(service, slug, email=email, name="Alex Exemple",
                             given=SkillEvidence(narrative="Observé en atelier."),
                             actor="tests", send_email=False).credential_id


def _holder_link(service: IssuerService, email: str) -> str:
    """The link of the latest holder-link e-mail to `email` (sent after the answer: waited
    for)."""
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        with service.database.session(read_only=True) as session:
            row = session.scalars(select(EmailMessage).where(
                EmailMessage.kind == WALLET_LINK_MAIL_KIND, EmailMessage.to_address == email,
                EmailMessage.status == "outbox").order_by(EmailMessage.created_at.desc())
            ).first()
        if row is not None:
            _row, message = outbox_message(service, row.id)
            body = message.get_body(("plain",))
            assert body is not None
            return LINK.findall(body.get_content())[0]
        time.sleep(0.1)
    raise AssertionError(f"no holder link e-mail to {email}")


@pytest.mark.parametrize("lang", LANGUAGES)
def test_the_holder_reaches_the_wallet_code_and_every_step_passes_the_phone_checks(
        phone: Any, live_server: LiveServer, lang: str) -> None:
    page, words = phone, TEXT[lang]
    email = HOLDERS[lang]
    credential_id = _award(live_server.service, email)

    # A visitor of the badge page: no wallet, only "C'est mon badge".
    open_page(page, live_server, f"/credentials/{credential_id}", lang)
    section = page.locator("main #portefeuille")
    assert section.locator(f"a[href='/portefeuille/{credential_id}']").count() == 0
    with page.expect_navigation():
        section.get_by_role("button", name=words["mine"]).click()
    assert page.locator("main .notice-success[role=status]").count() == 1
    assert email not in page.content()
    assert_passes_the_phone_checks(page, lang)

    # The e-mail's link shows a button; pressing it opens the wallet page.
    link = urlsplit(_holder_link(live_server.service, email)).path
    open_page(page, live_server, link, lang)
    assert heading(page) == words["title"]
    assert_passes_the_phone_checks(page, lang)
    open_page(page, live_server, link, lang)
    with page.expect_navigation(url=live_server.url(f"/portefeuille/{credential_id}")):
        page.get_by_role("button", name=words["continue"]).click()
    assert_passes_the_phone_checks(page, lang)

    # A code: on a phone the app link comes first, then the QR code.
    with page.expect_navigation():
        page.get_by_role("button", name=words["add"]).click()
    app_link = page.locator("main a[href^='https://lcw.app/request?request=']")
    assert app_link.count() == 1
    qr = page.locator("main section[aria-labelledby=lcw-title] img.qr")
    assert qr.count() == 1 and (qr.get_attribute("alt") or "").strip()
    assert page.locator("main a[href^='dccrequest://request?request=']").count() == 1
    # Other wallets: the OpenID4VCI offer, its link and QR code (no code asked on a phone).
    oid4vci = page.locator("main section[aria-labelledby=oid4vci-title]")
    assert oid4vci.locator("a[href^='openid-credential-offer://']").count() == 1
    assert (oid4vci.locator("img.qr").get_attribute("alt") or "").strip()
    assert_passes_the_phone_checks(page, lang)

    # The badge page now offers the wallet straight away to this browser.
    open_page(page, live_server, f"/credentials/{credential_id}", lang)
    assert page.locator(f"main #portefeuille a[href='/portefeuille/{credential_id}']").count() == 1


@pytest.mark.parametrize("lang", LANGUAGES)
def test_the_help_page_passes_the_phone_checks(phone: Any, live_server: LiveServer,
                                                 lang: str) -> None:
    open_page(phone, live_server, "/aide/portefeuille", lang)
    assert heading(phone) == TEXT[lang]["help"]
    assert phone.locator("main svg[role=img] title").count() == 4
    assert "Learner Credential Wallet" in phone.locator("main").inner_text()
    assert_passes_the_phone_checks(phone, lang)


@pytest.mark.parametrize("lang", LANGUAGES)
def test_a_visitor_is_told_only_the_holder_can(phone: Any, live_server: LiveServer,
                                               lang: str) -> None:
    credential_id = live_server.credentials["skill"].credential_id
    open_page(phone, live_server, f"/portefeuille/{credential_id}", lang, status=403)
    assert phone.locator("main a[href^='https://lcw.app']").count() == 0
    assert phone.locator("main img.qr").count() == 0
    assert_passes_the_phone_checks(phone, lang)
