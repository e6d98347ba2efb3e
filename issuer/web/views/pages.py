"""Plain pages: home, accessibility statement, personal data."""

from __future__ import annotations

from datetime import datetime

from starlette.requests import Request
from starlette.responses import Response

from issuer.network.mediators.sign_in import POLICY
from issuer.openbadges.credential import CITY_TIMEZONE
from issuer.wallet.exchanges import EXCHANGE_MINUTES
from issuer.wallet.holder_links import LINK_DAYS
from issuer.web.deps import service_of
from issuer.web.templating import render


def home(request: Request) -> Response:
    service = service_of(request)
    demos = []
    if service.keystore.has_keys():
        from issuer.demo import demo_badges

        demos = [(issued.credential_id, issued.credential.get("name", "")) for issued in demo_badges(service)]
    today = datetime.now(CITY_TIMEZONE).date()
    # The next edition of each recurring event (issue 13 item 12: how to earn each badge).
    next_editions = [(badge, event) for badge in service.catalogue.badges
                     for event in [next((e for e in badge.events if e.date >= today), None)]
                     if event is not None]
    return render(request, "home.html", {"catalogue": service.catalogue, "demos": demos,
                                         "next_editions": next_editions,
                                         "base_url": service.settings.base_url.rstrip("/"),
                                         "issuer_name": service.settings.profile_name})


async def accessibility(request: Request) -> Response:
    return render(request, "accessibility.html",
                  {"base_url": service_of(request).settings.base_url})


async def privacy(request: Request) -> Response:
    settings = service_of(request).settings
    return render(request, "privacy.html", {
        "issuer_name": settings.profile_name, "contact_email": settings.profile_email,
        "retention_days": settings.retention_days,
        "link_minutes": int(POLICY.link_lifetime.total_seconds() // 60),
        "session_hours": int(POLICY.absolute_timeout.total_seconds() // 3600),
        "wallet_link_days": LINK_DAYS, "wallet_code_minutes": EXCHANGE_MINUTES})
