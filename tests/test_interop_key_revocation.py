"""After a key incident, third-party verifiers refuse the old badges and accept the re-issued
ones (issue 14 item 3; docs/DEPLOYMENT.md, "Incident de clé").

Digital Bazaar, verifier-core and jose (tests/plugins/interop.py) get what the City publishes
after `issuer keys revoke KID` (the DID document without the key, the status lists signed with
the current key) and nothing else: they know nothing of revoked keys, so the old badge's key
simply does not resolve; the re-issued badge verifies as any genuine one. The same old badge
with the DID document published before the revocation verifies, so the failure is the key's.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from issuer.issuance.issue_requests import IssuedBadge, IssueRequest
from issuer.issuance.service import IssuerService
from issuer.settings import Settings
from issuer.workspace.key_incident import revoke_key

pytestmark = pytest.mark.interop

AWARD = IssueRequest("petit-dejeuner-inclusion-numerique", "intervenante@example.org",
                     event_number=7, role="intervenant")


def published(service: IssuerService) -> dict[str, Any]:
    """The DID document and every status list, as the City's web server answers them now."""
    documents: dict[str, Any] = {service.issuer_did: service.did_document()}
    for list_id in service.status_list_ids():
        for purpose in ("revocation", "suspension"):
            status_list = service.status_list_credential(list_id, purpose)
            documents[status_list["id"]] = status_list
    return documents


def request(badge: IssuedBadge, documents: dict[str, Any]) -> dict[str, Any]:
    # The verifiers' own clock: the status lists are signed now (validFrom), like the new badge.
    return {"credential": badge.credential, "jwt": badge.credential_jwt, "documents": documents}


@pytest.fixture(scope="module")
def verdicts(third_party_verifiers_batch, tmp_path_factory: pytest.TempPathFactory
             ) -> dict[str, dict[str, Any]]:
    home: Path = tmp_path_factory.mktemp("key-incident-issuer")
    service = IssuerService(Settings.load(home=home, base_url="https://badges.example.org"))
    service.init()
    old = service.issue(AWARD)
    before = published(service)
    report = revoke_key(service, service.keystore.active_key("Ed25519").kid, "compromise")
    [pair] = report.reissued
    after = published(service)
    reissued = service.credential(pair.new_id)
    scenarios = {
        "old badge, documents before the revocation": request(old, before),
        "old badge, documents after the revocation": request(old, after),
        "re-issued badge, documents after the revocation": request(reissued, after),
    }
    results = third_party_verifiers_batch(list(scenarios.values()))
    return {**dict(zip(scenarios, results, strict=True)),
            "revoked method": {"id": old.credential["proof"][0]["verificationMethod"]}}


def test_the_old_badge_verified_before_the_revocation(verdicts) -> None:
    verdict = verdicts["old badge, documents before the revocation"]
    assert verdict["digitalBazaar"]["verified"] is True, verdict["digitalBazaar"]["error"]
    assert verdict["verifierCore"]["verified"] is True, verdict["verifierCore"]["errors"]


def test_the_old_badge_fails_once_its_key_left_the_did_document(verdicts) -> None:
    verdict = verdicts["old badge, documents after the revocation"]
    db, core = verdict["digitalBazaar"], verdict["verifierCore"]
    assert db["verified"] is False and db["proofVerified"] is False
    assert f'{verdicts["revoked method"]["id"]}" not found' in db["proofError"]
    assert core["verified"] is False
    assert [error["name"] for error in core["errors"]] == ["invalid_signature"]
    # The badge is also revoked in the list (superseded), read with the current key.
    [status] = db["statuses"]
    assert (status["value"], status["listVerified"]) == (True, True)


def test_the_reissued_badge_verifies_in_every_stack(verdicts) -> None:
    verdict = verdicts["re-issued badge, documents after the revocation"]
    db, core, jose = verdict["digitalBazaar"], verdict["verifierCore"], verdict["jose"]
    assert db["verified"] is True, db["error"]
    [status] = db["statuses"]
    assert (status["value"], status["listVerified"]) == (False, True)
    assert core["verified"] is True, core["errors"]
    assert (core["revoked"], core["expired"]) == (False, False)
    assert jose["verified"] is True, jose["error"]
    for section in (db, core, jose):
        assert section["unresolved"] == []
