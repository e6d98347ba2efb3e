"""Request body caps, enforced while reading (issue #10 item 5): one table, route → bytes.

nginx caps bodies too (docs/DEPLOYMENT.md), but the application must not rely on it: without a
cap here, a 900 MB form was read into memory and a 500 MB upload spooled to disk before the
handler refused a stranger. So, for every request, before the handler runs:

- the request's cap is read from `ROUTE_LIMITS`, keyed by the route's path template as written
  in the route table (POST, PUT, PATCH, DELETE); a route missing from the table gets
  `UNLISTED` (tiny), and `tests/test_body_limits.py` fails for it;
- a route for signed-in coordinators only (`signed_in=True`) gets `ANONYMOUS_ADMIN_BYTES` when
  the request carries no valid session: the session is looked up *before* the body is read;
- a declared `Content-Length` above the cap is answered 413 at once, the handler never runs;
- a body without a length (chunked) is counted as it arrives; past the cap the handler's read
  fails, whatever it answers is dropped, and the client gets the same 413.

413 answers: a French-first page for people, structured JSON under /api/ (or when JSON is
asked for). `Connection: close`, so the server stops reading what is left.

Forms are then parsed with python-multipart's own bounds taken from the same entry
(`form_limits`: number of fields and files, size of one part), so a body under the cap still
cannot hold 100 000 tiny fields.

Written here rather than taken from a library: Starlette has no body cap; FastAPI's
`max_body_size` (recent versions) covers FastAPI routes only, while our pages are Starlette
routes, and answers its own 413 without looking at the session first; the small ASGI
middlewares that exist apply one size to the whole application.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from functools import cache
from typing import Any

from starlette.datastructures import Headers
from starlette.requests import Request
from starlette.routing import compile_path
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from issuer.network.evidence import MAX_FILE_BYTES as EVIDENCE_FILE_BYTES
from issuer.workspace.attendance import MAX_BYTES as ATTENDANCE_FILE_BYTES

KIB = 1024
FORM_OVERHEAD_BYTES = 64 * KIB
"""Room for multipart boundaries, part headers and the small fields beside a file."""
CASE_PACKAGE_BYTES = 2 * 1024 * 1024
"""Largest CASE (1EdTech Competencies and Academic Standards Exchange) package imported."""


@dataclass(frozen=True)
class BodyLimit:
    """The cap of one kind of request. `kind` names it in the documentation table."""

    kind: str
    max_bytes: int
    signed_in: bool = False
    max_fields: int = 64
    max_files: int = 0
    json_code: str = "request.too_large"


VERIFICATION = BodyLimit("verification", 3_000_000, max_fields=16, max_files=4,
                         json_code="verify.too_large")
"""The verifier page and API: the handler itself refuses a badge over 2 MB (with the form
page or its JSON error) and drops the rest; past 3 MB the request is cut off here."""
ATTENDANCE = BodyLimit("attendance", ATTENDANCE_FILE_BYTES + FORM_OVERHEAD_BYTES,
                       signed_in=True, max_fields=16, max_files=1)
EVIDENCE = BodyLimit("evidence", EVIDENCE_FILE_BYTES + FORM_OVERHEAD_BYTES, signed_in=True,
                     max_fields=32, max_files=1)
CASE_IMPORT = BodyLimit("case-import", CASE_PACKAGE_BYTES + FORM_OVERHEAD_BYTES,
                        signed_in=True, max_fields=16, max_files=1)
CLAIM_DECISION = BodyLimit("claim-decision", 64 * KIB, signed_in=True, max_fields=1_100)
"""One tick box per pending request (at most `claims.HARD_MAX_PENDING_PER_EVENT`)."""
ADMIN_FORM = BodyLimit("admin-form", 64 * KIB, signed_in=True)
PUBLIC_FORM = BodyLimit("public-form", 16 * KIB)
"""Forms anyone may send: signing in, an invitation, a self-claim, the mediator's space."""
WALLET_REQUEST = BodyLimit("wallet-request", 16 * KIB, max_fields=8,
                           json_code="oid4vci.too_large")
"""OpenID4VCI token, nonce and credential requests: a code and a transaction code, or one
proof-of-possession JWT (at most 8 KiB, `issuer.wallet.proof_of_possession`)."""
ANONYMOUS_ADMIN_BYTES = 1 * KIB
"""A coordinator-only route without a valid session: the handler refuses it unread anyway."""
WALLET_EXCHANGE = BodyLimit("wallet-exchange", 64 * KIB, max_fields=0,
                            json_code="wallet.too_large")
"""A wallet's message in a VC-API exchange: `{}` or a DIDAuth presentation (about 2 KB)."""
UNLISTED = BodyLimit("unlisted", 16 * KIB)
"""Any route not in the table (a GET, a static file, a 404): no handler reads its body."""

