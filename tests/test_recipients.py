"""Recipients and their data (issuer.workspace.recipients, recipient_export, recipient_erasure):
finding a person, correcting a name, changing an e-mail (badges reissued, old ones superseded),
revoking with a reason, the JSON export, erasure (nothing left that names the person, nobody
else affected) and the retention purge."""

from __future__ import annotations

import json
import os
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from fastapi.testclient import TestClient
from sqlalchemy import select

from issuer.cli.main import main as cli_main
from issuer.errors import IssuerError
from issuer.issuance.issue_requests import IssueRequest
from issuer.issuance.service import IssuerService
from issuer.issuance.verification_context import verification_context_for
from issuer.mail import deliver_pending
from issuer.openbadges.status_list import read_status_bit
from issuer.openbadges.verification import VerificationReport, verify
from issuer.settings import Settings
from issuer.storage import models as rows
from issuer.storage.models import Base
from issuer.storage.workspace_models import Attendance, ClaimRequest, ClnMember, EmailMessage
from issuer.web import create_app
from issuer.workspace import members, recipient_erasure, recipient_export, recipients
from issuer.workspace.members import NewMember
from tests.plugins.factory import ServiceFactory

BREAKFAST = "petit-dejeuner-inclusion-numerique"
ACTOR = "coordinatrice@ville-roubaix.example"


@pytest.fixture
def service(tmp_path: Path, service_factory: ServiceFactory) -> IssuerService:
    return service_factory(Settings.load(home=tmp_path, base_url="https://badges.example.org"))


@pytest.fixture
def service_on(database_url: str, tmp_path: Path, service_factory: ServiceFactory) -> IssuerService:
    return service_factory(Settings.load(home=tmp_path, base_url="https://badges.example.org",
                                         database_url=database_url))


def breakfast(service: IssuerService, email: str, name: str, event: int = 7,
              role: str = "participant", show_name: bool = True) -> str:
    return service.issue(IssueRequest(BREAKFAST, email, name, event_number=event, role=role,
                                      show_name=show_name)).credential_id


def recipient_id(service: IssuerService, credential_id: str) -> str:
    with service.database.session(read_only=True) as session:
        row = session.get(rows.IssuedCredential, credential_id)
        assert row is not None
        return row.recipient_id


def stored(service: IssuerService, credential_id: str) -> rows.IssuedCredential:
    with service.database.session(read_only=True) as session:
        row = session.get(rows.IssuedCredential, credential_id)
        assert row is not None
        return row


def verified(service: IssuerService, credential_id: str) -> VerificationReport:
    return verify(service.credential(credential_id).credential_json,
                  verification_context_for(service, untrusted=False))


def refusal(function: Any, *args: Any, **kwargs: Any) -> IssuerError:
    with pytest.raises(IssuerError) as caught:
        function(*args, **kwargs)
    return caught.value


def mentions(service: IssuerService, *needles: str) -> list[str]:
    """Every table and column whose stored value contains one of `needles` (any case), and
    every file under var/ that does."""
    found = []
    lowered = [needle.lower() for needle in needles]
    with service.database.engine.connect() as connection:
        for table in Base.metadata.sorted_tables:
            for row in connection.execute(table.select()).mappings():
                for column, value in row.items():
                    if any(needle in str(value).lower() for needle in lowered):
                        found.append(f"{table.name}.{column}")
    for path in service.settings.var_dir.rglob("*"):
        if path.is_file() and path.suffix != ".sqlite3" and "-wal" not in path.name \
                and any(needle in path.read_bytes().decode("utf-8", "replace").lower()
                        for needle in lowered):
            found.append(str(path))
    return found


