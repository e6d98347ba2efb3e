"""The verifier's memos (`issuer.openbadges.memo`) never serve a stale answer: a status list's
verified signature, a decoded bitstring and a decoded public key are kept only under the exact
input that decided them, so a list whose bit changed, a list tampered with under the same id,
a key revoked, removed or replaced each give the right verdict at the very next verification.
"""

from __future__ import annotations

import base64
import copy
import json
import os
import threading
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric import ed25519

from issuer.issuance.issue_requests import IssueRequest
from issuer.issuance.keys import generate_key
from issuer.issuance.own_verification import verify_own
from issuer.issuance.service import IssuerService
from issuer.openbadges.did import DidResolver, build_did_document
from issuer.openbadges.dids.errors import DidError
from issuer.openbadges.dids.key_encodings import (
    ed25519_multibase,
    key_from_multikey,
    public_key_from_jwk_member,
)
from issuer.openbadges.json_cost import LIMITS, CostLimits
from issuer.openbadges.memo import Memo, json_digest
from issuer.openbadges.status_list import StatusBitstring, StatusListError
from issuer.openbadges.verification import RevokedKey, VerificationContext, status, verify
from issuer.openbadges.verification.proofs import VERIFIED_SIGNATURES
from issuer.settings import Settings
from tests.test_verification import (
    CITY,
    CITY_DID,
    ED_KEY,
    INDEX,
    NOW,
    REVOCATION_URL,
    SUSPENSION_URL,
    context,
    lists,
    outcomes,
    signed,
    status_list,
    unsigned_membership,
)

LIST_KEY = generate_key("Ed25519")
"""A second City key, the one the status lists are signed with in the key tests."""
LIST_METHOD = f"{CITY_DID}#{LIST_KEY.kid}"


@pytest.fixture(scope="module")
def credential() -> dict[str, Any]:
    return signed(unsigned_membership())


def _did_document(*keys: tuple[str, bytes]) -> dict[str, Any]:
    return build_did_document(CITY_DID, ed25519_keys=list(keys), rsa_keys=[])


def _context(published: dict[str, dict], did_document: dict[str, Any],
             revoked: dict[str, RevokedKey] | None = None) -> VerificationContext:
    return VerificationContext(resolver=DidResolver(local_documents={CITY_DID: did_document}),
                               fetch_status_list=published.__getitem__,
                               known_issuers={CITY_DID: CITY}, now=NOW,
                               revoked_keys=revoked or {})


def _lists_signed_with_second_key(*revoked: int) -> dict[str, dict]:
    return {url: status_list(url, purpose, *(revoked if purpose == "revocation" else ()),
                             key=LIST_KEY.private_key, method=LIST_METHOD)
            for url, purpose in ((REVOCATION_URL, "revocation"),
                                 (SUSPENSION_URL, "suspension"))}


# --- status lists ---------------------------------------------------------------------------------

def test_an_unchanged_list_is_not_checked_again_and_a_changed_bit_is_seen_at_once(credential):
    clear = lists()
    assert verify(credential, context(clear)).verdict == "valid"
    hits = VERIFIED_SIGNATURES.hits
    assert verify(credential, context(copy.deepcopy(clear))).verdict == "valid"
    assert VERIFIED_SIGNATURES.hits == hits + 2  # both lists, same text: not verified again

    revoked = lists(revoked=(INDEX,))  # the same list, signed again with the bit set
    report = verify(credential, context(revoked))
    assert report.verdict == "invalid"
    assert outcomes(report)["status"] == ("failed", "status.revoked")
    assert verify(credential, context(clear)).verdict == "valid"  # unrevoked: seen at once


def test_a_list_tampered_with_under_the_same_id_is_refused_at_once(credential):
    clear = lists()
    assert verify(credential, context(clear)).verdict == "valid"
    for change in ("encodedList", "validUntil"):
        tampered = copy.deepcopy(clear)
        if change == "encodedList":  # the bit set, the original proof kept
            tampered[REVOCATION_URL]["credentialSubject"]["encodedList"] = \
                lists(revoked=(INDEX,))[REVOCATION_URL]["credentialSubject"]["encodedList"]
        else:
            tampered[REVOCATION_URL]["validUntil"] = "2030-01-01T00:00:00Z"
        assert tampered[REVOCATION_URL]["id"] == clear[REVOCATION_URL]["id"]
        report = verify(credential, context(tampered))
        assert report.verdict == "indeterminate", change
        assert outcomes(report)["status"] == ("unknown", "status.list_bad_signature"), change


