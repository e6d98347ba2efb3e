"""The VC-API issuance exchange to the end (issue #12, items 2 and 6), in-process: a wallet
(tests/vp_signing.py: the proofs LCW's libraries write, Ed25519Signature2020, and
eddsa-rdfc-2022) answers the presentation request; the service checks the DIDAuth
presentation and hands over the holder-bound copy. Every refusal a wallet may meet, and two
wallets racing for one exchange on SQLite and PostgreSQL. The same exchange with the Node
wallet over a real socket: tests/test_interop_wallet_exchange.py."""

from __future__ import annotations

import json
import threading
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select

from issuer.issuance.service import IssuerService
from issuer.issuance.verification_context import verification_context_for
from issuer.network.skill_badges import SkillEvidence, create_skill_badge, issue_skill_badge
from issuer.openbadges.verification import verify
from issuer.storage.exchange_models import WalletExchange
from issuer.storage.models import AuditEntry
from issuer.storage.wallet_models import HolderCopyRow
from issuer.tokens import token_digest
from issuer.wallet import exchanges, holder_links
from issuer.wallet.presentation_check import check_did_auth, issue_ldp_copy
from tests.plugins.admin import BASE_URL
from tests.vp_signing import Wallet, presentation, sign_presentation

CAMILLE = "camille.mediatrice@example.org"
JSON = {"accept": "application/json", "content-type": "application/json"}


class FakeClock:
    def __init__(self) -> None:
        self.now = datetime.now(UTC).replace(microsecond=0)

    def __call__(self) -> datetime:
        return self.now


def _setup(app: FastAPI, service: IssuerService) -> tuple[str, str]:
    create_skill_badge(service, "skill", "ACC-01", actor="coordinatrice@ville-roubaix.example")
    issued = issue_skill_badge(service, "competence-acc-01", email=CAMILLE, name="Camille",
                               given=SkillEvidence(narrative="Observé en atelier."),
                               actor="coordinatrice@ville-roubaix.example", send_email=False)
    recipient_id = holder_links.badge_holder(service, issued.credential_id)
    assert recipient_id is not None
    return issued.credential_id, recipient_id


@pytest.fixture
def city(admin_app: tuple[FastAPI, IssuerService]) -> tuple[FastAPI, IssuerService, str, str]:
    app, service = admin_app
    app.state.mediator_clock = FakeClock()
    credential_id, recipient_id = _setup(app, service)
    return app, service, credential_id, recipient_id


def wallet_client(app: FastAPI) -> TestClient:
    return TestClient(app, base_url=BASE_URL, follow_redirects=False)


def new_exchange(service: IssuerService, credential_id: str, recipient_id: str,
                 now: datetime | None = None) -> str:
    return exchanges.create_exchange(service, credential_id, recipient_id, now=now).token


def ask(client: TestClient, token: str) -> dict[str, Any]:
    answer = client.post(f"/portefeuille/echanges/{token}", content=b"{}", headers=JSON)
    assert answer.status_code == 200, answer.text
    request: dict[str, Any] = answer.json()["verifiablePresentationRequest"]
    return request


def present(client: TestClient, token: str, signed: dict[str, Any]) -> Any:
    return client.post(f"/portefeuille/echanges/{token}", headers=JSON,
                       content=json.dumps({"verifiablePresentation": signed}).encode())


def did_auth(wallet: Wallet, request: dict[str, Any], **options: Any) -> dict[str, Any]:
    model = options.pop("model", "1.1")
    return sign_presentation(presentation(wallet.did, model=model), wallet,
                             challenge=options.pop("challenge", request["challenge"]),
                             domain=options.pop("domain", request["domain"]), **options)


def copies(service: IssuerService) -> list[HolderCopyRow]:
    with service.database.session(read_only=True) as session:
        return list(session.scalars(select(HolderCopyRow)))


@pytest.mark.parametrize(("suite", "model"), [("Ed25519Signature2020", "1.1"),
                                              ("DataIntegrityProof", "2.0")])
def test_a_wallet_receives_a_copy_bound_to_its_did(city: Any, suite: str, model: str) -> None:
    app, service, credential_id, recipient_id = city
    token = new_exchange(service, credential_id, recipient_id)
    client = wallet_client(app)
    wallet = Wallet.new()
    answer = present(client, token, did_auth(wallet, ask(client, token), suite=suite,
                                             model=model))
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert "verifiablePresentationRequest" not in body  # LCW's loop ends here
    vp = body["verifiablePresentation"]
    assert vp["type"] == ["VerifiablePresentation"]
    [credential] = vp["verifiableCredential"]
    assert credential["credentialSubject"]["id"] == wallet.did
    assert credential["proof"][0]["cryptosuite"] == "eddsa-rdfc-2022"
    report = verify(credential, verification_context_for(service, untrusted=False))
    assert report.verdict == "valid", report.summary("en")
    [row] = copies(service)
    assert row.original_id == credential_id and row.holder_did == wallet.did
    with service.database.session(read_only=True) as session:
        exchange = session.get(WalletExchange, token_digest(token))
        assert exchange is not None and exchange.state == "complete"
        assert exchange.copy_id == row.id and exchange.holder_did == wallet.did
        actions = list(session.scalars(select(AuditEntry.action).where(
            AuditEntry.action.like("wallet.%"))))
    assert actions == ["wallet.exchange_created", "wallet.exchange_started",
                       "wallet.exchange_completed"]


