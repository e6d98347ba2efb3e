"""The MIME shape of the e-mails in the City's frame (issuer.mail.compose): text and HTML as
alternatives, the HTML with its images as inline parts it references by `cid:` (RFC 2387,
RFC 2392), the issuer's name from the settings (issue 13 items 7 and 14)."""

from __future__ import annotations

import re
from email import message_from_bytes
from email.message import EmailMessage
from email.policy import default as default_policy
from pathlib import Path

import pytest

from issuer.issuance.issue_requests import IssueRequest
from issuer.issuance.service import IssuerService
from issuer.mail.compose import compose_badge_email, issuer_as_subject
from issuer.settings import Settings
from issuer.storage.models import IssuedCredential
from tests.plugins.factory import ServiceFactory
from tests.test_mail_browser import every_email

BASE_URL = "https://badges.roubaix.example"


@pytest.fixture(scope="module")
def mail_service(tmp_path_factory: pytest.TempPathFactory) -> IssuerService:
    service = IssuerService(Settings(home=tmp_path_factory.mktemp("mail-frame"),
                                     base_url=BASE_URL, database_url=None))
    service.init()
    return service


def badge_email(service: IssuerService, **options: str) -> EmailMessage:
    issued = service.issue(IssueRequest("petit-dejeuner-inclusion-numerique", "c@example.org",
                                        "Camille Martin", event_number=7), actor="tests")
    with service.database.session(read_only=True) as session:
        row = session.get(IssuedCredential, issued.credential_id)
        assert row is not None
        message = compose_badge_email(service.settings, service.catalogue, row,
                                      to="c@example.org", **options)
    # What the recipient's server receives: the message as bytes, parsed again.
    parsed = message_from_bytes(message.as_bytes(), policy=default_policy)
    assert isinstance(parsed, EmailMessage)
    return parsed


def cid_references(html: str) -> list[str]:
    return re.findall(r'src="cid:([^"]+)"', html)


def test_badge_email_is_text_or_html_with_the_logo_and_the_badge_inline(
        mail_service: IssuerService) -> None:
    message = badge_email(mail_service)
    assert message.get_content_type() == "multipart/alternative"
    text_part, related = message.iter_parts()
    assert text_part.get_content_type() == "text/plain"
    assert related.get_content_type() == "multipart/related"
    html_part, *images = related.iter_parts()
    assert html_part.get_content_type() == "text/html"
    assert [image.get_content_type() for image in images] == ["image/png", "image/png"]
    assert all(image.get_content_disposition() == "inline" for image in images)

    html = html_part.get_content()
    # Every picture the HTML shows is a part of the message, and every part is shown.
    parts = {str(image["Content-ID"]).strip("<>"): image for image in images}
    assert set(cid_references(html)) == set(parts)
    logo, badge = (parts[cid] for cid in cid_references(html)[:2])
    assert logo.get_payload(decode=True) == mail_service.logo.png
    artwork = mail_service.catalogue.image_path(
        mail_service.catalogue.badge("petit-dejeuner-inclusion-numerique"), "png")
    assert badge.get_payload(decode=True) == artwork.read_bytes()
    # Nothing from a server: no http(s) image, no style sheet, no script.
    assert not re.search(r'<img[^>]+src="https?:', html)
    assert "<link" not in html and "<script" not in html
    assert "cid:" not in text_part.get_content()


def test_badge_email_says_who_issued_it_then_button_wallet_linkedin_downloads(
        mail_service: IssuerService) -> None:
    message = badge_email(mail_service, wallet_url=f"{BASE_URL}/portefeuille/lien/abc")
    text = message.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    french = text[:text.index("Hello Camille Martin")]
    assert "La Ville de Roubaix vous a délivré le badge numérique « Petit-déjeuner" in french
    steps = [french.index(line) for line in (
        "Voir mon badge", "/portefeuille/lien/abc", "linkedin.com",
        "Image du badge à partager (PNG)", "Fichier pour un portefeuille numérique (JSON)")]
    assert steps == sorted(steps)


@pytest.mark.parametrize(("name", "french"), [
    ("Ville de Roubaix", "La Ville de Roubaix"),
    ("Métropole Européenne de Lille", "La Métropole Européenne de Lille"),
    ("Département du Nord", "Le Département du Nord"),
    ("Roubaix Numérique", "Roubaix Numérique"),
])
def test_the_issuers_name_from_the_settings_reads_as_a_french_subject(name: str,
                                                                      french: str) -> None:
    assert issuer_as_subject(name, "fr") == french
    assert issuer_as_subject(name, "en") == name


def test_another_issuer_name_is_used_everywhere_in_the_frame(
        tmp_path: Path, service_factory: ServiceFactory) -> None:
    service = service_factory(Settings.load(home=tmp_path, base_url=BASE_URL,
                                            profile_name="Métropole Européenne de Lille"))
    message = badge_email(service)
    html = message.get_body(("html",)).get_content()  # type: ignore[union-attr]
    assert "La Métropole Européenne de Lille vous a délivré" in html
    assert "Ville de Roubaix" not in html


def test_every_email_carries_the_logo_inline(mail_service: IssuerService) -> None:
    issued = mail_service.issue(IssueRequest("petit-dejeuner-inclusion-numerique",
                                             "m@example.org", "Sacha Démo", event_number=3),
                                actor="tests")
    for kind, message in every_email(mail_service, issued).items():
        html = message.get_body(("html",)).get_content()  # type: ignore[union-attr]
        cids = {str(part["Content-ID"]).strip("<>") for part in message.walk()
                if part["Content-ID"]}
        assert cid_references(html) and set(cid_references(html)) == cids, kind
        logo = next(part for part in message.walk() if part.get_filename() == "logo.png")
        assert logo.get_payload(decode=True) == mail_service.logo.png, kind


def test_the_emails_linkedin_form_names_the_citys_page_and_the_events_month(
        tmp_path: Path, service_factory: ServiceFactory) -> None:
    from urllib.parse import parse_qs, urlsplit

    service = service_factory(Settings.load(home=tmp_path, base_url=BASE_URL,
                                            linkedin_organization_id="2414183"))
    event = service.catalogue.badge("petit-dejeuner-inclusion-numerique").event(7)
    message = badge_email(service)
    html = message.get_body(("html",)).get_content()  # type: ignore[union-attr]
    link = re.search(r'href="(https://www\.linkedin\.com/profile/add\?[^"]+)"', html)
    assert link is not None
    query = {key: values[-1] for key, values in
             parse_qs(urlsplit(link.group(1).replace("&amp;", "&")).query).items()}
    assert query["organizationId"] == "2414183"
    # The month of the edition the person attended, not of the day the badge was signed.
    assert (query["issueYear"], query["issueMonth"]) == (str(event.date.year),
                                                         str(event.date.month))
