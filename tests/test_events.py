"""Events and attendance (issue #4 items 2 and 3), through `issuer.workspace.events` on a real service:
the Petit-déjeuner editions seeded from the catalogue, CLN sessions and workshops added by the
coordinator, attendance lists (CSV and XLSX) previewed line by line, and one call that issues
every attendee's badge, idempotent, resumable after a crash, safe with two coordinators at once.
"""

from __future__ import annotations

import io
import os
import threading
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from openpyxl import Workbook
from sqlalchemy import func, select

from issuer.errors import InvalidInput
from issuer.issuance.issue_requests import IssueRequest
from issuer.issuance.service import IssuerService
from issuer.settings import Settings
from issuer.storage import models as rows
from issuer.storage.workspace_models import Attendance, EmailMessage, EventSchedule
from issuer.workspace import events
from issuer.workspace.events import AttendanceRefused, EventError, EventView
from tests.plugins.factory import ServiceFactory

BREAKFAST = "petit-dejeuner-inclusion-numerique"
ACTOR = "coordination@ville-roubaix.example"


@pytest.fixture
def service(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
            service_factory: ServiceFactory) -> IssuerService:
    return _service(tmp_path, monkeypatch, None, service_factory)


def _initialised(settings: Settings) -> IssuerService:
    service = IssuerService(settings)
    service.init()
    return service


def _service(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, database_url: str | None,
             build: ServiceFactory = _initialised) -> IssuerService:
    for variable in [name for name in os.environ if name.startswith("ISSUER_")]:
        monkeypatch.delenv(variable)
    monkeypatch.delenv("DATABASE_URL", raising=False)
    return build(Settings.load(home=tmp_path / "home", base_url="https://badges.example.org",
                               database_url=database_url))


def attendance_csv(count: int, *, start: int = 0, role: str = "") -> str:
    return "nom;courriel;rôle\n" + "".join(
        f"Personne {i};personne{i}@example.org;{role}\n" for i in range(start, start + count))


def edition(service: IssuerService, number: int) -> EventView:
    return events.get_event(service, BREAKFAST, number)


def record(service: IssuerService, event: EventView, text: str) -> EventView:
    events.confirm_attendance_upload(service, event, text, actor=ACTOR)
    return events.get_event(service, event.family, event.number)


def credentials(service: IssuerService) -> list[rows.IssuedCredential]:
    with service.database.session(read_only=True) as session:
        return list(session.scalars(select(rows.IssuedCredential)))


# -- events -------------------------------------------------------------------------------------

def test_the_ten_breakfast_editions_are_listed_with_their_badge(service: IssuerService) -> None:
    listed = [event for event in events.list_events(service) if event.family == BREAKFAST]
    assert sorted(event.number for event in listed) == list(range(1, 11))
    assert all(event.kind == "petit-dejeuner" and event.badge_slug == BREAKFAST for event in listed)
    assert listed[0].number == 10  # the most recent first
    assert listed[0].date == date(2025, 10, 10)
    assert listed[0].title.fr == "Petit-déjeuner de l'inclusion numérique nº 10"
    assert "insertion professionnelle" in listed[0].theme.fr


def test_schedules_are_added_once_even_when_asked_again(service: IssuerService) -> None:
    events.list_events(service)
    assert events.sync_event_schedules(service) == 0
    with service.database.session(read_only=True) as session:
        assert session.scalar(select(func.count()).select_from(EventSchedule)) == 10


