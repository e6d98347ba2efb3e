"""Self-claim at the event (issue #4 item 4): during a time window the coordinator shows a QR
code; attendees scan it, give their name and e-mail, and the request waits in a queue. Nothing
is issued until a coordinator approves it; approving records the attendance and issues through
the same path as an uploaded list (`issuer.workspace.events.issue_for_attendances`).

The QR code holds `/reclamer/<token>`. Only the token's SHA-256 is stored, so a copy of the
database does not give it away. The token itself is an HMAC, under the server's secret, of the
event and the window's opening time: unguessable without that secret, and the same each time
the coordinator's screen asks for it (the QR image is drawn again on every page load), without
being stored. Opening a new window gives a new token; after the window the address only
answers that it is over.

Submissions are capped per client address within the window (in all and per minute) and per
e-mail address; the per-client cap is generous because a whole room often shares one address
(the venue's Wi-Fi). A flood from a few addresses must not lock real attendees out (issue #10
item 7): past `MAX_PENDING_PER_EVENT` waiting requests, only clients that already hold
`FLOOD_SHARE` of them are refused, everyone else still gets in up to the hard ceiling
`HARD_MAX_PENDING_PER_EVENT`; and the coordinator sees the waiting requests counted per client
and rejects all of one client's at once (`reject_claims_from_client`, audited).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from issuer.errors import InvalidInput, IssuerError, NotFound
from issuer.issuance.service import IssuerService
from issuer.openbadges.badge_definitions import Role
from issuer.storage.audit_log import record_audit
from issuer.storage.models import IssuedCredential, Recipient
from issuer.storage.workspace_models import Attendance, ClaimRequest, EventSchedule
from issuer.tokens import token_digest
from issuer.workspace.events import (
    AttendeeLine,
    EventView,
    IssuanceResult,
    check_attendee,
    event_roles,
    get_event,
    issue_for_attendances,
    record_attendance,
)

CLAIM_PATH = "/reclamer"
MAX_WINDOW = timedelta(days=7)
#: Requests one client address may send for one event, in all and per minute: a room of about
#: 50 people behind one Wi-Fi address must get through, a script must not fill the queue.
CLAIMS_PER_ORIGIN_PER_WINDOW = 150
CLAIMS_PER_ORIGIN_PER_MINUTE = 40
#: Requests for one e-mail address within one window (a rejected request may be sent again).
CLAIMS_PER_EMAIL_PER_WINDOW = 3
#: Waiting requests past which a client already holding `FLOOD_SHARE` of them is refused.
MAX_PENDING_PER_EVENT = 500
FLOOD_SHARE = 20
#: Waiting requests past which everyone is refused (the queue's memory and the page's size).
HARD_MAX_PENDING_PER_EVENT = 1_000
_TOKEN = re.compile(r"[A-Za-z0-9_-]{22}")
SHORT_CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
SHORT_CODE_LENGTH = 6
# claim_requests.show_name (the attendee's consent to show their name) is asked for in the
# schema; until it exists the consent is not kept and the name stays hidden (the safe default).
_KEEPS_SHOW_NAME = hasattr(ClaimRequest, "show_name")


class ClaimError(IssuerError):
    code = "claim.error"


class ClaimNotFound(NotFound):
    code = "claim.not_found"

    def __init__(self) -> None:
        super().__init__(
            "Ce lien de demande de badge n'existe pas. Vérifiez l'adresse ou scannez à nouveau "
            "le code QR.",
            "This badge request link does not exist. Check the address or scan the QR code "
            "again.")


class ClaimWindowClosed(ClaimError):
    code = "claim.closed"

    def __init__(self) -> None:
        super().__init__(
            "La période pour demander ce badge est terminée : ce code QR ne fonctionne plus. "
            "Si vous étiez présent·e, adressez-vous à l'équipe qui organise l'événement.",
            "The period for requesting this badge is over: this QR code no longer works. "
            "If you attended, contact the team that organised the event.")


class ClaimWindowNotOpen(ClaimError):
    code = "claim.not_open"

    def __init__(self) -> None:
        super().__init__(
            "Les demandes de badge ne sont pas encore ouvertes pour cet événement. "
            "Réessayez pendant l'événement.",
            "Badge requests are not open yet for this event. Try again during the event.")


class ClaimLimitReached(ClaimError):
    code = "claim.too_many"

    def __init__(self) -> None:
        super().__init__(
            "Trop de demandes envoyées depuis ce réseau. Réessayez dans une minute, ou "
            "adressez-vous à l'équipe qui organise l'événement.",
            "Too many requests from this network. Try again in a minute, or contact the team "
            "that organised the event.")


class ClaimEmailLimitReached(ClaimError):
    code = "claim.too_many_for_email"

    def __init__(self) -> None:
        super().__init__(
            "Trop de demandes pour cette adresse e-mail. Adressez-vous à l'équipe qui organise "
            "l'événement.",
            "Too many requests for this e-mail address. Contact the team that organised the "
            "event.")


@dataclass(frozen=True)
class ClaimWindow:
    """An event as its claim page shows it."""

    event: EventView
    roles: tuple[Role, ...]
    state: str  # scheduled / open / closed


@dataclass(frozen=True)
class ClaimReceipt:
    event: EventView
    created: bool  # False: the same person had already asked (nothing added)


@dataclass(frozen=True)
class ClaimView:
    id: int
    name: str
    email: str
    role: str | None
    show_name: bool
    created_at: datetime
    #: The person already holds this event's badge: approving issues nothing new.
    already_holds: bool = False


# -- the coordinator's side ---------------------------------------------------------------------

def open_claim_window(service: IssuerService, event: EventView, *, opens_at: datetime,
                      closes_at: datetime, actor: str, origin: str | None = None,
                      now: datetime | None = None) -> str:
    """Open (or replace) the event's claim window; returns the token of its address."""
    now = now or datetime.now(UTC)
    opens_at = opens_at.astimezone(UTC).replace(microsecond=0)
    closes_at = closes_at.astimezone(UTC).replace(microsecond=0)
    if closes_at <= opens_at or closes_at <= now:
        raise InvalidInput("La fin de la période doit être après son début, et pas déjà passée.",
                           "The end of the period must be after its start, and not already past.",
                           code="claim.bad_window")
    if closes_at - opens_at > MAX_WINDOW:
        raise InvalidInput("La période de demande dure au plus 7 jours.",
                           "The request period lasts at most 7 days.", code="claim.window_too_long")
    token = claim_token(service, event, opens_at)
    with service.database.session() as session:
        schedule = _schedule(session, event)
        schedule.claim_token_hash = token_digest(token)
        schedule.claim_opens_at = opens_at
        schedule.claim_closes_at = closes_at
        record_audit(session, actor=actor, action="claims.window_opened", subject=event.key,
                     details={"opens_at": opens_at.isoformat(), "closes_at": closes_at.isoformat()},
                     origin=origin)
    return token


