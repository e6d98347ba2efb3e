"""Holder-bound copies (issuer.wallet.copies): what a copy says, the DIDs it accepts, the
badges it refuses to copy, and its status following the original's (revocation, suspension,
erasure, e-mail change), on SQLite and PostgreSQL."""

from __future__ import annotations

import base64
import hashlib
import json
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric import ed25519
from sqlalchemy import select

from issuer.errors import IssuerError
from issuer.issuance.issue_requests import IssueRequest
from issuer.issuance.service import IssuerService
from issuer.issuance.verification_context import verification_context_for
from issuer.openbadges.did import did_key_for_ed25519
from issuer.openbadges.proofs.vc_jwt import decode_unverified
from issuer.openbadges.verification import VerificationReport, verify
from issuer.settings import Settings
from issuer.storage import models as rows
from issuer.storage.wallet_models import MAX_HOLDER_DID_LENGTH, HolderCopyRow
from issuer.wallet.copies import (
    HolderCopy,
    copies_of,
    issue_holder_copy,
    normalise_holder_did,
)
from issuer.workspace import recipient_erasure, recipient_export, recipients
from tests.plugins.factory import ServiceFactory

BREAKFAST = "petit-dejeuner-inclusion-numerique"
ACTOR = "coordinatrice@ville-roubaix.example"


@pytest.fixture
def service(tmp_path: Path, service_factory: ServiceFactory) -> IssuerService:
    return service_factory(Settings.load(home=tmp_path, base_url="https://badges.example.org"))


def holder_did() -> str:
    key = ed25519.Ed25519PrivateKey.generate().public_key()
    return did_key_for_ed25519(key.public_bytes_raw())


def did_jwk() -> str:
    key = ed25519.Ed25519PrivateKey.generate().public_key()
    jwk = {"kty": "OKP", "crv": "Ed25519",
           "x": base64.urlsafe_b64encode(key.public_bytes_raw()).decode().rstrip("=")}
    encoded = base64.urlsafe_b64encode(json.dumps(jwk).encode()).decode().rstrip("=")
    return f"did:jwk:{encoded}"


def issue_badge(service: IssuerService, email: str = "amina@example.org") -> str:
    return service.issue(IssueRequest(BREAKFAST, email, "Amina Test", event_number=7,
                                      role="participant", show_name=True)).credential_id


def copy_of(service: IssuerService, original: str, did: str, fmt: Any = "ldp_vc") -> HolderCopy:
    with service.database.session() as session:
        return issue_holder_copy(service, session, original, did, fmt)


def verified(service: IssuerService, credential: dict[str, Any] | str) -> VerificationReport:
    return verify(credential, verification_context_for(service, untrusted=False))


def copy_row(service: IssuerService, copy_id: str) -> HolderCopyRow:
    with service.database.session(read_only=True) as session:
        row = session.get(HolderCopyRow, copy_id)
        assert row is not None
        return row


def audit_actions(service: IssuerService, subject: str) -> list[str]:
    with service.database.session(read_only=True) as session:
        return list(session.scalars(select(rows.AuditEntry.action).where(
            rows.AuditEntry.subject == subject).order_by(rows.AuditEntry.id)))


def refusal(function: Any, *args: Any) -> IssuerError:
    with pytest.raises(IssuerError) as caught:
        function(*args)
    assert caught.value.message_fr and caught.value.message_en
    return caught.value


# -- what a copy says ----------------------------------------------------------------------------

def test_a_copy_says_what_the_original_says_about_the_holder_did(service: IssuerService) -> None:
    original_id = issue_badge(service)
    original = service.credential(original_id)
    did = holder_did()
    copy = copy_of(service, original_id, did)
    assert copy.created and copy.original_id == original_id and copy.jwt is None
    credential = copy.credential
    assert credential is not None
    source = original.credential
    assert credential["id"] == f"urn:uuid:{copy.copy_id}" == copy.credential_id
    assert credential["credentialSubject"]["id"] == did
    for key in ("@context", "type", "name", "issuer", "validFrom", "evidence",
                "credentialSchema"):
        assert credential[key] == source[key], key
    subject, original_subject = credential["credentialSubject"], source["credentialSubject"]
    assert subject["achievement"] == original_subject["achievement"]
    assert subject["identifier"] == original_subject["identifier"]  # the same hashed e-mail
    assert {k: v for k, v in subject.items() if k != "id"} == {
        k: v for k, v in original_subject.items() if k != "id"}
    # Its own status entry, in a list of copies; the link to the badge it copies.
    assert credential["credentialStatus"]["statusListCredential"] != (
        source["credentialStatus"]["statusListCredential"])
    digest = hashlib.sha384(original.credential_json.encode("utf-8")).digest()
    assert credential["relatedResource"] == [{
        "id": source["id"], "digestSRI": "sha384-" + base64.b64encode(digest).decode()}]
    report = verified(service, credential)
    assert report.verdict == "valid", [c.code for c in report.checks]
    assert report.revoked is False and report.suspended is False


