"""Demo badges: one of each family, for fictional people, so a new installation has badge
pages to look at (`issuer init --demo`, which `make serve` runs). Idempotent.

The e-mail addresses use the reserved `.invalid` top-level domain (RFC 2606): no mail can ever
reach anyone, and the names are fictional (domain brief: no real residents in demo data).
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import select

from issuer.service import IssuedBadge, IssueRequest, IssuerService
from issuer.storage import models as rows

DEMO_DOMAIN = "exemple.roubaix.invalid"
DEMO_REQUESTS = (
    IssueRequest("membre-cln", f"camille.exemple@{DEMO_DOMAIN}", "Camille Exemple",
                 role="conseiller", sector="Est", show_name=True, mandate_start=date(2025, 6, 13)),
    IssueRequest("petit-dejeuner-inclusion-numerique", f"dominique.exemple@{DEMO_DOMAIN}",
                 "Dominique Exemple", event_number=10, role="intervenant", show_name=True),
    IssueRequest("mediateur-numerique", f"sacha.exemple@{DEMO_DOMAIN}", "Sacha Exemple",
                 show_name=True),
)


def issue_demo_badges(service: IssuerService) -> list[IssuedBadge]:
    return service.issue_many(list(DEMO_REQUESTS), actor="demo")


def demo_badges(service: IssuerService) -> list[IssuedBadge]:
    """The demo badges already issued (none until `issuer init --demo`), in catalogue order."""
    keys = {service.email_lookup_key(request.email) for request in DEMO_REQUESTS}
    with service.database.session(read_only=True) as session:
        ids = session.scalars(
            select(rows.IssuedCredential.id).join(rows.Recipient)
            .where(rows.Recipient.email_hash_key.in_(keys), rows.IssuedCredential.revoked_at.is_(None))
            .order_by(rows.IssuedCredential.issued_at)).all()
    return [service.credential(credential_id) for credential_id in ids]
