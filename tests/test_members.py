"""The CLN register (issuer.workspace.members): the council's rules (20 residents, 4 per sector), the
membership badge that expires with the mandate, renewal, the former-member badge at the end,
resignation that every verifier sees."""

from __future__ import annotations

import json
import threading
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from issuer.errors import IssuerError
from issuer.issuance.issue_requests import IssueRequest
from issuer.issuance.service import IssuerService
from issuer.issuance.verification_context import verification_context_for
from issuer.openbadges.status_list import read_status_bit
from issuer.openbadges.verification import VerificationReport, verify
from issuer.settings import Settings
from issuer.storage import models as rows
from issuer.web import create_app
from issuer.workspace import member_closing, members
from issuer.workspace.member_parity import ParityWarning, balance_of, check_parity, clean_gender
from issuer.workspace.members import NewMember, Seat, check_council_rules, peak_occupancy
from tests.plugins.factory import ServiceFactory

INSTALLATION = date(2025, 6, 13)      # designation of the first members (domain brief)
SECTORS = ("Centre", "Est", "Ouest", "Nord", "Sud")
AFTER_FIRST_MANDATE = datetime(2027, 6, 14, 9, tzinfo=UTC)


@pytest.fixture
def service(tmp_path: Path, service_factory: ServiceFactory) -> IssuerService:
    return service_factory(Settings.load(home=tmp_path, base_url="https://badges.example.org"))


@pytest.fixture
def service_on(database_url: str, tmp_path: Path, service_factory: ServiceFactory) -> IssuerService:
    return service_factory(Settings.load(home=tmp_path, base_url="https://badges.example.org",
                                         database_url=database_url))


def resident(number: int, sector: str, start: date = INSTALLATION, **fields: object) -> NewMember:
    values: dict[str, object] = {"name": f"Habitant·e {number}",
                                 "email": f"habitant{number}@example.org", "role": "conseiller",
                                 "sector": sector, "mandate_start": start,
                                 "age_declared": True, **fields}
    return NewMember(**values)  # type: ignore[arg-type]


def add(service: IssuerService, member: NewMember) -> members.Mandate:
    return members.add_member(service, member, actor="coordinatrice@ville-roubaix.example",
                              origin="192.0.2.10")


def fill_council(service: IssuerService) -> None:
    """20 residents, 4 in each of the 5 sectors."""
    for number in range(20):
        add(service, resident(number, SECTORS[number % 5]))


def refusal(function: object, *args: object, **kwargs: object) -> IssuerError:
    with pytest.raises(IssuerError) as caught:
        function(*args, **kwargs)  # type: ignore[operator]
    return caught.value


def credential_of(service: IssuerService, credential_id: str | None) -> dict[str, object]:
    assert credential_id is not None
    parsed: dict[str, object] = json.loads(service.credential(credential_id).credential_json)
    return parsed


def verified(service: IssuerService, credential_id: str | None,
             at: datetime | None = None) -> VerificationReport:
    """What any verifier says of the stored badge, now or at `at`."""
    assert credential_id is not None
    context = verification_context_for(service, untrusted=False)
    context.now = at
    return verify(service.credential(credential_id).credential_json, context)


# -- the rules, on their own ---------------------------------------------------------------------
def test_peak_occupancy_counts_seats_held_on_the_same_day_only() -> None:
    early = Seat("conseiller", "Nord", date(2025, 1, 1), date(2025, 6, 30))
    late = Seat("conseiller", "Nord", date(2025, 8, 1), date(2026, 7, 31))
    assert peak_occupancy([early, late], date(2025, 1, 1), date(2026, 12, 31)) == 1
    overlapping = Seat("conseiller", "Nord", date(2025, 6, 1), date(2025, 9, 1))
    assert peak_occupancy([early, late, overlapping], date(2025, 1, 1), date(2026, 12, 31)) == 2
    assert peak_occupancy([early], date(2025, 7, 1), date(2025, 7, 31)) == 0


def test_a_renewal_starting_the_day_after_takes_no_second_seat() -> None:
    taken = [Seat("conseiller", "Nord", INSTALLATION, date(2027, 6, 12))] * 4
    check_council_rules(taken, Seat("conseiller", "Nord", date(2027, 6, 13), date(2029, 6, 12)))


