"""A display name cannot add recipients (issue #10, item 7). Every e-mail the service writes
(badge delivery, invitation, sign-in link) is built from `email.headerregistry.Address`
objects, and the SMTP envelope is the row's address, never re-read from a header. Each hostile
name below is put through each composer; the produced bytes are parsed back: the To header
holds one address, the intended one; through a real SMTP server, one envelope recipient."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from email.utils import getaddresses
from pathlib import Path

import pytest

from issuer import mail
from issuer.issuance.service import IssuerService
from issuer.mail.compose import compose_invitation
from issuer.network.mediators.mail import compose_sign_in_link
from issuer.settings import Settings
from issuer.storage import models as rows
from tests.test_mail import SmtpServer, issue, make_service, smtp_server  # noqa: F401

TO = "camille@example.org"
HOSTILE_NAMES = [
    "Eve <eve@evil.example>, Bob <bob@evil.example>",
    '"Camille" <spy@evil.example>,',
    "spy@evil.example",
    "Nom, Prénom; groupe: spy@evil.example;",
    'x\\" <spy@evil.example>, "y',
    "=?utf-8?q?spy=40evil.example?= <spy@evil.example>",
    "Camille (comment) <spy@evil.example>",
    "Camille\r\nBcc: spy@evil.example",
    "Camille\nCc: spy@evil.example",
    # folding length: long enough for the header to be folded over several lines
    "Ève Élodie-Marie " * 8 + "<spy@evil.example>, spy2@evil.example",
    "a" * 80 + " <spy@evil.example> , " + "é" * 80,
]


def parsed(message: EmailMessage) -> EmailMessage:
    back = BytesParser(policy=policy.default).parsebytes(message.as_bytes())
    assert isinstance(back, EmailMessage)
    return back


def assert_one_recipient(message: EmailMessage, to: str = TO) -> None:
    back = parsed(message)
    addresses = back["To"].addresses
    assert [address.addr_spec for address in addresses] == [to]
    # What a mail program reading the header as text would find, too.
    assert [address for _name, address in getaddresses([str(back["To"])])] == [to]
    for header in ("Cc", "Bcc", "Reply-To"):
        assert "evil.example" not in str(back.get(header, ""))
    assert "evil.example" not in str(back["From"])


@pytest.fixture
def settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Settings:
    for variable in [name for name in __import__("os").environ if name.startswith("ISSUER_")]:
        monkeypatch.delenv(variable)
    return Settings.load(home=tmp_path / "home", base_url="https://badges.example.org")


@pytest.mark.parametrize("name", HOSTILE_NAMES)
def test_an_invitation_to_a_hostile_name_has_one_recipient(settings: Settings, name: str) -> None:
    assert_one_recipient(compose_invitation(
        settings, to=TO, display_name=name, invitation_url="https://badges.example.org/x",
        expires_at=datetime.now(UTC) + timedelta(days=7), invited_by=name))


@pytest.mark.parametrize("name", HOSTILE_NAMES)
def test_a_sign_in_link_to_a_hostile_name_has_one_recipient(settings: Settings,
                                                            name: str) -> None:
    assert_one_recipient(compose_sign_in_link(
        settings, to=TO, display_name=name, link="https://badges.example.org/espace/lien/x",
        expires_at=datetime.now(UTC) + timedelta(minutes=20),
        valid_for=timedelta(minutes=20)))


@pytest.fixture
def city(tmp_path: Path, smtp_server: SmtpServer) -> Iterator[IssuerService]:  # noqa: F811
    service = make_service(tmp_path / "city", smtp_port=smtp_server.port)
    yield service
    service.database.dispose()


def test_badge_emails_to_hostile_names_each_reach_one_address(
        city: IssuerService, smtp_server: SmtpServer) -> None:  # noqa: F811
    """Through the real path: the name is stored at issuance (issuer.names folds its line
    breaks), the message composed from the database and handed to a real SMTP server."""
    addresses = [f"camille{number}@example.org" for number in range(len(HOSTILE_NAMES))]
    for name, address in zip(HOSTILE_NAMES, addresses, strict=True):
        issued = issue(city, address, name)
        with city.database.session() as session:
            stored = session.get(rows.IssuedCredential, issued.credential_id)
            assert stored is not None and stored.recipient.display_name
            assert "\n" not in stored.recipient.display_name
            message = mail.compose_badge_email(city.settings, city.catalogue, stored,
                                               to=address)
            assert_one_recipient(message, address)
            mail.queue_badge_email(city, session, issued.credential_id)
    assert len(mail.deliver_pending(city).sent) == len(HOSTILE_NAMES)
    assert len(smtp_server.received) == len(HOSTILE_NAMES)
    for received, address in zip(smtp_server.received, addresses, strict=True):
        assert received.rcpt_tos == [address]
        assert_one_recipient(received.message, address)