def test_a_revoked_list_key_is_refused_at_once_after_the_list_verified(credential):
    published = _lists_signed_with_second_key()
    both = _did_document((ED_KEY.kid, ED_KEY.public_bytes()),
                         (LIST_KEY.kid, LIST_KEY.public_bytes()))
    assert verify(credential, _context(published, both)).verdict == "valid"

    only_first = _did_document((ED_KEY.kid, ED_KEY.public_bytes()))
    revoked = {LIST_METHOD: RevokedKey(date(2026, 1, 14), "clé compromise", "key compromised")}
    report = verify(credential, _context(published, only_first, revoked))
    assert report.verdict == "indeterminate"
    assert outcomes(report)["status"] == ("unknown", "status.list_signer_unverified")
    assert "2026-01-14" in report.check("status").message_fr

    # Gone from the DID document without a word: refused at once too.
    report = verify(credential, _context(published, only_first))
    assert outcomes(report)["status"] == ("unknown", "status.list_signer_unverified")


def test_a_list_key_replaced_under_the_same_method_id_is_not_trusted(credential):
    published = _lists_signed_with_second_key()
    both = _did_document((ED_KEY.kid, ED_KEY.public_bytes()),
                         (LIST_KEY.kid, LIST_KEY.public_bytes()))
    assert verify(credential, _context(published, both)).verdict == "valid"
    other = ed25519.Ed25519PrivateKey.generate().public_key().public_bytes_raw()
    swapped = _did_document((ED_KEY.kid, ED_KEY.public_bytes()), (LIST_KEY.kid, other))
    report = verify(credential, _context(published, swapped))
    assert report.verdict == "indeterminate"
    assert outcomes(report)["status"] == ("unknown", "status.list_bad_signature")


def test_a_pass_in_our_own_verifier_is_not_reused_under_a_strangers_limits(credential):
    fresh = {url: status_list(url, purpose, valid_from=datetime(2025, 3, 3, tzinfo=UTC))
             for url, purpose in ((REVOCATION_URL, "revocation"), (SUSPENSION_URL, "suspension"))}
    assert verify(credential, context(fresh, untrusted=False)).verdict == "valid"
    hits = VERIFIED_SIGNATURES.hits
    # Another context's limits are another key: checked anew (in the sandbox if need be).
    assert verify(credential, context(fresh, untrusted=True)).verdict == "valid"
    assert VERIFIED_SIGNATURES.hits == hits
    assert verify(credential, context(fresh, untrusted=True)).verdict == "valid"
    assert VERIFIED_SIGNATURES.hits == hits + 2


def test_a_list_within_the_cost_limits_is_counted_again_under_other_limits(credential):
    clear = lists()
    assert verify(credential, context(clear)).verdict == "valid"
    listed = clear[REVOCATION_URL]
    digest = json_digest(listed)
    assert status._list_excess(listed, digest, LIMITS) is None  # remembered
    tight = CostLimits(values=10)
    for _ in range(2):  # over a limit: counted, and refused, every time
        excess = status._list_excess(listed, digest, tight)
        assert excess is not None and excess.quantity == "values"


# --- decoded bitstrings and keys ------------------------------------------------------------------

def test_decoded_bitstrings_follow_the_encoded_text():
    first, second = StatusBitstring(), StatusBitstring()
    first.set(7, True)
    second.set(8, True)
    for _ in range(2):
        assert StatusBitstring.decode(first.encode()).get(7) is True
        assert StatusBitstring.decode(first.encode()).get(8) is False
        assert StatusBitstring.decode(second.encode()).get(8) is True
        assert StatusBitstring.decode(second.encode()).get(7) is False
    decoded = StatusBitstring.decode(first.encode())
    decoded.set(9, True)  # a caller's copy: the kept bits do not change
    assert StatusBitstring.decode(first.encode()).get(9) is False
    # The cap is part of the key: a list decoded under a large cap is refused under a small one.
    with pytest.raises(StatusListError) as refused:
        StatusBitstring.decode(first.encode(), max_length=64)
    assert refused.value.code == "status.list_too_large"
    for _ in range(2):  # a refusal is decided again every time
        with pytest.raises(StatusListError):
            StatusBitstring.decode("u" + "A" * 40)


