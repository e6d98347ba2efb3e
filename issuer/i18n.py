"""French first, English second: gettext catalogues read with Babel.

Message ids are English; `issuer/locale/fr/LC_MESSAGES/messages.po` holds the French. The `.po`
files are compiled in memory when first used (Babel's `write_mo`), so there is no build step to
forget. `make translations` (see README) re-extracts the ids from the code and templates.
"""

from __future__ import annotations

import io
from functools import cache
from importlib import resources

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import NullTranslations, Translations

from issuer.settings import environment_values

SUPPORTED_LOCALES = ("fr", "en")
DEFAULT_LOCALE = "fr"
DOMAIN = "messages"


def normalise_locale(value: str | None) -> str:
    """`en_GB.UTF-8` -> `en`; anything not supported -> French."""
    if not value:
        return DEFAULT_LOCALE
    language = value.split(".")[0].split("_")[0].split("-")[0].lower()
    return language if language in SUPPORTED_LOCALES else DEFAULT_LOCALE


def environment_locale() -> str:
    """The locale of a command-line session: ISSUER_LANG, then the usual POSIX variables."""
    for value in environment_values("lang"):
        if value not in ("C", "POSIX", "C.UTF-8"):
            return normalise_locale(value)
    return DEFAULT_LOCALE


@cache
def translations(locale: str) -> NullTranslations:
    locale = normalise_locale(locale)
    if locale == "en":
        return NullTranslations()
    po_file = resources.files("issuer").joinpath(f"locale/{locale}/LC_MESSAGES/{DOMAIN}.po")
    if not po_file.is_file():
        return NullTranslations()
    with po_file.open("rb") as handle:
        catalog = read_po(handle, locale=locale)
    buffer = io.BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    return Translations(buffer, domain=DOMAIN)


def gettext(message: str, locale: str | None = None) -> str:
    return translations(locale or environment_locale()).gettext(message)


def ngettext(singular: str, plural: str, count: int, locale: str | None = None) -> str:
    """The form of `singular` / `plural` for `count` in `locale` ("1 femme", "0 femme",
    "2 femmes" in French; "0 women" in English: each language's own plural rule, from the
    catalogue's Plural-Forms). The text is returned unformatted: format it with the count."""
    return translations(locale or environment_locale()).ngettext(singular, plural, count)


def both(message: str) -> tuple[str, str]:
    """(French, English) of one message id."""
    return translations("fr").gettext(message), message
