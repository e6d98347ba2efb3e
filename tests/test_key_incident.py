"""Retiring and revoking an issuer key (issue 14 item 3; docs/DEPLOYMENT.md, "Incident de clé").

A retired key stops signing and stays in the DID document: what it signed still verifies. A
revoked key leaves the DID document, every badge it signed is issued again with the current key
(holders told why, French then English; wallet copies revoked), the audit trail says so once
for the key and once per badge, and our verifier names the revoked key for an old badge
(`proof.key_revoked`, VERIFICATION.md R21) instead of "key not found". Running the revocation
again changes nothing.
"""

from __future__ import annotations

import email
import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from cryptography.hazmat.primitives.asymmetric import ed25519
from sqlalchemy import select

from issuer.cli import context as cli_context
from issuer.cli.main import main as cli_main
from issuer.errors import IssuerError
from issuer.issuance.issue_requests import IssueRequest
from issuer.issuance.key_usage import base64url_needles, credentials_signed_by, jwt_kid
from issuer.issuance.keys import METADATA_FILE
from issuer.issuance.service import IssuerService
from issuer.issuance.verification_context import verification_context_for
from issuer.openbadges.did import did_key_for_ed25519
from issuer.openbadges.verification import VerificationReport, verify
from issuer.settings import Settings
from issuer.storage import models as rows
from issuer.storage.wallet_models import HolderCopyRow
from issuer.storage.workspace_models import EmailMessage
from issuer.wallet.copies import issue_holder_copy
from issuer.workspace.key_incident import revoke_key
from tests.plugins.factory import ServiceFactory

BREAKFAST = "petit-dejeuner-inclusion-numerique"


@pytest.fixture
def service(tmp_path: Path, service_factory: ServiceFactory) -> IssuerService:
    return service_factory(Settings.load(home=tmp_path, base_url="https://badges.example.org"))


@pytest.fixture
def service_on(database_url: str, tmp_path: Path, service_factory: ServiceFactory) -> IssuerService:
    """The same on SQLite and on PostgreSQL (the search for what a key signed is SQL)."""
    return service_factory(Settings.load(home=tmp_path, base_url="https://badges.example.org",
                                         database_url=database_url))


def award(service: IssuerService, email_address: str, *, edition: int = 8) -> str:
    return service.issue(IssueRequest(BREAKFAST, email_address, "Léa Martin",
                                      event_number=edition, role="participant")).credential_id


def verified(service: IssuerService, credential: str | dict[str, Any]) -> VerificationReport:
    return verify(credential, verification_context_for(service, untrusted=False))


def check(report: VerificationReport, name: str) -> Any:
    return next(c for c in report.checks if c.name == name)


def published_kids(service: IssuerService) -> set[str]:
    return {method["id"].rsplit("#", 1)[1]
            for method in service.did_document()["verificationMethod"]}


def kid_of(service: IssuerService, credential_id: str) -> str:
    method: str = service.credential(credential_id).credential["proof"][0]["verificationMethod"]
    return method.rsplit("#", 1)[1]


def audit_actions(service: IssuerService) -> list[tuple[str, str]]:
    with service.database.session(read_only=True) as session:
        return [(entry.action, entry.subject) for entry in session.scalars(
            select(rows.AuditEntry).order_by(rows.AuditEntry.id))]


def superseded_by(service: IssuerService, credential_id: str) -> str | None:
    with service.database.session(read_only=True) as session:
        row = session.get(rows.IssuedCredential, credential_id)
        assert row is not None
        return row.superseded_by


def queued(service: IssuerService) -> list[tuple[str, str]]:
    with service.database.session(read_only=True) as session:
        return [(message.kind, message.to_address) for message in session.scalars(
            select(EmailMessage).order_by(EmailMessage.created_at, EmailMessage.id))]


