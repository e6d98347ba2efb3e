"""OpenID4VCI pre-authorized code flow through the web app (issuer.web.views.oid4vci): what a
wallet reads, the offer, the token, nonce and credential endpoints, and every refusal in the
OAuth / OpenID4VCI error shape. The wallet's key and proofs are made here with PyJWT
(tests/test_oid4vci_proof.py); the npm client library runs the same flow in
tests/test_interop_oid4vci.py."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import jwt as pyjwt
import pytest
from cryptography.hazmat.primitives.asymmetric import ec, ed25519
from fastapi.testclient import TestClient
from sqlalchemy import select

from issuer.issuance.issue_requests import IssuedBadge, IssueRequest
from issuer.issuance.service import IssuerService
from issuer.issuance.verification_context import verification_context_for
from issuer.mail import deliver_pending, outbox_message
from issuer.mail.wallet_code import WALLET_CODE_MAIL_KIND, queue_wallet_code
from issuer.openbadges.verification import verify
from issuer.settings import Settings
from issuer.storage.models import AuditEntry
from issuer.storage.offer_models import WalletNonceRow, WalletOfferRow
from issuer.wallet import oid4vci
from issuer.wallet.oid4vci_errors import Oid4vciError
from issuer.web.app import create_app
from issuer.web.rate_limit import RateLimiter
from tests.plugins.factory import ServiceFactory
from tests.test_oid4vci_proof import Wallet

BASE_URL = "https://badges.example.org"
GRANT = "urn:ietf:params:oauth:grant-type:pre-authorized_code"
HOLDER = "lea.titulaire@example.org"


@pytest.fixture
def service(tmp_path: Path, service_factory: ServiceFactory) -> IssuerService:
    return service_factory(Settings(home=tmp_path / "home", base_url=BASE_URL,
                                    database_url=None))


@pytest.fixture
def client(service: IssuerService) -> TestClient:
    return TestClient(create_app(service.settings, service), base_url=BASE_URL)


@pytest.fixture
def badge(service: IssuerService) -> IssuedBadge:
    return service.issue(IssueRequest("petit-dejeuner-inclusion-numerique", HOLDER,
                                      name="Léa Titulaire", event_number=8, role="participant"))


def make_offer(service: IssuerService, credential_id: str, *, tx_code: bool = False,
               fmt: oid4vci.Format = "ldp_vc", now: datetime | None = None) -> oid4vci.Offer:
    with service.database.session() as session:
        return oid4vci.create_offer(service, session, credential_id, tx_code=tx_code, fmt=fmt,
                                    now=now)


def offer_token(offer: oid4vci.Offer) -> str:
    return offer.credential_offer_uri.rsplit("/", 1)[1]


def pre_authorized_code(client: TestClient, offer: oid4vci.Offer) -> str:
    document = client.get(urlsplit(offer.credential_offer_uri).path).json()
    code: str = document["grants"][GRANT]["pre-authorized_code"]
    return code


def ask_token(client: TestClient, code: str, **fields: str) -> Any:
    return client.post("/oid4vci/token",
                       data={"grant_type": GRANT, "pre-authorized_code": code, **fields})


def access_token(client: TestClient, offer: oid4vci.Offer, **fields: str) -> str:
    answer = ask_token(client, pre_authorized_code(client, offer), **fields)
    assert answer.status_code == 200, answer.text
    token: str = answer.json()["access_token"]
    return token


def fresh_nonce(client: TestClient) -> str:
    answer = client.post("/oid4vci/nonce")
    assert answer.status_code == 200 and answer.headers["cache-control"] == "no-store"
    nonce: str = answer.json()["c_nonce"]
    return nonce


def ask_credential(client: TestClient, token: str, body: dict[str, Any]) -> Any:
    return client.post("/oid4vci/credential", json=body,
                       headers={"authorization": f"Bearer {token}"})


def request_body(wallet: Wallet, nonce: str, configuration: str, **proof: Any) -> dict[str, Any]:
    jwt = wallet.proof(nonce=nonce, aud=BASE_URL, iat=datetime.now(UTC), **proof)
    return {"credential_configuration_id": configuration, "proofs": {"jwt": [jwt]}}


def audit(service: IssuerService, action: str) -> list[AuditEntry]:
    with service.database.session(read_only=True) as session:
        return list(session.scalars(select(AuditEntry).where(AuditEntry.action == action)))


def assert_refused(answer: Any, error: str, status: int = 400) -> None:
    assert answer.status_code == status, answer.text
    body = answer.json()
    assert body["error"] == error
    assert body["error_description"] and body["error_description_fr"]
    assert answer.headers["cache-control"] == "no-store"


# --- metadata ------------------------------------------------------------------------------------

def test_issuer_metadata_lists_each_family_in_both_formats(client: TestClient) -> None:
    metadata = client.get("/.well-known/openid-credential-issuer").json()

    assert metadata["credential_issuer"] == BASE_URL
    assert metadata["credential_endpoint"] == f"{BASE_URL}/oid4vci/credential"
    assert metadata["nonce_endpoint"] == f"{BASE_URL}/oid4vci/nonce"
    configurations = metadata["credential_configurations_supported"]
    assert set(configurations) == {f"{family}_{fmt}" for family in ("membership", "event", "skill")
                                   for fmt in ("ldp_vc", "jwt_vc_json")}
    ldp = configurations["event_ldp_vc"]
    assert ldp["format"] == "ldp_vc"
    assert ldp["credential_signing_alg_values_supported"] == ["eddsa-rdfc-2022"]
    assert ldp["credential_definition"]["type"] == ["VerifiableCredential", "OpenBadgeCredential"]
    assert ldp["credential_definition"]["@context"][0] == "https://www.w3.org/ns/credentials/v2"
    assert ldp["cryptographic_binding_methods_supported"] == ["did:key", "did:jwk", "jwk"]
    assert ldp["proof_types_supported"] == {
        "jwt": {"proof_signing_alg_values_supported": ["EdDSA", "ES256"]}}
    jwt_config = configurations["event_jwt_vc_json"]
    assert jwt_config["format"] == "jwt_vc_json"
    assert jwt_config["credential_signing_alg_values_supported"] == ["RS256"]  # did:web issuer
    assert "@context" not in jwt_config["credential_definition"]


def test_display_is_french_then_english_with_a_logo_the_service_serves(
        client: TestClient) -> None:
    configuration = client.get("/.well-known/openid-credential-issuer").json()[
        "credential_configurations_supported"]["membership_ldp_vc"]
    display = configuration["credential_metadata"]["display"]

    assert [entry["locale"] for entry in display] == ["fr-FR", "en"]
    assert [entry["name"] for entry in display] == ["Badge de membre", "Membership badge"]
    assert configuration["display"] == display  # draft 13 wallets read it there
    logo = display[0]["logo"]["uri"]
    image = client.get(urlsplit(logo).path)
    assert image.status_code == 200 and image.headers["content-type"] == "image/png"


def test_authorization_server_metadata_names_the_token_endpoint_and_the_grant(
        client: TestClient) -> None:
    metadata = client.get("/.well-known/oauth-authorization-server").json()

    assert metadata["issuer"] == BASE_URL
    assert metadata["token_endpoint"] == f"{BASE_URL}/oid4vci/token"
    assert metadata["grant_types_supported"] == [GRANT]
    assert metadata["pre-authorized_grant_anonymous_access_supported"] is True


# --- the offer -----------------------------------------------------------------------------------

def test_offer_link_names_no_person_and_serves_the_offer(service: IssuerService,
                                                         client: TestClient,
                                                         badge: IssuedBadge) -> None:
    offer = make_offer(service, badge.credential_id)

    assert offer.deep_link.startswith("openid-credential-offer://?credential_offer_uri=")
    [uri] = parse_qs(urlsplit(offer.deep_link).query)["credential_offer_uri"]
    assert uri == offer.credential_offer_uri
    assert uri.startswith(f"{BASE_URL}/oid4vci/offers/")
    # the address is the service's, then one random token (43 characters): no badge id, no
    # e-mail, no name
    parts = urlsplit(uri)
    assert (parts.query, parts.path.rsplit("/", 1)[0]) == ("", "/oid4vci/offers")
    assert len(offer_token(offer)) == 43
    for personal in (badge.credential_id, HOLDER, "Titulaire"):
        assert personal not in offer.deep_link and personal not in uri
    answer = client.get(urlsplit(uri).path)
    assert answer.status_code == 200 and answer.headers["cache-control"] == "no-store"
    document = answer.json()
    assert document["credential_issuer"] == BASE_URL
    assert document["credential_configuration_ids"] == ["event_ldp_vc"]
    grant = document["grants"][GRANT]
    assert set(grant) == {"pre-authorized_code"} and offer.tx_code is None


def test_offer_with_a_transaction_code_asks_for_six_digits(service: IssuerService,
                                                           client: TestClient,
                                                           badge: IssuedBadge) -> None:
    offer = make_offer(service, badge.credential_id, tx_code=True, fmt="jwt_vc_json")
    document = client.get(urlsplit(offer.credential_offer_uri).path).json()

    assert offer.tx_code is not None and offer.tx_code.isdigit() and len(offer.tx_code) == 6
    assert document["credential_configuration_ids"] == ["event_jwt_vc_json"]
    assert document["grants"][GRANT]["tx_code"]["input_mode"] == "numeric"
    assert document["grants"][GRANT]["tx_code"]["length"] == 6


def test_the_database_keeps_digests_only(service: IssuerService, client: TestClient,
                                         badge: IssuedBadge) -> None:
    offer = make_offer(service, badge.credential_id, tx_code=True)
    code = pre_authorized_code(client, offer)
    token = access_token(client, offer, tx_code=offer.tx_code or "")
    with service.database.session(read_only=True) as session:
        row = session.scalars(select(WalletOfferRow)).one()
        stored = json.dumps([str(value) for value in vars(row).values()])
    for secret in (offer_token(offer), code, token, offer.tx_code or ""):
        assert secret not in stored


def test_unknown_offer_address_is_a_json_404(client: TestClient) -> None:
    answer = client.get("/oid4vci/offers/not-a-real-offer-token")
    assert_refused(answer, "invalid_request", status=404)


def test_revoked_badge_gets_no_offer(service: IssuerService, badge: IssuedBadge) -> None:
    service.revoke(badge.credential_id, "Erreur de saisie", actor="tests")
    with pytest.raises(Oid4vciError) as caught:
        make_offer(service, badge.credential_id)
    assert caught.value.oauth_error == "credential_request_denied"


def test_offer_creation_is_audited_without_the_code(service: IssuerService,
                                                    badge: IssuedBadge) -> None:
    offer = make_offer(service, badge.credential_id, tx_code=True)
    [entry] = audit(service, "oid4vci.offer_created")

    assert entry.subject == badge.credential_id
    assert offer.tx_code not in (entry.details_json or "")
    assert json.loads(entry.details_json or "{}")["offer"] == offer.offer_id


# --- the token endpoint --------------------------------------------------------------------------

def test_code_gives_one_access_token_and_a_replay_is_invalid_grant(
        service: IssuerService, client: TestClient, badge: IssuedBadge) -> None:
    offer = make_offer(service, badge.credential_id)
    code = pre_authorized_code(client, offer)

    first = ask_token(client, code)
    assert first.status_code == 200 and first.headers["cache-control"] == "no-store"
    grant = first.json()
    assert grant["token_type"] == "Bearer" and grant["expires_in"] == 300
    assert grant["c_nonce"]
    assert_refused(ask_token(client, code), "invalid_grant")
    # and the offer itself is gone once its code is used
    assert_refused(client.get(urlsplit(offer.credential_offer_uri).path), "invalid_request", 404)
    assert len(audit(service, "oid4vci.code_redeemed")) == 1
    [refused] = audit(service, "oid4vci.token_refused")
    assert json.loads(refused.details_json or "{}")["error"] == "invalid_grant"


def test_expired_code_is_invalid_grant(service: IssuerService, client: TestClient,
                                       badge: IssuedBadge) -> None:
    old = datetime.now(UTC) - timedelta(minutes=11)
    offer = make_offer(service, badge.credential_id, now=old)
    with service.database.session() as session:
        code = oid4vci.offer_document(service, session, offer_token(offer), now=old)["grants"][
            GRANT]["pre-authorized_code"]
    answer = ask_token(client, code)
    assert_refused(answer, "invalid_grant")
    assert "expired" in answer.json()["error_description"]


def test_wrong_transaction_code_is_refused_and_five_kill_the_offer(
        service: IssuerService, client: TestClient, badge: IssuedBadge) -> None:
    offer = make_offer(service, badge.credential_id, tx_code=True)
    code = pre_authorized_code(client, offer)
    wrong = f"{(int(offer.tx_code or '0') + 1) % 1_000_000:06d}"

    assert_refused(ask_token(client, code), "invalid_grant")  # no code at all
    for _ in range(4):
        assert_refused(ask_token(client, code, tx_code=wrong), "invalid_grant")
    assert_refused(ask_token(client, code, tx_code=offer.tx_code or ""), "invalid_grant")
    assert "Too many" in ask_token(client, code, tx_code=offer.tx_code or "").json()[
        "error_description"]


def test_right_transaction_code_after_a_typo_still_works(service: IssuerService,
                                                         client: TestClient,
                                                         badge: IssuedBadge) -> None:
    offer = make_offer(service, badge.credential_id, tx_code=True)
    code = pre_authorized_code(client, offer)
    assert_refused(ask_token(client, code, tx_code="000000" if offer.tx_code != "000000"
                             else "111111"), "invalid_grant")
    assert ask_token(client, code, tx_code=offer.tx_code or "").status_code == 200


def test_other_grants_and_bodies_are_refused_in_the_oauth_shape(client: TestClient) -> None:
    assert_refused(client.post("/oid4vci/token", data={"grant_type": "authorization_code",
                                                       "code": "x"}), "unsupported_grant_type")
    assert_refused(client.post("/oid4vci/token", json={"grant_type": GRANT}), "invalid_request")
    assert_refused(ask_token(client, "made-up-code"), "invalid_grant")
    assert_refused(client.post("/oid4vci/token", data={f"field{i}": "x" for i in range(50)}),
                   "invalid_request")


# --- the nonce and credential endpoints ----------------------------------------------------------

def test_nonce_endpoint_hands_out_single_use_nonces(service: IssuerService,
                                                    client: TestClient) -> None:
    first, second = fresh_nonce(client), fresh_nonce(client)
    assert first != second
    with service.database.session() as session:
        assert oid4vci.consume_nonce(session, first)
        assert not oid4vci.consume_nonce(session, first)
        assert session.scalars(select(WalletNonceRow)).all()  # the second one, stored hashed
        assert not oid4vci.consume_nonce(session, "never-issued")


def test_credential_endpoint_without_a_token_is_401_invalid_token(client: TestClient) -> None:
    answer = client.post("/oid4vci/credential", json={})
    assert_refused(answer, "invalid_token", status=401)
    assert answer.headers["www-authenticate"] == 'Bearer error="invalid_token"'
    assert_refused(ask_credential(client, "made-up", {}), "invalid_token", status=401)


def test_expired_access_token_is_invalid_token(service: IssuerService, client: TestClient,
                                               badge: IssuedBadge) -> None:
    past = datetime.now(UTC) - timedelta(minutes=8)
    offer = make_offer(service, badge.credential_id, now=past)
    with service.database.session() as session:
        code = oid4vci.offer_document(service, session, offer_token(offer), now=past)[
            "grants"][GRANT]["pre-authorized_code"]
        grant = oid4vci.exchange_pre_authorized_code(
            service, session, {"grant_type": GRANT, "pre-authorized_code": code}, now=past)
    wallet = Wallet(ed25519.Ed25519PrivateKey.generate())
    body = request_body(wallet, fresh_nonce(client), "event_ldp_vc")
    assert_refused(ask_credential(client, grant.access_token, body), "invalid_token", 401)


def test_request_for_another_configuration_is_refused(service: IssuerService,
                                                      client: TestClient,
                                                      badge: IssuedBadge) -> None:
    token = access_token(client, make_offer(service, badge.credential_id))
    wallet = Wallet(ed25519.Ed25519PrivateKey.generate())
    body = request_body(wallet, fresh_nonce(client), "event_jwt_vc_json")
    assert_refused(ask_credential(client, token, body), "unknown_credential_configuration")
    [entry] = audit(service, "oid4vci.credential_refused")
    assert entry.subject == badge.credential_id


def test_proof_with_a_nonce_never_issued_is_invalid_nonce(service: IssuerService,
                                                          client: TestClient,
                                                          badge: IssuedBadge) -> None:
    token = access_token(client, make_offer(service, badge.credential_id))
    wallet = Wallet(ed25519.Ed25519PrivateKey.generate())
    answer = ask_credential(client, token, request_body(wallet, "made-up-nonce", "event_ldp_vc"))
    assert_refused(answer, "invalid_nonce")


def test_proof_for_another_audience_or_unsigned_is_invalid_proof(service: IssuerService,
                                                                 client: TestClient,
                                                                 badge: IssuedBadge) -> None:
    token = access_token(client, make_offer(service, badge.credential_id))
    wallet = Wallet(ec.generate_private_key(ec.SECP256R1()))
    proof = wallet.proof(nonce=fresh_nonce(client), aud="https://other.example.org",
                         iat=datetime.now(UTC))
    body = {"credential_configuration_id": "event_ldp_vc", "proofs": {"jwt": [proof]}}
    assert_refused(ask_credential(client, token, body), "invalid_proof")
    assert_refused(ask_credential(client, token, {"credential_configuration_id": "event_ldp_vc"}),
                   "invalid_proof")
    assert_refused(ask_credential(client, token, {
        "credential_configuration_id": "event_ldp_vc",
        "proofs": {"jwt": [proof, proof]}}), "invalid_proof")


def test_unreadable_request_is_invalid_credential_request(service: IssuerService,
                                                          client: TestClient,
                                                          badge: IssuedBadge) -> None:
    token = access_token(client, make_offer(service, badge.credential_id))
    answer = client.post("/oid4vci/credential", content=b"{not json",
                         headers={"authorization": f"Bearer {token}",
                                  "content-type": "application/json"})
    assert_refused(answer, "invalid_credential_request")
    deep = b"[" * 5_000 + b"]" * 5_000
    answer = client.post("/oid4vci/credential", content=deep,
                         headers={"authorization": f"Bearer {token}"})
    assert_refused(answer, "invalid_credential_request")


def test_oversized_credential_request_is_cut_off_with_413(client: TestClient) -> None:
    answer = client.post("/oid4vci/credential", content=b"x" * 20_000,
                         headers={"content-type": "application/json",
                                  "authorization": "Bearer x"})
    assert answer.status_code == 413
    assert answer.json()["error"]["code"] == "oid4vci.too_large"


def test_wallet_requests_are_rate_limited_per_client(service: IssuerService) -> None:
    app = create_app(service.settings, service)
    app.state.oid4vci_rate_limiter = RateLimiter(limit=2)
    client = TestClient(app, base_url=BASE_URL)
    client.post("/oid4vci/nonce")
    client.post("/oid4vci/nonce")
    answer = client.post("/oid4vci/nonce")
    assert answer.status_code == 429 and answer.json()["error"] == "slow_down"
    assert int(answer.headers["retry-after"]) >= 1


def test_offer_addresses_are_hidden_from_the_access_log(service: IssuerService,
                                                        badge: IssuedBadge) -> None:
    from issuer.one_time_links import loggable_path

    path = urlsplit(make_offer(service, badge.credential_id).credential_offer_uri).path
    assert loggable_path(path) == "/oid4vci/offers/{token}"


# --- the transaction code e-mail -----------------------------------------------------------------

def test_transaction_code_goes_to_the_holder_by_e_mail_french_first(
        service: IssuerService, badge: IssuedBadge) -> None:
    offer = make_offer(service, badge.credential_id, tx_code=True)
    with service.database.session() as session:
        row = queue_wallet_code(service, session, offer, badge.credential_id)
    deliver_pending(service)
    _row, message = outbox_message(service, row.id)
    text = message.get_body(("plain",)).get_content()  # type: ignore[union-attr]

    assert message["To"].addresses[0].addr_spec == HOLDER
    assert row.kind == WALLET_CODE_MAIL_KIND
    assert offer.tx_code in text
    assert text.index("portefeuille") < text.index("wallet")
    [queued] = [entry for entry in audit(service, "email.queued")
                if WALLET_CODE_MAIL_KIND in (entry.details_json or "")]
    assert offer.tx_code not in (queued.details_json or "")


# --- the whole flow: a holder-bound copy -----------------------------------------------------------

def verified(service: IssuerService, credential: dict[str, Any] | str) -> Any:
    return verify(credential, verification_context_for(service, untrusted=False))


@pytest.mark.parametrize(("fmt", "wallet_key"), [("ldp_vc", "ed25519"), ("jwt_vc_json", "p256")])
def test_wallet_receives_a_copy_bound_to_the_did_of_its_proof(
        service: IssuerService, client: TestClient, badge: IssuedBadge, fmt: oid4vci.Format,
        wallet_key: str) -> None:
    key = ed25519.Ed25519PrivateKey.generate() if wallet_key == "ed25519" else \
        ec.generate_private_key(ec.SECP256R1())
    wallet = Wallet(key)
    offer = make_offer(service, badge.credential_id, tx_code=True, fmt=fmt)
    token = access_token(client, offer, tx_code=offer.tx_code or "")
    answer = ask_credential(client, token, request_body(wallet, fresh_nonce(client),
                                                        f"event_{fmt}"))

    assert answer.status_code == 200, answer.text
    assert answer.headers["cache-control"] == "no-store"
    [item] = answer.json()["credentials"]
    credential = item["credential"]
    if fmt == "ldp_vc":
        assert [proof["cryptosuite"] for proof in credential["proof"]] == ["eddsa-rdfc-2022"]
        subject = credential["credentialSubject"]
    else:
        assert isinstance(credential, str) and credential.count(".") == 2
        claims = pyjwt.decode(credential, options={"verify_signature": False})
        subject = claims.get("vc", claims)["credentialSubject"]
    assert subject["id"] == wallet.did
    original = badge.credential
    assert subject["identifier"] == original["credentialSubject"]["identifier"]
    assert subject["achievement"]["id"] == original["credentialSubject"]["achievement"]["id"]
    assert verified(service, credential).verdict == "valid"
    [issued] = audit(service, "oid4vci.credential_issued")
    details = json.loads(issued.details_json or "{}")
    assert details["configuration"] == f"event_{fmt}"
    assert wallet.did not in (issued.details_json or "")  # the audit log outlives an erasure
    with service.database.session(read_only=True) as session:
        row = session.scalars(select(WalletOfferRow)).one()
        assert (row.holder_did, row.copy_id) == (wallet.did, details["copy"])


def test_a_bare_jwk_proof_binds_the_copy_to_its_did_jwk(service: IssuerService,
                                                        client: TestClient,
                                                        badge: IssuedBadge) -> None:
    wallet = Wallet(ec.generate_private_key(ec.SECP256R1()))
    token = access_token(client, make_offer(service, badge.credential_id))
    body = request_body(wallet, fresh_nonce(client), "event_ldp_vc", by_kid=False)
    credential = ask_credential(client, token, body).json()["credentials"][0]["credential"]
    assert credential["credentialSubject"]["id"] == wallet.did.split("#")[0]
    assert credential["credentialSubject"]["id"].startswith("did:jwk:")


def test_access_token_and_nonce_give_one_credential_only(service: IssuerService,
                                                         client: TestClient,
                                                         badge: IssuedBadge) -> None:
    wallet = Wallet(ed25519.Ed25519PrivateKey.generate())
    token = access_token(client, make_offer(service, badge.credential_id))
    nonce = fresh_nonce(client)
    body = request_body(wallet, nonce, "event_ldp_vc")
    assert ask_credential(client, token, body).status_code == 200

    assert_refused(ask_credential(client, token, body), "invalid_token", 401)  # same request
    replayed = [json.loads(entry.details_json or "{}")["error"]
                for entry in audit(service, "oid4vci.credential_refused")]
    assert replayed == ["invalid_token"]
    other = request_body(wallet, fresh_nonce(client), "event_ldp_vc")
    assert_refused(ask_credential(client, token, other), "invalid_token", 401)  # fresh nonce
    second = access_token(client, make_offer(service, badge.credential_id))
    assert_refused(ask_credential(client, second, body), "invalid_nonce")  # nonce spent


def test_draft_13_request_gets_a_draft_13_answer(service: IssuerService, client: TestClient,
                                                 badge: IssuedBadge) -> None:
    wallet = Wallet(ed25519.Ed25519PrivateKey.generate())
    answer = ask_token(client, pre_authorized_code(client, make_offer(service,
                                                                      badge.credential_id)))
    grant = answer.json()
    proof = wallet.proof(nonce=grant["c_nonce"], aud=BASE_URL, iat=datetime.now(UTC))
    body = {"format": "ldp_vc", "credential_definition": {"type": [
        "VerifiableCredential", "OpenBadgeCredential"]},
        "proof": {"proof_type": "jwt", "jwt": proof}}
    credential = ask_credential(client, grant["access_token"], body).json()["credential"]
    assert credential["credentialSubject"]["id"] == wallet.did


def test_badge_revoked_after_the_token_is_denied_and_the_token_stays_unspent(
        service: IssuerService, client: TestClient, badge: IssuedBadge) -> None:
    wallet = Wallet(ed25519.Ed25519PrivateKey.generate())
    token = access_token(client, make_offer(service, badge.credential_id))
    service.suspend(badge.credential_id, "Vérification en cours", actor="tests")
    answer = ask_credential(client, token, request_body(wallet, fresh_nonce(client),
                                                        "event_ldp_vc"))
    assert_refused(answer, "credential_request_denied")
    assert "suspended" in answer.json()["error_description"]
    service.unsuspend(badge.credential_id, actor="tests")
    again = ask_credential(client, token, request_body(wallet, fresh_nonce(client),
                                                       "event_ldp_vc"))
    assert again.status_code == 200, again.text


def test_erasing_the_holder_forgets_their_offers_and_the_offer_stops_working(
        service: IssuerService, client: TestClient, badge: IssuedBadge) -> None:
    from issuer.workspace.recipient_erasure import erase_person

    offer = make_offer(service, badge.credential_id)
    code = pre_authorized_code(client, offer)
    with service.database.session(read_only=True) as session:
        recipient_id = session.scalars(select(WalletOfferRow.recipient_id)).one()
    erase_person(service, recipient_id, actor="tests")

    with service.database.session(read_only=True) as session:
        assert session.scalars(select(WalletOfferRow)).all() == []
    assert_refused(ask_token(client, code), "invalid_grant")


def test_error_description_is_plain_ascii_whatever_the_client_sent(service: IssuerService,
                                                                   client: TestClient,
                                                                   badge: IssuedBadge) -> None:
    token = access_token(client, make_offer(service, badge.credential_id))
    wallet = Wallet(ed25519.Ed25519PrivateKey.generate())
    proof = wallet.proof(nonce=fresh_nonce(client), iat=datetime.now(UTC),
                         header={"alg": "EdDSA", "typ": "openid4vci-proof+jwt"})
    # a header naming an algorithm with quotes and accents: quoted back in the refusal
    _header, payload, signature = proof.split(".")
    forged = pyjwt.utils.base64url_encode(json.dumps({
        "alg": 'é"\\x', "typ": "openid4vci-proof+jwt", "kid": wallet.kid}).encode()).decode()
    body = {"credential_configuration_id": "event_ldp_vc",
            "proofs": {"jwt": [f"{forged}.{payload}.{signature}"]}}
    answer = ask_credential(client, token, body)
    assert_refused(answer, "invalid_proof")
    description = answer.json()["error_description"]
    assert description.isascii() and '"' not in description and "\\" not in description
    assert "é" in answer.json()["error_description_fr"]
