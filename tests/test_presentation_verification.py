"""Presentations a holder's wallet signs: DID authentication (challenge, domain, freshness,
purpose, whose key) and the credentials inside with holder binding."""

from __future__ import annotations

import copy
import json
from dataclasses import replace
from datetime import timedelta
from typing import Any

import pytest

from issuer.verification.presentation import (
    PRESENTATION_CHECK_NAMES,
    verify_did_auth,
    verify_presentation,
)
from tests.test_verification import NOW, context, signed, unsigned_membership
from tests.vp_signing import Wallet, presentation, sign_presentation

CHALLENGE = "4d1f0c3a-8e2b-4b6f-9a7d-2c5e1f0b3a9d"
DOMAIN = "badges.ville-roubaix.fr"
WALLET = Wallet.new()
OTHER = Wallet.new()


def did_auth(wallet: Wallet = WALLET, **overrides: Any) -> dict[str, Any]:
    settings: dict[str, Any] = {"challenge": CHALLENGE, "domain": DOMAIN,
                                "created": NOW - timedelta(seconds=20)}
    settings.update(overrides)
    return sign_presentation(presentation(wallet.did), wallet, **settings)


def codes(result: Any) -> dict[str, tuple[str, str]]:
    return {check.name: (check.outcome, check.code) for check in result.checks}


# --- DID authentication ---------------------------------------------------------------------------

@pytest.mark.parametrize("suite", ["Ed25519Signature2020", "DataIntegrityProof"])
def test_did_auth_signed_by_the_holder_for_this_request_passes(suite):
    result = verify_did_auth(did_auth(suite=suite), challenge=CHALLENGE, domain=DOMAIN, now=NOW)
    assert result.ok, codes(result)
    assert result.holder == WALLET.did
    assert result.code == "holder_proof.ok"
    assert tuple(check.name for check in result.checks) == PRESENTATION_CHECK_NAMES
    assert WALLET.did in result.message_fr and WALLET.did in result.message_en


def test_did_auth_in_vcdm_11_passes():
    document = sign_presentation(presentation(WALLET.did, model="1.1"), WALLET,
                                 challenge=CHALLENGE, domain=DOMAIN, created=NOW)
    assert verify_did_auth(document, challenge=CHALLENGE, domain=DOMAIN, now=NOW).ok


def test_did_auth_as_json_text_passes():
    text = json.dumps(did_auth())
    assert verify_did_auth(text, challenge=CHALLENGE, domain=DOMAIN, now=NOW).ok


def test_wrong_challenge_is_refused():
    result = verify_did_auth(did_auth(challenge="another-request"), challenge=CHALLENGE,
                             domain=DOMAIN, now=NOW)
    assert not result.ok and result.code == "challenge.mismatch"
    assert codes(result)["holder_proof"][0] == "skipped"  # no costly work for a wrong answer


def test_missing_challenge_is_refused():
    result = verify_did_auth(did_auth(challenge=None), challenge=CHALLENGE, domain=DOMAIN, now=NOW)
    assert not result.ok and result.code == "challenge.missing"


def test_wrong_domain_is_refused():
    result = verify_did_auth(did_auth(domain="verifier.example"), challenge=CHALLENGE,
                             domain=DOMAIN, now=NOW)
    assert not result.ok and result.code == "domain.mismatch"
    assert "verifier.example" in result.message_en


def test_stale_presentation_is_refused():
    result = verify_did_auth(did_auth(created=NOW - timedelta(minutes=11)), challenge=CHALLENGE,
                             domain=DOMAIN, now=NOW)
    assert not result.ok and result.code == "freshness.stale"


def test_presentation_dated_in_the_future_is_refused():
    result = verify_did_auth(did_auth(created=NOW + timedelta(minutes=6)), challenge=CHALLENGE,
                             domain=DOMAIN, now=NOW)
    assert not result.ok and result.code == "freshness.future"


def test_small_clock_skew_is_accepted():
    result = verify_did_auth(did_auth(created=NOW + timedelta(minutes=2)), challenge=CHALLENGE,
                             domain=DOMAIN, now=NOW)
    assert result.ok, codes(result)


def test_proof_by_another_key_is_refused():
    # The holder says WALLET, but the proof names and is made with OTHER's key.
    document = sign_presentation(presentation(WALLET.did), OTHER, challenge=CHALLENGE,
                                 domain=DOMAIN, created=NOW)
    result = verify_did_auth(document, challenge=CHALLENGE, domain=DOMAIN, now=NOW)
    assert not result.ok and result.code == "holder_did.key_not_holder"
    assert result.holder == WALLET.did


def test_signature_by_another_key_under_the_holders_method_is_refused():
    document = sign_presentation(presentation(WALLET.did), OTHER, challenge=CHALLENGE,
                                 domain=DOMAIN, created=NOW, method=WALLET.method)
    result = verify_did_auth(document, challenge=CHALLENGE, domain=DOMAIN, now=NOW)
    assert not result.ok and result.code == "holder_proof.signature_mismatch"


