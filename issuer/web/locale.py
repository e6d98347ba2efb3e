"""Locale of a web request: the `?lang=` switch (saved in a cookie), then the cookie, then
`Accept-Language`, over French and English; French when nothing says otherwise."""

from __future__ import annotations

from babel import Locale, negotiate_locale
from starlette.requests import Request

from issuer.i18n import DEFAULT_LOCALE, SUPPORTED_LOCALES, normalise_locale

LOCALE_COOKIE = "lang"
LOCALE_COOKIE_MAX_AGE = 365 * 24 * 3600


def requested_switch(request: Request) -> str | None:
    value = request.query_params.get("lang")
    if value and normalise_locale(value) == value.lower()[:2] and value.lower()[:2] in SUPPORTED_LOCALES:
        return value.lower()[:2]
    return None


def request_locale(request: Request) -> str:
    switch = requested_switch(request)
    if switch:
        return switch
    cookie = request.cookies.get(LOCALE_COOKIE)
    if cookie in SUPPORTED_LOCALES:
        return cookie
    header = request.headers.get("accept-language", "")
    preferred = []
    for part in header.split(",")[:20]:
        tag = part.split(";")[0].strip()
        if tag and tag != "*":
            preferred.append(tag.replace("-", "_"))
    chosen = negotiate_locale(preferred, list(SUPPORTED_LOCALES), sep="_") if preferred else None
    return normalise_locale(chosen) if chosen else DEFAULT_LOCALE


def babel_locale(locale: str) -> Locale:
    return Locale.parse("fr_FR" if locale == "fr" else "en_GB")
