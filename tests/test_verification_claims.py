"""What a verified badge says (issue #9 items 7 and 8), through `issuer.openbadges.verification`: the
claims of real City credentials of each family (event, membership, skill), shown as facts
only when the content is authentic; a tampered badge's claims marked unverified; an Open
Badges 2.0 resolved assertion read from its BadgeClass and Profile; hostile values bounded;
and the holder check on e-mail identities (OB 3.0 IdentityObject, OB 2.0 recipient)."""

from __future__ import annotations

import hashlib
import json
from dataclasses import replace
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest

from issuer.issuance.issue_requests import IssuedBadge, IssueRequest
from issuer.issuance.service import IssuerService
from issuer.issuance.verification_context import verification_context_for
from issuer.network import skill_badges
from issuer.network.skill_badges import SkillEvidence
from issuer.openbadges.verification import CHECK_NAMES, Check, VerificationReport, verify
from issuer.openbadges.verification.claims import MAX_NAME, MAX_TEXT, claims_of
from issuer.openbadges.verification.holder import (
    EmailIdentity,
    check_holder,
    identity_matches,
)
from issuer.settings import Settings
from tests.plugins.factory import IssuerHomes

BASE_URL = "https://badges.example.org"
BREAKFAST = "petit-dejeuner-inclusion-numerique"


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory, issuer_homes: IssuerHomes) -> IssuerService:
    return issuer_homes.service(Settings(home=tmp_path_factory.mktemp("home"), base_url=BASE_URL,
                                         did_method="web", database_url=None, key_passphrase=None))


@pytest.fixture(scope="module")
def speaker(service: IssuerService) -> IssuedBadge:
    return service.issue(IssueRequest(badge_slug=BREAKFAST, email="Camille.Test@example.org",
                                      name="Camille Test", show_name=True, event_number=7,
                                      role="intervenant"))


def _verify(service: IssuerService, data: str | dict[str, Any]) -> VerificationReport:
    payload = json.dumps(data) if isinstance(data, dict) else data
    return verify(payload, verification_context_for(service, untrusted=False))


# --- claims of the City's credentials --------------------------------------------------------------

def test_event_badge_claims_name_issuer_holder_role_edition_and_dates(
        service: IssuerService, speaker: IssuedBadge) -> None:
    report = _verify(service, speaker.credential_json)
    claims = claims_of(report)
    assert report.verdict == "valid" and claims is not None and claims.verified
    assert claims.name == "Petit-déjeuner de l'inclusion numérique nº 7 (11 octobre 2024)"
    assert claims.issuer.id == service.issuer_did and claims.issuer.name == "Ville de Roubaix"
    assert claims.issuer.known and claims.issuer.label == "Ville de Roubaix"
    assert claims.holder_name == "Camille Test"
    assert claims.role == "Intervenant·e"
    assert claims.event is not None
    assert claims.event.name == "Petit-déjeuner de l'inclusion numérique nº 7"
    assert claims.event.description is not None
    assert claims.event.description.startswith("11 octobre 2024 — Faire une transition")
    assert claims.activity_start is not None and claims.activity_start.date() == date(2024, 10, 10)
    assert claims.issued == report.valid_from and claims.valid_until is None
    assert claims.image_url == f"{BASE_URL}/badges/{BREAKFAST}.png"
    assert (claims.revoked, claims.suspended, claims.expired) == (False, False, False)
    assert claims.evidence == ()  # the edition is the event, not repeated as evidence


def test_membership_badge_claims_role_term_sector_and_mandate(service: IssuerService) -> None:
    issued = service.issue(IssueRequest(badge_slug="membre-cln", email="membre@example.org",
                                        role="conseiller", sector="Nord",
                                        mandate_start=date(2025, 6, 13),
                                        through_register=True))
    claims = claims_of(_verify(service, issued.credential_json))
    assert claims is not None and claims.verified
    assert claims.name == "Membre du Conseil local du numérique"
    assert claims.holder_name is None  # the member did not agree to show it
    assert (claims.role, claims.term, claims.narrative) == (
        "Conseiller·ère", "Mandat 2025–2027", "Secteur Nord")
    assert claims.valid_until == datetime(2027, 6, 12, 21, 59, 59, tzinfo=UTC)


