"""What is timed. Each workload prepares its inputs (keys, credentials, signatures to check)
untimed and returns a callable that performs `count` operations, so the same workload runs
in one process (`timing.timed`) or in several at once (`parallel`).

Raw rates use `cryptography` directly on a 64-byte message (the size of what eddsa-rdfc-2022
signs: two SHA-256 hashes); RSA is 2048 bits, PKCS#1 v1.5 with SHA-256, as RS256.
Our rates call the issuer's own functions: `sign_document` / `verify_proof_signature`
(eddsa-rdfc-2022) and `encode_vc_jwt` / `verify_jwt_signature` (RS256).
"""

from __future__ import annotations

import os
from collections.abc import Callable

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ed25519, padding, rsa

from bench.credentials import ISSUER_DID, CityCredentials
from issuer.issuance.keys import RSA_KEY_SIZE
from issuer.openbadges.proofs.data_integrity import sign_document, verify_proof_signature
from issuer.openbadges.proofs.vc_jwt import encode_vc_jwt, verify_jwt_signature

Run = Callable[[], object]

ED25519_METHOD = f"{ISSUER_DID}#key-ed25519-bench"
RSA_METHOD = f"{ISSUER_DID}#key-rsa-bench"
MESSAGE_BYTES = 64


def _rsa_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=RSA_KEY_SIZE)


def raw_ed25519_sign(count: int) -> Run:
    key = ed25519.Ed25519PrivateKey.generate()
    messages = [os.urandom(MESSAGE_BYTES) for _ in range(count)]
    return lambda: [key.sign(message) for message in messages]


def raw_ed25519_verify(count: int) -> Run:
    key = ed25519.Ed25519PrivateKey.generate()
    public = key.public_key()
    signed = [(key.sign(m), m) for m in (os.urandom(MESSAGE_BYTES) for _ in range(count))]
    return lambda: [public.verify(signature, message) for signature, message in signed]


def raw_rsa_sign(count: int) -> Run:
    key = _rsa_key()
    messages = [os.urandom(MESSAGE_BYTES) for _ in range(count)]
    return lambda: [key.sign(m, padding.PKCS1v15(), hashes.SHA256()) for m in messages]


def raw_rsa_verify(count: int) -> Run:
    key = _rsa_key()
    public = key.public_key()
    signed = [(key.sign(m, padding.PKCS1v15(), hashes.SHA256()), m)
              for m in (os.urandom(MESSAGE_BYTES) for _ in range(count))]
    return lambda: [public.verify(s, m, padding.PKCS1v15(), hashes.SHA256()) for s, m in signed]


def data_integrity_sign(count: int) -> Run:
    key = ed25519.Ed25519PrivateKey.generate()
    documents = CityCredentials().many(count)
    sign_document(CityCredentials().unsigned(0), key, ED25519_METHOD)  # learn the shape once
    return lambda: [sign_document(document, key, ED25519_METHOD) for document in documents]


def data_integrity_verify(count: int) -> Run:
    key = ed25519.Ed25519PrivateKey.generate()
    public = key.public_key()
    signed = [sign_document(document, key, ED25519_METHOD)
              for document in CityCredentials().many(count)]

    def run() -> None:
        for document in signed:
            if not verify_proof_signature(document, document["proof"][-1], public):
                raise RuntimeError("a Data Integrity proof did not verify")

    return run


def jwt_sign(count: int) -> Run:
    key = _rsa_key()
    documents = CityCredentials().many(count)
    encode_vc_jwt(CityCredentials().unsigned(0), key, RSA_METHOD)  # warm-up, untimed
    return lambda: [encode_vc_jwt(document, key, RSA_METHOD) for document in documents]


def jwt_verify(count: int) -> Run:
    key = _rsa_key()
    public = key.public_key()
    tokens = [encode_vc_jwt(document, key, RSA_METHOD)
              for document in CityCredentials().many(count)]
    verify_jwt_signature(tokens[0], public)  # warm-up, untimed

    def run() -> None:
        for token in tokens:
            if not verify_jwt_signature(token, public):
                raise RuntimeError("a VC-JWT did not verify")

    return run


WORKLOADS: dict[str, Callable[[int], Run]] = {
    "raw-ed25519-sign": raw_ed25519_sign,
    "raw-ed25519-verify": raw_ed25519_verify,
    "raw-rsa-sign": raw_rsa_sign,
    "raw-rsa-verify": raw_rsa_verify,
    "di-sign": data_integrity_sign,
    "di-verify": data_integrity_verify,
    "jwt-sign": jwt_sign,
    "jwt-verify": jwt_verify,
}

LABELS = {
    "raw-ed25519-sign": "raw Ed25519 sign",
    "raw-ed25519-verify": "raw Ed25519 verify",
    "raw-rsa-sign": "raw RSA-2048 sign",
    "raw-rsa-verify": "raw RSA-2048 verify",
    "di-sign": "Data Integrity sign (eddsa-rdfc-2022)",
    "di-verify": "Data Integrity verify",
    "jwt-sign": "VC-JWT sign (RS256)",
    "jwt-verify": "VC-JWT verify (RS256)",
}
