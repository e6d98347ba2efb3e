"""Peer endorsements, /admin/recommandations (issue #5, item 5): the coordinator reads each
endorsement a mediator wrote, approves it (the City issues the signed EndorsementCredential)
or rejects it with a reason; a published one can be revoked with a reason. The rules are
issuer.network.endorsements'; conventions: see __init__.py.
"""

from __future__ import annotations

from starlette.background import BackgroundTask
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from issuer.errors import IssuerError
from issuer.mail import deliver_pending
from issuer.network import endorsements
from issuer.web.admin.auth import client_origin, form_fields
from issuer.web.admin.events import form_text
from issuer.web.admin.rendering import render_admin
from issuer.web.deps import Coordinator, service_of
from issuer.web.locale import request_locale
from issuer.workspace.accounts import User

PAGE = "/admin/recommandations"
# What the page says after a decision (`?fait=`): known values only.
DONE = ("approved", "rejected", "revoked")


def moderation_page(request: Request, user: Coordinator) -> Response:
    return _moderation_page(request, user)


def _moderation_page(request: Request, user: User, *, error: str | None = None,
                     status_code: int = 200) -> Response:
    service = service_of(request)
    done = request.query_params.get("fait")
    return render_admin(request, "endorsements.html", {
        "pending": endorsements.moderation_queue(service),
        "decided": endorsements.decided_endorsements(service),
        "done": done if done in DONE else None, "error": error,
    }, user=user, status_code=status_code)


def approve_submit(request: Request, user: Coordinator) -> Response:
    return _decide(request, user, "approved")


def reject_submit(request: Request, user: Coordinator) -> Response:
    return _decide(request, user, "rejected")


def revoke_submit(request: Request, user: Coordinator) -> Response:
    return _decide(request, user, "revoked")


def _decide(request: Request, user: User, decision: str) -> Response:
    service = service_of(request)
    endorsement_id = request.path_params["endorsement_id"]
    reason = form_text(form_fields(request), "reason")
    origin = client_origin(request)
    try:
        if decision == "approved":
            endorsements.approve_endorsement(service, endorsement_id, actor=user.email,
                                             origin=origin)
        elif decision == "rejected":
            endorsements.reject_endorsement(service, endorsement_id, reason, actor=user.email,
                                            origin=origin)
        else:
            endorsements.revoke_endorsement(service, endorsement_id, reason, actor=user.email,
                                            origin=origin)
    except IssuerError as error:
        return _moderation_page(request, user, error=error.message(request_locale(request)),
                               status_code=404 if error.code == "not_found" or isinstance(
                                   error, endorsements.EndorsementNotFound) else 400)
    response = RedirectResponse(f"{PAGE}?fait={decision}", status_code=303)
    if decision == "approved":
        # The holder's e-mail was queued with the approval: sent after the answer.
        response.background = BackgroundTask(deliver_pending, service, actor=user.email)
    return response


routes: list[BaseRoute] = [
    Route(PAGE, moderation_page, methods=["GET"], name="admin_endorsements"),
    Route(PAGE + "/{endorsement_id}/approuver", approve_submit, methods=["POST"],
          name="admin_endorsement_approve"),
    Route(PAGE + "/{endorsement_id}/refuser", reject_submit, methods=["POST"],
          name="admin_endorsement_reject"),
    Route(PAGE + "/{endorsement_id}/revoquer", revoke_submit, methods=["POST"],
          name="admin_endorsement_revoke"),
]
