"""No one reads another person's secret link (issue #10, item 1).

In outbox mode (no SMTP server, the default) an administrator invites a new administrator and
a mediator asks for a sign-in link to "Mon espace": both e-mails, with their one-time tokens,
sit in var/outbox/. A coordinator then walks every page and download of /admin (following
every link, plus each message's page and file, each person's export, the journal and its CSV)
and must find neither token; anything that looks like a personal link is tried, and must open
nothing. An administrator reads the same messages, and each reading is in the journal.
"""

from __future__ import annotations

import json
import re
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from html import unescape
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from httpx import Response
from sqlalchemy import select
from starlette.routing import Match, Route

from issuer import mail
from issuer.issuance.issue_requests import IssueRequest
from issuer.issuance.service import IssuerService
from issuer.one_time_links import HIDDEN_LINK, hide_personal_links, loggable_path
from issuer.storage.models import AuditEntry, Recipient
from issuer.storage.workspace_models import EmailMessage as MessageRow
from issuer.workspace.outbox import SECRET_READ_ACTION, carries_secret
from tests.plugins.admin import BASE_URL

BREAKFAST = "petit-dejeuner-inclusion-numerique"
MEDIATOR = "camille.mediatrice@example.org"
NEW_ADMIN = "nouvelle.admin@ville-roubaix.example"
TOKEN_IN_TEXT = re.compile(r"/(admin/invitation|espace/lien|portefeuille/lien)/([A-Za-z0-9_\-%.~]+)")
# Anything a page could hold that looks like one of those links, however it was written.
LINK_LIKE = re.compile(r"(?:admin/invitation|espace/lien|portefeuille/lien)/([^\s\"'<>&]+)")

# GET routes of /admin that the coordinator's walk may not reach with this test's data, and
# why none of them can show an e-mail's content. A new GET route fails this test until it is
# either reached by the walk or listed here with its reason.
NOT_REACHED_AND_WHY = {
    "admin_sign_in": "the sign-in form (no session needed)",
    "admin_invitation": "takes the invitation token itself; never linked from the workspace",
    "admin_council_action": "a CLN mandate's confirmation form: a name and a mandate",
    "admin_skill_domain_action": "a catalogue edit confirmation: codes and names",
    "admin_skill_action": "a catalogue edit confirmation: codes and names",
    "admin_skill_badge": "a skill badge's settings: catalogue data",
    "admin_event": "an event's attendance list (names, addresses, no e-mail body)",
    "admin_claim_qr": "the claim QR code (a shared link, shown to the room on purpose)",
    "admin_claim_screen": "the claim screen (a shared link, shown to the room on purpose)",
}


def _parse_eml(raw: bytes) -> EmailMessage:
    parsed = BytesParser(policy=policy.default).parsebytes(raw)
    assert isinstance(parsed, EmailMessage)
    return parsed


def _texts(message: EmailMessage) -> list[str]:
    return [str(part.get_content()) for part in message.walk()  # type: ignore[attr-defined]
            if part.get_content_maintype() == "text"]


def stored_tokens(service: IssuerService) -> dict[str, set[str]]:
    """The tokens the server wrote, read from its own outbox files: path prefix -> tokens."""
    found: dict[str, set[str]] = {"admin/invitation": set(), "espace/lien": set(),
                                  "portefeuille/lien": set()}
    for path in (service.settings.var_dir / "outbox").glob("*.eml"):
        for text in _texts(_parse_eml(path.read_bytes())):
            for prefix, token in TOKEN_IN_TEXT.findall(text):
                found[prefix].add(token)
    return found


def readable(response: Response) -> str:
    """Everything a person could read in a response: its bytes as text and, for an e-mail
    file, each decoded part (quoted-printable would hide a token from a plain search)."""
    texts = [response.content.decode("utf-8", "replace"), unescape(response.text)]
    if response.headers.get("content-type", "").startswith("message/rfc822"):
        texts += _texts(_parse_eml(response.content))
    return "\n".join(texts)


class Walk:
    """A coordinator following every /admin link from the dashboard (GET only)."""

    def __init__(self, client: TestClient, app: FastAPI) -> None:
        self.client = client
        self.routes = [route for route in app.routes if isinstance(route, Route)]
        self.seen: dict[str, Response] = {}

    def visit(self, paths: list[str], limit: int = 400) -> None:
        queue = list(paths)
        while queue and len(self.seen) < limit:
            path = queue.pop(0)
            if path in self.seen:
                continue
            response = self.client.get(path)
            self.seen[path] = response
            if "text/html" in response.headers.get("content-type", ""):
                for href in re.findall(r'href="([^"#]+)', response.text):
                    href = unescape(href)
                    if href.startswith("/admin") and href not in self.seen:
                        queue.append(href)

    def route_names(self) -> set[str]:
        names = set()
        for path in self.seen:
            scope = {"type": "http", "path": urlsplit(path).path, "method": "GET"}
            for route in self.routes:
                if route.matches(scope)[0] == Match.FULL:
                    names.add(route.name)
                    break
        return names


