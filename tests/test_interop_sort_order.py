"""The wallets' sort order (issue #9, item 3; `issuer.openbadges.sort_order`), against the wallets themselves.

rdf-canonize, in verifier-core and in Digital Bazaar's stack, sorts canonical N-Quads by UTF-16
code units where RDFC-1.0 says code points. An achievement whose two `tags` are "🎉 fête" and
"ﬁ fête" is sorted differently by the two rules. Shown here with the JavaScript libraries:
our signer refuses it (a signature in code point order, which we could make, fails in both
wallets); the same texts in a form both orders sort alike are signed and accepted; a credential
that Digital Bazaar signs in its own order is accepted by our verifier, which says so.
"""

from __future__ import annotations

import copy
from datetime import UTC, datetime
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric import ed25519

from issuer.errors import SigningRefused
from issuer.openbadges import contexts
from issuer.openbadges.did import DidResolver, did_key_for_ed25519
from issuer.openbadges.proofs.data_integrity import sign_document
from issuer.openbadges.verification.context import VerificationContext
from issuer.openbadges.verification.pipeline import verify

pytestmark = pytest.mark.interop

SEED = bytes(range(32, 64))
KEY = ed25519.Ed25519PrivateKey.from_private_bytes(SEED)
ISSUER = did_key_for_ed25519(KEY.public_key().public_bytes_raw())
METHOD = f"{ISSUER}#{ISSUER.removeprefix('did:key:')}"
NOW = "2026-01-01T00:00:00Z"
CREATED = datetime(2025, 9, 26, 8, 0, tzinfo=UTC)
AMBIGUOUS_TAGS = ["🎉 fête", "ﬁ fête"]   # first differ at U+1F389 against U+FB01
AGREEING_TAGS = ["fête 🎉", "ﬁnale"]     # first differ at "f" against "ﬁ": both orders agree


def _credential(tags: list[str]) -> dict[str, Any]:
    return {
        "@context": [contexts.VC_V2, contexts.OB_V3P0],
        "id": "urn:uuid:6f0e8c2a-0000-4000-8000-000000000019",
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "issuer": {"id": ISSUER, "type": ["Profile"], "name": "Ville de Roubaix"},
        "validFrom": "2025-09-26T08:00:00Z",
        "name": "Fête de la médiation",
        "credentialSubject": {
            "id": "urn:uuid:6f0e8c2a-0000-4000-8000-000000000020",
            "type": ["AchievementSubject"],
            "achievement": {
                "id": "https://badges.example.org/achievements/fete",
                "type": ["Achievement"],
                "name": "Fête de la médiation",
                "description": "A animé un atelier.",
                "criteria": {"narrative": "Un atelier animé."},
                "tag": tags,
            },
        },
    }


def _no_status_list(url: str) -> dict[str, Any]:
    raise LookupError(f"no status list in this test: {url}")


def _our_verdict(credential: dict[str, Any]) -> tuple[str, str]:
    """Our verifier's `proof` check (did:key: the key is computed, nothing is fetched)."""
    context = VerificationContext(resolver=DidResolver(), fetch_status_list=_no_status_list,
                                  known_issuers={}, now=datetime(2026, 1, 1, tzinfo=UTC))
    report = verify(copy.deepcopy(credential), context)
    (proof,) = [check for check in report.checks if check.name == "proof"]
    return proof.outcome, proof.code


def test_tags_sorted_differently_are_refused_and_would_fail_in_both_wallets(
        third_party_verifiers) -> None:
    with pytest.raises(SigningRefused) as refused:
        sign_document(_credential(AMBIGUOUS_TAGS), KEY, METHOD, created=CREATED)
    assert refused.value.code == "sign.sort_order_ambiguous"
    assert "/credentialSubject/achievement/tag/0" in refused.value.message_en
    # Why: the RDFC-1.0 (code point) signature we would otherwise make fails in the wallets,
    # though it verifies in a standard verifier (ours).
    unchecked = sign_document(_credential(AMBIGUOUS_TAGS), KEY, METHOD, created=CREATED,
                              check=False)
    assert _our_verdict(unchecked) == ("passed", "proof.ok")
    result = third_party_verifiers(credential=unchecked, now=NOW)
    assert result["digitalBazaar"]["proofVerified"] is False
    assert result["verifierCore"]["verified"] is False


def test_emoji_and_ligature_both_orders_agree_on_are_signed_and_accepted_by_the_wallets(
        third_party_verifiers) -> None:
    signed = sign_document(_credential(AGREEING_TAGS), KEY, METHOD, created=CREATED)
    result = third_party_verifiers(credential=signed, now=NOW)
    assert result["digitalBazaar"]["proofVerified"] is True, result["digitalBazaar"]["proofError"]
    assert result["digitalBazaar"]["verified"] is True, result["digitalBazaar"]["error"]
    assert result["verifierCore"]["verified"] is True, result["verifierCore"]["errors"]
    assert _our_verdict(signed) == ("passed", "proof.ok")


@pytest.mark.parametrize("achievement_id", [True, False], ids=["achievement-iri",
                                                                 "achievement-blank-node"])
def test_credential_signed_in_the_wallets_order_is_accepted_with_a_note(
        digital_bazaar_signer, third_party_verifiers, achievement_id: bool) -> None:
    """Without an `id` the achievement is a blank node: rdf-canonize then also sorts the lines
    it hashes for that node by UTF-16 units, which changes the node's hash, not only the order."""
    credential = _credential(AMBIGUOUS_TAGS)
    if not achievement_id:
        del credential["credentialSubject"]["achievement"]["id"]
    signed = digital_bazaar_signer(credential, seed=SEED, verification_method=METHOD,
                                   controller=ISSUER, created="2025-09-26T08:00:00Z")
    # Digital Bazaar verifies its own signature (UTF-16 order)...
    assert third_party_verifiers(credential=signed, now=NOW)["digitalBazaar"]["proofVerified"]
    # ...and so do we, saying which order it covers.
    assert _our_verdict(signed) == ("passed", "proof.ok_utf16_order")
    tampered = copy.deepcopy(signed)
    tampered["credentialSubject"]["achievement"]["tag"] = ["🎉 fête", "ﬁ fêtes"]
    assert _our_verdict(tampered) == ("failed", "proof.signature_mismatch")
