"""Peer endorsements follow a badge issued again (issuer.workspace.reissue ->
issuer.network.endorsement_successors): on each re-issue path (the holder's name choice, an
e-mail change, a key incident) the endorsement shows on the new badge's page, its
credential verifies and names the new badge, and the old endorsement credential is revoked,
pointing at its successor. The endorser does nothing."""

from __future__ import annotations

import json
from collections.abc import Callable
from html import unescape
from typing import Any

import pytest
from fastapi import FastAPI
from sqlalchemy import select

from issuer.issuance.service import IssuerService
from issuer.issuance.verification_context import verification_context_for
from issuer.network import endorsement_successors, endorsements
from issuer.network.skill_badges import create_skill_badge
from issuer.openbadges.credential import credential_url
from issuer.openbadges.verification import VerificationReport, verify
from issuer.storage.endorsement_models import EndorsementRow
from issuer.storage.models import AuditEntry, IssuedCredential
from issuer.workspace import reissue
from issuer.workspace.key_incident import revoke_key
from issuer.workspace.recipients import change_email
from tests.plugins.admin import BASE_URL
from tests.test_mediators import award, browser, service_of

COORDINATOR = "coordinatrice@ville-roubaix.example"
CAMILLE = "camille.mediatrice@example.org"
SACHA = "sacha.mediateur@example.org"
COMMENT = "Sacha et moi avons animé ensemble l'atelier Mallette Cyber de mars : très clair."


@pytest.fixture
def app(admin_app: tuple[FastAPI, IssuerService]) -> FastAPI:
    app, service = admin_app
    for code in ("ACC-01", "CYB-01"):
        create_skill_badge(service, "skill", code, actor=COORDINATOR)
    return app


@pytest.fixture
def badges(app: FastAPI) -> dict[str, str]:
    return {"camille": award(app, "competence-acc-01", CAMILLE, "Camille Exemple"),
            "sacha": award(app, "competence-cyb-01", SACHA, "Sacha Exemple")}


def row(service: IssuerService, credential_id: str) -> IssuedCredential:
    with service.database.session(read_only=True) as session:
        found = session.get(IssuedCredential, credential_id)
        assert found is not None
        session.expunge(found)
        return found


def endorse(service: IssuerService, endorser_badge: str, badge: str) -> str:
    peer = row(service, endorser_badge).recipient_id
    view = endorsements.request_endorsement(service, peer, badge, COMMENT,
                                            endorser_name="Sacha E.")
    endorsements.approve_endorsement(service, view.id, actor=COORDINATOR, notify=False)
    return view.id


def verified(service: IssuerService, credential: str) -> VerificationReport:
    return verify(credential, verification_context_for(service, untrusted=False))


def codes(report: VerificationReport) -> dict[str, str]:
    return {check.name: check.code for check in report.checks}


def endorsement_row(service: IssuerService, endorsement_id: str) -> EndorsementRow:
    with service.database.session(read_only=True) as session:
        found = session.get(EndorsementRow, endorsement_id)
        assert found is not None
        session.expunge(found)
        return found


def choose_name(service: IssuerService, badge: str) -> str:
    """The holder's name choice in Mon espace: the name shown if hidden, hidden if shown."""
    shown = "name" in service.credential(badge).credential["credentialSubject"]
    pair = reissue.choose_name_display(service, row(service, badge).recipient_id, badge,
                                       show=not shown)
    assert pair is not None
    return pair.new_id


def new_address(service: IssuerService, badge: str) -> str:
    change = change_email(service, row(service, badge).recipient_id,
                          "camille.nouvelle@example.org", actor=COORDINATOR)
    ((_old, new),) = [(old, new) for old, new in change.reissued if old == badge]
    return new


def key_incident(service: IssuerService, badge: str) -> str:
    report = revoke_key(service, service.keystore.active_key("Ed25519").kid, "compromise")
    (pair,) = [pair for pair in report.reissued if pair.old_id == badge]
    return pair.new_id


REISSUE_PATHS: dict[str, Callable[[IssuerService, str], str]] = {
    "name_choice": choose_name, "email_change": new_address, "key_incident": key_incident}


