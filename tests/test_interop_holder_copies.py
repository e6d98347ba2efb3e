"""Holder-bound copies verify outside our code exactly like originals (issue #12 item 4).

The service issues badges, then copies bound to wallet DIDs (did:key, did:jwk), in both signed
forms; Digital Bazaar (`@digitalbazaar/vc` + eddsa-rdfc-2022), the DCC wallets'
`@digitalcredentials/verifier-core` and `jose` (VC-JWT) verify them offline with the documents
the City publishes (DID document, every status list, the copies' own included). A copy of a
revoked badge shows revoked in the third-party status checks too. One Node process for the
whole file (`verdicts`), as tests/test_interop_credentials.py does for originals.
"""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric import ed25519

from issuer.issuance.issue_requests import IssueRequest
from issuer.issuance.service import IssuerService
from issuer.openbadges.did import did_key_for_ed25519
from issuer.settings import Settings
from issuer.wallet.copies import HolderCopy, issue_holder_copy
from tests.test_interop_credentials import (
    BASE_URL,
    FAMILIES,
    ISSUED_AT,
    NOW,
    _tampered,
    _tampered_jwt,
    published_documents,
)

pytestmark = pytest.mark.interop

COPIED_AT = datetime(2025, 10, 2, 9, 30, tzinfo=UTC)
REVOKED_AT = datetime(2025, 11, 3, 8, 0, tzinfo=UTC)


def wallet_did_key() -> str:
    return did_key_for_ed25519(ed25519.Ed25519PrivateKey.generate().public_key()
                               .public_bytes_raw())


def wallet_did_jwk() -> str:
    raw = ed25519.Ed25519PrivateKey.generate().public_key().public_bytes_raw()
    jwk = {"kty": "OKP", "crv": "Ed25519", "x": base64.urlsafe_b64encode(raw).decode().rstrip("=")}
    return "did:jwk:" + base64.urlsafe_b64encode(json.dumps(jwk).encode()).decode().rstrip("=")


def _copies(service: IssuerService, original_id: str, did: str) -> dict[str, HolderCopy]:
    with service.database.session() as session:
        return {fmt: issue_holder_copy(service, session, original_id, did, fmt,  # type: ignore[arg-type]
                                       now=COPIED_AT)
                for fmt in ("ldp_vc", "jwt_vc_json")}


def _request(copies: dict[str, HolderCopy], documents: dict[str, Any],
             **overrides: Any) -> dict[str, Any]:
    return {"credential": copies["ldp_vc"].credential, "jwt": copies["jwt_vc_json"].jwt,
            "documents": documents, "now": NOW, **overrides}


