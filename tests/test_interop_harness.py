"""The interoperability harness itself: third-party verifiers (Node) give the expected verdicts
on official samples, on credentials Digital Bazaar signs itself, and on tampered copies.

These tests pin what the harness reports, so the credentials our own code signs can later be
checked with it (tests/plugins/interop.py). Expected outcomes of the official samples:
tests/fixtures/validator/EXPECTED.md; library behaviour: docs/VERIFICATION.md.
"""

from __future__ import annotations

import base64
import copy
import gzip
import json
from pathlib import Path
from typing import Any

import base58
import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519, rsa
from jwt.algorithms import RSAAlgorithm
from PIL import Image

pytestmark = pytest.mark.interop

FIXTURES = Path(__file__).parent / "fixtures"
VALIDATOR = FIXTURES / "validator"
W3C_EDDSA_VECTOR = FIXTURES / "test-vectors/w3c-vc-di-eddsa/eddsa-rdfc-2022/signedDataInt.json"

ISSUER_DID = "did:web:badges.example.org"
ED25519_KEY_ID = f"{ISSUER_DID}#key-ed25519-1"
RSA_KEY_ID = f"{ISSUER_DID}#key-rsa-1"
STATUS_LIST_URL = "https://badges.example.org/status/1/revocation"
ACTIVE_INDEX = 3
REVOKED_INDEX = 7
# The context that defines `JsonWebKey` / `publicKeyJwk` (W3C Security Vocabulary). The JS
# verifiers never load it: they read a DID document as plain JSON when its first context is
# did/v1 (jsonld-signatures ControllerProofPurpose), so it needs no local copy.
JWK_CONTEXT = "https://w3id.org/security/jwk/v1"
NOW = "2026-01-01T00:00:00Z"


def _load(path: Path) -> dict[str, Any]:
    return json.loads(path.read_text("utf-8"))


def _multikey(public_key: ed25519.Ed25519PublicKey) -> str:
    raw = public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return "z" + base58.b58encode(b"\xed\x01" + raw).decode()


def _encoded_status_list(revoked: set[int], length: int = 131_072) -> str:
    # W3C Bitstring Status List §4.1: index 0 is the most significant bit of the first byte,
    # GZIP, then multibase base64url without padding.
    bits = bytearray(length // 8)
    for index in revoked:
        bits[index // 8] |= 0x80 >> (index % 8)
    return "u" + base64.urlsafe_b64encode(gzip.compress(bytes(bits))).rstrip(b"=").decode()


def _tampered(credential: dict[str, Any], **changes: Any) -> dict[str, Any]:
    copy_ = copy.deepcopy(credential)
    copy_.update(changes)
    return copy_


def _b64url_json(part: str) -> dict[str, Any]:
    return json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))


def _tampered_jwt(token: str, **claims: Any) -> str:
    header, payload, signature = token.split(".")
    changed = {**_b64url_json(payload), **claims}
    encoded = base64.urlsafe_b64encode(json.dumps(changed).encode()).rstrip(b"=").decode()
    return f"{header}.{encoded}.{signature}"


@pytest.fixture(scope="module")
def issuer_keys() -> dict[str, Any]:
    seed = bytes(range(32))
    return {
        "seed": seed,
        "ed25519": ed25519.Ed25519PrivateKey.from_private_bytes(seed),
        "rsa": rsa.generate_private_key(public_exponent=65537, key_size=2048),
    }


@pytest.fixture(scope="module")
def did_document(issuer_keys: dict[str, Any]) -> dict[str, Any]:
    """The shape of the DID document the issuer publishes at /.well-known/did.json."""
    rsa_jwk = RSAAlgorithm.to_jwk(issuer_keys["rsa"].public_key(), as_dict=True)
    rsa_jwk.pop("key_ops", None)  # a bare public key, as a DID document publishes it
    return {
        "@context": ["https://www.w3.org/ns/did/v1", "https://w3id.org/security/multikey/v1",
                     JWK_CONTEXT],
        "id": ISSUER_DID,
        "verificationMethod": [
            {"id": ED25519_KEY_ID, "type": "Multikey", "controller": ISSUER_DID,
             "publicKeyMultibase": _multikey(issuer_keys["ed25519"].public_key())},
            {"id": RSA_KEY_ID, "type": "JsonWebKey", "controller": ISSUER_DID,
             "publicKeyJwk": {"kty": "RSA", "n": rsa_jwk["n"], "e": rsa_jwk["e"]}},
        ],
        "assertionMethod": [ED25519_KEY_ID, RSA_KEY_ID],
    }


