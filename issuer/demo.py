"""Demo badges: one of each family, for fictional people, so a new installation has badge
pages to look at (`issuer init --demo`, which `make serve` runs). Idempotent.

The e-mail addresses use the reserved `.invalid` top-level domain (RFC 2606): no mail can ever
reach anyone, and the names are fictional (domain brief: no real residents in demo data).
"""

from __future__ import annotations

import contextlib
from datetime import date

from sqlalchemy import select

from issuer.issuance.issue_requests import IssuedBadge, IssueRequest
from issuer.issuance.service import IssuerService
from issuer.storage import models as rows
from issuer.workspace import members

DEMO_DOMAIN = "exemple.roubaix.invalid"
#: The demo's council member joins through the register, like every membership (issue 13
#: item 11): the council's rules, the age declaration, a mandate row the register page lists.
DEMO_MEMBER = members.NewMember(
    name="Camille Exemple", email=f"camille.exemple@{DEMO_DOMAIN}", role="conseiller",
    sector="Est", show_name=True, mandate_start=date(2025, 6, 13), age_declared=True)
DEMO_REQUESTS = (
    IssueRequest("petit-dejeuner-inclusion-numerique", f"dominique.exemple@{DEMO_DOMAIN}",
                 "Dominique Exemple", event_number=10, role="intervenant", show_name=True),
    IssueRequest("mediateur-numerique", f"sacha.exemple@{DEMO_DOMAIN}", "Sacha Exemple",
                 show_name=True),
)


def issue_demo_badges(service: IssuerService) -> list[IssuedBadge]:
    return [_demo_member_badge(service), *service.issue_many(list(DEMO_REQUESTS), actor="demo")]


def _demo_member_badge(service: IssuerService) -> IssuedBadge:
    """The demo member's badge: added to the register once; later runs find the mandate. (Its
    delivery e-mail is queued like any member's; the `.invalid` address never receives it.)"""
    register = members.register(service)
    current = next((m for m in (*register.members, *register.former)
                    if m.email == DEMO_MEMBER.email and m.credential_id), None)
    if current is None:
        current = members.add_member(service, DEMO_MEMBER, actor=DEMO_ACTOR)
    assert current.credential_id is not None  # add_member issues the badge with the seat
    return service.credential(current.credential_id)


def demo_badges(service: IssuerService) -> list[IssuedBadge]:
    """The demo badges already issued (none until `issuer init --demo`), in the order issued:
    one of each family, then the demo mediators' skill badges."""
    emails = ({request.email for request in DEMO_REQUESTS} | {m[1] for m in DEMO_MEDIATORS}
              | {DEMO_MEMBER.email})
    keys = {service.email_lookup_key(email) for email in emails}
    with service.database.session(read_only=True) as session:
        ids = session.scalars(
            select(rows.IssuedCredential.id).join(rows.Recipient)
            .where(rows.Recipient.email_hash_key.in_(keys), rows.IssuedCredential.revoked_at.is_(None))
            .order_by(rows.IssuedCredential.issued_at)).all()
    return [service.credential(credential_id) for credential_id in ids]


# --- the mediator network, for the directory and the endorsements to show something ---------

DEMO_ACTOR = "demo"
DEMO_SKILL_BADGES = (("skill", "ACC-01"), ("skill", "CYB-01"))
DEMO_MEDIATORS = (
    # (badge slug, e-mail, name, directory entry)
    ("competence-cyb-01", f"sacha.exemple@{DEMO_DOMAIN}", "Sacha Exemple",
     ("Sacha E.", "nord", "Médiathèque de quartier (exemple)",
      "Ateliers « Mallette Cyber » le mercredi après-midi.")),
    ("competence-acc-01", f"alex.exemple@{DEMO_DOMAIN}", "Alex Exemple",
     ("Alex E.", "sud", "Centre social (exemple)",
      "Accueil et aide aux démarches en ligne, le mardi matin.")),
)
DEMO_ENDORSEMENT = ("Alex et moi avons accompagné ensemble des habitants sur leurs démarches "
                    "CAF : accueil patient et explications claires.")


def seed_demo_network(service: IssuerService) -> list[str]:
    """Two fictional mediators with skill badges of the catalogue, both in the directory, and
    one endorsement between them approved (idempotent). Returns the pages made."""
    from issuer.network import endorsements, mediators
    from issuer.network.endorsements import EndorsementError
    from issuer.network.skill_badges import (
        SkillBadgeError,
        SkillEvidence,
        create_skill_badge,
        issue_skill_badge,
    )

    for kind, code in DEMO_SKILL_BADGES:
        # Made already (an earlier `init --demo`, or by the coordinator).
        with contextlib.suppress(SkillBadgeError):
            create_skill_badge(service, kind, code, actor=DEMO_ACTOR)
    issued = {}
    for slug, email, name, (shown, sector, organisation, description) in DEMO_MEDIATORS:
        badge = issue_skill_badge(
            service, slug, email=email, name=name, show_name=True, actor=DEMO_ACTOR,
            given=SkillEvidence(narrative="Exemple de démonstration : badge fictif."),
            send_email=False)
        recipient_id = _recipient_of(service, badge.credential_id)
        mediators.save_profile(service, recipient_id, mediators.ProfileDraft(
            display_name=shown, sector=sector, organisation=organisation,
            description=description))
        issued[name] = (badge, recipient_id)
    (_sacha_badge, sacha), (alex_badge, _alex) = issued["Sacha Exemple"], issued["Alex Exemple"]
    pages = [badge.url for badge, _ in issued.values()]
    try:
        view = endorsements.request_endorsement(service, sacha, alex_badge.credential_id,
                                                DEMO_ENDORSEMENT, endorser_name="Sacha E.")
        endorsements.approve_endorsement(service, view.id, actor=DEMO_ACTOR, notify=False)
    except EndorsementError:
        pass  # endorsed already
    return pages


def _recipient_of(service: IssuerService, credential_id: str) -> str:
    with service.database.session(read_only=True) as session:
        row = session.get(rows.IssuedCredential, credential_id)
        assert row is not None
        return row.recipient_id