@pytest.fixture
def outbox_app(admin_app: tuple[FastAPI, IssuerService]) -> tuple[FastAPI, IssuerService]:
    """Outbox mode (the fixture's settings have no SMTP server): one badge e-mail, one
    invitation of a new administrator, one sign-in link of a mediator."""
    app, city = admin_app
    assert not city.settings.smtp_host
    issued = city.issue(IssueRequest(BREAKFAST, MEDIATOR, "Camille Médiatrice", event_number=7,
                                     role="intervenant"))
    with city.database.session() as session:
        mail.queue_badge_email(city, session, issued.credential_id)
    mail.deliver_pending(city)
    return app, city


def invite_administrator(app: FastAPI, signed_in_client: Any) -> TestClient:
    admin = signed_in_client(app, role="administrator")
    answer = admin.post("/admin/comptes/inviter", data={
        "email": NEW_ADMIN, "name": "Nouvelle Admin", "role": "administrator"})
    assert answer.status_code == 200, answer.text[:500]
    return admin


def ask_sign_in_link(app: FastAPI) -> None:
    with TestClient(app, base_url=BASE_URL, follow_redirects=False) as visitor:
        assert visitor.post("/espace/connexion", data={"email": MEDIATOR}).status_code == 303


def secret_rows(service: IssuerService) -> list[MessageRow]:
    with service.database.session(read_only=True) as session:
        rows = list(session.scalars(select(MessageRow)))
    return [row for row in rows if carries_secret(row.kind)]


def audit_lines(service: IssuerService, action: str) -> list[AuditEntry]:
    with service.database.session(read_only=True) as session:
        return list(session.scalars(select(AuditEntry).where(AuditEntry.action == action)))


def test_a_coordinator_finds_no_usable_invitation_or_sign_in_link_anywhere(
        outbox_app: tuple[FastAPI, IssuerService], signed_in_client: Any) -> None:
    app, city = outbox_app
    invite_administrator(app, signed_in_client)
    ask_sign_in_link(app)
    tokens = stored_tokens(city)
    assert len(tokens["admin/invitation"]) == 1 and len(tokens["espace/lien"]) == 1
    secret = secret_rows(city)
    assert {row.kind for row in secret} == {"invitation", "sign-in"}
    assert all(row.status == "outbox" for row in secret)

    coordinator = signed_in_client(app)
    walk = Walk(coordinator, app)
    with city.database.session(read_only=True) as session:
        messages = list(session.scalars(select(MessageRow.id)))
        people = list(session.scalars(select(Recipient.id)))
    walk.visit(["/admin", "/admin/courriels", "/admin/journal", "/admin/journal.csv",
                "/admin/personnes?q=Camille", "/admin/comptes", "/admin/competences/badges",
                *[f"/admin/personnes/{person}" for person in people],
                *[f"/admin/courriels/{message_id}" for message_id in messages],
                *[f"/admin/courriels/{message_id}/message.eml" for message_id in messages],
                *[f"/admin/personnes/{person}/export.json" for person in people]])

    unreached = {route.name for route in walk.routes
                 if route.path.startswith("/admin") and "GET" in (route.methods or ())
                 } - walk.route_names() - set(NOT_REACHED_AND_WHY)
    assert not unreached, f"pages the walk did not open: {sorted(unreached)}"
    assert not [path for path, answer in walk.seen.items() if answer.status_code >= 500]

    everything = "\n".join(readable(answer) for answer in walk.seen.values())
    for token in set().union(*tokens.values()):
        assert token not in everything
    # The secret messages are listed, but neither their text nor their file is served.
    for row in secret:
        assert walk.seen[f"/admin/courriels/{row.id}"].status_code == 200
        assert walk.seen[f"/admin/courriels/{row.id}/message.eml"].status_code == 403
        assert "seul un administrateur peut le lire" in walk.seen[
            f"/admin/courriels/{row.id}/message.eml"].text
    # The badge e-mail now carries the holder's one-time wallet link (issue #12): it is
    # withheld from a coordinator like the other personal messages.
    assert len(tokens["portefeuille/lien"]) == 1
    badge_pages = [answer for path, answer in walk.seen.items()
                   if path.endswith(".eml") and answer.status_code == 200]
    assert badge_pages == []

    # Whatever looks like a personal link opens nothing.
    candidates = set(LINK_LIKE.findall(everything)) | {HIDDEN_LINK}
    with TestClient(app, base_url=BASE_URL, follow_redirects=False) as thief:
        for candidate in candidates:
            assert thief.get(f"/admin/invitation/{candidate}").status_code == 404
            opened = thief.post(f"/espace/lien/{candidate}")
            assert opened.headers.get("location") != "/espace"
            assert not any("mediator_session" in name for name in thief.cookies)
            assert thief.post(f"/portefeuille/lien/{candidate}").status_code == 404
    assert not audit_lines(city, "mediator.signed_in") and not audit_lines(city,
                                                                           "account.activated")
    assert not audit_lines(city, SECRET_READ_ACTION)