def test_skill_badge_claims_list_its_skills_and_evidence(tmp_path: Path) -> None:
    service = IssuerService(Settings.load(home=tmp_path / "home", base_url=BASE_URL,
                                          database_url=None))
    service.init()
    skill_badges.create_skill_badge(service, "skill", "ANI-01", actor="coord@example.org")
    issued = skill_badges.issue_skill_badge(
        service, "competence-ani-01", email="mediatrice@example.org", name="Camille Exemple",
        given=SkillEvidence(narrative="A animé trois ateliers « Mallette Cyber ».",
                            link="https://www.ville-roubaix.fr/ateliers", link_title="Programme"),
        actor="coord@example.org", send_email=False)
    claims = claims_of(_verify(service, issued.credential_json))
    assert claims is not None and claims.verified
    [skill] = claims.skills
    assert skill.code == "ANI-01" and skill.name
    assert skill.url == f"{BASE_URL}/competences/versions/1/ANI-01"
    assert [(entry.name, entry.narrative, entry.url) for entry in claims.evidence] == [
        ("Récit", "A animé trois ateliers « Mallette Cyber ».", None),
        ("Programme", None, "https://www.ville-roubaix.fr/ateliers")]
    service.database.dispose()


def test_tampered_achievement_name_gives_claims_that_are_not_facts(
        service: IssuerService, speaker: IssuedBadge) -> None:
    tampered = json.loads(speaker.credential_json)
    tampered["credentialSubject"]["achievement"]["name"] = "Diplôme d'ingénieur"
    report = _verify(service, tampered)
    claims = claims_of(report)
    assert report.check("proof").outcome == "failed"
    assert claims is not None and not claims.verified
    assert claims.name == "Diplôme d'ingénieur"  # what the file claims, marked as such
    document = report.to_json()
    assert document["claims_verified"] is False and document["claims"]["verified"] is False


def test_revoked_badge_claims_stay_genuine_with_their_status(service: IssuerService) -> None:
    issued = service.issue(IssueRequest(badge_slug=BREAKFAST, email="revoque@example.org",
                                        event_number=8))
    service.revoke(issued.credential_id, "attribué par erreur")
    report = _verify(service, issued.credential_json)
    claims = claims_of(report)
    assert report.verdict == "invalid" and claims is not None
    assert claims.verified and claims.revoked is True  # genuine content, withdrawn badge


def test_report_json_keeps_its_keys_and_adds_the_claims(service: IssuerService,
                                                        speaker: IssuedBadge) -> None:
    document = _verify(service, speaker.credential_jwt).to_json()
    assert {"verdict", "unreadable", "input_format", "summary", "checks", "issuer", "revoked",
            "suspended", "expired", "valid_from", "valid_until", "credential"} <= set(document)
    assert document["claims_verified"] is True
    claims = document["claims"]
    assert claims["name"].startswith("Petit-déjeuner") and claims["role"] == "Intervenant·e"
    assert claims["issuer"]["id"] == document["issuer"]["id"]
    assert claims["status"] == {"revoked": False, "suspended": False, "expired": False}
    json.dumps(document)  # serialisable as is


def test_unreadable_input_has_no_claims(service: IssuerService) -> None:
    document = _verify(service, "not a badge").to_json()
    assert document["claims"] is None and document["claims_verified"] is False


# --- hostile values ------------------------------------------------------------------------------

def test_hostile_values_are_typed_bounded_and_unsafe_urls_dropped(service: IssuerService) -> None:
    credential = {
        "@context": ["https://www.w3.org/ns/credentials/v2"],
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "issuer": {"id": 42, "name": ["x" * 10_000], "url": "javascript:alert(1)"},
        "validFrom": "not a date", "validUntil": {"@value": 3},
        "credentialSubject": [{"name": "\u0000Eve\u0007", "role": {"fr": "Rôle"},
                               "achievement": {"name": "N" * 5_000, "description": "d" * 50_000,
                                               "image": {"id": "data:text/html,<script>"},
                                               # distinct items: identical objects without
                                               # an id are refused earlier (json_cost)
                                               "alignment": [
                                                   item for n in range(40) for item in (
                                                       {"targetName": "Cyber",
                                                        "targetUrl": f"https://ok.example/a b{n}"},
                                                       "junk", {"targetName": None,
                                                                "targetCode": f"c{n}"})]}}],
        "evidence": {"id": "ftp://x.example/", "name": 7, "narrative": "n"},
    }
    claims = claims_of(_verify(service, credential))
    assert claims is not None and not claims.verified
    assert claims.issuer.id is None and claims.issuer.url is None
    assert claims.issuer.name is not None and len(claims.issuer.name) == MAX_NAME
    assert claims.name is not None and len(claims.name) == MAX_NAME
    assert claims.description is not None and len(claims.description) == MAX_TEXT
    assert claims.holder_name == "Eve" and claims.role == "Rôle"
    assert claims.image_url is None
    assert claims.valid_from is None and claims.valid_until is None
    assert {skill.name for skill in claims.skills} == {"Cyber"}
    assert all(skill.url is None for skill in claims.skills)
    assert [(entry.name, entry.narrative, entry.url) for entry in claims.evidence] == [
        (None, "n", None)]


