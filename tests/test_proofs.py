"""Data Integrity (eddsa-rdfc-2022) and VC-JWT proofs: the vectors are reproduced, signatures
verify, tampering is caught, malformed proofs are refused with a reason."""

from __future__ import annotations

import copy
import json
from datetime import datetime
from pathlib import Path

import base58
import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import ec, ed25519

from issuer.issuance.keys import generate_key
from issuer.openbadges.proofs import data_integrity as di
from issuer.openbadges.proofs import vc_jwt

FIXTURES = Path(__file__).parent / "fixtures"
OB_VECTOR = json.loads((FIXTURES / "test-vectors/1edtech-ob-eddsa-rdfc-2022/vector.json").read_text())
W3C = FIXTURES / "test-vectors/w3c-vc-di-eddsa"


def _ob_key() -> ed25519.Ed25519PrivateKey:
    return ed25519.Ed25519PrivateKey.from_private_bytes(
        bytes.fromhex(OB_VECTOR["keyPair"]["privateKeySeedHex32"]))


def test_1edtech_vector_hashes_and_proof_value_are_reproduced() -> None:
    options = OB_VECTOR["proofOptions"]
    data = di.hash_data(OB_VECTOR["unsignedCredential"], options)
    assert data.hex() == OB_VECTOR["proofConfigHashHex"] + OB_VECTOR["documentHashHex"]
    proof = di.create_proof(OB_VECTOR["unsignedCredential"], _ob_key(), options["verificationMethod"],
                            created=datetime.fromisoformat(options["created"]))
    assert proof["proofValue"] == OB_VECTOR["proofValue"]


def test_w3c_vector_proof_value_is_reproduced() -> None:
    key_pair = json.loads((W3C / "keyPair.json").read_text())
    seed = base58.b58decode(key_pair["privateKeyMultibase"][1:])[2:]
    key = ed25519.Ed25519PrivateKey.from_private_bytes(seed)
    config = json.loads((W3C / "eddsa-rdfc-2022/proofConfigDataInt.json").read_text())
    unsigned = json.loads((W3C / "unsigned.json").read_text())
    # The W3C example uses a term-less `alumniOf` only the examples context defines.
    proof = di.create_proof(unsigned, key, config["verificationMethod"],
                            created=datetime.fromisoformat(config["created"]), check=False)
    signed = json.loads((W3C / "eddsa-rdfc-2022/signedDataInt.json").read_text())
    assert proof["proofValue"] == signed["proof"]["proofValue"]
    assert di.verify_proof_signature(signed, signed["proof"], key.public_key())


def test_signed_document_carries_its_proof_as_an_array() -> None:
    signed = di.sign_document(OB_VECTOR["unsignedCredential"], _ob_key(), "did:example:x#k")
    assert isinstance(signed["proof"], list) and len(signed["proof"]) == 1
    assert signed["proof"][0]["cryptosuite"] == "eddsa-rdfc-2022"
    assert signed["proof"][0]["proofPurpose"] == "assertionMethod"


def test_tampered_name_fails_signature_check() -> None:
    key = _ob_key()
    signed = di.sign_document(OB_VECTOR["unsignedCredential"], key, "did:example:x#k")
    tampered = copy.deepcopy(signed)
    tampered["credentialSubject"]["achievement"]["name"] = "Leadership"
    assert di.verify_proof_signature(signed, signed["proof"][0], key.public_key())
    assert not di.verify_proof_signature(tampered, tampered["proof"][0], key.public_key())


def test_tampered_proof_options_fail_signature_check() -> None:
    key = _ob_key()
    signed = di.sign_document(OB_VECTOR["unsignedCredential"], key, "did:example:x#k")
    proof = {**signed["proof"][0], "created": "2030-01-01T00:00:00Z"}
    assert not di.verify_proof_signature(signed, proof, key.public_key())


def test_another_key_fails_signature_check() -> None:
    signed = di.sign_document(OB_VECTOR["unsignedCredential"], _ob_key(), "did:example:x#k")
    other = ed25519.Ed25519PrivateKey.generate().public_key()
    assert not di.verify_proof_signature(signed, signed["proof"][0], other)


@pytest.mark.parametrize("value", ["", "z", "u" + "A" * 86, "zzzz0OIl", "z" + "1" * 40])
def test_proof_value_must_be_base58btc_of_64_bytes(value: str) -> None:
    signed = di.sign_document(OB_VECTOR["unsignedCredential"], _ob_key(), "did:example:x#k")
    proof = {**signed["proof"][0], "proofValue": value}
    with pytest.raises(di.ProofError) as error:
        di.verify_proof_signature(signed, proof, _ob_key().public_key())
    assert error.value.code == "proof.bad_encoding"


