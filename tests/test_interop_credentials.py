"""Our own credentials verify outside our code (issue #2, item 10).

The service issues one credential of each badge family; Digital Bazaar (`@digitalbazaar/vc` +
eddsa-rdfc-2022), the DCC wallets' `@digitalcredentials/verifier-core` and `jose` (VC-JWT)
verify them offline through tests/plugins/interop.py, with the documents the City publishes
(DID document, revocation and suspension status list credentials) and nothing else.

Every verification of this file runs in one Node process (`verdicts`, a batch): scenarios are
built once per module, tests read their verdict by name. See tests/interop/README.md for the
fields of a verdict and docs/VERIFICATION.md for why each check matters.
"""

from __future__ import annotations

import base64
import copy
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest

from issuer.issuance.issue_requests import IssuedBadge, IssueRequest
from issuer.issuance.service import IssuerService
from issuer.settings import Settings

pytestmark = pytest.mark.interop

BASE_URL = "https://badges.example.org"
DID_WEB = "did:web:badges.example.org"
ACHIEVEMENT_SCHEMA = ("https://purl.imsglobal.org/spec/ob/v3p0/schema/json/"
                      "ob_v3p0_achievementcredential_schema.json")
REGISTRY_URL = "https://registry.example.org/registry.json"

# A fixed timeline, so that no test depends on the day it runs: issued in September 2025,
# verified on 1 January 2026, inside the 2025–2027 CLN mandate.
ISSUED_AT = datetime(2025, 9, 26, 8, 0, tzinfo=UTC)
REVOKED_AT = datetime(2025, 11, 3, 8, 0, tzinfo=UTC)
NOW = "2026-01-01T00:00:00Z"
AFTER_MANDATE = "2027-08-01T00:00:00Z"   # the mandate from 11 July 2025 ends on 10 July 2027
MANDATE_START = date(2025, 7, 11)        # installation session of the CLN

# One award of each badge family of the catalogue (badges/*.yaml).
FAMILIES: dict[str, IssueRequest] = {
    "membership": IssueRequest("membre-cln", "membre@example.org", role="co-presidente",
                               sector="Nord", mandate_start=MANDATE_START,
                               through_register=True),
    "event": IssueRequest("petit-dejeuner-inclusion-numerique", "intervenante@example.org",
                          event_number=7, role="intervenant"),
    "skill": IssueRequest("mediateur-numerique", "mediatrice@example.org"),
    "alumni": IssueRequest("ancien-membre-cln", "ancien@example.org", role="conseiller",
                           sector="Sud", through_register=True),
}
# Issued beside the others, then revoked: the others must stay unrevoked in the same list.
TO_REVOKE = IssueRequest("membre-cln", "revoque@example.org", role="conseiller",
                         sector="Est", mandate_start=MANDATE_START,
                         through_register=True)


# --- what the City publishes -----------------------------------------------------------------

def _service(home: Path, **settings: Any) -> IssuerService:
    service = IssuerService(Settings.load(home=home, base_url=BASE_URL, **settings))
    service.init()
    return service


def published_documents(service: IssuerService, *, at: datetime) -> dict[str, Any]:
    """What the City's web server answers, by URL or DID: the DID document (did:web only: a
    did:key document is derived from the identifier by every verifier) and every status list
    credential, revocation and suspension. The harness also serves a did:web document at its
    `/.well-known/did.json` URL, where the did:web drivers ask."""
    documents: dict[str, Any] = {}
    if service.settings.did_method == "web":
        documents[service.issuer_did] = service.did_document()
    for list_id in service.status_list_ids():
        for purpose in ("revocation", "suspension"):
            status_list = service.status_list_credential(list_id, purpose, now=at)
            documents[status_list["id"]] = status_list
    return documents


@dataclass(frozen=True)
class City:
    """A service, the badges it issued, and its published documents at one moment."""

    service: IssuerService
    badges: dict[str, IssuedBadge]
    documents: dict[str, Any]