def test_an_administrator_reads_the_links_and_each_reading_is_audited(
        outbox_app: tuple[FastAPI, IssuerService], signed_in_client: Any) -> None:
    app, city = outbox_app
    admin = invite_administrator(app, signed_in_client)
    ask_sign_in_link(app)
    tokens = stored_tokens(city)
    [invitation] = tokens["admin/invitation"]
    [sign_in] = tokens["espace/lien"]
    rows = {row.kind: row for row in secret_rows(city)}

    page = admin.get(f"/admin/courriels/{rows['invitation'].id}")
    assert page.status_code == 200 and invitation in page.text
    assert "Votre lecture est inscrite au journal" in page.text
    file = admin.get(f"/admin/courriels/{rows['sign-in'].id}/message.eml")
    assert file.status_code == 200 and sign_in in readable(file)

    readings = audit_lines(city, SECRET_READ_ACTION)
    assert [(line.actor, line.subject, line.details) for line in readings] == [
        (admin.admin_user.email, rows["invitation"].id,
         {"message": rows["invitation"].id, "kind": "invitation", "as": "page"}),
        (admin.admin_user.email, rows["sign-in"].id,
         {"message": rows["sign-in"].id, "kind": "sign-in", "as": "file"})]
    assert all(line.origin for line in readings)
    for line in audit_lines(city, SECRET_READ_ACTION):
        assert invitation not in json.dumps(line.details) and sign_in not in json.dumps(
            line.details)
    # The link the administrator passes on still works, once.
    with TestClient(app, base_url=BASE_URL, follow_redirects=False) as mediator:
        assert mediator.post(f"/espace/lien/{sign_in}").headers["location"] == "/espace"


def test_a_personal_link_in_an_open_kind_of_message_is_hidden_from_a_coordinator(
        outbox_app: tuple[FastAPI, IssuerService], signed_in_client: Any) -> None:
    """Belt and braces: the content decides too, not only the kind."""
    app, city = outbox_app
    with city.database.session(read_only=True) as session:
        badge = session.scalars(select(MessageRow).where(MessageRow.kind == "badge")).one()
    path = city.settings.var_dir / "outbox" / f"{badge.id}.eml"
    message = _parse_eml(path.read_bytes())
    body = message.get_body(("plain",))
    assert body is not None
    body.set_content(str(body.get_content())  # type: ignore[attr-defined]
                     + f"\n{BASE_URL}/espace/lien/planted-token-42\n", cte="quoted-printable")
    path.write_bytes(message.as_bytes())

    coordinator = signed_in_client(app)
    assert coordinator.get(f"/admin/courriels/{badge.id}/message.eml").status_code == 403
    page = coordinator.get(f"/admin/courriels/{badge.id}")
    assert page.status_code == 200 and "planted-token-42" not in page.text


def test_unknown_kinds_are_secret_until_declared_open() -> None:
    assert not carries_secret("badge") and not carries_secret("endorsement")
    assert carries_secret("invitation") and carries_secret("sign-in")
    assert carries_secret("wallet-offer")


def test_hiding_personal_links_keeps_the_rest_of_the_text() -> None:
    text = ("Votre lien : https://badges.example.org/espace/lien/Ab_3-x%2F?q=1 ; "
            "badge : https://badges.example.org/credentials/urn:uuid:1 ; "
            "invitation : /admin/invitation/tok.en~1.")
    hidden = hide_personal_links(text)
    assert "Ab_3" not in hidden and "tok.en" not in hidden
    assert hidden.count(HIDDEN_LINK) == 2
    assert "https://badges.example.org/credentials/urn:uuid:1" in hidden
    assert loggable_path("/reclamer/abc123/enregistree") == "/reclamer/{token}/enregistree"
    assert (loggable_path("/badges/espace/lien/abc?suivant=/admin/invitation/def&x=1")
            == "/badges/espace/lien/{token}?suivant=/admin/invitation/{token}&x=1")
    assert loggable_path("/competences/ACC-01?page=2") == "/competences/ACC-01?page=2"


def _token_routes(app: FastAPI) -> list[str]:
    return [route.path for route in app.routes
            if isinstance(route, Route) and "{token" in route.path]


def test_every_route_taking_a_token_is_a_known_one_time_link(
        admin_app: tuple[FastAPI, IssuerService]) -> None:
    app, _city = admin_app
    paths = _token_routes(app)
    assert paths
    for path in paths:
        concrete = path.replace("{token}", "S3cr3t-T0ken_value")
        assert "S3cr3t" not in loggable_path(concrete), path
        assert loggable_path(concrete) == path


def test_the_web_reads_the_outbox_only_through_the_reading_rules() -> None:
    """No page may open an outbox or spool file by itself (and so skip issuer.workspace.outbox):
    what the walk above cannot reach, this catches."""
    web = Path(__file__).resolve().parent.parent / "issuer" / "web"
    readers = [path.relative_to(web).as_posix() for path in web.rglob("*.py")
               if re.search(r"outbox_message|outbox_dir|SPOOL_FOLDER|mail-queue|\.eml\b",
                            path.read_text("utf-8"))]
    assert readers == ["admin/mail.py"]
    source = (web / "admin" / "mail.py").read_text("utf-8")
    assert "outbox_message" not in source and "outbox_dir" not in source
