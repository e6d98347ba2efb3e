"""Names refuse the characters that change what is shown without being seen (issue #10,
item 7): bidi controls, zero-width and other format characters, C0/C1 controls. One rule
(issuer.names) behind the command line, the attendance upload, the self-claim form and every
web form that takes a person's name."""

from __future__ import annotations

import html
import re
import unicodedata
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select

from issuer.cli import context as cli_context
from issuer.cli.main import main as cli_main
from issuer.errors import InvalidInput
from issuer.issuance.issue_requests import IssueRequest
from issuer.issuance.service import IssuerService
from issuer.names import MAX_NAME_LENGTH, check_person_name, name_problem
from issuer.storage import models as rows
from issuer.storage.workspace_models import ClaimRequest, User
from tests.plugins.admin import BASE_URL

BREAKFAST = "petit-dejeuner-inclusion-numerique"
EVENT = f"/admin/evenements/{BREAKFAST}/10"
RLO_NAME = "Camille \u202egnp.exe"          # shows as "Camille exe.png"
SPOOFS = {
    **{f"U+{point:04X}": chr(point) for point in (
        *range(0x202A, 0x202F), *range(0x2066, 0x206A), 0x200E, 0x200F, 0x061C, 0x0085,
        0x200B, 0x2060, 0xFEFF, 0x00AD, 0x180E, 0x3164, 0x115F, 0x2800, 0x2028, 0x0000,
        0x001B, 0x007F, 0x009B, 0xE000)},
    "ZWNJ in a Latin name": "\u200c",
    "ZWJ in a Latin name": "\u200d",
}
FRENCH_REFUSAL = "caractère invisible ou de mise en forme"


def text_of(page: str) -> str:
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", page)).split())


# --- the rule ----------------------------------------------------------------------------------

@pytest.mark.parametrize("label", sorted(SPOOFS))
def test_a_spoofing_character_inside_a_name_is_refused_and_named(label: str) -> None:
    character = SPOOFS[label]
    with pytest.raises(InvalidInput) as refused:
        check_person_name(f"Cam{character}ille Martin")
    assert refused.value.code == "recipient.bad_name"
    assert f"U+{ord(character):04X}" in refused.value.message_fr
    assert refused.value.message_fr.startswith("Le nom contient un caractère")
    assert refused.value.message_en.startswith("The name contains")


def test_every_format_character_is_refused_but_the_joiners_inside_words_that_use_them() -> None:
    formats = [chr(point) for point in range(0x110000)
               if unicodedata.category(chr(point)) == "Cf"]
    assert len(formats) > 150
    for character in formats:
        assert name_problem(f"Ali{character}") is not None, f"U+{ord(character):04X}"
        assert name_problem(f"Cam{character}ille") is not None, f"U+{ord(character):04X}"


@pytest.mark.parametrize("name", [
    "Camille Martin", "Inès D'Almeida-Lefèvre", "Nguyễn Thị Minh Khai", "Zoé Ölçer",
    "محمد بن علي", "李小龍", "Ежов Ёлкин",
    "مهدی\u200cزاده",          # Persian writes ZWNJ inside ordinary names
    "क्\u200dष",               # an Indic conjunct chosen with ZWJ
])
def test_real_names_pass(name: str) -> None:
    assert check_person_name(name) == name


def test_spaces_fold_and_the_length_is_capped() -> None:
    assert check_person_name("  Ève \t Dupont\r\n ") == "Ève Dupont"
    assert check_person_name("a" * MAX_NAME_LENGTH) == "a" * MAX_NAME_LENGTH
    with pytest.raises(InvalidInput):
        check_person_name("a" * (MAX_NAME_LENGTH + 1))
    with pytest.raises(InvalidInput):
        check_person_name("a" + "\u0301" * 5)  # marks stacked over the line above
    assert check_person_name("  ", required=False) is None


# --- the command line ----------------------------------------------------------------------------