def close_claim_window(service: IssuerService, event: EventView, *, actor: str,
                       origin: str | None = None, now: datetime | None = None) -> None:
    """End the window now: the QR code stops working (it then says the period is over)."""
    now = (now or datetime.now(UTC)).replace(microsecond=0)
    with service.database.session() as session:
        schedule = _schedule(session, event)
        if schedule.claim_opens_at is None or schedule.claim_closes_at is None:
            return
        if schedule.claim_opens_at > now:  # not started yet: forget it
            schedule.claim_token_hash = None
            schedule.claim_opens_at = schedule.claim_closes_at = None
        elif schedule.claim_closes_at > now:
            schedule.claim_closes_at = now
        else:
            return
        record_audit(session, actor=actor, action="claims.window_closed", subject=event.key,
                     origin=origin)


def claim_token(service: IssuerService, event: EventView, opens_at: datetime) -> str:
    """The token of the window opening at `opens_at` (see the module docstring)."""
    return _token(service, event.family, event.number, opens_at)


def _token(service: IssuerService, family: str, number: int, opens_at: datetime) -> str:
    # In UTC to the second: the same instant always gives the same text, whatever the time
    # zone it was written in and however the database gives it back.
    instant = opens_at.astimezone(UTC).replace(microsecond=0).isoformat()
    message = f"claim-window\x00{family}\x00{number}\x00{instant}"
    # The server's identity secret (keys/, never in the database), under its own label.
    digest = hmac.new(service.derived_secret("claim-token"), message.encode("utf-8"), hashlib.sha256)
    return base64.urlsafe_b64encode(digest.digest()[:16]).rstrip(b"=").decode("ascii")


