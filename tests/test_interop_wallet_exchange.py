"""The Learner Credential Wallet's VC-API exchange against the running service (issue #12,
items 2 and 6): `tests/interop/lcw-exchange.mjs`, a wallet built on the libraries LCW's own
stack descends from (Digital Bazaar's `vc`, `ed25519-signature-2020`,
`ed25519-verification-key-2020`, `did-method-key`), reads the invitation as LCW does (the
`https://lcw.app/request?request=…` link, or the `?iuv=1` interaction URL), POSTs `{}`, signs
the DIDAuth presentation for the challenge and domain it is given, POSTs it, and keeps what
comes back, over a real loopback socket (`live_server`). The copy it receives is then verified
by Digital Bazaar and verifier-core with the DID document and status list fetched from the
same server (tests/test_interop_live_service.py explains why Python hands them over). jose
verifies VC-JWTs only: the exchange hands over the `ldp_vc` copy LCW reads; the copies'
VC-JWT form is verified by jose in tests/test_interop_holder_copies.py.

Refused here, as a wallet sees it: replay, expiry, wrong challenge, wrong domain, a proof by
another key than the holder's, an unsigned presentation."""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from issuer.openbadges.did import did_web_document_url
from issuer.wallet import exchanges, holder_links
from tests.plugins.browser import LiveServer
from tests.plugins.interop import INTEROP_DIR, node_executable, pinned_resources

pytestmark = pytest.mark.interop

LCW_SCRIPT = INTEROP_DIR / "lcw-exchange.mjs"
SEED = "11" * 32
OTHER_SEED = "22" * 32


@pytest.fixture(scope="module")
def lcw(third_party_verifiers_batch: Any, live_server: LiveServer
        ) -> Callable[..., dict[str, Any]]:
    """Run the LCW-acting wallet on a fresh exchange of the demo skill badge (the npm packages
    are installed by the verifier fixture)."""
    service = live_server.service
    credential_id = live_server.credentials["skill"].credential_id
    recipient_id = holder_links.badge_holder(service, credential_id)
    assert recipient_id is not None
    pinned = pinned_resources()

    def run(mode: str = "lcw", *, invitation: str = "universal",
            created: datetime | None = None) -> dict[str, Any]:
        token = exchanges.create_exchange(service, credential_id, recipient_id,
                                          now=created).token
        base = live_server.base_url
        url = {"universal": exchanges.lcw_universal_link(base, token),
               "custom": exchanges.lcw_custom_scheme_link(base, token),
               "interaction": exchanges.interaction_url(base, token)}[invitation]
        node = node_executable()
        assert node is not None
        payload = json.dumps({"invitation": url, "mode": mode, "seed": SEED,
                              "otherSeed": OTHER_SEED, "pinned": pinned})
        completed = subprocess.run(
            [node, str(LCW_SCRIPT)], input=payload, cwd=INTEROP_DIR, capture_output=True,
            text=True, timeout=120, check=False,
            env={**os.environ, "NO_PROXY": "127.0.0.1,localhost", "no_proxy": "127.0.0.1"})
        assert completed.returncode == 0, completed.stderr[-3000:]
        result: dict[str, Any] = json.loads(completed.stdout)
        return result

    return run


def _received(result: dict[str, Any]) -> dict[str, Any]:
    last = result["steps"][-1]
    assert last["status"] == 200, last
    assert "verifiablePresentationRequest" not in last["body"]
    [credential] = last["body"]["verifiablePresentation"]["verifiableCredential"]
    assert isinstance(credential, dict)
    return credential


def _refusal(result: dict[str, Any]) -> tuple[int, str]:
    last = result["steps"][-1]
    return last["status"], last["body"]["error"]["code"]


@pytest.fixture(scope="module")
def received(lcw: Callable[..., dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """The copies wallets received: LCW's own invitation forms, and an eddsa-rdfc-2022 proof."""
    results = {"universal link, Ed25519Signature2020": lcw("lcw"),
               "interaction URL, Ed25519Signature2020": lcw("lcw", invitation="interaction"),
               "custom scheme, eddsa-rdfc-2022": lcw("eddsa", invitation="custom")}
    return {name: {"result": result, "credential": _received(result)}
            for name, result in results.items()}


def test_the_exchange_runs_as_lcw_expects(received: dict[str, dict[str, Any]]) -> None:
    for name, entry in received.items():
        result = entry["result"]
        steps = result["steps"]
        first_post = steps[1] if name.startswith("interaction") else steps[0]
        request = first_post["body"]["verifiablePresentationRequest"]
        assert request["query"][0]["type"] == "DIDAuthentication", name
        assert request["interact"]["service"][0]["serviceEndpoint"] == result["exchangeUrl"]
        assert entry["credential"]["credentialSubject"]["id"] == result["holder"], name
        assert result["holder"].startswith("did:key:z6Mk")
        assert result["presentation"]["proof"]["proofPurpose"] == "authentication"
    interaction = received["interaction URL, Ed25519Signature2020"]["result"]["steps"][0]
    assert interaction["status"] == 200 and set(interaction["body"]["protocols"]) == {"vcapi"}


def test_the_received_copy_verifies_in_third_party_stacks(
        received: dict[str, dict[str, Any]], live_server: LiveServer,
        third_party_verifiers_batch: Any) -> None:
    did = live_server.service.issuer_did
    with httpx.Client(timeout=10, trust_env=False) as client:
        documents: dict[str, Any] = {did: client.get(did_web_document_url(did)).json()}
        for entry in received.values():
            url = entry["credential"]["credentialStatus"]["statusListCredential"]
            documents[url] = client.get(url, headers={"accept": "application/ld+json"}).json()
    verdicts = third_party_verifiers_batch(
        [{"credential": entry["credential"], "documents": documents}
         for entry in received.values()])
    for name, verdict in zip(received, verdicts, strict=True):
        db, core = verdict["digitalBazaar"], verdict["verifierCore"]
        assert db["verified"] is True, (name, db["error"])
        assert core["verified"] is True, (name, core["errors"])
        assert (core["revoked"], core["expired"]) == (False, False), name
        assert [status["value"] for status in db["statuses"]] == [False], name


def test_a_replayed_presentation_is_refused(lcw: Callable[..., dict[str, Any]]) -> None:
    result = lcw("replay")
    assert result["steps"][-2]["status"] == 200
    assert _refusal(result) == (410, "wallet.exchange_used")


def test_an_expired_exchange_is_refused(lcw: Callable[..., dict[str, Any]]) -> None:
    result = lcw("lcw", created=datetime.now(UTC) - timedelta(minutes=11))
    assert len(result["steps"]) == 1
    assert _refusal(result) == (410, "wallet.exchange_expired")
    through_interaction = lcw("lcw", invitation="interaction",
                              created=datetime.now(UTC) - timedelta(minutes=11))
    assert _refusal(through_interaction) == (410, "wallet.exchange_expired")


@pytest.mark.parametrize(("mode", "code"), [
    ("wrong-challenge", "wallet.challenge.mismatch"),
    ("wrong-domain", "wallet.domain.mismatch"),
    ("other-key", "wallet.holder_did.key_not_holder"),
    ("unsigned", "wallet.holder_proof."),
])
def test_a_presentation_that_proves_nothing_here_is_refused(
        lcw: Callable[..., dict[str, Any]], mode: str, code: str) -> None:
    status, found = _refusal(lcw(mode))
    assert status == 400 and found.startswith(code), found
