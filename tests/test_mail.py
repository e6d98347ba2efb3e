"""E-mail delivery (issue #4 item 7), against a real SMTP server on loopback (aiosmtpd).

Each test issues real badges in a temporary ISSUER_HOME, queues their e-mails, delivers them
through `smtplib` to an aiosmtpd server started on a free port of 127.0.0.1, and reads back
what the server received: headers, both languages, both MIME parts, the links. A second
handler answers 550 for one address (a bounce at submission time); stopping the server gives
the "server down" case.
"""

from __future__ import annotations

import json
import socket
import stat
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from html import unescape
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from click.testing import CliRunner
from sqlalchemy import select

from issuer import mail
from issuer.cli import context as cli_context
from issuer.cli.main import main as cli_main
from issuer.issuance.issue_requests import IssuedBadge, IssueRequest
from issuer.issuance.service import IssuerService
from issuer.mail.delivery import MAX_ATTEMPTS, retry_delay
from issuer.presentation.sharing import LINKEDIN_ADD_TO_PROFILE
from issuer.settings import Settings
from issuer.storage.models import AuditEntry
from issuer.storage.workspace_models import EmailMessage as MessageRow
from tests.plugins.admin import build_admin_app
from tests.plugins.factory import ServiceFactory

BASE_URL = "https://badges.example.org"
BREAKFAST = "petit-dejeuner-inclusion-numerique"
BOUNCING = "inconnu@example.org"


# --- a real SMTP server ------------------------------------------------------------------------

@dataclass
class Received:
    mail_from: str
    rcpt_tos: list[str]
    raw: bytes

    @property
    def message(self) -> EmailMessage:
        parsed = BytesParser(policy=policy.default).parsebytes(self.raw)
        assert isinstance(parsed, EmailMessage)
        return parsed


@dataclass
class Mailbox:
    """aiosmtpd handler: keeps what it accepts; answers 550 for the addresses in `refused`."""

    refused: set[str] = field(default_factory=set)
    received: list[Received] = field(default_factory=list)

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str,
                          rcpt_options: list[str]) -> str:
        if address.lower() in self.refused:
            return f"550 5.1.1 <{address}>: Recipient address rejected: User unknown"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.received.append(Received(envelope.mail_from, list(envelope.rcpt_tos),
                                      envelope.original_content or envelope.content))
        return "250 Message accepted for delivery"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class SmtpServer:
    def __init__(self, port: int, **options: Any) -> None:
        self.port = port
        self.mailbox = Mailbox(refused={BOUNCING})
        self.options = options
        self.controller: Controller | None = None

    def start(self) -> None:
        self.controller = Controller(self.mailbox, hostname="127.0.0.1", port=self.port,
                                     **self.options)
        self.controller.start()

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None

    @property
    def received(self) -> list[Received]:
        return self.mailbox.received


@pytest.fixture
def smtp_server() -> Iterator[SmtpServer]:
    server = SmtpServer(free_port())
    server.start()
    yield server
    server.stop()


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    import os
    for variable in [name for name in os.environ if name.startswith("ISSUER_")]:
        monkeypatch.delenv(variable)
    monkeypatch.delenv("DATABASE_URL", raising=False)


def _initialised(settings: Settings) -> IssuerService:
    service = IssuerService(settings)
    service.init()
    return service


def make_service(home: Path, *, smtp_port: int | None = None, database_url: str | None = None,
                 build: ServiceFactory = _initialised, **settings: Any) -> IssuerService:
    if smtp_port is not None:
        settings.update(smtp_host="127.0.0.1", smtp_port=smtp_port, smtp_starttls=False)
    return build(Settings.load(home=home, base_url=BASE_URL, database_url=database_url,
                               **settings))


@pytest.fixture
def service(tmp_path: Path, smtp_server: SmtpServer,
            service_factory: ServiceFactory) -> IssuerService:
    return make_service(tmp_path / "home", smtp_port=smtp_server.port, build=service_factory)


def issue(service: IssuerService, email: str, name: str = "Camille Martin", *,
          number: int = 7, role: str = "intervenant") -> IssuedBadge:
    return service.issue(IssueRequest(BREAKFAST, email, name, event_number=number, role=role))


def queue(service: IssuerService, issued: IssuedBadge, **options: Any) -> MessageRow:
    with service.database.session() as session:
        return mail.queue_badge_email(service, session, issued.credential_id, **options)