def test_wrong_purpose_is_refused():
    result = verify_did_auth(did_auth(purpose="assertionMethod"), challenge=CHALLENGE,
                             domain=DOMAIN, now=NOW)
    assert not result.ok and result.code == "holder_proof.wrong_purpose"


@pytest.mark.parametrize("suite", ["Ed25519Signature2020", "DataIntegrityProof"])
def test_tampered_presentation_fails_the_signature_check(suite):
    document = did_auth(suite=suite)
    document["holder"] = OTHER.did
    document["proof"]["verificationMethod"] = OTHER.method  # consistent, but not what was signed
    result = verify_did_auth(document, challenge=CHALLENGE, domain=DOMAIN, now=NOW)
    assert not result.ok and result.code == "holder_proof.signature_mismatch"


def test_tampered_proof_date_fails_the_signature_check():
    document = did_auth(created=NOW - timedelta(minutes=30))
    document["proof"]["created"] = "2026-01-15T09:59:00Z"
    result = verify_did_auth(document, challenge=CHALLENGE, domain=DOMAIN, now=NOW)
    assert not result.ok and result.code == "holder_proof.signature_mismatch"


def test_unsigned_presentation_is_refused():
    result = verify_did_auth(presentation(WALLET.did), challenge=CHALLENGE, domain=DOMAIN, now=NOW)
    assert not result.ok and result.code == "holder_proof.missing"


def test_holder_that_is_not_a_did_key_is_refused():
    document = did_auth()
    document["holder"] = "did:web:evil.example"
    result = verify_did_auth(document, challenge=CHALLENGE, domain=DOMAIN, now=NOW)
    assert not result.ok and result.code == "holder_did.unsupported"


def test_added_unsigned_member_is_refused():
    document = did_auth(suite="DataIntegrityProof")
    document["nickname"] = "not covered by the signature"
    result = verify_did_auth(document, challenge=CHALLENGE, domain=DOMAIN, now=NOW)
    assert not result.ok and result.code == "proof.unsigned_terms"


def _nested(depth: int) -> Any:
    value: Any = 1
    for _ in range(depth):
        value = [value]
    return value


@pytest.mark.parametrize(("data", "code"), [
    (None, "presentation.empty"),
    ("", "presentation.empty"),
    ("not json", "presentation.not_json"),
    ("[1]", "presentation.not_object"),
    ('{"a": 1, "a": 2}', "presentation.duplicate_key"),
    ("eyJhbGciOiJFZERTQSJ9.eyJ2cCI6e319.c2ln", "presentation.jwt_not_supported"),
    ({"@context": ["https://evil.example/ctx"], "type": "VerifiablePresentation"},
     "presentation.context_unknown"),
    ({"@context": ["https://www.w3.org/ns/credentials/v2"], "type": "VerifiableCredential"},
     "presentation.not_presentation"),
    ({"@context": [{"@vocab": "https://evil.example/"}]}, "presentation.context_inline"),
    ({"@context": ["https://www.w3.org/ns/credentials/v2"], "type": "VerifiablePresentation",
      "verifiableCredential": ["x"] * 6}, "presentation.too_many_credentials"),
    ({"@context": ["https://www.w3.org/ns/credentials/v2"], "type": "VerifiablePresentation",
      "x": _nested(40)},
     "presentation.too_deep"),
    (42, "presentation.not_object"),
])
def test_unreadable_presentations_are_refused_with_a_reason(data, code):
    result = verify_did_auth(data, challenge=CHALLENGE, domain=DOMAIN, now=NOW)
    assert not result.ok and result.code == code
    assert result.holder is None


# --- credentials inside, holder binding -----------------------------------------------------------

def _credential_for(subject: str) -> dict[str, Any]:
    unsigned = unsigned_membership()
    unsigned = copy.deepcopy(unsigned)
    unsigned["credentialSubject"]["id"] = subject
    return signed(unsigned)


@pytest.fixture(scope="module")
def bound_credential() -> dict[str, Any]:
    return _credential_for(WALLET.did)


def test_presentation_of_the_holders_own_badge_is_valid_and_bound(bound_credential):
    document = sign_presentation(presentation(WALLET.did, [bound_credential]), WALLET,
                                 challenge=CHALLENGE, domain=DOMAIN, created=NOW)
    report = verify_presentation(document, challenge=CHALLENGE, domain=DOMAIN, context=context())
    assert report.verdict == "valid", (codes(report.holder),
                                       [item.to_json() for item in report.credentials])
    assert report.holder_bound
    (item,) = report.credentials
    assert item.report.verdict == "valid" and item.holder_binding.code == "holder_binding.ok"
    answer = report.to_json()
    assert answer["kind"] == "presentation" and answer["holder"] == WALLET.did
    assert answer["credentials"][0]["holder_bound"] is True