# -- retire -------------------------------------------------------------------------------------
def test_a_retired_key_stops_signing_but_what_it_signed_still_verifies(
        service: IssuerService) -> None:
    before = award(service, "avant@example.org")
    old = service.keystore.active_key("Ed25519").kid
    created = service.retire_key(old)
    assert [key.algorithm for key in created] == ["Ed25519"]  # it was the current key
    assert service.keystore.active_key("Ed25519").kid == created[0].kid
    assert {old, created[0].kid} <= published_kids(service)
    after = award(service, "apres@example.org")
    assert kid_of(service, after) == created[0].kid
    assert verified(service, service.credential(before).credential_json).verdict == "valid"
    assert verified(service, service.credential(after).credential_json).verdict == "valid"
    assert ("keys.retired", old) in audit_actions(service)
    # Again: nothing to do, nothing recorded.
    assert service.retire_key(old) == []
    assert audit_actions(service).count(("keys.retired", old)) == 1


def test_retiring_a_key_that_is_not_the_current_one_creates_none(service: IssuerService) -> None:
    old = service.keystore.active_key("RSA").kid
    service.rotate_keys()
    assert service.retire_key(old) == []


def test_an_unknown_key_is_refused_with_a_clear_error(service: IssuerService) -> None:
    with pytest.raises(IssuerError) as refused:
        service.retire_key("key-ed25519-inconnue")
    assert refused.value.code == "keys.unknown"
    with pytest.raises(IssuerError) as refused:
        revoke_key(service, "key-ed25519-inconnue", "compromise")
    assert refused.value.code == "keys.unknown"


# -- revoke -------------------------------------------------------------------------------------
def test_revoking_a_key_reissues_what_it_signed_and_old_badges_report_the_revoked_key(
        service: IssuerService) -> None:
    first = award(service, "lea@example.org", edition=7)
    second = award(service, "lea@example.org", edition=8)
    other = award(service, "karim@example.org")
    revoked_before = award(service, "ancien@example.org")
    service.revoke(revoked_before, "Erreur de saisie")
    compromised = service.keystore.active_key("Ed25519").kid
    with service.database.session() as session:
        copy = issue_holder_copy(service, session, first, did_key_for_ed25519(
            ed25519.Ed25519PrivateKey.generate().public_key().public_bytes_raw()), "ldp_vc")
    entries_before = len(audit_actions(service))

    report = revoke_key(service, compromised, "compromise")

    # The key side: out of the DID document, remembered as revoked, replaced.
    assert not report.already_revoked
    assert [key.algorithm for key in report.created] == ["Ed25519"]
    assert compromised not in published_kids(service)
    assert not (service.settings.keys_dir / f"{compromised}.pem").exists()
    remembered = {entry["kid"]: entry for entry in json.loads(
        (service.settings.keys_dir / METADATA_FILE).read_text())["keys"]}[compromised]
    assert remembered["revocation_reason"] == "compromise" and remembered["revoked"]
    # Every live badge it signed, issued again with the current key; the revoked one left.
    assert {pair.old_id for pair in report.reissued} == {first, second, other}
    assert superseded_by(service, revoked_before) is None
    current = service.keystore.active_key("Ed25519").kid
    for pair in report.reissued:
        assert kid_of(service, pair.new_id) == current
        assert verified(service, service.credential(pair.new_id).credential_json).verdict == (
            "valid")
        old_report = verified(service, service.credential(pair.old_id).credential_json)
        assert old_report.verdict == "invalid"
        proof = check(old_report, "proof")
        assert proof.code == "proof.key_revoked"
        assert "révoquée par l'émetteur" in proof.message_fr
        assert "compromise" in proof.message_fr and "compromised" in proof.message_en
        assert check(old_report, "issuer_key").code == "issuer_key.revoked"
    # The wallet copy went with its badge.
    with service.database.session(read_only=True) as session:
        copy_row = session.get(HolderCopyRow, copy.copy_id)
        assert copy_row is not None and copy_row.revoked_at is not None
    # The audit trail: the key once, each badge once.
    added = audit_actions(service)[entries_before:]
    assert [entry for entry in added if entry[0] == "keys.revoked"] == [
        ("keys.revoked", compromised)]
    assert sorted(subject for action, subject in added if action == "credential.reissued") == (
        sorted(pair.new_id for pair in report.reissued))
    # Each person told once why (French first), then sent each new badge.
    mails = queued(service)
    assert mails.count(("badge-reissued-key", "lea@example.org")) == 1
    assert mails.count(("badge-reissued-key", "karim@example.org")) == 1
    assert ("badge-reissued-key", "ancien@example.org") not in mails
    lea = [kind for kind, to in mails if to == "lea@example.org"]
    assert lea == ["badge-reissued-key", "badge", "badge"]  # the notice, then each new badge