def row(service: IssuerService, message_id: str) -> MessageRow:
    return mail.get_message(service, message_id)


def audit(service: IssuerService, action_prefix: str = "email.") -> list[AuditEntry]:
    with service.database.session(read_only=True) as session:
        return list(session.scalars(select(AuditEntry).where(
            AuditEntry.action.startswith(action_prefix)).order_by(AuditEntry.id)))


class Links(HTMLParser):
    def __init__(self, markup: str) -> None:
        super().__init__()
        self.hrefs: list[str] = []
        self.langs: list[str] = []
        self.tags: set[str] = set()
        self.images: list[str] = []
        self.feed(markup)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.add(tag)
        values = dict(attrs)
        if tag == "a" and values.get("href"):
            self.hrefs.append(str(values["href"]))
        if values.get("lang"):
            self.langs.append(str(values["lang"]))
        if tag == "img":
            self.images.append(str(values.get("src")))


def parts(message: EmailMessage) -> tuple[str, str]:
    text = message.get_body(("plain",))
    html = message.get_body(("html",))
    assert text is not None and html is not None
    return text.get_content(), html.get_content()  # type: ignore[attr-defined]


# --- the badge e-mail --------------------------------------------------------------------------

@pytest.fixture
def service_on(database_url: str, tmp_path: Path, smtp_server: SmtpServer,
               service_factory: ServiceFactory) -> IssuerService:
    return make_service(tmp_path / "home", smtp_port=smtp_server.port, database_url=database_url,
                       build=service_factory)


def test_badge_email_arrives_in_french_then_english_with_page_linkedin_and_downloads(
        service_on: IssuerService, smtp_server: SmtpServer) -> None:
    service = service_on
    issued = issue(service, "camille.martin@example.org")
    queued = queue(service, issued)
    assert queued.status == "queued"

    report = mail.deliver_pending(service)

    assert report.sent == [queued.id]
    [received] = smtp_server.received
    assert received.rcpt_tos == ["camille.martin@example.org"]
    assert received.mail_from == "participation-citoyenne@ville-roubaix.fr"
    message = received.message
    assert message["To"].addresses[0].addr_spec == "camille.martin@example.org"
    assert message["To"].addresses[0].display_name == "Camille Martin"
    assert message["From"].addresses[0].addr_spec == "participation-citoyenne@ville-roubaix.fr"
    assert message["Subject"] == ("Votre badge numérique : Petit-déjeuner de l'inclusion "
                                  "numérique / Your digital badge")
    assert message["Auto-Submitted"] == "auto-generated"
    assert message.get_content_type() == "multipart/alternative"
    # Text, then the HTML with its inline images (the logo, the badge): issuer.mail.compose.
    assert [part.get_content_type() for part in message.iter_parts()] == ["text/plain",
                                                                           "multipart/related"]

    text, html = parts(message)
    page = issued.url
    for body in (text, html):
        french, english = body.index("Bonjour Camille Martin"), body.index("Hello Camille Martin")
        assert french < english  # French first, English second
        assert "Faire une transition numérique responsable" in body  # edition 7, in French
        assert "Making a responsible, sustainable and inclusive digital transition" in body
        assert "Intervenant·e" in body and "Speaker" in body
        assert body.count(page) >= 2
        for download in ("credential.json", "badge.png", "attestation.pdf"):
            assert f"{page}/{download}" in body
        assert "Vos données personnelles" in body and "Your personal data" in body
        assert f"{BASE_URL}/donnees-personnelles" in body

    links = Links(html)
    linkedin = [href for href in links.hrefs if href.startswith(LINKEDIN_ADD_TO_PROFILE)]
    assert len(linkedin) == 2  # one per language
    query = parse_qs(urlsplit(linkedin[0]).query)
    assert query["certUrl"] == [page] and query["certId"] == [issued.credential_id]
    assert query["organizationName"] == ["Ville de Roubaix"]
    assert query["name"] == [issued.credential["name"]]
    assert linkedin[0] in text
    assert {"fr", "en"} <= set(links.langs)
    assert "<html lang=\"fr\">" in html
    assert not links.tags & {"script", "iframe", "object", "link", "style"}
    # Images only from inside the message (cid:), never from a server.
    assert links.images and all(src.startswith("cid:") for src in links.images)

    stored = row(service, queued.id)
    assert stored.status == "sent" and stored.attempts == 1 and stored.sent_at is not None
    actions = [(entry.action, entry.subject) for entry in audit(service)]
    assert actions == [("email.queued", issued.credential_id), ("email.sent", issued.credential_id)]


