"""The issuing service on both databases it supports (SQLite by default, PostgreSQL in
production), including two coordinators issuing for the same event at the same time."""

from __future__ import annotations

import json
import threading
from pathlib import Path

import pytest

from issuer.issuance.issue_requests import IssueRequest
from issuer.issuance.service import IssuerService
from issuer.settings import Settings
from issuer.storage import models as rows
from tests.plugins.factory import ServiceFactory


@pytest.fixture
def service(database_url: str, tmp_path: Path, service_factory: ServiceFactory) -> IssuerService:
    return service_factory(Settings.load(home=tmp_path, base_url="https://badges.example.org",
                                         database_url=database_url))


def _attendees(start: int, stop: int) -> list[IssueRequest]:
    return [IssueRequest("petit-dejeuner-inclusion-numerique", f"personne{i}@example.org",
                         f"Personne {i}", event_number=10) for i in range(start, stop)]


def test_issue_revoke_and_status_list_on_this_database(service: IssuerService) -> None:
    issued = service.issue(_attendees(0, 1)[0])
    stored = service.credential(issued.credential_id)
    assert stored.credential_json == issued.credential_json  # exactly as issued
    assert json.loads(stored.credential_json)["proof"][0]["cryptosuite"] == "eddsa-rdfc-2022"
    service.revoke(issued.credential_id, "erreur de saisie")
    status = issued.credential["credentialStatus"]
    list_id = int(status["statusListCredential"].rsplit("/", 2)[-2])
    from issuer.openbadges.status_list import read_status_bit
    assert read_status_bit(service.status_list_credential(list_id, "revocation"), status)


def test_init_twice_keeps_keys_and_data(service: IssuerService) -> None:
    issued = service.issue(_attendees(0, 1)[0])
    assert service.init() == []
    assert service.credential(issued.credential_id).credential_json == issued.credential_json


def test_two_coordinators_issuing_the_same_event_at_once_issue_each_badge_once(
        service: IssuerService) -> None:
    # Both lists overlap on 20 people: each person must get exactly one badge.
    lists = [_attendees(0, 60), _attendees(40, 100)]
    errors: list[BaseException] = []
    results: list[list[str]] = [[], []]

    def run(index: int) -> None:
        try:
            worker = IssuerService(service.settings)
            results[index] = [badge.credential_id for badge in worker.issue_many(lists[index], chunk=10)]
        except BaseException as error:  # noqa: BLE001 - reported below
            errors.append(error)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not errors, errors
    with service.database.session(read_only=True) as session:
        credentials = session.query(rows.IssuedCredential).all()
    assert len(credentials) == 100
    assert len({(c.status_list_id, c.status_index) for c in credentials}) == 100
    assert all(c.credential_json and c.credential_jwt for c in credentials)
    # The overlapping people got the same credential back in both runs.
    assert set(results[0][40:]) == set(results[1][:20])
