"""What a wallet reads before it asks for a badge (pure: settings and catalogue in, JSON out).

- Credential Issuer Metadata, served at `/.well-known/openid-credential-issuer`
  (OpenID4VCI 1.0 §12.2): the endpoints, the City's name and logo, and one credential
  configuration per badge family and format:
  - `<family>_ldp_vc`: the JSON-LD credential with its embedded `eddsa-rdfc-2022` proof
    (Appendix A.1.2: `credential_definition` names `@context` and `type`);
  - `<family>_jwt_vc_json`: the OB 3.0 VC-JWT (§8.2 of Open Badges 3.0; Appendix A.1.1).
  Each holds the binding methods (did:key, did:jwk, jwk) and the `jwt` proof type with EdDSA
  and ES256, and its display names in French then English.
- OAuth 2.0 Authorization Server Metadata (RFC 8414), served at
  `/.well-known/oauth-authorization-server`: the issuer is its own authorization server, whose
  one grant is the pre-authorized code (OpenID4VCI 1.0 §12.3).

Draft 13 wallets (still common: EBSI-era and DIIP wallets) read a configuration's `display`
at its top level, where 1.0 moved it under `credential_metadata`: both are given (1.0 §12.2.4
lets a wallet ignore members it does not know).
"""

from __future__ import annotations

from typing import Any

from issuer.issuance.catalogue import Catalogue
from issuer.issuance.logo import logo_png_url
from issuer.openbadges.badge_definitions import Family
from issuer.openbadges.credential import CREDENTIAL_CONTEXT, badge_image_url
from issuer.settings import Settings
from issuer.wallet.proof_of_possession import BINDING_METHODS, PROOF_ALGORITHMS

PRE_AUTHORIZED_GRANT = "urn:ietf:params:oauth:grant-type:pre-authorized_code"
FORMATS = ("ldp_vc", "jwt_vc_json")
FAMILIES: tuple[Family, ...] = ("membership", "event", "skill")
CREDENTIAL_TYPES = ["VerifiableCredential", "OpenBadgeCredential"]
DATA_INTEGRITY_CRYPTOSUITE = "eddsa-rdfc-2022"

TOKEN_PATH = "/oid4vci/token"  # noqa: S105 - an address, not a secret
NONCE_PATH = "/oid4vci/nonce"
CREDENTIAL_PATH = "/oid4vci/credential"
OFFER_PATH = "/oid4vci/offers/"
ISSUER_METADATA_PATH = "/.well-known/openid-credential-issuer"
AUTHORIZATION_SERVER_METADATA_PATH = "/.well-known/oauth-authorization-server"

_FAMILY_NAMES: dict[Family, tuple[str, str]] = {
    "membership": ("Badge de membre", "Membership badge"),
    "event": ("Badge de participation", "Participation badge"),
    "skill": ("Badge de compétences", "Skills badge"),
}
_FAMILY_DESCRIPTIONS: dict[Family, tuple[str, str]] = {
    "membership": ("Un rôle tenu dans un réseau de la Ville de Roubaix.",
                   "A role held in a network of the City of Roubaix."),
    "event": ("La participation à un événement de la Ville de Roubaix.",
              "Taking part in an event of the City of Roubaix."),
    "skill": ("Des compétences reconnues par le réseau des médiateurs numériques.",
              "Skills recognised by the network of digital mediators."),
}
_BACKGROUND = "#12355b"  # the site's dark blue; white text on it passes WCAG AA
_TEXT = "#ffffff"


def configuration_id(family: str, fmt: str) -> str:
    return f"{family}_{fmt}"


def credential_issuer(settings: Settings) -> str:
    """The Credential Issuer Identifier: the service's public URL (what proofs' `aud` name)."""
    return settings.base_url.rstrip("/")


def vc_jwt_algorithm(settings: Settings) -> str:
    """The VC-JWT's `alg`: EdDSA when the issuer is a did:key (one Ed25519 key), else RS256
    (OB 3.0 §8.2 baseline), as `IssuerService.sign` does."""
    return "EdDSA" if settings.did_method == "key" else "RS256"


