"""The dashboard /admin and the audit trail /admin/journal (issue #4 items 9 and 10), through
the pages a signed-in coordinator sees."""

from __future__ import annotations

import csv
import io
import re
import uuid
from datetime import UTC, date, datetime, timedelta
from html import unescape

from sqlalchemy import select
from starlette.routing import Route

from issuer.issuance.service import IssueRequest
from issuer.storage.models import AuditEntry
from issuer.storage.repositories import record_audit
from issuer.storage.workspace_models import ClaimRequest, ClnMember, EmailMessage
from issuer.web.admin.audit import PAGE_SIZE
from issuer.workspace import events
from issuer.workspace.audit_trail import CSV_COLUMNS


def add_rows(service, *rows) -> None:
    with service.database.session() as session:
        session.add_all(rows)


def test_dashboard_counts_badges_events_sectors_claims_and_failed_emails(admin_app,
                                                                       signed_in_client) -> None:
    app, service = admin_app
    for email in ("a@example.org", "b@example.org"):
        service.issue(IssueRequest("petit-dejeuner-inclusion-numerique", email, "Personne",
                                   event_number=7, role="participant"))
    revoked = service.issue(IssueRequest("petit-dejeuner-inclusion-numerique", "c@example.org",
                                         "Personne", event_number=7, role="intervenant"))
    service.revoke(revoked.credential_id, "erreur de saisie")
    add_rows(service,
             *[ClnMember(id=str(uuid.uuid4()), name=f"Membre {n}", email=f"m{n}@example.org",
                         sector=sector, role="conseiller", mandate_start=date(2025, 7, 11),
                         mandate_end=date(2027, 7, 10), status=status)
               for n, (sector, status) in enumerate([("Nord", "active"), ("Nord", "active"),
                                                      ("Sud", "active"), ("Est", "resigned")])],
             ClaimRequest(event_family="petit-dejeuner-inclusion-numerique", event_number=7,
                          name="Qui", email="qui@example.org", status="pending"),
             ClaimRequest(event_family="petit-dejeuner-inclusion-numerique", event_number=7,
                          name="Déjà", email="deja@example.org", status="approved"),
             EmailMessage(id=str(uuid.uuid4()), kind="badge", to_address="a@example.org",
                          subject="Votre badge", status="failed", attempts=3,
                          last_error="550 boîte inconnue"),
             EmailMessage(id=str(uuid.uuid4()), kind="badge", to_address="b@example.org",
                          subject="Votre badge", status="sent", attempts=1))
    client = signed_in_client(app)
    page = client.get("/admin", headers={"accept-language": "fr"})
    assert page.status_code == 200
    text = unescape(" ".join(page.text.split()))
    assert "<strong>3</strong> badges délivrés" in text
    assert "<strong>1</strong> demandes en attente de validation" in text
    assert "<strong>1</strong> e-mails non distribués" in text
    # Per badge: 3 issued, 1 revoked, 2 valid.
    assert "<td>3</td><td>1</td><td>2</td>" in text
    # Per event: edition 7 has 2 valid badges and 1 claim waiting.
    assert '/admin/evenements/petit-dejeuner-inclusion-numerique/7"' in text
    assert "<td>0</td><td>2</td><td>1</td>" in text
    # Per sector (active mandates only): Nord 2, Sud 1, Est 0.
    assert '<th scope="row">Nord</th><td>2</td>' in text
    assert '<th scope="row">Sud</th><td>1</td>' in text
    assert '<th scope="row">Est</th><td>0</td>' in text
    assert "550 boîte inconnue" in text
    # Last actions come from the audit trail (the revocation and the sign-in).
    assert "login.succeeded" in text and "<code>revoke" in text.replace("<code>credential.", "<code>")


def test_empty_dashboard_opens_on_a_new_installation(admin_app, signed_in_client) -> None:
    app, _service = admin_app
    page = signed_in_client(app).get("/admin")
    assert page.status_code == 200 and "<h1>" in page.text


