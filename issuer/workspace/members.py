"""The register of the Conseil local du numérique (CLN): mandates, and the badges they carry.

The council's rules (deliberation DEL-2025-0121 and its règlement intérieur, see the domain
brief): at most 20 residents (role `conseiller`), at most 4 per sector, one of the five
sectors for each resident; the two co-chairs are the elected officials with digital
delegations; a mandate lasts 2 years and can be renewed.

Each mandate is one `cln_members` row and one `membre-cln` badge whose `validUntil` is the
mandate's last second (issue #4 item 5). A renewal is a new row (`renews` -> the previous one)
with a new badge; the previous badge stays valid until its own end. A mandate that ends without
renewal gets the `ancien-membre-cln` badge for the whole membership (first start to last end),
so a former member never shows an expired badge; a resignation revokes the badge with its
reason.

The rules are checked on the *days* a mandate covers, not on the row count: a renewal starting
the day after the previous mandate ends takes no second seat, and a seat freed by a resignation
is free again. The pure rules (`Seat`, `peak_occupancy`, `check_council_rules`) are in
`member_rules`, parity in `member_parity`, the daily closing in `member_closing`; the functions
here join them with storage and issuance.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from sqlalchemy.orm import Session

from issuer.collation import sort_key
from issuer.errors import InvalidInput, NotFound
from issuer.issuance.issue_requests import IssueRequest
from issuer.issuance.service import IssuerService
from issuer.openbadges import credential as model
from issuer.openbadges.badge_definitions import BadgeDefinition
from issuer.storage.audit_log import record_audit
from issuer.storage.models import IssuedCredential
from issuer.storage.workspace_models import ClnMember
from issuer.workspace.member_input import clean_member_name, council_role, council_sector
from issuer.workspace.member_parity import (
    ParityBalance,
    ParityWarning,
    balance_of,
    check_parity,
    clean_gender,
)
from issuer.workspace.member_rows import (
    all_mandate_rows,
    lock_register,
    mandate_row,
    renewal_chain_rows,
)
from issuer.workspace.member_rules import (
    MAX_RESIDENTS,
    MAX_RESIDENTS_PER_SECTOR,
    RESIDENT_ROLE,
    CouncilRuleError,
    Seat,
    check_council_rules,
    check_mandate_start,
    peak_occupancy,
)
from issuer.workspace.recipients import (
    forget_cached_status_lists,
    queue_delivery,
    revoke_in_session,
)

MEMBERSHIP_BADGE = "membre-cln"
#: How far ahead the register flags mandates that end soon.
DEFAULT_NOTICE_DAYS = 60


def mandate_last_day(start: date, years: int) -> date:
    """The last day of a mandate starting on `start`: 13 June 2025 -> 12 June 2027."""
    return model.mandate_end(start, years).astimezone(model.CITY_TIMEZONE).date()


# -- what the register holds -------------------------------------------------------------------

@dataclass(frozen=True)
class NewMember:
    """A person to add to the register, as the coordinator typed them."""

    name: str
    email: str
    role: str
    mandate_start: date
    sector: str | None = None
    show_name: bool = False
    #: DEL-2025-0121: residents aged 16 or more. A declaration ("La personne déclare avoir 16
    #: ans ou plus"), never a birth date; required on every path.
    age_declared: bool = False
    #: femme / homme / sans_reponse, or None (optional): for parity only, never in a badge.
    gender: str | None = None
    #: The coordinator saw the parity warning and adds the person all the same.
    parity_confirmed: bool = False


@dataclass(frozen=True)
class Mandate:
    """One mandate of the register (a `cln_members` row), with its place in a renewal chain."""

    id: str
    name: str
    email: str
    sector: str | None
    role: str
    start: date
    end: date
    status: str                    # active / ended / resigned
    renews: str | None
    renewed_by: str | None
    credential_id: str | None
    alumni_credential_id: str | None
    ended_at: datetime | None
    resignation_reason: str | None
    first_start: date              # start of the first mandate of the chain
    gender: str | None = None
    age_declared_at: datetime | None = None

    def is_current(self, today: date) -> bool:
        return self.status == "active" and self.start <= today <= self.end

    def awaits_closing(self, today: date) -> bool:
        """Ended on the calendar, not renewed, and neither closed nor resigned yet."""
        return self.status == "active" and self.renewed_by is None and self.end < today

    def ends_within(self, today: date, days: int) -> bool:
        return (self.status == "active" and self.renewed_by is None
                and today <= self.end <= today + timedelta(days=days))

    def can_be_closed(self, today: date) -> bool:
        return self.status == "active" and self.renewed_by is None and today >= self.end

    def can_be_renewed(self) -> bool:
        return self.status == "active" and self.renewed_by is None

    @property
    def years(self) -> str:
        """"2025–2027": the years of the whole membership (what the alumni badge shows)."""
        return f"{self.first_start.year}–{self.end.year}"

    def as_seat(self) -> Seat:
        return Seat(role=self.role, sector=self.sector, start=self.start, end=self.end)


@dataclass(frozen=True)
class SectorCount:
    sector: str
    residents: int
    limit: int = MAX_RESIDENTS_PER_SECTOR


@dataclass(frozen=True)
class Register:
    """The council on `today`: the latest mandate of each member (active ones), seats per
    sector against the limits, mandates ending soon or waiting to be closed, former members."""

    today: date
    members: tuple[Mandate, ...]
    former: tuple[Mandate, ...]
    sector_counts: tuple[SectorCount, ...]
    residents: int
    residents_limit: int
    ending_soon: tuple[Mandate, ...]
    to_close: tuple[Mandate, ...]
    # Residents in office today, by the answer recorded for parity.
    parity: ParityBalance = field(default_factory=ParityBalance)

    def in_sector(self, sector: str | None) -> list[Mandate]:
        return [mandate for mandate in self.members if mandate.sector == sector]

    @property
    def without_sector(self) -> list[Mandate]:
        return self.in_sector(None)


@dataclass(frozen=True)
class ParityAnswerChange:
    """The mandate after `set_parity_answer`; `changed` is False when the answer was already
    the one given (nothing written, no audit line)."""

    mandate: Mandate
    changed: bool


# -- reading -------------------------------------------------------------------------------------

def membership_badge(service: IssuerService) -> BadgeDefinition:
    return service.catalogue.badge(MEMBERSHIP_BADGE)


def sectors(service: IssuerService) -> tuple[str, ...]:
    return membership_badge(service).sectors


def city_today() -> date:
    return datetime.now(model.CITY_TIMEZONE).date()


def register(service: IssuerService, *, today: date | None = None,
             notice_days: int = DEFAULT_NOTICE_DAYS) -> Register:
    today = today or city_today()
    with service.database.session(read_only=True) as session:
        mandates = _all_mandates(session)
    latest = [m for m in mandates if m.renewed_by is None]
    members = tuple(sorted((m for m in latest if m.status == "active"),
                           key=lambda m: (m.sector or "~", sort_key(m.name))))
    former = tuple(sorted((m for m in latest if m.status != "active"),
                          key=lambda m: (m.ended_at or datetime.min.replace(tzinfo=UTC)),
                          reverse=True))
    residents = [m.as_seat() for m in mandates
                 if m.status == "active" and m.role == RESIDENT_ROLE]
    counts = tuple(SectorCount(sector, peak_occupancy(
        [seat for seat in residents if seat.sector == sector], today, today))
        for sector in sectors(service))
    return Register(
        today=today, members=members, former=former, sector_counts=counts,
        residents=peak_occupancy(residents, today, today), residents_limit=MAX_RESIDENTS,
        ending_soon=tuple(sorted((m for m in members if m.ends_within(today, notice_days)),
                                 key=lambda m: m.end)),
        to_close=tuple(sorted((m for m in members if m.awaits_closing(today)),
                              key=lambda m: m.end)),
        parity=residents_parity(mandates, today))


def residents_parity(mandates: Iterable[Mandate], day: date) -> ParityBalance:
    """Women, men and unanswered among the residents in office on `day`."""
    return balance_of(m.gender for m in mandates
                      if m.status == "active" and m.role == RESIDENT_ROLE
                      and m.start <= day <= m.end)


def mandates_ending_within(service: IssuerService, days: int, *,
                           today: date | None = None) -> list[Mandate]:
    """Active mandates, not renewed, whose last day falls in the next `days` days (today
    included), soonest first: the ones to renew or to close."""
    today = today or city_today()
    with service.database.session(read_only=True) as session:
        mandates = _all_mandates(session)
    return sorted((m for m in mandates if m.ends_within(today, days)), key=lambda m: m.end)


def mandates_awaiting_closing(service: IssuerService, today: date) -> list[Mandate]:
    """Active mandates, not renewed, whose last day is before `today`: the ones to close."""
    with service.database.session(read_only=True) as session:
        mandates = _all_mandates(session)
    return sorted((m for m in mandates if m.awaits_closing(today)), key=lambda m: m.end)


def get_mandate(service: IssuerService, mandate_id: str) -> Mandate:
    with service.database.session(read_only=True) as session:
        return _mandate_of(session, mandate_row(session, mandate_id))


def current_mandate_of(service: IssuerService, email: str) -> Mandate:
    """The person's mandate the register shows (active, the latest of its renewal chain): how
    the command line names a member, by e-mail."""
    address = model.normalise_email(email)
    with service.database.session(read_only=True) as session:
        mandates = _all_mandates(session)
    found = [m for m in mandates
             if m.email == address and m.status == "active" and m.renewed_by is None]
    if not found:
        raise NotFound(
            f"Aucun mandat en cours au Conseil pour {address}.",
            f"No current council mandate for {address}.", code="cln.not_found")
    return max(found, key=lambda m: m.start)


# -- changing the register -----------------------------------------------------------------------

def add_member(service: IssuerService, member: NewMember, *, actor: str,
               origin: str | None = None, now: datetime | None = None) -> Mandate:
    """Add a mandate to the register and issue its membership badge (valid until the
    mandate's last day), in one transaction: either both exist or neither does.

    Refused without the declaration of being 16 or over; an addition that would break parity
    raises `ParityWarning` unless `member.parity_confirmed` (see `member_parity`)."""
    badge = membership_badge(service)
    if not member.age_declared:
        raise CouncilRuleError(
            "Cochez « La personne déclare avoir 16 ans ou plus » : le Conseil accueille des "
            "habitant·es de 16 ans et plus (DEL-2025-0121). Aucune date de naissance n'est "
            "demandée.",
            "Tick “The person declares being 16 or over”: the council welcomes residents aged "
            "16 or more (DEL-2025-0121). No birth date is asked.",
            code="cln.age_declaration_required")
    gender = clean_gender(member.gender)
    name = clean_member_name(member.name)
    email = model.normalise_email(member.email)
    role = council_role(badge, member.role)
    sector = council_sector(badge, member.sector)
    start = member.mandate_start
    end = mandate_last_day(start, _mandate_years(badge))
    now = _now(now)
    check_mandate_start(start, now.astimezone(model.CITY_TIMEZONE).date())
    with service.database.session() as session:
        lock_register(session)
        taken = [m for m in _all_mandates(session) if m.status == "active"]
        overlapping = [m for m in taken if m.email == email and m.start <= end and m.end >= start]
        if overlapping:
            raise CouncilRuleError(
                f"Cette personne a déjà un mandat en cours du {_fr(overlapping[0].start)} au "
                f"{_fr(overlapping[0].end)} : renouvelez-le plutôt que d'en ajouter un autre.",
                f"This person already holds a mandate from {overlapping[0].start} to "
                f"{overlapping[0].end}: renew it rather than adding another.",
                code="cln.already_member")
        check_council_rules([m.as_seat() for m in taken],
                            Seat(role=role, sector=sector, start=start, end=end))
        parity_warned = False
        if role == RESIDENT_ROLE:
            # On the day the seat is taken: who sits then, with this person.
            try:
                check_parity(residents_parity(taken, start), gender)
            except ParityWarning:
                if not member.parity_confirmed:
                    raise
                parity_warned = True
        credential_id = _issue_membership(
            service, session, IssueRequest(
                badge_slug=badge.slug, email=email, name=name, role=role, sector=sector,
                show_name=member.show_name, mandate_start=start, through_register=True),
            actor=actor, origin=origin, now=now)
        row = ClnMember(id=str(uuid.uuid4()), name=name, email=email, sector=sector, role=role,
                        mandate_start=start, mandate_end=end, status="active",
                        credential_id=credential_id, created_at=now, gender=gender,
                        age_declared_at=now)
        session.add(row)
        session.flush()
        # The answer itself is not in the trail (personal data), only that the coordinator
        # confirmed an addition the parity warning was about.
        details: dict[str, object] = {
            "role": role, "sector": sector, "start": start.isoformat(), "end": end.isoformat(),
            "credential": credential_id, "age_declared": True}
        if parity_warned:
            details["parity_gap_confirmed"] = True
        record_audit(session, actor=actor, action="cln.member_added", subject=row.id,
                     details=details, origin=origin)
        return _mandate_of(session, row)


def renew_mandate(service: IssuerService, mandate_id: str, *, actor: str,
                  origin: str | None = None, now: datetime | None = None) -> Mandate:
    """A new mandate from the day after `mandate_id` ends, with a new membership badge; the
    current badge stays valid until its own end."""
    badge = membership_badge(service)
    now = _now(now)
    with service.database.session() as session:
        lock_register(session)
        current = _mandate_of(session, mandate_row(session, mandate_id))
        if current.status != "active":
            raise InvalidInput(
                "Ce mandat est clos ou la personne a démissionné : il ne peut pas être renouvelé. "
                "Ajoutez la personne comme nouveau membre si elle revient au Conseil.",
                "This mandate is closed or the person resigned: it cannot be renewed. Add the "
                "person as a new member if they return to the council.", code="cln.not_active")
        if current.renewed_by is not None:
            raise InvalidInput("Ce mandat a déjà été renouvelé.",
                               "This mandate has already been renewed.",
                               code="cln.already_renewed")
        start = current.end + timedelta(days=1)
        end = mandate_last_day(start, _mandate_years(badge))
        others = [m for m in _all_mandates(session) if m.status == "active" and m.id != current.id]
        check_council_rules([m.as_seat() for m in others],
                            Seat(role=current.role, sector=current.sector, start=start, end=end))
        credential_id = _issue_membership(
            service, session, IssueRequest(
                badge_slug=badge.slug, email=current.email, name=current.name, role=current.role,
                sector=current.sector, mandate_start=start, through_register=True),
            actor=actor, origin=origin, now=now)
        # The same person: their parity answer and age declaration carry over.
        row = ClnMember(id=str(uuid.uuid4()), name=current.name, email=current.email,
                        sector=current.sector, role=current.role, mandate_start=start,
                        mandate_end=end, status="active", renews=current.id,
                        credential_id=credential_id, created_at=now, gender=current.gender,
                        age_declared_at=current.age_declared_at)
        session.add(row)
        session.flush()
        record_audit(session, actor=actor, action="cln.mandate_renewed", subject=row.id,
                     details={"renews": current.id, "start": start.isoformat(),
                              "end": end.isoformat(), "credential": credential_id},
                     origin=origin)
        return _mandate_of(session, row)


def end_mandate(service: IssuerService, mandate_id: str, *, actor: str,
                origin: str | None = None, now: datetime | None = None,
                automatic: bool = False) -> Mandate:
    """Close a mandate that reached its end without renewal: issue the *Ancien·ne membre*
    badge for the whole membership (first start to last end, e.g. 2025–2027) and mark the
    chain ended. The membership badge is left as is: it expired on its own date."""
    badge = membership_badge(service)
    if badge.alumni_badge is None:  # the catalogue names it; checked when loading
        raise InvalidInput("Le catalogue ne définit pas de badge d'ancien membre.",
                           "The catalogue defines no former-member badge.",
                           code="cln.no_alumni_badge")
    now = _now(now)
    today = now.astimezone(model.CITY_TIMEZONE).date()
    with service.database.session() as session:
        lock_register(session)
        current = _mandate_of(session, mandate_row(session, mandate_id))
        if current.status != "active":
            raise InvalidInput("Ce mandat est déjà clos.", "This mandate is already closed.",
                               code="cln.not_active")
        if current.renewed_by is not None:
            raise InvalidInput(
                "Ce mandat a été renouvelé : c'est le dernier mandat qui se clôt, à sa fin.",
                "This mandate was renewed: it is the latest mandate that is closed, at its end.",
                code="cln.already_renewed")
        if today < current.end:
            raise InvalidInput(
                f"Le mandat se termine le {_fr(current.end)} : il peut être clos à partir de "
                f"ce jour-là. Avant, la personne peut démissionner.",
                f"The mandate ends on {current.end}: it can be closed from that day on. "
                f"Before then, the person can resign.", code="cln.not_ended_yet")
        alumni_id = _issue_membership(
            service, session, IssueRequest(
                badge_slug=badge.alumni_badge, email=current.email, name=current.name,
                role=current.role, sector=current.sector, mandate_start=current.first_start,
                mandate_end=current.end, through_register=True),
            actor=actor, origin=origin, now=now)
        chain = renewal_chain_rows(session, mandate_id)
        for row in chain:
            if row.status == "active":
                row.status = "ended"
                row.ended_at = now
            row.gender = None  # needed for parity while in office only (personal data page)
        latest = chain[-1]
        latest.alumni_credential_id = alumni_id
        session.flush()
        details: dict[str, object] = {"alumni_credential": alumni_id,
                                      "mandates": [row.id for row in chain]}
        if automatic:
            details["automatic"] = True
        record_audit(session, actor=actor, action="cln.mandate_ended", subject=latest.id,
                     details=details, origin=origin)
        return _mandate_of(session, latest)


def set_parity_answer(service: IssuerService, mandate_id: str, answer: str | None, *,
                      actor: str, origin: str | None = None,
                      now: datetime | None = None) -> ParityAnswerChange:
    """Correct the member's answer for parity, or remove it (`answer` blank: the person
    withdraws it, or it was recorded by mistake). Only while the mandate runs: the answer is
    erased when the mandate ends (closed or resigned), and a mandate past its last day no
    longer counts for parity. The whole renewal chain carries the same answer (a renewal
    copies it), so the chain is changed together.

    No parity warning here: the answer is a fact about the person, not a designation; the
    register shows the balance after the change. The audit line says that the answer changed
    and whether it was removed, never the answer itself (personal data)."""
    gender = clean_gender(answer)
    now = _now(now)
    today = now.astimezone(model.CITY_TIMEZONE).date()
    with service.database.session() as session:
        lock_register(session)
        current = _mandate_of(session, mandate_row(session, mandate_id))
        if current.status != "active" or current.end < today:
            raise InvalidInput(
                "Ce mandat est terminé : la réponse pour la parité a été effacée à sa fin (ou "
                "le sera à sa clôture) et ne peut plus être modifiée.",
                "This mandate has ended: the answer for parity was erased at its end (or will "
                "be when it is closed) and can no longer be changed.",
                code="cln.parity_answer_closed")
        if current.renewed_by is not None:
            raise InvalidInput(
                "Ce mandat a été renouvelé : modifiez la réponse sur le dernier mandat.",
                "This mandate was renewed: change the answer on the latest mandate.",
                code="cln.already_renewed")
        chain = [row for row in renewal_chain_rows(session, mandate_id) if row.status == "active"]
        if all(row.gender == gender for row in chain):
            return ParityAnswerChange(current, changed=False)
        for row in chain:
            row.gender = gender
        session.flush()
        details: dict[str, object] = {"mandates": [row.id for row in chain]}
        if gender is None:
            details["answer_removed"] = True
        record_audit(session, actor=actor, action="cln.parity_answer_changed",
                     subject=mandate_id, details=details, origin=origin)
        return ParityAnswerChange(_mandate_of(session, mandate_row(session, mandate_id)),
                                  changed=True)


def resign(service: IssuerService, mandate_id: str, reason: str, *, actor: str,
           origin: str | None = None, now: datetime | None = None) -> Mandate:
    """The member leaves before the end: the membership badges of the mandates not over yet
    (the current one and a renewal already granted) are revoked with `reason`; the register
    marks them resigned. Badges of mandates already completed stay as they are."""
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput("Indiquez le motif de la démission : il accompagne la révocation du badge.",
                           "Give the reason for the resignation: it goes with the badge's "
                           "revocation.", code="cln.reason_required")
    now = _now(now)
    today = now.astimezone(model.CITY_TIMEZONE).date()
    with service.database.session() as session:
        lock_register(session)
        target = mandate_row(session, mandate_id)
        if target.status != "active":
            raise InvalidInput("Ce mandat n'est plus en cours.", "This mandate is no longer active.",
                               code="cln.not_active")
        affected = [row for row in renewal_chain_rows(session, mandate_id)
                    if row.status == "active" and row.mandate_end >= today]
        if not affected:  # the calendar end passed: close it, do not revoke a completed mandate
            raise InvalidInput(
                "Ce mandat est arrivé à son terme : clôturez-le plutôt (badge d'ancien membre).",
                "This mandate has reached its end: close it instead (former-member badge).",
                code="cln.already_over")
        revoked: list[str] = []
        for row in renewal_chain_rows(session, mandate_id):
            row.gender = None  # needed for parity while in office only (personal data page)
        for row in affected:
            credential = (session.get(IssuedCredential, row.credential_id)
                          if row.credential_id else None)
            if credential is not None and credential.revoked_at is None:
                revoke_in_session(session, credential, reason, actor=actor, origin=origin, now=now)
                revoked.append(credential.id)
            row.status = "resigned"
            row.ended_at = now
            row.resignation_reason = reason
        session.flush()
        record_audit(session, actor=actor, action="cln.member_resigned",
                     subject=affected[0].id,
                     details={"mandates": [row.id for row in affected],
                              "revoked": revoked}, origin=origin)
        result = _mandate_of(session, affected[-1])
    forget_cached_status_lists(service)
    return result


# -- helpers -----------------------------------------------------------------------------------------

def _now(now: datetime | None) -> datetime:
    return (now or datetime.now(UTC)).astimezone(UTC).replace(microsecond=0)


def _fr(day: date) -> str:
    return model.french_date(day)


def _mandate_years(badge: BadgeDefinition) -> int:
    return badge.validity_years or 2  # DEL-2025-0121: 2-year mandate


def _issue_membership(service: IssuerService, session: Session, request: IssueRequest, *,
                      actor: str, origin: str | None, now: datetime) -> str:
    """Issue in the register's transaction and queue the delivery e-mail with it."""
    issued = service.issue_in_session(session, request, actor=actor, now=now)
    if not issued.created:
        # The same badge for the same person and mandate start exists (idempotency key): it
        # may be revoked (a resignation), and a revoked badge is never brought back.
        raise CouncilRuleError(
            "Un badge a déjà été émis à cette personne pour un mandat commençant à cette date "
            "(il a pu être révoqué). Choisissez une autre date de début.",
            "A badge was already issued to this person for a mandate starting on this date "
            "(it may have been revoked). Choose another start date.",
            code="cln.badge_exists")
    queue_delivery(service, session, issued.credential_id, actor=actor, origin=origin)
    return issued.credential_id


def _mandates_from(rows: Sequence[ClnMember]) -> list[Mandate]:
    by_id = {row.id: row for row in rows}
    successor = {row.renews: row.id for row in rows if row.renews}
    mandates = []
    for row in rows:
        first = row
        while first.renews and first.renews in by_id:
            first = by_id[first.renews]
        mandates.append(Mandate(
            id=row.id, name=row.name, email=row.email, sector=row.sector, role=row.role,
            start=row.mandate_start, end=row.mandate_end, status=row.status, renews=row.renews,
            renewed_by=successor.get(row.id), credential_id=row.credential_id,
            alumni_credential_id=row.alumni_credential_id, ended_at=row.ended_at,
            resignation_reason=row.resignation_reason, first_start=first.mandate_start,
            gender=row.gender, age_declared_at=row.age_declared_at))
    return mandates


def _all_mandates(session: Session) -> list[Mandate]:
    return _mandates_from(all_mandate_rows(session))


def _mandate_of(session: Session, row: ClnMember) -> Mandate:
    session.flush()
    return next(m for m in _all_mandates(session) if m.id == row.id)