@pytest.fixture(scope="module")
def did_web_city(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """did:web issuer: one badge per family, and one revoked (documents before and after)."""
    service = _service(tmp_path_factory.mktemp("did-web-issuer"))
    badges = {family: service.issue(request, now=ISSUED_AT)
              for family, request in FAMILIES.items()}
    badges["revoked"] = service.issue(TO_REVOKE, now=ISSUED_AT)
    before = City(service, badges, published_documents(service, at=ISSUED_AT))
    service.revoke(badges["revoked"].credential_id, "Mandat interrompu (test)")
    after = City(service, badges, published_documents(service, at=REVOKED_AT))
    return {"before": before, "after": after}


@pytest.fixture(scope="module")
def did_key_city(tmp_path_factory: pytest.TempPathFactory) -> City:
    service = _service(tmp_path_factory.mktemp("did-key-issuer"), did_method="key")
    badges = {"skill": service.issue(FAMILIES["skill"], now=ISSUED_AT)}
    return City(service, badges, published_documents(service, at=ISSUED_AT))


@pytest.fixture(scope="module")
def rotated_city(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """did:web issuer that rotates its keys between two awards."""
    service = _service(tmp_path_factory.mktemp("rotating-issuer"))
    old_did_document = service.did_document()
    before_rotation = service.issue(FAMILIES["skill"], now=ISSUED_AT)
    new_keys = {key.algorithm: key.kid for key in service.rotate_keys()}
    after_rotation = service.issue(
        IssueRequest("mediateur-numerique", "nouvelle-mediatrice@example.org"), now=ISSUED_AT)
    city = City(service, {"before-rotation": before_rotation, "after-rotation": after_rotation},
                published_documents(service, at=ISSUED_AT))
    return {"city": city, "new_keys": new_keys, "old_did_document": old_did_document}


# --- tampering -------------------------------------------------------------------------------

def _tampered(credential: dict[str, Any], change: Callable[[dict[str, Any]], None]
              ) -> dict[str, Any]:
    forged = copy.deepcopy(credential)
    change(forged)
    return forged


def _b64url_json(part: str) -> dict[str, Any]:
    parsed: dict[str, Any] = json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))
    return parsed


def _tampered_jwt(token: str, change: Callable[[dict[str, Any]], None]) -> str:
    """The token with its payload changed and its signature kept. OB 3.0 §8.2.4.1: the payload
    is the credential itself (with iss, sub, nbf, jti beside it), so the same change applies."""
    header, payload, signature = token.split(".")
    changed = _b64url_json(payload)
    change(changed)
    encoded = base64.urlsafe_b64encode(json.dumps(changed).encode()).rstrip(b"=").decode()
    return f"{header}.{encoded}.{signature}"


def _rename(name: str) -> Callable[[dict[str, Any]], None]:
    def change(credential: dict[str, Any]) -> None:
        credential["name"] = name
    return change


def _rename_achievement(name: str) -> Callable[[dict[str, Any]], None]:
    def change(credential: dict[str, Any]) -> None:
        credential["credentialSubject"]["achievement"]["name"] = name
    return change


# --- every verification, in one Node process ---------------------------------------------------

def _request(badge: IssuedBadge, documents: dict[str, Any], **overrides: Any) -> dict[str, Any]:
    return {"credential": badge.credential, "jwt": badge.credential_jwt,
            "documents": documents, "now": NOW, **overrides}


@pytest.fixture(scope="module")
def verdicts(third_party_verifiers_batch, did_web_city, did_key_city,
             rotated_city) -> dict[str, dict[str, Any]]:
    """Scenario name -> the three verifiers' result (tests/interop/README.md)."""
    web, revoked_web = did_web_city["before"], did_web_city["after"]
    rotated: City = rotated_city["city"]
    membership = web.badges["membership"]
    scenarios: dict[str, dict[str, Any]] = {
        **{f"genuine {family}": _request(web.badges[family], web.documents)
           for family in FAMILIES},
        "membership after the mandate": _request(membership, web.documents, now=AFTER_MANDATE),
        "membership with a registry listing the City": _request(
            membership, {**web.documents, REGISTRY_URL: {"registry": {
                DID_WEB: {"name": "Ville de Roubaix", "url": "https://www.ville-roubaix.fr"}}}},
            registries=[{"name": "Test registry", "type": "dcc-legacy", "url": REGISTRY_URL}]),
        "tampered name": _request(
            membership, web.documents,
            credential=_tampered(membership.credential, _rename("Maire honoraire")),
            jwt=_tampered_jwt(membership.credential_jwt, _rename("Maire honoraire"))),
        "tampered achievement name": _request(
            web.badges["event"], web.documents,
            credential=_tampered(web.badges["event"].credential,
                                 _rename_achievement("Grand témoin de la Ville")),
            jwt=_tampered_jwt(web.badges["event"].credential_jwt,
                              _rename_achievement("Grand témoin de la Ville"))),
        "revoked, list before revocation": _request(revoked_web.badges["revoked"], web.documents),
        "revoked, list republished": _request(revoked_web.badges["revoked"],
                                              revoked_web.documents),
        "neighbour of the revoked, list republished": _request(membership,
                                                               revoked_web.documents),
        **{f"{purpose} list credential": {
            "credential": web.documents[f"{BASE_URL}/status/1/{purpose}"],
            "documents": web.documents, "now": NOW} for purpose in ("revocation", "suspension")},
        "did:key skill": _request(did_key_city.badges["skill"], did_key_city.documents),
        "issued before rotation, new DID document": _request(
            rotated.badges["before-rotation"], rotated.documents),
        "issued after rotation, new DID document": _request(
            rotated.badges["after-rotation"], rotated.documents),
        "issued after rotation, old DID document": _request(
            rotated.badges["after-rotation"],
            {**rotated.documents, DID_WEB: rotated_city["old_did_document"]}),
    }
    results = third_party_verifiers_batch(list(scenarios.values()))
    return dict(zip(scenarios, results, strict=True))