def test_presentation_of_someone_elses_badge_is_invalid(bound_credential):
    document = sign_presentation(presentation(OTHER.did, [bound_credential]), OTHER,
                                 challenge=CHALLENGE, domain=DOMAIN, created=NOW)
    report = verify_presentation(document, challenge=CHALLENGE, domain=DOMAIN, context=context())
    assert report.holder.ok
    assert report.verdict == "invalid" and not report.holder_bound
    assert report.credentials[0].holder_binding.code == "holder_binding.other_subject"


def test_nameless_city_badge_is_valid_but_not_bound():
    credential = signed(unsigned_membership())  # credentialSubject.id is a urn:uuid
    document = sign_presentation(presentation(WALLET.did, [credential]), WALLET,
                                 challenge=CHALLENGE, domain=DOMAIN, created=NOW)
    report = verify_presentation(document, challenge=CHALLENGE, domain=DOMAIN, context=context())
    assert report.verdict == "valid" and not report.holder_bound
    assert report.credentials[0].holder_binding.outcome == "warning"


def test_tampered_credential_inside_is_reported(bound_credential):
    tampered = copy.deepcopy(bound_credential)
    tampered["credentialSubject"]["achievement"]["name"] = "Maire de Roubaix"
    document = sign_presentation(presentation(WALLET.did, [tampered]), WALLET,
                                 challenge=CHALLENGE, domain=DOMAIN, created=NOW)
    report = verify_presentation(document, challenge=CHALLENGE, domain=DOMAIN, context=context())
    assert report.holder.ok  # the holder signed what they sent, tampered or not
    assert report.verdict == "invalid" and not report.holder_bound
    assert report.credentials[0].report.check("proof").code == "proof.signature_mismatch"


def test_presentation_without_challenge_is_reported_as_not_asked(bound_credential):
    document = sign_presentation(presentation(WALLET.did, [bound_credential]), WALLET,
                                 challenge=None, domain=None,
                                 created=NOW - timedelta(days=2))
    report = verify_presentation(document, challenge=None, domain=None, context=context())
    found = codes(report.holder)
    assert found["challenge"] == ("warning", "challenge.not_expected")
    assert found["freshness"] == ("warning", "freshness.old")
    assert report.verdict == "valid" and report.holder_bound


def test_enveloped_vc_jwt_inside_a_presentation_is_verified():
    from issuer.proofs.vc_jwt import encode_vc_jwt
    from tests.test_verification import ED_KEY, ED_METHOD

    unsigned = copy.deepcopy(unsigned_membership())
    unsigned["credentialSubject"]["id"] = WALLET.did
    token = encode_vc_jwt(unsigned, ED_KEY.private_key, ED_METHOD)
    enveloped = {"@context": ["https://www.w3.org/ns/credentials/v2"],
                 "id": f"data:application/vc+jwt,{token}",
                 "type": "EnvelopedVerifiableCredential"}
    document = sign_presentation(presentation(WALLET.did, [enveloped]), WALLET,
                                 challenge=CHALLENGE, domain=DOMAIN, created=NOW,
                                 suite="DataIntegrityProof")
    report = verify_presentation(document, challenge=CHALLENGE, domain=DOMAIN, context=context())
    assert report.holder.ok, codes(report.holder)
    assert report.credentials[0].report.input_format == "jwt"
    assert report.holder_bound, report.credentials[0].to_json()
    # A bare VC-JWT string is no JSON-LD node: the holder's signature would not cover it, so a
    # Data Integrity presentation carrying one is refused, as the wallets' safe mode does.
    bare = sign_presentation(presentation(WALLET.did, [token]), WALLET, challenge=CHALLENGE,
                             domain=DOMAIN, created=NOW, suite="DataIntegrityProof")
    report = verify_presentation(bare, challenge=CHALLENGE, domain=DOMAIN, context=context())
    assert report.holder.code == "proof.unsigned_terms" and report.verdict == "invalid"


def test_failed_holder_proof_leaves_binding_unchecked(bound_credential):
    document = sign_presentation(presentation(WALLET.did, [bound_credential]), WALLET,
                                 challenge="old", domain=DOMAIN, created=NOW)
    report = verify_presentation(document, challenge=CHALLENGE, domain=DOMAIN, context=context())
    assert report.verdict == "invalid" and not report.holder_bound
    assert report.credentials[0].holder_binding.outcome == "skipped"


def test_clock_comes_from_the_context(bound_credential):
    document = sign_presentation(presentation(WALLET.did, [bound_credential]), WALLET,
                                 challenge=CHALLENGE, domain=DOMAIN, created=NOW)
    later = context(now=NOW + timedelta(hours=1))
    report = verify_presentation(document, challenge=CHALLENGE, domain=DOMAIN, context=later)
    assert report.holder.code == "freshness.stale"
    assert replace(later, now=NOW).now == NOW