def test_the_cln_installation_session_is_added_with_the_next_number(service: IssuerService) -> None:
    first = events.add_event(service, kind="cln-session",
                             title_fr="Séance d'installation du Conseil local du numérique",
                             title_en="Installation session of the local digital council",
                             day=date(2025, 7, 11), venue="Hôtel de Ville", badge_slug=None,
                             actor=ACTOR)
    second = events.add_event(service, kind="cln-session", title_fr="Deuxième séance",
                              title_en=None, day=date(2025, 12, 4), venue=None, badge_slug=None,
                              actor=ACTOR)
    assert (first.family, first.number, second.number) == ("seance-cln", 1, 2)
    assert first.title.en == "Installation session of the local digital council"
    assert second.title.en == "Deuxième séance"  # no English title: the French one
    assert first.venue == "Hôtel de Ville" and first.badge_slug is None
    keys = [event.key for event in events.list_events(service)]
    assert keys[0] == "seance-cln/2"  # 4 December 2025: the most recent
    assert keys.index(f"{BREAKFAST}/10") < keys.index("seance-cln/1") < keys.index(f"{BREAKFAST}/9")


def test_an_added_event_cannot_award_the_membership_badge(service: IssuerService) -> None:
    with pytest.raises(InvalidInput) as refused:
        events.add_event(service, kind="workshop", title_fr="Atelier", title_en=None,
                         day=date(2025, 11, 5), venue=None, badge_slug="membre-cln", actor=ACTOR)
    assert refused.value.code == "event.badge_not_allowed"
    assert "registre" in refused.value.message_fr


def test_an_event_without_a_title_is_refused(service: IssuerService) -> None:
    with pytest.raises(InvalidInput) as refused:
        events.add_event(service, kind="workshop", title_fr="  ", title_en=None,
                         day=date(2025, 11, 5), venue=None, badge_slug=None, actor=ACTOR)
    assert refused.value.message_fr == "Indiquez le titre de l'événement."


def test_an_unknown_event_is_not_found(service: IssuerService) -> None:
    with pytest.raises(events.EventNotFound):
        events.get_event(service, BREAKFAST, 99)


# -- attendance ---------------------------------------------------------------------------------

def test_preview_names_every_bad_line_in_french_and_stores_nothing(service: IssuerService) -> None:
    event = edition(service, 10)
    text = ("Nom;Courriel;Rôle\n"
            "Alice Martin;alice@example.org;participante\n"
            "Bruno Leroy;bruno@@example;\n"
            "Alice Bis;ALICE@example.org;\n"
            "Chloé Petit;chloe@example.org;cuisinier\n"
            "Yann Le Gall;yann@example.org;Intervenant·e\n")
    preview = events.preview_attendance(service, event, text)
    assert not preview.ok
    assert [(problem.line, problem.message_fr) for problem in preview.problems] == [
        (3, "adresse e-mail invalide « bruno@@example »"),
        (4, ("doublon de la ligne 2 (alice@example.org) avec un autre nom ou un autre rôle : "
             "gardez une seule ligne")),
        (5, ("rôle inconnu « cuisinier » (rôles possibles : Participant·e, Intervenant·e, "
             "Animateur·rice d'atelier)")),
    ]
    assert [(a.email, a.role.slug) for a in preview.attendees] == [
        ("alice@example.org", "participant"), ("yann@example.org", "intervenant")]
    with pytest.raises(AttendanceRefused) as refused:
        events.confirm_attendance_upload(service, event, text, actor=ACTOR)
    assert len(refused.value.problems) == 3
    assert events.attendance_list(service, event) == []


def test_people_already_recorded_are_shown_and_not_added_twice(service: IssuerService) -> None:
    event = record(service, edition(service, 10), attendance_csv(3))
    preview = events.preview_attendance(service, event, attendance_csv(5))
    assert preview.ok
    assert [a.email for a in preview.already_recorded] == [
        f"personne{i}@example.org" for i in range(3)]
    assert len(preview.attendees) == 2
    assert events.confirm_attendance_upload(service, event, attendance_csv(5), actor=ACTOR) == 2
    assert len(events.attendance_list(service, event)) == 5


