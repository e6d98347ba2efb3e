"""A skill badge issued again under the same terms keeps the skills catalogue's version it was
granted under (issuer.network.skill_badges.definition_as_granted, used by
issuer.workspace.reissue): its alignments, and the criteria it carries, not those of the
catalogue or the badge as they stand at the re-issue."""

from __future__ import annotations

from collections.abc import Callable
from html import unescape
from typing import Any

import pytest
from fastapi import FastAPI

from issuer.issuance.service import IssuerService
from issuer.issuance.verification_context import verification_context_for
from issuer.network import skill_badges
from issuer.network.skills import service as skills
from issuer.network.skills.catalogue import Bilingual
from issuer.network.skills.edits import SkillDraft
from issuer.openbadges.verification import verify
from issuer.workspace import reissue
from issuer.workspace.recipients import change_email
from tests.plugins.admin import BASE_URL
from tests.test_mediators import award, browser

COORDINATOR = "coordinatrice@ville-roubaix.example"
NEW_NAME = "Sensibiliser à la cybersécurité au quotidien"


def rename_skill(service: IssuerService, code: str, name_fr: str) -> None:
    skill = skills.current_catalogue(service).skill(code)
    skills.edit_skill(service, code, SkillDraft(
        code=code, domain_code=skill.domain_code, name=Bilingual(name_fr, skill.name.en),
        description=Bilingual("Une description toute nouvelle.", skill.description.en),
        levels=skill.levels, crosswalks=skill.crosswalks),
        actor=COORDINATOR, note="Nom plus clair")


def achievement(service: IssuerService, credential_id: str) -> dict[str, Any]:
    found: dict[str, Any] = service.credential(credential_id).credential[
        "credentialSubject"]["achievement"]
    return found


def recipient_of(service: IssuerService, credential_id: str) -> str:
    from issuer.storage.models import IssuedCredential

    with service.database.session(read_only=True) as session:
        row = session.get(IssuedCredential, credential_id)
        assert row is not None
        return row.recipient_id


def by_name_choice(service: IssuerService, credential_id: str) -> str:
    pair = reissue.choose_name_display(service, recipient_of(service, credential_id),
                                       credential_id, show=True)
    assert pair is not None
    return pair.new_id


def by_email_change(service: IssuerService, credential_id: str) -> str:
    change = change_email(service, recipient_of(service, credential_id),
                          "camille.nouvelle@example.org", actor=COORDINATOR)
    ((_old, new),) = change.reissued
    return new


PATHS: dict[str, Callable[[IssuerService, str], str]] = {
    "name_choice": by_name_choice, "email_change": by_email_change}


@pytest.mark.parametrize("path", list(PATHS))
def test_a_reissued_skill_badge_keeps_the_alignments_of_its_version(
        admin_app: tuple[FastAPI, IssuerService], path: str) -> None:
    app, service = admin_app
    skill_badges.create_skill_badge(service, "skill", "CYB-01", actor=COORDINATOR)
    granted = award(app, "competence-cyb-01", "camille@example.org")
    old_name = skills.current_catalogue(service).skill("CYB-01").name.fr
    old_criteria = achievement(service, granted)["criteria"]["narrative"]
    # The catalogue changes (version 2) and so do the badge's criteria.
    rename_skill(service, "CYB-01", NEW_NAME)
    skill_badges.update_criteria(service, "competence-cyb-01", criteria_fr="Critères revus.",
                                 criteria_en="Criteria revised.", actor=COORDINATOR)
    assert skill_badges.get_skill_badge(service, "competence-cyb-01").criteria.fr == \
        "Critères revus."

    successor = PATHS[path](service, granted)

    new = achievement(service, successor)
    assert new == achievement(service, granted)
    (alignment,) = new["alignment"]
    assert (alignment["targetUrl"], alignment["targetName"]) == (
        f"{BASE_URL}/competences/versions/1/CYB-01", old_name)
    assert new["criteria"]["narrative"] == old_criteria
    report = verify(service.credential(successor).credential_json,
                    verification_context_for(service, untrusted=False))
    assert report.verdict == "valid"
    # Its page and its JSON say so: the skill as version 1 described it.
    page = unescape(browser(app).get(f"/credentials/{successor}").text)
    assert f'href="{BASE_URL}/competences/versions/1/CYB-01"' in page
    assert old_name in page and NEW_NAME not in page
    document = browser(app).get(f"/credentials/{successor}",
                                headers={"accept": "application/ld+json"}).json()
    assert document["credentialSubject"]["achievement"]["alignment"] == [alignment]
    # A badge granted now follows the new version.
    fresh = award(app, "competence-cyb-01", "sacha@example.org", "Sacha Exemple")
    (now_aligned,) = achievement(service, fresh)["alignment"]
    assert now_aligned["targetUrl"] == f"{BASE_URL}/competences/versions/2/CYB-01"


def test_a_domain_badge_keeps_a_skill_retired_since(
        admin_app: tuple[FastAPI, IssuerService]) -> None:
    app, service = admin_app
    skill_badges.create_skill_badge(service, "domain", "PAR", actor=COORDINATOR)
    granted = award(app, "domaine-par", "camille@example.org")
    codes = [a["targetCode"] for a in achievement(service, granted)["alignment"]]
    assert "PAR-02" in codes
    skills.retire_skill(service, "PAR-02", actor=COORDINATOR, note="Fusionnée")

    successor = by_name_choice(service, granted)

    assert [a["targetCode"] for a in achievement(service, successor)["alignment"]] == codes
