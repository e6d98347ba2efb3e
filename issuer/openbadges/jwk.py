"""JSON Web Keys (RFC 7517): our public keys as JWKs, the public keys others publish as JWKs
(DID documents, did:jwk, a VC-JWT `jwk` header), and RFC 7638 thumbprints.

PyJWT's algorithm classes read and write the keys (`RSAAlgorithm`, `OKPAlgorithm`,
`ECAlgorithm`: `to_jwk` / `from_jwk`). The reader is chosen from `kty`, never from the key's own
`alg` member: a JWK does not get to pick how it is read. PyJWT computes no thumbprint, so
`thumbprint` follows RFC 7638 §3 by hand (a SHA-256 over the required members, sorted, compact).
"""

from __future__ import annotations

import base64
import hashlib
import json
from typing import Any

from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from jwt.algorithms import ECAlgorithm, OKPAlgorithm, RSAAlgorithm
from jwt.exceptions import PyJWTError

from issuer.errors import IssuerError

PublicKey = ed25519.Ed25519PublicKey | rsa.RSAPublicKey | ec.EllipticCurvePublicKey
PrivateKey = ed25519.Ed25519PrivateKey | rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey

# JWK members of the "Private" class in the IANA JOSE registry (RFC 7517 §8.1.1, RFC 7518).
PRIVATE_JWK_MEMBERS = frozenset({"d", "p", "q", "dp", "dq", "qi", "oth", "k"})
# RFC 7638 §3.2: the members a thumbprint covers, per key type.
_THUMBPRINT_MEMBERS = {"RSA": ("e", "kty", "n"), "OKP": ("crv", "kty", "x"),
                       "EC": ("crv", "kty", "x", "y")}
_READERS: dict[str, type[RSAAlgorithm | OKPAlgorithm | ECAlgorithm]] = {
    "RSA": RSAAlgorithm, "OKP": OKPAlgorithm, "EC": ECAlgorithm}
_PUBLIC_MEMBERS = ("kty", "crv", "x", "y", "n", "e")


class JwkError(IssuerError):
    code = "jwk.invalid"


def _to_jwk(key: PublicKey | PrivateKey) -> dict[str, Any]:
    if isinstance(key, rsa.RSAPublicKey | rsa.RSAPrivateKey):
        return RSAAlgorithm.to_jwk(key, as_dict=True)
    if isinstance(key, ed25519.Ed25519PublicKey | ed25519.Ed25519PrivateKey):
        return OKPAlgorithm.to_jwk(key, as_dict=True)
    if isinstance(key, ec.EllipticCurvePublicKey | ec.EllipticCurvePrivateKey):
        return ECAlgorithm.to_jwk(key, as_dict=True)
    raise JwkError("Type de clé non pris en charge pour une JWK.", "Unsupported key type for a JWK.",
                   code="jwk.unsupported")


def private_jwk(private_key: PrivateKey) -> dict[str, Any]:
    """The whole JWK of a private key (never published; used to sign)."""
    return dict(_to_jwk(private_key))


def public_jwk(key: PublicKey | PrivateKey) -> dict[str, Any]:
    """The public JWK of `key` (of its public half for a private key): the key-type members
    only, no `key_ops` or private member."""
    public = key if isinstance(key, PublicKey) else key.public_key()
    jwk = _to_jwk(public)
    return {name: jwk[name] for name in _PUBLIC_MEMBERS if name in jwk}


def thumbprint(key: PublicKey | PrivateKey) -> str:
    """RFC 7638 thumbprint (SHA-256, base64url without padding) of the public half of `key`."""
    jwk = public_jwk(key)
    members = {name: jwk[name] for name in _THUMBPRINT_MEMBERS[jwk["kty"]]}
    data = json.dumps(members, separators=(",", ":"), sort_keys=True, ensure_ascii=False)
    digest = hashlib.sha256(data.encode("utf-8")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def public_key_from_jwk(jwk: object) -> PublicKey:
    """The public key a JWK describes: RSA, OKP Ed25519 or EC. A JWK with a private member is
    refused rather than trimmed (whoever published it leaked a secret). `JwkError` otherwise."""
    if not isinstance(jwk, dict):
        raise JwkError("La JWK n'est pas un objet JSON.", "The JWK is not a JSON object.",
                       code="jwk.not_object")
    if PRIVATE_JWK_MEMBERS & jwk.keys():
        raise JwkError("La JWK contient des éléments privés.", "The JWK contains private members.",
                       code="jwk.private")
    kty = jwk.get("kty")
    reader = _READERS.get(kty) if isinstance(kty, str) else None
    if reader is None:
        raise JwkError(f"Type de JWK non pris en charge : {str(kty)[:40]!r}.",
                       f"Unsupported JWK type: {str(kty)[:40]!r}.",
                       code="jwk.unsupported")
    try:
        key = reader.from_jwk(jwk)
    except (PyJWTError, ValueError, TypeError, KeyError, AttributeError) as error:
        raise JwkError("JWK illisible.", "Unreadable JWK.", code="jwk.unreadable") from error
    if not isinstance(key, PublicKey):  # Ed448 and the like
        raise JwkError("Type de JWK non pris en charge.", "Unsupported JWK type.",
                       code="jwk.unsupported")
    return key