def test_the_jwt_copy_verifies_and_names_the_holder_as_subject(service: IssuerService) -> None:
    original_id = issue_badge(service)
    did = did_jwk()
    copy = copy_of(service, original_id, did, "jwt_vc_json")
    assert copy.credential is None and copy.jwt is not None
    header, payload = decode_unverified(copy.jwt)
    assert payload["sub"] == did and payload["jti"] == copy.credential_id
    assert payload["iss"] == service.issuer_did
    assert header["kid"].startswith(service.issuer_did + "#")
    assert verified(service, copy.jwt).verdict == "valid"


def test_a_wallet_asking_again_gets_the_same_copy_and_no_second_status_entry(
        service: IssuerService) -> None:
    original_id = issue_badge(service)
    did = holder_did()
    first = copy_of(service, original_id, did)
    again = copy_of(service, original_id, f"{did}#{did.removeprefix('did:key:')}")
    assert not again.created and again.copy_id == first.copy_id
    assert again.credential == first.credential
    other_format = copy_of(service, original_id, did, "jwt_vc_json")
    other_holder = copy_of(service, original_id, holder_did())
    assert len({first.copy_id, other_format.copy_id, other_holder.copy_id}) == 3
    lines = copies_of(service, [original_id])[original_id]
    assert [line.format for line in lines].count("ldp_vc") == 2
    assert {line.state for line in lines} == {"valid"}
    assert audit_actions(service, first.copy_id) == ["holder_copy.issued"]


# -- holder DIDs ---------------------------------------------------------------------------------

def test_a_did_url_names_its_did() -> None:
    did = holder_did()
    assert normalise_holder_did(f"  {did}#{did[8:]} ") == did
    jwk = did_jwk()
    assert normalise_holder_did(f"{jwk}#0") == jwk
    assert normalise_holder_did("did:web:wallet.example.org:users:amina") == (
        "did:web:wallet.example.org:users:amina")


@pytest.mark.parametrize("value", [
    "", "amina@example.org", "did:", "did:key:", "DID:key:z6Mk", "did:Key:z6Mkabc",
    "did:key:zNotAKey", "did:jwk:bm90IGEgandr", "did:example:abc/path", "did:example:abc?x=1",
    "did:example:a b", "did:example:abc\u0007", "did:example:" + "a" * MAX_HOLDER_DID_LENGTH,
    None, 42,
])
def test_what_is_not_a_did_is_refused(value: Any) -> None:
    with pytest.raises(IssuerError) as caught:
        normalise_holder_did(value)
    assert caught.value.code == "holder_copy.bad_did"
    assert "DID" in caught.value.message_fr and "DID" in caught.value.message_en


# -- refusals ------------------------------------------------------------------------------------

def test_a_revoked_suspended_or_unknown_badge_is_not_copied(service: IssuerService) -> None:
    revoked = issue_badge(service, "revoked@example.org")
    service.revoke(revoked, "Erreur de saisie")
    assert refusal(copy_of, service, revoked, holder_did()).code == (
        "holder_copy.original_revoked")
    suspended = issue_badge(service, "suspended@example.org")
    service.suspend(suspended, "Vérification")
    assert refusal(copy_of, service, suspended, holder_did()).code == (
        "holder_copy.original_suspended")
    service.unsuspend(suspended)
    assert copy_of(service, suspended, holder_did()).created
    assert refusal(copy_of, service, "00000000-0000-4000-8000-000000000000",
                   holder_did()).code == "credential.not_found"
    assert refusal(copy_of, service, suspended, holder_did(), "mso_mdoc").code == (
        "holder_copy.bad_format")
    assert refusal(copy_of, service, suspended, "did:key:zNotAKey").code == (
        "holder_copy.bad_did")


def test_an_erased_badge_is_not_copied(service: IssuerService) -> None:
    original_id = issue_badge(service)
    with service.database.session(read_only=True) as session:
        person = session.get(rows.IssuedCredential, original_id).recipient_id  # type: ignore[union-attr]
    recipient_erasure.erase_person(service, person, actor=ACTOR)
    assert refusal(copy_of, service, original_id, holder_did()).code == (
        "holder_copy.original_erased")


