"""The e-mails as a reader sees them: each message's HTML part rendered in Chromium at a small
phone's width (360 px) and a laptop's (1280 px), its `cid:` images resolved from the message's
own parts as a mail client does. Nothing sticks out sideways, axe-core finds nothing, every
e-mail wears the City's frame (logo, name), and the badge e-mail shows the badge, its one
button to the badge page, then the wallet and LinkedIn actions (issue 13 items 7 and 14)."""

from __future__ import annotations

import base64
import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest

from issuer.issuance.issue_requests import IssuedBadge, IssueRequest
from issuer.issuance.keys import KEY_REVOCATION_REASONS
from issuer.issuance.service import IssuerService
from issuer.mail.compose import compose_badge_email, compose_invitation
from issuer.mail.key_incident import compose_key_incident
from issuer.mail.revocation import compose_revocation
from issuer.mail.wallet_code import compose_wallet_code
from issuer.mail.wallet_link import compose_holder_link
from issuer.network.endorsement_mail import compose_endorsement_published
from issuer.network.mediators.mail import compose_sign_in_link
from issuer.settings import Settings
from issuer.storage.models import IssuedCredential
from issuer.workspace.account_mail import compose_sign_in_alert
from issuer.workspace.sign_in_steps import SignInAlert
from tests.plugins.browser import (
    LAPTOP_VIEWPORT,
    PHONE_VIEWPORT,
    axe_violations,
    describe_violations,
    new_context,
    overflowing_elements,
)
from tests.plugins.factory import ServiceFactory

pytestmark = pytest.mark.browser

BASE_URL = "https://badges.roubaix.example"
# A token as long as the real ones: the URL that would push a phone's screen sideways.
TOKEN = "Xy7" * 15
WHEN = datetime(2026, 12, 7, 9, 30, tzinfo=UTC)


@pytest.fixture(scope="module")
def mail_service(tmp_path_factory: pytest.TempPathFactory) -> IssuerService:
    service = IssuerService(Settings(home=tmp_path_factory.mktemp("mail-browser"),
                                     base_url=BASE_URL, database_url=None))
    service.init()
    return service


@pytest.fixture(scope="module")
def issued(mail_service: IssuerService) -> IssuedBadge:
    return mail_service.issue(IssueRequest(
        "petit-dejeuner-inclusion-numerique", "camille.martin@example.org",
        "Camille-Marie Martin-Delacroix", event_number=7, role="intervenant"), actor="tests")


def _stored(service: IssuerService, issued: IssuedBadge) -> IssuedCredential:
    with service.database.session(read_only=True) as session:
        row = session.get(IssuedCredential, issued.credential_id)
        assert row is not None
        _ = row.recipient.display_name  # loaded before the session closes
        return row


def every_email(service: IssuerService, issued: IssuedBadge) -> dict[str, EmailMessage]:
    settings, credential = service.settings, _stored(service, issued)
    later = WHEN + timedelta(days=30)
    return {
        "badge": compose_badge_email(settings, service.catalogue, credential,
                                     to="camille.martin@example.org",
                                     wallet_url=f"{BASE_URL}/portefeuille/lien/{TOKEN}",
                                     wallet_days=30),
        "badge-en": compose_badge_email(settings, service.catalogue, credential,
                                        to="camille.martin@example.org", locale="en"),
        "invitation": compose_invitation(settings, to="nouvelle@ville-roubaix.example",
                                         display_name="Dominique Essai",
                                         invitation_url=f"{BASE_URL}/admin/invitation/{TOKEN}",
                                         expires_at=later, invited_by="Alex Coordination"),
        "sign-in": compose_sign_in_link(settings, to="sacha@example.org", display_name="Sacha",
                                        link=f"{BASE_URL}/espace/lien/{TOKEN}",
                                        expires_at=WHEN, valid_for=timedelta(minutes=15)),
        "revocation": compose_revocation(service, credential, to="camille.martin@example.org",
                                         reason="Badge délivré par erreur (mauvaise édition)."),
        "wallet-link": compose_holder_link(service, credential, to="camille.martin@example.org",
                                           link=f"{BASE_URL}/portefeuille/lien/{TOKEN}",
                                           expires_at=later),
        "wallet-code": compose_wallet_code(settings, to="camille.martin@example.org",
                                           display_name="Camille",
                                           badge_names={"fr": "Petit-déjeuner", "en": "Breakfast"},
                                           tx_code="482913", expires_at=WHEN),
        "endorsement": compose_endorsement_published(
            settings, to="sacha@example.org", display_name="Sacha", badge_name="Médiateur",
            endorser_name="Alex", comment="Un accueil attentif et des ateliers clairs.",
            endorsement_id="e" * 8, credential_id=issued.credential_id),
        "key-incident": compose_key_incident(service, credential.recipient,
                                             [(credential, credential)],
                                             to="camille.martin@example.org",
                                             reason=KEY_REVOCATION_REASONS["compromise"]),
        "sign-in-alert": compose_sign_in_alert(settings, SignInAlert(
            user_id="u1", email="coordination@ville-roubaix.example", display_name="Alex",
            failures=12, first_failure_at=WHEN, at=WHEN, clients=("203.0.113.7",))),
    }


