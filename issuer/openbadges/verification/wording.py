"""Dates and issuer names as they read in French and English sentences (City time)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from issuer.openbadges.credential import CITY_TIMEZONE, french_date

_ENGLISH_MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August",
                   "September", "October", "November", "December")


def join_labels(labels: Iterable[str], conjunction: str) -> str:
    """"A, B or C" / "A, B ni C": each label once, in order."""
    items = list(dict.fromkeys(labels))
    if len(items) <= 1:
        return "".join(items)
    return f"{', '.join(items[:-1])} {conjunction} {items[-1]}"


_FEMININE_HEADS = ("ville ", "mairie ", "métropole ", "région ", "commune ", "communauté ",
                   "direction ", "mission ")
_MASCULINE_HEADS = ("conseil ", "département ", "service ", "centre ")


def with_article(label: str) -> str:
    """"Ville de Roubaix" -> "la Ville de Roubaix", for French sentences."""
    lowered = label.casefold()
    if lowered.startswith(_FEMININE_HEADS):
        return f"la {label}"
    if lowered.startswith(_MASCULINE_HEADS):
        return f"le {label}"
    return label


def french_day(moment: datetime) -> str:
    return french_date(moment.astimezone(CITY_TIMEZONE).date())


def english_day(moment: datetime) -> str:
    day = moment.astimezone(CITY_TIMEZONE).date()
    return f"{day.day} {_ENGLISH_MONTHS[day.month - 1]} {day.year}"
