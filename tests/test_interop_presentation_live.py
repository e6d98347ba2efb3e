"""A wallet built on Digital Bazaar's libraries answers the employer's presentation request on
the running service, over loopback (issue #12, items 5 and 6).

`tests/interop/wallet-present.mjs` is the wallet: `@digitalbazaar/vc` createPresentation /
signPresentation, `@digitalbazaar/ed25519-signature-2020` over an
`@digitalbazaar/ed25519-verification-key-2020` key, a `did:key` holder from
`@digitalbazaar/did-method-key` (the Learner Credential Wallet's stack), and the
DataIntegrityProof / eddsa-rdfc-2022 suite for a second run. It follows the Learner Credential
Wallet's exchange loop from the invitation the employer's page shows (`https://lcw.app/request?
request=…`, or the `?iuv=1` interaction URL) and presents one of our credentials: the City's
badge re-issued to the wallet's DID (as a holder-bound copy is: same badge, signed by the
service's key, `credentialSubject.id` the DID), or the badge as issued (no DID).

Refused, each with its reason: a replayed answer, an expired request, a presentation made for
another request, a wrong challenge, a wrong domain, someone else's badge (wrong holder), and a
proof by another key than the holder's. The employer's page then shows what the service found.

`live_server` (tests/plugins/browser.py) runs the app with uvicorn on a loopback port; the
wallet reaches it over HTTP, which is the only network it uses (contexts are loaded from the npm
packages and the pinned copies, never fetched).
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from html import unescape
from typing import Any

import httpx
import pytest
from cryptography.hazmat.primitives.asymmetric import ed25519
from sqlalchemy import update

from issuer.openbadges.did import did_key_for_ed25519
from issuer.openbadges.proofs.data_integrity import sign_document
from issuer.storage.presentation_models import PresentationRequestRow
from issuer.tokens import token_digest
from issuer.web.rate_limit import RateLimiter
from tests.plugins.browser import LiveServer
from tests.plugins.interop import INTEROP_DIR, _require_node, _run_node, _with_pinned

pytestmark = pytest.mark.interop

WALLET_SCRIPT = INTEROP_DIR / "wallet-present.mjs"
SEED = "11" * 32
OTHER_SEED = "22" * 32


def did_of(seed_hex: str) -> str:
    key = ed25519.Ed25519PrivateKey.from_private_bytes(bytes.fromhex(seed_hex))
    return did_key_for_ed25519(key.public_key().public_bytes_raw())


@pytest.fixture(scope="module")
def employer(live_server: LiveServer) -> Iterator[httpx.Client]:
    """The employer's browser: it keeps the viewer cookies of the requests it makes."""
    app_state = live_server.app.state
    previous = getattr(app_state, "verification_rate_limiter", None)
    app_state.verification_rate_limiter = RateLimiter(limit=10_000)
    with httpx.Client(base_url=live_server.base_url, timeout=30, trust_env=False) as client:
        yield client
    app_state.verification_rate_limiter = previous


def ask_for_presentation(employer: httpx.Client) -> dict[str, str]:
    """Press "Demander une présentation"; the page's two invitations and its address."""
    created = employer.post("/verifier/presentations")
    assert created.status_code == 303, created.text
    page_path = created.headers["location"]
    page = employer.get(page_path)
    assert page.status_code == 200
    text = unescape(page.text)
    lcw = re.search(r'href="(https://lcw\.app/request\?request=[^"]+)"', text)
    iuv = re.search(r"<code>(http://[^<]+\?iuv=1)</code>", text)
    assert lcw and iuv, "the page shows both invitations"
    return {"page": page_path, "lcw": lcw.group(1), "iuv": iuv.group(1),
            "token": page_path.rsplit("/", 1)[1]}


@pytest.fixture(scope="module")
def badges(live_server: LiveServer) -> dict[str, dict[str, Any]]:
    """The event badge as served, and the same badge issued to the wallet's DID."""
    service = live_server.service
    issued = live_server.credentials["event"]
    as_issued = json.loads(issued.credential_json)
    copy_for_wallet = copy.deepcopy(as_issued)
    copy_for_wallet.pop("proof")
    copy_for_wallet["credentialSubject"]["id"] = did_of(SEED)
    key = service.keystore.active_key("Ed25519")
    bound = sign_document(copy_for_wallet, key.private_key,  # type: ignore[arg-type]
                          service.verification_method(key))
    return {"as issued": as_issued, "bound": bound}


