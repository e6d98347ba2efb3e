"""OB 2.0 dates and the `validity` check: `issuedOn` must be past (give or take
`CLOCK_SKEW`), `expires` (optional) not yet. `DateTime` values are ISO 8601, with a time zone
as the spec asks, or without one (read as UTC, as the official validator's parser does)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from issuer.openbadges.verification.report import make_check
from issuer.openbadges.verification.validity import CLOCK_SKEW, Validity, parse_datetime
from issuer.openbadges.verification.wording import english_day, french_day


def parse_ob2_datetime(value: Any) -> datetime | None:
    if not isinstance(value, str) or len(value) > 40:
        return None
    strict = parse_datetime(value)
    if strict is not None:
        return strict
    try:
        moment = datetime.fromisoformat(value.strip())
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def check_ob2_validity(assertion: dict[str, Any], now: datetime) -> Validity:
    issued_value, expires_value = assertion.get("issuedOn"), assertion.get("expires")
    issued = parse_ob2_datetime(issued_value)
    expires = parse_ob2_datetime(expires_value) if expires_value is not None else None
    for field_name, value, moment in (("issuedOn", issued_value, issued),
                                      ("expires", expires_value, expires)):
        if (value is not None or field_name == "issuedOn") and moment is None:
            return Validity(make_check("validity", "failed", "validity.malformed_date",
                                       field=field_name), None, None, None)
    assert issued is not None
    if expires is not None and now > expires:
        return Validity(make_check("validity", "failed", "validity.expired",
                                   date_fr=french_day(expires), date_en=english_day(expires)),
                        issued, expires, True)
    if now + CLOCK_SKEW < issued:
        return Validity(make_check("validity", "failed", "validity.not_yet_valid",
                                   date_fr=french_day(issued), date_en=english_day(issued)),
                        issued, expires, False)
    period_fr = "depuis le " + french_day(issued)
    period_en = "since " + english_day(issued)
    period_fr += (", jusqu'au " + french_day(expires)) if expires else ", sans date de fin"
    period_en += (", until " + english_day(expires)) if expires else ", no end date"
    return Validity(make_check("validity", "passed", "validity.ok", period_fr=period_fr,
                               period_en=period_en), issued, expires, False)