# -- adding members ------------------------------------------------------------------------------
def test_membership_badge_is_valid_until_the_last_day_of_the_mandate(service: IssuerService) -> None:
    mandate = add(service, resident(1, "Nord"))
    assert (mandate.start, mandate.end) == (INSTALLATION, date(2027, 6, 12))
    credential = credential_of(service, mandate.credential_id)
    # 12 June 2027 23:59:59 in Roubaix (summer time) is 21:59:59 UTC.
    assert credential["validUntil"] == "2027-06-12T21:59:59Z"
    subject = credential["credentialSubject"]
    assert isinstance(subject, dict)
    assert subject["role"] == "Conseiller·ère" and subject["narrative"] == "Secteur Nord"
    assert verified(service, mandate.credential_id).verdict == "valid"


def test_adding_a_member_is_in_the_audit_trail_without_their_name(service: IssuerService) -> None:
    mandate = add(service, resident(2, "Sud"))
    with service.database.session(read_only=True) as session:
        entries = session.query(rows.AuditEntry).filter(
            rows.AuditEntry.action == "cln.member_added").all()
    assert [entry.subject for entry in entries] == [mandate.id]
    assert entries[0].origin == "192.0.2.10"
    assert "Habitant" not in (entries[0].details_json or "")
    assert "example.org" not in (entries[0].details_json or "")


def test_twenty_first_resident_is_refused_with_a_french_message(service: IssuerService) -> None:
    fill_council(service)
    error = refusal(add, service, resident(21, "Nord"))
    assert error.code == "cln.council_full"
    assert "déjà 20 habitant·es" in error.message_fr
    assert "already has 20 residents" in error.message_en
    # Co-chairs and observers do not take a resident's seat.
    add(service, NewMember(name="Élue Une", email="elue1@example.org", role="co-presidente",
                           mandate_start=INSTALLATION, age_declared=True))
    add(service, NewMember(name="Observateur", email="obs@example.org", role="observateur",
                           mandate_start=INSTALLATION, age_declared=True))
    register = members.register(service, today=date(2025, 9, 1))
    assert register.residents == 20
    assert all(count.residents == 4 for count in register.sector_counts)


def test_fifth_resident_of_a_sector_is_refused_and_another_sector_is_not(
        service: IssuerService) -> None:
    for number in range(4):
        add(service, resident(number, "Nord"))
    error = refusal(add, service, resident(5, "nord"))
    assert error.code == "cln.sector_full"
    assert "Le secteur Nord a déjà 4 habitant·es" in error.message_fr
    assert add(service, resident(5, "Sud")).sector == "Sud"


def test_a_resident_must_represent_a_known_sector(service: IssuerService) -> None:
    assert refusal(add, service, resident(1, "")).code == "cln.sector_required"
    error = refusal(add, service, resident(1, "Lille"))
    assert error.code == "cln.unknown_sector" and "Centre, Est, Ouest, Nord, Sud" in error.message_fr
    assert refusal(add, service, resident(1, "Nord", role="trésorier")).code == "cln.unknown_role"


def test_only_two_co_chairs_at_a_time(service: IssuerService) -> None:
    for number in (1, 2):
        add(service, NewMember(name=f"Élue {number}", email=f"elue{number}@example.org",
                               role="Co-présidente", mandate_start=INSTALLATION, age_declared=True))
    error = refusal(add, service, NewMember(name="Élue 3", email="elue3@example.org",
                                            role="co-presidente", mandate_start=INSTALLATION,
                                            age_declared=True))
    assert error.code == "cln.co_chairs_full"


def test_the_same_person_cannot_hold_two_mandates_at_once(service: IssuerService) -> None:
    add(service, resident(1, "Nord"))
    error = refusal(add, service, resident(1, "Sud", start=date(2026, 1, 1)))
    assert error.code == "cln.already_member" and "renouvelez" in error.message_fr


