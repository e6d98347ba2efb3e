"""The Open Badges 3.0 `OpenBadgeCredential` as the City issues it (OB 3.0 §B.1, VCDM 2.0).

Pure functions from a badge of the catalogue, a recipient and the circumstances of the award to
an unsigned credential document. Signing (`issuer.openbadges.proofs`) and storage happen elsewhere.

Privacy (GDPR, domain brief): the recipient's e-mail never appears in clear in a credential; it is
an `IdentityObject` with a salted SHA-256 hash (OB 3.0 §B.1.11). The recipient's name appears only
when they agreed to show it. `credentialSubject.id` is a pseudonymous `urn:uuid:` so the VC-JWT can
carry a `sub` claim (§8.2.4.1).
"""

from __future__ import annotations

import hashlib
import re
import secrets
import uuid
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from issuer.errors import InvalidInput
from issuer.openbadges import contexts
from issuer.openbadges.badge_definitions import Alignment, BadgeDefinition, Event, Role
from issuer.openbadges.proofs.data_integrity import format_datetime

CREDENTIAL_CONTEXT = [contexts.VC_V2, contexts.OB_V3P0, contexts.OB_EXTENSIONS]
CREDENTIAL_TYPE = ["VerifiableCredential", "OpenBadgeCredential"]
SCHEMA_URL = ("https://purl.imsglobal.org/spec/ob/v3p0/schema/json/"
              "ob_v3p0_achievementcredential_schema.json")
SCHEMA_TYPE = "1EdTechJsonSchemaValidator2019"
CITY_TIMEZONE = ZoneInfo("Europe/Paris")

# A deliberately plain check (RFC 5322 allows far more): it catches the typos an attendance list
# holds; the address is only hashed, never used to route mail here.
_EMAIL = re.compile(r"^[^@\s<>()\[\],;:\"]+@[^@\s<>()\[\],;:\"]+\.[^@\s<>()\[\],;:\"]{2,}$")


@dataclass(frozen=True)
class IssuerProfile:
    """The issuer `Profile` (OB 3.0 §B.1.18): the City, its service and address."""

    id: str
    name: str
    url: str
    email: str
    description: str
    street_address: str
    postal_code: str
    locality: str
    country: str = "France"
    country_code: str = "FR"
    image_url: str | None = None
    phone: str | None = None

    def to_json(self) -> dict[str, Any]:
        profile: dict[str, Any] = {
            "id": self.id,
            "type": ["Profile"],
            "name": self.name,
            "url": self.url,
            "email": self.email,
            "description": self.description,
            "address": {
                "type": ["Address"],
                "streetAddress": self.street_address,
                "postalCode": self.postal_code,
                "addressLocality": self.locality,
                "addressCountry": self.country,
                "addressCountryCode": self.country_code,
            },
        }
        if self.phone:
            profile["phone"] = self.phone
        if self.image_url:
            profile["image"] = {"id": self.image_url, "type": "Image", "caption": self.name}
        return profile


@dataclass(frozen=True)
class Recipient:
    """Who receives a badge. `email` is normalised; `salt` is kept per recipient."""

    subject_id: str
    email: str
    salt: str
    display_name: str | None = None
    show_name: bool = False


@dataclass(frozen=True)
class Award:
    """The circumstances of one award: role, edition, CLN sector, validity window."""

    valid_from: datetime
    valid_until: datetime | None = None
    role: Role | None = None
    event: Event | None = None
    sector: str | None = None
    activity_start: date | None = None
    activity_end: date | None = None
    evidence: tuple[dict[str, Any], ...] = field(default_factory=tuple)


def normalise_email(email: str) -> str:
    """The one stored and compared form of an e-mail address, for recipients (and so their
    IdentityHash, §B.1.11), coordinators' accounts, mediators and mail: trimmed, lower case;
    refuses what is plainly not an address (at most 254 characters, RFC 5321 §4.5.3.1.3)."""
    cleaned = (email or "").strip().lower()
    if not _EMAIL.match(cleaned) or len(cleaned) > 254:
        raise InvalidInput(f"Adresse e-mail invalide : « {(email or '').strip()} ».",
                           f"Invalid e-mail address: '{(email or '').strip()}'.",
                           code="recipient.bad_email")
    return cleaned


