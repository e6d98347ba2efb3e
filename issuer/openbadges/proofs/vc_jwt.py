"""VC-JWT as Open Badges 3.0 §8.2 defines it.

The JWT payload is the credential itself (its members at the top level; VCDM 1.1 tokens wrap it
in a `vc` claim, read for older badges) plus the registered claims `iss` (issuer id), `jti`
(credential id), `nbf` (validFrom), `sub` (credentialSubject.id) and `exp` (validUntil, when set).
The JOSE header holds only `alg`, `kid` (the DID URL of the key), `typ` (VERIFICATION.md R6). RS256
is the baseline every OB 3.0 verifier must accept; EdDSA and ES256 are read as well.

PyJWT signs and checks the JWS (`PyJWS`, limited to those three algorithms, so never `none` nor
HMAC). It is used as a JWS, not a JWT: it interprets no claim (no `exp` / `nbf` check of its
own); the verifier compares the claims with the credential and judges the validity period
itself, with its own clock skew and messages.
"""

from __future__ import annotations

import base64
import functools
import json
from datetime import UTC, datetime
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from jwt.utils import base64url_encode

from issuer.errors import IssuerError

ALGORITHM_FOR_KEY = {"RSA": "RS256", "Ed25519": "EdDSA"}
ACCEPTED_ALGORITHMS = frozenset({"RS256", "ES256", "EdDSA"})
REGISTERED_CLAIMS = frozenset({"iss", "sub", "aud", "exp", "nbf", "iat", "jti"})
MAX_JWT_LENGTH = 1_000_000
# Only our three algorithms are registered: `none` and HMAC cannot even be named.
_JWS = jwt.PyJWS(algorithms=sorted(ACCEPTED_ALGORITHMS))
# The signing algorithms of the keys the issuer holds (PyJWT's own objects).
_SIGNERS = {name: _JWS.get_algorithm_by_name(name) for name in ALGORITHM_FOR_KEY.values()}


class JwtError(IssuerError):
    code = "jwt.invalid"


def _epoch(timestamp: str) -> int:
    return int(datetime.fromisoformat(timestamp).astimezone(UTC).timestamp())


def jwt_claims(credential: dict[str, Any]) -> dict[str, Any]:
    """The credential without its embedded proof, with the §8.2.4 registered claims added."""
    claims = {key: value for key, value in credential.items() if key != "proof"}
    issuer = credential["issuer"]
    claims["iss"] = issuer["id"] if isinstance(issuer, dict) else issuer
    claims["jti"] = credential["id"]
    claims["nbf"] = _epoch(credential["validFrom"])
    subject = credential.get("credentialSubject")
    if isinstance(subject, dict) and subject.get("id"):
        claims["sub"] = subject["id"]
    if credential.get("validUntil"):
        claims["exp"] = _epoch(credential["validUntil"])
    return claims


@functools.lru_cache(maxsize=64)
def _protected_header(algorithm: str, kid: str) -> bytes:
    """The base64url JOSE header, exactly {alg, kid, typ} (§8.2.3, VERIFICATION.md R6) with
    its members in the order PyJWS writes them (sorted). It is the same for every credential a
    key signs, so it is written once per key rather than validated and serialised each time."""
    header = {"alg": algorithm, "kid": kid, "typ": "JWT"}
    return base64url_encode(json.dumps(header, separators=(",", ":"), sort_keys=True).encode())


# The claims' JSON as the issuer has always written it: UTF-8 as is, no spaces.
_CLAIMS_ENCODER = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))


def encode_vc_jwt(credential: dict[str, Any], private_key: rsa.RSAPrivateKey | ed25519.Ed25519PrivateKey,
                  kid: str) -> str:
    """Sign `credential` as a compact VC-JWT with the key whose DID URL is `kid`.

    The signature is PyJWT's (its RS256 / EdDSA algorithm objects, as `PyJWS.encode` calls
    them); only the compact serialisation (RFC 7515 §7.1: header.payload.signature, each
    base64url) is assembled here, with the header written once per key (`_protected_header`),
    so that signing costs the RSA operation and little else. The token is byte for byte what
    `PyJWS.encode` writes (tests/test_verification.py checks it)."""
    algorithm = "RS256" if isinstance(private_key, rsa.RSAPrivateKey) else "EdDSA"
    payload = _CLAIMS_ENCODER.encode(jwt_claims(credential)).encode("utf-8")
    signing_input = _protected_header(algorithm, kid) + b"." + base64url_encode(payload)
    signature = _SIGNERS[algorithm].sign(signing_input, private_key)
    return (signing_input + b"." + base64url_encode(signature)).decode("ascii")


def _b64_json(part: str, what: str) -> dict[str, Any]:
    try:
        raw = base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))
        value = json.loads(raw)
    except (ValueError, UnicodeDecodeError) as error:
        raise JwtError(f"En-tête ou contenu du JWT illisible ({what}).",
                       f"Unreadable JWT {what}.", code="jwt.malformed") from error
    if not isinstance(value, dict):
        raise JwtError(f"Le {what} du JWT n'est pas un objet JSON.",
                       f"The JWT {what} is not a JSON object.", code="jwt.malformed")
    return value


def looks_like_jwt(text: str) -> bool:
    parts = text.strip().split(".")
    return len(parts) == 3 and all(parts[:2]) and all(
        set(p) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_") for p in parts)


def decode_unverified(token: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """(header, payload) of a compact JWS, without checking the signature yet."""
    token = token.strip()
    if len(token) > MAX_JWT_LENGTH:
        raise JwtError("JWT trop volumineux.", "JWT too large.", code="jwt.too_large")
    if not looks_like_jwt(token):
        raise JwtError("Ce texte n'est pas un JWT compact (trois parties séparées par des points).",
                       "This is not a compact JWT (three dot-separated parts).",
                       code="jwt.malformed")
    header_part, payload_part, _ = token.split(".")
    return _b64_json(header_part, "header"), _b64_json(payload_part, "payload")


def credential_from_payload(payload: dict[str, Any]) -> dict[str, Any]:
    """The credential a VC-JWT carries: the `vc` claim (VCDM 1.1) or the payload itself."""
    if isinstance(payload.get("vc"), dict):
        return dict(payload["vc"])
    return {key: value for key, value in payload.items() if key not in REGISTERED_CLAIMS}


def _key_fits(algorithm: str, public_key: Any) -> bool:
    """The key type the algorithm needs (and P-256 for ES256): a key never chooses another."""
    if algorithm == "RS256":
        return isinstance(public_key, rsa.RSAPublicKey)
    if algorithm == "EdDSA":
        return isinstance(public_key, ed25519.Ed25519PublicKey)
    return isinstance(public_key, ec.EllipticCurvePublicKey) \
        and isinstance(public_key.curve, ec.SECP256R1)


def verify_jwt_signature(token: str, public_key: Any) -> bool:
    """True when the compact JWS `token` is signed by `public_key` with an accepted algorithm.

    `none` and symmetric algorithms are never accepted: the algorithm must match the key type.
    """
    header, _ = decode_unverified(token)
    algorithm = header.get("alg")
    if not isinstance(algorithm, str) or algorithm not in ACCEPTED_ALGORITHMS:
        raise JwtError(f"Algorithme de signature refusé : {algorithm!r}.",
                       f"Signature algorithm refused: {algorithm!r}.", code="jwt.bad_algorithm")
    if not _key_fits(algorithm, public_key):
        return False
    try:
        _JWS.decode_complete(token.strip(), key=public_key, algorithms=[algorithm])
    except (jwt.PyJWTError, ValueError, TypeError):
        return False
    return True