def test_english_speaker_gets_english_first(service: IssuerService,
                                            smtp_server: SmtpServer) -> None:
    issued = issue(service, "alex@example.org", "Alex Smith")
    queue(service, issued, locale="en")
    mail.deliver_pending(service)
    message = smtp_server.received[0].message
    assert message["Subject"].startswith("Your digital badge: Digital Inclusion Breakfast / ")
    text, html = parts(message)
    assert text.index("Hello Alex Smith") < text.index("Bonjour Alex Smith")
    assert text.startswith("Version française ci-dessous.")
    assert "<html lang=\"en\">" in html


def test_each_person_receives_only_their_own_address(service: IssuerService,
                                                     smtp_server: SmtpServer) -> None:
    people = [f"personne{number}@example.org" for number in range(4)]
    for address in people:
        queue(service, issue(service, address, f"Personne {address[8]}"))

    assert len(mail.deliver_pending(service).sent) == 4

    assert len(smtp_server.received) == 4
    for received in smtp_server.received:
        [own] = received.rcpt_tos
        raw = received.raw.decode("utf-8", "replace").lower()
        assert own in raw
        assert not [other for other in people if other != own and other in raw]
        assert "bcc" not in {key.lower() for key in received.message}


def test_a_name_with_line_breaks_cannot_add_headers_or_recipients(
        service: IssuerService, smtp_server: SmtpServer) -> None:
    issued = issue(service, "victime@example.org", "Camille\r\nBcc: espion@example.net")
    queue(service, issued)
    mail.deliver_pending(service)
    [received] = smtp_server.received
    assert received.rcpt_tos == ["victime@example.org"]
    assert received.message["Bcc"] is None
    assert "espion@example.net" not in received.message["To"].addresses[0].addr_spec


def test_queueing_the_same_badge_twice_sends_one_email(service: IssuerService,
                                                       smtp_server: SmtpServer) -> None:
    issued = issue(service, "camille@example.org")
    first, second = queue(service, issued), queue(service, issued)
    assert first.id == second.id
    mail.deliver_pending(service)
    assert queue(service, issued).id == first.id  # already sent: still nothing new
    assert mail.deliver_pending(service).total == 0
    assert len(smtp_server.received) == 1


def test_resend_sends_the_badge_email_again(service: IssuerService,
                                            smtp_server: SmtpServer) -> None:
    issued = issue(service, "camille@example.org")
    first = queue(service, issued)
    mail.deliver_pending(service)

    again = mail.resend(service, issued.credential_id, actor="coordinatrice@ville-roubaix.fr",
                        origin="192.0.2.7")

    assert again.id != first.id and again.status == "sent"
    assert len(smtp_server.received) == 2
    queued_again = [entry for entry in audit(service) if entry.action == "email.queued"][-1]
    assert queued_again.actor == "coordinatrice@ville-roubaix.fr"
    assert queued_again.origin == "192.0.2.7"
    assert queued_again.details == {"kind": "badge", "message": again.id, "resend": True}


def test_revoked_badge_is_neither_queued_nor_sent(service: IssuerService,
                                                  smtp_server: SmtpServer) -> None:
    queued_before = queue(service, issue(service, "camille@example.org"))
    service.revoke(queued_before.credential_id or "", "erreur de saisie")

    report = mail.deliver_pending(service)

    assert report.failed == [queued_before.id]
    stored = row(service, queued_before.id)
    assert stored.status == "failed" and stored.next_attempt_at is None
    assert stored.last_error and stored.last_error.startswith("mail.badge_revoked")
    assert smtp_server.received == []
    other = issue(service, "dominique@example.org")
    service.revoke(other.credential_id, "erreur")
    with pytest.raises(mail.MailError) as refused, service.database.session() as session:
        mail.queue_badge_email(service, session, other.credential_id)
    assert refused.value.code == "mail.badge_revoked"


# --- failures and retries ----------------------------------------------------------------------

