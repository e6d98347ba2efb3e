"""Is this request the badge's holder? (issue #12, item 1): the one answer the wallet pages
and the badge page share. The holder is the signed-in mediator who received the badge ("Mon
espace", issuer.web.views.mediators) or a browser holding a holder access for this badge (the
cookie set when a one-time holder link is spent, issuer.wallet.holder_links)."""

from __future__ import annotations

from starlette.requests import Request

from issuer.wallet import holder_links
from issuer.web.deps import (
    MEDIATOR_SESSION_COOKIE,
    SECURE_MEDIATOR_SESSION_COOKIE,
    clock_of,
    service_of,
    signed_in_recipient,
)

ACCESS_COOKIE = "issuer_wallet_access"
SECURE_ACCESS_COOKIE = "__Host-issuer_wallet_access"
#: The cookies that may make a request the holder's ("Mon espace" sessions, holder access).
HOLDER_COOKIES = (ACCESS_COOKIE, SECURE_ACCESS_COOKIE, MEDIATOR_SESSION_COOKIE,
                  SECURE_MEDIATOR_SESSION_COOKIE)


def secure(request: Request) -> bool:
    return request.url.scheme == "https"


def access_cookie(request: Request) -> str:
    """The holder access cookie's name: `__Host-` prefixed over HTTPS (like the sessions')."""
    return SECURE_ACCESS_COOKIE if secure(request) else ACCESS_COOKIE


def holder_of(request: Request, credential_id: str) -> str | None:
    """The recipient id when this request comes from the badge's holder, else None (also when
    the badge cannot go to a wallet now: revoked, suspended, erased)."""
    if not any(name in request.cookies for name in HOLDER_COOKIES):
        return None  # no session, no holder access: no database look-up
    service = service_of(request)
    recipient_id = holder_links.badge_holder(service, credential_id)
    if recipient_id is None:
        return None
    if signed_in_recipient(request) == recipient_id:
        return recipient_id
    granted = holder_links.access_credential(
        service, request.cookies.get(access_cookie(request)), now=clock_of(request)())
    return recipient_id if granted == credential_id else None
