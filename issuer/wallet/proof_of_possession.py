"""The `jwt` proof of possession of a credential request (OpenID4VCI 1.0 §8.2.1.1 and
Appendix F.1): who the wallet's key is, checked without any state.

What is checked, in order (each failure is `invalid_proof`):
- the header: `typ` is exactly `openid4vci-proof+jwt`; `alg` is EdDSA or ES256 (what the
  metadata's `proof_signing_alg_values_supported` lists; never `none`, never a MAC); exactly one
  of `kid` and `jwk` (`x5c`, key attestations and trust chains are not supported);
- the key: a `kid` is a did:key or did:jwk DID URL, resolved locally (`issuer.openbadges.did`, no network),
  and the key must be listed under `authentication` of that DID's own document; a `jwk` is a
  public key (a private member is refused) and the holder becomes its `did:jwk`; the key type
  matches `alg` (Ed25519 for EdDSA, P-256 for ES256);
- the signature, through PyJWT with that one algorithm;
- the claims: `aud` is the Credential Issuer Identifier, `iat` is a number neither older than
  `max_age` nor ahead of the clock by more than `CLOCK_SKEW`, `exp` (optional) not passed, and a
  `nonce` is present (its freshness is the caller's: it is single-use state, see
  `issuer.wallet.oid4vci.consume_nonce`).

The holder's DID is what the holder-bound copy names as `credentialSubject.id`.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric import ec, ed25519
from jwt.exceptions import InvalidAudienceError, InvalidSignatureError, PyJWTError

from issuer.openbadges.did import DidResolver
from issuer.openbadges.dids.errors import DidError
from issuer.openbadges.jwk import JwkError, PublicKey, public_jwk, public_key_from_jwk
from issuer.wallet.oid4vci_errors import Oid4vciError, invalid_proof

PROOF_TYP = "openid4vci-proof+jwt"
PROOF_ALGORITHMS = ("EdDSA", "ES256")
"""Signing algorithms a wallet's proof may use (issuer metadata, `proof_types_supported`)."""
BINDING_METHODS = ("did:key", "did:jwk", "jwk")
"""`cryptographic_binding_methods_supported` of every credential configuration."""
MAX_PROOF_BYTES = 8_192
MAX_NONCE_LENGTH = 256
DEFAULT_MAX_AGE = timedelta(minutes=5)
CLOCK_SKEW = timedelta(seconds=60)
_DID_METHODS = ("did:key:", "did:jwk:")


@dataclass(frozen=True)
class ProofOfPossession:
    """What a verified proof establishes."""

    holder_did: str   # the DID the copy is bound to (did:key or did:jwk, without fragment)
    nonce: str        # the `c_nonce` the wallet signed, still to be consumed by the caller
    algorithm: str
    issued_at: datetime


def did_jwk_of(key: PublicKey) -> str:
    """The did:jwk of a public key (did:jwk spec, "Create"): base64url of the compact JSON of
    its public members, in sorted order so one key always gives one DID."""
    members = public_jwk(key)
    text = json.dumps(members, separators=(",", ":"), sort_keys=True)
    return "did:jwk:" + base64.urlsafe_b64encode(text.encode("utf-8")).rstrip(b"=").decode()


def verify_proof_jwt(proof: object, *, audience: str, now: datetime | None = None,
                     max_age: timedelta = DEFAULT_MAX_AGE) -> ProofOfPossession:
    """Check one `jwt` proof (module docstring) and return who holds the key.
    Raises `Oid4vciError` (`invalid_proof`) with a French and English reason."""
    now = now or datetime.now(UTC)
    if not isinstance(proof, str) or not proof or len(proof) > MAX_PROOF_BYTES:
        raise invalid_proof("La preuve de possession doit être un JWT compact.",
                            "The proof of possession must be a compact JWT.")
    try:
        header = jwt.get_unverified_header(proof)
    except PyJWTError:
        raise invalid_proof("La preuve de possession n'est pas un JWT lisible.",
                            "The proof of possession is not a readable JWT.") from None
    algorithm = _checked_header(header)
    key, holder_did = _holder_key(header)
    _check_key_type(algorithm, key)
    try:
        claims = jwt.decode(proof, key, algorithms=[algorithm], audience=audience,
                            options={"require": ["aud", "iat"], "verify_exp": False,
                                     "verify_nbf": False, "verify_iat": False})
    except InvalidSignatureError:
        raise invalid_proof("La signature de la preuve ne correspond pas à sa clé.",
                            "The proof's signature does not match its key.") from None
    except InvalidAudienceError:
        raise invalid_proof(f"La preuve doit être adressée à {audience} (« aud »).",
                            f"The proof must be addressed to {audience} ('aud').") from None
    except PyJWTError as error:
        raise invalid_proof("Preuve de possession refusée.",
                            f"Proof of possession refused ({type(error).__name__}).") from None
    issued_at = _checked_times(claims, now, max_age)
    nonce = claims.get("nonce")
    if not isinstance(nonce, str) or not nonce or len(nonce) > MAX_NONCE_LENGTH:
        raise invalid_proof("La preuve doit porter le « nonce » donné par l'émetteur.",
                            "The proof must carry the 'nonce' the issuer gave.")
    return ProofOfPossession(holder_did=holder_did, nonce=nonce, algorithm=algorithm,
                             issued_at=issued_at)


