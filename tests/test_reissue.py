"""Re-issuing a badge under the same terms (issuer.workspace.reissue): the successor says the
same as the old badge but for what the caller changes (name display, signing key), the old one
and its wallet copies are revoked as superseded, the holder gets the new badge by e-mail, the
register and attendance follow, and the audit trail records each step."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric import ed25519
from sqlalchemy import select

from issuer.errors import IssuerError
from issuer.issuance.issue_requests import IssueRequest
from issuer.issuance.service import IssuerService
from issuer.issuance.verification_context import verification_context_for
from issuer.network import skill_badges
from issuer.network.skill_badges import SkillEvidence
from issuer.openbadges.did import did_key_for_ed25519
from issuer.openbadges.verification import VerificationReport, verify
from issuer.settings import Settings
from issuer.storage import models as rows
from issuer.storage.wallet_models import HolderCopyRow
from issuer.storage.workspace_models import Attendance, EmailMessage
from issuer.wallet.copies import issue_holder_copy
from issuer.workspace import members, reissue
from issuer.workspace.members import NewMember
from tests.plugins.factory import ServiceFactory

BREAKFAST = "petit-dejeuner-inclusion-numerique"
ACTOR = "coordinatrice@ville-roubaix.example"
LONG_AGO = datetime(2025, 3, 14, 9, 30, tzinfo=UTC)


@pytest.fixture
def service(tmp_path: Path, service_factory: ServiceFactory) -> IssuerService:
    return service_factory(Settings.load(home=tmp_path, base_url="https://badges.example.org"))


@pytest.fixture
def service_on(database_url: str, tmp_path: Path, service_factory: ServiceFactory) -> IssuerService:
    return service_factory(Settings.load(home=tmp_path, base_url="https://badges.example.org",
                                         database_url=database_url))


def breakfast(service: IssuerService, email: str = "lea@example.org", name: str = "Léa Martin",
              *, show_name: bool = True, now: datetime | None = LONG_AGO) -> str:
    return service.issue(IssueRequest(BREAKFAST, email, name, event_number=8,
                                      role="participant", show_name=show_name),
                         now=now).credential_id


def stored(service: IssuerService, credential_id: str) -> rows.IssuedCredential:
    with service.database.session(read_only=True) as session:
        row = session.get(rows.IssuedCredential, credential_id)
        assert row is not None
        return row


def signed(service: IssuerService, credential_id: str) -> dict[str, Any]:
    return service.credential(credential_id).credential


def verified(service: IssuerService, credential: str | dict[str, Any]) -> VerificationReport:
    return verify(credential, verification_context_for(service, untrusted=False))


def audit(service: IssuerService, subject: str) -> list[tuple[str, Any]]:
    with service.database.session(read_only=True) as session:
        return [(entry.action, entry.details) for entry in session.scalars(
            select(rows.AuditEntry).where(rows.AuditEntry.subject == subject)
            .order_by(rows.AuditEntry.id))]


def holder_did() -> str:
    key = ed25519.Ed25519PrivateKey.generate().public_key()
    return did_key_for_ed25519(key.public_bytes_raw())


def without(document: dict[str, Any], *keys: str) -> dict[str, Any]:
    return {key: value for key, value in document.items() if key not in keys}


def test_hiding_the_name_reissues_the_same_badge_without_it_and_supersedes_the_old_one(
        service: IssuerService) -> None:
    old = breakfast(service)
    (pair,) = reissue.reissue_badges(service, [old], show_name=False, actor="holder",
                                     audit_action="credential.name_display_changed")
    assert pair.old_id == old
    before, after = signed(service, old), signed(service, pair.new_id)
    assert before["credentialSubject"]["name"] == "Léa Martin"
    assert "name" not in after["credentialSubject"]
    # The same terms: badge, edition, evidence, dates; only the name, ids, status and proof differ.
    assert after["validFrom"] == before["validFrom"] == "2025-03-14T09:30:00Z"
    assert after["evidence"] == before["evidence"]
    assert after["credentialSubject"] == without(before["credentialSubject"], "name")
    assert after["name"] == before["name"]
    assert verified(service, service.credential(pair.new_id).credential_json).verdict == "valid"
    report = verified(service, service.credential(old).credential_json)
    assert report.revoked is True
    row = stored(service, old)
    assert (row.revocation_reason, row.superseded_by) == (reissue.SUPERSEDED, pair.new_id)
    assert ("credential.name_display_changed", {"supersedes": old, "reason": "superseded"}) \
        in audit(service, pair.new_id)
    assert ("credential.revoked", {"reason": "superseded", "superseded_by": pair.new_id}) \
        in audit(service, old)
    # The successor holds the idempotency key now: the same award asked again finds it.
    again = service.issue(IssueRequest(BREAKFAST, "lea@example.org", "Léa Martin", event_number=8,
                                       role="participant", show_name=True))
    assert (again.credential_id, again.created) == (pair.new_id, False)


def test_showing_the_name_puts_the_persons_current_name_on_the_badge(
        service: IssuerService) -> None:
    old = breakfast(service, show_name=False)
    assert "name" not in signed(service, old)["credentialSubject"]
    (pair,) = reissue.reissue_badges(service, [old], show_name=True, actor="holder")
    assert signed(service, pair.new_id)["credentialSubject"]["name"] == "Léa Martin"
    # Without a choice, a re-issue keeps what the old badge showed.
    (kept,) = reissue.reissue_badges(service, [pair.new_id], actor="holder")
    assert signed(service, kept.new_id)["credentialSubject"]["name"] == "Léa Martin"


def test_a_name_cannot_be_shown_when_none_is_recorded(service: IssuerService) -> None:
    old = service.issue(IssueRequest(BREAKFAST, "anonyme@example.org", None, event_number=8,
                                     role="participant")).credential_id
    with pytest.raises(IssuerError) as caught:
        reissue.reissue_badges(service, [old], show_name=True, actor="holder")
    assert caught.value.code == "reissue.no_name"
    assert stored(service, old).revoked_at is None  # nothing happened


def test_a_key_compromise_reissue_signs_with_the_current_key_and_keeps_its_reason(
        service: IssuerService) -> None:
    old = breakfast(service)
    old_method = signed(service, old)["proof"][0]["verificationMethod"]
    service.rotate_keys()
    (pair,) = reissue.reissue_badges(service, [old], reason="key_compromised",
                                     audit_action="credential.reissued_after_key_compromise",
                                     actor="cli")
    new = signed(service, pair.new_id)
    assert new["proof"][0]["verificationMethod"] != old_method
    assert new["credentialSubject"]["name"] == "Léa Martin"
    row = stored(service, old)
    assert (row.revocation_reason, row.superseded_by) == ("key_compromised", pair.new_id)
    assert audit(service, pair.new_id)[-2][0] == "credential.reissued_after_key_compromise"


def test_wallet_copies_are_revoked_with_the_superseded_badge_and_the_holder_is_mailed(
        service: IssuerService) -> None:
    old = breakfast(service)
    with service.database.session() as session:
        copy = issue_holder_copy(service, session, old, holder_did(), "ldp_vc")
    (pair,) = reissue.reissue_badges(service, [old], show_name=False, actor="holder")
    with service.database.session(read_only=True) as session:
        copy_row = session.get(HolderCopyRow, copy.copy_id)
        assert copy_row is not None
        assert (copy_row.revoked_at is not None, copy_row.revocation_reason) == (
            True, reissue.SUPERSEDED)
        queued = session.scalars(select(EmailMessage).where(
            EmailMessage.credential_id == pair.new_id)).all()
        assert [message.to_address for message in queued] == ["lea@example.org"]
    assert verified(service, copy.credential).revoked is True  # type: ignore[arg-type]
    # notify=False queues nothing (a caller mailing in its own words).
    (quiet,) = reissue.reissue_badges(service, [pair.new_id], actor="cli", notify=False)
    with service.database.session(read_only=True) as session:
        assert session.scalars(select(EmailMessage).where(
            EmailMessage.credential_id == quiet.new_id)).all() == []


def test_a_suspended_badge_stays_suspended_and_attendance_follows(service: IssuerService) -> None:
    old = breakfast(service)
    with service.database.session() as session:
        session.add(Attendance(event_family=BREAKFAST, event_number=8, name="Léa Martin",
                               email="lea@example.org", role="participant", source="typed",
                               credential_id=old))
        row = session.get(rows.IssuedCredential, old)
        assert row is not None
        row.suspended = True
        row.suspended_at = datetime.now(UTC)
    (pair,) = reissue.reissue_badges(service, [old], show_name=False, actor="holder")
    assert stored(service, pair.new_id).suspended is True
    with service.database.session(read_only=True) as session:
        assert session.scalars(select(Attendance.credential_id)).one() == pair.new_id


def test_skill_badge_evidence_is_carried_over(service: IssuerService) -> None:
    skill_badges.create_skill_badge(service, "skill", "ANI-01", actor=ACTOR)
    issued = skill_badges.issue_skill_badge(
        service, "competence-ani-01", email="mediatrice@example.org", name="Camille Exemple",
        given=SkillEvidence(narrative="A animé trois ateliers.",
                            link="https://www.ville-roubaix.fr/ateliers", link_title="Programme"),
        actor=ACTOR, send_email=False)
    (pair,) = reissue.reissue_badges(service, [issued.credential_id], show_name=True,
                                     actor="holder")
    new = signed(service, pair.new_id)
    assert new["evidence"] == issued.credential["evidence"]
    assert new["credentialSubject"]["achievement"] == \
        issued.credential["credentialSubject"]["achievement"]


def test_only_the_holders_own_live_badges_are_reissued(service: IssuerService) -> None:
    mine = breakfast(service)
    theirs = breakfast(service, "autre@example.org", "Autre Personne")
    mine_person = stored(service, mine).recipient_id
    with pytest.raises(IssuerError) as caught:
        reissue.reissue_badges(service, [theirs], show_name=False, actor="holder",
                               recipient_id=mine_person)
    assert caught.value.code == "credential.not_found"
    (pair,) = reissue.reissue_badges(service, [mine], show_name=False, actor="holder",
                                     recipient_id=mine_person)
    with pytest.raises(IssuerError) as again:
        reissue.reissue_badges(service, [mine], show_name=True, actor="holder")
    assert again.value.code == "reissue.not_live"
    assert stored(service, pair.new_id).revoked_at is None


def test_a_council_membership_keeps_its_mandate_and_the_register_follows(
        service_on: IssuerService) -> None:
    service = service_on
    mandate = members.add_member(service, NewMember(
        name="Alix Bernard", email="alix@example.org", role="conseiller", sector="Nord",
        mandate_start=date(2025, 6, 13), show_name=True, age_declared=True), actor=ACTOR)
    old = str(mandate.credential_id)
    (pair,) = reissue.reissue_badges(service, [old], show_name=False, actor="holder")
    before, after = signed(service, old), signed(service, pair.new_id)
    for key in ("validFrom", "validUntil"):
        assert after[key] == before[key]
    assert after["credentialSubject"] == without(before["credentialSubject"], "name")
    assert members.get_mandate(service, mandate.id).credential_id == pair.new_id
    assert json.loads(stored(service, pair.new_id).credential_json)["credentialSubject"][
        "narrative"] == "Secteur Nord"