def html_as_a_mail_client_shows_it(message: EmailMessage) -> str:
    """The HTML part with each `cid:` image replaced by its part's bytes (RFC 2392); a
    reference to a part the message lacks fails the test."""
    html_part = message.get_body(("html",))
    assert html_part is not None
    html = html_part.get_content()  # type: ignore[attr-defined]
    parts = {str(part["Content-ID"]).strip("<>"): part for part in message.walk()
             if part["Content-ID"]}

    def inline(match: re.Match[str]) -> str:
        cid = match.group(1)
        assert cid in parts, f"cid:{cid} is not a part of the message"
        content = parts[cid].get_payload(decode=True)
        encoded = base64.b64encode(content).decode()
        return f'src="data:{parts[cid].get_content_type()};base64,{encoded}"'

    return re.sub(r'src="cid:([^"]+)"', inline, html)


@pytest.fixture(scope="module")
def contexts(browser: Any) -> Iterator[dict[int, Any]]:
    opened = {viewport["width"]: new_context(browser, viewport)
              for viewport in (PHONE_VIEWPORT, LAPTOP_VIEWPORT)}
    try:
        yield opened
    finally:
        for context in opened.values():
            context.close()


@pytest.mark.parametrize("width", [PHONE_VIEWPORT["width"], LAPTOP_VIEWPORT["width"]])
def test_every_email_fits_the_screen_is_accessible_and_wears_the_city_frame(
        mail_service: IssuerService, issued: IssuedBadge, contexts: dict[int, Any],
        width: int) -> None:
    page = contexts[width].new_page()
    findings = []
    try:
        for kind, message in every_email(mail_service, issued).items():
            page.set_content(html_as_a_mail_client_shows_it(message))
            page.wait_for_load_state("load")
            if wide := overflowing_elements(page):
                findings.append(f"[{kind}] sticks out at {width} px: {wide}")
            if violations := axe_violations(page):
                findings.append(f"[{kind}] {describe_violations(violations)}")
            # The City's frame: its logo (drawn, not a broken image) and its name at the top.
            logo = page.locator("img").first
            assert logo.evaluate("img => img.complete && img.naturalWidth > 0"), kind
            assert page.locator("td", has_text="Ville de Roubaix").first.is_visible(), kind
    finally:
        page.close()
    assert not findings, "\n".join(findings)


@pytest.mark.parametrize("width", [PHONE_VIEWPORT["width"], LAPTOP_VIEWPORT["width"]])
def test_badge_email_shows_the_badge_then_one_button_then_wallet_and_linkedin(
        mail_service: IssuerService, issued: IssuedBadge, contexts: dict[int, Any],
        width: int) -> None:
    message = every_email(mail_service, issued)["badge"]
    page = contexts[width].new_page()
    try:
        page.set_content(html_as_a_mail_client_shows_it(message))
        french = page.locator("#fr")
        badge = french.get_by_role("img", name=re.compile("Petit-déjeuner de l'inclusion"))
        assert badge.evaluate("img => img.complete && img.naturalWidth > 0")
        box = badge.bounding_box()
        assert box is not None and box["width"] >= 120 and box["x"] + box["width"] <= width
        assert french.get_by_text("La Ville de Roubaix vous a délivré le badge numérique "
                                  "« Petit-déjeuner de l'inclusion numérique ».").is_visible()
        button = french.get_by_role("link", name="Voir mon badge")
        assert button.get_attribute("href") == issued.url
        button_box = button.bounding_box()
        assert button_box is not None and button_box["height"] >= 44  # a thumb's target
        links = french.get_by_role("link").evaluate_all("links => links.map(a => a.textContent)")
        order = [links.index(name) for name in (
            "Voir mon badge", "Ajouter à mon portefeuille", "Ajouter à mon profil LinkedIn",
            "Image du badge à partager (PNG)", "Fichier pour un portefeuille numérique (JSON)")]
        assert order == sorted(order), links
        # The raw JSON is the last download, never the first link.
        assert links.index("Fichier pour un portefeuille numérique (JSON)") > links.index(
            "Attestation à imprimer (PDF, A4)")
        english = page.locator("#en")
        assert english.get_by_role("link", name="See my badge").get_attribute("href") == issued.url
        assert english.get_by_role("link", name="Add to my LinkedIn profile").is_visible()
        assert page.evaluate("() => document.getElementById('fr').compareDocumentPosition("
                             "document.getElementById('en')) & Node.DOCUMENT_POSITION_FOLLOWING")
    finally:
        page.close()


def test_a_city_logo_setting_reaches_the_emails(tmp_path: Path,
                                                service_factory: ServiceFactory) -> None:
    from PIL import Image

    logo = tmp_path / "ville.png"
    Image.new("RGB", (120, 60), "#c0392b").save(logo)
    service = service_factory(Settings.load(home=tmp_path / "home", base_url=BASE_URL,
                                            logo_file=logo))
    message = compose_invitation(service.settings, to="a@example.org", display_name=None,
                                 invitation_url=f"{BASE_URL}/x", expires_at=WHEN)
    [image] = [part for part in message.walk() if part.get_content_type() == "image/png"]
    assert image.get_payload(decode=True) == logo.read_bytes()
    html = message.get_body(("html",)).get_content()  # type: ignore[union-attr]
    # Shown 48 px wide, at the logo's own proportions.
    assert f'src="cid:{str(image["Content-ID"]).strip("<>")}" width="48" height="24"' in html
