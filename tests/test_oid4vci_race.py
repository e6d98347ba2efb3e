"""Two wallets racing for one offer get one credential (issue #12 item 6), on SQLite and on
PostgreSQL: threads, each with its own session, start together at a barrier; the conditional
UPDATEs of issuer.wallet.oid4vci decide, not the order the threads happen to run in."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

import pytest
from cryptography.hazmat.primitives.asymmetric import ed25519
from sqlalchemy import func, select

from issuer.issuance.issue_requests import IssueRequest
from issuer.issuance.service import IssuerService
from issuer.settings import Settings
from issuer.storage.wallet_models import HolderCopyRow
from issuer.wallet import oid4vci
from issuer.wallet.oid4vci_errors import Oid4vciError
from tests.plugins.factory import ServiceFactory
from tests.test_oid4vci_proof import Wallet

BASE_URL = "https://badges.example.org"
GRANT = "urn:ietf:params:oauth:grant-type:pre-authorized_code"
RACERS = 4
T = TypeVar("T")


@pytest.fixture
def service(database_url: str, tmp_path: Path, service_factory: ServiceFactory) -> IssuerService:
    return service_factory(Settings(home=tmp_path / "home", base_url=BASE_URL,
                                    database_url=database_url))


def race(attempt: Callable[[int], T]) -> list[T | Oid4vciError]:
    """Run `attempt(i)` in RACERS threads released together; each outcome or refusal."""
    barrier = threading.Barrier(RACERS)
    outcomes: list[T | Oid4vciError] = [Oid4vciError("unset", "", "")] * RACERS

    def run(index: int) -> None:
        barrier.wait()
        try:
            outcomes[index] = attempt(index)
        except Oid4vciError as error:
            outcomes[index] = error

    threads = [threading.Thread(target=run, args=(index,)) for index in range(RACERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return outcomes


def offered_code(service: IssuerService) -> tuple[str, str]:
    badge = service.issue(IssueRequest("petit-dejeuner-inclusion-numerique",
                                       "course@example.org", event_number=8, role="participant"))
    with service.database.session() as session:
        offer = oid4vci.create_offer(service, session, badge.credential_id, tx_code=False)
        token = offer.credential_offer_uri.rsplit("/", 1)[1]
        code = oid4vci.offer_document(service, session, token)["grants"][GRANT][
            "pre-authorized_code"]
    return badge.credential_id, code


def test_racing_wallets_get_one_access_token(service: IssuerService) -> None:
    _badge, code = offered_code(service)

    def exchange(_index: int) -> oid4vci.TokenGrant:
        with service.database.session() as session:
            try:
                return oid4vci.exchange_pre_authorized_code(
                    service, session, {"grant_type": GRANT, "pre-authorized_code": code})
            except Oid4vciError as error:
                refusal = error  # committed, as the endpoint does
        raise refusal

    outcomes = race(exchange)
    grants = [outcome for outcome in outcomes if isinstance(outcome, oid4vci.TokenGrant)]
    refusals = [outcome for outcome in outcomes if isinstance(outcome, Oid4vciError)]

    assert len(grants) == 1
    assert [refusal.oauth_error for refusal in refusals] == ["invalid_grant"] * (RACERS - 1)


def test_racing_requests_with_one_access_token_get_one_credential(
        service: IssuerService) -> None:
    badge_id, code = offered_code(service)
    with service.database.session() as session:
        grant = oid4vci.exchange_pre_authorized_code(
            service, session, {"grant_type": GRANT, "pre-authorized_code": code})
    wallets = [Wallet(ed25519.Ed25519PrivateKey.generate()) for _ in range(RACERS)]
    with service.database.session() as session:
        bodies = [{"credential_configuration_id": "event_ldp_vc",
                   "proofs": {"jwt": [wallet.proof(nonce=oid4vci.issue_nonce(session),
                                                   aud=BASE_URL, iat=datetime.now(UTC))]}}
                  for wallet in wallets]

    def redeem(index: int) -> dict[str, Any]:
        with service.database.session() as session:
            try:
                return oid4vci.redeem_credential_request(service, session, grant.access_token,
                                                         bodies[index])
            except Oid4vciError as error:
                refusal = error
        raise refusal

    outcomes = race(redeem)
    answers = [outcome for outcome in outcomes if isinstance(outcome, dict)]
    refusals = [outcome for outcome in outcomes if isinstance(outcome, Oid4vciError)]

    assert len(answers) == 1
    assert [refusal.oauth_error for refusal in refusals] == ["invalid_token"] * (RACERS - 1)
    winner = answers[0]["credentials"][0]["credential"]["credentialSubject"]["id"]
    assert winner in {wallet.did for wallet in wallets}
    with service.database.session(read_only=True) as session:
        copies = session.scalar(select(func.count()).select_from(HolderCopyRow).where(
            HolderCopyRow.original_id == badge_id))
    assert copies == 1
