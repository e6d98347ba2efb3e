"""Peer endorsement of skill badges (issue #5, item 5), the rules: who may endorse what, the
coordinator's moderation, the signed `EndorsementCredential` (City's key, own status list),
revocation read from that list, withdrawal, and erasure. Through `issuer.network.endorsements`, the
functions the pages call; the pages themselves are in test_endorsements_web.py."""

from __future__ import annotations

import json
import threading
from pathlib import Path

import pytest
from sqlalchemy import select

from issuer.errors import InvalidInput
from issuer.issuance.issue_requests import IssueRequest
from issuer.issuance.service import IssuerService
from issuer.issuance.verification_context import verification_context_for
from issuer.network import endorsements
from issuer.network.endorsement_views import EndorsementView
from issuer.network.endorsements import EndorsementError
from issuer.network.skill_badges import SkillEvidence, create_skill_badge, issue_skill_badge
from issuer.openbadges.endorsement_credential import ENDORSEMENT_SCHEMA_URL, clean_comment
from issuer.openbadges.schema import schema_errors
from issuer.openbadges.verification import verify
from issuer.settings import Settings
from issuer.storage.endorsement_models import EndorsementRow
from issuer.storage.models import AuditEntry, IssuedCredential, StatusList
from issuer.workspace.recipient_erasure import erase_person
from issuer.workspace.recipient_export import export_person
from tests.plugins.factory import ServiceFactory

BASE_URL = "https://badges.example.org"
COORDINATOR = "coordinatrice@ville-roubaix.example"
COMMENT = "J'ai vu Camille accompagner des habitants pas à pas sur leurs démarches en ligne."


@pytest.fixture
def service(tmp_path: Path, service_factory: ServiceFactory) -> IssuerService:
    service = service_factory(Settings.load(home=tmp_path, base_url=BASE_URL))
    create_skill_badge(service, "skill", "ACC-01", actor=COORDINATOR)
    create_skill_badge(service, "skill", "CYB-01", actor=COORDINATOR)
    return service


def award(service: IssuerService, slug: str, email: str, name: str) -> IssuedCredential:
    issued = issue_skill_badge(service, slug, email=email, name=name,
                               given=SkillEvidence(narrative="Observé en atelier."),
                               actor=COORDINATOR, send_email=False)
    with service.database.session(read_only=True) as session:
        row = session.get(IssuedCredential, issued.credential_id)
        assert row is not None
        session.expunge(row)
        return row


@pytest.fixture
def camille(service: IssuerService) -> IssuedCredential:
    """The endorsed mediator's skill badge."""
    return award(service, "competence-acc-01", "camille@example.org", "Camille Exemple")


@pytest.fixture
def sacha(service: IssuerService) -> IssuedCredential:
    """The peer's own skill badge (what makes Sacha a peer)."""
    return award(service, "competence-cyb-01", "sacha@example.org", "Sacha Exemple")


def ask(service: IssuerService, peer: IssuedCredential, badge: IssuedCredential,
        comment: str = COMMENT, name: str | None = "Sacha E.") -> EndorsementView:
    return endorsements.request_endorsement(service, peer.recipient_id, badge.id, comment,
                                            endorser_name=name)


def approved(service: IssuerService, peer: IssuedCredential,
             badge: IssuedCredential) -> endorsements.SignedEndorsement:
    view = ask(service, peer, badge)
    endorsements.approve_endorsement(service, view.id, actor=COORDINATOR)
    return endorsements.signed_endorsement(service, view.id)


def check(service: IssuerService, credential: str) -> dict[str, str]:
    report = verify(credential, verification_context_for(service, untrusted=False))
    return {c.name: c.code for c in report.checks} | {"verdict": report.verdict}


# -- asking -----------------------------------------------------------------------------------

def test_a_peer_request_waits_for_the_coordinator_and_publishes_nothing(
        service: IssuerService, camille: IssuedCredential, sacha: IssuedCredential) -> None:
    view = ask(service, sacha, camille)
    assert view.state == "pending"
    assert [e.id for e in endorsements.moderation_queue(service)] == [view.id]
    assert endorsements.endorsements_of_badge(service, camille.id) == ()
    with pytest.raises(endorsements.EndorsementNotFound):
        endorsements.signed_endorsement(service, view.id)