def _open_badge(status_index: int, **extra: Any) -> dict[str, Any]:
    return {
        "@context": ["https://www.w3.org/ns/credentials/v2",
                     "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"],
        "id": f"urn:uuid:8a4c2f0e-0000-4000-8000-00000000000{status_index}",
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "issuer": {"id": ISSUER_DID, "type": ["Profile"], "name": "Ville de Roubaix"},
        "validFrom": "2025-03-01T00:00:00Z",
        "name": "Bénévole de la Braderie",
        "credentialSubject": {
            "id": "did:example:citizen-1",
            "type": ["AchievementSubject"],
            "achievement": {
                "id": "https://badges.example.org/achievements/braderie",
                "type": ["Achievement"],
                "name": "Bénévole de la Braderie",
                "description": "A tenu un stand solidaire.",
                "criteria": {"narrative": "Une journée de bénévolat."},
            },
        },
        "credentialStatus": {
            "id": f"{STATUS_LIST_URL}#{status_index}",
            "type": "BitstringStatusListEntry",
            "statusPurpose": "revocation",
            "statusListIndex": str(status_index),
            "statusListCredential": STATUS_LIST_URL,
        },
        **extra,
    }


@pytest.fixture(scope="module")
def published(digital_bazaar_signer, issuer_keys: dict[str, Any],
              did_document: dict[str, Any]) -> dict[str, Any]:
    """Credentials and a status list signed by Digital Bazaar's own libraries with the did:web
    key: what a correct issuer publishes, independent of our signing code."""
    sign = {"seed": issuer_keys["seed"], "verification_method": ED25519_KEY_ID,
            "controller": ISSUER_DID, "documents": {ISSUER_DID: did_document}}
    status_list = digital_bazaar_signer({
        "@context": ["https://www.w3.org/ns/credentials/v2"],
        "id": STATUS_LIST_URL,
        "type": ["VerifiableCredential", "BitstringStatusListCredential"],
        "issuer": ISSUER_DID,
        "validFrom": "2025-01-01T00:00:00Z",
        "credentialSubject": {"id": f"{STATUS_LIST_URL}#list", "type": "BitstringStatusList",
                              "statusPurpose": "revocation",
                              "encodedList": _encoded_status_list({REVOKED_INDEX})},
    }, **sign)
    return {
        "active": digital_bazaar_signer(_open_badge(ACTIVE_INDEX), **sign),
        "revoked": digital_bazaar_signer(_open_badge(REVOKED_INDEX), **sign),
        "expiring": digital_bazaar_signer(
            _open_badge(ACTIVE_INDEX, validUntil="2026-06-30T00:00:00Z"), **sign),
        "documents": {ISSUER_DID: did_document, STATUS_LIST_URL: status_list},
    }


# --- official samples ------------------------------------------------------------------------

def test_official_did_key_sample_is_refused_for_its_bare_did_verification_method(
        third_party_verifiers):
    # simple-did-key-method.json names `did:key:z6Mk…` without a `#fragment`: the did:key
    # drivers then return the whole DID document instead of the key, so both JS stacks refuse
    # it although the 1EdTech validator accepts it. Our proofs must name `did:…#key`.
    sample = _load(VALIDATOR / "simple-did-key-method.json")
    result = third_party_verifiers(credential=sample, now=NOW)

    assert result["digitalBazaar"]["proofVerified"] is False
    assert "publicKeyMultibase" in result["digitalBazaar"]["proofError"]
    assert result["verifierCore"]["verified"] is False
    assert result["verifierCore"]["errors"][0]["name"] == "invalid_signature"
    assert result["jose"] is None


def test_w3c_eddsa_vector_proof_verifies_in_digital_bazaar(third_party_verifiers):
    vector = _load(W3C_EDDSA_VECTOR)
    result = third_party_verifiers(credential=vector, now=NOW)["digitalBazaar"]

    assert result["proofVerified"] is True, result["proofError"]
    # the vector's issuer (https://vc.example/…) is not the did:key controller of its key
    assert result["verified"] is False
    assert "issuer must match the verification method controller" in result["error"]
    assert result["unresolved"] == []


def test_tampered_w3c_eddsa_vector_fails_signature(third_party_verifiers):
    vector = _tampered(_load(W3C_EDDSA_VECTOR), name="Forged Alumni Credential")
    result = third_party_verifiers(credential=vector, now=NOW)["digitalBazaar"]

    assert result["proofVerified"] is False
    assert "Invalid signature" in result["proofError"]


def test_revoked_official_sample_reports_revocation_bit_from_the_mapped_status_list(
        third_party_verifiers):
    sample = _load(VALIDATOR / "bit-string-list/credential-status-revoked.json")
    status_url = sample["credentialStatus"]["statusListCredential"]
    testlist = _load(VALIDATOR / "bit-string-list/testlist.json")
    result = third_party_verifiers(credential=sample, documents={status_url: testlist},
                                   now=NOW)["digitalBazaar"]

    [status] = result["statuses"]
    assert status["purpose"] == "revocation" and status["index"] == 23
    assert status["value"] is True
    # the list's key (https://1edtech.edu/issuers/565049#z6Mk…) is published nowhere
    assert status["listVerified"] is False
    assert status_url not in result["unresolved"]


