"""DIDs and key encodings: did:web both ways, did:key with the W3C test vector key, did:jwk,
our DID document and key resolution with the VERIFICATION.md R5 / R11 refusals."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import base58
import pytest
from cryptography.hazmat.primitives.asymmetric import ed25519, rsa

from issuer.openbadges.did import (
    WALLET_DID_DOCUMENT_MAX_BYTES,
    DidResolver,
    build_did_document,
    did_key_for_ed25519,
    did_web_from_url,
)
from issuer.openbadges.dids.errors import DidError
from issuer.openbadges.dids.key_encodings import ed25519_from_multibase, ed25519_multibase
from issuer.openbadges.dids.syntax import did_web_document_url
from issuer.openbadges.jwk import private_jwk, public_jwk

VECTORS = Path(__file__).parent / "fixtures" / "test-vectors" / "w3c-vc-di-eddsa"
KEY_PAIR = json.loads((VECTORS / "keyPair.json").read_text())
OUR_DID = "did:web:badges.ville-roubaix.fr"

# did-jwk spec, "Examples / P-256".
P256_DID_JWK = (
    "did:jwk:eyJjcnYiOiJQLTI1NiIsImt0eSI6IkVDIiwieCI6ImFjYklRaXVNczNpOF91c3pFakoydHBUdFJNNEVVM3l6"
    "OTFQSDZDZEgyVjAiLCJ5IjoiX0tjeUxqOXZXTXB0bm1LdG00NkdxRHo4d2Y3NEk1TEtncmwyR3pIM25TRSJ9"
)


@pytest.fixture(scope="module")
def rsa_public_jwk() -> dict:
    return public_jwk(rsa.generate_private_key(public_exponent=65537, key_size=2048))


def _raw(public_key: ed25519.Ed25519PublicKey) -> bytes:
    return public_key.public_bytes_raw()


# -- did:web ----------------------------------------------------------------------------------

@pytest.mark.parametrize(("base_url", "did"), [
    ("https://badges.example.org", "did:web:badges.example.org"),
    ("https://badges.example.org/", "did:web:badges.example.org"),
    ("https://Badges.Example.org:443", "did:web:badges.example.org"),
    ("https://example.com:3000", "did:web:example.com%3A3000"),
    ("http://127.0.0.1:8000", "did:web:127.0.0.1%3A8000"),
    ("http://localhost:5000", "did:web:localhost%3A5000"),
    ("http://[::1]:8000", "did:web:%5B%3A%3A1%5D%3A8000"),
    ("https://x.org/a/b", "did:web:x.org:a:b"),
    ("https://w3c-ccg.github.io/user/alice", "did:web:w3c-ccg.github.io:user:alice"),
    ("https://x.org/conseil%20local", "did:web:x.org:conseil%20local"),
])
def test_base_url_gives_the_did_web_identifier(base_url: str, did: str) -> None:
    assert did_web_from_url(base_url) == did


@pytest.mark.parametrize(("did", "url"), [
    ("did:web:badges.example.org", "https://badges.example.org/.well-known/did.json"),
    ("did:web:example.com%3A3000", "https://example.com:3000/.well-known/did.json"),
    ("did:web:example.com%3a3000", "https://example.com:3000/.well-known/did.json"),
    ("did:web:x.org:a:b", "https://x.org/a/b/did.json"),
    ("did:web:w3c-ccg.github.io:user:alice", "https://w3c-ccg.github.io/user/alice/did.json"),
    ("did:web:example.com%3A3000:u:alice", "https://example.com:3000/u/alice/did.json"),
])
def test_did_web_document_url_follows_the_method_spec(did: str, url: str) -> None:
    assert did_web_document_url(did) == url


@pytest.mark.parametrize(("did", "url"), [
    ("did:web:127.0.0.1%3A8000", "http://127.0.0.1:8000/.well-known/did.json"),
    ("did:web:127.0.0.2", "http://127.0.0.2/.well-known/did.json"),
    ("did:web:localhost%3A5000:issuer", "http://localhost:5000/issuer/did.json"),
    ("did:web:%5B%3A%3A1%5D%3A8000", "http://[::1]:8000/.well-known/did.json"),
])
def test_loopback_did_web_documents_are_fetched_over_plain_http(did: str, url: str) -> None:
    assert did_web_document_url(did) == url


@pytest.mark.parametrize("base_url", [
    "https://badges.example.org", "http://127.0.0.1:8000", "https://x.org/a/b",
    "https://example.com:3000/u/alice", "http://[::1]:8000",
])
def test_did_web_round_trips_between_url_and_did(base_url: str) -> None:
    did = did_web_from_url(base_url)
    document_url = did_web_document_url(did)
    base = document_url.removesuffix("/.well-known/did.json").removesuffix("/did.json")
    assert did_web_from_url(base) == did


@pytest.mark.parametrize("did", [
    "did:web:10.0.0.1",                 # the method forbids IP addresses
    "did:web:x.org:..",                 # path traversal
    "did:web:x.org:a%2Fb",              # a segment hiding a slash
    "did:web:x.org%2Fevil",
    "did:web:x.org%40evil.org",         # user@host trick
    "did:web:x.org%3A99999",
    "did:web:x.org::a",
    "did:web:",
    "did:key:z6Mk",
])
def test_malformed_did_web_is_refused(did: str) -> None:
    with pytest.raises(DidError) as refused:
        did_web_document_url(did)
    assert refused.value.code == "did.malformed"


@pytest.mark.parametrize("base_url", [
    "http://badges.example.org",       # plain http outside loopback
    "https://93.184.216.34",
    "https://x.org/?q=1",
    "https://user:pw@x.org",
    "ftp://x.org",
])
def test_base_url_that_cannot_be_a_did_web_is_refused(base_url: str) -> None:
    with pytest.raises(DidError) as refused:
        did_web_from_url(base_url)
    assert refused.value.code == "did.malformed"


# -- did:key and key encodings -------------------------------------------------------------

def test_w3c_vector_key_round_trips_through_multibase() -> None:
    public = ed25519_from_multibase(KEY_PAIR["publicKeyMultibase"])
    assert len(public) == 32
    assert ed25519_multibase(public) == KEY_PAIR["publicKeyMultibase"]
    # The vector's private key (multicodec ed25519-priv 0x1300) derives the same public key.
    private = base58.b58decode(KEY_PAIR["privateKeyMultibase"][1:])
    assert private[:2] == b"\x80\x26"
    assert _raw(ed25519.Ed25519PrivateKey.from_private_bytes(private[2:]).public_key()) == public


def test_did_key_resolves_to_one_multikey_method() -> None:
    multibase = KEY_PAIR["publicKeyMultibase"]
    did = did_key_for_ed25519(ed25519_from_multibase(multibase))
    assert did == f"did:key:{multibase}"
    document = DidResolver().resolve(did)
    assert document["verificationMethod"] == [{
        "id": f"{did}#{multibase}", "type": "Multikey", "controller": did,
        "publicKeyMultibase": multibase,
    }]
    key = DidResolver().resolve_key(f"{did}#{multibase}")
    assert key.key_type == "Ed25519"
    assert key.controller == did
    assert _raw(key.public_key) == ed25519_from_multibase(multibase)
    assert {"assertionMethod", "authentication"} <= key.purposes


def test_did_key_fragment_must_be_the_key_itself() -> None:
    did = f"did:key:{KEY_PAIR['publicKeyMultibase']}"
    with pytest.raises(DidError) as refused:
        DidResolver().resolve_key(f"{did}#key-1")
    assert refused.value.code == "did.key_not_listed"


@pytest.mark.parametrize("value", [
    KEY_PAIR["publicKeyMultibase"][1:],                                    # no "z"
    "z" + base58.b58encode(b"\xed\x01" + bytes(31)).decode(),              # 31 bytes
    "z" + base58.b58encode(b"\x80\x24" + bytes(33)).decode(),              # P-256 codec
    "z6Mk0OIl",                                                             # not base58
    "u" + base64.urlsafe_b64encode(b"\xed\x01" + bytes(32)).decode(),     # base64url
])
def test_ed25519_from_multibase_refuses_anything_but_an_ed25519_key(value: str) -> None:
    with pytest.raises(DidError) as refused:
        ed25519_from_multibase(value)
    assert refused.value.code == "did.bad_key"


# -- did:jwk ------------------------------------------------------------------------------

def test_did_jwk_resolves_to_method_zero() -> None:
    document = DidResolver().resolve(P256_DID_JWK)
    method = document["verificationMethod"][0]
    assert method["id"] == f"{P256_DID_JWK}#0"
    assert method["type"] == "JsonWebKey2020"
    assert method["publicKeyJwk"]["crv"] == "P-256"
    key = DidResolver().resolve_key(f"{P256_DID_JWK}#0")
    assert key.key_type == "EC"
    assert key.public_key.curve.name == "secp256r1"


def _did_jwk(jwk: dict) -> str:
    return "did:jwk:" + base64.urlsafe_b64encode(json.dumps(jwk).encode()).rstrip(b"=").decode()


def test_did_jwk_signing_key_has_no_key_agreement() -> None:
    private = ed25519.Ed25519PrivateKey.generate()
    x = base64.urlsafe_b64encode(_raw(private.public_key())).rstrip(b"=").decode()
    did = _did_jwk({"kty": "OKP", "crv": "Ed25519", "x": x, "use": "sig"})
    assert "keyAgreement" not in DidResolver().resolve(did)
    key = DidResolver().resolve_key(f"{did}#0")
    assert key.key_type == "Ed25519"
    assert _raw(key.public_key) == _raw(private.public_key())


def test_did_jwk_with_a_private_key_is_refused() -> None:
    private = ed25519.Ed25519PrivateKey.generate()
    encode = lambda b: base64.urlsafe_b64encode(b).rstrip(b"=").decode()  # noqa: E731
    did = _did_jwk({"kty": "OKP", "crv": "Ed25519", "x": encode(_raw(private.public_key())),
                    "d": encode(private.private_bytes_raw())})
    with pytest.raises(DidError) as refused:
        DidResolver().resolve(did)
    assert refused.value.code == "did.bad_key"


# -- our DID document -----------------------------------------------------------------------

def test_each_key_of_our_document_resolves_locally(rsa_public_jwk: dict) -> None:
    ed_current, ed_previous = (ed25519.Ed25519PrivateKey.generate().public_key() for _ in range(2))
    document = build_did_document(
        OUR_DID,
        ed25519_keys=[("key-2026", _raw(ed_current)), ("key-2025", _raw(ed_previous))],
        rsa_keys=[("rsa-2026", rsa_public_jwk)],
    )
    resolver = DidResolver(local_documents={OUR_DID: document})

    for fragment, public in (("key-2026", ed_current), ("key-2025", ed_previous)):
        key = resolver.resolve_key(f"{OUR_DID}#{fragment}", controller=OUR_DID)
        assert key.key_type == "Ed25519"
        assert _raw(key.public_key) == _raw(public)
        assert key.purposes == {"assertionMethod", "authentication"}
    rsa = resolver.resolve_key(f"{OUR_DID}#rsa-2026", purpose="authentication")
    assert rsa.key_type == "RSA"
    assert rsa.public_key.public_numbers().n == int.from_bytes(
        base64.urlsafe_b64decode(rsa_public_jwk["n"] + "=="), "big")


def test_our_document_uses_the_key_forms_wallets_accept(rsa_public_jwk: dict) -> None:
    public = _raw(ed25519.Ed25519PrivateKey.generate().public_key())
    document = build_did_document(OUR_DID, ed25519_keys=[("key-1", public)],
                                  rsa_keys=[("rsa-1", rsa_public_jwk)])
    multikey, jwk = document["verificationMethod"]
    assert multikey == {"id": f"{OUR_DID}#key-1", "type": "Multikey", "controller": OUR_DID,
                        "publicKeyMultibase": ed25519_multibase(public)}
    assert multikey["publicKeyMultibase"].startswith("z6Mk")
    assert jwk["type"] == "JsonWebKey" and set(jwk["publicKeyJwk"]) == {"kty", "n", "e"}
    assert document["@context"] == ["https://www.w3.org/ns/did/v1",
                                    "https://w3id.org/security/multikey/v1",
                                    "https://w3id.org/security/jwk/v1"]
    assert document["assertionMethod"] == document["authentication"] == [
        f"{OUR_DID}#key-1", f"{OUR_DID}#rsa-1"]
    assert len(json.dumps(document)) < WALLET_DID_DOCUMENT_MAX_BYTES


def test_document_with_ed25519_keys_only_names_no_jwk_context() -> None:
    public = _raw(ed25519.Ed25519PrivateKey.generate().public_key())
    document = build_did_document(OUR_DID, ed25519_keys=[("key-1", public)], rsa_keys=[])
    assert document["@context"] == ["https://www.w3.org/ns/did/v1",
                                    "https://w3id.org/security/multikey/v1"]


def test_private_rsa_jwk_is_never_published() -> None:
    private = private_jwk(rsa.generate_private_key(public_exponent=65537, key_size=2048))
    with pytest.raises(DidError) as refused:
        build_did_document(OUR_DID, ed25519_keys=[], rsa_keys=[("rsa-1", private)])
    assert refused.value.code == "did.bad_key"


# -- refusals (VERIFICATION.md R5, R11) ------------------------------------------------------------

def _document_with(method: dict, **relationships: list) -> dict:
    return {"@context": ["https://www.w3.org/ns/did/v1"], "id": OUR_DID,
            "verificationMethod": [method], **relationships}


def _multikey(fragment: str = "key-1", **overrides: str) -> dict:
    public = _raw(ed25519.Ed25519PrivateKey.generate().public_key())
    return {"id": f"{OUR_DID}#{fragment}", "type": "Multikey", "controller": OUR_DID,
            "publicKeyMultibase": ed25519_multibase(public), **overrides}


def test_key_not_listed_under_assertion_method_is_refused() -> None:
    document = _document_with(_multikey(), authentication=[f"{OUR_DID}#key-1"])
    resolver = DidResolver(local_documents={OUR_DID: document})
    assert resolver.resolve_key(f"{OUR_DID}#key-1", purpose="authentication")
    with pytest.raises(DidError) as refused:
        resolver.resolve_key(f"{OUR_DID}#key-1")
    assert refused.value.code == "did.key_not_listed"


def test_key_of_another_did_is_refused() -> None:
    stranger = f"did:key:{KEY_PAIR['publicKeyMultibase']}"
    with pytest.raises(DidError) as refused:
        DidResolver().resolve_key(f"{stranger}#{KEY_PAIR['publicKeyMultibase']}",
                                  controller=OUR_DID)
    assert refused.value.code == "did.key_not_listed"


def test_key_controlled_by_another_did_is_refused() -> None:
    method = _multikey(controller="did:web:attacker.example")
    document = _document_with(method, assertionMethod=[method["id"]])
    with pytest.raises(DidError) as refused:
        DidResolver(local_documents={OUR_DID: document}).resolve_key(f"{OUR_DID}#key-1")
    assert refused.value.code == "did.key_not_listed"


def test_key_listed_in_our_document_under_another_dids_id_is_not_ours() -> None:
    method = _multikey(id="did:web:attacker.example#key-1")
    document = _document_with(method, assertionMethod=[method["id"]])
    with pytest.raises(DidError) as refused:
        DidResolver(local_documents={OUR_DID: document}).resolve_key(f"{OUR_DID}#key-1")
    assert refused.value.code == "did.key_not_listed"


def test_relative_and_embedded_methods_are_found() -> None:
    method = _multikey(id="#key-1")
    document = {"id": OUR_DID, "verificationMethod": [method], "assertionMethod": ["#key-1"],
                "authentication": [_multikey(fragment="auth")]}
    resolver = DidResolver(local_documents={OUR_DID: document})
    assert resolver.resolve_key(f"{OUR_DID}#key-1").purposes == {"assertionMethod"}
    assert resolver.resolve_key(f"{OUR_DID}#auth", purpose="authentication")
    with pytest.raises(DidError):
        resolver.resolve_key(f"{OUR_DID}#auth")  # embedded for authentication only


def test_multikey_with_public_key_jwk_is_refused(rsa_public_jwk: dict) -> None:
    method = {"id": f"{OUR_DID}#key-1", "type": "Multikey", "controller": OUR_DID,
              "publicKeyJwk": rsa_public_jwk}
    document = _document_with(method, assertionMethod=[method["id"]])
    with pytest.raises(DidError) as refused:
        DidResolver(local_documents={OUR_DID: document}).resolve_key(f"{OUR_DID}#key-1")
    assert refused.value.code == "did.bad_key"


def test_two_different_definitions_of_one_key_are_refused() -> None:
    document = _document_with(_multikey(), assertionMethod=[_multikey()])
    with pytest.raises(DidError) as refused:
        DidResolver(local_documents={OUR_DID: document}).resolve_key(f"{OUR_DID}#key-1")
    assert refused.value.code == "did.bad_document"


def test_document_of_another_did_is_refused() -> None:
    document = {**_document_with(_multikey()), "id": "did:web:elsewhere.example"}
    with pytest.raises(DidError) as refused:
        DidResolver(local_documents={OUR_DID: document}).resolve(OUR_DID)
    assert refused.value.code == "did.bad_document"


def test_did_example_is_refused() -> None:
    with pytest.raises(DidError) as refused:
        DidResolver().resolve_key("did:example:123#key-1")
    assert refused.value.code == "did.unsupported_method"


def test_did_web_is_not_fetched_without_a_fetcher() -> None:
    with pytest.raises(DidError) as refused:
        DidResolver().resolve("did:web:badges.example.org")
    assert refused.value.code == "did.not_found"


@pytest.mark.parametrize("reference", [
    OUR_DID, "https://badges.example.org/issuer#key-1", "did:web:#key-1", "did:Web:x.org#k", "",
])
def test_verification_method_must_be_a_did_url_with_a_fragment(reference: str) -> None:
    with pytest.raises(DidError) as refused:
        DidResolver().resolve_key(reference)
    assert refused.value.code == "did.malformed"


def test_errors_speak_french_first() -> None:
    with pytest.raises(DidError) as refused:
        DidResolver().resolve("did:example:123")
    assert "n'est pas prise en charge" in refused.value.message("fr")
    assert "is not supported" in refused.value.message("en")