def short_code(token: str) -> str:
    """The code shown in large type beside the QR code, for a phone that cannot scan it: six
    characters without look-alikes (no 0/O, 1/I), typed at /reclamer. Derived from the token
    (itself an HMAC under the server's secret), so nothing more is stored. Guessing one only
    reaches a request form whose requests the coordinator approves, while a window is open."""
    digest = hashlib.sha256(f"claim-short-code\x00{token}".encode("ascii")).digest()
    number = int.from_bytes(digest[:5], "big")
    return "".join(SHORT_CODE_ALPHABET[(number >> (5 * i)) & 31] for i in range(SHORT_CODE_LENGTH))


def token_for_short_code(service: IssuerService, code: str,
                         now: datetime | None = None) -> str | None:
    """The token of the scheduled or open window whose short code is `code` (case, spaces and
    dashes ignored), or None. Few windows are open at once: each one's code is computed."""
    wanted = "".join(code.split()).replace("-", "").upper()
    if len(wanted) != SHORT_CODE_LENGTH or not set(wanted) <= set(SHORT_CODE_ALPHABET):
        return None
    now = now or datetime.now(UTC)
    with service.database.session(read_only=True) as session:
        windows = list(session.execute(select(
            EventSchedule.family, EventSchedule.number, EventSchedule.claim_opens_at,
            EventSchedule.claim_closes_at).where(EventSchedule.claim_token_hash.is_not(None))))
    for family, number, opens_at, closes_at in windows:
        if opens_at is None or closes_at is None:
            continue
        opens_at, closes_at = (moment if moment.tzinfo else moment.replace(tzinfo=UTC)
                               for moment in (opens_at, closes_at))
        if closes_at <= now:
            continue
        token = _token(service, family, number, opens_at)
        if hmac.compare_digest(short_code(token), wanted):
            return token
    return None


def current_claim_url(service: IssuerService, event: EventView,
                      now: datetime | None = None) -> str | None:
    """The address to show as a QR code, while the window is scheduled or open."""
    if event.claim_state(now) not in ("scheduled", "open") or event.claim_opens_at is None:
        return None
    return claim_url(service, claim_token(service, event, event.claim_opens_at))


def claim_url(service: IssuerService, token: str) -> str:
    return f"{service.settings.base_url.rstrip('/')}{CLAIM_PATH}/{token}"


def pending_claims(service: IssuerService, event: EventView) -> list[ClaimView]:
    """The waiting requests, oldest first; those from people who already hold the event's badge
    are flagged (the coordinator rejects them or approves them knowing nothing is issued)."""
    with service.database.session(read_only=True) as session:
        found = list(session.scalars(select(ClaimRequest).where(
            ClaimRequest.event_family == event.family, ClaimRequest.event_number == event.number,
            ClaimRequest.status == "pending").order_by(ClaimRequest.created_at, ClaimRequest.id)))
        holders = badge_holders(session, event, {c.email for c in found})
        return [ClaimView(id=c.id, name=c.name, email=c.email, role=c.role,
                          show_name=bool(getattr(c, "show_name", False)), created_at=c.created_at,
                          already_holds=c.email in holders)
                for c in found]


def badge_holders(session: Session, event: EventView, emails: set[str]) -> set[str]:
    """Which of `emails` already hold this event's badge: an attendance of the event that
    received it, or (an edition's badge, which may also come from `issuer issue-batch`) a
    credential of that badge and edition, not revoked."""
    if not emails:
        return set()
    holders = set(session.scalars(select(Attendance.email).where(
        Attendance.event_family == event.family, Attendance.event_number == event.number,
        Attendance.credential_id.is_not(None), Attendance.email.in_(list(emails)))))
    if event.badge_slug and event.from_catalogue:
        holders |= {email for email in session.scalars(
            select(Recipient.email).join(IssuedCredential,
                                         IssuedCredential.recipient_id == Recipient.id)
            .where(IssuedCredential.badge_slug == event.badge_slug,
                   IssuedCredential.event_number == event.number,
                   IssuedCredential.revoked_at.is_(None), Recipient.email.in_(list(emails))))
            if email}
    return holders


@dataclass(frozen=True)
class ClientCount:
    """Waiting requests sent from one client address (a flood shows as one large count)."""

    client: str
    pending: int


