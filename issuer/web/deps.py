"""Access to the per-application objects from a request."""

from __future__ import annotations

from starlette.requests import Request

from issuer.service import IssuerService
from issuer.settings import Settings
from issuer.web.page_cache import PageCache


def service_of(request: Request) -> IssuerService:
    service: IssuerService = request.app.state.service
    return service


def settings_of(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def page_cache_of(request: Request) -> PageCache:
    cache: PageCache = request.app.state.page_cache
    return cache