def test_the_holder_is_told_why_in_french_then_english(service: IssuerService) -> None:
    old = award(service, "lea@example.org")
    report = revoke_key(service, service.keystore.active_key("Ed25519").kid, "compromise")
    spool = service.settings.var_dir / "mail-queue"
    [notice] = [email.message_from_bytes(path.read_bytes()) for path in spool.glob("*.eml")
                if "Vos badges" in str(email.header.make_header(
                    email.header.decode_header(email.message_from_bytes(
                        path.read_bytes())["Subject"])))]
    text = next(part.get_payload(decode=True).decode() for part in notice.walk()
                if part.get_content_type() == "text/plain")
    french = text.index("a pu être compromise")
    english = text.index("may have been compromised")
    assert french < english
    new = report.reissued[0].new_id
    assert text.count(new) == 2 and text.count(old) == 2


def test_revoking_again_changes_nothing(service_on: IssuerService) -> None:
    service = service_on
    award(service, "lea@example.org")
    award(service, "karim@example.org")
    with service.database.session() as session:
        # Only the JWT names the RSA key: found through its base64url header.
        assert len(credentials_signed_by(session, service.verification_method(
            service.keystore.active_key("RSA")))) == 2
    kid = service.keystore.active_key("Ed25519").kid
    first = revoke_key(service, kid, "compromise")
    entries, mails = audit_actions(service), queued(service)
    again = revoke_key(service, kid, "compromise")
    assert again.already_revoked and again.created == () and again.reissued == ()
    assert audit_actions(service) == entries and queued(service) == mails
    assert len(first.reissued) == 2


def test_revoking_the_only_key_of_its_kind_generates_its_replacement(
        service: IssuerService) -> None:
    """Decision (docs/DEPLOYMENT.md): never left unable to sign, a replacement is created."""
    [only_rsa] = [key for key in service.keystore.public_keys() if key.algorithm == "RSA"]
    badge = award(service, "lea@example.org")
    old_jwt = service.credential(badge).credential_jwt
    report = revoke_key(service, only_rsa.kid, "superseded")
    [replacement] = report.created
    assert replacement.algorithm == "RSA"
    assert [key.kid for key in service.keystore.public_keys() if key.algorithm == "RSA"] == [
        replacement.kid]
    # The badge's JWT named the revoked RSA key: the badge is issued again.
    [pair] = report.reissued
    assert jwt_kid(service.credential(pair.new_id).credential_jwt).endswith(replacement.kid)
    assert check(verified(service, old_jwt), "proof").code == "proof.key_revoked"


def test_a_revoked_key_cannot_be_retired(service: IssuerService) -> None:
    kid = service.keystore.active_key("Ed25519").kid
    revoke_key(service, kid, "compromise")
    with pytest.raises(IssuerError) as refused:
        service.retire_key(kid)
    assert refused.value.code == "keys.already_revoked"


def test_did_key_issuers_cannot_revoke_their_only_identity(tmp_path: Path) -> None:
    service = IssuerService(Settings.load(home=tmp_path, base_url="https://badges.example.org",
                                          did_method="key"))
    service.init()
    with pytest.raises(IssuerError) as refused:
        revoke_key(service, service.keystore.active_key("Ed25519").kid, "compromise")
    assert refused.value.code == "keys.did_key"


def test_a_stranger_verifier_does_not_know_the_key_at_all(service: IssuerService) -> None:
    """Without our record of revoked keys, the key is simply not in the DID document."""
    old = award(service, "lea@example.org")
    revoke_key(service, service.keystore.active_key("Ed25519").kid, "compromise")
    context = verification_context_for(service, untrusted=False)
    context.revoked_keys = {}
    report = verify(service.credential(old).credential_json, context)
    assert report.verdict == "invalid"
    assert check(report, "proof").code == "proof.key_unresolvable"


def test_jwt_headers_are_found_at_every_alignment() -> None:
    import base64

    for prefix in ("", "x", "xy", "xyz"):
        header = json.dumps({"alg": "RS256", "kid": f"{prefix}did:web:a#key-rsa-1"}).encode()
        encoded = base64.urlsafe_b64encode(header).decode().rstrip("=")
        assert any(needle in encoded for needle in base64url_needles("did:web:a#key-rsa-1"))
    assert not any(needle in base64.urlsafe_b64encode(b'{"kid":"did:web:a#key-rsa-2"}').decode()
                   for needle in base64url_needles("did:web:a#key-rsa-1"))