_EVENT = "/admin/evenements/{family}/{number:dbint}"

ROUTE_LIMITS: dict[str, BodyLimit] = {
    # Verification, open to anyone.
    "/verifier": VERIFICATION,
    "/verify": VERIFICATION,
    "/api/v1/verify": VERIFICATION,
    "/api/v1/verify/holder": VERIFICATION,  # the badge again, with the address to compare
    "/exchanges/presentations/{token}": VERIFICATION,  # a wallet's presentation, badges inside
    "/verifier/presentations": PUBLIC_FORM,  # "Demander une présentation": an empty form
    # Wallet apps (OpenID4VCI).
    "/oid4vci/token": WALLET_REQUEST,
    "/oid4vci/nonce": WALLET_REQUEST,
    "/oid4vci/credential": WALLET_REQUEST,
    # Public forms.
    "/credentials/{credential_id}": PUBLIC_FORM,  # "is this badge theirs?": one address
    "/admin/connexion": PUBLIC_FORM,
    "/admin/invitation/{token}": PUBLIC_FORM,
    "/reclamer/{token}": PUBLIC_FORM,
    "/espace/connexion": PUBLIC_FORM,
    "/espace/lien/{token}": PUBLIC_FORM,
    "/espace/deconnexion": PUBLIC_FORM,
    "/espace/annuaire": PUBLIC_FORM,
    "/espace/annuaire/retrait": PUBLIC_FORM,
    "/espace/badges/{credential_id}/nom": PUBLIC_FORM,
    "/espace/recommander/{credential_id}": PUBLIC_FORM,
    "/espace/recommandations/{endorsement_id}/retrait": PUBLIC_FORM,
    "/credentials/{credential_id}/portefeuille": PUBLIC_FORM,  # "C'est mon badge": no field
    "/portefeuille/{credential_id}": PUBLIC_FORM,
    "/portefeuille/lien/{token}": PUBLIC_FORM,
    # Wallets (issue #12): the VC-API exchange.
    "/portefeuille/echanges/{token}": WALLET_EXCHANGE,
    # Uploads, signed-in coordinators only.
    f"{_EVENT}/presences/apercu": ATTENDANCE,
    f"{_EVENT}/presences/confirmer": ATTENDANCE,
    "/admin/competences/badges/{slug}/delivrer": EVIDENCE,
    "/admin/competences/importer": CASE_IMPORT,
    # Every other coordinator form.
    f"{_EVENT}/demandes": CLAIM_DECISION,
    f"{_EVENT}/demandes/origine": ADMIN_FORM,
    f"{_EVENT}/presences/ajouter": ADMIN_FORM,
    f"{_EVENT}/delivrer": ADMIN_FORM,
    f"{_EVENT}/reclamation/ouvrir": ADMIN_FORM,
    f"{_EVENT}/reclamation/fermer": ADMIN_FORM,
    "/admin/evenements/nouveau": ADMIN_FORM,
    "/admin/deconnexion": ADMIN_FORM,
    "/admin/comptes/inviter": ADMIN_FORM,
    "/admin/comptes/{user_id}/desactiver": ADMIN_FORM,
    "/admin/badges/nouveau": ADMIN_FORM,
    "/admin/badges/{credential_id}/revoquer": ADMIN_FORM,
    "/admin/conseil": ADMIN_FORM,
    "/admin/conseil/{mandate_id}/{action}": ADMIN_FORM,
    "/admin/personnes/{person_id}/nom": ADMIN_FORM,
    "/admin/personnes/{person_id}/courriel": ADMIN_FORM,
    "/admin/personnes/{person_id}/effacer": ADMIN_FORM,
    "/admin/courriels/relancer": ADMIN_FORM,
    "/admin/courriels/{message_id}/renvoyer": ADMIN_FORM,
    "/admin/competences/badges": ADMIN_FORM,
    "/admin/competences/badges/{slug}/criteres": ADMIN_FORM,
    "/admin/competences/domaines/nouveau": ADMIN_FORM,
    "/admin/competences/domaines/{code}": ADMIN_FORM,
    "/admin/competences/domaines/{code}/{action}": ADMIN_FORM,
    "/admin/competences/nouvelle": ADMIN_FORM,
    "/admin/competences/{code}": ADMIN_FORM,
    "/admin/competences/{code}/{action}": ADMIN_FORM,
    "/admin/recommandations/{endorsement_id}/approuver": ADMIN_FORM,
    "/admin/recommandations/{endorsement_id}/refuser": ADMIN_FORM,
    "/admin/recommandations/{endorsement_id}/revoquer": ADMIN_FORM,
}

BODY_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
DOCUMENTED_KINDS: tuple[BodyLimit, ...] = (VERIFICATION, ATTENDANCE, EVIDENCE, CASE_IMPORT,
                                           CLAIM_DECISION, ADMIN_FORM, PUBLIC_FORM,
                                           WALLET_REQUEST, WALLET_EXCHANGE,
                                           UNLISTED)