@pytest.mark.parametrize("path", list(REISSUE_PATHS))
def test_the_endorsement_follows_the_badge_issued_again(app: FastAPI, badges: dict[str, str],
                                                        path: str) -> None:
    service = service_of(app)
    old_id = endorse(service, badges["sacha"], badges["camille"])
    before = endorsements.signed_endorsement(service, old_id)

    new_badge = REISSUE_PATHS[path](service, badges["camille"])

    (carried,) = endorsements.endorsements_of_badge(service, new_badge)
    assert carried.id != old_id and carried.comment == COMMENT
    assert carried.endorser_name == "Sacha E." and carried.issued_at == before.view.issued_at
    after = endorsements.signed_endorsement(service, carried.id)
    # The new endorsement credential names the new badge, and verifies (both proofs).
    assert after.credential["credentialSubject"]["id"] == credential_url(BASE_URL, new_badge)
    assert after.credential["credentialSubject"]["endorsementComment"] == COMMENT
    assert after.credential["validFrom"] == before.credential["validFrom"]
    for form in (after.credential_json, after.credential_jwt):
        assert verified(service, form).verdict == "valid"
    # The old one no longer verifies as current: revoked (and, after a key incident, its
    # key is revoked too); it points at its successor.
    old_report = verified(service, before.credential_json)
    assert old_report.verdict != "valid"
    if path == "key_incident":  # the proof fails first; its status bit is set all the same
        assert codes(old_report)["proof"] == "proof.key_revoked"
    else:
        assert codes(old_report)["status"] == "status.revoked"
    old = endorsement_row(service, old_id)
    assert old.revoked_at is not None and old.superseded_by == carried.id
    assert old.revocation_reason == endorsement_successors.SUPERSEDED_REASON
    assert endorsements.endorsements_of_badge(service, badges["camille"]) == ()
    # The author's space lists it once, as the endorsement in force.
    author = row(service, badges["sacha"]).recipient_id
    assert [(e.id, e.state) for e in endorsements.endorsements_given(service, author)] == [
        (carried.id, "approved")]

    # The new badge's page shows it; the old endorsement's page leads to the new one.
    page = unescape(browser(app).get(f"/credentials/{new_badge}").text)
    assert COMMENT in page and f'href="/recommandations/{carried.id}"' in page
    old_page = unescape(browser(app).get(f"/recommandations/{old_id}").text)
    assert "Le badge recommandé a été émis de nouveau" in old_page
    assert f'href="/recommandations/{carried.id}"' in old_page

    # Audit-trailed like the re-issue: the old revoked with its successor, the new one named.
    with service.database.session(read_only=True) as session:
        trail = {(entry.action, entry.subject): entry.details for entry in session.scalars(
            select(AuditEntry).where(AuditEntry.subject.in_([old_id, carried.id])))}
    assert trail[("endorsement.revoked", old_id)] == {
        "reason": endorsement_successors.SUPERSEDED_REASON, "superseded_by": carried.id}
    assert trail[("endorsement.carried_over", carried.id)] == {
        "supersedes": old_id, "credential": new_badge}


def test_carrying_over_twice_changes_nothing(app: FastAPI, badges: dict[str, str]) -> None:
    service = service_of(app)
    endorse(service, badges["sacha"], badges["camille"])
    new_badge = choose_name(service, badges["camille"])
    with service.database.session() as session:
        again = endorsement_successors.carry_over_endorsements(
            service, session, {badges["camille"]: new_badge}, actor=COORDINATOR)
    assert again == ()
    assert len(endorsements.endorsements_of_badge(service, new_badge)) == 1


def test_a_waiting_request_follows_the_badge_and_can_be_approved(
        app: FastAPI, badges: dict[str, str]) -> None:
    service = service_of(app)
    peer = row(service, badges["sacha"]).recipient_id
    view = endorsements.request_endorsement(service, peer, badges["camille"], COMMENT)
    new_badge = choose_name(service, badges["camille"])

    approved = endorsements.approve_endorsement(service, view.id, actor=COORDINATOR,
                                                notify=False)
    assert approved.endorsed_credential_id == new_badge
    signed = endorsements.signed_endorsement(service, view.id)
    assert signed.credential["credentialSubject"]["id"] == credential_url(BASE_URL, new_badge)
    assert verified(service, signed.credential_json).verdict == "valid"


def test_the_endorsers_badge_issued_again_is_the_one_the_endorsement_names(
        app: FastAPI, badges: dict[str, str]) -> None:
    service = service_of(app)
    endorsement_id = endorse(service, badges["sacha"], badges["camille"])
    new_peer_badge = choose_name(service, badges["sacha"])

    signed = endorsements.signed_endorsement(service, endorsement_id)
    evidence: list[dict[str, Any]] = signed.credential["evidence"]
    assert [entry["id"] for entry in evidence] == [credential_url(BASE_URL, new_peer_badge)]
    assert signed.view.endorser_badge_path == f"/credentials/{new_peer_badge}"
    assert verified(service, signed.credential_json).verdict == "valid"
    assert signed.credential["credentialSubject"]["id"] == credential_url(
        BASE_URL, badges["camille"])


def test_a_withdrawn_endorsement_stays_withdrawn_on_the_new_badge(
        app: FastAPI, badges: dict[str, str]) -> None:
    service = service_of(app)
    endorsement_id = endorse(service, badges["sacha"], badges["camille"])
    peer = row(service, badges["sacha"]).recipient_id
    assert endorsements.withdraw_endorsement(service, peer, endorsement_id) == "revoked"
    new_badge = choose_name(service, badges["camille"])

    assert endorsements.endorsements_of_badge(service, new_badge) == ()
    refused = endorsements.may_endorse(service, peer, new_badge)
    assert refused is not None and refused.code == "endorsement.was_revoked"
    assert json.loads(endorsements.signed_endorsement(service, endorsement_id).credential_json)


@pytest.mark.parametrize("path", list(REISSUE_PATHS))
def test_the_endorsement_follows_the_badge_on_sqlite_and_postgresql(
        admin_app_on: Callable[[str], tuple[FastAPI, IssuerService]], database_url: str,
        path: str) -> None:
    app, service = admin_app_on(database_url)
    for code in ("ACC-01", "CYB-01"):
        create_skill_badge(service, "skill", code, actor=COORDINATOR)
    camille = award(app, "competence-acc-01", CAMILLE, "Camille Exemple")
    sacha = award(app, "competence-cyb-01", SACHA, "Sacha Exemple")
    old_id = endorse(service, sacha, camille)

    new_badge = REISSUE_PATHS[path](service, camille)

    (carried,) = endorsements.endorsements_of_badge(service, new_badge)
    signed = endorsements.signed_endorsement(service, carried.id)
    assert signed.credential["credentialSubject"]["id"] == credential_url(BASE_URL, new_badge)
    assert verified(service, signed.credential_json).verdict == "valid"
    assert endorsement_row(service, old_id).superseded_by == carried.id
