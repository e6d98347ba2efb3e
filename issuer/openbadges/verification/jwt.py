"""A VC-JWT's `proof` and `issuer_key` checks (OB 3.0 §8.2): an accepted algorithm, a key
named by `kid` (tied to the issuer like any verification method) or carried in a `jwk` header
(never tied to the issuer, VERIFICATION.md R11), the JWS signature, and claims that agree with the
credential (§8.2.4)."""

from __future__ import annotations

import math
from typing import Any

from cryptography.hazmat.primitives.asymmetric import rsa

from issuer.openbadges.jwk import JwkError, public_key_from_jwk
from issuer.openbadges.proofs import vc_jwt
from issuer.openbadges.verification.context import VerificationContext
from issuer.openbadges.verification.inputs import Reading
from issuer.openbadges.verification.keys import lookup_key
from issuer.openbadges.verification.proofs import ProofResult, check_json_ld_safety
from issuer.openbadges.verification.report import make_check
from issuer.openbadges.verification.validity import parse_datetime

MAX_RSA_BITS = 8192


def _public_key_from_header_jwk(jwk: Any) -> Any:
    try:
        key = public_key_from_jwk(jwk)
    except JwkError:
        return None
    if isinstance(key, rsa.RSAPublicKey) and not 2048 <= key.key_size <= MAX_RSA_BITS:
        return None
    return key


def _jwt_signature_matches(token: str, public_key: Any) -> bool:
    """The JWS signature check; the algorithm must match the key type (no `none`, no HMAC)."""
    try:
        return vc_jwt.verify_jwt_signature(token, public_key)
    except vc_jwt.JwtError:
        return False


def _epoch_of(value: Any) -> int | None:
    moment = parse_datetime(value)
    return None if moment is None else int(moment.timestamp())


def _jwt_claim_mismatches(payload: dict[str, Any], credential: dict[str, Any],
                          issuer_id: str | None, data_model: str | None) -> list[str]:
    """OB 3.0 §8.2.4: iss, jti, sub, nbf, exp must say what the credential says."""
    mismatches: list[str] = []
    if "iss" in payload and payload["iss"] != issuer_id:
        mismatches.append("iss ≠ issuer.id")
    if "jti" in payload and "id" in credential and payload["jti"] != credential["id"]:
        mismatches.append("jti ≠ id")
    subject = credential.get("credentialSubject")
    subject_id = subject.get("id") if isinstance(subject, dict) else None
    if "sub" in payload and subject_id is not None and payload["sub"] != subject_id:
        mismatches.append("sub ≠ credentialSubject.id")
    start_field, end_field = ("issuanceDate", "expirationDate") if data_model == "1.1" else \
        ("validFrom", "validUntil")
    for claim, field_name in (("nbf", start_field), ("exp", end_field)):
        if claim not in payload:
            continue
        number = payload[claim]
        if isinstance(number, bool) or not isinstance(number, (int, float)) \
                or not math.isfinite(number):
            mismatches.append(f"{claim} ?")
        elif _epoch_of(credential.get(field_name)) != int(number):
            mismatches.append(f"{claim} ≠ {field_name}")
    return mismatches


def check_jwt(reading: Reading, credential: dict[str, Any], issuer_id: str | None,
              data_model: str | None, context: VerificationContext,
              contexts_readable: bool = True) -> ProofResult:
    """The `proof` and `issuer_key` checks of a credential read from a VC-JWT.

    The JWS covers the JSON bytes, but what a reader is shown is the JSON-LD credential: a
    member JSON-LD drops means nothing under the credential's contexts, and the wallets refuse
    it in an embedded-proof credential; so the same safe-mode check applies (VERIFICATION.md R18),
    when the contexts can be read (else the `context` check has already failed)."""
    header, payload = reading.jwt_header or {}, reading.jwt_payload or {}
    token = reading.token or ""
    algorithm = header.get("alg")
    not_examined = make_check("issuer_key", "skipped", "issuer_key.not_checked")
    if not isinstance(algorithm, str) or algorithm not in vc_jwt.ACCEPTED_ALGORITHMS:
        return ProofResult(make_check("proof", "failed", "proof.jwt_bad_algorithm",
                                      alg=str(algorithm)[:40]), not_examined)
    if "crit" in header:
        return ProofResult(make_check("proof", "failed", "proof.jwt_crit"), not_examined)
    kid = header.get("kid")
    if isinstance(kid, str) and kid:
        if kid.startswith("#") and isinstance(payload.get("iss"), str):
            kid = payload["iss"] + kid
        lookup = lookup_key(kid, issuer_id, context.resolver, context.revoked_keys)
        public_key, binding = lookup.public_key, lookup.binding
        if public_key is None:
            assert lookup.key_problem is not None
            return ProofResult(lookup.key_problem, binding)
    elif "jwk" in header:
        # Checked so the report can say the token is intact, but such a key proves nothing
        # about who issued it (VERIFICATION.md R11), and a `jku` / `x5u` is never fetched
        # (VERIFICATION.md R17).
        binding = make_check("issuer_key", "failed", "issuer_key.jwk_only")
        public_key = _public_key_from_header_jwk(header["jwk"])
        if public_key is None:
            return ProofResult(make_check("proof", "failed", "proof.jwt_bad_key"), binding)
    else:
        return ProofResult(make_check("proof", "failed", "proof.jwt_no_key"),
                           make_check("issuer_key", "failed", "issuer_key.missing"))
    if not _jwt_signature_matches(token, public_key):
        return ProofResult(make_check("proof", "failed", "proof.signature_mismatch"), binding)
    mismatches = _jwt_claim_mismatches(payload, credential, issuer_id, data_model)
    if mismatches:
        return ProofResult(make_check("proof", "failed", "proof.jwt_claims_mismatch",
                                      claims=", ".join(mismatches)), binding)
    if contexts_readable:
        unsafe = check_json_ld_safety(credential, context)
        if unsafe is not None:
            return ProofResult(unsafe, binding)
    return ProofResult(make_check("proof", "passed", "proof.jwt_ok"), binding)