# -- issuer keys list / retire / revoke -----------------------------------------------------------
def test_keys_list_shows_each_state_with_its_date_and_reason(
        service: IssuerService, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ISSUER_HOME", str(service.settings.home))
    monkeypatch.setenv("ISSUER_BASE_URL", service.settings.base_url)
    rsa_kid = service.keystore.active_key("RSA").kid
    ed_kid = service.keystore.active_key("Ed25519").kid
    runner = CliRunner()
    monkeypatch.setattr(cli_context, "LOCALE", "fr")
    retired = runner.invoke(cli_main, ["keys", "retire", rsa_kid], catch_exceptions=False)
    assert retired.exit_code == 0, retired.output
    revoked = runner.invoke(cli_main, ["keys", "revoke", ed_kid, "--reason", "compromise"],
                            catch_exceptions=False)
    assert revoked.exit_code == 0, revoked.output
    french = runner.invoke(cli_main, ["keys", "list"], catch_exceptions=False).stdout
    lines = {line.split()[0]: line for line in french.splitlines()}
    assert "retirée le" in lines[rsa_kid]
    assert "révoquée le" in lines[ed_kid] and "compromise" in lines[ed_kid]
    assert sum("actuelle" in line for line in lines.values()) == 2
    monkeypatch.setattr(cli_context, "LOCALE", "en")
    english = runner.invoke(cli_main, ["keys", "list"], catch_exceptions=False).stdout
    assert "revoked on" in english and "retired on" in english and "current" in english
    bad = runner.invoke(cli_main, ["keys", "revoke", ed_kid, "--reason", "lost"])
    assert bad.exit_code == 2



def test_endorsements_the_key_signed_are_signed_again_and_verify(service: IssuerService) -> None:
    from issuer.network import endorsements
    from issuer.network.skill_badges import SkillEvidence, create_skill_badge, issue_skill_badge

    coordinator = "coordinatrice@ville-roubaix.example"
    create_skill_badge(service, "skill", "ACC-01", actor=coordinator)
    create_skill_badge(service, "skill", "CYB-01", actor=coordinator)
    given = SkillEvidence(narrative="Observé en atelier.")
    endorsed = issue_skill_badge(service, "competence-acc-01", email="camille@example.org",
                                 name="Camille Exemple", given=given, actor=coordinator,
                                 send_email=False)
    peer = issue_skill_badge(service, "competence-cyb-01", email="sacha@example.org",
                             name="Sacha Exemple", given=given, actor=coordinator,
                             send_email=False)
    with service.database.session(read_only=True) as session:
        peer_row = session.get(rows.IssuedCredential, peer.credential_id)
        assert peer_row is not None
        peer_id = peer_row.recipient_id
    # The badges were signed by the keys before a rotation, the endorsement by the new key: its
    # revocation signs the endorsement again in place (an endorsement of a badge issued again
    # follows that badge instead: tests/test_reissue_endorsements.py).
    service.rotate_keys()
    view = endorsements.request_endorsement(
        service, peer_id, endorsed.credential_id,
        "J'ai vu Camille accompagner des habitants pas à pas.", endorser_name="Sacha E.")
    endorsements.approve_endorsement(service, view.id, actor=coordinator)
    before = endorsements.signed_endorsement(service, view.id)

    report = revoke_key(service, service.keystore.active_key("Ed25519").kid, "compromise")

    assert report.endorsements_resigned == (view.id,)
    after = endorsements.signed_endorsement(service, view.id)
    assert check(verified(service, before.credential_json), "proof").code == "proof.key_revoked"
    assert verified(service, after.credential_json).verdict == "valid"
    assert verified(service, after.credential_jwt).verdict == "valid"
    old, new = json.loads(before.credential_json), json.loads(after.credential_json)
    assert {k: v for k, v in old.items() if k != "proof"} == {
        k: v for k, v in new.items() if k != "proof"}
    assert ("endorsement.resigned", view.id) in audit_actions(service)