def _fill_audit(service, count: int, *, start: datetime, step: timedelta = timedelta(minutes=1)
                ) -> None:
    with service.database.session() as session:
        for number in range(count):
            session.add(AuditEntry(at=start + step * number, actor="cli",
                                   action="credential.issued" if number % 2 else "credential.revoked",
                                   subject=f"urn:uuid:{number:04d}", origin="192.0.2.1",
                                   details_json=f'{{"n": {number}}}'))


def test_journal_pages_and_filters_by_action_actor_and_dates(admin_app, signed_in_client) -> None:
    app, service = admin_app
    client = signed_in_client(app)
    _fill_audit(service, PAGE_SIZE + 10, start=datetime(2025, 3, 1, 8, 0, tzinfo=UTC))
    first = client.get("/admin/journal")
    assert first.status_code == 200
    assert first.text.count("<tr>") - 1 == PAGE_SIZE  # the header row aside
    assert 'rel="next"' in first.text
    second = client.get("/admin/journal?page=2")
    assert "urn:uuid:0000" in second.text and 'rel="prev"' in second.text

    only_revoked = client.get("/admin/journal?action=credential.revoked")
    assert "credential.issued</code>" not in only_revoked.text
    assert "urn:uuid:0002" in only_revoked.text

    me = client.admin_user.email
    mine = client.get(f"/admin/journal?acteur={me.upper()}")
    assert "<code>login.succeeded" in mine.text and "urn:uuid:" not in mine.text

    # 1 March 08:00 UTC + 59 min: all on 1 March in Paris; nothing on 2 March.
    day = client.get("/admin/journal?du=2025-03-01&au=2025-03-01")
    assert "urn:uuid:0059" in day.text and "<code>login.succeeded" not in day.text
    assert "urn:uuid:" not in client.get("/admin/journal?du=2025-03-02&au=2025-03-02").text
    bad = client.get("/admin/journal?du=hier")
    assert bad.status_code == 200 and 'role="alert"' in bad.text


def test_csv_export_has_a_header_a_bom_and_every_matching_line(admin_app, signed_in_client) -> None:
    app, service = admin_app
    client = signed_in_client(app)
    _fill_audit(service, 1200, start=datetime(2025, 3, 1, 8, 0, tzinfo=UTC))
    with service.database.session() as session:
        record_audit(session, actor="cli", action="credential.revoked", subject="urn:uuid:piege",
                     details={"reason": "=HYPERLINK(\"https://evil.example\")"})
    response = client.get("/admin/journal.csv")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    assert "attachment" in response.headers["content-disposition"]
    assert response.content.startswith("\ufeff".encode("utf-8"))
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert tuple(rows[0]) == CSV_COLUMNS
    lines = rows[1:]
    assert len([line for line in lines if line[4].startswith("urn:uuid:")]) == 1200 + 1
    assert any(line[3] == "login.succeeded" for line in lines)
    assert [line[1] for line in lines] == sorted(line[1] for line in lines)  # oldest first
    assert all(not cell.startswith(("=", "+", "@")) for line in lines for cell in line)
    filtered = client.get("/admin/journal.csv?action=credential.revoked&du=2025-03-01")
    filtered_lines = list(csv.reader(io.StringIO(filtered.content.decode("utf-8-sig"))))[1:]
    assert filtered_lines and all(line[3] == "credential.revoked" for line in filtered_lines)


def test_the_journal_cannot_be_changed_from_the_interface(admin_app, signed_in_client) -> None:
    app, service = admin_app
    client = signed_in_client(app, role="administrator")
    journal_routes = [route for route in app.routes if isinstance(route, Route)
                      and route.path.startswith("/admin/journal")]
    assert journal_routes and all((route.methods or set()) <= {"GET", "HEAD"}
                                  for route in journal_routes)
    for method in ("POST", "PUT", "PATCH", "DELETE"):
        for path in ("/admin/journal", "/admin/journal.csv"):
            assert client.request(method, path).status_code == 405
    with service.database.session(read_only=True) as session:
        before = [(e.id, e.action, e.subject) for e in session.scalars(select(AuditEntry))]
    assert before and before == [(e.id, e.action, e.subject) for e in _all(service)]
    page = client.get("/admin/journal")
    assert "<form" in page.text and 'method="post"' not in page.text.split('<form method="get"')[1]