# --- Open Badges 2.0 --------------------------------------------------------------------------------

def _ob2_report(assertion: dict[str, Any], *, authentic: bool = True) -> VerificationReport:
    """A report as the OB 2.0 verifier gives one: `credential` is the resolved assertion.
    (Built here so these tests hold whatever the OB 2.0 reading path does upstream.)"""
    def check(name: str) -> Check:
        outcome = "failed" if name == "proof" and not authentic else "passed"
        return Check(name, outcome, f"{name}.test", "—", "—")
    return VerificationReport(
        verdict="valid" if authentic else "invalid",
        checks=tuple(check(name) for name in CHECK_NAMES), input_format="json",
        credential=assertion, issuer_id="https://issuer.example.org/profile",
        issuer_name="Association Exemple", issuer_known=False, issuer_label=None,
        revoked=False, suspended=None, expired=False, valid_from=None, valid_until=None,
        standard="ob2")


def _assertion(recipient: dict[str, Any]) -> dict[str, Any]:
    return {
        "@context": "https://w3id.org/openbadges/v2", "type": "Assertion",
        "id": "https://issuer.example.org/assertions/1", "recipient": recipient,
        "issuedOn": "2024-03-15", "expires": "2026-03-15T00:00:00Z",
        "evidence": [{"id": "https://issuer.example.org/work/1", "narrative": "Atelier animé."}],
        "badge": {"type": "BadgeClass", "id": "https://issuer.example.org/badges/1",
                  "name": "Animation d'atelier", "description": "Anime un atelier.",
                  "image": "https://issuer.example.org/badges/1.png",
                  "criteria": {"narrative": "Avoir animé un atelier."},
                  "alignment": [{"targetName": "Animer un atelier", "targetCode": "ANI",
                                 "targetUrl": "https://framework.example.org/ANI"}],
                  "issuer": {"type": "Profile", "id": "https://issuer.example.org/profile",
                             "name": "Association Exemple", "url": "https://issuer.example.org"}},
    }


def _sha256(text: str) -> str:
    return "sha256$" + hashlib.sha256(text.encode()).hexdigest()


def test_ob2_claims_come_from_the_badge_class_and_its_issuer() -> None:
    claims = claims_of(_ob2_report(_assertion({"type": "email", "hashed": False,
                                               "identity": "a@example.org"})))
    assert claims is not None and claims.verified and claims.standard == "ob2"
    assert (claims.name, claims.description, claims.criteria) == (
        "Animation d'atelier", "Anime un atelier.", "Avoir animé un atelier.")
    assert claims.image_url == "https://issuer.example.org/badges/1.png"
    assert (claims.issuer.id, claims.issuer.name, claims.issuer.known) == (
        "https://issuer.example.org/profile", "Association Exemple", False)
    assert claims.issued == datetime(2024, 3, 15, tzinfo=UTC)
    assert claims.valid_until == datetime(2026, 3, 15, tzinfo=UTC)
    assert [(s.name, s.code, s.url) for s in claims.skills] == [
        ("Animer un atelier", "ANI", "https://framework.example.org/ANI")]
    assert [(e.narrative, e.url) for e in claims.evidence] == [
        ("Atelier animé.", "https://issuer.example.org/work/1")]


@pytest.mark.parametrize("recipient", [
    {"type": "email", "hashed": True, "salt": "s4lt", "identity": _sha256("a@example.org" + "s4lt")},
    {"type": "email", "hashed": True, "identity": _sha256("a@example.org")},
    {"type": "email", "hashed": True, "salt": "x",
     "identity": "md5$" + hashlib.md5(b"a@example.orgx").hexdigest()},
    {"type": "email", "hashed": False, "identity": "A@Example.org"},
], ids=["sha256-salted", "sha256-unsalted", "md5", "plain"])
def test_ob2_recipient_matches_the_address_in_every_form(recipient: dict[str, Any]) -> None:
    report = _ob2_report(_assertion(recipient))
    assert check_holder(report, "  A@EXAMPLE.org ").outcome == "match"
    assert check_holder(report, "b@example.org").outcome == "no_match"