def pending_by_client(service: IssuerService, event: EventView) -> list[ClientCount]:
    """Waiting requests counted per client address, the largest first."""
    with service.database.session(read_only=True) as session:
        rows = session.execute(
            select(ClaimRequest.origin, func.count()).where(
                ClaimRequest.event_family == event.family,
                ClaimRequest.event_number == event.number, ClaimRequest.status == "pending")
            .group_by(ClaimRequest.origin))
        counts = [ClientCount(client=origin or "", pending=int(n)) for origin, n in rows]
    return sorted(counts, key=lambda item: (-item.pending, item.client))


def reject_claims_from_client(service: IssuerService, event: EventView, client: str, *,
                              actor: str, origin: str | None = None) -> int:
    """Reject every waiting request sent from `client` (nothing is issued); audited with the
    client and the count. Returns how many were rejected."""
    with service.database.session() as session:
        claims = list(session.scalars(select(ClaimRequest).where(
            ClaimRequest.event_family == event.family, ClaimRequest.event_number == event.number,
            ClaimRequest.status == "pending",
            ClaimRequest.origin == client if client else ClaimRequest.origin.is_(None))
            .with_for_update()))
        now = datetime.now(UTC)
        for claim in claims:
            claim.status, claim.decided_at, claim.decided_by = "rejected", now, actor
        if claims:
            record_audit(session, actor=actor, action="claims.rejected_from_client",
                         subject=event.key, details={"client": client, "count": len(claims)},
                         origin=origin)
        return len(claims)


def approve_claims(service: IssuerService, event: EventView, claim_ids: Sequence[int], *,
                   actor: str, origin: str | None = None) -> IssuanceResult:
    """Approve pending requests: each becomes an attendance and receives its badge."""
    roles = {role.slug: role for role in event_roles(service, event)}
    default_role = next(iter(roles))
    with service.database.session() as session:
        claims = _pending(session, event, claim_ids)
        now = datetime.now(UTC)
        for claim in claims:
            claim.status, claim.decided_at, claim.decided_by = "approved", now, actor
        people = {(c.email, c.role if c.role in roles else default_role) for c in claims}
        attendees = [_attendee(c, roles, default_role) for c in claims]
        if claims:
            record_audit(session, actor=actor, action="claims.approved", subject=event.key,
                         details={"count": len(claims)}, origin=origin)
    if not attendees:
        return IssuanceResult(issued=0, already_issued=0)
    record_attendance(service, event, attendees, source="claim", actor=actor, origin=origin)
    with service.database.session(read_only=True) as session:
        ids = [attendance_id for attendance_id, email, role in session.execute(
            select(Attendance.id, Attendance.email, Attendance.role).where(
                Attendance.event_family == event.family,
                Attendance.event_number == event.number))
               if (email, role) in people]
    return issue_for_attendances(service, get_event(service, event.family, event.number), ids,
                                 actor=actor, origin=origin)


def reject_claims(service: IssuerService, event: EventView, claim_ids: Sequence[int], *,
                  actor: str, origin: str | None = None) -> int:
    """Reject pending requests (nothing is issued); returns how many were rejected."""
    with service.database.session() as session:
        claims = _pending(session, event, claim_ids)
        now = datetime.now(UTC)
        for claim in claims:
            claim.status, claim.decided_at, claim.decided_by = "rejected", now, actor
        if claims:
            record_audit(session, actor=actor, action="claims.rejected", subject=event.key,
                         details={"count": len(claims)}, origin=origin)
        return len(claims)


# -- the attendee's side ------------------------------------------------------------------------

def find_claim_window(service: IssuerService, token: str,
                      now: datetime | None = None) -> ClaimWindow:
    """The event behind a claim address (any state), or ClaimNotFound."""
    if not _TOKEN.fullmatch(token):
        raise ClaimNotFound()
    with service.database.session(read_only=True) as session:
        schedule = session.scalars(select(EventSchedule).where(
            EventSchedule.claim_token_hash == token_digest(token))).first()
    if schedule is None:
        raise ClaimNotFound()
    event = get_event(service, schedule.family, schedule.number)
    state = event.claim_state(now)
    return ClaimWindow(event=event, roles=event_roles(service, event),
                       state="closed" if state == "none" else state)


