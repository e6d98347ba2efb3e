"""The dashboard /admin and the audit trail /admin/journal (issue #4 items 9 and 10), through
the pages a signed-in coordinator sees."""

from __future__ import annotations

import csv
import io
import re
import uuid
import xml.etree.ElementTree as ET
from datetime import UTC, date, datetime, timedelta
from html import unescape
from pathlib import Path

from babel.dates import format_date
from sqlalchemy import select
from starlette.routing import Route

import issuer
from issuer.collation import sort_key
from issuer.issuance.issue_requests import IssueRequest
from issuer.presentation.charts import WIDTH, bar_chart, render_svg
from issuer.storage.audit_log import record_audit
from issuer.storage.models import AuditEntry
from issuer.storage.workspace_models import ClaimRequest, ClnMember, EmailMessage
from issuer.web.admin.audit import PAGE_SIZE
from issuer.workspace import events, recipients
from issuer.workspace.audit_labels import ACTION_LABELS, action_label, readable_details
from issuer.workspace.audit_trail import CSV_COLUMNS
from issuer.workspace.dashboard import issued_per_month
from issuer.workspace.outbox import SECRET_READ_ACTION


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
    # Last actions come from the audit trail (the revocation and the sign-in), in words.
    assert "<td>Connexion réussie</td>" in text and "<td>Badge révoqué</td>" in text
    assert "login.succeeded" not in text and "credential.revoked" not in text


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
    assert "<td>Badge révoqué</td>" in only_revoked.text
    assert "<td>Badge délivré</td>" not in only_revoked.text
    assert "urn:uuid:0002" in only_revoked.text

    me = client.admin_user.email
    mine = client.get(f"/admin/journal?acteur={me.upper()}")
    assert "<td>Connexion réussie</td>" in mine.text and "urn:uuid:" not in mine.text

    # 1 March 08:00 UTC + 59 min: all on 1 March in Paris; nothing on 2 March.
    day = client.get("/admin/journal?du=2025-03-01&au=2025-03-01")
    assert "urn:uuid:0059" in day.text and "<td>Connexion réussie</td>" not in day.text
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
    # The raw code stays in `action`; its label in the reader's language is the last column.
    assert any(line[3] == "login.succeeded" and line[7] == "Connexion réussie" for line in lines)
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
    service.issue(IssueRequest("petit-dejeuner-inclusion-numerique", "a@example.org", "Personne",
                               event_number=7, role="participant"))
    month = format_date(datetime.now(UTC).date(), "MMMM y", locale="fr")
    dashboard = unescape(client.get("/admin").text)  # the month's GROUP BY, written per database
    assert f'<th scope="row">{month}</th><td>1</td>' in dashboard


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


def test_every_recorded_action_has_a_french_and_an_english_label() -> None:
    """Issue 13, item 10: each action code the code base writes is in the table (a new one
    without a label fails here), and its French differs from its English."""
    written: set[str] = set()
    for path in Path(issuer.__file__).parent.rglob("*.py"):
        source = path.read_text("utf-8")
        written |= set(re.findall(r'action="([a-z_]+(?:\.[a-z_]+)?)"', source))
        written |= {f"credential.{verb}" for verb in ("revoked", "suspended", "unsuspended")
                    if 'f"credential.{action}d"' in source}
        written |= {f"email.{status}" for status in ("sent", "outbox", "failed")
                    if 'f"email.{row.status}"' in source}
    written |= {"directory.joined", "directory.updated", SECRET_READ_ACTION}
    assert len(written) > 60
    missing = sorted(written - set(ACTION_LABELS))
    assert not missing
    for action in written:
        assert action_label(action, "fr") != action_label(action, "en"), action
        assert "." not in action_label(action, "fr")


def test_an_unknown_action_and_details_read_as_words() -> None:
    assert action_label("credential.frozen", "fr") == "Badge : frozen"
    assert action_label("credential.frozen", "en") == "Badge: frozen"
    assert action_label("something_new", "fr") == "Something new"
    shown = readable_details('{"reason": "Erreur de saisie", "retry": true, "kids": ["a", "b"]}',
                             "fr")
    assert [(d.label, d.value) for d in shown] == [
        ("Motif", "Erreur de saisie"), ("Nouvel essai prévu", "oui"), ("Kids", "a, b")]
    assert readable_details("pas du JSON", "en")[0].value == "pas du JSON"


def test_the_journal_shows_details_in_words_and_filters_by_label(admin_app,
                                                                 signed_in_client) -> None:
    app, service = admin_app
    with service.database.session() as session:
        record_audit(session, actor="cli", action="credential.revoked", subject="urn:uuid:x",
                     details={"reason": "Doublon"})
    client = signed_in_client(app)
    french = unescape(client.get("/admin/journal").text)
    assert "<li>Motif : Doublon</li>" in french and '{"reason"' not in french
    assert '<option value="credential.revoked">Badge révoqué</option>' in french
    english = unescape(client.get("/admin/journal?lang=en").text)
    assert "<li>Reason: Doublon</li>" in english and "<td>Badge revoked</td>" in english


def test_failed_emails_say_what_happened_in_french(admin_app, signed_in_client) -> None:
    app, service = admin_app
    add_rows(service, EmailMessage(
        id=str(uuid.uuid4()), kind="badge", to_address="x@example.org", subject="Votre badge",
        status="failed", attempts=1,
        last_error="mail.bounced: the server refuses the recipient: 550 5.1.1 no such user"))
    client = signed_in_client(app)
    for path in ("/admin", "/admin/courriels"):
        text = unescape(" ".join(client.get(path).text.split()))
        assert "refuse définitivement cette adresse" in text, path
        assert "550 5.1.1 no such user" in text  # the server's words stay, as detail
    assert "<td>Badge</td>" in unescape(client.get("/admin").text)


