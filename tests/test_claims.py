"""Self-claim at the event (issue #4 item 4), through `issuer.workspace.claims` on a real service: the QR
code's address works only inside its window, requests wait for approval, approval issues
through the same path as an attendance list, rejection issues nothing."""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from issuer.errors import InvalidInput
from issuer.issuance.service import IssuerService
from issuer.openbadges.credential import CITY_TIMEZONE
from issuer.settings import Settings
from issuer.storage import models as rows
from issuer.storage.workspace_models import ClaimRequest, EventSchedule
from issuer.workspace import claims, events
from issuer.workspace.claims import (
    ClaimLimitReached,
    ClaimNotFound,
    ClaimWindowClosed,
    ClaimWindowNotOpen,
)
from issuer.workspace.events import EventView
from tests.plugins.factory import ServiceFactory

BREAKFAST = "petit-dejeuner-inclusion-numerique"
ACTOR = "coordination@ville-roubaix.example"
NOW = datetime.now(UTC).replace(microsecond=0)


@pytest.fixture
def service(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
            service_factory: ServiceFactory) -> IssuerService:
    for variable in [name for name in os.environ if name.startswith("ISSUER_")]:
        monkeypatch.delenv(variable)
    monkeypatch.delenv("DATABASE_URL", raising=False)
    return service_factory(Settings.load(home=tmp_path, base_url="https://badges.example.org"))


def edition(service: IssuerService, number: int = 10) -> EventView:
    return events.get_event(service, BREAKFAST, number)


def open_window(service: IssuerService, number: int = 10, *, starts: timedelta = timedelta(0),
                hours: int = 3) -> str:
    return claims.open_claim_window(service, edition(service, number), opens_at=NOW + starts,
                                    closes_at=NOW + starts + timedelta(hours=hours), actor=ACTOR)


def issued_count(service: IssuerService) -> int:
    with service.database.session(read_only=True) as session:
        return session.scalar(select(func.count()).select_from(rows.IssuedCredential)) or 0


def claim_count(service: IssuerService) -> int:
    with service.database.session(read_only=True) as session:
        return session.scalar(select(func.count()).select_from(ClaimRequest)) or 0


# -- the window ---------------------------------------------------------------------------------

def test_inside_the_window_a_request_is_queued_and_nothing_is_issued(service: IssuerService) -> None:
    token = open_window(service)
    receipt = claims.submit_claim(service, token, name="Awa Diallo", email="Awa@Example.org",
                                  role="Intervenante", origin="192.0.2.10")
    assert receipt.created and receipt.event.number == 10
    [pending] = claims.pending_claims(service, edition(service))
    assert (pending.name, pending.email, pending.role) == ("Awa Diallo", "awa@example.org",
                                                           "intervenant")
    assert issued_count(service) == 0
    assert edition(service).pending_claims == 1


def test_before_the_window_the_request_is_refused(service: IssuerService) -> None:
    token = open_window(service, starts=timedelta(hours=2))
    with pytest.raises(ClaimWindowNotOpen) as refused:
        claims.submit_claim(service, token, name="Awa", email="awa@example.org")
    assert "pas encore ouvertes" in refused.value.message_fr
    assert claim_count(service) == 0


def test_after_the_window_the_qr_code_stops_working(service: IssuerService) -> None:
    token = open_window(service)
    later = NOW + timedelta(hours=3, seconds=1)
    with pytest.raises(ClaimWindowClosed) as refused:
        claims.submit_claim(service, token, name="Awa", email="awa@example.org", now=later)
    assert refused.value.message_fr.startswith("La période pour demander ce badge est terminée")
    assert claims.find_claim_window(service, token, later).state == "closed"
    assert claims.current_claim_url(service, edition(service), later) is None
    assert claim_count(service) == 0


def test_closing_the_window_early_refuses_further_requests(service: IssuerService) -> None:
    token = open_window(service)
    claims.close_claim_window(service, edition(service), actor=ACTOR)
    with pytest.raises(ClaimWindowClosed):
        claims.submit_claim(service, token, name="Awa", email="awa@example.org")
    assert claims.current_claim_url(service, edition(service)) is None


def test_the_qr_address_holds_the_token_and_only_its_hash_is_stored(service: IssuerService) -> None:
    token = open_window(service)
    url = claims.current_claim_url(service, edition(service))
    assert url == f"https://badges.example.org/reclamer/{token}"
    with service.database.session(read_only=True) as session:
        schedule = session.get(EventSchedule, (BREAKFAST, 10))
        assert schedule is not None and schedule.claim_token_hash not in (None, token)
        assert token not in repr([schedule.claim_token_hash, schedule.title_fr, schedule.badge_slug])
    assert claims.find_claim_window(service, token).event.number == 10


def test_a_new_window_gets_a_new_address(service: IssuerService) -> None:
    first = open_window(service)
    second = open_window(service, starts=timedelta(minutes=5))
    assert first != second
    with pytest.raises(ClaimNotFound):
        claims.find_claim_window(service, first)


