"""The coordinator's workspace under /admin: server-rendered pages, French first.

Each area is one module exposing `routes: list[BaseRoute]`; this package joins them. Handlers
are plain `def` functions (run in a threadpool, so database work never blocks the event loop),
name the signed-in user in their signature, `user: Coordinator` (or `user: Administrator`, the
typed dependencies of issuer.web.deps: nobody without a session or the role gets further), and
call the plain functions of `issuer.workspace.accounts`, `issuer.workspace.events`,
`issuer.workspace.members`, `issuer.workspace.recipients`, `issuer.mail` — the rules live there, not here.
"""

from __future__ import annotations

from starlette.routing import BaseRoute

from issuer.web.admin import (
    audit,
    auth,
    credentials,
    dashboard,
    endorsements,
    events,
    mail,
    members,
    recipients,
    skill_badges,
    skills,
)


def admin_routes() -> list[BaseRoute]:
    routes: list[BaseRoute] = []
    # skill_badges before skills: /admin/competences/{code} would take "badges" for a code.
    for module in (auth, dashboard, events, credentials, members, recipients, mail, audit,
                   skill_badges, skills, endorsements):
        routes.extend(module.routes)
    return routes


def public_claim_routes() -> list[BaseRoute]:
    """Public pages of workspace areas (no account needed): the self-claim page attendees
    reach from the QR code, and the evidence files skill badges cite."""
    return [*events.public_routes, *skill_badges.public_routes]
