"""Test helper: a holder's wallet signing a presentation as the Learner Credential Wallet does
(`Ed25519Signature2020`, Digital Bazaar's suite) or with `DataIntegrityProof` /
`eddsa-rdfc-2022`, over our canonicalisation (the transformation both suites share:
vc-di-eddsa §3.3 and jsonld-signatures' `createVerifyData`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import base58
from cryptography.hazmat.primitives.asymmetric import ed25519

from issuer.contexts import VC_V1, VC_V2
from issuer.did import did_key_for_ed25519
from issuer.proofs.data_integrity import format_datetime, hash_data, unsecured

ED25519_2020_CONTEXT = "https://w3id.org/security/suites/ed25519-2020/v1"


@dataclass(frozen=True)
class Wallet:
    """A holder's did:key and its private key."""

    private_key: ed25519.Ed25519PrivateKey

    @classmethod
    def new(cls) -> Wallet:
        return cls(ed25519.Ed25519PrivateKey.generate())

    @property
    def did(self) -> str:
        return did_key_for_ed25519(self.private_key.public_key().public_bytes_raw())

    @property
    def method(self) -> str:
        return f"{self.did}#{self.did[len('did:key:'):]}"


def presentation(holder: str, credentials: list[Any] | None = None, *,
                 model: str = "2.0") -> dict[str, Any]:
    document: dict[str, Any] = {
        "@context": [VC_V2 if model == "2.0" else VC_V1],
        "type": ["VerifiablePresentation"],
        "holder": holder,
    }
    if credentials:
        document["verifiableCredential"] = credentials
    return document


def sign_presentation(document: dict[str, Any], wallet: Wallet, *, challenge: str | None,
                      domain: str | None, created: datetime | None = None,
                      suite: str = "Ed25519Signature2020", purpose: str = "authentication",
                      method: str | None = None) -> dict[str, Any]:
    """`document` with the wallet's proof (the suite's context added as Digital Bazaar does)."""
    body = unsecured(document)
    options: dict[str, Any] = {"type": suite}
    if suite == "Ed25519Signature2020":
        contexts = list(body["@context"])
        if ED25519_2020_CONTEXT not in contexts:
            body = {**body, "@context": [*contexts, ED25519_2020_CONTEXT]}
    else:
        options = {"type": "DataIntegrityProof", "cryptosuite": "eddsa-rdfc-2022"}
    options.update({"created": format_datetime(created or datetime.now(UTC)),
                    "verificationMethod": method or wallet.method,
                    "proofPurpose": purpose})
    if challenge is not None:
        options["challenge"] = challenge
    if domain is not None:
        options["domain"] = domain
    signature = wallet.private_key.sign(hash_data(body, options))
    return {**body, "proof": {**options,
                              "proofValue": "z" + base58.b58encode(signature).decode("ascii")}}