@pytest.mark.parametrize("token", ["x" * 22, "short", "../../etc/passwd", "A" * 200])
def test_an_unknown_or_malformed_address_is_not_found(service: IssuerService, token: str) -> None:
    open_window(service)
    with pytest.raises(ClaimNotFound) as refused:
        claims.submit_claim(service, token, name="Awa", email="awa@example.org")
    assert "n'existe pas" in refused.value.message_fr


def test_a_window_must_end_after_it_starts_and_last_at_most_a_week(service: IssuerService) -> None:
    with pytest.raises(InvalidInput):
        claims.open_claim_window(service, edition(service), opens_at=NOW, closes_at=NOW,
                                 actor=ACTOR)
    with pytest.raises(InvalidInput):
        claims.open_claim_window(service, edition(service), opens_at=NOW,
                                 closes_at=NOW + timedelta(days=8), actor=ACTOR)


# -- requests -----------------------------------------------------------------------------------

def test_a_bad_email_is_refused_with_the_list_rules(service: IssuerService) -> None:
    token = open_window(service)
    with pytest.raises(InvalidInput) as refused:
        claims.submit_claim(service, token, name="Awa", email="awa.example.org")
    assert refused.value.message_fr == "Adresse e-mail invalide « awa.example.org »."
    assert claim_count(service) == 0


def test_asking_twice_makes_one_request(service: IssuerService) -> None:
    token = open_window(service)
    claims.submit_claim(service, token, name="Awa", email="awa@example.org")
    again = claims.submit_claim(service, token, name="Awa D.", email="AWA@example.org")
    assert not again.created
    assert claim_count(service) == 1


