"""Every sample of the official 1EdTech validator (tests/fixtures/validator), verified offline.

The table says, for each file: what the validator expects (EXPECTED.md), the offline signature
result (EXPECTED.md's "Sig (pyld)" column, which our `proof` check must match exactly), our
verdict and the check that decides it, and why wherever we deliberately differ from the
validator. The recurring reasons:

- KEY_URL: the verification method is `https://<issuer>#z6Mk…`, the key written in the URL
  fragment. The signature is checked with that key, but nothing ties it to the issuer
  (VERIFICATION.md R5, R10, R11): `issuer_key` is "unknown", so the verdict is at best
  indeterminate.
  Re-examined for issue 9: the wallets' verifiers refuse such a method even when the issuer
  publishes a controller document listing the key at its id (over HTTP the `#fragment` is
  not sent, and Digital Bazaar then reads the whole document as the key; verifier-core
  resolves no https method), so calling it valid would make us disagree with the wallets
  (tests/test_interop_validator_samples.py). The same key as a did:key issuer's
  `did:key:z…#z…` is accepted here and by both wallet stacks.
- PROOF_OBJECT: `proof` is a single object; the OB 3.0 JSON Schema requires an array
  (VERIFICATION.md R3), so the schema check fails.
- JWK_HEADER: the VC-JWT carries its own key in a `jwk` header: the signature verifies, but
  such a key proves nothing about the issuer (VERIFICATION.md R11).

Status lists: the bit-string-list samples are signed with a KEY_URL key, so their proof is not
tied to the issuer and their status list is never fetched (`status.not_fetched`,
VERIFICATION.md R17). Their `statusListCredential` URL is still mapped to `testlist.json`, which
would not be trusted either: that list declares the id `https://example.com/credentials/status/3`,
not the URL the entry names (`status.list_mismatch`), the sample's `statusListIndex` is the JSON
number 23 where the spec requires a base-10 string, and the list is signed with a KEY_URL key, so
its signer cannot be tied to the issuer (VERIFICATION.md R13).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric import ed25519

from issuer.openbadges.did import DidResolver
from issuer.openbadges.proofs.data_integrity import sign_document
from issuer.openbadges.verification import VerificationContext, VerificationReport, verify

CITY = "Ville de Roubaix"
SAMPLES = Path(__file__).parent / "fixtures" / "validator"
TESTLIST_URL = ("https://raw.githubusercontent.com/1EdTech/digital-credentials-public-validator/"
                "refs/heads/main/inspector-vc/src/test/resources/ob30/bit-string-list/testlist")

KEY_URL = ("key named by an https URL with the key in its fragment: the signature verifies, but "
           "nothing ties the key to the issuer offline (VERIFICATION.md R5, R10, R11)")
PROOF_OBJECT = ("`proof` is one object; the OB 3.0 JSON Schema requires an array "
                "(VERIFICATION.md R3)")
JWK_HEADER = ("the JWT's only key is its own `jwk` header: the signature verifies but proves "
              "nothing about the issuer (VERIFICATION.md R11)")
STATUS_SAMPLE = ("the status list is not fetched for a proof not tied to the issuer "
                 "(VERIFICATION.md R17): status unknown, never 'valid'; testlist.json, served at "
                 "the entry's URL, would not count either (it says it is another list, "
                 "https://example.com/credentials/status/3, VERIFICATION.md R7, R13)")


@dataclass(frozen=True)
class Sample:
    validator: str
    """What the official validator expects (EXPECTED.md)."""
    sig: bool | None
    """EXPECTED.md "Sig (pyld)": True -> our proof check passes, False -> it fails."""
    verdict: str
    decisive: tuple[str, str]
    """(check name, code) that decides our verdict (failed for invalid, unknown for
    indeterminate)."""
    why_we_differ: str | None = None
    also: dict[str, str] = field(default_factory=dict)
    """Other checks worth pinning: name -> code."""


TABLE: dict[str, Sample] = {
    "simple.json": Sample("valid", True, "indeterminate", ("issuer_key", "issuer_key.unverifiable"),
                          KEY_URL),
    "simple-did-key-method.json": Sample(
        "valid", True, "invalid", ("issuer_key", "issuer_key.not_issuer"),
        "signed by did:key:z6Mk… while the issuer is urn:uuid:…: the issuer's (signed) profile "
        "lists no key, so the key is known not to be the issuer's, not merely unknown "
        "(VERIFICATION.md R11); both wallet stacks refuse it too (and its bare `did:key:z…` "
        "method even when the issuer is that did:key: issuer_key.bare_did)"),
    "simple-did-web-method.json": Sample(
        "(test @Disabled)", True, "invalid", ("schema", "schema.invalid"),
        f"{PROOF_OBJECT}; its key is also a KEY_URL one",
        also={"issuer_key": "issuer_key.unverifiable"}),
    "simple-context-alias.json": Sample("valid", True, "indeterminate",
                                        ("issuer_key", "issuer_key.unverifiable"), KEY_URL),
    "simple-context-version.json": Sample(
        "ContextPropertyProbe reported (older context version)", True, "indeterminate",
        ("issuer_key", "issuer_key.unverifiable"), KEY_URL,
        also={"context": "context.older_ob"}),
    "simple-multiple-proofs.json": Sample("1 error (JsonLDValidationProbe)", None, "invalid",
                                          ("proof", "proof.unsupported_type")),
    "simple-noproof.json": Sample("invalid (no proof)", None, "invalid",
                                  ("proof", "proof.missing")),
    "simple-eddsa-2022.json": Sample(
        "warning", None, "indeterminate", ("issuer_key", "issuer_key.unverifiable"), KEY_URL,
        also={"context": "context.vcdm11", "proof": "proof.ok"}),
    "simple_v1.json": Sample(
        "warning (VCDM 1.1)", None, "indeterminate", ("issuer_key", "issuer_key.unverifiable"),
        KEY_URL, also={"context": "context.vcdm11", "proof": "proof.ok",
                       "schema": "schema.vcdm11_not_checked"}),
    "complete.json": Sample(
        "invalid only because the inline credentialSchema URL 404s", True, "indeterminate",
        ("issuer_key", "issuer_key.unverifiable"),
        "we never fetch credentialSchema (the shipped schema passes); KEY_URL; and "
        "1EdTechRevocationList is not read, so the status is unknown (VERIFICATION.md R7)",
        also={"schema": "schema.ok", "status": "status.unsupported_type"}),
    "complete_v1.json": Sample(
        "invalid only because the inline credentialSchema URL 404s", None, "invalid",
        ("validity", "validity.expired"),
        "its expirationDate (2020-01-01) is past; its key `#key-1` lives in a document we do "
        "not fetch, so the signature could not be checked",
        also={"proof": "proof.key_unavailable"}),
    "endorsement-valid.json": Sample("valid", True, "indeterminate",
                                     ("issuer_key", "issuer_key.unverifiable"), KEY_URL,
                                     also={"type": "type.ok", "schema": "schema.ok"}),
    "endorsement-err-schema-status-refresh.json": Sample(
        "invalid: CredentialParseProbe (refreshService URL)", None, "invalid",
        ("proof", "proof.signature_mismatch"),
        "same verdict, other reason: its Ed25519Signature2020 proof does not verify with the "
        "key in its verification method (we do not examine refreshService)"),
    "credential-status-revoked.json": Sample(
        "invalid: revoked (RevocationListProbe, network)", None, "indeterminate",
        ("proof", "proof.key_unavailable"),
        "offline, the issuer's did:web document cannot be read, so neither the key nor the "
        "signature can be checked; 1EdTechRevocationList is not read, so the status is "
        "unknown, never 'valid' (VERIFICATION.md R7)",
        also={"issuer_key": "issuer_key.unavailable", "status": "status.unsupported_type"}),
    "bit-string-list/credential-status-revoked.json": Sample(
        "invalid: revoked (BitstringStatusListProbe)", True, "invalid",
        ("schema", "schema.invalid"),
        f"{PROOF_OBJECT}; status: {STATUS_SAMPLE}",
        also={"status": "status.not_fetched", "issuer_key": "issuer_key.unverifiable"}),
    "bit-string-list/credential-status-revoked-blank-nodes.json": Sample(
        "invalid: revoked", True, "invalid", ("schema", "schema.invalid"),
        f"{PROOF_OBJECT}; status: {STATUS_SAMPLE}",
        also={"status": "status.not_fetched"}),
    "bit-string-list/testlist.json": Sample(
        "valid", True, "invalid", ("type", "type.not_a_badge"),
        "a status list credential, not a badge: verify() verifies badges (its signature "
        "still checks out)"),
    "simple-err-type.json": Sample("invalid: TypePropertyProbe", False, "invalid",
                                   ("type", "type.not_a_badge"),
                                   also={"proof": "proof.unsigned_terms"}),
    "simple-err-proof-method.json": Sample("invalid: EmbeddedProofProbe", False, "invalid",
                                           ("proof", "proof.bad_verification_method")),
    "simple-err-proof-method-no-scheme.json": Sample(
        "invalid: missing scheme", False, "invalid", ("proof", "proof.bad_verification_method")),
    "simple-err-proof-method-unknown-scheme.json": Sample(
        "invalid: unknown scheme", False, "invalid", ("proof", "proof.bad_verification_method")),
    "simple-err-proof-method-unknown-did-method.json": Sample(
        "invalid: DID resolution", False, "invalid", ("proof", "proof.key_unresolvable")),
    "simple-err-proof-value.json": Sample("invalid: EmbeddedProofProbe", False, "invalid",
                                          ("proof", "proof.signature_mismatch")),
    "simple-err-expired.json": Sample("invalid: ExpirationProbe", True, "invalid",
                                      ("validity", "validity.expired")),
    "simple-err-issued.json": Sample("invalid: IssuanceProbe", True, "invalid",
                                     ("validity", "validity.not_yet_valid")),
    "simple-err-issuer.json": Sample("invalid: JsonSchemaProbe", True, "invalid",
                                     ("schema", "schema.invalid"),
                                     also={"issuer_key": "issuer_key.no_issuer"}),
    "simple-err-context.json": Sample("invalid: ContextPropertyProbe", False, "invalid",
                                      ("context", "context.not_vc_first")),
    "simple.jwt": Sample(
        "(not asserted)", None, "invalid", ("context", "context.unknown"),
        "its OB context (imsglobal.github.io) is not a published, pinned one; and the token "
        "names no key at all",
        also={"proof": "proof.jwt_no_key", "format": "format.jwt_vc_claim"}),
    "simple-json.png": Sample("valid", True, "indeterminate",
                              ("issuer_key", "issuer_key.unverifiable"), KEY_URL),
    "simple-json.svg": Sample("valid", True, "indeterminate",
                              ("issuer_key", "issuer_key.unverifiable"), KEY_URL),
    "simple-jwt.png": Sample("valid", True, "invalid", ("issuer_key", "issuer_key.jwk_only"),
                             JWK_HEADER),
    "simple-jwt.svg": Sample("valid", True, "invalid", ("issuer_key", "issuer_key.jwk_only"),
                             JWK_HEADER),
    "simple-jwt_v1.png": Sample("warning (VCDM 1.1)", True, "invalid",
                                ("issuer_key", "issuer_key.jwk_only"), JWK_HEADER,
                                also={"format": "format.jwt_vc_claim",
                                      "context": "context.vcdm11"}),
    "simple-jwt_v1.svg": Sample("warning (VCDM 1.1)", True, "invalid",
                                ("issuer_key", "issuer_key.jwk_only"), JWK_HEADER,
                                also={"format": "format.jwt_vc_claim",
                                      "context": "context.vcdm11"}),
}


def reissued_by_did_key(bare: bool) -> dict[str, Any]:
    """simple.json, issued by the did:key of the sample's own (published) key and signed with
    it: `did:key:z…#z…`, or the bare `did:key:z…` the did-key sample uses."""
    vector = json.loads((SAMPLES.parent / "test-vectors" / "1edtech-ob-eddsa-rdfc-2022" /
                         "vector.json").read_text("utf-8"))
    key = ed25519.Ed25519PrivateKey.from_private_bytes(
        bytes.fromhex(vector["keyPair"]["privateKeySeedHex32"]))
    did = f"did:key:{vector['keyPair']['publicKeyMultibase']}"
    credential = json.loads((SAMPLES / "simple.json").read_text("utf-8"))
    credential.pop("proof")
    credential["issuer"] = {**credential["issuer"], "id": did}
    method = did if bare else f"{did}#{did[len('did:key:'):]}"
    return sign_document(credential, key, method,
                         created=datetime(2025, 1, 1, tzinfo=UTC))


def _fetch_status_list(url: str) -> dict:
    if url == TESTLIST_URL:
        return json.loads((SAMPLES / "bit-string-list" / "testlist.json").read_text("utf-8"))
    raise LookupError(f"offline: {url}")


def _context(*, untrusted: bool = True) -> VerificationContext:
    return VerificationContext(resolver=DidResolver(), fetch_status_list=_fetch_status_list,
                               known_issuers={"did:web:badges.ville-roubaix.fr": CITY},
                               untrusted=untrusted)


def _sample_files() -> list[str]:
    return sorted(str(path.relative_to(SAMPLES)) for path in SAMPLES.rglob("*")
                  if path.is_file() and path.name != "EXPECTED.md")


def _expected_md_signatures() -> dict[str, bool | None]:
    """EXPECTED.md's "Sig (pyld)" column, per file (rows may name two files)."""
    found: dict[str, bool | None] = {}
    for line in (SAMPLES / "EXPECTED.md").read_text("utf-8").splitlines():
        cells = [cell.strip() for cell in line.split("|")]
        if len(cells) < 7 or not re.search(r"\.(json|jwt|png|svg)", cells[1]):
            continue
        sig = cells[5].lower()
        value = True if sig.startswith(("true", "rs256 verifies")) else \
            False if sig.startswith("false") else None
        for name in cells[1].split(" / "):
            found[name.strip()] = value
    return found