# -- renewal -------------------------------------------------------------------------------------
def test_renewal_issues_a_badge_valid_until_the_new_end_and_the_old_one_stays_valid(
        service: IssuerService) -> None:
    for number in range(4):  # a full sector can still renew its members
        add(service, resident(number, "Est"))
    current = members.register(service, today=date(2025, 9, 1)).in_sector("Est")[0]
    renewal = members.renew_mandate(service, current.id, actor="coordinatrice")
    assert (renewal.start, renewal.end) == (date(2027, 6, 13), date(2029, 6, 12))
    assert renewal.renews == current.id and renewal.credential_id != current.credential_id
    assert credential_of(service, renewal.credential_id)["validUntil"] == "2029-06-12T21:59:59Z"
    assert verified(service, current.credential_id).verdict == "valid"
    # The new badge takes over the day the new mandate starts.
    assert verified(service, renewal.credential_id, at=AFTER_FIRST_MANDATE).verdict == "valid"
    assert verified(service, current.credential_id, at=AFTER_FIRST_MANDATE).expired
    error = refusal(members.renew_mandate, service, current.id, actor="coordinatrice")
    assert error.code == "cln.already_renewed"
    # The register shows the person once, with the latest mandate.
    shown = [m for m in members.register(service, today=date(2025, 9, 1)).members
             if m.email == current.email]
    assert [m.id for m in shown] == [renewal.id]


# -- end of mandate ------------------------------------------------------------------------------
def test_end_of_mandate_issues_the_former_member_badge_with_its_years(
        service: IssuerService) -> None:
    mandate = add(service, resident(1, "Ouest"))
    early = refusal(members.end_mandate, service, mandate.id, actor="coordinatrice",
                    now=datetime(2026, 1, 1, tzinfo=UTC))
    assert early.code == "cln.not_ended_yet" and "12 juin 2027" in early.message_fr
    ended = members.end_mandate(service, mandate.id, actor="coordinatrice", now=AFTER_FIRST_MANDATE)
    assert ended.status == "ended" and ended.alumni_credential_id
    alumni = credential_of(service, ended.alumni_credential_id)
    subject = alumni["credentialSubject"]
    assert isinstance(subject, dict)
    assert subject["achievement"]["name"] == "Ancien·ne membre du Conseil local du numérique"
    assert subject["term"] == "Mandat 2025–2027"
    assert "validUntil" not in alumni  # a former member never shows an expired badge
    assert verified(service, ended.alumni_credential_id, at=AFTER_FIRST_MANDATE).verdict == "valid"
    # The seat is free again.
    assert members.register(service, today=date(2027, 7, 1)).residents == 0
    assert refusal(members.end_mandate, service, mandate.id, actor="x",
                   now=AFTER_FIRST_MANDATE).code == "cln.not_active"


def test_former_member_badge_after_a_renewal_covers_the_whole_membership(
        service: IssuerService) -> None:
    first = add(service, resident(1, "Centre"))
    renewal = members.renew_mandate(service, first.id, actor="coordinatrice")
    refused = refusal(members.end_mandate, service, first.id, actor="x", now=AFTER_FIRST_MANDATE)
    assert refused.code == "cln.already_renewed"
    ended = members.end_mandate(service, renewal.id, actor="coordinatrice",
                                now=datetime(2029, 6, 20, tzinfo=UTC))
    assert ended.years == "2025–2029"
    subject = credential_of(service, ended.alumni_credential_id)["credentialSubject"]
    assert isinstance(subject, dict) and subject["term"] == "Mandat 2025–2029"
    assert {m.status for m in members.register(service, today=date(2029, 7, 1)).former} == {"ended"}


def test_mandates_ending_within_lists_those_to_renew_or_close(service: IssuerService) -> None:
    soon = add(service, resident(1, "Nord"))
    later = add(service, resident(2, "Nord", start=date(2026, 1, 1)))
    found = members.mandates_ending_within(service, 30, today=date(2027, 5, 20))
    assert [m.id for m in found] == [soon.id]
    members.renew_mandate(service, soon.id, actor="coordinatrice")
    assert members.mandates_ending_within(service, 30, today=date(2027, 5, 20)) == []
    assert [m.id for m in members.mandates_ending_within(
        service, 30, today=date(2027, 12, 15))] == [later.id]