def new_salt() -> str:
    return secrets.token_hex(16)


def new_subject_id() -> str:
    return f"urn:uuid:{uuid.uuid4()}"


def identity_hash(email: str, salt: str) -> str:
    """OB 3.0 §B.1.11 IdentityHash: `sha256$` + hex SHA-256 of the plaintext followed by the salt."""
    return "sha256$" + hashlib.sha256((normalise_email(email) + salt).encode("utf-8")).hexdigest()


def credential_url(base_url: str, credential_id: str) -> str:
    return f"{base_url.rstrip('/')}/credentials/{credential_id}"


def achievement_url(base_url: str, badge: BadgeDefinition, event: Event | None = None) -> str:
    path = f"{base_url.rstrip('/')}/achievements/{badge.slug}"
    return f"{path}/{event.number}" if event is not None else path


def badge_image_url(base_url: str, badge: BadgeDefinition) -> str:
    return f"{base_url.rstrip('/')}/badges/{badge.slug}.png"


def french_date(day: date) -> str:
    months = ["janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août",
              "septembre", "octobre", "novembre", "décembre"]
    return f"{day.day}{'er' if day.day == 1 else ''} {months[day.month - 1]} {day.year}"


def achievement_name(badge: BadgeDefinition, event: Event | None) -> str:
    if event is None:
        return badge.name.fr
    return f"{badge.name.fr} nº {event.number} ({french_date(event.date)})"


def build_achievement(badge: BadgeDefinition, *, base_url: str, issuer: IssuerProfile,
                      event: Event | None = None) -> dict[str, Any]:
    """The `Achievement` (OB 3.0 §B.1.2) a badge of the catalogue stands for.

    An event badge has one achievement per edition (its date and theme are part of what was
    achieved); other badges have one achievement.
    """
    description = badge.description.fr.strip()
    if event is not None:
        description = (f"{description}\n\nÉdition nº {event.number} du {french_date(event.date)} : "
                       f"« {event.theme.fr} ».")
        if event.venue:
            description += f" Lieu : {event.venue}."
    achievement: dict[str, Any] = {
        "id": achievement_url(base_url, badge, event),
        "type": ["Achievement"],
        "achievementType": badge.achievement_type,
        "name": achievement_name(badge, event),
        "description": description,
        "criteria": {"narrative": badge.criteria.fr.strip()},
        "image": {"id": badge_image_url(base_url, badge), "type": "Image",
                  "caption": badge.name.fr},
        "creator": {"id": issuer.id, "type": ["Profile"], "name": issuer.name},
    }
    if badge.tags:
        achievement["tag"] = list(badge.tags)
    if badge.alignments:
        achievement["alignment"] = [alignment_json(item) for item in badge.alignments]
    return achievement


def alignment_json(alignment: Alignment) -> dict[str, Any]:
    """An OB 3.0 `Alignment` (Appendix B.1). Every term is defined by the pinned OB 3.0.3
    context (`alignment` in Achievement's scoped context, the rest in `Alignment`'s), so it is
    signed, not dropped (VERIFICATION.md R1); `type` is an array (VERIFICATION.md R3) and
    `targetType` a term of the schema's AlignmentTargetType enumeration (`CFItem`: an item of a CASE
    framework)."""
    entry: dict[str, Any] = {"type": ["Alignment"], "targetName": alignment.target_name,
                             "targetUrl": alignment.target_url}
    if alignment.target_code:
        entry["targetCode"] = alignment.target_code
    if alignment.target_framework:
        entry["targetFramework"] = alignment.target_framework
    if alignment.target_type:
        entry["targetType"] = alignment.target_type
    if alignment.target_description:
        entry["targetDescription"] = alignment.target_description
    return entry