def test_table_covers_every_sample_file():
    assert sorted(TABLE) == _sample_files()


def test_table_signature_column_is_the_one_in_expected_md():
    assert {name: sample.sig for name, sample in TABLE.items()} == _expected_md_signatures()


def test_every_deliberate_difference_from_the_validator_is_explained():
    for name, sample in TABLE.items():
        validator_says_valid = sample.validator.startswith(("valid", "warning"))
        if validator_says_valid != (sample.verdict == "valid") and "not asserted" not in \
                sample.validator and "@Disabled" not in sample.validator:
            assert sample.why_we_differ, name


@pytest.fixture(scope="module")
def reports() -> dict[str, VerificationReport]:
    context = _context()
    return {name: verify((SAMPLES / name).read_bytes(), context) for name in TABLE}


@pytest.mark.parametrize("name", sorted(TABLE))
def test_sample_gives_the_expected_verdict_and_decisive_check(name, reports):
    sample, report = TABLE[name], reports[name]
    check_name, code = sample.decisive
    decisive = report.check(check_name)
    assert report.verdict == sample.verdict, [(c.name, c.outcome, c.code) for c in report.checks]
    assert decisive.code == code
    assert decisive.outcome == {"invalid": "failed", "indeterminate": "unknown"}[sample.verdict]
    for other, other_code in sample.also.items():
        assert report.check(other).code == other_code, other