# -- resignation ---------------------------------------------------------------------------------
def test_resignation_revokes_the_badge_and_the_public_page_and_verifier_say_so(
        service: IssuerService) -> None:
    mandate = add(service, resident(1, "Sud"))
    assert refusal(members.resign, service, mandate.id, "  ",
                   actor="coordinatrice").code == "cln.reason_required"
    resigned = members.resign(service, mandate.id, "Déménagement hors de Roubaix",
                              actor="coordinatrice", origin="192.0.2.10")
    assert resigned.status == "resigned"
    assert resigned.resignation_reason == "Déménagement hors de Roubaix"
    report = verified(service, mandate.credential_id)
    assert report.revoked is True and report.verdict == "invalid"
    credential = credential_of(service, mandate.credential_id)
    status = credential["credentialStatus"]
    assert isinstance(status, dict)
    list_id = int(str(status["statusListCredential"]).rsplit("/", 2)[-2])
    client = TestClient(create_app(service.settings, service))
    served = client.get(f"/status/{list_id}/revocation").json()
    assert read_status_bit(served, status)
    page = client.get(f"/credentials/{mandate.credential_id}").text
    assert "Badge révoqué" in page
    # The seat is free: someone else from the sector can join.
    for number in range(2, 6):
        add(service, resident(number, "Sud"))


def test_resigning_during_a_renewed_mandate_revokes_the_renewal_too(
        service: IssuerService) -> None:
    first = add(service, resident(1, "Est"))
    renewal = members.renew_mandate(service, first.id, actor="coordinatrice")
    members.resign(service, renewal.id, "Raisons personnelles", actor="coordinatrice",
                   now=datetime(2026, 3, 1, tzinfo=UTC))
    assert verified(service, first.credential_id).revoked is True
    assert verified(service, renewal.credential_id).revoked is True