@pytest.fixture(scope="module")
def exchanges(live_server: LiveServer, employer: httpx.Client,
              badges: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """Every scenario run by the wallet in one Node process; the invitations it answered."""
    _require_node()
    invitations: dict[str, dict[str, str]] = {}
    bound, nameless = badges["bound"], badges["as issued"]
    plans: list[dict[str, Any]] = []

    def plan(name: str, *, via: str = "lcw", **settings: Any) -> None:
        invitation = ask_for_presentation(employer)
        invitations[name] = invitation
        plans.append({"name": name, "invitation": invitation[via], "seed": SEED,
                      "holderSeed": None, "credentials": [bound],
                      "suite": "Ed25519Signature2020", "version": 2.0, "challenge": None,
                      "domain": None, "replayTo": None, "postTwice": False, **settings})

    plan("lcw, Ed25519Signature2020")
    plan("interaction URL, eddsa-rdfc-2022", via="iuv", suite="eddsa-rdfc-2022")
    # A VCDM 1.1 presentation cannot embed our VCDM 2.0 badges (the 2.0 context redefines
    # terms the 1.1 context protects: jsonld.js refuses it): DID authentication alone.
    plan("DID authentication, VCDM 1.1", credentials=[], version=1.0)
    plan("badge without a DID", credentials=[nameless])
    plan("replayed", postTwice=True)
    plan("expired")
    plan("wrong challenge", challenge="0" * 64)
    plan("wrong domain", domain="employeur.example")
    plan("wrong holder", seed=OTHER_SEED)  # someone else presents the wallet's badge
    plan("proof by another key", seed=OTHER_SEED, holderSeed=SEED)
    # Signed for its own request's challenge, sent to another request's exchange.
    target = ask_for_presentation(employer)
    plan("made for another request", replayTo=target["lcw"])
    invitations["made for another request"] = target
    with live_server.service.database.session() as session:
        session.execute(update(PresentationRequestRow)
                        .where(PresentationRequestRow.exchange_digest
                               == token_digest(invitations["expired"]["token"]))
                        .values(expires_at=datetime.now(UTC) - timedelta(seconds=1)))
    output = _run_node(WALLET_SCRIPT, _with_pinned({"scenarios": plans}), timeout=240)
    results = {result["name"]: result for result in output["results"]}
    for name, result in results.items():
        assert "error" not in result, f"{name}: {result.get('error')}"
    return {"results": results, "invitations": invitations}


def page_of(employer: httpx.Client, exchanges: dict[str, Any], name: str,
            lang: str = "fr") -> str:
    page = employer.get(exchanges["invitations"][name]["page"], params={"lang": lang})
    assert page.status_code == 200
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", page.text)).split())


# --- accepted ---------------------------------------------------------------------------------

def test_wallet_gets_the_presentation_request_it_expects(exchanges, live_server) -> None:
    result = exchanges["results"]["lcw, Ed25519Signature2020"]
    assert result["vprStatus"] == 200
    request = result["vpr"]["verifiablePresentationRequest"]
    assert request["domain"] == live_server.base_url.removeprefix("http://")
    assert [query["type"] for query in request["query"]] == ["QueryByExample",
                                                              "DIDAuthentication"]
    signed = result["presentation"]
    assert signed["proof"]["type"] == "Ed25519Signature2020"
    assert signed["proof"]["challenge"] == request["challenge"]
    assert signed["holder"] == did_of(SEED)


@pytest.mark.parametrize("name", ["lcw, Ed25519Signature2020",
                                  "interaction URL, eddsa-rdfc-2022"])
def test_holders_own_badge_is_accepted_and_shown_bound(exchanges, employer, name) -> None:
    result = exchanges["results"][name]
    assert (result["answerStatus"], result["answer"]) == (200, {}), result["answer"]
    page = page_of(employer, exchanges, name)
    assert "Présentation valide." in page
    assert did_of(SEED) in page
    assert "Délivré à la personne qui le présente." in page
    assert "Petit-déjeuner de l'inclusion numérique" in page
    english = page_of(employer, exchanges, name, "en")
    assert "Valid presentation." in english and "Issued to the person presenting it." in english


def test_eddsa_presentation_was_signed_by_digital_bazaar(exchanges) -> None:
    signed = exchanges["results"]["interaction URL, eddsa-rdfc-2022"]["presentation"]
    assert signed["@context"][0] == "https://www.w3.org/ns/credentials/v2"
    assert (signed["proof"]["type"], signed["proof"]["cryptosuite"]) == (
        "DataIntegrityProof", "eddsa-rdfc-2022")


def test_did_authentication_in_vcdm_11_proves_control_of_the_did(exchanges, employer) -> None:
    result = exchanges["results"]["DID authentication, VCDM 1.1"]
    assert result["presentation"]["@context"] == [
        "https://www.w3.org/2018/credentials/v1",
        "https://w3id.org/security/suites/ed25519-2020/v1"]
    assert (result["answerStatus"], result["answer"]) == (200, {}), result["answer"]
    page = page_of(employer, exchanges, "DID authentication, VCDM 1.1")
    assert did_of(SEED) in page and "Aucun badge n'a été présenté." in page


def test_badge_without_a_did_is_valid_but_not_shown_as_the_presenters(exchanges,
                                                                        employer) -> None:
    result = exchanges["results"]["badge without a DID"]
    assert result["answerStatus"] == 200
    page = page_of(employer, exchanges, "badge without a DID")
    assert "Pas montré comme délivré à la personne qui le présente." in page


# --- refused ----------------------------------------------------------------------------------

@pytest.mark.parametrize(("name", "status", "code"), [
    ("wrong challenge", 400, "challenge.mismatch"),
    ("wrong domain", 400, "domain.mismatch"),
    ("wrong holder", 400, "holder_binding.other_subject"),
    ("proof by another key", 400, "holder_did.key_not_holder"),
    ("made for another request", 400, "challenge.mismatch"),
    ("expired", 410, "presentation_request.expired"),
])
def test_refused_answers_get_a_clear_json_error(exchanges, name, status, code) -> None:
    result = exchanges["results"][name]
    assert result["answerStatus"] == status, result["answer"]
    error = result["answer"]["error"]
    assert error["code"] == code
    assert error["message_fr"] and error["message_en"]


def test_expired_request_is_refused_from_the_first_post(exchanges, employer) -> None:
    result = exchanges["results"]["expired"]
    assert result["vprStatus"] == 410
    assert "a expiré" in page_of(employer, exchanges, "expired")


def test_replayed_answer_is_refused(exchanges) -> None:
    result = exchanges["results"]["replayed"]
    assert result["answerStatus"] == 200
    assert result["againStatus"] == 409
    assert result["again"]["error"]["code"] == "presentation_request.used"


@pytest.mark.parametrize("name", ["wrong holder", "proof by another key", "wrong challenge"])
def test_employer_sees_a_refused_presentation_as_not_valid(exchanges, employer, name) -> None:
    page = page_of(employer, exchanges, name)
    assert "Présentation non valide." in page
