"""Real City credentials for the benchmarks: the Petit-déjeuner de l'inclusion numérique badge
from the seed catalogue, built by `issuer.openbadges.credential.build_credential` as the service builds it.

Every credential gets a new id, a new recipient (subject id, salt, hashed e-mail) and a new
status index, so the only thing a measure can reuse from one credential to the next is what
the issuer itself reuses: the document shape (`issuer.openbadges.canonical` caches its JSON-LD expansion).
"""

from __future__ import annotations

import secrets
import uuid
from datetime import UTC, datetime
from typing import Any

from issuer.issuance.catalogue import load_catalogue
from issuer.openbadges import credential as model
from issuer.openbadges.credential import IssuerProfile
from issuer.openbadges.status_list import status_list_entry

BASE_URL = "https://badges.ville-roubaix.fr"
ISSUER_DID = "did:web:badges.ville-roubaix.fr"
BADGE_SLUG = "petit-dejeuner-inclusion-numerique"
EDITION = 10
STATUS_LIST_LENGTH = 131_072

# The City's profile as the default settings describe it (issuer.settings.Settings).
PROFILE = IssuerProfile(
    id=ISSUER_DID, name="Ville de Roubaix", url="https://www.ville-roubaix.fr",
    email="participation-citoyenne@ville-roubaix.fr",
    description=("Direction Politique de la ville, Démocratie participative et GUSP — Service "
                 "Participation citoyenne, mission Inclusion numérique et citoyenne."),
    street_address="17 Grand'Place, CS 70737", postal_code="59066", locality="Roubaix Cedex 1")


class CityCredentials:
    """Unsigned OpenBadgeCredentials of one edition, each for a new participant."""

    def __init__(self) -> None:
        self.badge = load_catalogue().badge(BADGE_SLUG)
        self.event = self.badge.event(EDITION)
        self.roles = self.badge.roles or (None,)
        self.now = datetime.now(UTC).replace(microsecond=0)

    def unsigned(self, n: int) -> dict[str, Any]:
        role = self.roles[n % len(self.roles)]
        award = model.Award(valid_from=self.now, role=role, event=self.event,
                            activity_start=self.event.date, activity_end=self.event.date)
        recipient = model.Recipient(subject_id=model.new_subject_id(),
                                    email=f"participant.{n}@example.org", salt=model.new_salt())
        status = status_list_entry(f"{BASE_URL}/status/1/revocation",
                                   secrets.randbelow(STATUS_LIST_LENGTH), "revocation")
        return model.build_credential(
            credential_id=str(uuid.uuid4()), base_url=BASE_URL, issuer=PROFILE,
            badge=self.badge, recipient=recipient, award=award, status=status)

    def many(self, count: int) -> list[dict[str, Any]]:
        return [self.unsigned(n) for n in range(count)]
