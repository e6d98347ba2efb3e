"""Events and their attendance (issue #4 items 2 and 3): the Petit-déjeuner editions of the
catalogue, CLN sessions and workshops the coordinator adds; attendance lists uploaded (CSV or
XLSX), previewed line by line, recorded, or typed in; and one call that issues every attendee's
badge with the event as evidence.

Issuing goes through `IssuerService.issue_many`, which commits by chunk under idempotency keys
(one badge per person, edition and role): running it twice issues nothing twice, and a run cut
short by a crash is completed by the next one, without duplicates or gaps. Attendance rows are
linked to their credential afterwards; a missing link is found again by the idempotency key.

Nothing here names a person in the audit trail: events are named by `family/number`.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import func, select, union
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from issuer.collation import sort_key
from issuer.errors import InvalidInput, IssuerError, NotFound
from issuer.issuance.issue_requests import IssuedBadge, IssueRequest
from issuer.issuance.service import IssuerService
from issuer.openbadges.badge_definitions import BadgeDefinition, CatalogueError, LocalizedText, Role
from issuer.openbadges.canonical import find_control_characters
from issuer.openbadges.credential import french_date
from issuer.storage import models as rows
from issuer.storage.audit_log import record_audit
from issuer.storage.workspace_models import (
    Attendance,
    ClaimRequest,
    EventSchedule,
)
from issuer.workspace import attendance as attendance_lists
from issuer.workspace.attendance import LineProblem, decode_csv_bytes, read_attendance
from issuer.workspace.attendance_workbooks import xlsx_as_csv
from issuer.workspace.event_mail import queue_badge_emails

#: `event_schedules.kind` of a catalogue edition of the Petit-déjeuner, and the kinds and
#: event families (first part of the address) of the events a coordinator adds.
PETIT_DEJEUNER_KIND = "petit-dejeuner"
PETIT_DEJEUNER_BADGE = "petit-dejeuner-inclusion-numerique"
CATALOGUE_EDITION_KIND = "edition"  # an edition of another event badge of the catalogue
ADDED_EVENT_FAMILIES = {"cln-session": "seance-cln", "workshop": "atelier"}

#: Credentials per transaction when issuing for an event: a crash loses at most this many
#: signatures (they are redone by the next run), and a concurrent run waits at most this long.
EVENT_ISSUE_CHUNK = 25
MAX_NAME_LENGTH = 200
MAX_TITLE_LENGTH = 300
_INSERT_BATCH = 500  # rows per multi-row INSERT: far below the bound-parameter limits

#: Roles of an event whose badge names none (a skill badge, or no badge): the three ways of
#: taking part the issue names (participant, intervenant·e, animateur·rice).
STANDARD_ROLES: tuple[Role, ...] = (
    Role("participant", LocalizedText("Participant·e", "Participant")),
    Role("intervenant", LocalizedText("Intervenant·e", "Speaker"),
         ("Orateur·rice", "Présentateur·rice")),
    Role("animateur", LocalizedText("Animateur·rice d'atelier", "Workshop facilitator"),
         ("Animateur·rice", "Facilitateur·rice", "Facilitator")),
)


class EventError(IssuerError):
    code = "event.error"


class EventNotFound(NotFound):
    code = "event.not_found"


class AttendanceRefused(InvalidInput):
    """An attendance list with at least one bad line: nothing of it is recorded."""

    code = "attendance.refused"

    def __init__(self, problems: Sequence[LineProblem]) -> None:
        super().__init__(
            f"La liste contient {len(problems)} ligne(s) à corriger : rien n'a été enregistré.",
            f"The list has {len(problems)} line(s) to correct: nothing was recorded.")
        self.problems = list(problems)


# -- what the pages show ------------------------------------------------------------------------

@dataclass(frozen=True)
class EventView:
    """An event with what the workspace knows about it."""

    family: str
    number: int
    kind: str
    date: date
    title: LocalizedText
    theme: LocalizedText
    venue: str | None
    badge_slug: str | None
    attendance_count: int = 0
    issued_count: int = 0
    pending_claims: int = 0
    claim_opens_at: datetime | None = None
    claim_closes_at: datetime | None = None

    @property
    def key(self) -> str:
        """How the audit trail and the addresses name the event."""
        return f"{self.family}/{self.number}"

    @property
    def from_catalogue(self) -> bool:
        return self.kind in (PETIT_DEJEUNER_KIND, CATALOGUE_EDITION_KIND)

    def claim_state(self, now: datetime | None = None) -> str:
        """none / scheduled / open / closed: where the self-claim window stands."""
        if self.claim_opens_at is None or self.claim_closes_at is None:
            return "none"
        now = now or datetime.now(UTC)
        if now < self.claim_opens_at:
            return "scheduled"
        return "open" if now < self.claim_closes_at else "closed"


@dataclass(frozen=True)
class AttendeeLine:
    """One checked attendee, ready to record (`line` is 0 when typed in)."""

    line: int
    name: str
    email: str
    role: Role
    show_name: bool = False


@dataclass(frozen=True)
class AttendancePreview:
    """What an upload would record. `problems` are the lines left out (the coordinator records
    the good ones now or sends a corrected file); `already_recorded` are people on the list
    already (recording them again changes nothing); `notes` are lines merged into another."""

    attendees: list[AttendeeLine]
    already_recorded: list[AttendeeLine]
    problems: list[LineProblem]
    notes: list[LineProblem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


@dataclass(frozen=True)
class AttendanceEntry:
    id: int
    name: str
    email: str
    role: str
    show_name: bool
    source: str
    credential_id: str | None


@dataclass(frozen=True)
class IssuanceResult:
    """What one "issue the badges" run did."""

    issued: int
    already_issued: int
    credential_ids: tuple[str, ...] = ()
    emails_queued: int = 0

    @property
    def total(self) -> int:
        return self.issued + self.already_issued


# -- events -------------------------------------------------------------------------------------

def sync_event_schedules(service: IssuerService) -> int:
    """Give every catalogue edition of `events` its `event_schedules` row (kind, badge), once.
    Safe to run concurrently: an existing row is left as it is. Returns the rows added."""
    # Read first: every page calls this, and a write transaction would queue each page view
    # behind a running issuance (SQLite has one writer at a time).
    with service.database.session(read_only=True) as session:
        have = set(session.execute(select(EventSchedule.family, EventSchedule.number)))
        editions = list(session.execute(select(rows.Event.family, rows.Event.number)))
    missing = [{"family": family, "number": number, "badge_slug": family,
                "kind": PETIT_DEJEUNER_KIND if family == PETIT_DEJEUNER_BADGE
                else CATALOGUE_EDITION_KIND, "created_at": datetime.now(UTC)}
               for family, number in editions if (family, number) not in have]
    if not missing:
        return 0
    with service.database.session() as session:
        return _insert_ignoring_duplicates(session, EventSchedule, missing)


def list_events(service: IssuerService) -> list[EventView]:
    """Every event, the most recent first, with its counts."""
    sync_event_schedules(service)
    with service.database.session(read_only=True) as session:
        return [_view(service, event, schedule, counts)
                for event, schedule, counts in _event_rows(session)]


def get_event(service: IssuerService, family: str, number: int) -> EventView:
    sync_event_schedules(service)
    with service.database.session(read_only=True) as session:
        found = _event_rows(session, family=family, number=number)
    if not found:
        raise EventNotFound(f"Aucun événement « {family}/{number} ».",
                            f"No event '{family}/{number}'.")
    event, schedule, counts = found[0]
    return _view(service, event, schedule, counts)


def badges_for_added_events(service: IssuerService) -> list[BadgeDefinition]:
    """The badges an added event may award: those issued without an edition or a mandate.
    (An event badge belongs to its catalogue editions; a mandate badge to the CLN registry,
    which enforces the council's rules.)"""
    return [badge for badge in service.catalogue.badges if badge.family == "skill"]


def add_event(service: IssuerService, *, kind: str, title_fr: str, title_en: str | None,
              day: date, venue: str | None, badge_slug: str | None, actor: str,
              origin: str | None = None, user_id: str | None = None) -> EventView:
    """Add a CLN session or a workshop; its number is the next free one in its family."""
    family = ADDED_EVENT_FAMILIES.get(kind)
    if family is None:
        raise InvalidInput(f"Type d'événement inconnu : « {kind} ».", f"Unknown event kind: '{kind}'.",
                           code="event.unknown_kind")
    title_fr = _checked_text(title_fr, "title_fr", required=True) or ""
    title_en = _checked_text(title_en, "title_en") or title_fr
    venue = _checked_text(venue, "venue")
    if badge_slug and badge_slug not in {b.slug for b in badges_for_added_events(service)}:
        raise InvalidInput(
            f"Le badge « {badge_slug} » ne peut pas être lié à cet événement (un badge "
            "d'édition appartient au catalogue ; le badge de membre du CLN se délivre depuis "
            "le registre du conseil).",
            f"Badge '{badge_slug}' cannot be tied to this event (an edition badge belongs to "
            "the catalogue; the CLN membership badge is issued from the council registry).",
            code="event.badge_not_allowed")
    for _attempt in range(5):
        try:
            with service.database.session() as session:
                number = 1 + (session.scalar(select(func.max(rows.Event.number))
                                             .where(rows.Event.family == family)) or 0)
                session.add(rows.Event(family=family, number=number, date=day, theme_fr=title_fr,
                                       theme_en=title_en, venue=venue))
                session.flush()
                session.add(EventSchedule(family=family, number=number, kind=kind,
                                          title_fr=title_fr, title_en=title_en,
                                          badge_slug=badge_slug or None, created_by=user_id,
                                          created_at=datetime.now(UTC)))
                record_audit(session, actor=actor, action="event.created",
                             subject=f"{family}/{number}",
                             details={"kind": kind, "badge": badge_slug or None}, origin=origin)
            return get_event(service, family, number)
        except IntegrityError:  # another coordinator took the same number: take the next
            continue
    raise EventError("L'événement n'a pas pu être créé, réessayez.",
                     "The event could not be created, try again.", code="event.create_failed")


def event_roles(service: IssuerService, event: EventView) -> tuple[Role, ...]:
    """The roles an attendee may hold: the badge's, else the standard three."""
    badge = event_badge(service, event)
    return badge.roles if badge is not None and badge.roles else STANDARD_ROLES


# -- attendance ---------------------------------------------------------------------------------

def attendance_list(service: IssuerService, event: EventView) -> list[AttendanceEntry]:
    with service.database.session(read_only=True) as session:
        found = session.scalars(select(Attendance).where(
            Attendance.event_family == event.family, Attendance.event_number == event.number)
            .order_by(Attendance.name, Attendance.id))
        # In French alphabetical order (issuer.collation): "Émile" beside "Emma", not after "Zoé".
        return sorted((AttendanceEntry(id=a.id, name=a.name, email=a.email, role=a.role,
                                       show_name=a.show_name, source=a.source,
                                       credential_id=a.credential_id) for a in found),
                      key=lambda entry: sort_key(entry.name))


def attendance_text(filename: str, data: bytes) -> str:
    """The text of an uploaded attendance list: a CSV file as it is, the first sheet of an
    XLSX workbook as CSV, so both are read and checked by `issuer.workspace.attendance`."""
    if data[:4] == b"PK\x03\x04" or filename.lower().endswith((".xlsx", ".xlsm")):
        return xlsx_as_csv(data)
    if data[:8] == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" or filename.lower().endswith(".xls"):
        raise InvalidInput(
            "Ancien format Excel (.xls) non lu : enregistrez la liste en .xlsx ou en .csv.",
            "Old Excel format (.xls) not read: save the list as .xlsx or .csv.",
            code="attendance.old_excel")
    return decode_csv_bytes(data)


def preview_attendance(service: IssuerService, event: EventView, text: str) -> AttendancePreview:
    """Check a list line by line without storing anything: bad e-mail, duplicate in the file,
    unknown role, already recorded for this event."""
    roles = event_roles(service, event)
    parsed = read_attendance(text, _role_book(roles))
    return _classify(service, event, roles, parsed)


def record_attendance(service: IssuerService, event: EventView, attendees: Iterable[AttendeeLine],
                      *, source: str, actor: str, origin: str | None = None) -> int:
    """Store the attendees (those already on the list are left alone); returns how many were
    added."""
    values = [{"event_family": event.family, "event_number": event.number, "name": a.name,
               "email": a.email, "role": a.role.slug, "show_name": a.show_name, "source": source,
               "created_by": actor, "created_at": datetime.now(UTC)} for a in attendees]
    with service.database.session() as session:
        added = _insert_ignoring_duplicates(session, Attendance, values)
        if added:
            record_audit(session, actor=actor, action="attendance.recorded", subject=event.key,
                         details={"added": added, "source": source}, origin=origin)
    return added


def confirm_attendance_upload(service: IssuerService, event: EventView, text: str, *, actor: str,
                              origin: str | None = None) -> int:
    """Record a previewed list, checked again: a list with any bad line records nothing."""
    preview = preview_attendance(service, event, text)
    if not preview.ok:
        raise AttendanceRefused(preview.problems)
    return record_attendance(service, event, preview.attendees, source="upload", actor=actor,
                             origin=origin)


def check_attendee(service: IssuerService, event: EventView, *, name: str, email: str,
                   role: str | None, show_name: bool) -> tuple[AttendeeLine, bool]:
    """One attendee typed in (or asked for by self-claim), checked by the same rules as a line
    of an uploaded list; the flag says whether they are on the list already."""
    buffer = io.StringIO()
    csv.writer(buffer, delimiter=";").writerows([["nom", "courriel", "rôle"],
                                                 [name, email, role or ""]])
    preview = preview_attendance(service, event, buffer.getvalue())
    if preview.problems:
        problem = preview.problems[0]
        raise InvalidInput(_capitalised(problem.message_fr) + ".",
                           _capitalised(problem.message_en) + ".", code="attendance.bad_entry")
    if not (preview.attendees or preview.already_recorded):  # a blank line: nothing to read
        raise InvalidInput("Indiquez le nom et l'adresse e-mail.",
                           "Enter the name and the e-mail address.", code="attendance.empty_entry")
    found = (preview.attendees or preview.already_recorded)[0]
    return replace(found, line=0, show_name=show_name), bool(preview.already_recorded)


def add_attendee(service: IssuerService, event: EventView, *, name: str, email: str,
                 role: str | None, show_name: bool, actor: str,
                 origin: str | None = None) -> AttendeeLine:
    """Type one attendee in."""
    attendee, already = check_attendee(service, event, name=name, email=email, role=role,
                                       show_name=show_name)
    if already:
        raise InvalidInput("Cette personne est déjà sur la liste de présence, avec ce rôle.",
                           "This person is already on the attendance list, in this role.",
                           code="attendance.already_recorded")
    record_attendance(service, event, [attendee], source="typed", actor=actor, origin=origin)
    return attendee


# -- issuing ------------------------------------------------------------------------------------

def issue_for_event(service: IssuerService, event: EventView, *, actor: str,
                    origin: str | None = None) -> IssuanceResult:
    """Issue the event's badge to every attendee, by role, with the event as evidence.
    Idempotent and resumable (see the module docstring); two coordinators may run it at once."""
    return issue_for_attendances(service, event, None, actor=actor, origin=origin)


def issue_for_attendances(service: IssuerService, event: EventView,
                          attendance_ids: Sequence[int] | None, *, actor: str,
                          origin: str | None = None) -> IssuanceResult:
    """`issue_for_event` for some attendees only (approved self-claims); None: everyone."""
    badge = event_badge(service, event)
    if badge is None:
        raise EventError("Aucun badge n'est associé à cet événement : rien à délivrer.",
                         "No badge is tied to this event: nothing to issue.",
                         code="event.no_badge")
    with service.database.session(read_only=True) as session:
        query = select(Attendance).where(Attendance.event_family == event.family,
                                         Attendance.event_number == event.number)
        if attendance_ids is not None:
            query = query.where(Attendance.id.in_(list(attendance_ids)))
        attendances = list(session.scalars(query.order_by(Attendance.id)))
    linked = [a for a in attendances if a.credential_id is not None]
    waiting = [a for a in attendances if a.credential_id is None]
    issued: list[IssuedBadge] = []
    if waiting:
        issued = service.issue_many(
            [_issue_request(badge, event, attendance) for attendance in waiting],
            actor=actor, origin=origin, chunk=EVENT_ISSUE_CHUNK)
    # E-mails before the links: a linked attendance is one whose e-mail is queued too, so a
    # run cut short here is completed by the next (both steps are idempotent).
    run_ids = list(dict.fromkeys(item.credential_id for item in issued))
    emails = queue_badge_emails(service, run_ids, actor=actor, origin=origin)
    if waiting:
        with service.database.session() as session:
            for attendance, badge_issued in zip(waiting, issued, strict=True):
                stored = session.get(Attendance, attendance.id)
                if stored is not None and stored.credential_id is None:
                    stored.credential_id = badge_issued.credential_id
    created = list(dict.fromkeys(item.credential_id for item in issued if item.created))
    result = IssuanceResult(issued=len(created),
                            already_issued=len(linked) + len(issued) - len(created),
                            credential_ids=tuple(created), emails_queued=emails)
    with service.database.session() as session:
        # The per-credential lines are written by the service; this one says from where.
        record_audit(session, actor=actor, action="event.badges_issued", subject=event.key,
                     details={"issued": result.issued, "already_issued": result.already_issued},
                     origin=origin)
    return result


def _issue_request(badge: BadgeDefinition, event: EventView, attendance: Attendance) -> IssueRequest:
    return IssueRequest(
        badge_slug=badge.slug, email=attendance.email, name=attendance.name,
        # An event badge names its edition (the service adds it as evidence, OB 3.0 §B.1.8).
        event_number=event.number if badge.family == "event" else None,
        role=attendance.role if badge.roles else None, show_name=attendance.show_name,
        evidence=() if badge.family == "event" else (event_evidence(event),))


def event_evidence(event: EventView) -> dict[str, Any]:
    """An added event (CLN session, workshop) as OB 3.0 `Evidence` (§B.1.8) of the badge."""
    description = french_date(event.date) + (f" — {event.venue}" if event.venue else "")
    return {"type": ["Evidence"], "name": event.title.fr, "description": description,
            "genre": "Événement"}


# -- helpers ------------------------------------------------------------------------------------

def _event_rows(session: Session, *, family: str | None = None,
                number: int | None = None) -> list[tuple[rows.Event, EventSchedule | None,
                                                         tuple[int, int, int]]]:
    query = select(rows.Event, EventSchedule).outerjoin(
        EventSchedule, (EventSchedule.family == rows.Event.family)
        & (EventSchedule.number == rows.Event.number))
    if family is not None:
        query = query.where(rows.Event.family == family, rows.Event.number == number)
    found = list(session.execute(query.order_by(rows.Event.date.desc(), rows.Event.family,
                                                rows.Event.number)))
    counts = event_counts(session)
    return [(event, schedule, counts.get((event.family, event.number), (0, 0, 0)))
            for event, schedule in found]


def event_counts(session: Session) -> dict[tuple[str, int], tuple[int, int, int]]:
    """(attendees, valid badges, requests waiting) per event (family, number): the one count
    the events list, the event page and the dashboard all show (issue 13, item 10).

    A badge belongs to an event when its attendance line links it (every kind of event) or
    when it names the edition (a Petit-déjeuner badge issued from the form or the command
    line, without an attendance line); counted once, revoked badges left out."""
    attendees = {(f, n): int(total) for f, n, total in session.execute(select(
        Attendance.event_family, Attendance.event_number, func.count())
        .group_by(Attendance.event_family, Attendance.event_number))}
    credential = rows.IssuedCredential
    links = union(
        select(Attendance.event_family.label("family"), Attendance.event_number.label("number"),
               Attendance.credential_id.label("credential_id"))
        .where(Attendance.credential_id.is_not(None)),
        select(credential.badge_slug, credential.event_number, credential.id)
        .where(credential.event_number.is_not(None))).subquery()
    issued = {(f, n): int(total) for f, n, total in session.execute(
        select(links.c.family, links.c.number, func.count())
        .join(credential, credential.id == links.c.credential_id)
        .where(credential.revoked_at.is_(None))
        .group_by(links.c.family, links.c.number))}
    claims = {(f, n): int(pending) for f, n, pending in session.execute(select(
        ClaimRequest.event_family, ClaimRequest.event_number, func.count())
        .where(ClaimRequest.status == "pending")
        .group_by(ClaimRequest.event_family, ClaimRequest.event_number))}
    return {key: (attendees.get(key, 0), issued.get(key, 0), claims.get(key, 0))
            for key in attendees.keys() | issued.keys() | claims.keys()}


def _view(service: IssuerService, event: rows.Event, schedule: EventSchedule | None,
          counts: tuple[int, int, int]) -> EventView:
    kind = schedule.kind if schedule else CATALOGUE_EDITION_KIND
    title = LocalizedText(event.theme_fr, event.theme_en)
    if schedule is not None and schedule.title_fr:
        title = LocalizedText(schedule.title_fr, schedule.title_en or schedule.title_fr)
    elif kind in (PETIT_DEJEUNER_KIND, CATALOGUE_EDITION_KIND):
        try:
            name = service.catalogue.badge(event.family).name
            title = LocalizedText(f"{name.fr} nº {event.number}", f"{name.en} no. {event.number}")
        except CatalogueError:
            pass
    return EventView(family=event.family, number=event.number, kind=kind, date=event.date,
                     title=title, theme=LocalizedText(event.theme_fr, event.theme_en),
                     venue=event.venue, badge_slug=schedule.badge_slug if schedule else None,
                     attendance_count=counts[0], issued_count=counts[1],
                     pending_claims=counts[2],
                     claim_opens_at=schedule.claim_opens_at if schedule else None,
                     claim_closes_at=schedule.claim_closes_at if schedule else None)


def event_badge(service: IssuerService, event: EventView) -> BadgeDefinition | None:
    if not event.badge_slug:
        return None
    try:
        return service.catalogue.badge(event.badge_slug)
    except CatalogueError:
        return None  # removed from the catalogue since: nothing can be issued for it


def _role_book(roles: tuple[Role, ...]) -> BadgeDefinition:
    """`read_attendance` checks roles against a badge: this one stands for the event's roles
    (no sector: events have none)."""
    text = LocalizedText("—", "—")
    return BadgeDefinition(slug="attendance", family="event", achievement_type="Achievement",
                           name=text, description=text, criteria=text, image="none.svg", tags=(),
                           validity_years=None, roles=roles, events=())


def _classify(service: IssuerService, event: EventView, roles: tuple[Role, ...],
              parsed: attendance_lists.Attendance) -> AttendancePreview:
    book = _role_book(roles)
    problems = list(parsed.problems)
    checked: list[AttendeeLine] = []
    for row in parsed.rows:
        if len(row.name) > MAX_NAME_LENGTH:
            problems.append(LineProblem(row.line, f"nom trop long ({MAX_NAME_LENGTH} caractères au plus)",
                                        f"name too long ({MAX_NAME_LENGTH} characters at most)"))
            continue
        role = book.role(row.role) if row.role else roles[0]
        assert role is not None  # read_attendance refused unknown roles
        checked.append(AttendeeLine(line=row.line, name=row.name, email=row.email, role=role,
                                    show_name=bool(row.show_name)))
    problems.sort(key=lambda problem: problem.line)
    with service.database.session(read_only=True) as session:
        recorded = set(session.execute(select(Attendance.email, Attendance.role).where(
            Attendance.event_family == event.family,
            Attendance.event_number == event.number)))
    return AttendancePreview(
        attendees=[a for a in checked if (a.email, a.role.slug) not in recorded],
        already_recorded=[a for a in checked if (a.email, a.role.slug) in recorded],
        problems=problems, notes=list(parsed.notes))


def _insert_ignoring_duplicates(session: Session, model: Any, values: list[dict[str, Any]]) -> int:
    """INSERT ... ON CONFLICT DO NOTHING (SQLite and PostgreSQL): the unique constraints decide
    under concurrency, and a row already there is not an error. Returns the rows inserted."""
    from sqlalchemy.dialects import postgresql, sqlite

    insert = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
    key = list(model.__table__.primary_key.columns)
    added = 0
    for start in range(0, len(values), _INSERT_BATCH):
        # RETURNING gives exactly the rows inserted (rowcount is -1 here with psycopg).
        added += len(session.execute(insert(model).values(values[start:start + _INSERT_BATCH])
                                     .on_conflict_do_nothing().returning(*key)).all())
    return added


def _checked_text(value: str | None, field: str, *, required: bool = False) -> str | None:
    cleaned = (value or "").strip()
    if not cleaned:
        if required:
            raise InvalidInput("Indiquez le titre de l'événement.", "Give the event's title.",
                               code=f"event.{field}_required")
        return None
    if len(cleaned) > MAX_TITLE_LENGTH or find_control_characters(cleaned):
        raise InvalidInput(f"Texte trop long ou illisible ({MAX_TITLE_LENGTH} caractères au plus).",
                           f"Text too long or unreadable ({MAX_TITLE_LENGTH} characters at most).",
                           code=f"event.bad_{field}")
    return cleaned


def _capitalised(text: str) -> str:
    return text[:1].upper() + text[1:]