def test_the_same_person_may_attend_in_two_roles(service: IssuerService) -> None:
    event = record(service, edition(service, 10), attendance_csv(1))
    assert events.confirm_attendance_upload(service, event, attendance_csv(1, role="animatrice"),
                                            actor=ACTOR) == 1
    assert sorted(a.role for a in events.attendance_list(service, event)) == [
        "animateur", "participant"]


def xlsx(rows_: list[list[Any]]) -> bytes:
    book = Workbook()
    sheet = book.active
    for row in rows_:
        sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def test_a_spreadsheet_is_read_like_a_csv_with_its_row_numbers(service: IssuerService) -> None:
    data = xlsx([["Nom", "Adresse e-mail", "Rôle", "Afficher le nom"],
                 ["Awa Diallo", "awa@example.org", "Animatrice", "oui"],
                 [None, None, None, None],
                 ["Bruno", "pas-une-adresse", None, None],
                 ["Chloé\nPetit", "chloe@example.org", None, False]])
    text = events.attendance_text("présences.xlsx", data)
    preview = events.preview_attendance(service, edition(service, 9), text)
    assert [(p.line, p.message_fr) for p in preview.problems] == [
        (4, "adresse e-mail invalide « pas-une-adresse »")]
    assert [(a.line, a.name, a.role.slug, a.show_name) for a in preview.attendees] == [
        (2, "Awa Diallo", "animateur", True), (5, "Chloé Petit", "participant", False)]