def test_unknown_mailbox_is_a_permanent_failure_shown_and_not_retried(
        service: IssuerService, smtp_server: SmtpServer) -> None:
    bounced = queue(service, issue(service, BOUNCING, "Personne Inconnue"))
    fine = queue(service, issue(service, "camille@example.org"))

    report = mail.deliver_pending(service)

    assert report.failed == [bounced.id] and report.sent == [fine.id]
    stored = row(service, bounced.id)
    assert stored.status == "failed" and stored.attempts == 1
    assert stored.next_attempt_at is None  # a bounce: only a person decides to try again
    assert stored.last_error and stored.last_error.startswith("mail.bounced")
    assert "550" in stored.last_error
    later = datetime.now(UTC) + timedelta(days=3)
    assert mail.retry_due(service, now=later).total == 0
    [failure] = [entry for entry in audit(service) if entry.action == "email.failed"]
    assert failure.details == {"attempt": 1, "error": "mail.bounced", "kind": "badge",
                               "message": bounced.id, "retry": False, "smtp_code": 550}
    with service.database.session(read_only=True) as session:
        assert mail.status_counts(session) == {"queued": 0, "sent": 1, "failed": 1, "outbox": 0}


def test_server_down_then_back_up_retry_sends_the_message_once(tmp_path: Path) -> None:
    port = free_port()
    service = make_service(tmp_path / "home", smtp_port=port)
    queued = queue(service, issue(service, "camille@example.org"))
    start = datetime.now(UTC)

    assert mail.deliver_pending(service, now=start).failed == [queued.id]

    stored = row(service, queued.id)
    assert stored.status == "failed" and stored.attempts == 1
    assert stored.next_attempt_at == start + timedelta(minutes=5)
    assert stored.last_error and stored.last_error.startswith("mail.smtp_unreachable")
    assert mail.retry_due(service, now=start + timedelta(minutes=4)).total == 0  # not yet due

    server = SmtpServer(port)
    server.start()
    try:
        report = mail.retry_due(service, now=stored.next_attempt_at)
        assert report.sent == [queued.id]
        assert mail.retry_due(service, now=start + timedelta(days=1)).total == 0
        assert len(server.received) == 1
    finally:
        server.stop()
    stored = row(service, queued.id)
    assert stored.status == "sent" and stored.attempts == 2 and stored.next_attempt_at is None
    assert [entry.action for entry in audit(service)] == ["email.queued", "email.failed",
                                                           "email.sent"]
    service.database.dispose()


def test_an_unreachable_server_fails_the_whole_batch_at_once(tmp_path: Path) -> None:
    service = make_service(tmp_path / "home", smtp_port=free_port())
    for number in range(3):
        queue(service, issue(service, f"p{number}@example.org"))
    report = mail.deliver_pending(service)
    assert len(report.failed) == 3
    service.database.dispose()


def test_retry_delays_grow_exponentially_up_to_a_cap() -> None:
    delays = [retry_delay(attempts) for attempts in range(1, MAX_ATTEMPTS + 1)]
    assert delays[:4] == [timedelta(minutes=5), timedelta(minutes=10), timedelta(minutes=20),
                          timedelta(minutes=40)]
    assert max(delays) == timedelta(hours=6) == delays[-1]
    assert delays == sorted(delays)


def test_a_message_stops_being_retried_after_the_last_attempt(tmp_path: Path) -> None:
    service = make_service(tmp_path / "home", smtp_port=free_port())
    queued = queue(service, issue(service, "camille@example.org"))
    moment = datetime.now(UTC)
    for _attempt in range(MAX_ATTEMPTS):
        mail.retry_due(service, now=moment)
        moment = row(service, queued.id).next_attempt_at or moment
    stored = row(service, queued.id)
    assert stored.attempts == MAX_ATTEMPTS and stored.next_attempt_at is None
    assert mail.retry_due(service, now=moment + timedelta(days=30)).total == 0
    service.database.dispose()


def test_two_deliveries_running_at_once_send_each_message_once(
        service_on: IssuerService, smtp_server: SmtpServer) -> None:
    service = service_on
    queued = [queue(service, issue(service, f"p{number}@example.org")).id for number in range(12)]
    reports: list[mail.DeliveryReport] = []

    def deliver() -> None:
        reports.append(mail.deliver_pending(IssuerService(service.settings)))

    workers = [threading.Thread(target=deliver) for _ in range(2)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=60)
    assert sorted(reports[0].sent + reports[1].sent) == sorted(queued)
    assert sorted(rcpt for received in smtp_server.received for rcpt in received.rcpt_tos) == \
        sorted(f"p{number}@example.org" for number in range(12))