def test_unknown_proof_type_is_refused() -> None:
    signed = di.sign_document(OB_VECTOR["unsignedCredential"], _ob_key(), "did:example:x#k")
    proof = {**signed["proof"][0], "type": "SomeProofType"}
    with pytest.raises(di.ProofError) as error:
        di.verify_proof_signature(signed, proof, _ob_key().public_key())
    assert error.value.code == "proof.unsupported_type"


def test_legacy_ed25519signature2020_sample_verifies() -> None:
    sample = json.loads((FIXTURES / "validator/simple_v1.json").read_text())
    proof = sample["proof"] if isinstance(sample["proof"], dict) else sample["proof"][0]
    multibase = proof["verificationMethod"].split("#")[-1]
    public = ed25519.Ed25519PublicKey.from_public_bytes(base58.b58decode(multibase[1:])[2:])
    assert di.verify_proof_signature(sample, proof, public)


# -- VC-JWT ------------------------------------------------------------------------------------
CREDENTIAL = {**OB_VECTOR["unsignedCredential"], "validUntil": "2030-01-01T00:00:00Z"}


def test_jwt_carries_the_credential_and_the_registered_claims() -> None:
    key = generate_key("RSA")
    token = vc_jwt.encode_vc_jwt(CREDENTIAL, key.private_key, "did:web:x#key-rsa")  # type: ignore[arg-type]
    header, payload = vc_jwt.decode_unverified(token)
    assert header == {"alg": "RS256", "kid": "did:web:x#key-rsa", "typ": "JWT"}
    assert payload["iss"] == CREDENTIAL["issuer"]["id"]
    assert payload["jti"] == CREDENTIAL["id"]
    assert payload["sub"] == CREDENTIAL["credentialSubject"]["id"]
    assert payload["nbf"] == 1262304000  # 2010-01-01T00:00:00Z
    assert payload["exp"] == 1893456000  # 2030-01-01T00:00:00Z
    assert vc_jwt.credential_from_payload(payload) == CREDENTIAL
    assert vc_jwt.verify_jwt_signature(token, key.public_key)


@pytest.mark.parametrize("algorithm", ["RSA", "Ed25519"])
def test_jwt_is_byte_for_byte_what_pyjws_writes(algorithm: str) -> None:
    """The compact token is assembled by hand for speed (header written once per key): it must
    stay exactly PyJWS's, non-ASCII text and all, or holders' copies would change."""
    key = generate_key(algorithm)  # type: ignore[arg-type]
    kid = f"did:web:x#key-{algorithm.lower()}"
    credential = {**CREDENTIAL, "name": "Badge d'Élodie — café ☕"}
    ours = vc_jwt.encode_vc_jwt(credential, key.private_key, kid)  # type: ignore[arg-type]
    payload = json.dumps(vc_jwt.jwt_claims(credential), ensure_ascii=False,
                         separators=(",", ":")).encode("utf-8")
    pyjws = jwt.PyJWS().encode(payload, key.private_key,  # type: ignore[arg-type]
                               algorithm="RS256" if algorithm == "RSA" else "EdDSA",
                               headers={"kid": kid, "typ": "JWT"})
    assert ours == pyjws
    assert vc_jwt.verify_jwt_signature(ours, key.public_key)
    tampered = ours[:-6] + ("AAAAAA" if not ours.endswith("AAAAAA") else "BBBBBB")
    assert not vc_jwt.verify_jwt_signature(tampered, key.public_key)


def test_jwt_with_tampered_payload_fails() -> None:
    key = generate_key("RSA")
    token = vc_jwt.encode_vc_jwt(CREDENTIAL, key.private_key, "k")  # type: ignore[arg-type]
    header, payload, signature = token.split(".")
    forged_payload = vc_jwt._b64_json(payload, "payload")
    forged_payload["name"] = "Forged"
    import base64
    encoded = base64.urlsafe_b64encode(json.dumps(forged_payload).encode()).rstrip(b"=").decode()
    assert not vc_jwt.verify_jwt_signature(f"{header}.{encoded}.{signature}", key.public_key)