# -- finding people ------------------------------------------------------------------------------
def test_a_person_is_found_by_exact_email_or_by_part_of_the_name(service: IssuerService) -> None:
    breakfast(service, "elodie.martin@example.org", "Élodie Martin")
    breakfast(service, "sam@example.org", "Sam Dupont")
    assert [p.display_name for p in recipients.find_people(service, " Elodie.Martin@EXAMPLE.org ")] \
        == ["Élodie Martin"]
    assert [p.display_name for p in recipients.find_people(service, "elodie")] == ["Élodie Martin"]
    assert [p.display_name for p in recipients.find_people(service, "MARTIN")] == ["Élodie Martin"]
    assert refusal(recipients.find_people, service, "elodie@").code == "recipient.bad_email"
    assert recipients.find_people(service, "inconnu@example.org") == []
    # An address is only ever matched whole, through its keyed hash.
    assert recipients.find_people(service, "martin@example.org") == []
    person = recipients.find_people(service, "sam")[0]
    assert person.badges == 1 and not person.erased


def test_a_person_file_lists_each_badge_with_its_state(service: IssuerService) -> None:
    kept = breakfast(service, "etat@example.org", "Claude État", event=6)
    revoked = breakfast(service, "etat@example.org", "Claude État", event=7)
    recipients.revoke_credential(service, revoked, "Erreur de liste", actor=ACTOR)
    person = recipients.person_file(service, recipient_id(service, kept))
    states = {badge.credential_id: badge.state for badge in person.badges}
    assert states == {kept: "valid", revoked: "revoked"}
    assert [badge.credential_id for badge in person.live_badges] == [kept]


# -- revocation from the admin page --------------------------------------------------------------
def test_revocation_needs_a_reason_and_is_audited_with_its_origin(service: IssuerService) -> None:
    credential_id = breakfast(service, "revoc@example.org", "Dominique")
    error = refusal(recipients.revoke_credential, service, credential_id, " ", actor=ACTOR)
    assert error.code == "revoke.reason_required" and "motif" in error.message_fr
    recipients.revoke_credential(service, credential_id, "Badge émis par erreur", actor=ACTOR,
                                 origin="192.0.2.7")
    assert verified(service, credential_id).revoked is True
    row = stored(service, credential_id)
    assert row.revocation_reason == "Badge émis par erreur"
    with service.database.session(read_only=True) as session:
        entry = session.scalars(select(rows.AuditEntry).where(
            rows.AuditEntry.action == "credential.revoked",
            rows.AuditEntry.subject == credential_id)).one()
    assert (entry.actor, entry.origin) == (ACTOR, "192.0.2.7")
    again = refusal(recipients.revoke_credential, service, credential_id, "encore", actor=ACTOR)
    assert again.code == "revoke.already_revoked"


# -- correcting a name -----------------------------------------------------------------------------
def test_a_corrected_name_goes_on_future_badges_and_signed_ones_keep_theirs(
        service: IssuerService) -> None:
    first = breakfast(service, "nom@example.org", "Camile Durand", event=6)
    person = recipient_id(service, first)
    error = refusal(recipients.correct_name, service, person, "  ", actor=ACTOR)
    assert error.code == "recipient.name_required"
    recipients.correct_name(service, person, "Camille  Durand", actor=ACTOR, origin="192.0.2.7")
    later = breakfast(service, "nom@example.org", "Camile Durand", event=7)
    assert service.credential(later).credential["credentialSubject"]["name"] == "Camille Durand"
    assert service.credential(first).credential["credentialSubject"]["name"] == "Camile Durand"
    assert recipients.person_file(service, person).display_name == "Camille Durand"
    assert mentions(service, "Camille Durand") == [
        "recipients.display_name", "issued_credentials.credential_json"]


