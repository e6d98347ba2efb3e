"""Data Integrity proofs with the `eddsa-rdfc-2022` cryptosuite (W3C vc-di-eddsa §3.3).

Signing: canonicalise the proof configuration (the proof options with the document's
`@context`) and the document without its proof with RDFC-1.0, hash each with SHA-256, sign
`proofHash || documentHash` with Ed25519, write the signature as base58btc multibase (`z...`).

Sort order (`issuer.openbadges.sort_order`): RDFC-1.0 sorts N-Quads by code point, the wallets'
rdf-canonize by
UTF-16 code unit; the two differ only for a few texts (an emoji beside `ﬁ`, private use,
full-width forms). The signer refuses a document whose two orders differ
(`canonical.assert_one_sort_order`), so every credential it signs verifies in both kinds of
verifier; signing in the wallets' order instead would make it fail in every RDFC-1.0 verifier
(pyld, pyoxigraph). The verifier accepts a signature over either order of the same quads
(`verify_proof_signature_order` says which), since wallets and JavaScript issuers sign in UTF-16
order.

Verification of the cryptography only lives here; whose key it is (VERIFICATION.md R11), the proof purpose
and the validity window are the verifier's checks (`issuer.openbadges.verification`). Legacy proofs that
use the same transformation are verified too: `eddsa-2022` (the suite's former name) and
`Ed25519Signature2020`.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from typing import Any, Literal

import base58
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric import ed25519

from issuer.errors import IssuerError
from issuer.openbadges.canonical import (
    assert_one_sort_order,
    canonicalize,
    signable_canonical_form,
    utf16_order_canonical_form,
)
from issuer.openbadges.rdfc.errors import CanonicalizationError

CRYPTOSUITE = "eddsa-rdfc-2022"
LEGACY_CRYPTOSUITES = frozenset({"eddsa-2022"})
DATA_INTEGRITY_PROOF = "DataIntegrityProof"
ED25519_SIGNATURE_2020 = "Ed25519Signature2020"


class ProofError(IssuerError):
    code = "proof.invalid"


def format_datetime(moment: datetime) -> str:
    """XML Schema dateTime in UTC without fractions, as every verifier parses it."""
    return moment.astimezone(UTC).replace(microsecond=0).strftime("%Y-%m-%dT%H:%M:%SZ")


def proofs_of(document: dict[str, Any]) -> list[dict[str, Any]]:
    proof = document.get("proof")
    if proof is None:
        return []
    items = proof if isinstance(proof, list) else [proof]
    if not all(isinstance(item, dict) for item in items):
        raise ProofError("La preuve n'est pas un objet JSON.", "The proof is not a JSON object.",
                         code="proof.malformed")
    return items


SortOrder = Literal["code_point", "utf16"]
"""Which order of canonical N-Quads a signature covers: RDFC-1.0's, or rdf-canonize's."""


def proof_configuration(unsecured_document: dict[str, Any],
                        proof_options: dict[str, Any]) -> dict[str, Any]:
    """The proof options without `proofValue`, with the document's `@context` (§3.3.4)."""
    proof_config = dict(proof_options)
    proof_config.pop("proofValue", None)
    proof_config["@context"] = unsecured_document.get("@context")
    return proof_config


def hash_data(unsecured_document: dict[str, Any], proof_options: dict[str, Any], *,
              canonical_document: str | None = None,
              canonical_config: str | None = None) -> bytes:
    """`SHA-256(canonical proof config) || SHA-256(canonical document)` (vc-di-eddsa §3.3.4-5)."""
    if canonical_document is None:
        canonical_document = canonicalize(unsecured_document)
    if canonical_config is None:
        canonical_config = canonicalize(proof_configuration(unsecured_document, proof_options))
    try:
        proof_hash = hashlib.sha256(canonical_config.encode("utf-8")).digest()
        document_hash = hashlib.sha256(canonical_document.encode("utf-8")).digest()
    except UnicodeEncodeError as error:  # a lone surrogate: not text any verifier can hash
        raise CanonicalizationError("text that is not valid Unicode") from error
    return proof_hash + document_hash


def unsecured(document: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in document.items() if key != "proof"}


def create_proof(document: dict[str, Any], private_key: ed25519.Ed25519PrivateKey,
                 verification_method: str, *, created: datetime | None = None,
                 proof_purpose: str = "assertionMethod", check: bool = True) -> dict[str, Any]:
    """A `DataIntegrityProof` over `document` (whose own `proof`, if any, is left out)."""
    body = unsecured(document)
    # One pass: the refusal checks and the canonical form share the document's shape template.
    canonical_document = signable_canonical_form(body) if check else canonicalize(body)
    options: dict[str, Any] = {
        "type": DATA_INTEGRITY_PROOF,
        "cryptosuite": CRYPTOSUITE,
        "created": format_datetime(created or datetime.now(UTC)),
        "verificationMethod": verification_method,
        "proofPurpose": proof_purpose,
    }
    config = proof_configuration(body, options)
    canonical_config = canonicalize(config)
    if check:
        # Only a document whose two sort orders agree verifies everywhere.
        assert_one_sort_order(body, canonical_document)
        assert_one_sort_order(config, canonical_config)
    signature = private_key.sign(hash_data(body, options, canonical_document=canonical_document,
                                           canonical_config=canonical_config))
    return {**options, "proofValue": "z" + base58.b58encode(signature).decode("ascii")}


