"""Peer endorsement pages (issue #5, item 5). The rules are issuer.network.endorsements'.

- `/recommandations/{id}`: the public page of a published endorsement (live verification, the
  peer's words, the endorsed badge), its signed JSON-LD by content negotiation, and the two
  signed forms at `credential.json` / `credential.jwt`;
- `/espace/recommander/{credential_id}`: the form a signed-in mediator fills to endorse a
  skill badge (linked from the badge's page); `/espace/recommandations/{id}/retrait` takes an
  endorsement back.

Handlers are plain `def` (database, signing, verification run in the threadpool); every change
is a POST answered by a 303, checked by the site-wide CSRF guard.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from issuer.errors import IssuerError, NotFound
from issuer.i18n import translations
from issuer.network import endorsements
from issuer.network.mediators import SPACE_PATH, BadgeChecker, profile_of
from issuer.openbadges.endorsement_credential import MAX_COMMENT_LENGTH, MAX_NAME_LENGTH
from issuer.web.admin.auth import client_origin, form_fields
from issuer.web.deps import Mediator, clock_of, service_of, signed_in_recipient
from issuer.web.locale import request_locale
from issuer.web.templating import render
from issuer.web.views.credentials import (
    JSON_LD,
    LIVE_CACHE,
    SIGNED_FORM_CACHE,
    LiveStatus,
    prefers_json,
    valid_credential_id,
    verify_stored,
)
from issuer.web.views.mediators import PRIVATE_HEADERS

# --- the public page -------------------------------------------------------------------------

def _signed(request: Request) -> endorsements.SignedEndorsement:
    endorsement_id = valid_credential_id(request.path_params["endorsement_id"])
    if endorsement_id is None:
        raise HTTPException(404, "unknown endorsement")
    try:
        return endorsements.signed_endorsement(service_of(request), endorsement_id)
    except NotFound:
        raise HTTPException(404, "unknown endorsement") from None


def _live_status(request: Request, signed: endorsements.SignedEndorsement,
                 locale: str) -> LiveStatus:
    """Verified as any verifier would, status list included, with its status as the database
    holds it now (a verification is reused only while nothing it depends on changed)."""
    return verify_stored(service_of(request), "endorsement", signed.view.id,
                         signed.credential_json, locale,
                         unavailable=translations(locale).gettext(
                             "The endorsement could not be checked just now. Please try again "
                             "in a moment."))


def endorsement_page(request: Request) -> Response:
    """GET /recommandations/{id}: the page, or the signed JSON-LD when asked for JSON."""
    signed = _signed(request)
    if prefers_json(request.headers.get("accept", "")):
        return _json(signed, vary=True)
    locale = request_locale(request)
    return render(request, "endorsement.html",
                  {"endorsement": signed.view, "credential": signed.credential,
                   "status": _live_status(request, signed, locale)},
                  headers={"cache-control": LIVE_CACHE, "vary": "Accept, Accept-Language, Cookie",
                           # Names a person's badge: never indexed.
                           "x-robots-tag": "noindex"})


def endorsement_json(request: Request) -> Response:
    return _json(_signed(request))


def endorsement_jwt(request: Request) -> Response:
    signed = _signed(request)
    return Response(signed.credential_jwt.encode("ascii"), media_type="application/jwt",
                    headers={"cache-control": SIGNED_FORM_CACHE,
                             "access-control-allow-origin": "*", "x-robots-tag": "noindex"})


def _json(signed: endorsements.SignedEndorsement, *, vary: bool = False) -> Response:
    # Byte for byte as issued: never re-serialised.
    headers = {"cache-control": SIGNED_FORM_CACHE, "access-control-allow-origin": "*",
               "x-robots-tag": "noindex"}
    if vary:
        headers["vary"] = "Accept"
    return Response(signed.credential_json.encode("utf-8"), media_type=JSON_LD, headers=headers)


# --- writing one, from "Mon espace" ----------------------------------------------------------

def endorse_form(request: Request) -> Response:
    """GET /espace/recommander/{credential_id}: the form, or why it cannot be used."""
    return _form_page(request, comment="", show_name=True, name=None)


def endorse_submit(request: Request, credential_id: EndorsedBadgeId,
                   recipient_id: Mediator) -> Response:
    """POST /espace/recommander/{credential_id}: record the endorsement (waits for the
    coordination), then back to the space. A malformed badge id is a 404 before the mediator
    is asked for (the dependencies run in order)."""
    form = form_fields(request)
    comment = _text(form.get("comment"), MAX_COMMENT_LENGTH * 2)
    show_name = form.get("show_name") == "1"
    name = _text(form.get("display_name"), MAX_NAME_LENGTH * 2)
    try:
        endorsements.request_endorsement(
            service_of(request), recipient_id, credential_id, comment,
            endorser_name=name if show_name else None, origin=client_origin(request),
            now=clock_of(request)())
    except IssuerError as error:
        return _form_page(request, comment=comment, show_name=show_name, name=name,
                          error=error, status_code=400)
    return RedirectResponse(f"{SPACE_PATH}?fait=endorsement-sent#recommandations-ecrites",
                            status_code=303)


def withdraw_submit(request: Request, recipient_id: Mediator) -> Response:
    """POST /espace/recommandations/{id}/retrait: the endorser takes it back."""
    endorsement_id = valid_credential_id(request.path_params["endorsement_id"])
    if endorsement_id is None:
        raise HTTPException(404, "unknown endorsement")
    try:
        endorsements.withdraw_endorsement(service_of(request), recipient_id, endorsement_id,
                                          origin=client_origin(request),
                                          now=clock_of(request)())
    except NotFound:
        raise HTTPException(404, "unknown endorsement") from None
    except IssuerError:
        pass  # already revoked: the space shows it so
    return RedirectResponse(f"{SPACE_PATH}?fait=endorsement-withdrawn#recommandations-ecrites",
                            status_code=303)


def _credential_id(request: Request) -> str:
    credential_id = valid_credential_id(request.path_params["credential_id"])
    if credential_id is None:
        raise HTTPException(404, "unknown badge")
    return credential_id


EndorsedBadgeId = Annotated[str, Depends(_credential_id)]
"""The well-formed id of the badge in the path; else a 404."""


def _form_page(request: Request, *, comment: str, show_name: bool, name: str | None,
               error: IssuerError | None = None, status_code: int = 200) -> Response:
    service = service_of(request)
    credential_id = _credential_id(request)
    try:
        badge = service.credential(credential_id)
    except NotFound:
        raise HTTPException(404, "unknown badge") from None
    recipient_id = signed_in_recipient(request)
    refusal = None
    if recipient_id is not None and error is None:
        refusal = endorsements.may_endorse(service, recipient_id, credential_id,
                                           now=clock_of(request)(),
                                           checker=BadgeChecker(service))
    if name is None and recipient_id is not None:
        name = profile_of(service, recipient_id).display_name
    locale = request_locale(request)
    return render(request, "endorse.html", {
        "badge_name": badge.credential.get("name", ""), "badge_path": f"/credentials/{credential_id}",
        "signed_in": recipient_id is not None,
        "refusal": refusal.message(locale) if refusal else None,
        "error": error.message(locale) if error else None,
        "error_field": _field_of(error), "comment": comment, "show_name": show_name,
        "display_name": name or "", "max_comment": MAX_COMMENT_LENGTH,
        "max_name": MAX_NAME_LENGTH,
    }, status_code=status_code, headers=PRIVATE_HEADERS)


def _field_of(error: IssuerError | None) -> str | None:
    if error is None:
        return None
    if error.code.startswith("endorsement.comment") or error.code == \
            "endorsement.control_characters":
        return "comment"
    if error.code == "endorsement.bad_name":
        return "display_name"
    return None


def _text(value: object, limit: int) -> str:
    return value[:limit] if isinstance(value, str) else ""