# -- changing an e-mail ----------------------------------------------------------------------------
def test_changing_an_email_reissues_the_badges_and_supersedes_the_old_ones(
        service_on: IssuerService) -> None:
    service = service_on
    edition = breakfast(service, "ancienne@example.org", "Alix Bernard", role="intervenant")
    mandate = members.add_member(service, NewMember(
        name="Alix Bernard", email="ancienne@example.org", role="conseiller", sector="Nord",
        mandate_start=date(2025, 6, 13), age_declared=True), actor=ACTOR)
    with service.database.session() as session:
        session.add(Attendance(event_family=BREAKFAST, event_number=7, name="Alix Bernard",
                               email="ancienne@example.org", role="intervenant", source="typed",
                               credential_id=edition))
    person = recipient_id(service, edition)
    change = recipients.change_email(service, person, "Nouvelle@Example.org", actor=ACTOR,
                                     origin="192.0.2.7")
    successors = dict(change.reissued)
    assert set(successors) == {edition, mandate.credential_id}
    for old, new in successors.items():
        old_row, new_row = stored(service, old), stored(service, new)
        assert old_row.revocation_reason == "superseded" and old_row.superseded_by == new
        assert verified(service, old).revoked is True
        assert verified(service, new).verdict == "valid"
        assert (new_row.badge_slug, new_row.event_number, new_row.role, new_row.valid_until) == (
            old_row.badge_slug, old_row.event_number, old_row.role, old_row.valid_until)
        assert new_row.recipient_id == person
    new_member_badge = service.credential(successors[str(mandate.credential_id)]).credential
    assert new_member_badge["validUntil"] == "2027-06-12T21:59:59Z"
    assert new_member_badge["credentialSubject"]["narrative"] == "Secteur Nord"
    # The register, the attendance line and the search follow the new address.
    assert members.get_mandate(service, mandate.id).credential_id == successors[
        str(mandate.credential_id)]
    assert members.get_mandate(service, mandate.id).email == "nouvelle@example.org"
    with service.database.session(read_only=True) as session:
        line = session.scalars(select(Attendance)).one()
        assert (line.email, line.credential_id) == ("nouvelle@example.org", successors[edition])
        # Each reissued badge has its delivery e-mail queued, to the new address.
        queued = session.scalars(select(EmailMessage).where(
            EmailMessage.credential_id.in_(list(successors.values())))).all()
        assert {message.to_address for message in queued} == {"nouvelle@example.org"}
    assert [p.id for p in recipients.find_people(service, "nouvelle@example.org")] == [person]
    assert recipients.find_people(service, "ancienne@example.org") == []


def test_an_address_that_belongs_to_someone_else_is_refused(service: IssuerService) -> None:
    mine = breakfast(service, "moi@example.org", "Moi")
    breakfast(service, "autre@example.org", "Autre")
    error = refusal(recipients.change_email, service, recipient_id(service, mine),
                    "AUTRE@example.org", actor=ACTOR)
    assert error.code == "recipient.email_taken" and "autre personne" in error.message_fr
    bad = refusal(recipients.change_email, service, recipient_id(service, mine), "pas-une-adresse",
                  actor=ACTOR)
    assert bad.code == "recipient.bad_email"
    assert verified(service, mine).verdict == "valid"  # nothing changed


# -- export ------------------------------------------------------------------------------------------
def test_the_export_holds_everything_kept_about_the_person(service: IssuerService) -> None:
    edition = breakfast(service, "export@example.org", "Noa Export")
    mandate = members.add_member(service, NewMember(
        name="Noa Export", email="export@example.org", role="observateur",
        mandate_start=date(2025, 6, 13), age_declared=True, gender="sans_reponse"), actor=ACTOR)
    with service.database.session() as session:
        session.add(Attendance(event_family=BREAKFAST, event_number=7, name="Noa Export",
                               email="export@example.org", role="participant", source="upload",
                               credential_id=edition))
        session.add(ClaimRequest(event_family=BREAKFAST, event_number=7, name="Noa Export",
                                 email="export@example.org", role="participant"))
    breakfast(service, "quelquun@example.org", "Quelqu'un d'autre")
    document = recipient_export.export_person(service, recipient_id(service, edition), actor=ACTOR)
    text = json.dumps(document, ensure_ascii=False)
    assert "Quelqu'un d'autre" not in text and "quelquun@example.org" not in text
    assert document["recipient"]["email"] == "export@example.org"
    assert document["recipient"]["display_name"] == "Noa Export"
    exported = {item["id"]: item for item in document["credentials"]}
    assert set(exported) == {edition, mandate.credential_id}
    # The signed badge itself, as issued (same proof).
    assert exported[edition]["credential"] == service.credential(edition).credential
    assert exported[edition]["credential_jwt"] == service.credential(edition).credential_jwt
    assert [a["credential_id"] for a in document["attendances"]] == [edition]
    assert [c["email"] for c in document["claims"]] == ["export@example.org"]
    assert [m["id"] for m in document["cln_members"]] == [mandate.id]
    # The parity answer and the age declaration are part of what is kept (right of access).
    assert document["cln_members"][0]["gender"] == "sans_reponse"
    assert document["cln_members"][0]["age_declared_at"]
    assert {m["credential_id"] for m in document["email_messages"]} == {mandate.credential_id}
    assert {"credential.issued", "cln.member_added"} <= {
        entry["action"] for entry in document["audit_log"]}
    json.dumps(document)  # JSON-ready as it is


