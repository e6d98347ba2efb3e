"""Plain pages: home, accessibility statement, personal data."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from issuer.web.deps import service_of
from issuer.web.templating import render


async def home(request: Request) -> Response:
    service = service_of(request)
    return render(request, "home.html", {"catalogue": service.catalogue})


async def accessibility(request: Request) -> Response:
    return render(request, "accessibility.html")


async def privacy(request: Request) -> Response:
    return render(request, "privacy.html")
