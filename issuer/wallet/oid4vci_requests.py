"""What a wallet sends to the credential endpoint, read without any state (pure): the
`Authorization: Bearer` access token (RFC 6750 §2.1) and the Credential Request body
(OpenID4VCI 1.0 §8.2), in its 1.0 form or in draft 13's (README "OpenID4VCI")."""

from __future__ import annotations

from dataclasses import dataclass

from issuer.wallet import oid4vci_errors as errors
from issuer.wallet.oid4vci_errors import Oid4vciError


@dataclass(frozen=True)
class CredentialRequest:
    """What a Credential Request asks for, in 1.0 or draft 13 form."""

    configuration_id: str | None   # 1.0: `credential_configuration_id`
    format: str | None             # draft 13: `format` (+ `credential_definition`)
    proof_jwt: str

    @property
    def draft13(self) -> bool:
        return self.configuration_id is None


def parse_credential_request(body: object) -> CredentialRequest:
    """Credential Request (OpenID4VCI 1.0 §8.2): `credential_configuration_id` and
    `proofs: {"jwt": [<one JWT>]}`. Accepted too, for draft 13 wallets: `format` instead of
    the configuration id and `proof: {"proof_type": "jwt", "jwt": ...}`."""
    if not isinstance(body, dict):
        raise errors.invalid_credential_request("La demande doit être un objet JSON.",
                                                "The request must be a JSON object.")
    if "credential_response_encryption" in body:
        raise Oid4vciError("invalid_encryption_parameters",
                           "Le chiffrement de la réponse n'est pas proposé.",
                           "Response encryption is not offered.")
    if "credential_identifier" in body:
        raise Oid4vciError("unknown_credential_identifier",
                           "Cet émetteur ne donne pas d'identifiants de badge.",
                           "This issuer hands out no credential identifiers.")
    configuration = body.get("credential_configuration_id")
    fmt = body.get("format")
    if not isinstance(configuration, str) and not isinstance(fmt, str):
        raise errors.invalid_credential_request(
            "« credential_configuration_id » manque.", "'credential_configuration_id' is missing.")
    proofs, proof = body.get("proofs"), body.get("proof")
    jwts: list[object] = []
    if isinstance(proofs, dict) and proof is None and set(proofs) == {"jwt"} \
            and isinstance(proofs["jwt"], list):
        jwts = list(proofs["jwt"])
    elif isinstance(proof, dict) and proofs is None and proof.get("proof_type") == "jwt":
        jwts = [proof.get("jwt")]
    elif proofs is not None or proof is not None:
        raise errors.invalid_proof("Seule une preuve de type « jwt » est acceptée.",
                                   "Only a proof of type 'jwt' is accepted.")
    if len(jwts) != 1 or not isinstance(jwts[0], str):
        raise errors.invalid_proof(
            "Une preuve de possession (« jwt ») et une seule est attendue.",
            "One proof of possession ('jwt'), and only one, is expected.")
    return CredentialRequest(configuration_id=configuration if isinstance(configuration, str)
                             else None, format=fmt if isinstance(fmt, str) else None,
                             proof_jwt=jwts[0])


def bearer_token(authorization: str | None) -> str:
    """The access token of an `Authorization: Bearer` header (RFC 6750 §2.1)."""
    scheme, _, token = (authorization or "").strip().partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise errors.invalid_token("Jeton d'accès manquant (« Authorization: Bearer »).",
                                   "Missing access token ('Authorization: Bearer').")
    return token.strip()
