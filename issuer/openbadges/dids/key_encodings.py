"""Public keys as DIDs carry them: Ed25519 multibase (`z6Mk…`), P-256 Multikey, JWKs; keys we
will not use (RSA under 2048 bits, private members) are refused."""

from __future__ import annotations

from typing import Literal

import base58
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa

from issuer.openbadges.dids.errors import bad_key
from issuer.openbadges.jwk import PRIVATE_JWK_MEMBERS, JwkError, public_key_from_jwk
from issuer.openbadges.memo import Memo, json_digest

_ED25519_MULTICODEC = b"\xed\x01"  # ed25519-pub, varint of 0xed
_P256_MULTICODEC = b"\x80\x24"  # p256-pub, varint of 0x1200 (compressed point)
_MIN_RSA_BITS = 2048

KeyType = Literal["Ed25519", "RSA", "EC"]
PublicKey = ed25519.Ed25519PublicKey | rsa.RSAPublicKey | ec.EllipticCurvePublicKey

_DECODED_KEYS: Memo[tuple[KeyType, PublicKey]] = Memo(128)
"""Public keys decoded lately, keyed on their exact encoded value (the multibase string, or
the digest of the JWK's JSON text) and the forms accepted: decoding is a pure function of
these, and key objects are immutable. Only keys that decoded are kept (a refusal is decided
again each time). Every verification of one of our badges decodes the key of its proof and of
its two status lists' proofs."""


def ed25519_multibase(public_key: bytes) -> str:
    """Multikey encoding of an Ed25519 public key: "z" + base58btc(0xed01 + key) = "z6Mk…"."""
    if not isinstance(public_key, bytes) or len(public_key) != 32:
        raise bad_key("une clé publique Ed25519 fait 32 octets",
                       "an Ed25519 public key is 32 bytes long")
    return "z" + base58.b58encode(_ED25519_MULTICODEC + public_key).decode("ascii")


def multibase_base58btc(value: object) -> bytes:
    if not isinstance(value, str) or not value.startswith("z") or len(value) > 200:
        raise bad_key("la valeur multibase doit commencer par « z » (base58btc)",
                       "the multibase value must start with 'z' (base58btc)")
    try:
        return base58.b58decode(value[1:])
    except ValueError as exc:
        raise bad_key("base58btc illisible", "unreadable base58btc") from exc


def ed25519_from_multibase(value: str) -> bytes:
    """The 32 raw bytes of a "z6Mk…" Multikey; DidError("did.bad_key") for anything else."""
    decoded = multibase_base58btc(value)
    if decoded[:2] != _ED25519_MULTICODEC or len(decoded) != 34:
        raise bad_key("ce n'est pas une clé publique Ed25519 (0xed01 + 32 octets)",
                       "not an Ed25519 public key (0xed01 + 32 bytes)")
    return decoded[2:]


def key_from_multikey(value: object, *, allow_p256: bool = True) -> tuple[KeyType, PublicKey]:
    if not isinstance(value, str):
        return _key_from_multikey(value, allow_p256=allow_p256)
    memo_key = ("multikey", value, allow_p256)
    found = _DECODED_KEYS.get(memo_key)
    if found is None:
        found = _key_from_multikey(value, allow_p256=allow_p256)
        _DECODED_KEYS.put(memo_key, found)
    return found


def _key_from_multikey(value: object, *, allow_p256: bool) -> tuple[KeyType, PublicKey]:
    decoded = multibase_base58btc(value)
    if decoded[:2] == _ED25519_MULTICODEC:
        return "Ed25519", ed25519_key(ed25519_from_multibase(value))  # type: ignore[arg-type]
    if allow_p256 and decoded[:2] == _P256_MULTICODEC and len(decoded) == 35:
        try:
            return "EC", ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), decoded[2:])
        except ValueError as exc:
            raise bad_key("point P-256 invalide", "invalid P-256 point") from exc
    raise bad_key("type de clé Multikey non pris en charge (Ed25519 ou P-256 attendu)",
                   "unsupported Multikey key type (Ed25519 or P-256 expected)")


def ed25519_key(raw: bytes) -> ed25519.Ed25519PublicKey:
    try:
        return ed25519.Ed25519PublicKey.from_public_bytes(raw)
    except ValueError as exc:
        raise bad_key("clé Ed25519 invalide", "invalid Ed25519 key") from exc


def public_key_from_jwk_member(jwk: object) -> tuple[KeyType, PublicKey]:
    """OKP Ed25519, RSA (2048 bits or more) or EC P-256 public JWK -> key object."""
    digest = json_digest(jwk) if isinstance(jwk, dict) else None
    if digest is None:
        return _public_key_from_jwk_member(jwk)
    found = _DECODED_KEYS.get(("jwk", digest))
    if found is None:
        found = _public_key_from_jwk_member(jwk)
        _DECODED_KEYS.put(("jwk", digest), found)
    return found


def _public_key_from_jwk_member(jwk: object) -> tuple[KeyType, PublicKey]:
    if not isinstance(jwk, dict):
        raise bad_key("publicKeyJwk n'est pas un objet JSON", "publicKeyJwk is not a JSON object")
    if PRIVATE_JWK_MEMBERS & jwk.keys():
        raise bad_key("la JWK contient des éléments privés", "the JWK contains private members")
    kty, crv = jwk.get("kty"), jwk.get("crv")
    if (kty, crv) not in (("OKP", "Ed25519"), ("EC", "P-256")) and kty != "RSA":
        raise bad_key(f"JWK {kty}/{crv} non prise en charge (Ed25519, P-256 ou RSA attendu)",
                       f"unsupported JWK {kty}/{crv} (Ed25519, P-256 or RSA expected)")
    try:
        key = public_key_from_jwk(jwk)
    except JwkError as exc:
        raise bad_key("JWK illisible", "unreadable JWK") from exc
    if isinstance(key, ed25519.Ed25519PublicKey):
        return "Ed25519", key
    if isinstance(key, ec.EllipticCurvePublicKey):
        return "EC", key
    if isinstance(key, rsa.RSAPublicKey):
        if key.key_size < _MIN_RSA_BITS:
            raise bad_key(f"clé RSA de {key.key_size} bits (au moins {_MIN_RSA_BITS})",
                           f"{key.key_size}-bit RSA key (at least {_MIN_RSA_BITS})")
        return "RSA", key
    raise bad_key("JWK publique attendue", "a public JWK is expected")
