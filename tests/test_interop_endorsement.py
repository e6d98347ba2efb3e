"""A peer endorsement verifies outside our code (issue #5, item 5): the OB 3.0
`EndorsementCredential` the City issues when the coordinator approves a mediator's endorsement
is accepted by Digital Bazaar (`@digitalbazaar/vc` + eddsa-rdfc-2022, status bits read), the
DCC wallets' `@digitalcredentials/verifier-core` (which also checks the 1EdTech
EndorsementCredential JSON Schema) and `jose` (VC-JWT), offline, through tests/plugins/interop.py.
A changed comment breaks the proof; a revoked endorsement is seen revoked in its own list."""

from __future__ import annotations

import copy
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from issuer.issuance.service import IssuerService
from issuer.network import endorsements, skill_badges
from issuer.openbadges.endorsement_credential import ENDORSEMENT_SCHEMA_URL
from issuer.settings import Settings

pytestmark = [
    pytest.mark.interop,
    pytest.mark.filterwarnings("ignore:EdDSA is deprecated"),
]

BASE_URL = "https://badges.example.org"
COORDINATOR = "coord@example.org"
ISSUED_AT = datetime(2026, 2, 3, 9, 0, tzinfo=UTC)
NOW = "2026-03-01T00:00:00Z"


def _documents(service: IssuerService) -> dict[str, Any]:
    documents: dict[str, Any] = {service.issuer_did: service.did_document()}
    for list_id in service.status_list_ids():
        for purpose in ("revocation", "suspension"):
            status_list = service.status_list_credential(list_id, purpose, now=ISSUED_AT)
            documents[status_list["id"]] = status_list
    return documents


def _endorse(service: IssuerService, peer: str, badge: str) -> endorsements.SignedEndorsement:
    with service.database.session(read_only=True) as session:
        from issuer.storage.models import IssuedCredential

        peer_id = session.get(IssuedCredential, peer).recipient_id
    view = endorsements.request_endorsement(
        service, peer_id, badge, "Nous avons animé ensemble l'atelier Mallette Cyber : clair "
        "et patient avec chaque habitant.", endorser_name="Sacha E.", now=ISSUED_AT)
    endorsements.approve_endorsement(service, view.id, actor=COORDINATOR, now=ISSUED_AT)
    return endorsements.signed_endorsement(service, view.id)


@pytest.fixture(scope="module")
def city(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    home: Path = tmp_path_factory.mktemp("endorsements")
    service = IssuerService(Settings.load(home=home, base_url=BASE_URL))
    service.init()
    for code in ("ACC-01", "CYB-01"):
        skill_badges.create_skill_badge(service, "skill", code, actor=COORDINATOR)
    given = skill_badges.SkillEvidence(narrative="Observé en atelier.")
    badges = {name: skill_badges.issue_skill_badge(
        service, slug, email=email, name=name, given=given, actor=COORDINATOR,
        send_email=False, now=ISSUED_AT).credential_id
        for name, slug, email in (("Camille", "competence-acc-01", "camille@example.org"),
                                  ("Sacha", "competence-cyb-01", "sacha@example.org"),
                                  ("Dominique", "competence-cyb-01", "dominique@example.org"))}
    kept = _endorse(service, badges["Sacha"], badges["Camille"])
    revoked = _endorse(service, badges["Dominique"], badges["Camille"])
    endorsements.revoke_endorsement(service, revoked.view.id, "Signalement", actor=COORDINATOR)
    return {"service": service, "kept": kept, "revoked": revoked,
            "documents": _documents(service)}


@pytest.fixture(scope="module")
def verdicts(third_party_verifiers_batch, city) -> dict[str, Any]:
    tampered = copy.deepcopy(city["kept"].credential)
    tampered["credentialSubject"]["endorsementComment"] = "Ne lui confiez rien."
    scenarios = {
        "published": {"credential": city["kept"].credential, "jwt": city["kept"].credential_jwt,
                      "documents": city["documents"], "now": NOW},
        "tampered": {"credential": tampered, "documents": city["documents"], "now": NOW},
        "revoked": {"credential": city["revoked"].credential, "documents": city["documents"],
                    "now": NOW},
    }
    results = third_party_verifiers_batch(list(scenarios.values()))
    return dict(zip(scenarios, results, strict=True))


def test_published_endorsement_verifies_in_every_stack(verdicts) -> None:
    verdict = verdicts["published"]
    db, core, jose = verdict["digitalBazaar"], verdict["verifierCore"], verdict["jose"]
    assert db["verified"] is True, db["error"]
    [status] = db["statuses"]
    assert (status["purpose"], status["value"], status["listVerified"]) == (
        "revocation", False, True)
    assert core["verified"] is True, core["errors"]
    assert (core["revoked"], core["expired"]) == (False, False)
    assert jose["verified"] is True, jose["error"]
    for section in (db, core, jose):
        assert section["unresolved"] == []


def test_verifier_core_finds_it_valid_against_the_endorsement_json_schema(verdicts) -> None:
    [schema_check] = [info for info in verdicts["published"]["verifierCore"]
                      ["additionalInformation"] if info["id"] == "schema_check"]
    assert [result["schema"] for result in schema_check["results"]] == [ENDORSEMENT_SCHEMA_URL]
    assert schema_check["results"][0]["result"] == {"valid": True}


def test_vc_jwt_of_the_endorsement_names_the_endorsed_badge_as_subject(verdicts, city) -> None:
    payload = verdicts["published"]["jose"]["payload"]
    assert payload["credentialSubject"] == city["kept"].credential["credentialSubject"]
    assert payload["credentialSubject"]["id"].startswith(f"{BASE_URL}/credentials/")


def test_a_changed_comment_fails_the_signature_in_every_stack(verdicts) -> None:
    verdict = verdicts["tampered"]
    assert verdict["digitalBazaar"]["verified"] is False
    assert verdict["digitalBazaar"]["proofVerified"] is False
    assert verdict["verifierCore"]["verified"] is False
    assert verdict["verifierCore"]["errors"][0]["name"] == "invalid_signature"


def test_a_revoked_endorsement_is_read_revoked_from_its_status_list(verdicts) -> None:
    verdict = verdicts["revoked"]
    [status] = verdict["digitalBazaar"]["statuses"]
    assert (status["purpose"], status["value"], status["listVerified"]) == (
        "revocation", True, True)
    assert verdict["verifierCore"]["revoked"] is True