def test_french_names_sort_as_in_a_dictionary() -> None:
    names = ["Zoé", "émile", "Durand", "de Vries", "Œillet", "Eva", "Élodie", "Odile", "Émile"]
    assert sorted(names, key=sort_key) == [
        "de Vries", "Durand", "Élodie", "émile", "Émile", "Eva", "Odile", "Œillet", "Zoé"]


def test_the_attendance_list_and_people_search_use_the_french_order(admin_app) -> None:
    _app, service = admin_app
    edition = events.get_event(service, "petit-dejeuner-inclusion-numerique", 7)
    events.confirm_attendance_upload(
        service, edition, "nom;courriel\nZoé;z@example.org\nÉlodie;e@example.org\n"
        "Eva;v@example.org\nAdam;a@example.org\n", actor="cli")
    listed = [entry.name for entry in events.attendance_list(service, edition)]
    assert listed == ["Adam", "Élodie", "Eva", "Zoé"]
    events.issue_for_event(service, events.get_event(service, edition.family, 7), actor="cli")
    found = [person.display_name for person in recipients.find_people(service, "e")]
    assert found == ["Élodie", "Eva", "Zoé"]


# -- the dashboard's charts (issue 13, item 13) ----------------------------------------------------

def test_a_bar_chart_is_one_named_picture_with_bars_in_proportion() -> None:
    chart = bar_chart("chart-x", "Badges <par> mois", "Au total : 6 & plus.",
                      [("janvier <script>", 4), ("février", 2), ("mars", 0)])
    svg = render_svg(chart)
    assert svg.startswith("<svg") and 'role="img"' in svg
    assert 'aria-labelledby="chart-x-title" aria-describedby="chart-x-desc"' in svg
    assert '<title id="chart-x-title">Badges &lt;par&gt; mois</title>' in svg
    assert '<desc id="chart-x-desc">Au total : 6 &amp; plus.</desc>' in svg
    assert "<script>" not in svg and "janvier &lt;script&gt;" in svg
    widths = [int(w) for w in re.findall(r'<rect class="chart-bar"[^>]* width="(\d+)"', svg)]
    assert widths == [WIDTH - 48, (WIDTH - 48) // 2, 2]  # the largest fills the room; 0 a sliver
    assert chart.total == 6 and not chart.is_empty
    assert bar_chart("e", "t", "d", []).is_empty
    ET.fromstring(svg)  # well-formed XML


def test_the_dashboard_draws_months_events_seats_and_claims_beside_their_tables(
        admin_app, signed_in_client) -> None:
    app, service = admin_app
    for email in ("a@example.org", "b@example.org", "c@example.org"):
        service.issue(IssueRequest("petit-dejeuner-inclusion-numerique", email, "Personne",
                                   event_number=7, role="participant"))
    add_rows(service,
             ClnMember(id=str(uuid.uuid4()), name="Membre", email="m@example.org", sector="Nord",
                       role="conseiller", mandate_start=date(2025, 7, 11),
                       mandate_end=date(2027, 7, 10), status="active", gender="homme"),
             ClaimRequest(event_family="petit-dejeuner-inclusion-numerique", event_number=7,
                          name="Qui", email="qui@example.org", status="pending"))
    client = signed_in_client(app)
    page = unescape(client.get("/admin").text)
    svgs = re.findall(r"<svg.*?</svg>", page, flags=re.DOTALL)
    titles = [re.search(r"<title[^>]*>(.*?)</title>", svg).group(1) for svg in svgs]
    assert titles == ["Demandes en attente de validation, par événement",
                      "Badges délivrés par mois", "Badges valables par événement",
                      "Sièges du conseil occupés, par secteur",
                      "Habitant·es en fonction, femmes et hommes"]
    assert all('role="img"' in svg and "<desc" in svg for svg in svgs)
    assert "<script" not in page.split("<main", 1)[1]  # no JavaScript drew them
    month = format_date(datetime.now(UTC).date(), "MMMM y", locale="fr")
    assert f'<th scope="row">{month}</th><td>3</td>' in page  # the month's table row
    assert "3 badges délivrés sur les 12 derniers mois ; le plus en " + month + " (3)." in page
    assert page.count("<figure") == 5 and page.count("</figure>") == 5
    # Parity (issue 13 item 11): the picture and its table, counts only.
    assert "Femmes : 0, hommes : 1, sans réponse : 0 ; habitant·es en fonction : 1." in page
    assert '<th scope="row">Hommes</th><td>1</td>' in page
    english = unescape(client.get("/admin?lang=en").text)
    assert "<title id=\"chart-months-title\">Badges issued per month</title>" in english


def test_an_empty_dashboard_draws_no_empty_chart(admin_app, signed_in_client) -> None:
    app, _service = admin_app
    page = signed_in_client(app).get("/admin").text
    assert "<svg" not in page  # nothing to draw: the tables say 0
    assert "<caption>Badges délivrés par mois, les 12 derniers mois</caption>" in unescape(page)


def test_badges_per_month_counts_the_right_months(admin_app) -> None:
    _app, service = admin_app
    service.issue(IssueRequest("petit-dejeuner-inclusion-numerique", "a@example.org", "Personne",
                               event_number=7, role="participant"))
    today = datetime.now(UTC).date()
    with service.database.session(read_only=True) as session:
        months = issued_per_month(session, today)
        later = issued_per_month(session, today + timedelta(days=400))
    assert len(months) == 12 and months[-1] == (today.replace(day=1), 1)
    assert sum(count for _month, count in months) == 1
    assert [start.day for start, _count in months] == [1] * 12
    assert months == sorted(months)
    assert sum(count for _month, count in later) == 0  # more than a year later: out of range