def test_requests_from_one_address_are_capped(service: IssuerService,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(claims, "CLAIMS_PER_ORIGIN_PER_MINUTE", 3)
    token = open_window(service)
    for i in range(3):
        claims.submit_claim(service, token, name=f"P{i}", email=f"p{i}@example.org",
                            origin="198.51.100.7")
    with pytest.raises(ClaimLimitReached):
        claims.submit_claim(service, token, name="P3", email="p3@example.org",
                            origin="198.51.100.7")
    # Another network is not held back.
    assert claims.submit_claim(service, token, name="Q", email="q@example.org",
                               origin="203.0.113.5").created


def test_the_total_per_address_and_window_is_capped(service: IssuerService,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(claims, "CLAIMS_PER_ORIGIN_PER_WINDOW", 2)
    token = open_window(service)
    for i in range(2):
        claims.submit_claim(service, token, name=f"P{i}", email=f"p{i}@example.org", origin="o")
    with pytest.raises(ClaimLimitReached) as refused:
        claims.submit_claim(service, token, name="P2", email="p2@example.org", origin="o")
    assert "Réessayez" in refused.value.message_fr


def test_consent_to_show_the_name_reaches_the_badge(service: IssuerService) -> None:
    token = open_window(service)
    claims.submit_claim(service, token, name="Awa", email="awa@example.org", show_name=True)
    [pending] = claims.pending_claims(service, edition(service))
    result = claims.approve_claims(service, edition(service), [pending.id], actor=ACTOR)
    assert "Awa" in service.credential(result.credential_ids[0]).credential_json


# -- decisions ----------------------------------------------------------------------------------

def test_approval_records_the_attendance_and_issues_the_badge(service: IssuerService) -> None:
    token = open_window(service)
    for name in ("Awa", "Bruno"):
        claims.submit_claim(service, token, name=name, email=f"{name.lower()}@example.org",
                            role="animatrice" if name == "Awa" else None)
    pending = claims.pending_claims(service, edition(service))
    result = claims.approve_claims(service, edition(service), [c.id for c in pending],
                                   actor=ACTOR)
    assert (result.issued, result.already_issued, result.emails_queued) == (2, 0, 2)
    attendance = {a.email: a for a in events.attendance_list(service, edition(service))}
    assert attendance["awa@example.org"].role == "animateur"
    assert attendance["awa@example.org"].source == "claim"
    badge = service.credential(attendance["awa@example.org"].credential_id or "").credential
    assert badge["evidence"][0]["id"].endswith(f"/events/{BREAKFAST}/10")
    assert claims.pending_claims(service, edition(service)) == []


def test_approving_again_issues_nothing_more(service: IssuerService) -> None:
    token = open_window(service)
    claims.submit_claim(service, token, name="Awa", email="awa@example.org")
    [pending] = claims.pending_claims(service, edition(service))
    claims.approve_claims(service, edition(service), [pending.id], actor=ACTOR)
    again = claims.approve_claims(service, edition(service), [pending.id], actor=ACTOR)
    assert (again.issued, again.already_issued) == (0, 0)
    assert issued_count(service) == 1


def test_an_attendee_already_on_the_list_is_not_issued_twice(service: IssuerService) -> None:
    event = edition(service)
    events.add_attendee(service, event, name="Awa", email="awa@example.org", role=None,
                        show_name=False, actor=ACTOR)
    events.issue_for_event(service, events.get_event(service, BREAKFAST, 10), actor=ACTOR)
    token = open_window(service)
    claims.submit_claim(service, token, name="Awa", email="awa@example.org")
    [pending] = claims.pending_claims(service, edition(service))
    result = claims.approve_claims(service, edition(service), [pending.id], actor=ACTOR)
    assert (result.issued, result.already_issued) == (0, 1)
    assert issued_count(service) == 1


def test_rejected_requests_issue_nothing(service: IssuerService) -> None:
    token = open_window(service)
    claims.submit_claim(service, token, name="Intrus", email="intrus@example.org")
    [pending] = claims.pending_claims(service, edition(service))
    assert claims.reject_claims(service, edition(service), [pending.id], actor=ACTOR) == 1
    assert claims.approve_claims(service, edition(service), [pending.id], actor=ACTOR).issued == 0
    assert issued_count(service) == 0
    assert events.attendance_list(service, edition(service)) == []


def test_decisions_only_touch_the_requests_of_their_event(service: IssuerService) -> None:
    token = open_window(service, 9)
    claims.submit_claim(service, token, name="Awa", email="awa@example.org")
    [pending] = claims.pending_claims(service, edition(service, 9))
    assert claims.reject_claims(service, edition(service, 10), [pending.id], actor=ACTOR) == 0
    assert claims.approve_claims(service, edition(service, 10), [pending.id],
                                 actor=ACTOR).issued == 0
    assert len(claims.pending_claims(service, edition(service, 9))) == 1


def test_a_window_opened_in_city_time_keeps_its_address(service: IssuerService) -> None:
    local = NOW.astimezone(CITY_TIMEZONE)
    token = claims.open_claim_window(service, edition(service), opens_at=local,
                                     closes_at=local + timedelta(hours=1), actor=ACTOR)
    assert claims.current_claim_url(service, edition(service)) == claims.claim_url(service, token)
    assert claims.submit_claim(service, token, name="Awa", email="awa@example.org").created


# -- issue 13 item 9: holders flagged, the short code -------------------------------------------

def test_a_request_from_someone_who_already_holds_the_badge_is_flagged(
        service: IssuerService) -> None:
    event = edition(service)
    events.add_attendee(service, event, name="Awa", email="awa@example.org", role=None,
                        show_name=False, actor=ACTOR)
    events.issue_for_event(service, events.get_event(service, BREAKFAST, 10), actor=ACTOR)
    token = open_window(service)
    claims.submit_claim(service, token, name="Awa", email="AWA@example.org")
    claims.submit_claim(service, token, name="Bruno", email="bruno@example.org")
    flags = {claim.email: claim.already_holds
             for claim in claims.pending_claims(service, edition(service))}
    assert flags == {"awa@example.org": True, "bruno@example.org": False}


def test_a_badge_issued_outside_the_attendance_list_counts_and_a_revoked_one_does_not(
        service: IssuerService) -> None:
    from issuer.issuance.issue_requests import IssueRequest

    issued = service.issue(IssueRequest(badge_slug=BREAKFAST, email="cli@example.org",
                                        name="Par la commande", event_number=10))
    service.issue(IssueRequest(badge_slug=BREAKFAST, email="other@example.org",
                               name="Autre édition", event_number=9))
    token = open_window(service)
    for email in ("cli@example.org", "other@example.org"):
        claims.submit_claim(service, token, name="X", email=email)
    flags = {c.email: c.already_holds for c in claims.pending_claims(service, edition(service))}
    assert flags == {"cli@example.org": True, "other@example.org": False}
    service.revoke(issued.credential_id, reason="test")
    flags = {c.email: c.already_holds for c in claims.pending_claims(service, edition(service))}
    assert flags["cli@example.org"] is False


def test_the_short_code_finds_the_open_window_whatever_the_typing(service: IssuerService) -> None:
    token = open_window(service)
    code = claims.short_code(token)
    assert len(code) == 6 and set(code) <= set("ABCDEFGHJKLMNPQRSTUVWXYZ23456789")
    for typed in (code, code.lower(), f"{code[:3]} {code[3:]}", f" {code[:3]}-{code[3:]} "):
        assert claims.token_for_short_code(service, typed) == token
    assert claims.token_for_short_code(service, "ZZZZZZ" if code != "ZZZZZZ" else "YYYYYY") is None
    assert claims.token_for_short_code(service, "") is None
    assert claims.token_for_short_code(service, "0" * 6) is None  # not in the alphabet
    assert claims.token_for_short_code(service, "A" * 500) is None


def test_the_short_code_stops_working_with_its_window(service: IssuerService) -> None:
    token = open_window(service)
    code = claims.short_code(token)
    assert claims.token_for_short_code(service, code, now=NOW + timedelta(hours=4)) is None
    claims.close_claim_window(service, edition(service), actor=ACTOR)
    assert claims.token_for_short_code(service, code) is None
    renewed = open_window(service, starts=timedelta(minutes=1))
    assert claims.short_code(renewed) != code
