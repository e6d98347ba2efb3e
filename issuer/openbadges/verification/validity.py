"""Dates: reading an XML Schema dateTime, and the `validity` check (validFrom / validUntil,
or issuanceDate / expirationDate for VCDM 1.1), with `CLOCK_SKEW` for the issuer's clock."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from issuer.openbadges.credential import CITY_TIMEZONE
from issuer.openbadges.verification.report import Check, make_check
from issuer.openbadges.verification.wording import english_day, french_day

CLOCK_SKEW = timedelta(minutes=5)
"""Tolerance between the issuer's clock and ours, for dates that come from "now" on the
issuer's side (a credential's validFrom, a status list built on request)."""

_XSD_DATETIME = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?(Z|[+-]\d{2}:\d{2})")


def parse_datetime(value: Any) -> datetime | None:
    """An XML Schema dateTime with a time zone (VCDM 2.0 §4.9 dateTimeStamp), else None."""
    if not isinstance(value, str):
        return None
    match = _XSD_DATETIME.fullmatch(value.strip())
    if match is None:
        return None
    fraction = match.group(7)
    text = value.strip()
    if fraction is not None and len(fraction) > 6:  # Python reads at most microseconds
        text = text.replace(f".{fraction}", f".{fraction[:6]}")
    try:
        moment = datetime.fromisoformat(text)  # reads a final "Z" since Python 3.11
        moment.astimezone(CITY_TIMEZONE).timestamp()  # shown in City time, compared in UTC
    except (ValueError, OverflowError):
        return None
    return moment


@dataclass(frozen=True)
class Validity:
    """The `validity` check and the dates it read."""

    check: Check
    valid_from: datetime | None
    valid_until: datetime | None
    expired: bool | None


def check_validity(credential: dict[str, Any], data_model: str | None,
                   now: datetime) -> Validity:
    """The `validity` check at `now` (a validFrom up to CLOCK_SKEW ahead is accepted)."""
    if data_model == "1.1" or (data_model is None and "validFrom" not in credential
                               and "issuanceDate" in credential):
        start_field, end_field = "issuanceDate", "expirationDate"
    else:
        start_field, end_field = "validFrom", "validUntil"
    moments: dict[str, datetime | None] = {}
    for field_name in (start_field, end_field):
        value = credential.get(field_name)
        moments[field_name] = parse_datetime(value) if value is not None else None
        if value is not None and moments[field_name] is None:
            return Validity(make_check("validity", "failed", "validity.malformed_date",
                                       field=field_name), None, None, None)
    start, end = moments[start_field], moments[end_field]
    if end is not None and now > end:
        return Validity(make_check("validity", "failed", "validity.expired",
                                   date_fr=french_day(end), date_en=english_day(end)),
                        start, end, True)
    if start is not None and now + CLOCK_SKEW < start:
        return Validity(make_check("validity", "failed", "validity.not_yet_valid",
                                   date_fr=french_day(start), date_en=english_day(start)),
                        start, end, False)
    period_fr = ("depuis le " + french_day(start)) if start else "sans date de début"
    period_en = ("since " + english_day(start)) if start else "no start date"
    period_fr += (", jusqu'au " + french_day(end)) if end else ", sans date de fin"
    period_en += (", until " + english_day(end)) if end else ", no end date"
    return Validity(make_check("validity", "passed", "validity.ok", period_fr=period_fr,
                               period_en=period_en), start, end, False)