def _assert_genuine(verdict: dict[str, Any]) -> None:
    """Verified by all three stacks, with the status list read and the bit clear."""
    db, core, jose = verdict["digitalBazaar"], verdict["verifierCore"], verdict["jose"]
    assert db["verified"] is True, db["error"]
    [status] = db["statuses"]
    # VERIFICATION.md R7: `verified` ignores the bit; the list must be verified and the bit read
    assert status["purpose"] == "revocation"
    assert (status["value"], status["listVerified"]) == (False, True)
    assert core["verified"] is True, core["errors"]
    assert (core["revoked"], core["expired"]) == (False, False)
    assert jose["verified"] is True, jose["error"]
    assert jose["problems"] == [] and jose["conformant"] is True
    for section in (db, core, jose):
        assert section["unresolved"] == []


# --- each badge family verifies --------------------------------------------------------------

@pytest.mark.parametrize("family", list(FAMILIES))
def test_credential_of_each_family_verifies_in_every_stack(verdicts, family):
    _assert_genuine(verdicts[f"genuine {family}"])


@pytest.mark.parametrize("family", list(FAMILIES))
def test_verifier_core_validates_each_family_against_the_ob_json_schema(verdicts, family):
    [schema_check] = [info for info in verdicts[f"genuine {family}"]["verifierCore"]
                      ["additionalInformation"] if info["id"] == "schema_check"]
    assert schema_check["results"] == [{
        "schema": ACHIEVEMENT_SCHEMA, "result": {"valid": True},
        "source": "Schema was listed in the credentialSchema property of the VC"}]


def test_issuer_outside_every_registry_is_reported_apart_from_the_signature(verdicts):
    # verifier-core looks the issuer DID up in the DCC issuer registries: a wallet then says
    # "issuer not registered", yet the credential is verified (signature, status, dates). The
    # City is in no registry (and the tests give none), so registeredIssuer is false.
    core = verdicts["genuine membership"]["verifierCore"]
    assert core["verified"] is True
    assert core["registeredIssuer"] is False
    registered = verdicts["membership with a registry listing the City"]["verifierCore"]
    assert registered["verified"] is True and registered["registeredIssuer"] is True


@pytest.mark.parametrize("family", list(FAMILIES))
def test_vc_jwt_is_rs256_with_the_did_web_rsa_key_and_the_ob_claims(verdicts, did_web_city,
                                                                    family):
    jose = verdicts[f"genuine {family}"]["jose"]
    credential = did_web_city["before"].badges[family].credential

    assert jose["header"]["alg"] == "RS256"
    assert jose["header"]["kid"].startswith(f"{DID_WEB}#key-rsa-")
    assert jose["key"] == {"source": "did-document", "kid": jose["header"]["kid"],
                           "type": "JsonWebKey", "controller": DID_WEB, "assertionMethod": True,
                           "boundToIssuer": True, "kty": "RSA"}
    claims = jose["claims"]
    # OB 3.0 §8.2.4.1
    assert claims["iss"] == DID_WEB
    assert claims["sub"] == credential["credentialSubject"]["id"]
    assert claims["jti"] == credential["id"]
    assert claims["nbf"] == credential["validFrom"].replace("Z", ".000Z")
    if family == "membership":
        assert claims["exp"] == credential["validUntil"].replace("Z", ".000Z")
    else:
        assert claims["exp"] is None and "validUntil" not in credential


def test_membership_expires_with_the_mandate_in_every_stack(verdicts):
    verdict = verdicts["membership after the mandate"]

    assert verdict["digitalBazaar"]["verified"] is False
    assert "validUntil" in verdict["digitalBazaar"]["error"]
    assert verdict["verifierCore"]["expired"] is True
    assert verdict["jose"]["verified"] is False
    assert "ERR_JWT_EXPIRED" in verdict["jose"]["error"]


# --- tampering -------------------------------------------------------------------------------

def test_credential_with_tampered_name_fails_in_both_stacks(verdicts):
    verdict = verdicts["tampered name"]

    assert verdict["digitalBazaar"]["verified"] is False
    assert verdict["digitalBazaar"]["proofVerified"] is False
    assert verdict["verifierCore"]["verified"] is False
    assert verdict["verifierCore"]["errors"][0]["name"] == "invalid_signature"