# -- erasure -----------------------------------------------------------------------------------------
def test_erasure_removes_the_person_everywhere_and_leaves_everyone_else_untouched(
        service_on: IssuerService) -> None:
    service = service_on
    name, email = "Maëlys Effacée", "maelys.effacee@example.org"
    edition = breakfast(service, email, name, event=8)
    first = members.add_member(service, NewMember(
        name=name, email=email, role="conseiller", sector="Sud", mandate_start=date(2025, 6, 13),
        age_declared=True), actor=ACTOR)
    members.renew_mandate(service, first.id, actor=ACTOR)  # a chain of two register rows
    with service.database.session() as session:
        session.add(Attendance(event_family=BREAKFAST, event_number=8, name=name, email=email,
                               role="participant", source="upload", credential_id=edition))
        session.add(ClaimRequest(event_family=BREAKFAST, event_number=9, name=name, email=email))
    other = breakfast(service, "voisin@example.org", "Voisin Gardé", event=8)
    deliver_pending(service)  # e-mails written to the outbox folder (no SMTP configured)
    assert mentions(service, email, name)
    person = recipient_id(service, edition)

    preview = recipient_erasure.erasure_preview(service, person)
    assert len(preview.revoked) == 3 and preview.deleted["cln_members"] == 2
    report = recipient_erasure.erase_person(service, person, actor=ACTOR, origin="192.0.2.7")

    assert mentions(service, email, name) == []
    assert mentions(service, "Voisin Gardé")  # the neighbour is still there
    with service.database.session(read_only=True) as session:
        erased = session.scalars(select(rows.IssuedCredential).where(
            rows.IssuedCredential.recipient_id == person)).all()
        assert len(erased) == 3 == len(report.revoked)
        assert {row.revocation_reason for row in erased} == {"erasure"}
        recipient = session.get(rows.Recipient, person)
        assert recipient is not None and recipient.erased_at is not None
        assert session.scalars(select(ClnMember)).all() == []
    # Status lists are still served and still say "revoked" for the erased badges.
    client = TestClient(create_app(service.settings, service))
    entry = json.loads(service.credential(other).credential_json)["credentialStatus"]
    served = client.get(entry["statusListCredential"].removeprefix(service.settings.base_url))
    assert served.status_code == 200
    assert not read_status_bit(served.json(), entry)
    with service.database.session(read_only=True) as session:
        row = session.get(rows.IssuedCredential, edition)
        assert row is not None
        index = row.status_index
    assert read_status_bit(served.json(), {**entry, "statusListIndex": str(index)})
    assert verified(service, other).verdict == "valid"
    assert client.get(f"/credentials/{edition}").status_code == 404
    again = refusal(recipient_erasure.erase_person, service, person, actor=ACTOR)
    assert again.code == "recipient.already_erased"