@pytest.mark.parametrize("name", sorted(n for n, s in TABLE.items() if s.sig is not None))
def test_signature_outcome_matches_the_offline_reference(name, reports):
    proof = reports[name].check("proof")
    assert proof.outcome == ("passed" if TABLE[name].sig else "failed"), proof


def test_no_sample_is_reported_valid(reports):
    # None of them is signed with a key its issuer is known to publish (VERIFICATION.md R11).
    assert [name for name, report in reports.items() if report.verdict == "valid"] == []


def test_baked_samples_read_as_their_container(reports):
    assert reports["simple-json.png"].input_format == "png"
    assert reports["simple-json.svg"].input_format == "svg"
    assert reports["simple-jwt.png"].input_format == "png"
    assert reports["simple.jwt"].input_format == "jwt"
    assert reports["simple.json"].input_format == "json"


def test_the_sandbox_and_the_in_process_path_give_the_same_reports(reports):
    # With untrusted=False everything runs in-process without limits; the checks must agree.
    trusted = _context(untrusted=False)
    for name in ("simple.json", "complete.json", "simple-err-proof-value.json",
                 "simple-did-key-method.json", "simple_v1.json", "simple-err-type.json"):
        again = verify((SAMPLES / name).read_bytes(), trusted)
        assert again.checks == reports[name].checks, name


def test_the_sample_reissued_by_a_did_key_issuer_is_valid():
    # What the specification and both wallet stacks accept (tests/test_interop_validator_
    # samples.py): the issuer is the did:key, the proof names `did:key:z…#z…`.
    report = verify(reissued_by_did_key(bare=False), _context())
    assert report.verdict == "valid", [(c.name, c.outcome, c.code) for c in report.checks]
    assert report.check("issuer_key").code == "issuer_key.ok"


def test_a_bare_did_key_method_is_not_the_issuers_key_even_when_it_is_the_issuer():
    report = verify(reissued_by_did_key(bare=True), _context())
    assert report.check("proof").outcome == "passed"
    assert report.check("issuer_key").code == "issuer_key.bare_did"
    assert report.verdict == "invalid"
