"""Jinja2 environments, one per locale, with the gettext catalogue installed (autoescape on:
every coordinator- or user-provided text is escaped)."""

from __future__ import annotations

from datetime import date, datetime
from functools import cache
from typing import Any

from babel.dates import format_date, format_datetime
from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.requests import Request
from starlette.responses import HTMLResponse

from issuer.i18n import translations
from issuer.issuance.logo import Logo
from issuer.settings import templates_dir
from issuer.web.locale import (
    LOCALE_COOKIE,
    LOCALE_COOKIE_MAX_AGE,
    babel_locale,
    request_locale,
    requested_switch,
)


@cache
def environment(locale: str) -> Environment:
    env = Environment(loader=FileSystemLoader(templates_dir()),
                      autoescape=select_autoescape(["html", "xml"], default_for_string=True),
                      extensions=["jinja2.ext.i18n"], trim_blocks=True, lstrip_blocks=True)
    env.install_gettext_translations(translations(locale), newstyle=True)  # type: ignore[attr-defined]
    env.globals["locale"] = locale
    env.filters["date"] = lambda value, style="long": _format_date(value, locale, style)
    return env


def _format_date(value: date | datetime | None, locale: str, style: str) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        from zoneinfo import ZoneInfo
        return format_date(value.astimezone(ZoneInfo("Europe/Paris")).date(), style,
                           locale=babel_locale(locale))
    return format_date(value, style, locale=babel_locale(locale))


def render(request: Request, template: str, context: dict[str, Any] | None = None, *,
           status_code: int = 200, locale: str | None = None,
           headers: dict[str, str] | None = None) -> HTMLResponse:
    locale = locale or request_locale(request)
    page = environment(locale).get_template(template).render(
        request=request, current_path=request.url.path, site_logo=_site_logo(request),
        **(context or {}))
    return html_response(request, page, locale=locale, status_code=status_code, headers=headers)


def _site_logo(request: Request) -> Logo | None:
    """The City's logo for the page header and the favicon (base.html)."""
    service = getattr(request.app.state, "service", None)
    return service.logo if service is not None else None


def html_response(request: Request, page: str | bytes, *, locale: str, status_code: int = 200,
                  headers: dict[str, str] | None = None) -> HTMLResponse:
    """A rendered page as `render` sends it (also a page rendered earlier: `page_cache`): the
    language cookie when the visitor switched with `?lang=`, Content-Language and Vary."""
    response = HTMLResponse(page, status_code=status_code, headers=headers)
    if requested_switch(request):
        response.set_cookie(LOCALE_COOKIE, locale, max_age=LOCALE_COOKIE_MAX_AGE,
                            httponly=True, samesite="lax", secure=request.url.scheme == "https")
    response.headers.setdefault("content-language", locale)
    response.headers.setdefault("vary", "Accept-Language, Cookie")
    return response


def format_datetime_for(value: datetime, locale: str) -> str:
    return format_datetime(value, "long", locale=babel_locale(locale))
