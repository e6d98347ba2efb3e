"""Verifying our own badges under load (issue #10, item 3): public keys read once, no private
key file opened by verification, and verifications cached by credential, status and validity,
with every status change seen at the very next view.

A real service in a temporary ISSUER_HOME (SQLite, generated keys) issues badges; pages and the
API are driven through FastAPI's TestClient. Status changes are also made by a second
`IssuerService` on the same home, as `issuer revoke` in another process would.
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from issuer.issuance import own_verification
from issuer.issuance.issue_requests import IssuedBadge, IssueRequest
from issuer.issuance.keys import METADATA_FILE, KeyStore
from issuer.issuance.own_verification import OwnVerificationCache, fresh_until, verify_own
from issuer.issuance.service import IssuerService
from issuer.settings import Settings
from issuer.web import create_app

BASE_URL = "https://badges.example.org"
VALID = 'class="verdict valid"'
INVALID = 'class="verdict invalid"'


@pytest.fixture
def home(tmp_path: Path) -> Iterator[Path]:
    with pytest.MonkeyPatch.context() as patch:
        for variable in [name for name in os.environ if name.startswith("ISSUER_")]:
            patch.delenv(variable)
        patch.delenv("DATABASE_URL", raising=False)
        patch.setenv("ISSUER_HOME", str(tmp_path))
        patch.setenv("ISSUER_BASE_URL", BASE_URL)
        IssuerService(Settings.load()).init()
        yield tmp_path


@pytest.fixture
def service(home: Path) -> IssuerService:
    return IssuerService(Settings.load())


@pytest.fixture
def client(service: IssuerService) -> TestClient:
    return TestClient(create_app(service.settings, service))


def _issue(service: IssuerService, email: str = "camille@example.org") -> IssuedBadge:
    return service.issue(IssueRequest("petit-dejeuner-inclusion-numerique", email,
                                      name="Camille Exemple", event_number=10,
                                      role="participant"))


def _other_process(home: Path) -> IssuerService:
    """Another IssuerService on the same files and database: what the CLI is."""
    return IssuerService(Settings.load())


def _page(client: TestClient, issued: IssuedBadge) -> str:
    response = client.get(f"/credentials/{issued.credential_id}")
    assert response.status_code == 200
    return response.text


@pytest.fixture
def verifications(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every full run of `verify()` for our own credentials (cache misses)."""
    runs: list[str] = []
    real = own_verification.verify

    def counting(data: Any, context: Any) -> Any:
        runs.append(str(data)[:40])
        return real(data, context)

    monkeypatch.setattr(own_verification, "verify", counting)
    return runs


# --- status changes are seen at the next view ---------------------------------------------------

def test_a_revocation_by_another_process_shows_at_the_next_view(
        home: Path, service: IssuerService, client: TestClient, verifications: list[str]) -> None:
    issued = _issue(service)
    assert VALID in _page(client, issued)
    assert VALID in _page(client, issued)
    assert len(verifications) == 1  # the second view reused the first verification

    _other_process(home).revoke(issued.credential_id, "erreur de saisie")
    page = _page(client, issued)
    assert INVALID in page
    assert "Révoqué le" in page
    assert len(verifications) == 2


def test_suspension_and_unsuspension_show_at_the_next_view(
        home: Path, service: IssuerService, client: TestClient) -> None:
    issued = _issue(service)
    assert VALID in _page(client, issued)
    cli = _other_process(home)
    cli.suspend(issued.credential_id, "vérification en cours")
    assert INVALID in _page(client, issued)
    cli.unsuspend(issued.credential_id)
    assert VALID in _page(client, issued)
    cli.suspend(issued.credential_id)
    assert INVALID in _page(client, issued)