def test_the_command_line_refuses_a_bidi_name_in_french(tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(cli_context, "LOCALE", "fr")
    environment = {name: None for name in __import__("os").environ
                   if name.startswith("ISSUER_") or name == "DATABASE_URL"}
    environment["ISSUER_HOME"] = str(tmp_path / "home")
    runner = CliRunner()
    assert runner.invoke(cli_main, ["init"], env=environment,
                         catch_exceptions=False).exit_code == 0
    result = runner.invoke(cli_main, ["issue", "--badge", BREAKFAST, "--event", "7",
                                      "--email", "camille@example.org", "--name", RLO_NAME,
                                      "--out", str(tmp_path / "out")],
                           env=environment, catch_exceptions=False)
    assert result.exit_code == 1
    assert "[recipient.bad_name]" in result.stderr and "U+202E" in result.stderr
    assert FRENCH_REFUSAL in result.stderr
    assert not (tmp_path / "out").exists()

    environment["ISSUER_ADMIN_PASSWORD"] = "correct horse battery staple"
    result = runner.invoke(cli_main, ["admin", "create", "admin@ville-roubaix.example",
                                      "--name", "Admin\u2069istrateur"],
                           env=environment, catch_exceptions=False)
    assert result.exit_code == 1
    assert "U+2069" in result.stderr and FRENCH_REFUSAL in result.stderr


# --- the web forms -------------------------------------------------------------------------------

@pytest.fixture
def coordinator(admin_app: tuple[FastAPI, IssuerService],
                signed_in_client: Callable[..., TestClient]) -> tuple[TestClient, IssuerService]:
    app, service = admin_app
    return signed_in_client(app), service


def credentials(service: IssuerService) -> list[rows.IssuedCredential]:
    with service.database.session(read_only=True) as session:
        return list(session.scalars(select(rows.IssuedCredential)))


def test_the_attendance_upload_names_the_bad_line(
        coordinator: tuple[TestClient, IssuerService]) -> None:
    client, service = coordinator
    data = ("Nom;Courriel\nAwa Diallo;awa@example.org\n"
            f"{RLO_NAME};camille@example.org\nCam\u200bille;zw@example.org\n").encode()
    preview = client.post(f"{EVENT}/presences/apercu",
                          files={"liste": ("presences.csv", data, "text/csv")})
    page = text_of(preview.text)
    assert f"Ligne 3 : le nom contient un {FRENCH_REFUSAL} (U+202E)" in page
    assert "U+200B" in page
    assert credentials(service) == []


def test_typing_one_attendee_refuses_a_bidi_name(
        coordinator: tuple[TestClient, IssuerService]) -> None:
    client, _service = coordinator
    refused = client.post(f"{EVENT}/presences/ajouter",
                          data={"name": RLO_NAME, "email": "camille@example.org",
                                "role": "participant"})
    assert refused.status_code == 400
    assert FRENCH_REFUSAL in text_of(refused.text)


def test_the_self_claim_form_refuses_a_bidi_name(
        coordinator: tuple[TestClient, IssuerService]) -> None:
    client, service = coordinator
    client.post(f"{EVENT}/reclamation/ouvrir", data={"hours": "1"})
    path = re.search(r'<code class="claim-url">https://badges\.example\.org([^<]+)</code>',
                     client.get(EVENT).text).group(1)  # type: ignore[union-attr]
    with TestClient(client.app, base_url=BASE_URL, follow_redirects=False) as attendee:
        refused = attendee.post(path, data={"name": "Awa\u2066 Diallo", "email": "awa@example.org"})
    assert refused.status_code == 400
    assert "U+2066" in text_of(refused.text)
    with service.database.session(read_only=True) as session:
        assert not list(session.scalars(select(ClaimRequest)))


def test_single_issuance_and_name_correction_refuse_a_bidi_name(
        coordinator: tuple[TestClient, IssuerService]) -> None:
    client, service = coordinator
    refused = client.post("/admin/badges/nouveau", data={
        "badge": BREAKFAST, "edition": "7", "role": "participant", "name": RLO_NAME,
        "email": "camille@example.org"})
    assert refused.status_code == 400 and FRENCH_REFUSAL in text_of(refused.text)
    assert credentials(service) == []

    issued = service.issue(IssueRequest(BREAKFAST, "camille@example.org", "Camille Martin",
                                        event_number=7, role="participant"))
    [row] = credentials(service)
    assert row.id == issued.credential_id
    answer = client.post(f"/admin/personnes/{row.recipient_id}/nom",
                         data={"name": "Camille\u200f Martin"})
    assert answer.status_code == 400 and "U+200F" in text_of(answer.text)
    with service.database.session(read_only=True) as session:
        assert session.get(rows.Recipient, row.recipient_id).display_name == "Camille Martin"  # type: ignore[union-attr]


def test_an_invitation_refuses_a_bidi_name(admin_app: tuple[FastAPI, IssuerService],
                                           signed_in_client: Callable[..., TestClient]) -> None:
    app, service = admin_app
    admin = signed_in_client(app, role="administrator")
    refused = admin.post("/admin/comptes/inviter", data={
        "email": "nouvelle@ville-roubaix.example", "name": "Nouvelle\u202d Admin",
        "role": "coordinator"})
    assert refused.status_code == 400 and FRENCH_REFUSAL in text_of(refused.text)
    with service.database.session(read_only=True) as session:
        assert session.scalar(select(User).where(
            User.email == "nouvelle@ville-roubaix.example")) is None


def test_the_directory_name_refuses_a_bidi_name(admin_app: tuple[FastAPI, IssuerService]) -> None:
    from issuer.network.skill_badges import create_skill_badge
    from tests.test_mediators import award, signed_in

    app, service = admin_app
    create_skill_badge(service, "skill", "ACC-01", actor="coordinatrice@ville-roubaix.example")
    award(app, "competence-acc-01", "camille.mediatrice@example.org")
    client = signed_in(app, "camille.mediatrice@example.org")
    answer = client.post("/espace/annuaire", data={
        "display_name": "Camille\u2067 E.", "sector": "nord", "organisation": "Centre social",
        "description": "", "contact_url": ""})
    page: Any = answer
    assert answer.status_code == 400, answer.status_code
    assert "U+2067" in text_of(page.text)