def test_jwt_alg_none_and_hmac_are_refused() -> None:
    import base64
    def part(value: dict) -> str:
        return base64.urlsafe_b64encode(json.dumps(value).encode()).rstrip(b"=").decode()
    for alg in ("none", "HS256"):
        token = f"{part({'alg': alg})}.{part({'iss': 'x'})}.c2ln"
        with pytest.raises(vc_jwt.JwtError) as error:
            vc_jwt.verify_jwt_signature(token, generate_key("RSA").public_key)
        assert error.value.code == "jwt.bad_algorithm"


def test_jwt_signed_with_rsa_does_not_verify_with_an_ed25519_key() -> None:
    token = vc_jwt.encode_vc_jwt(CREDENTIAL, generate_key("RSA").private_key, "k")  # type: ignore[arg-type]
    assert not vc_jwt.verify_jwt_signature(token, generate_key("Ed25519").public_key)


def test_eddsa_jwt_verifies_with_the_ed25519_key_only() -> None:
    key = generate_key("Ed25519")
    token = vc_jwt.encode_vc_jwt(CREDENTIAL, key.private_key, "did:web:x#key-ed")  # type: ignore[arg-type]
    assert vc_jwt.decode_unverified(token)[0] == {"alg": "EdDSA", "kid": "did:web:x#key-ed",
                                                  "typ": "JWT"}
    assert vc_jwt.verify_jwt_signature(token, key.public_key)
    assert not vc_jwt.verify_jwt_signature(token, generate_key("Ed25519").public_key)
    assert not vc_jwt.verify_jwt_signature(token, generate_key("RSA").public_key)


def _es256_token(private_key: ec.EllipticCurvePrivateKey) -> str:
    payload = json.dumps(vc_jwt.jwt_claims(CREDENTIAL)).encode()
    # Signed by hand: PyJWT itself refuses an ES256 signature with a key off P-256.
    signing_input = ".".join(
        jwt.utils.base64url_encode(part).decode() for part in
        (json.dumps({"alg": "ES256", "kid": "k", "typ": "JWT"}).encode(), payload))
    es256 = jwt.algorithms.ECAlgorithm(jwt.algorithms.ECAlgorithm.SHA256)
    signature = es256.sign(signing_input.encode(), private_key)
    return f"{signing_input}.{jwt.utils.base64url_encode(signature).decode()}"


def test_es256_jwt_verifies_with_a_p256_key_only() -> None:
    p256 = ec.generate_private_key(ec.SECP256R1())
    token = _es256_token(p256)
    assert vc_jwt.verify_jwt_signature(token, p256.public_key())
    assert not vc_jwt.verify_jwt_signature(token, ec.generate_private_key(ec.SECP256R1()).public_key())
    p384 = ec.generate_private_key(ec.SECP384R1())
    assert not vc_jwt.verify_jwt_signature(_es256_token(p384), p384.public_key())


def test_jwt_signature_check_leaves_time_to_the_validity_check() -> None:
    """PyJWT would refuse a token past `exp` or before `nbf`; this check judges only the
    signature (the verifier's validity check says "expired" with its own clock skew)."""
    key = generate_key("RSA")
    past = {**CREDENTIAL, "validFrom": "2001-01-01T00:00:00Z", "validUntil": "2002-01-01T00:00:00Z"}
    future = {**CREDENTIAL, "validFrom": "2099-01-01T00:00:00Z"}
    for credential in (past, future):
        token = vc_jwt.encode_vc_jwt(credential, key.private_key, "k")  # type: ignore[arg-type]
        assert vc_jwt.verify_jwt_signature(token, key.public_key)


@pytest.mark.parametrize("alg", [["RS256"], {"a": 1}, None, 1])
def test_jwt_alg_that_is_not_a_string_is_refused(alg: object) -> None:
    def part(value: dict) -> str:
        return jwt.utils.base64url_encode(json.dumps(value).encode()).decode()
    with pytest.raises(vc_jwt.JwtError) as error:
        vc_jwt.verify_jwt_signature(f"{part({'alg': alg})}.{part({'iss': 'x'})}.c2ln",
                                    generate_key("RSA").public_key)
    assert error.value.code == "jwt.bad_algorithm"


def test_vcdm_1_1_jwt_reads_the_vc_claim() -> None:
    assert vc_jwt.credential_from_payload({"vc": {"id": "x"}, "iss": "y"}) == {"id": "x"}


@pytest.mark.parametrize("text", ["", "abc", "a.b", "a.b.c.d", "{}.{}.{}", "é.é.é"])
def test_text_that_is_not_a_compact_jwt_is_refused(text: str) -> None:
    with pytest.raises(vc_jwt.JwtError):
        vc_jwt.decode_unverified(text)