def test_a_person_without_a_valid_skill_badge_cannot_endorse(
        service: IssuerService, camille: IssuedCredential) -> None:
    outsider = service.issue(IssueRequest(badge_slug="petit-dejeuner-inclusion-numerique",
                                          email="dominique@example.org", event_number=10))
    with service.database.session(read_only=True) as session:
        recipient_id = session.get(IssuedCredential, outsider.credential_id).recipient_id
    with pytest.raises(EndorsementError) as refused:
        endorsements.request_endorsement(service, recipient_id, camille.id, COMMENT)
    assert refused.value.code == "endorsement.not_a_peer"


def test_a_peer_whose_own_badge_was_revoked_is_no_longer_a_peer(
        service: IssuerService, camille: IssuedCredential, sacha: IssuedCredential) -> None:
    service.revoke(sacha.id, "Badge délivré par erreur")
    with pytest.raises(EndorsementError) as refused:
        ask(service, sacha, camille)
    assert refused.value.code == "endorsement.not_a_peer"


def test_nobody_endorses_their_own_badge(service: IssuerService,
                                         camille: IssuedCredential) -> None:
    with pytest.raises(EndorsementError) as refused:
        ask(service, camille, camille)
    assert refused.value.code == "endorsement.own_badge"


def test_only_a_valid_skill_badge_can_be_endorsed(service: IssuerService,
                                                  camille: IssuedCredential,
                                                  sacha: IssuedCredential) -> None:
    event = service.issue(IssueRequest(badge_slug="petit-dejeuner-inclusion-numerique",
                                       email="camille@example.org", event_number=9))
    with pytest.raises(EndorsementError) as refused:
        ask(service, sacha, service_row(service, event.credential_id))
    assert refused.value.code == "endorsement.not_a_skill"
    service.revoke(camille.id, "Erreur de saisie")
    with pytest.raises(EndorsementError) as revoked:
        ask(service, sacha, camille)
    assert revoked.value.code == "endorsement.badge_not_valid"


def service_row(service: IssuerService, credential_id: str) -> IssuedCredential:
    with service.database.session(read_only=True) as session:
        row = session.get(IssuedCredential, credential_id)
        session.expunge(row)
        return row


def test_one_endorsement_per_peer_and_badge(service: IssuerService, camille: IssuedCredential,
                                            sacha: IssuedCredential) -> None:
    ask(service, sacha, camille)
    with pytest.raises(EndorsementError) as twice:
        ask(service, sacha, camille)
    assert twice.value.code == "endorsement.already_pending"


