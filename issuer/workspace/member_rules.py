"""The council's rules on seats, without storage (deliberation DEL-2025-0121 and its règlement
intérieur, see the domain brief): at most 20 residents (role `conseiller`), at most 4 per
sector, one of the five sectors for each resident; two co-chairs; a mandate does not start more
than a year ahead. Checked on the *days* a mandate covers, not on the row count
(`issuer.workspace.members` joins them with the register).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from issuer.errors import IssuerError
from issuer.openbadges import credential as model

RESIDENT_ROLE = "conseiller"
CO_CHAIR_ROLE = "co-presidente"
#: DEL-2025-0121: "au plus 20 habitants", "4 au plus par secteur".
MAX_RESIDENTS = 20
MAX_RESIDENTS_PER_SECTOR = 4
#: The two elected officials holding the digital delegations co-chair the council.
MAX_CO_CHAIRS = 2


class CouncilRuleError(IssuerError):
    """A change the council's rules do not allow (seats, sectors, overlapping mandates)."""

    code = "cln.rule"


@dataclass(frozen=True)
class Seat:
    """A mandate as the rules see it: who sits, where, on which days (both ends included)."""

    role: str
    sector: str | None
    start: date
    end: date


def peak_occupancy(seats: Iterable[Seat], start: date, end: date) -> int:
    """The largest number of `seats` held on one day of [start, end].

    The count can only rise on the first day or on a day a seat starts, so only those days
    are counted."""
    overlapping = [seat for seat in seats if seat.start <= end and seat.end >= start]
    days = {start} | {seat.start for seat in overlapping if seat.start > start}
    return max((sum(1 for seat in overlapping if seat.start <= day <= seat.end) for day in days),
               default=0)


def check_council_rules(taken: Sequence[Seat], new: Seat) -> None:
    """Refuse `new` if, on some day of its mandate, it would break a rule of DEL-2025-0121
    given the seats already `taken` (active mandates)."""
    if new.role == RESIDENT_ROLE:
        if new.sector is None:
            raise CouncilRuleError(
                "Un·e conseiller·ère habitant·e représente un secteur : choisissez le secteur "
                "(Centre, Est, Ouest, Nord ou Sud).",
                "A resident council member represents a sector: choose the sector "
                "(Centre, Est, Ouest, Nord or Sud).", code="cln.sector_required")
        residents = [seat for seat in taken if seat.role == RESIDENT_ROLE]
        if peak_occupancy(residents, new.start, new.end) >= MAX_RESIDENTS:
            raise CouncilRuleError(
                f"Le Conseil compte déjà {MAX_RESIDENTS} habitant·es pendant ce mandat : c'est "
                "le maximum fixé par la délibération DEL-2025-0121. Attendez qu'une place se "
                "libère (fin de mandat ou démission).",
                f"The council already has {MAX_RESIDENTS} residents during this mandate: the "
                "maximum set by deliberation DEL-2025-0121. Wait until a seat is free (end of "
                "a mandate or resignation).", code="cln.council_full")
        same_sector = [seat for seat in residents if seat.sector == new.sector]
        if peak_occupancy(same_sector, new.start, new.end) >= MAX_RESIDENTS_PER_SECTOR:
            raise CouncilRuleError(
                f"Le secteur {new.sector} a déjà {MAX_RESIDENTS_PER_SECTOR} habitant·es au "
                f"Conseil pendant ce mandat : c'est le maximum par secteur "
                f"(DEL-2025-0121). Choisissez une personne d'un autre secteur ou attendez "
                f"qu'une place se libère.",
                f"Sector {new.sector} already has {MAX_RESIDENTS_PER_SECTOR} residents on the "
                f"council during this mandate: the maximum per sector (DEL-2025-0121). Choose "
                f"someone from another sector or wait until a seat is free.",
                code="cln.sector_full")
    elif new.role == CO_CHAIR_ROLE:
        chairs = [seat for seat in taken if seat.role == CO_CHAIR_ROLE]
        if peak_occupancy(chairs, new.start, new.end) >= MAX_CO_CHAIRS:
            raise CouncilRuleError(
                f"Le Conseil a déjà {MAX_CO_CHAIRS} co-présidentes pendant ce mandat : les deux "
                "élues chargées du numérique.",
                f"The council already has {MAX_CO_CHAIRS} co-chairs during this mandate: the "
                "two elected officials in charge of digital affairs.", code="cln.co_chairs_full")


#: How far ahead a mandate may start: designations are made for the coming session, so a start
#: more than a year ahead is a typing mistake (2062 for 2026), refused (issue 13 item 11).
MAX_DAYS_AHEAD = 366


def check_mandate_start(start: date, today: date) -> None:
    if start > today + timedelta(days=MAX_DAYS_AHEAD):
        raise CouncilRuleError(
            f"Un mandat ne peut pas commencer le {model.french_date(start)} : c'est plus d'un an après "
            "aujourd'hui. Vérifiez la date de début.",
            f"A mandate cannot start on {start.isoformat()}: that is more than a year from today. "
            "Check the start date.", code="cln.start_too_far")
