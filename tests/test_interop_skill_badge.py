"""A mediator skill badge aligned to the skills catalogue verifies outside our code (issue #5,
item 4): Digital Bazaar (`@digitalbazaar/vc` + eddsa-rdfc-2022), the DCC wallets'
`@digitalcredentials/verifier-core` (which also checks the OB 3.0 JSON Schema) and `jose`
(VC-JWT), offline, through tests/plugins/interop.py.

The alignment terms are defined by the OB 3.0 context, so the JavaScript verifiers (JSON-LD
safe mode, VERIFICATION.md R1) sign the same triples as we do; a changed alignment breaks the proof.
"""

from __future__ import annotations

import copy
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from issuer.issuance.issue_requests import IssuedBadge
from issuer.issuance.service import IssuerService
from issuer.network import skill_badges
from issuer.network.evidence import EvidenceUpload
from issuer.settings import Settings

pytestmark = [
    pytest.mark.interop,
    pytest.mark.filterwarnings("ignore:EdDSA is deprecated"),
]

BASE_URL = "https://badges.example.org"
ACHIEVEMENT_SCHEMA = ("https://purl.imsglobal.org/spec/ob/v3p0/schema/json/"
                      "ob_v3p0_achievementcredential_schema.json")
ISSUED_AT = datetime(2026, 2, 3, 9, 0, tzinfo=UTC)
NOW = "2026-03-01T00:00:00Z"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def _issue(service: IssuerService, slug: str, email: str) -> IssuedBadge:
    given = skill_badges.SkillEvidence(
        narrative="A animé un atelier **Mallette Cyber** avec le CSIRT Hauts-de-France.",
        link="https://www.ville-roubaix.fr/ateliers-cyber", link_title="Programme de l'atelier",
        upload=EvidenceUpload("atelier.png", PNG), file_title="Photo de l'atelier")
    return skill_badges.issue_skill_badge(service, slug, email=email, name="Camille Exemple",
                                          given=given, actor="coord@example.org",
                                          send_email=False, now=ISSUED_AT)


def _documents(service: IssuerService) -> dict[str, Any]:
    documents: dict[str, Any] = {}
    if service.settings.did_method == "web":
        documents[service.issuer_did] = service.did_document()
    for list_id in service.status_list_ids():
        for purpose in ("revocation", "suspension"):
            status_list = service.status_list_credential(list_id, purpose, now=ISSUED_AT)
            documents[status_list["id"]] = status_list
    return documents


def _city(home: Path, **settings: Any) -> dict[str, Any]:
    service = IssuerService(Settings.load(home=home, base_url=BASE_URL, **settings))
    service.init()
    skill_badges.create_skill_badge(service, "skill", "CYB-01", actor="coord@example.org")
    skill_badges.create_skill_badge(service, "domain", "CYB", actor="coord@example.org")
    badges = {"skill": _issue(service, "competence-cyb-01", "mediatrice@example.org"),
              "domain": _issue(service, "domaine-cyb", "mediateur@example.org")}
    return {"service": service, "badges": badges, "documents": _documents(service)}


@pytest.fixture(scope="module")
def did_web_city(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    return _city(tmp_path_factory.mktemp("skill-badges-did-web"))


@pytest.fixture(scope="module")
def did_key_city(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    return _city(tmp_path_factory.mktemp("skill-badges-did-key"), did_method="key")


def _retargeted(credential: dict[str, Any]) -> dict[str, Any]:
    """The credential with its first alignment pointing at another version of the skill."""
    forged = copy.deepcopy(credential)
    alignment = forged["credentialSubject"]["achievement"]["alignment"][0]
    alignment["targetUrl"] = alignment["targetUrl"].replace("/versions/1/", "/versions/9/")
    return forged


@pytest.fixture(scope="module")
def verdicts(third_party_verifiers_batch, did_web_city, did_key_city) -> dict[str, Any]:
    web, key = did_web_city, did_key_city
    scenarios: dict[str, dict[str, Any]] = {
        **{f"did:web {kind}": {"credential": badge.credential, "jwt": badge.credential_jwt,
                               "documents": web["documents"], "now": NOW}
           for kind, badge in web["badges"].items()},
        "did:key skill": {"credential": key["badges"]["skill"].credential,
                          "jwt": key["badges"]["skill"].credential_jwt,
                          "documents": key["documents"], "now": NOW},
        "alignment retargeted": {"credential": _retargeted(web["badges"]["skill"].credential),
                                 "documents": web["documents"], "now": NOW},
    }
    results = third_party_verifiers_batch(list(scenarios.values()))
    return dict(zip(scenarios, results, strict=True))


@pytest.mark.parametrize("scenario", ["did:web skill", "did:web domain", "did:key skill"])
def test_skill_badge_with_alignments_and_evidence_verifies_in_every_stack(verdicts, scenario):
    verdict = verdicts[scenario]
    db, core, jose = verdict["digitalBazaar"], verdict["verifierCore"], verdict["jose"]

    assert db["verified"] is True, db["error"]
    [status] = db["statuses"]
    assert (status["purpose"], status["value"], status["listVerified"]) == (
        "revocation", False, True)
    assert core["verified"] is True, core["errors"]
    assert (core["revoked"], core["expired"]) == (False, False)
    assert jose["verified"] is True, jose["error"]
    assert jose["problems"] == [] and jose["conformant"] is True
    for section in (db, core, jose):
        assert section["unresolved"] == []


@pytest.mark.parametrize("scenario", ["did:web skill", "did:web domain"])
def test_verifier_core_finds_the_skill_badge_valid_against_the_ob_json_schema(verdicts,
                                                                               scenario):
    [schema_check] = [info for info in verdicts[scenario]["verifierCore"]
                      ["additionalInformation"] if info["id"] == "schema_check"]
    assert schema_check["results"] == [{
        "schema": ACHIEVEMENT_SCHEMA, "result": {"valid": True},
        "source": "Schema was listed in the credentialSchema property of the VC"}]


def test_vc_jwt_carries_the_alignments_and_the_evidence(verdicts, did_web_city):
    payload = verdicts["did:web domain"]["jose"]["payload"]
    credential = did_web_city["badges"]["domain"].credential

    alignment = payload["credentialSubject"]["achievement"]["alignment"]
    assert alignment == credential["credentialSubject"]["achievement"]["alignment"]
    assert [entry["targetType"] for entry in alignment] == ["CFItem"] * len(alignment)
    assert all("/competences/versions/1/CYB-" in entry["targetUrl"] for entry in alignment)
    assert [entry["name"] for entry in payload["evidence"]] == [
        "Récit", "Programme de l'atelier", "Photo de l'atelier"]


def test_alignment_pointing_at_another_catalogue_version_fails_the_signature(verdicts):
    verdict = verdicts["alignment retargeted"]

    assert verdict["digitalBazaar"]["verified"] is False
    assert verdict["digitalBazaar"]["proofVerified"] is False
    assert verdict["verifierCore"]["verified"] is False
    assert verdict["verifierCore"]["errors"][0]["name"] == "invalid_signature"
