"""JSON Web Keys through PyJWT: RFC 7638 thumbprints (the published test vectors), public JWKs
without private members, and the refusals of keys others publish."""

from __future__ import annotations

import pytest
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa

from issuer.openbadges.jwk import JwkError, private_jwk, public_jwk, public_key_from_jwk, thumbprint

# RFC 7638 §3.1: an RSA key and its SHA-256 thumbprint.
RFC7638_RSA = {
    "kty": "RSA", "e": "AQAB", "alg": "RS256", "kid": "2011-04-29",
    "n": "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECP"
         "ebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY3"
         "68QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4"
         "lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw",
}
RFC7638_RSA_THUMBPRINT = "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs"
# RFC 8037 Appendix A.2 / A.3: an Ed25519 public key and its thumbprint.
RFC8037_ED25519 = {"kty": "OKP", "crv": "Ed25519", "x": "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}
RFC8037_ED25519_THUMBPRINT = "kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k"


def test_thumbprints_match_the_rfc_test_vectors() -> None:
    assert thumbprint(public_key_from_jwk(RFC7638_RSA)) == RFC7638_RSA_THUMBPRINT
    assert thumbprint(public_key_from_jwk(RFC8037_ED25519)) == RFC8037_ED25519_THUMBPRINT


@pytest.mark.parametrize("private_key", [
    rsa.generate_private_key(public_exponent=65537, key_size=2048),
    ed25519.Ed25519PrivateKey.generate(),
    ec.generate_private_key(ec.SECP256R1()),
], ids=["rsa", "ed25519", "p256"])
def test_public_jwk_round_trips_and_keeps_no_private_member(private_key) -> None:
    published = public_jwk(private_key)
    assert not {"d", "p", "q", "dp", "dq", "qi", "key_ops"} & published.keys()
    read = public_key_from_jwk(published)
    assert public_jwk(read) == published
    assert thumbprint(read) == thumbprint(private_key)


def test_a_private_jwk_is_refused_not_trimmed() -> None:
    with pytest.raises(JwkError) as refused:
        public_key_from_jwk(private_jwk(ed25519.Ed25519PrivateKey.generate()))
    assert refused.value.code == "jwk.private"


@pytest.mark.parametrize(("jwk", "code"), [
    ("not a jwk", "jwk.not_object"),
    ({"kty": "oct", "alg": "HS256"}, "jwk.unsupported"),
    ({"kty": ["RSA"]}, "jwk.unsupported"),
    ({"kty": "RSA", "n": 1, "e": "AQAB"}, "jwk.unreadable"),
    ({"kty": "RSA", "n": "é", "e": "AQAB"}, "jwk.unreadable"),
    ({"kty": "EC", "crv": "P-256", "x": "AA", "y": "AA"}, "jwk.unreadable"),
    ({"kty": "OKP", "crv": "X25519", "x": RFC8037_ED25519["x"]}, "jwk.unreadable"),
])
def test_unusable_jwks_are_refused_with_a_reason(jwk: object, code: str) -> None:
    with pytest.raises(JwkError) as refused:
        public_key_from_jwk(jwk)
    assert refused.value.code == code


def test_the_jwk_alg_member_does_not_choose_how_the_key_is_read() -> None:
    # An RSA key claiming to be an HMAC secret, or `none`, is still read as the RSA key it is.
    for alg in ("HS256", "none"):
        key = public_key_from_jwk({**RFC7638_RSA, "alg": alg})
        assert isinstance(key, rsa.RSAPublicKey)
