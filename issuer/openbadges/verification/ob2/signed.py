"""Signed assertions (OB 2.0 "SignedBadge"): a compact JWS, RS256 (the algorithm the spec
names and the official validator checks), whose payload is the assertion. The key is the
`CryptographicKey` published at `verification.creator`; it counts as the issuer's only when
its `owner` is the issuer and the issuer's own profile, read from the issuer's address, lists
it under `publicKey` (VERIFICATION.md R11). The key is fetched before anything else the assertion
names; the badge class and profile only once the signature holds (VERIFICATION.md R17).

PyJWT checks the signature (`PyJWS`: a JWS, not a JWT, so no claim is interpreted)."""

from __future__ import annotations

from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import load_pem_public_key

from issuer.openbadges.verification.jwt import MAX_RSA_BITS
from issuer.openbadges.verification.ob2.authenticity import Authenticity, not_examined, unreachable
from issuer.openbadges.verification.ob2.documents import Documents, is_web_address
from issuer.openbadges.verification.ob2.policy import issuer_unavailable
from issuer.openbadges.verification.ob2.resolve import Resolved, resolve
from issuer.openbadges.verification.report import Check, make_check

ALGORITHMS = ("RS256",)
MIN_RSA_BITS = 2048


def _ids(value: Any) -> list[str]:
    values = value if isinstance(value, list) else [value]
    ids = [item.get("id") if isinstance(item, dict) else item for item in values]
    return [item for item in ids if isinstance(item, str)]


def _public_key(document: Any, url: str) -> tuple[rsa.RSAPublicKey | None, str, str]:
    """(the RSA key the CryptographicKey document publishes, or None and why not)."""
    if not isinstance(document, dict) or not isinstance(document.get("publicKeyPem"), str):
        return None, "pas de clé publique PEM (publicKeyPem)", "no PEM public key (publicKeyPem)"
    if document.get("id", url) != url:
        return None, "le document se présente comme une autre clé", \
            "the document presents itself as another key"
    try:
        key = load_pem_public_key(document["publicKeyPem"].encode("utf-8"))
    except (ValueError, TypeError, UnicodeError):
        return None, "clé PEM illisible", "unreadable PEM key"
    if not isinstance(key, rsa.RSAPublicKey):
        return None, "ce n'est pas une clé RSA (RS256)", "not an RSA key (RS256)"
    if not MIN_RSA_BITS <= key.key_size <= MAX_RSA_BITS:
        return None, f"clé RSA de {key.key_size} bits", f"{key.key_size}-bit RSA key"
    return key, "", ""


def _binding(creator: str, key_document: dict[str, Any], resolved: Resolved) -> Check:
    """The `issuer_key` check: the key's owner is the issuer and the issuer lists the key."""
    if resolved.issuer is None:
        return issuer_unavailable(resolved)
    issuer_id = resolved.issuer_id or "?"
    if not is_web_address(issuer_id):
        return make_check("issuer_key", "unknown", "issuer_key.ob2_no_issuer_url",
                          issuer=issuer_id[:200])
    owner = key_document.get("owner")
    if owner != issuer_id:
        return make_check("issuer_key", "failed", "issuer_key.ob2_key_owner", key=creator[:200],
                          owner=str(owner)[:200], issuer=issuer_id[:200])
    if creator not in _ids(resolved.issuer.get("publicKey")):
        return make_check("issuer_key", "failed", "issuer_key.ob2_key_not_listed",
                          key=creator[:200], issuer=issuer_id[:200])
    return make_check("issuer_key", "passed", "issuer_key.ob2_key_ok", key=creator[:200])


def check_signed(assertion: dict[str, Any], token: str, documents: Documents) -> Authenticity:
    def failed(code: str, **details: Any) -> Authenticity:
        return Authenticity(make_check("proof", "failed", code, **details), not_examined(), None)

    try:
        header = jwt.get_unverified_header(token)
    except jwt.PyJWTError:
        return failed("proof.signature_mismatch")
    algorithm = header.get("alg")
    if algorithm not in ALGORITHMS:
        return failed("proof.jwt_bad_algorithm", alg=str(algorithm)[:40])
    if "crit" in header:
        return failed("proof.jwt_crit")
    verification = assertion.get("verification")
    creator = verification.get("creator") if isinstance(verification, dict) else None
    if not isinstance(creator, str) or not is_web_address(creator):
        return failed("proof.ob2_no_creator")
    fetched = documents.get(creator)
    if not fetched.ok:
        return Authenticity(unreachable(fetched, "la clé de signature", "the signing key"),
                            not_examined(), None)
    key, why_fr, why_en = _public_key(fetched.document, creator)
    if key is None:
        return failed("proof.ob2_bad_key", url=creator[:200], detail_fr=why_fr, detail_en=why_en)
    try:
        jwt.PyJWS().decode_complete(token, key=key, algorithms=list(ALGORITHMS))
    except jwt.PyJWTError:
        return failed("proof.signature_mismatch")
    resolved = resolve(assertion, documents)
    return Authenticity(make_check("proof", "passed", "proof.ob2_signed_ok"),
                        _binding(creator, fetched.document, resolved), assertion, resolved)
