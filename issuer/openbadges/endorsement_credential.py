"""The OB 3.0 `EndorsementCredential` of a peer endorsement (OB 3.0 §B.1.6, issue #5 item 5).

Pure: from the endorsed badge, the peer's words and the City's profile to an unsigned document.
Moderation, storage and signing are issuer.network.endorsements'.

**Whose key signs it: the City's.** The coordinator approves each endorsement, then the City
issues it under its own did:web (the issuer is the City's `Profile`), with its own status list.
Why not a key per mediator:
- mediators have no keys and no wallet that could sign; a key the server generated and held
  for each of them ("custodial" did:key) would be controlled by the same server as the City's
  key, so it would prove nothing more, while every wallet would report an *unknown issuer*;
- a status list counts only if the credential's own issuer signed it (VERIFICATION.md R13): revoking
  an endorsement would need one signed list per mediator;
- what a verifier can rely on is exactly what happened: the City, which checked that the
  endorser holds a valid skill badge of the network and moderated the text, attests this
  endorsement. The peer is named in the credential's `evidence` (their name only if they
  agreed to show it, and the address of their own skill badge), never as its issuer.

The subject is the endorsed badge itself (`EndorsementSubject.id` = the badge's URL: OB 3.0
lets the subject be "an individual, entity, organization, assertion, or achievement"), so the
endorsement stays tied to that one award, and the badge's signed text is not touched.

Every term used is defined by the pinned VC 2.0 and OB 3.0.3 contexts (`EndorsementSubject`,
`endorsementComment`, `Evidence`, `narrative`), so the JavaScript verifiers sign the same
triples (VERIFICATION.md R1); `type`, `evidence` and `credentialSchema` are arrays
(VERIFICATION.md R3); none of the terms that differ between the revisions of context-3.0.3
appears (VERIFICATION.md R4).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from issuer.errors import InvalidInput
from issuer.openbadges.credential import CREDENTIAL_CONTEXT, SCHEMA_TYPE, IssuerProfile
from issuer.openbadges.proofs.data_integrity import format_datetime

ENDORSEMENT_CREDENTIAL_TYPE = ["VerifiableCredential", "EndorsementCredential"]
ENDORSEMENT_SCHEMA_URL = ("https://purl.imsglobal.org/spec/ob/v3p0/schema/json/"
                          "ob_v3p0_endorsementcredential_schema.json")
ENDORSEMENTS_PATH = "/recommandations"
MIN_COMMENT_LENGTH = 10
MAX_COMMENT_LENGTH = 1000
MAX_NAME_LENGTH = 120
# C0 controls except tab, LF, CR, and DEL: refused in every signed text (VERIFICATION.md R8).
_CONTROL_CHARACTER = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


@dataclass(frozen=True)
class Endorser:
    """The peer who endorses: the name they agreed to show (or None), and their own skill
    badge, which is what makes them a peer of the network."""

    name: str | None
    badge_url: str
    badge_name: str


def endorsement_url(base_url: str, endorsement_id: str) -> str:
    """The endorsement's public page, which is also its credential `id`."""
    return f"{base_url.rstrip('/')}{ENDORSEMENTS_PATH}/{endorsement_id}"


def clean_comment(comment: str) -> str:
    """The endorsement text as it will be signed, or InvalidInput saying what to fix."""
    text = (comment or "").replace("\r\n", "\n").strip()
    if _CONTROL_CHARACTER.search(text):
        raise InvalidInput("Le texte contient des caractères de contrôle : retirez-les.",
                           "The text contains control characters: remove them.",
                           code="endorsement.control_characters")
    if len(text) < MIN_COMMENT_LENGTH:
        raise InvalidInput(
            f"Écrivez au moins {MIN_COMMENT_LENGTH} caractères : dites ce que vous avez vu "
            "la personne faire.",
            f"Write at least {MIN_COMMENT_LENGTH} characters: say what you saw the person do.",
            code="endorsement.comment_too_short")
    if len(text) > MAX_COMMENT_LENGTH:
        raise InvalidInput(
            f"Le texte est trop long : {MAX_COMMENT_LENGTH} caractères au plus "
            f"({len(text)} écrits).",
            f"The text is too long: {MAX_COMMENT_LENGTH} characters at most ({len(text)} "
            "written).", code="endorsement.comment_too_long")
    return text


def clean_endorser_name(name: str | None) -> str | None:
    text = " ".join((name or "").split())
    if not text:
        return None
    if _CONTROL_CHARACTER.search(text) or len(text) > MAX_NAME_LENGTH:
        raise InvalidInput(f"Le nom affiché doit faire {MAX_NAME_LENGTH} caractères au plus, "
                           "sans caractère de contrôle.",
                           f"The name shown must be at most {MAX_NAME_LENGTH} characters, "
                           "without control characters.", code="endorsement.bad_name")
    return text


def endorser_narrative(endorser: Endorser) -> str:
    """How the credential names the peer (French: credentials are written in French)."""
    who = endorser.name or "Un·e médiateur·rice numérique du réseau"
    return (f"{who}, titulaire du badge « {endorser.badge_name} » délivré par la Ville de "
            "Roubaix, recommande ce badge. La coordination du réseau a vérifié son badge et "
            "relu ce texte avant de le publier.")


def build_endorsement_credential(*, endorsement_id: str, base_url: str, issuer: IssuerProfile,
                                 endorsed_credential_url: str, endorsed_badge_name: str,
                                 comment: str, endorser: Endorser, valid_from: datetime,
                                 status: dict[str, Any] | None) -> dict[str, Any]:
    """An unsigned `EndorsementCredential` of one peer endorsement of one badge."""
    credential: dict[str, Any] = {
        "@context": list(CREDENTIAL_CONTEXT),
        "id": endorsement_url(base_url, endorsement_id),
        "type": list(ENDORSEMENT_CREDENTIAL_TYPE),
        "name": f"Recommandation du badge « {endorsed_badge_name} »",
        "description": ("Recommandation d'un·e pair·e du réseau de la médiation numérique de "
                        "Roubaix, relue par la coordination du réseau et délivrée par la "
                        "Ville de Roubaix."),
        "issuer": issuer.to_json(),
        "validFrom": format_datetime(valid_from),
        "credentialSubject": {
            "id": endorsed_credential_url,
            "type": ["EndorsementSubject"],
            "endorsementComment": clean_comment(comment),
        },
        "evidence": [{
            "id": endorser.badge_url,
            "type": ["Evidence"],
            "name": "Badge de la personne qui recommande",
            "narrative": endorser_narrative(endorser),
        }],
        "credentialSchema": [{"id": ENDORSEMENT_SCHEMA_URL, "type": SCHEMA_TYPE}],
    }
    if status is not None:
        credential["credentialStatus"] = status
    return credential