def test_status_list_the_request_does_not_give_is_unresolved_never_fetched(
        third_party_verifiers):
    sample = _load(VALIDATOR / "bit-string-list/credential-status-revoked.json")
    status_url = sample["credentialStatus"]["statusListCredential"]
    result = third_party_verifiers(credential=sample, now=NOW)["digitalBazaar"]

    assert result["statuses"][0]["value"] is None
    assert status_url in result["unresolved"]


def test_official_jwt_sample_verifies_with_its_embedded_key_only(third_party_verifiers):
    image = Image.open(VALIDATOR / "simple-jwt.png")
    image.load()
    token = image.text["openbadgecredential"]

    result = third_party_verifiers(jwt=token, now=NOW)["jose"]

    assert result["verified"] is True, result["error"]
    assert result["header"]["alg"] == "RS256"
    assert result["key"]["source"] == "embedded-jwk"
    # a key carried by the token itself says nothing about who issued it (VERIFICATION.md R11)
    assert result["key"]["boundToIssuer"] is False
    assert 'missing "sub"' in result["problems"]
    assert result["conformant"] is False


def test_official_jwt_sample_with_tampered_payload_fails(third_party_verifiers):
    image = Image.open(VALIDATOR / "simple-jwt.png")
    image.load()
    token = _tampered_jwt(image.text["openbadgecredential"], name="Forged Badge")

    result = third_party_verifiers(jwt=token, now=NOW)["jose"]

    assert result["verified"] is False
    assert "ERR_JWS_SIGNATURE_VERIFICATION_FAILED" in result["error"]


# --- did:web credentials signed by Digital Bazaar itself ------------------------------------

def test_did_web_credential_verifies_in_digital_bazaar_and_verifier_core(
        third_party_verifiers, published):
    result = third_party_verifiers(credential=published["active"],
                                   documents=published["documents"], now=NOW)

    db = result["digitalBazaar"]
    assert db["verified"] is True, db["error"]
    assert db["statuses"] == [{
        "type": "BitstringStatusListEntry", "purpose": "revocation", "index": str(ACTIVE_INDEX),
        "statusListCredential": STATUS_LIST_URL, "value": False, "listVerified": True,
    }]
    core = result["verifierCore"]
    assert core["verified"] is True, core["errors"]
    assert (core["revoked"], core["expired"]) == (False, False)
    # registry membership is a separate matter: no registry was given
    assert core["registeredIssuer"] is False
    # the did:web DID document was served by the harness, the JWK context never loaded
    assert "https://badges.example.org/.well-known/did.json" in core["requested"]
    assert JWK_CONTEXT not in db["requested"] + core["requested"]
    assert db["unresolved"] == core["unresolved"] == []


def test_revoked_did_web_credential_is_reported_revoked(third_party_verifiers, published):
    result = third_party_verifiers(credential=published["revoked"],
                                   documents=published["documents"], now=NOW)

    db = result["digitalBazaar"]
    # VERIFICATION.md R7: the library's own verdict ignores the bit; the harness reads it
    assert db["verified"] is True
    assert db["statuses"][0]["value"] is True and db["statuses"][0]["listVerified"] is True
    core = result["verifierCore"]
    assert core["verified"] is True
    assert core["revoked"] is True
    assert core["statuses"] == [{"purpose": "revocation", "value": True}]


def test_tampered_did_web_credential_fails_in_both(third_party_verifiers, published):
    forged = _tampered(published["active"], name="Maire honoraire")
    result = third_party_verifiers(credential=forged, documents=published["documents"], now=NOW)

    assert result["digitalBazaar"]["verified"] is False
    assert result["digitalBazaar"]["proofVerified"] is False
    assert result["verifierCore"]["verified"] is False
    assert result["verifierCore"]["errors"][0]["name"] == "invalid_signature"


def test_unpublished_did_web_document_is_a_resolution_failure(third_party_verifiers, published):
    documents = {STATUS_LIST_URL: published["documents"][STATUS_LIST_URL]}
    result = third_party_verifiers(credential=published["active"], documents=documents, now=NOW)

    assert result["digitalBazaar"]["verified"] is False
    assert result["verifierCore"]["errors"][0]["name"] == "did_web_unresolved"
    assert "https://badges.example.org/.well-known/did.json" in (
        result["verifierCore"]["unresolved"])


