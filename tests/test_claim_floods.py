"""The self-claim queue under a flood (issue #10 item 7): a few addresses cannot fill it so that
real attendees are refused, caps count within one window and per e-mail address, and the
coordinator sees waiting requests per client and rejects one client's all at once (audited)."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select

from issuer.issuance.service import IssuerService
from issuer.storage.models import AuditEntry
from issuer.workspace import claims, events
from issuer.workspace.claims import ClaimEmailLimitReached, ClaimLimitReached
from issuer.workspace.events import EventView

BREAKFAST = "petit-dejeuner-inclusion-numerique"
EVENT = f"/admin/evenements/{BREAKFAST}/10"
ACTOR = "coordination@ville-roubaix.example"
NOW = datetime.now(UTC).replace(microsecond=0)


def edition(service: IssuerService) -> EventView:
    return events.get_event(service, BREAKFAST, 10)


def open_window(service: IssuerService, *, opens_at: datetime = NOW, hours: int = 3) -> str:
    return claims.open_claim_window(service, edition(service), opens_at=opens_at,
                                    closes_at=opens_at + timedelta(hours=hours), actor=ACTOR,
                                    now=opens_at)


def flood(service: IssuerService, token: str, client: str, count: int) -> int:
    """Send up to `count` requests from `client`; returns how many were accepted."""
    accepted = 0
    for n in range(count):
        try:
            claims.submit_claim(service, token, name=f"Robot {n}",
                                email=f"robot{n}.{client.replace('.', '-')}@example.org",
                                origin=client)
        except ClaimLimitReached:
            break
        accepted += 1
    return accepted


@pytest.fixture
def small_caps(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(claims, "CLAIMS_PER_ORIGIN_PER_WINDOW", 8)
    monkeypatch.setattr(claims, "CLAIMS_PER_ORIGIN_PER_MINUTE", 100)
    monkeypatch.setattr(claims, "MAX_PENDING_PER_EVENT", 10)
    monkeypatch.setattr(claims, "FLOOD_SHARE", 3)
    monkeypatch.setattr(claims, "HARD_MAX_PENDING_PER_EVENT", 20)


@pytest.fixture
def service(admin_app: tuple[FastAPI, IssuerService]) -> IssuerService:
    return admin_app[1]


def test_a_flood_from_a_few_addresses_does_not_lock_real_attendees_out(
        service: IssuerService, small_caps: None) -> None:
    token = open_window(service)
    assert flood(service, token, "198.51.100.1", 50) == 8  # the per-window cap stops each
    assert flood(service, token, "198.51.100.2", 50) == 3  # past 10 waiting, FLOOD_SHARE each
    assert flood(service, token, "198.51.100.3", 50) == 3  # a newcomer may still add a few
    # Real attendees, each from their own phone network, still get in.
    for n in range(5):
        assert claims.submit_claim(service, token, name=f"Personne {n}",
                                   email=f"personne{n}@example.org",
                                   origin=f"203.0.113.{n}").created


def test_the_hard_ceiling_holds_whoever_sends(service: IssuerService, small_caps: None) -> None:
    token = open_window(service)
    for n in range(20):
        claims.submit_claim(service, token, name=f"P{n}", email=f"p{n}@example.org",
                            origin=f"192.0.2.{n}")
    with pytest.raises(ClaimLimitReached):
        claims.submit_claim(service, token, name="Late", email="late@example.org",
                            origin="192.0.2.200")


def test_one_email_address_cannot_ask_again_and_again(service: IssuerService) -> None:
    token = open_window(service)
    for _ in range(claims.CLAIMS_PER_EMAIL_PER_WINDOW):
        claims.submit_claim(service, token, name="Awa", email="awa@example.org", origin="o")
        [pending] = claims.pending_claims(service, edition(service))
        claims.reject_claims(service, edition(service), [pending.id], actor=ACTOR)
    with pytest.raises(ClaimEmailLimitReached) as refused:
        claims.submit_claim(service, token, name="Awa", email="awa@example.org", origin="p")
    assert "adresse e-mail" in refused.value.message_fr


def test_the_per_client_cap_counts_within_one_window(service: IssuerService,
                                                     small_caps: None) -> None:
    first = NOW - timedelta(hours=5)
    token = open_window(service, opens_at=first, hours=1)
    for n in range(8):
        claims.submit_claim(service, token, name=f"P{n}", email=f"p{n}@example.org",
                            origin="198.51.100.9", now=first + timedelta(minutes=n))
    claims.reject_claims(service, edition(service),
                         [c.id for c in claims.pending_claims(service, edition(service))],
                         actor=ACTOR)
    # A new window (the next day's session, say): the same room's address is welcome again.
    token = open_window(service)
    assert claims.submit_claim(service, token, name="Q", email="q@example.org",
                               origin="198.51.100.9").created


def test_coordinator_sees_counts_per_client_and_rejects_one_client_s_all(
        admin_app: tuple[FastAPI, IssuerService],
        signed_in_client: Callable[..., TestClient]) -> None:
    app, service = admin_app
    coordinator = signed_in_client(app)
    token = open_window(service)
    flood(service, token, "198.51.100.66", 12)
    claims.submit_claim(service, token, name="Awa Diallo", email="awa@example.org",
                        origin="203.0.113.5")

    page = coordinator.get(EVENT).text
    assert "198.51.100.66" in page and "203.0.113.5" in page
    counts = dict(re.findall(r"<code>([0-9.]+)</code></td>\s*<td>(\d+)</td>", page))
    assert counts == {"198.51.100.66": "12", "203.0.113.5": "1"}
    answer = coordinator.post(f"{EVENT}/demandes/origine", data={"client": "198.51.100.66"})
    assert answer.status_code == 303 and "refusees=12" in answer.headers["location"]

    [left] = claims.pending_claims(service, edition(service))
    assert left.email == "awa@example.org"
    with service.database.session(read_only=True) as session:
        [entry] = session.scalars(select(AuditEntry).where(
            AuditEntry.action == "claims.rejected_from_client")).all()
    assert entry.actor == coordinator.admin_user.email  # type: ignore[attr-defined]
    assert json.loads(entry.details_json or "{}") == {"client": "198.51.100.66", "count": 12}


def test_a_stranger_cannot_reject_a_client_s_requests(
        admin_app: tuple[FastAPI, IssuerService]) -> None:
    app, service = admin_app
    token = open_window(service)
    flood(service, token, "198.51.100.66", 3)
    stranger = TestClient(app, base_url="https://badges.example.org")
    assert stranger.post(f"{EVENT}/demandes/origine",
                         data={"client": "198.51.100.66"}).status_code == 403
    assert len(claims.pending_claims(service, edition(service))) == 3


def test_the_claim_page_answers_429_to_a_flooding_client(
        admin_app: tuple[FastAPI, IssuerService], monkeypatch: pytest.MonkeyPatch) -> None:
    app, service = admin_app
    monkeypatch.setattr(claims, "CLAIMS_PER_ORIGIN_PER_WINDOW", 2)
    token = open_window(service)
    robot = TestClient(app, base_url="https://badges.example.org", follow_redirects=False,
                       client=("198.51.100.77", 4000))
    answers = [robot.post(f"/reclamer/{token}", data={"name": f"R{n}",
                                                      "email": f"r{n}@example.org"})
               for n in range(3)]
    assert [a.status_code for a in answers] == [303, 303, 429]
    assert answers[2].headers["retry-after"] == "60"