def sign_document(document: dict[str, Any], private_key: ed25519.Ed25519PrivateKey,
                  verification_method: str, *, created: datetime | None = None,
                  proof_purpose: str = "assertionMethod", check: bool = True) -> dict[str, Any]:
    """A copy of `document` with the new proof added to its `proof` array (VERIFICATION.md R3)."""
    proof = create_proof(document, private_key, verification_method, created=created,
                         proof_purpose=proof_purpose, check=check)
    # A new top-level object; nested values are shared with `document`, which is not changed.
    return {**document, "proof": [*proofs_of(document), proof]}


def decode_proof_value(proof: dict[str, Any]) -> bytes:
    """`proofValue` is base58btc multibase with a `z` prefix and nothing else
    (VERIFICATION.md R12)."""
    value = proof.get("proofValue")
    if not isinstance(value, str) or not value.startswith("z") or len(value) < 2:
        raise ProofError("La valeur de la preuve n'est pas en base58btc (préfixe « z »).",
                         "The proof value is not base58btc multibase (prefix 'z').",
                         code="proof.bad_encoding")
    try:
        signature = base58.b58decode(value[1:])
    except ValueError as error:
        raise ProofError("La valeur de la preuve n'est pas du base58 valide.",
                         "The proof value is not valid base58.", code="proof.bad_encoding") from error
    if len(signature) != 64:
        raise ProofError("La signature n'a pas la longueur d'une signature Ed25519.",
                         "The signature is not 64 bytes long as Ed25519 requires.",
                         code="proof.bad_encoding")
    return signature


def check_proof_shape(proof: dict[str, Any]) -> None:
    kind = proof.get("type")
    suite = proof.get("cryptosuite")
    if kind == DATA_INTEGRITY_PROOF and (suite == CRYPTOSUITE or suite in LEGACY_CRYPTOSUITES):
        return
    if kind == ED25519_SIGNATURE_2020:
        return
    raise ProofError(
        f"Type de preuve non pris en charge : {kind} {suite or ''}".strip(),
        f"Unsupported proof type: {kind} {suite or ''}".strip(), code="proof.unsupported_type")


def verify_proof_signature(document: dict[str, Any], proof: dict[str, Any],
                           public_key: ed25519.Ed25519PublicKey) -> bool:
    """True when `proof` is a valid Ed25519 signature of `document` (proofs excluded), over
    either sort order of its canonical form (see the module docstring).

    Raises ProofError for a proof that cannot even be checked (unknown type, bad encoding).
    """
    return verify_proof_signature_order(document, proof, public_key) is not None


def verify_proof_signature_order(document: dict[str, Any], proof: dict[str, Any],
                                 public_key: ed25519.Ed25519PublicKey) -> SortOrder | None:
    """Which canonical order `proof` signs ("code_point": RDFC-1.0; "utf16": rdf-canonize's,
    `issuer.openbadges.sort_order`), or None when the signature matches neither.

    The UTF-16 order form is computed only when it differs from the RDFC-1.0 one, which one
    scan of the canonical text settles, so a usual credential costs one verification.
    """
    check_proof_shape(proof)
    signature = decode_proof_value(proof)
    body = unsecured(document)
    config = proof_configuration(body, proof)
    canonical_document, canonical_config = canonicalize(body), canonicalize(config)
    if _signs(public_key, signature, body, proof, canonical_document, canonical_config):
        return "code_point"
    utf16_document = utf16_order_canonical_form(body, canonical_document)
    utf16_config = utf16_order_canonical_form(config, canonical_config)
    if utf16_document is None and utf16_config is None:
        return None
    # rdf-canonize sorts both the same way: one more candidate, not four.
    if _signs(public_key, signature, body, proof, utf16_document or canonical_document,
              utf16_config or canonical_config):
        return "utf16"
    return None


def _signs(public_key: ed25519.Ed25519PublicKey, signature: bytes, body: dict[str, Any],
           proof: dict[str, Any], canonical_document: str, canonical_config: str) -> bool:
    try:
        public_key.verify(signature, hash_data(body, proof, canonical_document=canonical_document,
                                               canonical_config=canonical_config))
    except InvalidSignature:
        return False
    return True