def test_a_status_change_made_during_a_verification_is_not_cached_under_the_old_status(
        home: Path, service: IssuerService, monkeypatch: pytest.MonkeyPatch) -> None:
    issued = _issue(service)
    cli = _other_process(home)
    real = own_verification.verify

    def suspended_meanwhile(data: Any, context: Any) -> Any:
        # The status list is read after the row: the change lands between the two.
        cli.suspend(issued.credential_id)
        return real(data, context)

    monkeypatch.setattr(own_verification, "verify", suspended_meanwhile)
    report, _ = verify_own(service, "badge", issued.credential_id, issued.credential_json)
    assert report.suspended is True
    assert len(service.own_verifications) == 0  # read as "not suspended": not kept

    monkeypatch.setattr(own_verification, "verify", real)
    cli.unsuspend(issued.credential_id)  # back to the status read before the change
    report, _ = verify_own(service, "badge", issued.credential_id, issued.credential_json)
    assert report.verdict == "valid"


def test_the_api_answers_our_own_credential_from_the_cache_and_sees_a_revocation(
        home: Path, service: IssuerService, client: TestClient, verifications: list[str]) -> None:
    issued = _issue(service)
    body = issued.credential_json.encode("utf-8")
    headers = {"content-type": "application/json"}
    for _ in range(3):
        answer = client.post("/api/v1/verify", content=body, headers=headers).json()
        assert answer["verdict"] == "valid"
    jwt = client.post("/api/v1/verify", content=issued.credential_jwt,
                      headers={"content-type": "application/jwt"}).json()
    assert jwt["verdict"] == "valid" and jwt["input_format"] == "jwt"
    assert len(verifications) == 2  # one for the JSON, one for the JWT

    _other_process(home).revoke(issued.credential_id, "erreur")
    answer = client.post("/api/v1/verify", content=body, headers=headers).json()
    assert (answer["verdict"], answer["revoked"]) == ("invalid", True)


def test_a_credential_that_is_not_byte_identical_is_verified_live(
        service: IssuerService, client: TestClient, verifications: list[str]) -> None:
    issued = _issue(service)
    reformatted = json.dumps(json.loads(issued.credential_json)).encode("utf-8")
    assert own_verification.own_stored_credential(service, reformatted) is None
    for _ in range(2):
        answer = client.post("/api/v1/verify", content=reformatted,
                             headers={"content-type": "application/json"}).json()
        assert answer["verdict"] == "valid"
    assert verifications == []  # the live path, never the cache of our own credentials
    assert len(service.own_verifications) == 0