# -- the status cascade --------------------------------------------------------------------------

def test_suspending_and_lifting_the_original_does_the_same_to_its_copies(
        service: IssuerService) -> None:
    original_id = issue_badge(service)
    ldp = copy_of(service, original_id, holder_did())
    jwt = copy_of(service, original_id, holder_did(), "jwt_vc_json")
    service.suspend(original_id, "Vérification en cours")
    for copy, form in ((ldp, ldp.credential), (jwt, jwt.jwt)):
        assert copy_row(service, copy.copy_id).suspended
        report = verified(service, form)  # type: ignore[arg-type]
        assert report.suspended is True and report.verdict != "valid"
        assert audit_actions(service, copy.copy_id)[-1] == "holder_copy.suspended"
    service.unsuspend(original_id)
    for copy, form in ((ldp, ldp.credential), (jwt, jwt.jwt)):
        assert not copy_row(service, copy.copy_id).suspended
        assert verified(service, form).verdict == "valid"  # type: ignore[arg-type]
        assert audit_actions(service, copy.copy_id)[-1] == "holder_copy.unsuspended"


def test_revoking_the_original_revokes_every_copy_with_its_reason(
        service: IssuerService) -> None:
    original_id = issue_badge(service)
    other_id = issue_badge(service, "someone.else@example.org")
    copies = [copy_of(service, original_id, holder_did()),
              copy_of(service, original_id, holder_did(), "jwt_vc_json")]
    untouched = copy_of(service, other_id, holder_did())
    recipients.revoke_credential(service, original_id, "Badge attribué par erreur", actor=ACTOR)
    for copy in copies:
        row = copy_row(service, copy.copy_id)
        assert row.revoked_at is not None and row.revocation_reason == "Badge attribué par erreur"
        assert verified(service, copy.credential or copy.jwt).revoked is True  # type: ignore[arg-type]
        assert audit_actions(service, copy.copy_id)[-1] == "holder_copy.revoked"
    assert verified(service, untouched.credential).verdict == "valid"  # type: ignore[arg-type]
    assert {line.state for line in copies_of(service, [original_id])[original_id]} == {"revoked"}


def test_revoking_from_the_command_line_revokes_the_copies_too(service: IssuerService) -> None:
    original_id = issue_badge(service)
    copy = copy_of(service, original_id, holder_did())
    service.revoke(original_id, "Erreur")
    assert verified(service, copy.credential).revoked is True  # type: ignore[arg-type]


def test_erasing_the_person_revokes_and_forgets_their_copies(service: IssuerService) -> None:
    original_id = issue_badge(service)
    copy = copy_of(service, original_id, holder_did())
    with service.database.session(read_only=True) as session:
        person = session.get(rows.IssuedCredential, original_id).recipient_id  # type: ignore[union-attr]
    recipient_erasure.erase_person(service, person, actor=ACTOR)
    row = copy_row(service, copy.copy_id)
    assert row.revoked_at is not None and row.revocation_reason == recipient_erasure.ERASURE
    assert row.holder_did is None and row.credential_json == "" == row.credential_jwt
    # The wallet's copy still verifies as revoked: the index stays set.
    assert verified(service, copy.credential).revoked is True  # type: ignore[arg-type]
    assert copies_of(service, [original_id])[original_id][0].state == "erased"
    assert audit_actions(service, copy.copy_id)[-2:] == ["holder_copy.revoked",
                                                         "holder_copy.forgotten"]


def test_an_email_change_revokes_the_copies_of_the_superseded_badge(
        service: IssuerService) -> None:
    original_id = issue_badge(service)
    copy = copy_of(service, original_id, holder_did())
    with service.database.session(read_only=True) as session:
        person = session.get(rows.IssuedCredential, original_id).recipient_id  # type: ignore[union-attr]
    change = recipients.change_email(service, person, "amina.new@example.org", actor=ACTOR)
    (old, new), = change.reissued
    assert old == original_id
    row = copy_row(service, copy.copy_id)
    assert row.revoked_at is not None and row.revocation_reason == recipients.SUPERSEDED
    assert verified(service, copy.credential).revoked is True  # type: ignore[arg-type]
    # The new badge can be added to the wallet again.
    assert copy_of(service, new, row_did := holder_did()).holder_did == row_did


# -- on each database ----------------------------------------------------------------------------

@pytest.fixture
def service_on(database_url: str, tmp_path: Path, service_factory: ServiceFactory) -> IssuerService:
    return service_factory(Settings.load(home=tmp_path, base_url="https://badges.example.org",
                                         database_url=database_url))