def test_credential_with_tampered_achievement_name_fails_in_both_stacks(verdicts):
    verdict = verdicts["tampered achievement name"]

    assert verdict["digitalBazaar"]["verified"] is False
    assert verdict["digitalBazaar"]["proofVerified"] is False
    assert verdict["verifierCore"]["verified"] is False
    assert verdict["verifierCore"]["errors"][0]["name"] == "invalid_signature"


@pytest.mark.parametrize("scenario", ["tampered name", "tampered achievement name"])
def test_vc_jwt_with_tampered_payload_fails_in_jose(verdicts, scenario):
    jose = verdicts[scenario]["jose"]

    assert jose["verified"] is False
    assert "ERR_JWS_SIGNATURE_VERIFICATION_FAILED" in jose["error"]


# --- revocation (VERIFICATION.md R7: read the bit) ------------------------------------------------

def test_revoked_credential_is_reported_revoked_once_the_list_is_republished(verdicts):
    before = verdicts["revoked, list before revocation"]
    after = verdicts["revoked, list republished"]

    _assert_genuine(before)
    db = after["digitalBazaar"]
    # Digital Bazaar's own verdict ignores the bit: the harness reads it from the verified list
    assert db["verified"] is True
    [status] = db["statuses"]
    assert (status["value"], status["listVerified"]) == (True, True)
    core = after["verifierCore"]
    assert core["revoked"] is True
    assert core["statuses"] == [{"purpose": "revocation", "value": True}]


def test_revocation_sets_only_the_revoked_credential_bit(verdicts):
    _assert_genuine(verdicts["neighbour of the revoked, list republished"])


@pytest.mark.parametrize("purpose", ["revocation", "suspension"])
def test_published_status_list_credential_verifies_in_digital_bazaar(verdicts, purpose):
    db = verdicts[f"{purpose} list credential"]["digitalBazaar"]

    assert db["verified"] is True, db["error"]
    assert db["statuses"] == []


# --- did:key ---------------------------------------------------------------------------------

def test_did_key_credential_and_its_status_list_verify_in_both_stacks(verdicts, did_key_city):
    verdict = verdicts["did:key skill"]
    did = did_key_city.service.issuer_did
    proof = did_key_city.badges["skill"].credential["proof"]
    [proof] = proof if isinstance(proof, list) else [proof]

    assert did.startswith("did:key:z6Mk")
    assert proof["verificationMethod"] == f"{did}#{did.removeprefix('did:key:')}"
    _assert_genuine(verdict)
    # no DID document was given: each stack derived it from the identifier
    assert did not in did_key_city.documents


def test_did_key_vc_jwt_is_eddsa_with_the_did_key_kid(verdicts, did_key_city):
    jose = verdicts["did:key skill"]["jose"]
    did = did_key_city.service.issuer_did

    assert jose["verified"] is True, jose["error"]
    assert jose["header"]["alg"] == "EdDSA"
    assert jose["header"]["kid"] == f"{did}#{did.removeprefix('did:key:')}"
    assert jose["key"]["type"] == "Multikey" and jose["key"]["kty"] == "OKP"
    assert jose["key"]["boundToIssuer"] is True


# --- key rotation ----------------------------------------------------------------------------

def test_credential_issued_before_rotation_still_verifies_with_the_new_did_document(verdicts):
    _assert_genuine(verdicts["issued before rotation, new DID document"])


def test_credential_issued_after_rotation_is_signed_with_the_new_keys(verdicts, rotated_city):
    city: City = rotated_city["city"]
    new_keys: dict[str, str] = rotated_city["new_keys"]
    before = city.badges["before-rotation"].credential
    after = city.badges["after-rotation"].credential
    verdict = verdicts["issued after rotation, new DID document"]

    _assert_genuine(verdict)
    assert after["proof"][0]["verificationMethod"] == f"{DID_WEB}#{new_keys['Ed25519']}"
    assert before["proof"][0]["verificationMethod"] != after["proof"][0]["verificationMethod"]
    assert verdict["jose"]["header"]["kid"] == f"{DID_WEB}#{new_keys['RSA']}"
    # the old keys stay published under assertionMethod, the new ones join them
    assert len(city.documents[DID_WEB]["assertionMethod"]) == 4


def test_credential_issued_after_rotation_fails_against_the_old_did_document(verdicts):
    verdict = verdicts["issued after rotation, old DID document"]

    assert verdict["digitalBazaar"]["verified"] is False
    assert verdict["verifierCore"]["verified"] is False
    assert verdict["jose"]["verified"] is False