def test_concurrent_views_of_one_badge_verify_it_once(
        service: IssuerService, verifications: list[str]) -> None:
    issued = _issue(service)
    verdicts: list[str] = []
    start = threading.Barrier(8)

    def view() -> None:
        start.wait()
        report, _ = verify_own(service, "badge", issued.credential_id, issued.credential_json)
        verdicts.append(report.verdict)

    threads = [threading.Thread(target=view) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert verdicts == ["valid"] * 8
    assert len(verifications) == 1


# --- the clock --------------------------------------------------------------------------------------

def test_a_cached_verification_ends_when_the_badge_expires(service: IssuerService) -> None:
    issued = _issue(service)
    report, _status = verify_own(service, "badge", issued.credential_id, issued.credential_json)
    now = datetime.now(UTC)
    soon = now + timedelta(seconds=30)
    assert fresh_until(replace(report, valid_until=soon), now) == soon
    assert fresh_until(replace(report, valid_until=None), now) == now + own_verification.MAX_AGE

    cache = OwnVerificationCache()
    cache.store(("k",), report, soon)
    assert cache.lookup(("k",), now) is report
    assert cache.lookup(("k",), soon) is None  # at validUntil: verified again


# --- keys ----------------------------------------------------------------------------------------

def test_a_key_rotation_by_another_process_is_noticed_without_restart(
        home: Path, service: IssuerService, client: TestClient) -> None:
    before = _issue(service, "avant@example.org")
    assert VALID in _page(client, before)
    cli = _other_process(home)
    new_kids = {key.kid for key in cli.rotate_keys()}
    # The running service publishes the new keys and verifies what they signed...
    did_document = client.get("/.well-known/did.json").json()
    assert new_kids <= {method["id"].split("#")[1] for method in did_document["verificationMethod"]}
    after = _issue(cli, "apres@example.org")
    assert json.loads(after.credential_json)["proof"][0]["verificationMethod"].split("#")[1] \
        in new_kids
    assert VALID in _page(client, after)
    # ...and signs with them from now on, while the old badge still verifies.
    assert _issue(service, "ensuite@example.org").credential_json.count(next(iter(
        k for k in new_kids if k.startswith("key-ed25519")))) == 1
    assert VALID in _page(client, before)


def test_verification_opens_no_private_key_file(
        home: Path, service: IssuerService, client: TestClient,
        monkeypatch: pytest.MonkeyPatch) -> None:
    issued = _issue(service)  # the running service signs, so it holds its signing key
    opened: list[Path] = []
    real = KeyStore._read_key_file

    def counting(self: KeyStore, path: Path, entry: dict[str, Any]) -> Any:
        opened.append(path)
        return real(self, path, entry)

    monkeypatch.setattr(KeyStore, "_read_key_file", counting)
    private_files = sorted((home / "keys").glob("*.pem"))
    for path in private_files:
        path.chmod(0o000)  # unreadable from now on (root could still read: hence the count)
    try:
        assert VALID in _page(client, issued)
        assert client.get("/.well-known/did.json").status_code == 200
        assert client.get("/").status_code == 200
        _other_process(home).revoke(issued.credential_id, "erreur")
        assert INVALID in _page(client, issued)  # the list re-signed with the key in memory
        answer = client.post("/api/v1/verify", content=issued.credential_json.encode(),
                             headers={"content-type": "application/json"}).json()
        assert answer["revoked"] is True
        # A process that never signed builds its DID document from public halves only.
        fresh = IssuerService(Settings.load())
        assert fresh.keystore.has_keys()
        assert {m["id"].split("#")[1] for m in fresh.did_document()["verificationMethod"]} == {
            key.kid for key in service.keystore.public_keys()}
    finally:
        for path in private_files:
            path.chmod(0o600)
    assert opened == []


def test_public_keys_are_recorded_beside_the_private_ones(home: Path) -> None:
    metadata = json.loads((home / "keys" / METADATA_FILE).read_text("utf-8"))
    assert all(entry["public_key"].startswith("-----BEGIN PUBLIC KEY-----")
               for entry in metadata["keys"])
    store = KeyStore(home / "keys", environment={})
    assert [k.kid for k in store.public_keys()] == [k.kid for k in store.keys()]
    assert all(k.private_key is None for k in store.public_keys())


def test_keys_are_read_once_per_generation(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    store = KeyStore(home / "keys", environment={})
    loads: list[str] = []
    real = KeyStore._load_pem

    def counting(self: KeyStore, pem: bytes, origin: str) -> Any:
        loads.append(origin)
        return real(self, pem, origin)

    monkeypatch.setattr(KeyStore, "_load_pem", counting)
    for _ in range(5):
        store.active_key("RSA")
        store.public_keys()
        assert store.has_keys()
    assert len(loads) == 2  # the two private keys, once
    store.rotate(("RSA",))
    assert store.active_key("RSA").kid in {k.kid for k in store.public_keys()}
    assert len(loads) == 2 + 2 + 1  # after the change: both read again, and the new RSA key


# --- bounds ----------------------------------------------------------------------------------------

def test_the_cache_is_bounded(service: IssuerService, client: TestClient) -> None:
    service.own_verifications = OwnVerificationCache(max_entries=2)
    badges = [_issue(service, f"personne{n}@example.org") for n in range(4)]
    for issued in badges:
        assert VALID in _page(client, issued)
    assert len(service.own_verifications) == 2
    assert VALID in _page(client, badges[0])  # evicted, verified again
    assert len(service.own_verifications) == 2