def test_decoded_keys_follow_the_encoded_value():
    first = ed25519.Ed25519PrivateKey.generate().public_key().public_bytes_raw()
    second = ed25519.Ed25519PrivateKey.generate().public_key().public_bytes_raw()
    for _ in range(2):
        assert key_from_multikey(ed25519_multibase(first))[1].public_bytes_raw() == first
        assert key_from_multikey(ed25519_multibase(second))[1].public_bytes_raw() == second
    for _ in range(2):
        with pytest.raises(DidError):
            key_from_multikey(ed25519_multibase(first)[:-1] + "0")  # not base58
    jwk = {"kty": "OKP", "crv": "Ed25519",
           "x": base64.urlsafe_b64encode(first).rstrip(b"=").decode()}
    other = {**jwk, "x": base64.urlsafe_b64encode(second).rstrip(b"=").decode()}
    for _ in range(2):
        assert public_key_from_jwk_member(jwk)[1] == ed25519.Ed25519PublicKey.from_public_bytes(
            first)
        assert public_key_from_jwk_member(other)[1] == ed25519.Ed25519PublicKey.from_public_bytes(
            second)
        with pytest.raises(DidError):  # a private member is refused every time
            public_key_from_jwk_member({**jwk, "d": jwk["x"]})


# --- the memo itself ------------------------------------------------------------------------------

def test_memo_is_bounded_least_recently_used_first_and_safe_across_threads():
    memo: Memo[int] = Memo(3)
    for key in "abc":
        memo.put(key, ord(key))
    assert memo.get("a") == ord("a")  # "b" is now the least recently used
    memo.put("d", 4)
    assert memo.get("b") is None and memo.get("a") == ord("a") and len(memo) == 3
    with pytest.raises(ValueError, match="None"):
        memo.put("e", None)  # type: ignore[arg-type]

    shared: Memo[int] = Memo(50)

    def work(offset: int) -> None:
        for n in range(500):
            shared.put((offset, n), n)
            found = shared.get((offset, n))
            assert found is None or found == n

    threads = [threading.Thread(target=work, args=(offset,)) for offset in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(shared) == 50


def test_json_digest_tells_documents_apart_and_refuses_what_is_not_json():
    assert json_digest({"a": 1, "b": [1, 2]}) == json_digest({"b": [1, 2], "a": 1})
    assert json_digest({"a": 1}) != json_digest({"a": 1.0})
    assert json_digest({"a": 1}) != json_digest({"a": True})
    assert json_digest({"a": "1"}) != json_digest({"a": 1})
    assert json_digest({"a": float("nan")}) is None
    assert json_digest({"a": "\ud800"}) is None
    assert json_digest({"a": object()}) is None


# --- our own badges, through the service --------------------------------------------------------

@pytest.fixture
def home(tmp_path: Path) -> Iterator[Path]:
    with pytest.MonkeyPatch.context() as patch:
        for variable in [name for name in os.environ if name.startswith("ISSUER_")]:
            patch.delenv(variable)
        patch.delenv("DATABASE_URL", raising=False)
        patch.setenv("ISSUER_HOME", str(tmp_path))
        patch.setenv("ISSUER_BASE_URL", "https://badges.example.org")
        IssuerService(Settings.load()).init()
        yield tmp_path


def test_own_badges_on_one_list_see_a_revocation_and_a_key_revocation_at_once(home: Path):
    service = IssuerService(Settings.load())
    issued = service.issue_many(
        [IssueRequest("petit-dejeuner-inclusion-numerique", f"p{n}@example.org", name="P",
                      event_number=10, role="participant") for n in range(3)],
        signing_helpers=0)
    first, second, third = issued
    assert verify_own(service, "badge", first.credential_id,
                      first.credential_json)[0].verdict == "valid"

    # Another process revokes the second badge: its list changes, read on the next view.
    IssuerService(Settings.load()).revoke(second.credential_id, reason="erreur de saisie")
    report, _ = verify_own(service, "badge", second.credential_id, second.credential_json)
    assert outcomes(report)["status"] == ("failed", "status.revoked")
    service.own_verifications.clear()
    assert verify_own(service, "badge", first.credential_id,
                      first.credential_json)[0].verdict == "valid"

    # The signing key is revoked: the badges it signed fail at once, though their lists
    # verified a moment ago.
    kid = json.loads(third.credential_json)["proof"][0]["verificationMethod"].split("#")[1]
    IssuerService(Settings.load()).revoke_key(kid, "compromise")
    report, _ = verify_own(service, "badge", third.credential_id, third.credential_json)
    assert report.verdict == "invalid"
    assert outcomes(report)["proof"] == ("failed", "proof.key_revoked")