def event_evidence(badge: BadgeDefinition, event: Event, base_url: str) -> dict[str, Any]:
    evidence: dict[str, Any] = {
        "id": f"{base_url.rstrip('/')}/events/{badge.slug}/{event.number}",
        "type": ["Evidence"],
        "name": f"{badge.name.fr} nº {event.number}",
        "description": f"{french_date(event.date)} — {event.theme.fr}"
                       + (f" — {event.venue}" if event.venue else ""),
        "genre": "Événement",
    }
    return evidence


def mandate_end(start: date, years: int) -> datetime:
    """End of a mandate that starts on `start`: the last second of the day before the
    anniversary, City time (a mandate from 13 June 2025 runs until 12 June 2027 included)."""
    try:
        anniversary = start.replace(year=start.year + years)
    except ValueError:  # 29 February
        anniversary = start.replace(year=start.year + years, day=28) + timedelta(days=1)
    end_local = datetime.combine(anniversary, time(0, 0), tzinfo=CITY_TIMEZONE) - timedelta(seconds=1)
    return end_local.astimezone(UTC)


def credential_display_name(badge: BadgeDefinition, award: Award) -> str:
    name = achievement_name(badge, award.event)
    if award.role is not None and len(badge.roles) > 1:
        name = f"{name} — {award.role.name.fr}"
    return name


def build_credential(*, credential_id: str, base_url: str, issuer: IssuerProfile,
                     badge: BadgeDefinition, recipient: Recipient, award: Award,
                     status: dict[str, Any] | None) -> dict[str, Any]:
    """An unsigned `OpenBadgeCredential` (OB 3.0 §B.1.3 AchievementCredential)."""
    subject: dict[str, Any] = {
        "id": recipient.subject_id,
        "type": ["AchievementSubject"],
        "identifier": [{
            "type": "IdentityObject",
            "identityHash": identity_hash(recipient.email, recipient.salt),
            "identityType": "emailAddress",
            "hashed": True,
            "salt": recipient.salt,
        }],
        "achievement": build_achievement(badge, base_url=base_url, issuer=issuer, event=award.event),
    }
    if recipient.show_name and recipient.display_name:
        subject["name"] = recipient.display_name
    if award.role is not None:
        subject["role"] = award.role.name.fr
    if award.activity_start is not None:
        subject["activityStartDate"] = format_datetime(
            datetime.combine(award.activity_start, time(0, 0), tzinfo=CITY_TIMEZONE))
    if award.activity_end is not None:
        subject["activityEndDate"] = format_datetime(
            datetime.combine(award.activity_end, time(23, 59, 59), tzinfo=CITY_TIMEZONE))
    if award.sector:
        subject["narrative"] = f"Secteur {award.sector}"
    if award.activity_start and award.activity_end and badge.family == "membership":
        subject["term"] = f"Mandat {award.activity_start.year}–{award.activity_end.year}"

    credential: dict[str, Any] = {
        "@context": list(CREDENTIAL_CONTEXT),
        "id": credential_url(base_url, credential_id),
        "type": list(CREDENTIAL_TYPE),
        "name": credential_display_name(badge, award),
        "issuer": issuer.to_json(),
        "validFrom": format_datetime(award.valid_from),
    }
    if award.valid_until is not None:
        credential["validUntil"] = format_datetime(award.valid_until)
    credential["credentialSubject"] = subject
    evidence = list(award.evidence)
    if award.event is not None:
        evidence.insert(0, event_evidence(badge, award.event, base_url))
    if evidence:
        credential["evidence"] = evidence
    credential["credentialSchema"] = [{"id": SCHEMA_URL, "type": SCHEMA_TYPE}]
    if status is not None:
        # OB 3.0 allows one credentialStatus (an object in the JSON Schema): revocation.
        credential["credentialStatus"] = status
    return credential