def _all(service) -> list[AuditEntry]:
    with service.database.session(read_only=True) as session:
        return list(session.scalars(select(AuditEntry)))


def test_journal_and_csv_on_sqlite_and_postgresql(database_url, admin_app_on, signed_in_client) -> None:
    app, service = admin_app_on(database_url)
    client = signed_in_client(app)
    _fill_audit(service, 3, start=datetime(2025, 3, 1, 22, 30, tzinfo=UTC),
                step=timedelta(hours=1))
    # 22:30 UTC on 1 March is 23:30 in Paris: still 1 March there.
    page = client.get("/admin/journal?du=2025-03-01&au=2025-03-01")
    assert "urn:uuid:0000" in page.text and "urn:uuid:0001" not in page.text
    rows = list(csv.reader(io.StringIO(
        client.get("/admin/journal.csv?acteur=cli").content.decode("utf-8-sig"))))
    assert [row[4] for row in rows[1:] if row[4].startswith("urn:uuid:")] == [
        "urn:uuid:0000", "urn:uuid:0001", "urn:uuid:0002"]
    assert client.get("/admin").status_code == 200


def _event_counts_on(page: str) -> dict[str, list[int]]:
    """Per event address, the numbers of its table row (attendees, badges, requests waiting)."""
    found: dict[str, list[int]] = {}
    for row in re.findall(r"<tr>(.*?)</tr>", page, flags=re.DOTALL):
        link = re.search(r'href="/admin/evenements/([^/"]+/\d+)"', row)
        if link:
            found[link.group(1)] = [int(n) for n in re.findall(r"<td>(\d+)</td>", row)]
    return found


def test_the_dashboard_and_the_events_list_count_the_same_badges(admin_app,
                                                                 signed_in_client) -> None:
    """Issue 13, item 10: a workshop's badges (linked by attendance, no edition number), a
    Petit-déjeuner badge issued from the form (an edition number, no attendance line), and a
    revoked badge are counted alike on both pages."""
    app, service = admin_app
    badge = events.badges_for_added_events(service)[0]
    workshop = events.add_event(service, kind="workshop", title_fr="Atelier démarches",
                                title_en=None, day=date(2025, 10, 2), venue=None,
                                badge_slug=badge.slug, actor="cli")
    events.confirm_attendance_upload(
        service, workshop, "nom;courriel\nAwa;awa@example.org\nBilal;bilal@example.org\n"
        "Chloé;chloe@example.org\n", actor="cli")
    issued = events.issue_for_event(service, events.get_event(service, "atelier", 1), actor="cli")
    service.revoke(issued.credential_ids[0], "erreur de saisie")
    edition = events.get_event(service, "petit-dejeuner-inclusion-numerique", 7)
    events.confirm_attendance_upload(service, edition, "nom;courriel\nDora;dora@example.org\n",
                                     actor="cli")
    events.issue_for_event(service, events.get_event(service, edition.family, 7), actor="cli")
    service.issue(IssueRequest("petit-dejeuner-inclusion-numerique", "eve@example.org", "Ève",
                               event_number=7, role="participant"))
    client = signed_in_client(app)

    listed = _event_counts_on(client.get("/admin/evenements").text)
    dashboard = _event_counts_on(client.get("/admin").text.split('id="events"')[1])

    assert listed["atelier/1"] == [3, 2, 0]  # three attendees, two valid badges
    assert listed["petit-dejeuner-inclusion-numerique/7"] == [1, 2, 0]
    for event in ("atelier/1", "petit-dejeuner-inclusion-numerique/7"):
        assert dashboard[event] == listed[event]
