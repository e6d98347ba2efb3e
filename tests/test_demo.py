"""`issuer init --demo`: a new installation has one badge of each family to look at."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner
from fastapi.testclient import TestClient

from issuer.cli.main import main
from issuer.demo import DEMO_DOMAIN, demo_badges
from issuer.issuance.service import IssuerService
from issuer.issuance.verification_context import verification_context_for
from issuer.openbadges.verification import verify
from issuer.settings import Settings
from issuer.web import create_app


def test_init_demo_issues_one_badge_per_family_once_and_the_home_page_links_them(
        tmp_path: Path) -> None:
    runner = CliRunner()
    for _ in range(2):
        result = runner.invoke(main, ["init", "--demo"], env={"ISSUER_HOME": str(tmp_path)})
        assert result.exit_code == 0, result.output
    service = IssuerService(Settings.load(home=tmp_path))
    badges = demo_badges(service)
    assert len(badges) == 5
    assert {b.credential["credentialSubject"]["achievement"]["id"].split("/")[4] for b in badges} == {
        "membre-cln", "petit-dejeuner-inclusion-numerique", "mediateur-numerique",
        "competence-acc-01", "competence-cyb-01"}
    for badge in badges:
        assert DEMO_DOMAIN not in badge.credential_json  # e-mails are hashed, even fictional ones
        assert verify(badge.credential_json, verification_context_for(service)).verdict == "valid"
    home = TestClient(create_app(service.settings, service)).get("/")
    for badge in badges:
        assert f"/credentials/{badge.credential_id}" in home.text


def test_init_demo_shows_the_mediator_network_in_the_directory_with_an_endorsement(
        tmp_path: Path) -> None:
    from issuer.network import endorsements
    from issuer.network.mediators import DirectoryQuery, build_directory

    runner = CliRunner()
    for _ in range(2):
        result = runner.invoke(main, ["init", "--demo"], env={"ISSUER_HOME": str(tmp_path)})
        assert result.exit_code == 0, result.output
    service = IssuerService(Settings.load(home=tmp_path))
    entries = build_directory(service, DirectoryQuery.from_params(skill=None, domain=None,
                                                                  sector=None))
    assert sorted(entry.display_name for entry in entries) == ["Alex E.", "Sacha E."]
    published = endorsements.decided_endorsements(service)
    assert [(e.state, e.endorser_name) for e in published] == [("approved", "Sacha E.")]
    signed = endorsements.signed_endorsement(service, published[0].id)
    assert signed.credential["type"][1] == "EndorsementCredential"


def test_the_demo_council_member_is_in_the_register_like_any_member(tmp_path: Path) -> None:
    """Issue 13 item 11: the demo's member goes through the register (rules, age declaration,
    a mandate the register page lists), once however often `init --demo` runs."""
    from issuer.workspace import members

    runner = CliRunner()
    for _ in range(2):
        result = runner.invoke(main, ["init", "--demo"], env={"ISSUER_HOME": str(tmp_path)})
        assert result.exit_code == 0, result.output
    service = IssuerService(Settings.load(home=tmp_path))
    register = members.register(service)
    demo = [m for m in register.members if m.email.endswith(DEMO_DOMAIN)]
    assert [(m.name, m.sector, m.role, m.start.isoformat()) for m in demo] == [
        ("Camille Exemple", "Est", "conseiller", "2025-06-13")]
    assert demo[0].age_declared_at is not None
    badges = {b.credential_id for b in demo_badges(service)}
    assert demo[0].credential_id in badges