def submit_claim(service: IssuerService, token: str, *, name: str, email: str,
                 role: str | None = None, show_name: bool = False, origin: str | None = None,
                 now: datetime | None = None) -> ClaimReceipt:
    """Queue a request for approval, only while the window is open."""
    now = now or datetime.now(UTC)
    window = find_claim_window(service, token, now)
    if window.state == "scheduled":
        raise ClaimWindowNotOpen()
    if window.state != "open":
        raise ClaimWindowClosed()
    event = window.event
    attendee, _already = check_attendee(service, event, name=name, email=email, role=role,
                                        show_name=show_name)
    with service.database.session() as session:
        same_event = (ClaimRequest.event_family == event.family,
                      ClaimRequest.event_number == event.number)
        _check_caps(session, same_event, window_start=event.claim_opens_at or now, now=now,
                    origin=origin, email=attendee.email)
        asked_before = session.scalars(select(ClaimRequest.id).where(
            *same_event, ClaimRequest.email == attendee.email,
            ClaimRequest.status.in_(("pending", "approved")))).first()
        if asked_before is not None:
            return ClaimReceipt(event=event, created=False)
        extra = {"show_name": attendee.show_name} if _KEEPS_SHOW_NAME else {}
        session.add(ClaimRequest(event_family=event.family, event_number=event.number,
                                 name=attendee.name, email=attendee.email,
                                 role=attendee.role.slug, status="pending", origin=origin,
                                 created_at=now, **extra))
    return ClaimReceipt(event=event, created=True)


def _check_caps(session: Session, same_event: tuple[Any, ...], *, window_start: datetime,
                now: datetime, origin: str | None, email: str) -> None:
    """The flood caps of the module docstring; raises ClaimLimitReached or
    ClaimEmailLimitReached."""
    in_window = (*same_event, ClaimRequest.created_at >= window_start)
    count = select(func.count()).select_from(ClaimRequest)
    if (session.scalar(count.where(*in_window, ClaimRequest.email == email)) or 0
            ) >= CLAIMS_PER_EMAIL_PER_WINDOW:
        raise ClaimEmailLimitReached()
    waiting = session.scalar(count.where(*same_event, ClaimRequest.status == "pending")) or 0
    if waiting >= HARD_MAX_PENDING_PER_EVENT:
        raise ClaimLimitReached()
    if origin is None:
        return
    from_origin = count.where(*in_window, ClaimRequest.origin == origin)
    if ((session.scalar(from_origin) or 0) >= CLAIMS_PER_ORIGIN_PER_WINDOW
            or (session.scalar(from_origin.where(
                ClaimRequest.created_at > now - timedelta(minutes=1))) or 0)
            >= CLAIMS_PER_ORIGIN_PER_MINUTE):
        raise ClaimLimitReached()
    if waiting >= MAX_PENDING_PER_EVENT and (session.scalar(count.where(
            *same_event, ClaimRequest.status == "pending", ClaimRequest.origin == origin)) or 0
            ) >= FLOOD_SHARE:
        raise ClaimLimitReached()


# -- helpers ------------------------------------------------------------------------------------

def _schedule(session: Session, event: EventView) -> EventSchedule:
    schedule = session.get(EventSchedule, (event.family, event.number))
    if schedule is None:  # get_event creates it for catalogue editions; added events have one
        raise NotFound(f"Aucun événement « {event.key} ».", f"No event '{event.key}'.",
                       code="event.not_found")
    return schedule


def _pending(session: Session, event: EventView, claim_ids: Sequence[int]) -> list[ClaimRequest]:
    if not claim_ids:
        return []
    # FOR UPDATE (PostgreSQL): two coordinators deciding the same requests take turns, so
    # each request is decided once. SQLite already serialises writers.
    return list(session.scalars(select(ClaimRequest).where(
        ClaimRequest.id.in_(list(claim_ids)), ClaimRequest.event_family == event.family,
        ClaimRequest.event_number == event.number, ClaimRequest.status == "pending")
        .with_for_update()))


def _attendee(claim: ClaimRequest, roles: dict[str, Role], default_role: str) -> AttendeeLine:
    return AttendeeLine(line=0, name=claim.name, email=claim.email,
                        role=roles.get(claim.role or "", roles[default_role]),
                        show_name=bool(getattr(claim, "show_name", False)))