def test_ob2_forged_assertion_or_non_email_recipient_gets_no_comparison() -> None:
    recipient = {"type": "email", "hashed": False, "identity": "a@example.org"}
    forged = _ob2_report(_assertion(recipient), authentic=False)
    assert check_holder(forged, "a@example.org").outcome == "not_authentic"
    claims = claims_of(forged)
    assert claims is not None and not claims.verified
    telephone = _ob2_report(_assertion({"type": "telephone", "identity": "+33600000000"}))
    assert check_holder(telephone, "a@example.org").outcome == "no_email_identity"


# --- the holder check on the City's credentials ------------------------------------------------------

@pytest.mark.parametrize("typed", ["camille.test@example.org", "  CAMILLE.TEST@Example.ORG\t",
                                   "Camille.Test@example.org"])
def test_holder_check_matches_the_address_however_it_is_typed(
        service: IssuerService, speaker: IssuedBadge, typed: str) -> None:
    report = _verify(service, speaker.credential_json)
    answer = check_holder(report, typed)
    assert answer.outcome == "match"
    assert answer.message_fr == "Oui, ce badge a été délivré à cette adresse."
    assert answer.message_en == "Yes, this badge was issued to this address."


def test_holder_check_says_no_for_another_address(service: IssuerService,
                                                  speaker: IssuedBadge) -> None:
    answer = check_holder(_verify(service, speaker.credential_json), "camille.test@example.com")
    assert answer.outcome == "no_match"
    assert answer.message_fr == "Non, ce badge n'a pas été délivré à cette adresse."


def test_holder_check_refuses_to_answer_for_a_tampered_badge(
        service: IssuerService, speaker: IssuedBadge) -> None:
    tampered = json.loads(speaker.credential_json)
    tampered["credentialSubject"]["achievement"]["name"] = "Diplôme d'ingénieur"
    answer = check_holder(_verify(service, tampered), "camille.test@example.org")
    assert answer.outcome == "not_authentic"
    # A forger who writes someone's address in clear gets no "yes" either.
    forged = json.loads(speaker.credential_json)
    forged["credentialSubject"]["identifier"] = [{
        "type": "IdentityObject", "identityType": "emailAddress", "hashed": False,
        "identityHash": "victime@example.org"}]
    assert check_holder(_verify(service, forged), "victime@example.org").outcome == \
        "not_authentic"


@pytest.mark.parametrize("typed", ["", "   ", "pas une adresse", "a@b", "x" * 300 + "@example.org",
                                   "a@example.org\nb@example.org", "\u0000@example.org"])
def test_holder_check_refuses_an_unreadable_address(service: IssuerService,
                                                    speaker: IssuedBadge, typed: str) -> None:
    answer = check_holder(_verify(service, speaker.credential_json), typed)
    assert answer.outcome == "bad_email"
    assert typed.strip() == "" or typed.strip() not in answer.message_fr + answer.message_en


def test_unhashed_and_odd_identities_compare_safely() -> None:
    plain = EmailIdentity("Camille@Example.org", hashed=False, salt="")
    assert identity_matches(plain, ("camille@example.org",))
    assert not identity_matches(plain, ("autre@example.org",))
    for odd in ("sha1$abc", "sha256$", "sha256$zz", "$$$", "sha256$" + "é" * 64):
        assert not identity_matches(EmailIdentity(odd, hashed=True, salt=""),
                                    ("camille@example.org",))
    upper = EmailIdentity(_sha256("camille@example.org" + "AB").upper().replace("SHA256$",
                                                                               "sha256$"),
                          hashed=True, salt="AB")
    assert identity_matches(upper, ("camille@example.org",))


def test_identifiers_of_every_odd_shape_never_raise(service: IssuerService,
                                                    speaker: IssuedBadge) -> None:
    report = _verify(service, speaker.credential_json)
    for identifier in (None, "x", 3, [None, 3, "x", {}], {"identityType": "emailAddress"},
                       [{"identityType": "emailAddress", "identityHash": 5, "salt": []}],
                       [{"identityType": "emailAddress", "identityHash": "a" * 10_000}]):
        credential = dict(report.credential or {})
        subject = dict(credential["credentialSubject"])
        subject["identifier"] = identifier
        credential["credentialSubject"] = subject
        odd = replace(report, credential=credential)  # same checks: only the reading is tested
        assert check_holder(odd, "camille.test@example.org").outcome == "no_email_identity"