@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")
def test_smtp_login_is_used_when_configured(tmp_path: Path) -> None:
    logins: list[tuple[bytes, bytes]] = []

    def authenticator(server: Any, session: Any, envelope: Any, mechanism: str,
                      auth_data: Any) -> AuthResult:
        assert isinstance(auth_data, LoginPassword)
        logins.append((auth_data.login, auth_data.password))
        return AuthResult(success=auth_data.password == b"s3cret", handled=False)

    server = SmtpServer(free_port(), authenticator=authenticator, auth_required=True,
                        auth_require_tls=False)
    server.start()
    try:
        service = make_service(tmp_path / "home", smtp_port=server.port,
                               smtp_username="badges", smtp_password="wrong")
        queued = queue(service, issue(service, "camille@example.org"))
        mail.deliver_pending(service)
        stored = row(service, queued.id)
        # A refused login is the set-up's fault, not the message's: kept for a retry.
        assert stored.status == "failed" and stored.next_attempt_at is not None
        assert stored.last_error and "535" in stored.last_error

        fixed = make_service(tmp_path / "home", smtp_port=server.port,
                             smtp_username="badges", smtp_password="s3cret")
        assert mail.retry_due(fixed, now=stored.next_attempt_at).sent == [queued.id]
        assert logins[-1] == (b"badges", b"s3cret") and len(server.received) == 1
    finally:
        server.stop()


# --- without SMTP: the outbox ------------------------------------------------------------------

def test_without_smtp_settings_messages_go_to_the_outbox_as_eml_files(tmp_path: Path) -> None:
    service = make_service(tmp_path / "home")
    issued = issue(service, "camille@example.org")
    queued = queue(service, issued)

    report = mail.deliver_pending(service)

    assert report.outbox == [queued.id]
    stored = row(service, queued.id)
    assert stored.status == "outbox" and stored.outbox_file == f"{queued.id}.eml"
    path = service.settings.var_dir / "outbox" / f"{queued.id}.eml"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    with path.open("rb") as handle:
        message = BytesParser(policy=policy.default).parse(handle)
    assert message["To"].addresses[0].addr_spec == "camille@example.org"
    assert message["Subject"].startswith("Votre badge numérique")
    text, html = parts(message)  # type: ignore[arg-type]
    assert issued.url in text and issued.url in html
    _row, read_back = mail.outbox_message(service, queued.id)
    assert read_back["Message-ID"] == message["Message-ID"]
    assert [entry.action for entry in audit(service)] == ["email.queued", "email.outbox"]


# --- invitations -------------------------------------------------------------------------------

def test_invitation_email_carries_the_link_and_its_expiry_and_is_never_audited_with_it(
        service: IssuerService, smtp_server: SmtpServer) -> None:
    link = f"{BASE_URL}/admin/invitation/secret-token-123"
    expires = datetime(2026, 3, 14, 17, 30, tzinfo=UTC)
    with service.database.session() as session:
        queued = mail.queue_invitation(
            service, session, to="Nouvelle.Coordinatrice@Ville-Roubaix.example",
            display_name="Nouvelle Coordinatrice", invitation_url=link, expires_at=expires,
            invited_by="Admin Principal", user_id="user-42", actor="admin@ville-roubaix.fr")
    spool = service.settings.var_dir / "mail-queue" / f"{queued.id}.eml"
    assert spool.exists()

    assert mail.deliver_pending(service).sent == [queued.id]

    [received] = smtp_server.received
    assert received.rcpt_tos == ["nouvelle.coordinatrice@ville-roubaix.example"]
    message = received.message
    assert message["Subject"] == ("Invitation à l'espace de travail des badges numériques / "
                                  "Invitation to the digital badges workspace")
    text, html = parts(message)
    for body in (text, html):
        assert body.count(link) >= 2
        assert "14 mars 2026 à 18:30" in body and "14 March 2026 at 18:30" in body
        assert "Admin Principal" in body
    assert not spool.exists()  # the only other copy of the token is gone
    for entry in audit(service):
        assert "secret-token-123" not in json.dumps(entry.details)
        assert "coordinatrice" not in (entry.subject + json.dumps(entry.details)).lower()
    assert audit(service)[0].subject == "user-42"


def test_a_delivered_invitation_cannot_be_resent(service: IssuerService) -> None:
    with service.database.session() as session:
        queued = mail.queue_invitation(
            service, session, to="coord@example.org", display_name=None,
            invitation_url=f"{BASE_URL}/admin/invitation/abc",
            expires_at=datetime.now(UTC) + timedelta(days=7))
    mail.deliver_pending(service)
    with pytest.raises(mail.MailError) as refused:
        mail.resend_message(service, queued.id)
    assert refused.value.code == "mail.invitation_already_sent"