def test_a_replayed_exchange_gives_nothing_more(city: Any) -> None:
    app, service, credential_id, recipient_id = city
    token = new_exchange(service, credential_id, recipient_id)
    client = wallet_client(app)
    signed = did_auth(Wallet.new(), ask(client, token))
    assert present(client, token, signed).status_code == 200
    again = present(client, token, signed)
    assert again.status_code == 410
    assert again.json()["error"]["code"] == "wallet.exchange_used"
    other = present(client, token, did_auth(Wallet.new(), {"challenge": "x", "domain": "y"}))
    assert other.status_code == 410
    assert client.post(f"/portefeuille/echanges/{token}", content=b"{}",
                       headers=JSON).status_code == 410
    assert len(copies(service)) == 1


@pytest.mark.parametrize(("change", "code"), [
    ({"challenge": "0" * 64}, "wallet.challenge.mismatch"),
    ({"domain": "wallet-phishing.example"}, "wallet.domain.mismatch"),
    ({"challenge": None}, "wallet.challenge."),
    ({"purpose": "assertionMethod"}, "wallet.holder_proof."),
])
def test_a_presentation_for_something_else_is_refused(city: Any, change: dict[str, Any],
                                                      code: str) -> None:
    app, service, credential_id, recipient_id = city
    token = new_exchange(service, credential_id, recipient_id)
    client = wallet_client(app)
    request = ask(client, token)
    answer = present(client, token, did_auth(Wallet.new(), request, **change))
    assert answer.status_code == 400, answer.text
    assert answer.json()["error"]["code"].startswith(code), answer.json()
    assert answer.json()["error"]["message_fr"].startswith("Présentation refusée")
    assert copies(service) == []
    # A refusal leaves the exchange open: the wallet may still answer correctly.
    assert present(client, token, did_auth(Wallet.new(), request)).status_code == 200


def test_a_proof_by_another_key_is_refused(city: Any) -> None:
    app, service, credential_id, recipient_id = city
    token = new_exchange(service, credential_id, recipient_id)
    client = wallet_client(app)
    request = ask(client, token)
    holder, thief = Wallet.new(), Wallet.new()
    signed = sign_presentation(presentation(holder.did, model="1.1"), thief,
                               challenge=request["challenge"], domain=request["domain"])
    answer = present(client, token, signed)
    assert answer.status_code == 400 and copies(service) == []
    forged = sign_presentation(presentation(holder.did, model="1.1"), thief,
                               challenge=request["challenge"], domain=request["domain"],
                               method=holder.method)
    assert present(client, token, forged).status_code == 400 and copies(service) == []


def test_a_stale_proof_is_refused(city: Any) -> None:
    app, service, credential_id, recipient_id = city
    token = new_exchange(service, credential_id, recipient_id)
    client = wallet_client(app)
    request = ask(client, token)
    old = did_auth(Wallet.new(), request,
                   created=app.state.mediator_clock() - timedelta(hours=2))
    answer = present(client, token, old)
    assert answer.status_code == 400 and "freshness" in answer.json()["error"]["code"]


def test_an_expired_exchange_gives_nothing(city: Any) -> None:
    app, service, credential_id, recipient_id = city
    clock = app.state.mediator_clock
    token = new_exchange(service, credential_id, recipient_id, now=clock.now)
    client = wallet_client(app)
    signed = did_auth(Wallet.new(), ask(client, token))
    clock.now += timedelta(minutes=10, seconds=1)
    answer = present(client, token, signed)
    assert answer.status_code == 410
    assert answer.json()["error"]["code"] == "wallet.exchange_expired"
    assert copies(service) == []


def test_the_badge_revoked_meanwhile_is_not_handed_over(city: Any) -> None:
    app, service, credential_id, recipient_id = city
    token = new_exchange(service, credential_id, recipient_id)
    client = wallet_client(app)
    signed = did_auth(Wallet.new(), ask(client, token))
    service.revoke(credential_id, "Délivré par erreur")
    answer = present(client, token, signed)
    assert answer.status_code == 409 and copies(service) == []


@pytest.mark.parametrize("database", ["sqlite", pytest.param("postgresql",
                                                             marks=pytest.mark.postgres)])
def test_two_wallets_racing_for_one_exchange_get_one_copy(database: str, admin_app_on: Any,
                                                          request: pytest.FixtureRequest,
                                                          tmp_path: Any) -> None:
    if database == "postgresql":
        url = request.getfixturevalue("postgres_url")
    else:
        url = f"sqlite:///{tmp_path / 'race.sqlite3'}"
    app, service = admin_app_on(url)
    credential_id, recipient_id = _setup(app, service)
    token = new_exchange(service, credential_id, recipient_id)
    request_body = exchanges.start_exchange(service, token)["verifiablePresentationRequest"]
    wallets = [Wallet.new() for _ in range(4)]
    signed = [did_auth(wallet, request_body) for wallet in wallets]
    start = threading.Barrier(len(wallets))
    outcomes: list[str] = []

    def finish(document: dict[str, Any]) -> None:
        start.wait()
        try:
            exchanges.finish_exchange(service, token, document, check=check_did_auth,
                                      issue_copy=issue_ldp_copy)
            outcomes.append("copy")
        except Exception as error:  # noqa: BLE001 - the refusal is the outcome measured
            outcomes.append(getattr(error, "code", repr(error)))

    threads = [threading.Thread(target=finish, args=(document,)) for document in signed]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(outcomes) == ["copy"] + ["wallet.exchange_used"] * (len(wallets) - 1), outcomes
    [row] = copies(service)
    assert row.holder_did in {wallet.did for wallet in wallets}