def _checked_header(header: dict[str, Any]) -> str:
    if header.get("typ") != PROOF_TYP:
        raise invalid_proof(f"L'en-tête « typ » de la preuve doit être « {PROOF_TYP} ».",
                            f"The proof's 'typ' header must be '{PROOF_TYP}'.")
    algorithm = header.get("alg")
    if algorithm not in PROOF_ALGORITHMS:
        raise invalid_proof(f"Algorithme de preuve non accepté : {str(algorithm)[:20]!r} "
                            f"(acceptés : {', '.join(PROOF_ALGORITHMS)}).",
                            f"Proof algorithm not accepted: {str(algorithm)[:20]!r} "
                            f"(accepted: {', '.join(PROOF_ALGORITHMS)}).")
    keys = [name for name in ("kid", "jwk", "x5c") if name in header]
    if len(keys) != 1 or keys[0] == "x5c":
        raise invalid_proof("La preuve doit nommer sa clé par « kid » (did:key, did:jwk) ou "
                            "« jwk », et par un seul des deux.",
                            "The proof must name its key by 'kid' (did:key, did:jwk) or 'jwk', "
                            "and by only one of them.")
    return str(algorithm)


def _holder_key(header: dict[str, Any]) -> tuple[PublicKey, str]:
    if "jwk" in header:
        try:
            embedded = public_key_from_jwk(header["jwk"])
        except JwkError as error:
            raise invalid_proof(f"Clé « jwk » refusée : {error.message_fr}",
                                f"'jwk' key refused: {error.message_en}") from None
        return embedded, did_jwk_of(embedded)
    kid = header["kid"]
    if not isinstance(kid, str) or not kid.startswith(_DID_METHODS) or len(kid) > 2_048:
        raise invalid_proof("Le « kid » de la preuve doit être un did:key ou un did:jwk.",
                            "The proof's 'kid' must be a did:key or a did:jwk.")
    try:
        resolved = DidResolver().resolve_key(_method_url(kid), purpose="authentication")
    except DidError as error:
        raise invalid_proof(f"Clé « kid » refusée : {error.message_fr}",
                            f"'kid' key refused: {error.message_en}") from None
    key: PublicKey = resolved.public_key
    return key, resolved.controller


def _method_url(kid: str) -> str:
    """A bare did:key / did:jwk (some wallets send the DID alone) names its only key."""
    if "#" in kid:
        return kid
    if kid.startswith("did:key:"):
        return f"{kid}#{kid.removeprefix('did:key:')}"
    return f"{kid}#0"


def _check_key_type(algorithm: str, key: PublicKey) -> None:
    if algorithm == "EdDSA" and isinstance(key, ed25519.Ed25519PublicKey):
        return
    if (algorithm == "ES256" and isinstance(key, ec.EllipticCurvePublicKey)
            and isinstance(key.curve, ec.SECP256R1)):
        return
    raise invalid_proof(f"La clé de la preuve ne convient pas à l'algorithme {algorithm}.",
                        f"The proof's key does not fit algorithm {algorithm}.")


def _checked_times(claims: dict[str, Any], now: datetime, max_age: timedelta) -> datetime:
    iat = claims.get("iat")
    if isinstance(iat, bool) or not isinstance(iat, int | float):
        raise invalid_proof("La date « iat » de la preuve doit être un nombre.",
                            "The proof's 'iat' must be a number.")
    try:
        issued_at = datetime.fromtimestamp(iat, UTC)
    except (OverflowError, OSError, ValueError):
        raise _stale() from None
    if issued_at < now - max_age or issued_at > now + CLOCK_SKEW:
        raise _stale()
    exp = claims.get("exp")
    if exp is not None and (isinstance(exp, bool) or not isinstance(exp, int | float)
                            or exp < now.timestamp() - CLOCK_SKEW.total_seconds()):
        raise invalid_proof("La preuve a expiré (« exp »).", "The proof has expired ('exp').")
    return issued_at


def _stale() -> Oid4vciError:
    minutes = int(DEFAULT_MAX_AGE.total_seconds() // 60)
    return invalid_proof(f"La preuve n'est pas récente (« iat » : moins de {minutes} minutes).",
                         f"The proof is not fresh ('iat': under {minutes} minutes).")