def test_an_old_excel_file_or_a_broken_workbook_is_refused_clearly() -> None:
    with pytest.raises(InvalidInput) as old:
        events.attendance_text("liste.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 100)
    assert ".xlsx ou en .csv" in old.value.message_fr
    with pytest.raises(InvalidInput) as broken:
        events.attendance_text("liste.xlsx", b"PK\x03\x04 not really a zip")
    assert broken.value.code == "attendance.bad_xlsx"


def test_a_typed_attendee_is_checked_like_a_line_of_a_list(service: IssuerService) -> None:
    event = edition(service, 10)
    with pytest.raises(InvalidInput) as bad:
        events.add_attendee(service, event, name="Awa", email="awa(at)example.org", role=None,
                            show_name=False, actor=ACTOR)
    assert bad.value.message_fr == "Adresse e-mail invalide « awa(at)example.org »."
    events.add_attendee(service, event, name="Awa", email="Awa@Example.org", role="intervenante",
                        show_name=True, actor=ACTOR)
    with pytest.raises(InvalidInput) as twice:
        events.add_attendee(service, event, name="Awa D.", email="awa@example.org",
                            role="intervenant", show_name=False, actor=ACTOR)
    assert twice.value.code == "attendance.already_recorded"
    [entry] = events.attendance_list(service, event)
    assert (entry.email, entry.role, entry.show_name, entry.source) == (
        "awa@example.org", "intervenant", True, "typed")


# -- issuing ------------------------------------------------------------------------------------

def test_each_attendee_gets_the_badge_of_their_role_with_the_event_as_evidence(
        service: IssuerService) -> None:
    event = record(service, edition(service, 7), attendance_csv(2) + "Yann;yann@example.org;Intervenant\n")
    result = events.issue_for_event(service, event, actor=ACTOR)
    assert (result.issued, result.already_issued, result.emails_queued) == (3, 0, 3)
    by_email = {a.email: a for a in events.attendance_list(service, event)}
    speaker = service.credential(by_email["yann@example.org"].credential_id or "").credential
    assert speaker["credentialSubject"]["achievement"]["id"].endswith(f"/achievements/{BREAKFAST}/7")
    assert "Intervenant" in speaker["name"]
    [evidence] = speaker["evidence"]
    assert evidence["id"].endswith(f"/events/{BREAKFAST}/7")
    assert events.get_event(service, BREAKFAST, 7).issued_count == 3


def test_issuing_again_issues_nothing_twice_and_emails_nobody_twice(service: IssuerService) -> None:
    event = record(service, edition(service, 10), attendance_csv(20))
    first = events.issue_for_event(service, event, actor=ACTOR)
    event = record(service, event, attendance_csv(25))  # five more came
    second = events.issue_for_event(service, event, actor=ACTOR)
    third = events.issue_for_event(service, event, actor=ACTOR)
    assert (first.issued, second.issued, second.already_issued) == (20, 5, 20)
    assert (third.issued, third.already_issued, third.emails_queued) == (0, 25, 0)
    assert len(credentials(service)) == 25
    with service.database.session(read_only=True) as session:
        assert session.scalar(select(func.count()).select_from(EmailMessage)) == 25


def test_batch_queued_emails_are_the_rows_one_badge_alone_would_get(
        service: IssuerService) -> None:
    """`queue_badge_emails` writes a batch's e-mails a chunk at a time (issue 14, performance):
    each row and audit line must be what `queue_badge_email` writes for one badge, and a
    revoked badge or an erased person still gets nothing."""
    from issuer.mail import queue_badge_email
    from issuer.storage.models import AuditEntry
    from issuer.workspace.event_mail import queue_badge_emails

    issued = service.issue_many([
        IssueRequest(badge_slug=BREAKFAST, email=f"personne{n}@example.org",
                     name=f"Personne {n}", event_number=10) for n in range(4)])
    one, batch, revoked, erased = (item.credential_id for item in issued)
    service.revoke(revoked, "erreur de saisie")
    with service.database.session() as session:
        session.get(rows.IssuedCredential, erased).recipient.erased_at = datetime.now(UTC)  # type: ignore[union-attr]
        queue_badge_email(service, session, one, actor=ACTOR, origin="192.0.2.1")
    assert queue_badge_emails(service, [one, batch, revoked, erased, batch], actor=ACTOR,
                              origin="192.0.2.1") == 1

    def described(credential_id: str) -> tuple[Any, ...]:
        with service.database.session(read_only=True) as session:
            [message] = session.scalars(select(EmailMessage).where(
                EmailMessage.credential_id == credential_id))
            [line] = session.scalars(select(AuditEntry).where(
                AuditEntry.action == "email.queued", AuditEntry.subject == credential_id))
            details = dict(line.details or {})
            assert details.pop("message") == message.id
            subject = message.subject.replace(credential_id, "ID")
            return (message.kind, message.locale, message.status, message.attempts,
                    message.to_address.split("@")[1], subject, message.next_attempt_at,
                    line.actor, line.origin, details)

    assert described(batch) == described(one)
    assert described(one)[5].startswith("Votre badge numérique")
    with service.database.session(read_only=True) as session:
        assert session.scalar(select(func.count()).select_from(EmailMessage)) == 2


def test_a_person_at_two_editions_gets_one_badge_per_edition(service: IssuerService) -> None:
    for number in (8, 9):
        event = record(service, edition(service, number), attendance_csv(1))
        assert events.issue_for_event(service, event, actor=ACTOR).issued == 1
    achievements = sorted(c.achievement_id.rsplit("/", 1)[-1] for c in credentials(service))
    assert achievements == ["8", "9"]


def test_a_workshop_awards_its_skill_badge(service: IssuerService) -> None:
    workshop = events.add_event(service, kind="workshop", title_fr="Atelier FALC", title_en=None,
                                day=date(2025, 11, 5), venue=None,
                                badge_slug="mediateur-numerique", actor=ACTOR)
    workshop = record(service, workshop, attendance_csv(2, role="animateur"))
    assert events.issue_for_event(service, workshop, actor=ACTOR).issued == 2
    assert {c.badge_slug for c in credentials(service)} == {"mediateur-numerique"}


def test_an_event_without_a_badge_issues_nothing(service: IssuerService) -> None:
    session_ = events.add_event(service, kind="cln-session", title_fr="Séance", title_en=None,
                                day=date(2025, 7, 11), venue=None, badge_slug=None, actor=ACTOR)
    session_ = record(service, session_, attendance_csv(2))
    with pytest.raises(EventError) as refused:
        events.issue_for_event(service, session_, actor=ACTOR)
    assert refused.value.code == "event.no_badge"
    assert credentials(service) == []


class CrashingService(IssuerService):
    """The City's service, whose process dies (an exception here) after `survive` signatures."""

    survive = 30

    def sign(self, unsigned: dict[str, Any], now: datetime) -> tuple[str, str]:
        if self.survive == 0:
            raise SystemExit("power cut")
        self.survive -= 1
        return super().sign(unsigned, now)


def test_a_run_cut_short_is_completed_by_the_next_without_duplicates_or_gaps(
        service: IssuerService) -> None:
    event = record(service, edition(service, 10), attendance_csv(50))
    with pytest.raises(SystemExit):
        events.issue_for_event(CrashingService(service.settings), event, actor=ACTOR)
    committed = len(credentials(service))
    assert committed == events.EVENT_ISSUE_CHUNK  # the first chunk survived the crash
    result = events.issue_for_event(service, event, actor=ACTOR)
    assert (result.issued, result.already_issued) == (50 - committed, committed)
    stored = credentials(service)
    assert len(stored) == 50
    assert len({(c.status_list_id, c.status_index) for c in stored}) == 50
    linked = [a.credential_id for a in events.attendance_list(service, event)]
    assert None not in linked and len(set(linked)) == 50


def test_two_coordinators_issuing_for_one_event_at_once_issue_each_badge_once(
        database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    service = _service(tmp_path, monkeypatch, database_url)
    event = record(service, edition(service, 10), attendance_csv(50))
    results: list[events.IssuanceResult] = []
    errors: list[BaseException] = []

    def coordinator() -> None:
        try:
            own = IssuerService(service.settings)  # another process, same database
            results.append(events.issue_for_event(own, event, actor=ACTOR))
        except BaseException as error:  # noqa: BLE001 - reported below
            errors.append(error)

    threads = [threading.Thread(target=coordinator) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not errors, errors
    assert sum(result.issued for result in results) == 50
    stored = credentials(service)
    assert len(stored) == 50
    assert len({c.idempotency_key for c in stored}) == 50
    assert len({(c.status_list_id, c.status_index) for c in stored}) == 50
    assert all(c.is_signed for c in stored)
    linked = {a.credential_id for a in events.attendance_list(service, event)}
    assert linked == {c.id for c in stored}
    with service.database.session(read_only=True) as session:
        assert session.scalar(select(func.count()).select_from(EmailMessage)) == 50
        assert session.scalar(select(func.count()).select_from(Attendance)) == 50


def test_attendance_of_an_event_tied_to_the_membership_badge_issues_no_seat(
        service: IssuerService) -> None:
    """Issue 13 item 11: even if an event's row names the membership badge (an older database,
    a hand edit), issuing for its attendance list — or for its approved self-claims, which
    go the same way — is refused by the service: a seat comes only from the register."""
    session_event = events.add_event(service, kind="cln-session", title_fr="Séance",
                                     title_en=None, day=date(2025, 11, 5), venue=None,
                                     badge_slug=None, actor=ACTOR)
    with service.database.session() as session:
        schedule = session.get(EventSchedule, (session_event.family, session_event.number))
        assert schedule is not None
        schedule.badge_slug = "membre-cln"
    event = events.get_event(service, session_event.family, session_event.number)
    events.add_attendee(service, event, name="Camille Habitante", email="camille@example.org",
                        role=None, show_name=False, actor=ACTOR)
    with pytest.raises(InvalidInput) as refused:
        events.issue_for_event(service, event, actor=ACTOR)
    assert refused.value.code == "issue.use_the_register"
    with service.database.session(read_only=True) as session:
        assert session.scalar(select(func.count()).select_from(rows.IssuedCredential)) == 0