"""Every kind, in the order of the documentation table (README and docs/DEPLOYMENT.md)."""

SignedIn = Callable[[Scope], Awaitable[bool]]


class BodyTooLarge(Exception):
    """Raised into the handler's read when the body passes its cap."""


def largest_cap() -> int:
    return max(limit.max_bytes for limit in ROUTE_LIMITS.values())


@cache
def _compiled() -> tuple[tuple[re.Pattern[str], BodyLimit], ...]:
    # Literal paths before patterns, fewer parameters first: `/admin/competences/importer`
    # must not be taken for `/admin/competences/{code}`. The test suite checks that each
    # route of the app resolves to its own entry.
    ordered = sorted(ROUTE_LIMITS.items(), key=lambda item: (item[0].count("{"), -len(item[0])))
    return tuple((compile_path(path)[0], limit) for path, limit in ordered)


def limit_for(method: str, path: str) -> BodyLimit:
    """The cap of a request: its route's entry for a method that carries a body, else
    `UNLISTED`. Matched on the table itself (the paths as the route table writes them), so
    it holds whatever router class serves the route."""
    if method.upper() in BODY_METHODS:
        for pattern, limit in _compiled():
            if pattern.match(path):
                return limit
    return UNLISTED


def form_limits(request: Request) -> dict[str, int]:
    """python-multipart's bounds for this request's form (keyword arguments of
    `Request.form`), from the entry the middleware chose; the tightest kind otherwise."""
    limit: BodyLimit = request.scope.get("state", {}).get("body_limit", UNLISTED)
    return {"max_fields": limit.max_fields, "max_files": limit.max_files,
            "max_part_size": limit.max_bytes}


class BodyLimits:
    """ASGI middleware applying `ROUTE_LIMITS` (see the module docstring). `signed_in(scope)`
    says whether the request carries a valid coordinator session."""

    def __init__(self, app: ASGIApp, signed_in: SignedIn,
                 refusal: Callable[[Scope, BodyLimit, int], Awaitable[Any]] | None = None) -> None:
        self.app = app
        self.signed_in = signed_in
        self.refusal = refusal or plain_refusal

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = limit_for(scope["method"], scope["path"])
        cap = limit.max_bytes
        if limit.signed_in and not await self.signed_in(scope):
            cap = ANONYMOUS_ADMIN_BYTES
        scope.setdefault("state", {})["body_limit"] = limit
        declared = Headers(scope=scope).get("content-length", "").strip()
        # More than 18 digits is more than any cap (and int() of thousands of digits raises).
        if declared.isdecimal() and (len(declared) > 18 or int(declared) > cap):
            await self._refuse(scope, send, limit, cap)
            return

        received = 0
        exceeded = False
        started = False

        async def counted_receive() -> Message:
            nonlocal received, exceeded
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > cap:
                    exceeded = True
                    raise BodyTooLarge()
            return message

        async def guarded_send(message: Message) -> None:
            nonlocal started
            if exceeded and not started:
                return  # the handler's answer to a body it could not read: ours replaces it
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, counted_receive, guarded_send)
        except Exception:
            if not exceeded:
                raise
        if exceeded and not started:
            await self._refuse(scope, send, limit, cap)

    async def _refuse(self, scope: Scope, send: Send, limit: BodyLimit, cap: int) -> None:
        response = await self.refusal(scope, limit, cap)
        response.headers["connection"] = "close"
        response.headers["cache-control"] = "no-store"

        async def nothing() -> Message:
            return {"type": "http.disconnect"}

        await response(scope, nothing, send)


def too_large_messages(cap: int) -> tuple[str, str]:
    """The refusal in French and English, the cap in the unit a person reads best."""
    if cap < 1_000_000:
        size, size_en = f"{cap // KIB} Kio", f"{cap // KIB} KiB"
    else:
        megabytes = f"{cap / 1_000_000:.2g}"
        size, size_en = f"{megabytes.replace('.', ',')} Mo", f"{megabytes} MB"
    return (f"Envoi trop volumineux : cette adresse accepte au plus {size}.",
            f"Request too large: this address accepts at most {size_en}.")


async def plain_refusal(scope: Scope, limit: BodyLimit, cap: int) -> Any:
    """The JSON refusal (the application passes a refusal that renders a page for people)."""
    from starlette.responses import JSONResponse

    return JSONResponse(json_refusal(limit, cap), status_code=413)


def json_refusal(limit: BodyLimit, cap: int) -> dict[str, Any]:
    message_fr, message_en = too_large_messages(cap)
    return {"error": {"code": limit.json_code, "message_fr": message_fr,
                      "message_en": message_en, "max_bytes": cap}}