# -- retention ---------------------------------------------------------------------------------------
def test_purge_keeps_data_within_the_retention_and_removes_it_after(
        service: IssuerService) -> None:
    gone = breakfast(service, "partie@example.org", "Personne Partie")
    kept = breakfast(service, "restee@example.org", "Personne Restée", event=6)
    old = breakfast(service, "restee@example.org", "Personne Restée", event=7)
    recipients.revoke_credential(service, gone, "Erreur", actor=ACTOR)
    recipients.revoke_credential(service, old, "Erreur", actor=ACTOR)
    with service.database.session() as session:
        session.add(ClaimRequest(event_family=BREAKFAST, event_number=9, name="Demande Refusée",
                                 email="refusee@example.org", status="rejected",
                                 decided_at=datetime.now(UTC)))
    retention = timedelta(days=service.settings.retention_days)
    assert service.settings.retention_days == 365 * 3

    soon = recipient_erasure.purge_expired_personal_data(service, now=datetime.now(UTC) + retention
                                                         - timedelta(days=1))
    assert (soon.people_erased, soon.badges_forgotten) == (0, 0)
    assert mentions(service, "partie@example.org")

    later = datetime.now(UTC) + retention + timedelta(days=1)
    report = recipient_erasure.purge_expired_personal_data(service, now=later)
    assert (report.people_erased, report.badges_forgotten, report.claims_deleted) == (1, 1, 1)
    assert mentions(service, "partie@example.org", "Personne Partie", "refusee@example.org") == []
    # The person who keeps a live badge keeps their data; only the old badge's text goes.
    assert recipients.find_people(service, "restee@example.org")
    assert verified(service, kept).verdict == "valid"
    assert not stored(service, old).is_signed and stored(service, old).revoked_at is not None
    again = recipient_erasure.purge_expired_personal_data(service, now=later)
    assert (again.people_erased, again.badges_forgotten) == (0, 0)


def test_the_retention_is_a_setting(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ISSUER_RETENTION_DAYS", "30")
    assert Settings.load(home=tmp_path).retention_days == 30
    monkeypatch.setenv("ISSUER_RETENTION_DAYS", "0")
    with pytest.raises(IssuerError):
        Settings.load(home=tmp_path)


def test_issuer_purge_runs_from_the_command_line(service: IssuerService,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    revoked = breakfast(service, "cron@example.org", "Cron Tab")
    recipients.revoke_credential(service, revoked, "Erreur", actor=ACTOR)
    for name in [name for name in os.environ if name.startswith("ISSUER_")]:
        monkeypatch.delenv(name)
    monkeypatch.setenv("ISSUER_HOME", str(service.settings.home))
    monkeypatch.setenv("ISSUER_BASE_URL", service.settings.base_url)
    monkeypatch.setenv("ISSUER_RETENTION_DAYS", "1")
    with service.database.session() as session:  # revoked two days ago
        row = session.get(rows.IssuedCredential, revoked)
        assert row is not None
        row.revoked_at = datetime.now(UTC) - timedelta(days=2)
    result = CliRunner().invoke(cli_main, ["purge"])
    assert result.exit_code == 0, result.output
    assert "1" in result.output
    assert mentions(service, "cron@example.org", "Cron Tab") == []


def test_the_holder_is_told_why_their_badge_was_revoked(service: IssuerService) -> None:
    """Issue 13 item 7: a revocation the coordinator decides sends the holder an e-mail with the
    reason, French then English."""
    from issuer.mail import outbox_message
    from issuer.mail.revocation import REVOCATION_MAIL_KIND

    credential_id = breakfast(service, "camille@example.org", "Camille Exemple")
    recipients.revoke_credential(service, credential_id, "Badge émis par erreur", actor=ACTOR)
    deliver_pending(service)
    with service.database.session(read_only=True) as session:
        [row] = session.scalars(select(EmailMessage).where(
            EmailMessage.kind == REVOCATION_MAIL_KIND)).all()
    assert row.to_address == "camille@example.org" and row.credential_id == credential_id
    _row, message = outbox_message(service, row.id)
    body = message.get_body(("plain",))
    assert body is not None
    text = body.get_content()
    assert "a retiré votre badge numérique" in text and "has revoked your digital badge" in text
    assert text.index("a retiré") < text.index("has revoked")
    assert text.count("Badge émis par erreur") == 2