@pytest.mark.parametrize(("comment", "code"), [
    ("Bien.", "endorsement.comment_too_short"),
    ("x" * 1001, "endorsement.comment_too_long"),
    ("Très bonne médiatrice\x07 vraiment.", "endorsement.control_characters"),
])
def test_an_unusable_comment_is_refused_with_a_reason(comment: str, code: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        clean_comment(comment)
    assert refused.value.code == code
    assert refused.value.message("fr") != refused.value.message("en")


# -- moderating and the signed credential -----------------------------------------------------

def test_an_approved_endorsement_is_a_valid_endorsement_credential_signed_by_the_city(
        service: IssuerService, camille: IssuedCredential, sacha: IssuedCredential) -> None:
    signed = approved(service, sacha, camille)
    credential = signed.credential
    assert credential["type"] == ["VerifiableCredential", "EndorsementCredential"]
    assert credential["issuer"]["id"] == service.issuer_did
    assert credential["credentialSubject"] == {
        "id": f"{BASE_URL}/credentials/{camille.id}", "type": ["EndorsementSubject"],
        "endorsementComment": COMMENT}
    assert credential["credentialSchema"][0]["id"] == ENDORSEMENT_SCHEMA_URL
    assert schema_errors(credential, "endorsementcredential") == []
    # The peer is named (as they agreed) in the evidence, with their own badge.
    evidence = credential["evidence"][0]
    assert evidence["id"] == f"{BASE_URL}/credentials/{sacha.id}"
    assert "Sacha E." in evidence["narrative"]
    assert "sacha@example.org" not in signed.credential_json
    assert check(service, signed.credential_json)["verdict"] == "valid"
    assert check(service, signed.credential_jwt)["verdict"] == "valid"
    assert [e.id for e in endorsements.endorsements_of_badge(service, camille.id)] == [
        signed.view.id]
    assert endorsements.moderation_queue(service) == ()


def test_an_endorser_who_hides_their_name_is_not_named(service: IssuerService,
                                                       camille: IssuedCredential,
                                                       sacha: IssuedCredential) -> None:
    view = ask(service, sacha, camille, name=None)
    endorsements.approve_endorsement(service, view.id, actor=COORDINATOR)
    signed = endorsements.signed_endorsement(service, view.id)
    assert "Sacha" not in signed.credential_json
    assert "médiateur·rice numérique du réseau" in signed.credential["evidence"][0]["narrative"]


def test_a_tampered_endorsement_comment_fails_the_signature_check(
        service: IssuerService, camille: IssuedCredential, sacha: IssuedCredential) -> None:
    credential = approved(service, sacha, camille).credential
    credential["credentialSubject"]["endorsementComment"] = "Ne lui confiez rien."
    result = check(service, json.dumps(credential))
    assert result["verdict"] == "invalid" and result["proof"] == "proof.signature_mismatch"


def test_endorsements_use_a_status_list_of_their_own(service: IssuerService,
                                                     camille: IssuedCredential,
                                                     sacha: IssuedCredential) -> None:
    signed = approved(service, sacha, camille)
    entry = signed.credential["credentialStatus"]
    with service.database.session(read_only=True) as session:
        badge_list = session.get(IssuedCredential, camille.id).status_list_id
        row = session.get(EndorsementRow, signed.view.id)
        kinds = {status.id: status.kind for status in session.scalars(select(StatusList))}
    assert entry["statusListCredential"] == f"{BASE_URL}/status/{row.status_list_id}/revocation"
    assert entry["statusListIndex"] == str(row.status_index)
    assert kinds[row.status_list_id] == "endorsements" and kinds[badge_list] == "credentials"


def test_a_revoked_endorsement_is_reported_revoked_and_leaves_the_badge_page(
        service: IssuerService, camille: IssuedCredential, sacha: IssuedCredential) -> None:
    signed = approved(service, sacha, camille)
    endorsements.revoke_endorsement(service, signed.view.id, "Texte signalé", actor=COORDINATOR)
    result = check(service, signed.credential_json)
    assert result["verdict"] == "invalid" and result["status"] == "status.revoked"
    assert endorsements.endorsements_of_badge(service, camille.id) == ()
    # The endorsed badge itself is untouched.
    assert check(service, service_row(service, camille.id).credential_json)["verdict"] == "valid"


def test_a_rejected_endorsement_gives_its_reason_and_may_be_written_again(
        service: IssuerService, camille: IssuedCredential, sacha: IssuedCredential) -> None:
    view = ask(service, sacha, camille)
    rejected = endorsements.reject_endorsement(service, view.id, "Merci de décrire un fait "
                                               "précis.", actor=COORDINATOR)
    assert rejected.state == "rejected" and "fait précis" in (rejected.rejection_reason or "")
    again = ask(service, sacha, camille, comment=COMMENT + " Le 3 mars, atelier CAF.")
    assert again.id == view.id and again.state == "pending" and again.rejection_reason is None


def test_a_decision_needs_a_reason_and_is_taken_once(service: IssuerService,
                                                     camille: IssuedCredential,
                                                     sacha: IssuedCredential) -> None:
    view = ask(service, sacha, camille)
    with pytest.raises(InvalidInput):
        endorsements.reject_endorsement(service, view.id, "  ", actor=COORDINATOR)
    endorsements.approve_endorsement(service, view.id, actor=COORDINATOR)
    with pytest.raises(EndorsementError) as twice:
        endorsements.approve_endorsement(service, view.id, actor=COORDINATOR)
    assert twice.value.code == "endorsement.already_decided"
    with pytest.raises(EndorsementError):
        endorsements.reject_endorsement(service, view.id, "Trop tard", actor=COORDINATOR)


def test_two_coordinators_approving_at_once_issue_one_credential(
        service: IssuerService, camille: IssuedCredential, sacha: IssuedCredential) -> None:
    view = ask(service, sacha, camille)
    outcomes: list[str] = []
    barrier = threading.Barrier(2)

    def approve() -> None:
        barrier.wait()
        try:
            endorsements.approve_endorsement(service, view.id, actor=COORDINATOR)
            outcomes.append("approved")
        except EndorsementError as error:
            outcomes.append(error.code)

    threads = [threading.Thread(target=approve) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["approved", "endorsement.already_decided"]
    with service.database.session(read_only=True) as session:
        audits = session.scalars(select(AuditEntry).where(
            AuditEntry.action == "endorsement.approved")).all()
    assert len(audits) == 1


def test_a_badge_revoked_after_the_request_cannot_be_approved(
        service: IssuerService, camille: IssuedCredential, sacha: IssuedCredential) -> None:
    view = ask(service, sacha, camille)
    service.revoke(camille.id, "Démission")
    with pytest.raises(EndorsementError) as refused:
        endorsements.approve_endorsement(service, view.id, actor=COORDINATOR)
    assert refused.value.code == "endorsement.badge_not_valid"
    assert endorsements.moderation_queue(service)[0].id == view.id  # still waiting


def test_every_step_is_in_the_audit_trail(service: IssuerService, camille: IssuedCredential,
                                          sacha: IssuedCredential) -> None:
    signed = approved(service, sacha, camille)
    endorsements.revoke_endorsement(service, signed.view.id, "Signalement", actor=COORDINATOR)
    with service.database.session(read_only=True) as session:
        trail = [(entry.actor, entry.action) for entry in session.scalars(
            select(AuditEntry).where(AuditEntry.subject == signed.view.id)
            .order_by(AuditEntry.id))]
    assert trail == [("mediator", "endorsement.requested"), (COORDINATOR, "endorsement.approved"),
                     (COORDINATOR, "endorsement.revoked")]


# -- the endorser's own actions ---------------------------------------------------------------

def test_the_endorser_withdraws_a_waiting_endorsement_or_revokes_a_published_one(
        service: IssuerService, camille: IssuedCredential, sacha: IssuedCredential) -> None:
    view = ask(service, sacha, camille)
    assert endorsements.withdraw_endorsement(service, sacha.recipient_id, view.id) == "deleted"
    assert endorsements.endorsements_given(service, sacha.recipient_id) == ()
    signed = approved(service, sacha, camille)
    with pytest.raises(endorsements.EndorsementNotFound):
        endorsements.withdraw_endorsement(service, camille.recipient_id, signed.view.id)
    assert endorsements.withdraw_endorsement(service, sacha.recipient_id,
                                             signed.view.id) == "revoked"
    assert check(service, signed.credential_json)["status"] == "status.revoked"
    with pytest.raises(EndorsementError) as again:
        ask(service, sacha, camille)
    assert again.value.code == "endorsement.was_revoked"


def test_the_space_lists_endorsements_received_and_given(service: IssuerService,
                                                         camille: IssuedCredential,
                                                         sacha: IssuedCredential) -> None:
    signed = approved(service, sacha, camille)
    assert [e.id for e in endorsements.endorsements_received(service, camille.recipient_id)] == [
        signed.view.id]
    given = endorsements.endorsements_given(service, sacha.recipient_id)
    assert [(e.id, e.state) for e in given] == [(signed.view.id, "approved")]


# -- personal data ----------------------------------------------------------------------------

def test_erasing_the_endorser_revokes_their_endorsements_and_forgets_the_text(
        service: IssuerService, camille: IssuedCredential, sacha: IssuedCredential) -> None:
    signed = approved(service, sacha, camille)
    list_before = service.status_list_credential(
        int(signed.credential["credentialStatus"]["statusListCredential"].split("/")[-2]),
        "revocation")
    erase_person(service, sacha.recipient_id, actor=COORDINATOR)
    with service.database.session(read_only=True) as session:
        row = session.get(EndorsementRow, signed.view.id)
        assert row.revoked_at is not None
        assert row.credential_json == "" and row.comment == "" and row.endorser_name is None
    assert check(service, signed.credential_json)["status"] == "status.revoked"
    assert list_before["id"]  # the list is still published, now with the bit set
    with pytest.raises(endorsements.EndorsementNotFound):
        endorsements.signed_endorsement(service, signed.view.id)


def test_erasing_the_endorsed_person_removes_waiting_requests_about_them(
        service: IssuerService, camille: IssuedCredential, sacha: IssuedCredential) -> None:
    ask(service, sacha, camille)
    erase_person(service, camille.recipient_id, actor=COORDINATOR)
    assert endorsements.moderation_queue(service) == ()


def test_a_persons_export_holds_the_endorsements_they_wrote_and_received(
        service: IssuerService, camille: IssuedCredential, sacha: IssuedCredential) -> None:
    signed = approved(service, sacha, camille)
    written = export_person(service, sacha.recipient_id, actor=COORDINATOR)
    received = export_person(service, camille.recipient_id, actor=COORDINATOR)
    assert [e["id"] for e in written["endorsements_written"]] == [signed.view.id]
    assert [e["id"] for e in received["endorsements_received"]] == [signed.view.id]
    assert "endorser_id" not in received["endorsements_received"][0]


def test_retention_forgets_the_texts_of_long_revoked_endorsements(
        service: IssuerService, camille: IssuedCredential, sacha: IssuedCredential) -> None:
    from datetime import timedelta

    from issuer.workspace.recipient_erasure import purge_expired_personal_data

    signed = approved(service, sacha, camille)
    endorsements.revoke_endorsement(service, signed.view.id, "Signalement", actor=COORDINATOR)
    later = signed.view.requested_at + timedelta(days=service.settings.retention_days + 1)
    purge_expired_personal_data(service, now=later)
    with service.database.session(read_only=True) as session:
        row = session.get(EndorsementRow, signed.view.id)
        assert row.comment == "" and row.credential_json == "" and row.revoked_at is not None
    assert check(service, signed.credential_json)["status"] == "status.revoked"


def test_the_plain_sentence_names_an_endorsement_not_a_badge(
        service: IssuerService, camille: IssuedCredential, sacha: IssuedCredential) -> None:
    """French agrees in gender: "recommandation" is feminine."""
    signed = approved(service, sacha, camille)
    context = verification_context_for(service, untrusted=False)
    valid = verify(signed.credential_json, context)
    assert valid.summary("fr").startswith("Recommandation authentique, délivrée par la Ville")
    assert valid.summary("en").startswith("Authentic endorsement, issued by")
    endorsements.revoke_endorsement(service, signed.view.id, "Signalement", actor=COORDINATOR)
    revoked = verify(signed.credential_json, context)
    assert revoked.summary("fr") == ("Recommandation révoquée : la Ville de Roubaix l'a retirée ; "
                                     "elle n'est plus valable.")
    badge = verify(service_row(service, camille.id).credential_json, context)
    assert badge.summary("fr").startswith("Badge authentique, délivré par la Ville")


def test_the_erasure_preview_says_how_many_endorsements_will_go(
        service: IssuerService, camille: IssuedCredential, sacha: IssuedCredential) -> None:
    from issuer.workspace.recipient_erasure import erasure_preview

    approved(service, sacha, camille)
    assert erasure_preview(service, sacha.recipient_id).endorsements == 1
    assert erasure_preview(service, camille.recipient_id).endorsements == 1
    assert erasure_preview(service, camille.recipient_id).directory_entry is False
