"""A wallet built on the OpenWallet Foundation's OpenID4VCI client library runs the
pre-authorized code flow against the running service, in both formats (issue #12 item 3).

`tests/interop/oid4vci-wallet.mjs` is the wallet: `@openid4vc/openid4vci` 0.4.6 (the library
of the Credo-based wallets) resolves the offer from its `openid-credential-offer://` link,
reads the issuer and authorization server metadata, exchanges the pre-authorized code (and the
transaction code) for an access token, asks the nonce endpoint, signs the `jwt` proof with its
own key (did:key Ed25519 or a bare P-256 `jwk`) and asks for the credential. The service is
`live_server` (uvicorn on a loopback port, issuer `did:web:127.0.0.1%3A<port>`, see
tests/test_interop_live_service.py); the library refuses `http://` URLs unless its
`allowInsecureUrls` option is on, which the wallet script sets.

What the wallet received is then handed, with the DID document and status lists fetched from
the same server, to the third-party verifiers: Digital Bazaar and verifier-core for the
`ldp_vc` copy, jose for the `jwt_vc_json` one (verifier-core reads no JWT: README "OpenID4VCI").
Refusals are checked as the library reports them: replay, expiry, a wrong transaction code,
a proof signed by another key than the one it names.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import jwt as pyjwt
import pytest

from issuer.issuance.issue_requests import IssueRequest
from issuer.openbadges.did import did_web_document_url
from issuer.wallet import oid4vci
from tests.plugins.browser import LiveServer
from tests.plugins.interop import INTEROP_DIR, _require_node, _run_node

pytestmark = pytest.mark.interop

WALLET_SCRIPT = INTEROP_DIR / "oid4vci-wallet.mjs"
HOLDER = IssueRequest("petit-dejeuner-inclusion-numerique", "portefeuille.live@example.org",
                      event_number=8, role="participant")

Wallet = Callable[..., dict[str, Any]]


@pytest.fixture(scope="module")
def wallet() -> Wallet:
    _require_node()

    def run(offer: str, *, tx_code: str | None = None, key: str = "ed25519",
            forge_proof: bool = False, replay: bool = False) -> dict[str, Any]:
        request = {"offer": offer, "txCode": tx_code, "key": key, "forgeProof": forge_proof,
                   "replay": replay}
        result: dict[str, Any] = _run_node(WALLET_SCRIPT, json.dumps(request), 120)
        return result

    return run


@pytest.fixture(scope="module")
def badge_id(live_server: LiveServer) -> str:
    return live_server.service.issue(HOLDER, actor="tests").credential_id


@pytest.fixture(scope="module")
def client(live_server: LiveServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=live_server.base_url, timeout=10, trust_env=False) as http:
        yield http


def offer(live_server: LiveServer, badge_id: str, *, tx_code: bool = False,
          fmt: oid4vci.Format = "ldp_vc", now: datetime | None = None) -> oid4vci.Offer:
    service = live_server.service
    with service.database.session() as session:
        return oid4vci.create_offer(service, session, badge_id, tx_code=tx_code, fmt=fmt,
                                    now=now)


def steps(result: dict[str, Any]) -> dict[str, tuple[bool, str | None]]:
    return {step["step"]: (step["ok"], step["error"]) for step in result["steps"]}


@pytest.fixture(scope="module")
def received(live_server: LiveServer, badge_id: str, wallet: Wallet) -> dict[str, Any]:
    """One ldp_vc flow (did:key, transaction code, then replays) and one jwt_vc_json flow
    (bare P-256 jwk)."""
    ldp_offer = offer(live_server, badge_id, tx_code=True)
    ldp = wallet(ldp_offer.deep_link, tx_code=ldp_offer.tx_code, replay=True)
    jwt_offer = offer(live_server, badge_id, fmt="jwt_vc_json")
    jwt = wallet(jwt_offer.deep_link, key="p256")
    return {"ldp_vc": ldp, "jwt_vc_json": jwt}


@pytest.fixture(scope="module")
def verdicts(received: dict[str, Any], client: httpx.Client, live_server: LiveServer,
             third_party_verifiers_batch: Callable[..., list[dict[str, Any]]]
             ) -> dict[str, dict[str, Any]]:
    did = live_server.service.issuer_did
    credential = received["ldp_vc"]["credential"]
    jwt_claims = pyjwt.decode(received["jwt_vc_json"]["credential"],
                              options={"verify_signature": False})
    jwt_vc = jwt_claims.get("vc", jwt_claims)
    documents: dict[str, Any] = {did: client.get(did_web_document_url(did)).json()}
    for status in (credential["credentialStatus"], jwt_vc["credentialStatus"]):
        url = status["statusListCredential"]
        documents[url] = client.get(url, headers={"accept": "application/ld+json"}).json()
    results = third_party_verifiers_batch([
        {"credential": credential, "documents": documents},
        {"jwt": received["jwt_vc_json"]["credential"], "documents": documents},
    ])
    return {"ldp_vc": results[0], "jwt_vc_json": results[1]}


def test_the_library_completes_the_flow_in_both_formats(received: dict[str, Any]) -> None:
    for fmt, configuration in (("ldp_vc", "event_ldp_vc"), ("jwt_vc_json", "event_jwt_vc_json")):
        result = received[fmt]
        assert result["configurationId"] == configuration
        for name in ("offer", "metadata", "token", "nonce", "credential"):
            assert steps(result)[name] == (True, None), result["steps"]


def test_the_ldp_vc_copy_is_bound_to_the_wallets_did_key(received: dict[str, Any]) -> None:
    result = received["ldp_vc"]
    credential = result["credential"]
    assert result["holderDid"].startswith("did:key:z6Mk")
    assert credential["credentialSubject"]["id"] == result["holderDid"]
    assert [proof["cryptosuite"] for proof in credential["proof"]] == ["eddsa-rdfc-2022"]


def test_the_jwt_copy_is_bound_to_the_did_jwk_of_the_wallets_bare_key(
        received: dict[str, Any]) -> None:
    claims = pyjwt.decode(received["jwt_vc_json"]["credential"],
                          options={"verify_signature": False})
    subject = claims.get("vc", claims)["credentialSubject"]["id"]
    assert subject.startswith("did:jwk:")
    assert claims["sub"] == subject


def test_the_ldp_vc_copy_verifies_in_digital_bazaar_and_verifier_core(
        verdicts: dict[str, dict[str, Any]]) -> None:
    db, core = verdicts["ldp_vc"]["digitalBazaar"], verdicts["ldp_vc"]["verifierCore"]
    assert db["verified"] is True, db["error"]
    [status] = db["statuses"]
    assert (status["purpose"], status["value"], status["listVerified"]) == (
        "revocation", False, True)
    assert core["verified"] is True, core["errors"]
    assert (core["revoked"], core["expired"]) == (False, False)
    assert db["unresolved"] == [] and core["unresolved"] == []


def test_the_jwt_copy_verifies_in_jose_with_the_served_did_document(
        verdicts: dict[str, dict[str, Any]], live_server: LiveServer) -> None:
    jose = verdicts["jwt_vc_json"]["jose"]
    assert jose["verified"] is True, jose["error"]
    assert jose["problems"] == [] and jose["conformant"] is True
    assert jose["key"]["controller"] == live_server.service.issuer_did


def test_replayed_code_and_access_token_are_refused(received: dict[str, Any]) -> None:
    replays = steps(received["ldp_vc"])
    assert replays["token-replay"] == (False, "invalid_grant")
    assert replays["credential-replay"] == (False, "invalid_token")


def test_wrong_transaction_code_is_refused(live_server: LiveServer, badge_id: str,
                                           wallet: Wallet) -> None:
    made = offer(live_server, badge_id, tx_code=True)
    wrong = f"{(int(made.tx_code or '0') + 1) % 1_000_000:06d}"
    result = wallet(made.deep_link, tx_code=wrong)
    assert steps(result)["token"] == (False, "invalid_grant")
    assert result["credential"] is None


def test_proof_signed_by_another_key_is_refused(live_server: LiveServer, badge_id: str,
                                                wallet: Wallet) -> None:
    result = wallet(offer(live_server, badge_id).deep_link, forge_proof=True)
    assert steps(result)["token"] == (True, None)
    assert steps(result)["credential"] == (False, "invalid_proof")
    assert result["credential"] is None


def test_expired_offer_is_refused(live_server: LiveServer, badge_id: str,
                                  wallet: Wallet) -> None:
    made = offer(live_server, badge_id, now=datetime.now(UTC) - timedelta(minutes=11))
    result = wallet(made.deep_link)
    [first] = result["steps"]
    assert (first["step"], first["ok"], first["status"]) == ("offer", False, 404)
