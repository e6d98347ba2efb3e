"""The `jwt` proof of possession of an OpenID4VCI credential request (issuer.wallet
.proof_of_possession): pure checks, keys made here, JWTs signed with PyJWT as a wallet would."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa

from issuer.openbadges.did import did_jwk_document, did_key_for_ed25519
from issuer.openbadges.jwk import public_jwk
from issuer.wallet.oid4vci_errors import Oid4vciError
from issuer.wallet.proof_of_possession import did_jwk_of, verify_proof_jwt

ISSUER = "https://badges.example.org"
NOW = datetime(2026, 12, 7, 10, 0, tzinfo=UTC)


class Wallet:
    """A wallet key and the proofs it signs (did:key for Ed25519, a `jwk` header for P-256)."""

    def __init__(self, key: ed25519.Ed25519PrivateKey | ec.EllipticCurvePrivateKey) -> None:
        self.key = key
        if isinstance(key, ed25519.Ed25519PrivateKey):
            raw = key.public_key().public_bytes(serialization.Encoding.Raw,
                                                serialization.PublicFormat.Raw)
            self.did = did_key_for_ed25519(raw)
            self.kid = f"{self.did}#{self.did.removeprefix('did:key:')}"
            self.alg = "EdDSA"
        else:
            self.did = did_jwk_of(key.public_key())
            self.kid = f"{self.did}#0"
            self.alg = "ES256"

    def proof(self, *, nonce: str | None = "n-1", aud: Any = ISSUER, iat: datetime = NOW,
              typ: str = "openid4vci-proof+jwt", header: dict[str, Any] | None = None,
              by_kid: bool = True, **claims: Any) -> str:
        payload: dict[str, Any] = {"aud": aud, "iat": int(iat.timestamp()), **claims}
        if nonce is not None:
            payload["nonce"] = nonce
        headers: dict[str, Any] = {"typ": typ}
        if by_kid:
            headers["kid"] = self.kid
        else:
            headers["jwk"] = public_jwk(self.key)
        headers.update(header or {})
        return jwt.encode(payload, self.key, algorithm=self.alg, headers=headers)


@pytest.fixture(scope="module")
def ed_wallet() -> Wallet:
    return Wallet(ed25519.Ed25519PrivateKey.generate())


@pytest.fixture(scope="module")
def p256_wallet() -> Wallet:
    return Wallet(ec.generate_private_key(ec.SECP256R1()))


def refusal(proof: object, **options: Any) -> Oid4vciError:
    with pytest.raises(Oid4vciError) as caught:
        verify_proof_jwt(proof, audience=ISSUER, now=NOW, **options)
    return caught.value


def test_good_did_key_proof_names_the_wallets_did_key(ed_wallet: Wallet) -> None:
    checked = verify_proof_jwt(ed_wallet.proof(), audience=ISSUER, now=NOW)

    assert checked.holder_did == ed_wallet.did and checked.holder_did.startswith("did:key:z6Mk")
    assert (checked.nonce, checked.algorithm) == ("n-1", "EdDSA")


def test_good_es256_proof_with_a_did_jwk_kid_names_that_did_jwk(p256_wallet: Wallet) -> None:
    checked = verify_proof_jwt(p256_wallet.proof(), audience=ISSUER, now=NOW)

    assert checked.holder_did == p256_wallet.did
    assert did_jwk_document(checked.holder_did)["verificationMethod"][0]["publicKeyJwk"] == \
        public_jwk(p256_wallet.key)


@pytest.mark.parametrize("name", ["ed", "p256"])
def test_bare_jwk_header_binds_to_the_did_jwk_of_that_key(name: str, ed_wallet: Wallet,
                                                          p256_wallet: Wallet) -> None:
    wallet = ed_wallet if name == "ed" else p256_wallet
    checked = verify_proof_jwt(wallet.proof(by_kid=False), audience=ISSUER, now=NOW)

    encoded = checked.holder_did.removeprefix("did:jwk:")
    decoded = json.loads(base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4)))
    assert decoded == public_jwk(wallet.key)
    assert "d" not in decoded


def test_a_bare_did_key_kid_names_its_only_key(ed_wallet: Wallet) -> None:
    proof = ed_wallet.proof(header={"kid": ed_wallet.did})
    assert verify_proof_jwt(proof, audience=ISSUER, now=NOW).holder_did == ed_wallet.did


def test_aud_of_another_issuer_is_refused(ed_wallet: Wallet) -> None:
    error = refusal(ed_wallet.proof(aud="https://other.example.org"))
    assert error.oauth_error == "invalid_proof" and "aud" in error.message_en


def test_aud_list_naming_the_issuer_is_accepted(ed_wallet: Wallet) -> None:
    proof = ed_wallet.proof(aud=["https://other.example.org", ISSUER])
    assert verify_proof_jwt(proof, audience=ISSUER, now=NOW).holder_did == ed_wallet.did


def test_missing_nonce_is_refused(ed_wallet: Wallet) -> None:
    assert "nonce" in refusal(ed_wallet.proof(nonce=None)).message_en


def test_stale_proof_is_refused_and_a_fresh_one_from_four_minutes_ago_is_not(
        ed_wallet: Wallet) -> None:
    assert "fresh" in refusal(ed_wallet.proof(iat=NOW - timedelta(minutes=6))).message_en
    assert "fresh" in refusal(ed_wallet.proof(iat=NOW + timedelta(minutes=5))).message_en
    verify_proof_jwt(ed_wallet.proof(iat=NOW - timedelta(minutes=4)), audience=ISSUER, now=NOW)


def test_expired_exp_is_refused(ed_wallet: Wallet) -> None:
    proof = ed_wallet.proof(exp=int((NOW - timedelta(minutes=2)).timestamp()))
    assert "exp" in refusal(proof).message_en


@pytest.mark.parametrize("typ", ["JWT", "openid4vci-proof+JWT", "vc+jwt"])
def test_wrong_typ_is_refused(ed_wallet: Wallet, typ: str) -> None:
    assert "typ" in refusal(ed_wallet.proof(typ=typ)).message_en


def test_alg_none_is_refused(ed_wallet: Wallet) -> None:
    unsigned = jwt.encode({"aud": ISSUER, "iat": int(NOW.timestamp()), "nonce": "n-1"}, None,
                          algorithm="none",
                          headers={"typ": "openid4vci-proof+jwt", "kid": ed_wallet.kid})
    assert "algorithm" in refusal(unsigned).message_en


def test_hmac_signed_proof_is_refused(ed_wallet: Wallet) -> None:
    forged = jwt.encode({"aud": ISSUER, "iat": int(NOW.timestamp()), "nonce": "n-1"},
                        "shared-secret-of-32-bytes-at-least!!", algorithm="HS256",
                        headers={"typ": "openid4vci-proof+jwt", "kid": ed_wallet.kid})
    assert refusal(forged).oauth_error == "invalid_proof"


def test_proof_signed_by_another_key_than_its_kid_is_refused(ed_wallet: Wallet) -> None:
    other = Wallet(ed25519.Ed25519PrivateKey.generate())
    forged = other.proof(header={"kid": ed_wallet.kid})
    assert "signature" in refusal(forged).message_en


def test_proof_whose_jwk_is_not_the_signing_key_is_refused(p256_wallet: Wallet) -> None:
    other = ec.generate_private_key(ec.SECP256R1())
    forged = p256_wallet.proof(by_kid=False, header={"jwk": public_jwk(other)})
    assert "signature" in refusal(forged).message_en


def test_key_that_does_not_fit_the_algorithm_is_refused(ed_wallet: Wallet,
                                                         p256_wallet: Wallet) -> None:
    # ES256 header, Ed25519 kid: PyJWT would fail anyway; we refuse before trying.
    mixed = p256_wallet.proof(header={"kid": ed_wallet.kid})
    assert refusal(mixed).oauth_error == "invalid_proof"


def test_rsa_and_p384_keys_are_not_accepted(ed_wallet: Wallet) -> None:
    rsa_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    rs256 = jwt.encode({"aud": ISSUER, "iat": int(NOW.timestamp()), "nonce": "n"}, rsa_key,
                       algorithm="RS256", headers={"typ": "openid4vci-proof+jwt",
                                                   "jwk": public_jwk(rsa_key)})
    assert "algorithm" in refusal(rs256).message_en
    # A P-384 key under an ES256 header (PyJWT will not sign that: the header is written here).
    p384 = ec.generate_private_key(ec.SECP384R1())
    es384 = jwt.encode({"aud": ISSUER, "iat": int(NOW.timestamp()), "nonce": "n"}, p384,
                       algorithm="ES384", headers={"typ": "openid4vci-proof+jwt",
                                                   "jwk": public_jwk(p384)})
    header = {"alg": "ES256", "typ": "openid4vci-proof+jwt", "jwk": public_jwk(p384)}
    encoded = base64.urlsafe_b64encode(json.dumps(header).encode()).rstrip(b"=").decode()
    wrong_curve = ".".join([encoded, *es384.split(".")[1:]])
    assert "does not fit" in refusal(wrong_curve).message_en


def test_kid_and_jwk_together_or_neither_are_refused(ed_wallet: Wallet) -> None:
    both = ed_wallet.proof(header={"jwk": public_jwk(ed_wallet.key)})
    assert "only one" in refusal(both).message_en
    neither = jwt.encode({"aud": ISSUER, "iat": int(NOW.timestamp()), "nonce": "n"},
                         ed_wallet.key, algorithm="EdDSA",
                         headers={"typ": "openid4vci-proof+jwt"})
    assert refusal(neither).oauth_error == "invalid_proof"


def test_private_jwk_and_did_web_kid_are_refused(ed_wallet: Wallet) -> None:
    leaked = ed_wallet.proof(by_kid=False, header={"jwk": {
        **public_jwk(ed_wallet.key),
        "d": base64.urlsafe_b64encode(b"\0" * 32).rstrip(b"=").decode()}})
    assert "private" in refusal(leaked).message_en
    web = ed_wallet.proof(header={"kid": "did:web:wallet.example#key-1"})
    assert "did:key" in refusal(web).message_en


@pytest.mark.parametrize("garbage", ["", "not.a.jwt", "a" * 9000, None, 42, "e30.e30.e30"])
def test_garbage_is_a_clear_refusal(garbage: object) -> None:
    assert refusal(garbage).oauth_error == "invalid_proof"
