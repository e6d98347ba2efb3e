"""Reading numbers and dates from a submitted form without ever raising anything but
`InvalidInput` (issue #10 item 6): `int("9" * 30)` is a fine Python integer that no database
column or `timedelta` holds, and `datetime.fromisoformat("9999-12-31T23:59")` overflows once
moved to UTC. Each reader bounds its value, so a handler only catches `IssuerError`."""

from __future__ import annotations

from datetime import UTC, date, datetime, tzinfo

from issuer.errors import InvalidInput

EARLIEST_YEAR = 1900
LATEST_YEAR = 2200
"""Dates outside these years are typing mistakes (or probes), never an event or a mandate."""
_MAX_DIGITS = 9


def bounded_int(value: str, *, minimum: int, maximum: int, code: str,
                message_fr: str, message_en: str) -> int:
    """An integer typed in a form, within [minimum, maximum]; anything else is InvalidInput."""
    text = value.strip()
    digits = text.removeprefix("-")
    if not digits.isascii() or not digits.isdigit() or len(digits) > _MAX_DIGITS:
        raise InvalidInput(message_fr, message_en, code=code)
    number = int(text)
    if not minimum <= number <= maximum:
        raise InvalidInput(message_fr, message_en, code=code)
    return number


def bounded_date(value: str, *, code: str, message_fr: str, message_en: str) -> date:
    """A `date` field (YYYY-MM-DD) between EARLIEST_YEAR and LATEST_YEAR."""
    try:
        day = date.fromisoformat(value.strip())
    except ValueError:
        raise InvalidInput(message_fr, message_en, code=code) from None
    if not EARLIEST_YEAR <= day.year <= LATEST_YEAR:
        raise InvalidInput(message_fr, message_en, code=code)
    return day


def bounded_local_datetime(value: str, zone: tzinfo, *, code: str, message_fr: str,
                           message_en: str) -> datetime:
    """A `datetime-local` field read in `zone`, returned in UTC, between EARLIEST_YEAR and
    LATEST_YEAR (so adding a few days to it, or moving it to UTC, cannot overflow)."""
    try:
        moment = datetime.fromisoformat(value.strip())
    except ValueError:
        raise InvalidInput(message_fr, message_en, code=code) from None
    if not EARLIEST_YEAR <= moment.year <= LATEST_YEAR:
        raise InvalidInput(message_fr, message_en, code=code)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=zone)
    return moment.astimezone(UTC)