# -- both databases ------------------------------------------------------------------------------
def test_two_coordinators_adding_the_last_seat_at_once_fill_it_once(
        service_on: IssuerService) -> None:
    for number in range(3):
        add(service_on, resident(number, "Nord"))
    errors: list[IssuerError] = []
    added: list[members.Mandate] = []
    barrier = threading.Barrier(2)

    def join(number: int) -> None:
        worker = IssuerService(service_on.settings)
        barrier.wait()
        try:
            added.append(add(worker, resident(number, "Nord")))
        except IssuerError as error:
            errors.append(error)
        finally:
            worker.database.dispose()

    threads = [threading.Thread(target=join, args=(number,)) for number in (10, 11)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert len(added) == 1 and [error.code for error in errors] == ["cln.sector_full"]
    counts = {c.sector: c.residents for c in members.register(
        service_on, today=date(2025, 9, 1)).sector_counts}
    assert counts["Nord"] == 4
    with service_on.database.session(read_only=True) as session:
        assert session.query(rows.IssuedCredential).count() == 4  # the refused one left nothing


def test_a_mandate_cannot_start_years_ahead_by_mistake(service: IssuerService) -> None:
    """A start more than a year ahead is a typing mistake (2062 for 2026): refused, nothing
    added (issue 13 item 11); a start within the coming year is accepted."""
    today = members.city_today()
    error = refusal(add, service, resident(1, "Nord", start=today.replace(year=today.year + 36)))
    assert error.code == "cln.start_too_far" and "plus d'un an" in error.message("fr")
    assert members.register(service).members == ()
    assert add(service, resident(2, "Nord", start=today + timedelta(days=200))).status == "active"


# -- the deliberation's other rules: age, parity, mandates closed daily (issue 13 item 11) -------
def test_a_membership_needs_the_declaration_of_being_16_or_over(service_on: IssuerService) -> None:
    error = refusal(add, service_on, resident(1, "Nord", age_declared=False))
    assert error.code == "cln.age_declaration_required"
    assert "La personne déclare avoir 16 ans ou plus" in error.message_fr
    assert "No birth date" in error.message_en
    assert members.register(service_on).members == ()
    with service_on.database.session(read_only=True) as session:
        assert session.query(rows.IssuedCredential).count() == 0
    mandate = add(service_on, resident(1, "Nord"))
    assert mandate.age_declared_at is not None


def test_parity_balance_counts_women_men_and_no_answer() -> None:
    balance = balance_of(["femme", "homme", "femme", None, "sans_reponse"])
    assert (balance.women, balance.men, balance.unanswered, balance.gap) == (2, 1, 2, 1)
    assert balance.balanced and not balance.with_added("femme").balanced
    check_parity(balance, "homme")          # narrows the gap: fine
    check_parity(balance, "sans_reponse")   # no answer never breaks parity
    warning = refusal(check_parity, balance, "femme")
    assert isinstance(warning, ParityWarning)
    # Each count in its language's plural (ngettext): "1 homme", "1 man".
    assert "3 femmes et 1 homme parmi" in warning.message_fr
    assert "2 femmes de plus que d'hommes" in warning.message_fr
    assert "3 women and 1 man among" in warning.message_en
    # Already apart by two: a third woman is warned about, a man is not.
    apart = balance_of(["femme", "femme"])
    refusal(check_parity, apart, "femme")
    check_parity(apart, "homme")


def test_clean_gender_reads_the_accepted_spellings_and_refuses_others() -> None:
    assert [clean_gender(v) for v in ("Femme", " H ", "ne souhaite pas répondre", "", None)] == [
        "femme", "homme", "sans_reponse", None, None]
    assert refusal(clean_gender, "autre").code == "cln.unknown_gender"


def test_an_addition_breaking_parity_is_warned_then_done_once_confirmed(
        service_on: IssuerService) -> None:
    add(service_on, resident(1, "Nord", gender="femme"))
    add(service_on, resident(2, "Sud", gender="femme", parity_confirmed=True))
    warning = refusal(add, service_on, resident(3, "Est", gender="femme"))
    assert warning.code == "cln.parity" and "3 femmes et 0 homme parmi" in warning.message_fr
    assert "3 women and 0 men among" in warning.message_en  # French "0 homme", English "0 men"
    assert len(members.register(service_on, today=date(2025, 9, 1)).members) == 2
    add(service_on, resident(3, "Est", gender="femme", parity_confirmed=True))
    add(service_on, resident(4, "Est", gender="homme"))    # narrows the gap: no warning
    register = members.register(service_on, today=date(2025, 9, 1))
    assert (register.parity.women, register.parity.men, register.parity.unanswered) == (3, 1, 0)
    with service_on.database.session(read_only=True) as session:
        details = [entry.details_json or "" for entry in session.query(rows.AuditEntry).filter(
            rows.AuditEntry.action == "cln.member_added").order_by(rows.AuditEntry.id)]
    assert ["parity_gap_confirmed" in line for line in details] == [False, True, True, False]
    assert not any("femme" in line or "homme" in line for line in details)


def test_co_chairs_do_not_count_for_the_residents_parity(service: IssuerService) -> None:
    for number in (1, 2):
        add(service, NewMember(name=f"Élue {number}", email=f"elue{number}@example.org",
                               role="co-presidente", mandate_start=INSTALLATION,
                               age_declared=True, gender="femme"))
    assert members.register(service, today=date(2025, 9, 1)).parity.total == 0


def test_renewal_keeps_the_answer_and_the_end_of_the_mandate_erases_it(
        service: IssuerService) -> None:
    first = add(service, resident(1, "Nord", gender="homme"))
    renewal = members.renew_mandate(service, first.id, actor="coordinatrice",
                                    now=datetime(2027, 5, 1, tzinfo=UTC))
    assert renewal.gender == "homme" and renewal.age_declared_at == first.age_declared_at
    closed = members.end_mandate(service, renewal.id, actor="coordinatrice",
                                 now=datetime(2029, 6, 14, 9, tzinfo=UTC))
    assert closed.status == "ended" and closed.gender is None
    assert members.get_mandate(service, first.id).gender is None


def test_a_resignation_erases_the_parity_answer(service: IssuerService) -> None:
    mandate = add(service, resident(1, "Nord", gender="femme"))
    members.resign(service, mandate.id, "Déménagement", actor="coordinatrice",
                   now=datetime(2026, 1, 10, tzinfo=UTC))
    assert members.get_mandate(service, mandate.id).gender is None


# -- correcting the answer for parity (a typo, a change of mind, a withdrawal) ---------------------
DURING_FIRST_MANDATE = datetime(2026, 1, 10, 9, tzinfo=UTC)


def set_answer(service: IssuerService, mandate_id: str, answer: str | None,
               now: datetime = DURING_FIRST_MANDATE) -> members.ParityAnswerChange:
    return members.set_parity_answer(service, mandate_id, answer, actor="coordinatrice",
                                     origin="192.0.2.10", now=now)


def parity_lines(service: IssuerService) -> list[rows.AuditEntry]:
    with service.database.session(read_only=True) as session:
        return list(session.query(rows.AuditEntry).filter(
            rows.AuditEntry.action == "cln.parity_answer_changed").order_by(rows.AuditEntry.id))


def test_a_typo_in_the_answer_is_corrected_and_the_balance_follows(
        service_on: IssuerService) -> None:
    mandate = add(service_on, resident(1, "Nord", gender="femme"))
    add(service_on, resident(2, "Sud", gender="homme"))
    on_day = date(2026, 1, 10)
    assert members.register(service_on, today=on_day).parity == members.ParityBalance(1, 1, 0)
    change = set_answer(service_on, mandate.id, "homme")
    assert change.changed and change.mandate.gender == "homme"
    assert members.register(service_on, today=on_day).parity == members.ParityBalance(0, 2, 0)
    [line] = parity_lines(service_on)
    assert line.subject == mandate.id and line.actor == "coordinatrice"
    # That the answer changed, never the answer (personal data).
    assert "homme" not in (line.details_json or "") and "femme" not in (line.details_json or "")
    # The same answer again writes nothing.
    assert not set_answer(service_on, mandate.id, "H").changed
    assert len(parity_lines(service_on)) == 1


def test_a_withdrawn_answer_is_removed_and_counts_as_no_answer(service: IssuerService) -> None:
    mandate = add(service, resident(1, "Nord", gender="femme"))
    change = set_answer(service, mandate.id, None)
    assert change.changed and members.get_mandate(service, mandate.id).gender is None
    assert members.register(service, today=date(2026, 1, 10)).parity == \
        members.ParityBalance(0, 0, 1)
    assert json.loads(parity_lines(service)[0].details_json or "{}")["answer_removed"] is True
    set_answer(service, mandate.id, "ne souhaite pas répondre")
    assert members.get_mandate(service, mandate.id).gender == "sans_reponse"


def test_the_answer_is_changed_on_the_whole_renewal_chain(service: IssuerService) -> None:
    first = add(service, resident(1, "Nord", gender="femme"))
    renewal = members.renew_mandate(service, first.id, actor="coordinatrice",
                                    now=datetime(2027, 5, 1, tzinfo=UTC))
    set_answer(service, renewal.id, "homme", now=datetime(2027, 5, 2, tzinfo=UTC))
    assert {members.get_mandate(service, m).gender for m in (first.id, renewal.id)} == {"homme"}
    # The renewed mandate is not the one to change: the register shows the latest.
    assert refusal(set_answer, service, first.id, "femme",
                   now=datetime(2027, 5, 2, tzinfo=UTC)).code == "cln.already_renewed"


def test_the_answer_cannot_be_changed_once_the_mandate_has_ended(service: IssuerService) -> None:
    closed = add(service, resident(1, "Nord", gender="femme"))
    members.end_mandate(service, closed.id, actor="coordinatrice", now=AFTER_FIRST_MANDATE)
    resigned = add(service, resident(2, "Sud", gender="homme"))
    members.resign(service, resigned.id, "Déménagement", actor="coordinatrice",
                   now=DURING_FIRST_MANDATE)
    waiting = add(service, resident(3, "Est", gender="homme"))  # past its end, not closed yet
    for mandate_id, now in ((closed.id, AFTER_FIRST_MANDATE), (resigned.id, DURING_FIRST_MANDATE),
                            (waiting.id, AFTER_FIRST_MANDATE)):
        refused = refusal(set_answer, service, mandate_id, "femme", now=now)
        assert refused.code == "cln.parity_answer_closed"
        assert "Ce mandat est terminé" in refused.message_fr
    assert [members.get_mandate(service, m.id).gender for m in (closed, resigned, waiting)] == [
        None, None, "homme"]
    assert parity_lines(service) == []


def test_an_unknown_answer_is_refused_in_french(service: IssuerService) -> None:
    mandate = add(service, resident(1, "Nord", gender="femme"))
    refused = refusal(set_answer, service, mandate.id, "autre")
    assert refused.code == "cln.unknown_gender" and "Réponse inconnue" in refused.message_fr
    assert members.get_mandate(service, mandate.id).gender == "femme"


def test_the_daily_closing_closes_ended_mandates_only_and_once(service: IssuerService) -> None:
    ended = add(service, resident(1, "Nord"))
    renewed = add(service, resident(2, "Sud"))
    members.renew_mandate(service, renewed.id, actor="coordinatrice",
                          now=datetime(2027, 5, 1, tzinfo=UTC))
    later = add(service, resident(3, "Est", start=date(2025, 9, 1)))
    last_day = datetime(2027, 6, 12, 12, tzinfo=UTC)
    assert member_closing.close_ended_mandates(service, actor="cli", now=last_day).closed == ()
    run = member_closing.close_ended_mandates(service, actor="cli", now=AFTER_FIRST_MANDATE)
    assert [m.id for m in run.closed] == [ended.id] and run.already_closed == 0
    again = member_closing.close_ended_mandates(service, actor="cli", now=AFTER_FIRST_MANDATE)
    assert again.closed == () and again.already_closed == 0
    closed = members.get_mandate(service, ended.id)
    assert closed.status == "ended" and closed.alumni_credential_id is not None
    # The membership badge simply expired on its validUntil; the former-member badge is valid.
    membership = verified(service, ended.credential_id, at=AFTER_FIRST_MANDATE)
    assert membership.expired and membership.revoked is not True
    assert verified(service, closed.alumni_credential_id,
                    at=AFTER_FIRST_MANDATE).verdict == "valid"
    assert members.get_mandate(service, later.id).status == "active"
    with service.database.session(read_only=True) as session:
        lines = session.query(rows.AuditEntry).filter(
            rows.AuditEntry.action == "cln.mandate_ended").all()
    assert [(line.actor, '"automatic": true' in (line.details_json or "")) for line in lines] == [
        ("cli", True)]


def test_two_machines_closing_at_once_close_each_mandate_once(service_on: IssuerService) -> None:
    for number in range(3):
        add(service_on, resident(number, SECTORS[number]))
    runs: list[member_closing.ClosingRun] = []
    barrier = threading.Barrier(2)

    def close() -> None:
        worker = IssuerService(service_on.settings)
        barrier.wait()
        try:
            runs.append(member_closing.close_ended_mandates(worker, actor="cli",
                                                     now=AFTER_FIRST_MANDATE))
        finally:
            worker.database.dispose()

    threads = [threading.Thread(target=close) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert len(runs) == 2
    assert sum(len(run.closed) for run in runs) == 3
    assert sum(len(run.closed) + run.already_closed for run in runs) in (3, 6)
    with service_on.database.session(read_only=True) as session:
        assert session.query(rows.IssuedCredential).filter(
            rows.IssuedCredential.badge_slug == "ancien-membre-cln").count() == 3
        assert session.query(rows.AuditEntry).filter(
            rows.AuditEntry.action == "cln.mandate_ended").count() == 3


def test_the_daily_closing_goes_on_past_a_mandate_it_cannot_close(service: IssuerService) -> None:
    blocked = add(service, resident(1, "Nord"))
    other = add(service, resident(2, "Sud"))
    # The former-member badge this mandate would receive exists already (issued by hand, say):
    # the register refuses to issue it twice, and the run closes the other mandate anyway.
    service.issue(IssueRequest("ancien-membre-cln", blocked.email, role="conseiller",
                               sector="Nord", mandate_start=blocked.start,
                               mandate_end=blocked.end, through_register=True))
    run = member_closing.close_ended_mandates(service, actor="cli", now=AFTER_FIRST_MANDATE)
    assert [m.id for m in run.closed] == [other.id]
    assert [(mandate_id, error.code) for mandate_id, error in run.failed] == [
        (blocked.id, "cln.badge_exists")]
    assert members.get_mandate(service, blocked.id).status == "active"
