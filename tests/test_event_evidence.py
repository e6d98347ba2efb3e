"""A badge given for an added event (a workshop, a CLN session) names that event as evidence,
and the audit trail records from where the coordinator issued it."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from sqlalchemy import select

from issuer.issuance.service import IssuerService
from issuer.issuance.verification_context import verification_context_for
from issuer.openbadges.verification import verify
from issuer.settings import Settings
from issuer.storage.models import AuditEntry
from issuer.workspace import events


def test_workshop_badge_carries_the_workshop_as_evidence_and_verifies(tmp_path: Path) -> None:
    service = IssuerService(Settings.load(home=tmp_path, base_url="https://badges.example.org"))
    service.init()
    workshop = events.add_event(service, kind="workshop", title_fr="Atelier FALC",
                                title_en="Easy-to-read workshop", day=date(2025, 11, 20),
                                venue="Médiathèque La Grand-Plage",
                                badge_slug="mediateur-numerique", actor="test")
    events.add_attendee(service, workshop, name="Alex Exemple", email="alex@example.org",
                        role=None, show_name=False, actor="test")
    result = events.issue_for_event(service, workshop, actor="coordinatrice@example.org",
                                    origin="203.0.113.7")
    issued = service.credential(result.credential_ids[0])
    evidence = issued.credential["evidence"]
    assert evidence == [{"type": ["Evidence"], "name": "Atelier FALC",
                         "description": "20 novembre 2025 — Médiathèque La Grand-Plage",
                         "genre": "Événement"}]
    assert verify(issued.credential_json, verification_context_for(service)).verdict == "valid"
    with service.database.session(read_only=True) as session:
        line = session.scalars(select(AuditEntry).where(
            AuditEntry.action == "credential.issued",
            AuditEntry.subject == issued.credential_id)).one()
    assert line.origin == "203.0.113.7"
    assert line.actor == "coordinatrice@example.org"