def test_copies_are_stored_and_follow_their_original_on_this_database(
        service_on: IssuerService) -> None:
    service = service_on
    original_id = issue_badge(service)
    copies = [copy_of(service, original_id, holder_did()) for _ in range(3)]
    slots = set()
    for copy in copies:
        row = copy_row(service, copy.copy_id)
        slots.add((row.status_list_id, row.status_index))
        with service.database.session(read_only=True) as session:
            assert session.get(rows.StatusList, row.status_list_id).kind == "holder_copies"  # type: ignore[union-attr]
    assert len(slots) == 3
    service.suspend(original_id, "Vérification")
    assert all(copy_row(service, c.copy_id).suspended for c in copies)
    service.revoke(original_id, "Erreur")
    for copy in copies:
        assert verified(service, copy.credential).revoked is True  # type: ignore[arg-type]


def test_the_personal_data_export_holds_the_copies_and_their_audit_lines(
        service: IssuerService) -> None:
    original_id = issue_badge(service)
    did = holder_did()
    copy = copy_of(service, original_id, did, "jwt_vc_json")
    with service.database.session(read_only=True) as session:
        person = session.get(rows.IssuedCredential, original_id).recipient_id  # type: ignore[union-attr]
    document = recipient_export.export_person(service, person, actor=ACTOR)
    [exported] = document["holder_copies"]
    assert exported["id"] == copy.copy_id and exported["holder_did"] == did
    assert exported["credential_jwt"] == copy.jwt and exported["credential"]["id"] == (
        copy.credential_id)
    assert {"subject": copy.copy_id, "action": "holder_copy.issued"}.items() <= next(
        line for line in document["audit_log"] if line["subject"] == copy.copy_id).items()
    json.dumps(document)  # JSON-ready


def _race_copy_and_revocation(service: IssuerService, original_id: str) -> list[str]:
    """Copy and revoke `original_id` from two threads released at once; what each did."""
    import threading

    start = threading.Barrier(2)
    outcomes: list[str] = []

    def copy() -> None:
        start.wait()
        try:
            copy_of(service, original_id, holder_did())
            outcomes.append("copied")
        except IssuerError as error:
            outcomes.append(error.code)

    def revoke() -> None:
        start.wait()
        service.revoke(original_id, "Erreur")
        outcomes.append("revoked")

    threads = [threading.Thread(target=copy), threading.Thread(target=revoke)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return outcomes


def test_a_copy_made_while_the_original_is_revoked_never_outlives_it(
        service_on: IssuerService) -> None:
    """A wallet's copy and the coordinator's revocation at the same moment: whichever wins,
    no copy of a revoked badge is left valid (the copy locks the original's row; the
    revocation writes the original before it looks for copies)."""
    service = service_on
    for round_number in range(6):
        original_id = issue_badge(service, f"course{round_number}@example.org")
        outcomes = _race_copy_and_revocation(service, original_id)
        assert sorted(outcomes) in (["copied", "revoked"],
                                    ["holder_copy.original_revoked", "revoked"]), outcomes
        with service.database.session(read_only=True) as session:
            copies = list(session.scalars(select(HolderCopyRow).where(
                HolderCopyRow.original_id == original_id)))
        assert all(row.revoked_at is not None for row in copies), outcomes


def test_the_retention_purge_forgets_the_copies_of_a_badge_revoked_long_ago(
        service: IssuerService) -> None:
    from datetime import UTC, datetime, timedelta

    old_id = issue_badge(service)
    kept_id = service.issue(IssueRequest(BREAKFAST, "amina@example.org", "Amina Test",
                                         event_number=8, role="participant")).credential_id
    old_copy = copy_of(service, old_id, holder_did())
    kept_copy = copy_of(service, kept_id, holder_did())
    service.revoke(old_id, "Erreur")
    with service.database.session() as session:
        row = session.get(rows.IssuedCredential, old_id)
        assert row is not None
        row.revoked_at = datetime.now(UTC) - timedelta(days=service.settings.retention_days + 1)
    recipient_erasure.purge_expired_personal_data(service)
    forgotten = copy_row(service, old_copy.copy_id)
    assert forgotten.holder_did is None and not forgotten.is_signed
    assert forgotten.revoked_at is not None
    assert audit_actions(service, old_copy.copy_id)[-1] == "holder_copy.forgotten"
    kept = copy_row(service, kept_copy.copy_id)
    assert kept.holder_did == kept_copy.holder_did and kept.is_signed