@pytest.fixture(scope="module")
def cities(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    web = IssuerService(Settings.load(home=tmp_path_factory.mktemp("copies-web"),
                                      base_url=BASE_URL))
    web.init()
    copies: dict[str, dict[str, HolderCopy]] = {}
    for family, request in FAMILIES.items():
        original = web.issue(request, now=ISSUED_AT)
        copies[family] = _copies(web, original.credential_id, wallet_did_key())
    jwk_original = web.issue(IssueRequest("mediateur-numerique", "jwk@example.org"),
                             now=ISSUED_AT)
    copies["did:jwk holder"] = _copies(web, jwk_original.credential_id, wallet_did_jwk())
    to_revoke = web.issue(IssueRequest("mediateur-numerique", "revoque@example.org"),
                          now=ISSUED_AT)
    copies["revoked"] = _copies(web, to_revoke.credential_id, wallet_did_key())
    before = published_documents(web, at=COPIED_AT)
    web.revoke(to_revoke.credential_id, "Badge attribué par erreur (test)")
    after = published_documents(web, at=REVOKED_AT)

    key = IssuerService(Settings.load(home=tmp_path_factory.mktemp("copies-key"),
                                      base_url=BASE_URL, did_method="key"))
    key.init()
    key_original = key.issue(FAMILIES["skill"], now=ISSUED_AT)
    key_copies = _copies(key, key_original.credential_id, wallet_did_key())
    return {"web": web, "copies": copies, "before": before, "after": after,
            "key": key, "key_copies": key_copies,
            "key_documents": published_documents(key, at=COPIED_AT)}


def _swap_subject(credential: dict[str, Any]) -> None:
    credential["credentialSubject"]["id"] = wallet_did_key()


@pytest.fixture(scope="module")
def verdicts(third_party_verifiers_batch, cities) -> dict[str, dict[str, Any]]:
    copies, before, after = cities["copies"], cities["before"], cities["after"]
    revoked = copies["revoked"]
    scenarios: dict[str, dict[str, Any]] = {
        **{f"copy of {family}": _request(copies[family], before) for family in FAMILIES},
        "copy for a did:jwk holder": _request(copies["did:jwk holder"], before),
        "copy for another holder": _request(
            copies["skill"], before,
            credential=_tampered(copies["skill"]["ldp_vc"].credential,  # type: ignore[arg-type]
                                 _swap_subject),
            jwt=_tampered_jwt(copies["skill"]["jwt_vc_json"].jwt,  # type: ignore[arg-type]
                              _swap_subject)),
        "copy of the revoked, list before revocation": _request(revoked, before),
        "copy of the revoked, list republished": _request(revoked, after),
        "copy of a neighbour, list republished": _request(copies["skill"], after),
        "did:key issuer copy": _request(cities["key_copies"], cities["key_documents"]),
    }
    results = third_party_verifiers_batch(list(scenarios.values()))
    return dict(zip(scenarios, results, strict=True))


def _assert_genuine(verdict: dict[str, Any]) -> None:
    """As for originals: verified by all three stacks, the status list read, the bit clear."""
    db, core, jose = verdict["digitalBazaar"], verdict["verifierCore"], verdict["jose"]
    assert db["verified"] is True, db["error"]
    [status] = db["statuses"]
    assert status["purpose"] == "revocation"
    assert (status["value"], status["listVerified"]) == (False, True)
    assert core["verified"] is True, core["errors"]
    assert (core["revoked"], core["expired"]) == (False, False)
    assert jose["verified"] is True, jose["error"]
    assert jose["problems"] == [] and jose["conformant"] is True
    for section in (db, core, jose):
        assert section["unresolved"] == []


@pytest.mark.parametrize("family", list(FAMILIES))
def test_a_copy_of_each_family_verifies_in_every_stack(verdicts, cities, family):
    verdict = verdicts[f"copy of {family}"]
    _assert_genuine(verdict)
    copies = cities["copies"][family]
    # The JWT's subject is the wallet's DID (OB 3.0 §8.2.4.1 `sub`), its id the copy's urn:uuid.
    claims = verdict["jose"]["claims"]
    assert claims["sub"] == copies["jwt_vc_json"].holder_did
    assert claims["jti"] == copies["jwt_vc_json"].credential_id
    [schema_check] = [info for info in verdict["verifierCore"]["additionalInformation"]
                      if info["id"] == "schema_check"]
    assert schema_check["results"][0]["result"] == {"valid": True}


def test_a_copy_for_a_did_jwk_holder_verifies_in_every_stack(verdicts):
    _assert_genuine(verdicts["copy for a did:jwk holder"])


def test_a_did_key_issuer_copy_verifies_in_every_stack(verdicts):
    _assert_genuine(verdicts["did:key issuer copy"])


def test_a_copy_rebound_to_another_holder_fails_every_signature(verdicts):
    verdict = verdicts["copy for another holder"]
    assert verdict["digitalBazaar"]["verified"] is False
    assert verdict["digitalBazaar"]["proofVerified"] is False
    assert verdict["verifierCore"]["verified"] is False
    assert verdict["verifierCore"]["errors"][0]["name"] == "invalid_signature"
    assert "ERR_JWS_SIGNATURE_VERIFICATION_FAILED" in verdict["jose"]["error"]


def test_a_copy_of_a_revoked_badge_shows_revoked_in_the_wallets_status_checks(verdicts):
    _assert_genuine(verdicts["copy of the revoked, list before revocation"])
    after = verdicts["copy of the revoked, list republished"]
    [status] = after["digitalBazaar"]["statuses"]
    assert (status["value"], status["listVerified"]) == (True, True)
    core = after["verifierCore"]
    assert core["revoked"] is True
    assert core["statuses"] == [{"purpose": "revocation", "value": True}]
    # Only that copy's bit is set in the copies' list.
    _assert_genuine(verdicts["copy of a neighbour, list republished"])


def test_copies_draw_from_a_list_of_their_own(cities):
    web: IssuerService = cities["web"]
    copy = cities["copies"]["skill"]["ldp_vc"].credential
    status_url = copy["credentialStatus"]["statusListCredential"]
    assert status_url.startswith(f"{BASE_URL}/status/") and status_url in cities["after"]
    original_lists = {web.credential(copy["relatedResource"][0]["id"])
                      .credential["credentialStatus"]["statusListCredential"]}
    assert status_url not in original_lists