def _display(family: Family, logo_url: str | None) -> list[dict[str, Any]]:
    entries = []
    for index, locale in enumerate(("fr-FR", "en")):
        entry: dict[str, Any] = {"name": _FAMILY_NAMES[family][index], "locale": locale,
                                 "description": _FAMILY_DESCRIPTIONS[family][index],
                                 "background_color": _BACKGROUND, "text_color": _TEXT}
        if logo_url:
            entry["logo"] = {"uri": logo_url, "alt_text": _FAMILY_NAMES[family][index]}
        entries.append(entry)
    return entries


def _family_logo(settings: Settings, catalogue: Catalogue, family: Family) -> str | None:
    """The PNG of the family's first badge (wallets show PNG; few draw SVG)."""
    badge = next((badge for badge in catalogue.badges if badge.family == family), None)
    return None if badge is None else badge_image_url(settings.base_url, badge)


def credential_configurations(settings: Settings,
                              catalogue: Catalogue) -> dict[str, dict[str, Any]]:
    configurations: dict[str, dict[str, Any]] = {}
    proof_types = {"jwt": {"proof_signing_alg_values_supported": list(PROOF_ALGORITHMS)}}
    for family in FAMILIES:
        display = _display(family, _family_logo(settings, catalogue, family))
        common: dict[str, Any] = {
            "cryptographic_binding_methods_supported": list(BINDING_METHODS),
            "proof_types_supported": proof_types,
            "credential_metadata": {"display": display},
            "display": display,  # draft 13 wallets (module docstring)
        }
        configurations[configuration_id(family, "ldp_vc")] = {
            "format": "ldp_vc",
            "credential_signing_alg_values_supported": [DATA_INTEGRITY_CRYPTOSUITE],
            "credential_definition": {"@context": list(CREDENTIAL_CONTEXT),
                                      "type": list(CREDENTIAL_TYPES)},
            **common,
        }
        configurations[configuration_id(family, "jwt_vc_json")] = {
            "format": "jwt_vc_json",
            "credential_signing_alg_values_supported": [vc_jwt_algorithm(settings)],
            "credential_definition": {"type": list(CREDENTIAL_TYPES)},
            **common,
        }
    return configurations


def issuer_metadata(settings: Settings, catalogue: Catalogue) -> dict[str, Any]:
    """Credential Issuer Metadata (OpenID4VCI 1.0 §12.2.4)."""
    issuer = credential_issuer(settings)
    display: list[dict[str, Any]] = []
    for locale in ("fr-FR", "en"):
        # The wallet shows the issuer's logo: the Profile's image (issuer.issuance.logo).
        logo = settings.profile_image_url or logo_png_url(settings.base_url)
        entry: dict[str, Any] = {"name": settings.profile_name, "locale": locale,
                                 "logo": {"uri": logo, "alt_text": settings.profile_name}}
        display.append(entry)
    return {
        "credential_issuer": issuer,
        "credential_endpoint": issuer + CREDENTIAL_PATH,
        "nonce_endpoint": issuer + NONCE_PATH,
        "display": display,
        "credential_configurations_supported": credential_configurations(settings, catalogue),
    }


def authorization_server_metadata(settings: Settings) -> dict[str, Any]:
    """RFC 8414 §2 metadata of the issuer acting as its own authorization server: no
    authorization endpoint, only the token endpoint and the pre-authorized code grant, used
    without client authentication (OpenID4VCI 1.0 §12.3)."""
    issuer = credential_issuer(settings)
    return {
        "issuer": issuer,
        "token_endpoint": issuer + TOKEN_PATH,
        "grant_types_supported": [PRE_AUTHORIZED_GRANT],
        "response_types_supported": [],
        "token_endpoint_auth_methods_supported": ["none"],
        "pre-authorized_grant_anonymous_access_supported": True,
    }