# --- erasure -----------------------------------------------------------------------------------

def test_erasing_a_person_removes_their_messages_and_outbox_files(tmp_path: Path) -> None:
    service = make_service(tmp_path / "home")
    queued = queue(service, issue(service, "Camille@Example.org"))
    kept = queue(service, issue(service, "dominique@example.org"))
    mail.deliver_pending(service)
    with service.database.session() as session:
        assert mail.erase_messages_to(service, session, "camille@example.org") == 1
    assert not (service.settings.var_dir / "outbox" / f"{queued.id}.eml").exists()
    assert (service.settings.var_dir / "outbox" / f"{kept.id}.eml").exists()
    with pytest.raises(mail.MailError):
        mail.get_message(service, queued.id)


# --- the command line --------------------------------------------------------------------------

def test_cli_mail_retry_sends_what_is_due(tmp_path: Path, smtp_server: SmtpServer,
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    home = tmp_path / "home"
    service = make_service(home)
    queued = queue(service, issue(service, "camille@example.org"))
    for variable, value in {"ISSUER_HOME": str(home), "ISSUER_BASE_URL": BASE_URL,
                            "ISSUER_SMTP_HOST": "127.0.0.1",
                            "ISSUER_SMTP_PORT": str(smtp_server.port),
                            "ISSUER_SMTP_STARTTLS": "false"}.items():
        monkeypatch.setenv(variable, value)
    monkeypatch.setattr(cli_context, "LOCALE", "fr")  # read once at import, from the shell's language

    result = CliRunner().invoke(cli_main, ["mail", "retry"])

    assert result.exit_code == 0, result.output
    assert "1 envoyés, 0 écrits dans la boîte d'envoi, 0 non distribués" in result.output
    assert row(service, queued.id).status == "sent"
    assert len(smtp_server.received) == 1


# --- the admin page, /admin/courriels ------------------------------------------------------------

@pytest.fixture
def admin_on_smtp(tmp_path: Path, smtp_server: SmtpServer,
                  monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Any, IssuerService]]:
    monkeypatch.setenv("ISSUER_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("ISSUER_SMTP_PORT", str(smtp_server.port))
    monkeypatch.setenv("ISSUER_SMTP_STARTTLS", "false")
    app, city = build_admin_app(tmp_path / "admin-home")
    yield app, city
    city.database.dispose()


def test_mail_page_needs_a_signed_in_coordinator(admin_on_smtp: tuple[Any, IssuerService]) -> None:
    from fastapi.testclient import TestClient
    app, _city = admin_on_smtp
    with TestClient(app, base_url=BASE_URL, follow_redirects=False) as stranger:
        assert stranger.get("/admin/courriels").status_code == 303
        assert stranger.post("/admin/courriels/relancer").status_code == 403


def test_coordinator_sees_a_bounce_and_resends_it_from_the_page(
        admin_on_smtp: tuple[Any, IssuerService], signed_in_client: Any,
        smtp_server: SmtpServer) -> None:
    app, city = admin_on_smtp
    client = signed_in_client(app)
    bounced = queue(city, issue(city, BOUNCING, "Personne Inconnue"))
    mail.deliver_pending(city)

    page = client.get("/admin/courriels")
    assert page.status_code == 200
    assert BOUNCING in page.text and "Non distribués : 1" in page.text
    assert f'action="/admin/courriels/{bounced.id}/renvoyer"' in page.text

    smtp_server.mailbox.refused.clear()  # the mailbox now exists
    response = client.post(f"/admin/courriels/{bounced.id}/renvoyer")
    assert response.status_code == 303
    assert response.headers["location"] == f"/admin/courriels/{bounced.id}?renvoi=sent"
    assert client.get(response.headers["location"]).text.count("Le courriel a été renvoyé.") == 1
    assert row(city, bounced.id).status == "sent" and len(smtp_server.received) == 1
    [resent] = [entry for entry in audit(city) if entry.action == "email.sent"]
    assert resent.actor == client.admin_user.email and resent.origin


def test_retry_all_button_sends_what_is_due(admin_on_smtp: tuple[Any, IssuerService],
                                            signed_in_client: Any,
                                            smtp_server: SmtpServer) -> None:
    app, city = admin_on_smtp
    client = signed_in_client(app)
    queue(city, issue(city, "camille@example.org"))
    response = client.post("/admin/courriels/relancer")
    assert response.status_code == 303
    assert response.headers["location"] == "/admin/courriels?envoyes=1&boite=0&echecs=0"
    assert "1 envoyés, 0 écrits dans la boîte d'envoi" in client.get(
        response.headers["location"]).text
    assert len(smtp_server.received) == 1


def test_coordinator_reads_and_downloads_an_outbox_message(
        tmp_path: Path, signed_in_client: Any) -> None:
    app, city = build_admin_app(tmp_path / "outbox-home")
    try:
        # The badge e-mail carries the holder's one-time wallet link (issue #12): only an
        # administrator reads it (issuer.workspace.outbox); a coordinator sees it withheld.
        coordinator = signed_in_client(app)
        client = signed_in_client(app, "administrator")
        issued = issue(city, "camille@example.org")
        queued = queue(city, issued)
        mail.deliver_pending(city)

        listing = client.get("/admin/courriels")
        assert "Aucun serveur de messagerie n'est configuré" in listing.text
        assert f'href="/admin/courriels/{queued.id}"' in listing.text
        page = client.get(f"/admin/courriels/{queued.id}")
        assert page.status_code == 200 and issued.url in page.text
        assert "Bonjour Camille Martin" in page.text
        download = client.get(f"/admin/courriels/{queued.id}/message.eml")
        assert download.headers["content-type"].startswith("message/rfc822")
        parsed = BytesParser(policy=policy.default).parsebytes(download.content)
        assert parsed["To"].addresses[0].addr_spec == "camille@example.org"
        assert client.get("/admin/courriels/not-an-id").status_code == 404
        assert coordinator.get(f"/admin/courriels/{queued.id}/message.eml").status_code == 403
    finally:
        city.database.dispose()


# --- the endorsement e-mail (issue #5, item 5) ----------------------------------------------------

def test_the_holder_is_told_by_email_when_a_peers_endorsement_is_published(
        service: IssuerService, smtp_server: SmtpServer) -> None:
    from issuer.network import endorsements
    from issuer.network.skill_badges import SkillEvidence, create_skill_badge, issue_skill_badge

    for code in ("ACC-01", "CYB-01"):
        create_skill_badge(service, "skill", code, actor="coord@example.org")
    given = SkillEvidence(narrative="Observé en atelier.")
    camille = issue_skill_badge(service, "competence-acc-01", email="camille@example.org",
                                name="Camille Martin", given=given, actor="coord@example.org",
                                send_email=False)
    sacha = issue_skill_badge(service, "competence-cyb-01", email="sacha@example.org",
                              name="Sacha Exemple", given=given, actor="coord@example.org",
                              send_email=False)
    with service.database.session(read_only=True) as session:
        from issuer.storage.models import IssuedCredential

        sacha_id = session.get(IssuedCredential, sacha.credential_id).recipient_id
    comment = "Camille accueille chaque habitant avec patience, j'en suis témoin."
    view = endorsements.request_endorsement(service, sacha_id, camille.credential_id, comment,
                                            endorser_name="Sacha E.")
    assert smtp_server.received == []  # nothing is sent for a request that waits
    endorsements.approve_endorsement(service, view.id, actor="coord@example.org")
    mail.deliver_pending(service)

    [received] = smtp_server.received
    assert received.rcpt_tos == ["camille@example.org"]  # the holder, not the endorser
    message = received.message
    assert message["Subject"] == ("Un·e pair·e a recommandé votre badge / "
                                  "A peer endorsed your badge")
    text, html = parts(message)
    for body in (text, unescape(html)):
        assert body.index("Bonjour Camille Martin") < body.index("Hello Camille Martin")
        assert "Sacha E., médiatrice ou médiateur numérique du réseau" in body
        assert comment in body
        assert f"{BASE_URL}/recommandations/{view.id}" in body
        assert f"{BASE_URL}/credentials/{camille.credential_id}" in body
        assert "sacha@example.org" not in body
    actions = [(entry.action, entry.subject) for entry in audit(service)]
    # Under the endorsed badge, like its other e-mails (pseudonymous ids only).
    assert actions[-2:] == [("email.queued", camille.credential_id),
                            ("email.sent", camille.credential_id)]