def test_frozen_clock_decides_expiry_in_both(third_party_verifiers_batch, published):
    base = {"credential": published["expiring"], "documents": published["documents"]}
    before, after = third_party_verifiers_batch([
        {**base, "now": "2026-06-01T00:00:00Z"},
        {**base, "now": "2026-07-01T00:00:00Z"},
    ])

    assert before["digitalBazaar"]["verified"] is True
    assert before["verifierCore"]["expired"] is False
    assert after["digitalBazaar"]["verified"] is False
    assert "validUntil" in after["digitalBazaar"]["error"]
    assert after["verifierCore"]["expired"] is True


def test_issuer_registry_served_from_documents_marks_issuer_registered(
        third_party_verifiers, published):
    registry_url = "https://registry.example.org/registry.json"
    registry = {"registry": {ISSUER_DID: {"name": "Ville de Roubaix",
                                          "url": "https://www.ville-roubaix.fr"}}}
    result = third_party_verifiers(
        credential=published["active"],
        documents={**published["documents"], registry_url: registry},
        registries=[{"name": "Test registry", "type": "dcc-legacy", "url": registry_url}], now=NOW,
    )["verifierCore"]

    assert result["registeredIssuer"] is True


def test_batch_keeps_requests_with_different_did_documents_apart(
        third_party_verifiers_batch, published, did_document):
    other_key = ed25519.Ed25519PrivateKey.from_private_bytes(bytes(32)).public_key()
    rotated = copy.deepcopy(did_document)
    rotated["verificationMethod"][0]["publicKeyMultibase"] = _multikey(other_key)
    request = {"credential": published["active"], "now": NOW}

    genuine, with_other_key, genuine_again = third_party_verifiers_batch([
        {**request, "documents": published["documents"]},
        {**request, "documents": {**published["documents"], ISSUER_DID: rotated}},
        {**request, "documents": published["documents"]},
    ])

    for result in (genuine, genuine_again):
        assert result["digitalBazaar"]["verified"] is True
        assert result["verifierCore"]["verified"] is True
    assert with_other_key["digitalBazaar"]["verified"] is False
    assert with_other_key["verifierCore"]["verified"] is False


# --- VC-JWT with a key from the did:web document --------------------------------------------

def _jwt_claims(credential: dict[str, Any]) -> dict[str, Any]:
    # OB 3.0 §8.2.4.1: the credential is the payload, with iss / sub / nbf / jti beside it
    unsigned = {k: v for k, v in credential.items() if k not in ("proof", "credentialStatus")}
    return {**unsigned, "iss": ISSUER_DID, "sub": credential["credentialSubject"]["id"],
            "nbf": 1740787200, "jti": credential["id"]}


def test_rs256_jwt_verifies_with_the_did_document_json_web_key(
        third_party_verifiers, issuer_keys, did_document):
    claims = _jwt_claims(_open_badge(ACTIVE_INDEX))
    token = jwt.encode(claims, issuer_keys["rsa"], algorithm="RS256",
                       headers={"kid": RSA_KEY_ID, "typ": "JWT"})

    result = third_party_verifiers(jwt=token, documents={ISSUER_DID: did_document}, now=NOW)

    jose = result["jose"]
    assert jose["verified"] is True, jose["error"]
    assert jose["key"] == {"source": "did-document", "kid": RSA_KEY_ID, "type": "JsonWebKey",
                           "controller": ISSUER_DID, "assertionMethod": True,
                           "boundToIssuer": True, "kty": "RSA"}
    assert jose["problems"] == [] and jose["conformant"] is True
    assert result["digitalBazaar"] is None and result["verifierCore"] is None


def test_eddsa_jwt_verifies_with_the_did_document_multikey(
        third_party_verifiers, issuer_keys, did_document):
    claims = _jwt_claims(_open_badge(ACTIVE_INDEX))
    token = jwt.encode(claims, issuer_keys["ed25519"], algorithm="EdDSA",
                       headers={"kid": ED25519_KEY_ID, "typ": "JWT"})

    jose = third_party_verifiers(jwt=token, documents={ISSUER_DID: did_document},
                                 now=NOW)["jose"]

    assert jose["verified"] is True, jose["error"]
    assert jose["key"]["type"] == "Multikey" and jose["key"]["kty"] == "OKP"


def test_jwt_with_tampered_payload_fails(third_party_verifiers, issuer_keys, did_document):
    claims = _jwt_claims(_open_badge(ACTIVE_INDEX))
    token = jwt.encode(claims, issuer_keys["rsa"], algorithm="RS256",
                       headers={"kid": RSA_KEY_ID, "typ": "JWT"})

    jose = third_party_verifiers(jwt=_tampered_jwt(token, sub="did:example:someone-else"),
                                 documents={ISSUER_DID: did_document}, now=NOW)["jose"]

    assert jose["verified"] is False
    assert "ERR_JWS_SIGNATURE_VERIFICATION_FAILED" in jose["error"]
