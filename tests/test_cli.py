"""The `issuer` command as the coordinator runs it (issue #2, item 9).

Most tests call the command in-process with click's CliRunner and ISSUER_HOME pointing at a
fresh folder. The language tests start `issuer` in a subprocess, since the command picks its
language (ISSUER_LANG, then LANG) once, when it starts.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import threading
from collections.abc import Iterator, Mapping
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import click
import pytest
from click.testing import CliRunner, Result

from issuer.cli import context as cli_context
from issuer.cli.main import main as cli_main
from issuer.openbadges.baking import extract_baked_credential
from issuer.openbadges.did import DidResolver
from issuer.openbadges.proofs.data_integrity import verify_proof_signature
from issuer.openbadges.proofs.vc_jwt import decode_unverified

BREAKFAST = "petit-dejeuner-inclusion-numerique"
BADGE_SLUGS = {BREAKFAST, "membre-cln", "ancien-membre-cln", "mediateur-numerique"}
DEFAULT_DID = "did:web:127.0.0.1%3A8000"


def issuer_environment(home: Path, **extra: str) -> dict[str, str | None]:
    """ISSUER_HOME set, every other ISSUER_* variable of the developer's shell unset."""
    environment: dict[str, str | None] = {
        name: None for name in os.environ if name.startswith("ISSUER_") or name == "DATABASE_URL"}
    environment["ISSUER_HOME"] = str(home)
    environment.update(extra)
    return environment


class Issuer:
    """Runs `issuer ...` in-process against one ISSUER_HOME."""

    def __init__(self, home: Path) -> None:
        self.home = home
        self.runner = CliRunner()

    def __call__(self, *args: str | Path, **env: str) -> Result:
        # catch_exceptions=False: a traceback is a failure, never an expected outcome.
        return self.runner.invoke(cli_main, [str(arg) for arg in args],
                                  env=issuer_environment(self.home, **env),
                                  catch_exceptions=False)

    def ok(self, *args: str | Path, **env: str) -> Result:
        result = self(*args, **env)
        assert result.exit_code == 0, result.output
        return result

    def issue(self, out: Path, email: str, *extra: str) -> str:
        """Issue a breakfast badge (edition 7) and return its id."""
        result = self.ok("issue", "--badge", BREAKFAST, "--event", "7", "--email", email,
                         "--name", "Camille Test", "--out", out, *extra)
        return result.stdout.strip().rsplit("/", 1)[-1]


@pytest.fixture(scope="module", autouse=True)
def french_messages() -> Iterator[None]:
    """Messages printed at run time follow `cli_context.LOCALE`: French whatever the shell says."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(cli_context, "LOCALE", "fr")
        yield


@pytest.fixture
def fresh(tmp_path: Path) -> Issuer:
    """An issuer home where `issuer init` has not run yet."""
    return Issuer(tmp_path / "home")


@pytest.fixture(scope="module")
def issuer(tmp_path_factory: pytest.TempPathFactory) -> Issuer:
    """One initialised issuer shared by the module; tests use their own recipients."""
    command = Issuer(tmp_path_factory.mktemp("issuer-home"))
    command.ok("init")
    return command


@pytest.fixture
def out(tmp_path: Path) -> Path:
    return tmp_path / "out"


def verify(issuer: Issuer, source: str | Path, *options: str) -> Result:
    return issuer("verify", source, *options)


def verify_report(issuer: Issuer, source: str | Path) -> tuple[int, dict[str, Any]]:
    result = verify(issuer, source, "--json")
    return result.exit_code, json.loads(result.stdout)


# -- init --------------------------------------------------------------------------------------------
def test_init_creates_the_keys_once_and_prints_the_issuer_did(fresh: Issuer) -> None:
    first = fresh.ok("init")
    assert first.stdout.count("Clé créée") == 2
    assert f"Émetteur : {DEFAULT_DID}" in first.stdout
    key_files = {p.name: p.read_bytes() for p in (fresh.home / "keys").iterdir()}

    second = fresh.ok("init")
    assert "Clé créée" not in second.stdout
    assert f"Émetteur : {DEFAULT_DID}" in second.stdout
    assert {p.name: p.read_bytes() for p in (fresh.home / "keys").iterdir()} == key_files


def test_init_puts_keys_and_database_under_issuer_home(fresh: Issuer) -> None:
    fresh.ok("init")
    assert sorted(p.suffix for p in (fresh.home / "keys").glob("key-*")) == [".pem", ".pem"]
    assert (fresh.home / "keys" / "keys.json").is_file()
    assert (fresh.home / "var" / "issuer.sqlite3").is_file()


def test_init_with_a_base_url_derives_the_did_web_and_remembers_it(fresh: Issuer,
                                                                   out: Path) -> None:
    result = fresh.ok("init", "--base-url", "https://badges.ville-roubaix.fr/")
    assert "Émetteur : did:web:badges.ville-roubaix.fr" in result.stdout
    assert "https://badges.ville-roubaix.fr" in (fresh.home / "issuer.toml").read_text("utf-8")
    # later commands use it without being told again
    url = fresh.ok("issue", "--badge", "mediateur-numerique", "--email", "a@example.org",
                   "--name", "A", "--out", out).stdout.strip()
    assert url.startswith("https://badges.ville-roubaix.fr/credentials/")


def test_init_with_did_key_prints_a_did_key(fresh: Issuer) -> None:
    result = fresh.ok("init", "--did-method", "key")
    assert "Émetteur : did:key:z6Mk" in result.stdout


def test_init_refuses_a_bad_base_url_without_a_traceback(fresh: Issuer) -> None:
    result = fresh("init", "--base-url", "ftp://badges.example.org")
    assert result.exit_code == 1
    assert "Erreur [settings.invalid]" in result.stderr
    assert "https://" in result.stderr
    assert not (fresh.home / "keys").exists()


def test_commands_before_init_say_to_run_init(fresh: Issuer, out: Path) -> None:
    result = fresh("issue", "--badge", "mediateur-numerique", "--email", "a@example.org",
                   "--name", "A", "--out", out)
    assert result.exit_code == 1
    assert "issuer init" in result.stderr


# -- badges ------------------------------------------------------------------------------------------
def test_badges_json_lists_the_four_badges_with_their_roles(issuer: Issuer) -> None:
    badges = {badge["slug"]: badge for badge in json.loads(issuer.ok("badges", "--json").stdout)}
    assert set(badges) == BADGE_SLUGS
    assert all(badge["name"] and badge["family"] in {"membership", "event", "skill"}
               for badge in badges.values())
    assert [role["slug"] for role in badges[BREAKFAST]["roles"]] == [
        "participant", "intervenant", "animateur"]
    assert [role["slug"] for role in badges["membre-cln"]["roles"]] == [
        "conseiller", "co-presidente", "observateur"]
    assert badges["mediateur-numerique"]["roles"] == []
    assert [event["number"] for event in badges[BREAKFAST]["events"]] == list(range(1, 11))


def test_badges_lists_slug_family_and_roles_for_people(issuer: Issuer) -> None:
    output = issuer.ok("badges").stdout
    for slug in BADGE_SLUGS:
        assert slug in output
    assert "participant, intervenant, animateur" in output


# -- issue --------------------------------------------------------------------------------------------
def test_issue_writes_json_jwt_and_baked_png_and_prints_the_url(issuer: Issuer,
                                                                out: Path) -> None:
    result = issuer.ok("issue", "--badge", BREAKFAST, "--event", "7", "--role", "intervenante",
                       "--email", "issue@example.org", "--name", "Camille Test", "--out", out)
    url = result.stdout.strip()
    credential_id = url.rsplit("/", 1)[-1]
    assert url == f"http://127.0.0.1:8000/credentials/{credential_id}"
    assert sorted(p.name for p in out.iterdir()) == [
        f"{credential_id}.json", f"{credential_id}.jwt", f"{credential_id}.png"]

    credential = json.loads((out / f"{credential_id}.json").read_text("utf-8"))
    assert credential["id"] == url
    assert credential["proof"][0]["type"] == "DataIntegrityProof"
    _header, payload = decode_unverified((out / f"{credential_id}.jwt").read_text("utf-8"))
    assert payload["jti"] == url
    baked = extract_baked_credential((out / f"{credential_id}.png").read_bytes())
    assert json.loads(baked.payload) == credential


def test_issuing_the_same_badge_again_signs_nothing_new(issuer: Issuer, out: Path) -> None:
    first = issuer.issue(out, "again@example.org")
    json_text = (out / f"{first}.json").read_text("utf-8")
    result = issuer.ok("issue", "--badge", BREAKFAST, "--event", "7", "--email",
                       "Again@Example.org", "--name", "Camille Test", "--out", out)
    assert result.stdout.strip().endswith(first)
    assert "Déjà délivré" in result.stderr
    assert (out / f"{first}.json").read_text("utf-8") == json_text


def test_the_printed_id_is_what_the_other_commands_accept(issuer: Issuer, out: Path) -> None:
    credential_id = issuer.issue(out, "id-contract@example.org")
    issuer.ok("suspend", credential_id)
    issuer.ok("unsuspend", credential_id)
    issuer.ok("revoke", credential_id, "--reason", "Test")


def test_unknown_badge_is_refused_with_the_list_of_known_badges(issuer: Issuer,
                                                                out: Path) -> None:
    result = issuer("issue", "--badge", "petit-dej", "--email", "x@example.org", "--name", "X",
                    "--out", out)
    assert result.exit_code == 1
    assert "Erreur [catalogue.unknown_badge]" in result.stderr
    for slug in BADGE_SLUGS:
        assert slug in result.stderr
    assert "Traceback" not in result.output
    assert not out.exists()


def test_event_badge_without_edition_is_refused(issuer: Issuer, out: Path) -> None:
    result = issuer("issue", "--badge", BREAKFAST, "--email", "x@example.org", "--name", "X",
                    "--out", out)
    assert result.exit_code == 1
    assert "[issue.event_required]" in result.stderr and "--event" in result.stderr


def test_bad_email_is_refused(issuer: Issuer, out: Path) -> None:
    result = issuer("issue", "--badge", "mediateur-numerique", "--email", "pas-une-adresse",
                    "--name", "X", "--out", out)
    assert result.exit_code == 1
    assert "[recipient.bad_email]" in result.stderr


def test_council_member_badge_expires_with_the_mandate(issuer: Issuer, out: Path) -> None:
    result = issuer.ok("issue", "--badge", "membre-cln", "--role", "conseiller", "--sector", "Nord",
                       "--mandate-start", "2025-06-13", "--email", "cln@example.org",
                       "--name", "Camille Test", "--declared-16-or-over", "--out", out)
    credential_id = result.stdout.strip().rsplit("/", 1)[-1]
    credential = json.loads((out / f"{credential_id}.json").read_text("utf-8"))
    assert credential["validUntil"] == "2027-06-12T21:59:59Z"


def test_issuing_a_council_membership_goes_through_the_register(fresh: Issuer, out: Path) -> None:
    """`issuer issue --badge membre-cln` keeps the council's rules (issue 13 item 11): at most
    four residents per sector, one mandate at a time; the member is in the register."""
    fresh.ok("init")
    for n in range(4):
        fresh.ok("issue", "--badge", "membre-cln", "--role", "conseiller", "--sector", "Nord",
                 "--mandate-start", "2026-06-13", "--email", f"nord{n}@example.org",
                 "--name", f"Membre Nord {n}", "--declared-16-or-over", "--out", out)
    fifth = fresh("issue", "--badge", "membre-cln", "--role", "conseiller", "--sector", "Nord",
                  "--mandate-start", "2026-06-13", "--email", "nord4@example.org",
                  "--name", "Membre Nord 4", "--declared-16-or-over", "--out", out)
    assert fifth.exit_code == 1 and "Nord" in fifth.stderr and "Traceback" not in fifth.stderr
    again = fresh("issue", "--badge", "membre-cln", "--role", "conseiller", "--sector", "Sud",
                  "--mandate-start", "2026-06-13", "--email", "nord0@example.org",
                  "--name", "Membre Nord 0", "--declared-16-or-over", "--out", out)
    assert again.exit_code == 1 and "mandat" in again.stderr
    listed = sorted(path.name for path in out.glob("*.json"))
    assert len(listed) == 4


def cln_member(issuer: Issuer, out: Path, number: int, *extra: str,
               start: str = "2026-06-13") -> Result:
    return issuer("issue", "--badge", "membre-cln", "--role", "conseiller", "--sector",
                  ("Centre", "Est", "Ouest", "Nord", "Sud")[number % 5], "--mandate-start", start,
                  "--email", f"habitant{number}@example.org", "--name", f"Habitant {number}",
                  "--out", out, *extra)


def test_a_council_membership_needs_the_age_declaration(fresh: Issuer, out: Path) -> None:
    """DEL-2025-0121: residents aged 16 or more, a declaration and not a birth date."""
    fresh.ok("init")
    refused = cln_member(fresh, out, 1)
    assert refused.exit_code == 1 and "Traceback" not in refused.stderr
    assert "[cln.age_declaration_required]" in refused.stderr
    assert "16 ans ou plus" in refused.stderr
    assert not list(out.glob("*.json"))
    assert cln_member(fresh, out, 1, "--declared-16-or-over").exit_code == 0


def test_council_options_are_refused_on_other_badges(issuer: Issuer, out: Path) -> None:
    result = issuer("issue", "--badge", "mediateur-numerique", "--email", "opt@example.org",
                    "--name", "X", "--gender", "femme", "--out", out)
    assert result.exit_code == 1 and "[issue.council_options]" in result.stderr
    assert not out.exists() or not list(out.glob("*.json"))


def test_the_cli_warns_before_parity_breaks_and_adds_once_confirmed(fresh: Issuer,
                                                                    out: Path) -> None:
    fresh.ok("init")
    for number in (1, 2):
        gender = ("femme", "homme")[number - 1]
        assert cln_member(fresh, out, number, "--declared-16-or-over", "--gender",
                          gender).exit_code == 0
    assert cln_member(fresh, out, 3, "--declared-16-or-over", "--gender", "femme").exit_code == 0
    warned = cln_member(fresh, out, 4, "--declared-16-or-over", "--gender", "femme")
    assert warned.exit_code == 1 and "[cln.parity]" in warned.stderr
    assert "3 femmes et 1 homme" in warned.stderr
    assert len(list(out.glob("*.json"))) == 3
    confirmed = cln_member(fresh, out, 4, "--declared-16-or-over", "--gender", "femme",
                           "--confirm-parity-gap")
    assert confirmed.exit_code == 0, confirmed.output
    # Never in the badge: a woman's and a man's badges differ only by who and when.
    woman, man = (json.loads((out / f"{line.strip().rsplit('/', 1)[-1]}.json").read_text("utf-8"))
                  for line in (confirmed.stdout, cln_member(fresh, out, 5, "--declared-16-or-over",
                                                            "--gender", "homme").stdout))
    assert woman["credentialSubject"].keys() == man["credentialSubject"].keys()
    assert not {"gender", "genre", "sexe"} & set(json.dumps(woman).lower().replace('"', " ").split())


def test_the_cli_corrects_or_removes_a_parity_answer_while_the_mandate_runs(
        fresh: Issuer, out: Path) -> None:
    from issuer.issuance.service import IssuerService
    from issuer.settings import Settings
    from issuer.storage import models as rows
    from issuer.workspace import members

    fresh.ok("init")
    assert cln_member(fresh, out, 1, "--declared-16-or-over", "--gender", "femme",
                      start="2026-06-13").exit_code == 0
    assert cln_member(fresh, out, 2, "--declared-16-or-over", "--gender", "homme",
                      start="2023-06-13").exit_code == 0  # ended in 2025, not closed yet
    service = IssuerService(Settings.load(home=fresh.home))

    def answer(email: str) -> str | None:
        return members.current_mandate_of(service, email).gender

    corrected = fresh.ok("council", "parity-answer", "Habitant1@example.org", "homme")
    assert "La réponse pour la parité de Habitant 1 est enregistrée." in corrected.stdout
    assert answer("habitant1@example.org") == "homme"
    removed = fresh.ok("council", "parity-answer", "habitant1@example.org", "aucune")
    assert "est retirée" in removed.stdout and answer("habitant1@example.org") is None
    assert "rien n'a changé" in fresh.ok("council", "parity-answer", "habitant1@example.org",
                                         "aucune").stdout
    ended = fresh("council", "parity-answer", "habitant2@example.org", "femme")
    assert ended.exit_code == 1 and "[cln.parity_answer_closed]" in ended.stderr
    assert answer("habitant2@example.org") == "homme"
    unknown = fresh("council", "parity-answer", "personne@example.org", "femme")
    assert unknown.exit_code != 0 and "Aucun mandat en cours au Conseil" in unknown.stderr
    bad = fresh("council", "parity-answer", "habitant1@example.org", "autre")
    assert bad.exit_code == 2 and "Traceback" not in bad.output
    with service.database.session(read_only=True) as session:
        lines = session.query(rows.AuditEntry).filter(
            rows.AuditEntry.action == "cln.parity_answer_changed").all()
    assert [line.actor for line in lines] == ["cli", "cli"]


def test_close_ended_mandates_closes_once_however_often_it_runs(fresh: Issuer,
                                                                out: Path) -> None:
    from issuer.issuance.service import IssuerService
    from issuer.settings import Settings
    from issuer.storage import models as rows

    fresh.ok("init")
    ended = cln_member(fresh, out, 1, "--declared-16-or-over", start="2023-06-13")
    assert ended.exit_code == 0, ended.output
    assert cln_member(fresh, out, 2, "--declared-16-or-over").exit_code == 0
    first = fresh.ok("council", "close-ended-mandates")
    assert "Clos : Habitant 1 (2023–2025)" in first.stdout
    assert "1 mandat clos, 0 déjà clos" in first.stdout
    again = fresh.ok("council", "close-ended-mandates")
    assert "0 mandat clos" in again.stdout and "Habitant" not in again.stdout
    service = IssuerService(Settings.load(home=fresh.home))
    with service.database.session(read_only=True) as session:
        lines = session.query(rows.AuditEntry).filter(
            rows.AuditEntry.action == "cln.mandate_ended").all()
        alumni = session.query(rows.IssuedCredential).filter(
            rows.IssuedCredential.badge_slug == "ancien-membre-cln").count()
    assert len(lines) == 1 and '"automatic": true' in (lines[0].details_json or "")
    assert alumni == 1


def test_a_batch_of_council_members_is_sent_to_the_register(fresh: Issuer, tmp_path: Path,
                                                           out: Path) -> None:
    fresh.ok("init")
    members = tmp_path / "cln.csv"
    members.write_text("nom;courriel;rôle\nCamille;camille@example.org;conseiller\n", "utf-8")
    result = fresh("issue-batch", members, "--badge", "membre-cln", "--out", out)
    assert result.exit_code == 1 and "registre" in result.stderr
    assert not list(out.glob("*.json"))


# -- issue-batch -------------------------------------------------------------------------------------
def french_attendance_list(path: Path, count: int = 50) -> Path:
    lines = ["Nom;Courriel;Rôle"] + [
        f"Participant·e {n:02d} Lefèvre;personne{n:02d}@example.org;"
        f"{'Intervenante' if n % 10 == 0 else 'participante'}" for n in range(1, count + 1)]
    path.write_bytes(("\r\n".join(lines) + "\r\n").encode("cp1252", errors="replace"))
    return path


def test_issue_batch_issues_a_french_semicolon_list_once(issuer: Issuer, tmp_path: Path,
                                                         out: Path) -> None:
    attendance = french_attendance_list(tmp_path / "présences.csv")
    first = issuer.ok("issue-batch", "--badge", BREAKFAST, "--event", "9", attendance,
                      "--out", out)
    assert f"50 délivrés, 0 déjà délivrés, fichiers dans {out}" in first.stdout
    assert len(list(out.glob("*.json"))) == 50
    assert len(list(out.glob("*.jwt"))) == 50
    assert len(list(out.glob("*.png"))) == 50

    again = issuer.ok("issue-batch", "--badge", BREAKFAST, "--event", "9", attendance,
                      "--out", out)
    assert "0 délivrés, 50 déjà délivrés" in again.stdout
    assert len(list(out.glob("*.json"))) == 50


def test_issue_batch_gives_speakers_their_role(issuer: Issuer, tmp_path: Path, out: Path) -> None:
    attendance = french_attendance_list(tmp_path / "liste.csv", count=10)
    issuer.ok("issue-batch", "--badge", BREAKFAST, "--event", "5", attendance, "--out", out)
    roles = sorted(json.loads(p.read_text("utf-8"))["credentialSubject"]["role"]
                   for p in out.glob("*.json"))
    assert roles == ["Intervenant·e"] + ["Participant·e"] * 9


def test_issue_batch_with_errors_lists_every_bad_line_and_issues_nothing(
        issuer: Issuer, tmp_path: Path, out: Path) -> None:
    attendance = tmp_path / "erreurs.csv"
    attendance.write_text(
        "nom;courriel;rôle\n"
        "Marie Dupont;marie.batch@example.org;participante\n"
        "Jean Petit;jean.petit@example;participant\n"
        "Paul Roger;paul.batch@example.org;cuisinier\n"
        ";sans-nom.batch@example.org;\n"
        "Marie D.;MARIE.BATCH@example.org;\n", "utf-8")
    result = issuer("issue-batch", "--badge", BREAKFAST, "--event", "6", attendance, "--out", out)
    assert result.exit_code == 1
    assert "aucun badge n'a été délivré" in result.stderr
    assert "ligne 3 : adresse e-mail invalide « jean.petit@example »" in result.stderr
    assert "ligne 4 : rôle inconnu « cuisinier »" in result.stderr
    assert "ligne 5 : nom manquant" in result.stderr
    assert "ligne 6 : doublon de la ligne 2" in result.stderr
    assert "ligne 2" not in result.stderr.replace("doublon de la ligne 2", "")
    assert not out.exists() or not any(out.iterdir())
    # nothing reached the database either: the good line is still new
    fixed = tmp_path / "corrigé.csv"
    fixed.write_text("nom;courriel\nMarie Dupont;marie.batch@example.org\n", "utf-8")
    again = issuer.ok("issue-batch", "--badge", BREAKFAST, "--event", "6", fixed, "--out", out)
    assert "1 délivrés, 0 déjà délivrés" in again.stdout


def partly_bad_list(path: Path, tag: str) -> Path:
    path.write_bytes(
        b"nom;courriel\n"
        + f"Marie Dupont;marie.{tag}@example.org\n".encode()            # 2: fine
        + f"Jean\rPetit;jean.{tag}@example.org\n".encode()              # 3: CR alone in a cell
        + f"Paul Roger;paul.{tag}@example\n".encode()                    # 4: bad address
        + f"MARIE DUPONT;Marie.{tag}@Example.org\n".encode()             # 5: merged with 2
        + f"Luc Blanc;luc.{tag}@example.org\n".encode())                 # 6: fine
    return path


def test_issue_batch_reports_a_carriage_return_alone_as_a_line_error_not_a_traceback(
        issuer: Issuer, tmp_path: Path, out: Path) -> None:
    attendance = partly_bad_list(tmp_path / "cr.csv", "cr")
    result = issuer("issue-batch", "--badge", BREAKFAST, "--event", "6", attendance, "--out", out)
    assert result.exit_code == 1
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert "Traceback" not in result.output
    assert "ligne 3 : retour chariot (CR) seul dans une cellule sans guillemets" in result.stderr
    assert "ligne 4 : adresse e-mail invalide" in result.stderr
    assert "ligne 5 : même personne que la ligne 2" in result.stderr
    assert "aucun badge n'a été délivré" in result.stderr
    assert "--issue-valid-lines" in result.stderr  # the way out is named
    assert not out.exists() or not any(out.iterdir())


def test_issue_batch_issues_the_valid_lines_only_when_asked(issuer: Issuer, tmp_path: Path,
                                                            out: Path) -> None:
    attendance = partly_bad_list(tmp_path / "partielle.csv", "partial")
    result = issuer.ok("issue-batch", "--badge", BREAKFAST, "--event", "6", attendance,
                       "--out", out, "--issue-valid-lines")
    assert "2 délivrés, 0 déjà délivrés" in result.stdout
    assert "ligne 3 : retour chariot (CR)" in result.stderr
    assert "ligne 4 : adresse e-mail invalide" in result.stderr
    assert len(list(out.glob("*.json"))) == 2
    # the corrected lines, sent later with the good ones again, issue only what was missing
    fixed = tmp_path / "corrigée.csv"
    fixed.write_text("nom;courriel\nMarie Dupont;marie.partial@example.org\n"
                     "Jean Petit;jean.partial@example.org\nPaul Roger;paul.partial@example.org\n"
                     "Luc Blanc;luc.partial@example.org\n", "utf-8")
    again = issuer.ok("issue-batch", "--badge", BREAKFAST, "--event", "6", fixed, "--out", out)
    assert "2 délivrés, 2 déjà délivrés" in again.stdout


def test_issue_valid_lines_with_no_valid_line_issues_nothing(issuer: Issuer, tmp_path: Path,
                                                             out: Path) -> None:
    attendance = tmp_path / "toute-fausse.csv"
    attendance.write_text("nom;courriel\nJean;jean@example\n", "utf-8")
    result = issuer("issue-batch", "--badge", BREAKFAST, "--event", "6", attendance, "--out", out,
                    "--issue-valid-lines")
    assert result.exit_code == 1
    assert "aucun badge n'a été délivré" in result.stderr


def test_issue_batch_checks_the_edition_before_issuing_anything(issuer: Issuer, tmp_path: Path,
                                                                out: Path) -> None:
    attendance = french_attendance_list(tmp_path / "liste.csv", count=3)
    result = issuer("issue-batch", "--badge", BREAKFAST, attendance, "--out", out)
    assert result.exit_code == 1
    assert "[issue.event_required]" in result.stderr
    assert not out.exists() or not any(out.iterdir())


def test_issue_batch_refuses_a_list_without_a_header(issuer: Issuer, tmp_path: Path,
                                                     out: Path) -> None:
    attendance = tmp_path / "sans-entête.csv"
    attendance.write_text("Marie Dupont;marie@example.org\n", "utf-8")
    result = issuer("issue-batch", "--badge", BREAKFAST, "--event", "6", attendance, "--out", out)
    assert result.exit_code == 1
    assert "[attendance.bad_header]" in result.stderr


def test_issue_batch_accepts_an_english_comma_list(issuer: Issuer, tmp_path: Path,
                                                   out: Path) -> None:
    attendance = tmp_path / "attendance.csv"
    attendance.write_text("name,email,role\nAlex Doe,alex.batch@example.org,speaker\n"
                          "Sam Roe,sam.batch@example.org,\n", "utf-8")
    result = issuer.ok("issue-batch", "--badge", BREAKFAST, "--event", "4", attendance,
                       "--out", out)
    assert "2 délivrés, 0 déjà délivrés" in result.stdout


def test_issue_batch_shows_a_progress_bar_on_a_terminal(issuer: Issuer, tmp_path: Path,
                                                        out: Path) -> None:
    import pty
    attendance = french_attendance_list(tmp_path / "liste.csv", count=12)
    import fcntl
    import struct
    import termios

    controller, terminal = pty.openpty()
    # a terminal 100 columns wide (a fresh pty has none, and tqdm would draw an empty bar)
    fcntl.ioctl(terminal, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 100, 0, 0))
    try:
        completed = subprocess.run(
            [sys.executable, "-m", "issuer.cli", "issue-batch", "--badge", BREAKFAST,
             "--event", "3", str(attendance), "--out", str(out)],
            env=subprocess_environment(issuer.home, ISSUER_LANG="fr"),
            stdout=subprocess.PIPE, stderr=terminal, timeout=60, check=False)
        os.close(terminal)
        terminal = -1
        progress = b""
        while True:
            try:
                chunk = os.read(controller, 65536)
            except OSError:
                break
            if not chunk:
                break
            progress += chunk
    finally:
        os.close(controller)
        if terminal >= 0:
            os.close(terminal)
    assert completed.returncode == 0
    assert b"12/12" in progress


# -- verify -------------------------------------------------------------------------------------------
def test_verify_a_fresh_badge_in_each_form(issuer: Issuer, out: Path) -> None:
    credential_id = issuer.issue(out, "verify-forms@example.org")
    for suffix in (".json", ".jwt", ".png"):
        result = verify(issuer, out / f"{credential_id}{suffix}")
        assert result.exit_code == 0, (suffix, result.output)


def test_verify_json_report_parses(issuer: Issuer, out: Path) -> None:
    credential_id = issuer.issue(out, "verify-json@example.org")
    code, report = verify_report(issuer, out / f"{credential_id}.json")
    assert code == 0
    assert report["verdict"] == "valid"
    assert report["unreadable"] is False
    assert [check["outcome"] for check in report["checks"]
            if check["name"] in ("proof", "issuer_key", "status")] == ["passed"] * 3
    assert report["credential"]["id"].endswith(credential_id)


def test_verify_a_tampered_badge_is_not_valid(issuer: Issuer, out: Path) -> None:
    credential_id = issuer.issue(out, "verify-tampered@example.org")
    path = out / f"{credential_id}.json"
    credential = json.loads(path.read_text("utf-8"))
    credential["credentialSubject"]["achievement"]["name"] = "Badge d'honneur de la Ville"
    path.write_text(json.dumps(credential, ensure_ascii=False), "utf-8")
    code, report = verify_report(issuer, path)
    assert code == 1
    assert report["verdict"] == "invalid"


def test_verify_prints_what_was_verified(issuer: Issuer, out: Path) -> None:
    credential_id = issuer.issue(out, "verify-claims@example.org")
    result = verify(issuer, out / f"{credential_id}.json")
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[1] == "Ce qui a été vérifié :"
    assert "  Badge: Petit-déjeuner de l'inclusion numérique nº 7 (11 octobre 2024)" in lines
    assert any(line.startswith("  Émetteur: Ville de Roubaix (did:web:") for line in lines)
    assert ("  Édition ou événement: Petit-déjeuner de l'inclusion numérique nº 7 — 11 octobre "
            "2024 — Faire une transition numérique responsable, durable et inclusive") in lines
    assert not any(line.startswith("  Titulaire") for line in lines)  # name not shown by choice


def test_verify_prints_a_tampered_badge_s_claims_as_unverified(issuer: Issuer, out: Path) -> None:
    credential_id = issuer.issue(out, "verify-claims-tampered@example.org")
    path = out / f"{credential_id}.json"
    credential = json.loads(path.read_text("utf-8"))
    credential["credentialSubject"]["achievement"]["name"] = "Badge d'honneur de la Ville"
    path.write_text(json.dumps(credential, ensure_ascii=False), "utf-8")
    result = verify(issuer, path)
    assert result.exit_code == 1
    lines = result.stdout.splitlines()
    assert "Ce qui a été vérifié :" not in lines
    assert lines[1] == "Ce que le fichier prétend (non vérifié) :"
    assert "  Badge: Badge d'honneur de la Ville" in lines


def test_verify_after_revocation_is_not_valid_and_says_revoked(issuer: Issuer,
                                                               out: Path) -> None:
    credential_id = issuer.issue(out, "verify-revoked@example.org")
    issuer.ok("revoke", credential_id, "--reason", "Délivré par erreur")
    code, report = verify_report(issuer, out / f"{credential_id}.json")
    assert code == 1
    assert report["verdict"] == "invalid"
    assert report["revoked"] is True
    assert {check["name"]: check["code"] for check in report["checks"]}["status"] == "status.revoked"
    assert verify(issuer, out / f"{credential_id}.jwt").exit_code == 1
    assert verify(issuer, out / f"{credential_id}.png").exit_code == 1


def test_verify_follows_suspension_and_its_end(issuer: Issuer, out: Path) -> None:
    credential_id = issuer.issue(out, "verify-suspended@example.org")
    issuer.ok("suspend", credential_id, "--reason", "Vérification en cours")
    code, report = verify_report(issuer, out / f"{credential_id}.json")
    assert code == 1, report
    assert report["suspended"] is True and report["revoked"] is False
    issuer.ok("unsuspend", credential_id)
    assert verify(issuer, out / f"{credential_id}.json").exit_code == 0


def test_verify_garbage_is_unreadable(issuer: Issuer, tmp_path: Path) -> None:
    garbage = tmp_path / "garbage.json"
    garbage.write_bytes(b"\x89PNG\r\n\x1a\nnot really a picture \x00\xff")
    assert verify(issuer, garbage).exit_code == 2
    text = tmp_path / "text.json"
    text.write_text("{ this is not json", "utf-8")
    assert verify(issuer, text).exit_code == 2


def test_verify_a_missing_file_is_unreadable(issuer: Issuer, tmp_path: Path) -> None:
    result = verify(issuer, tmp_path / "absent.json")
    assert result.exit_code == 2
    assert "Fichier introuvable" in result.stderr


def test_verify_a_badge_by_its_url(issuer: Issuer, out: Path) -> None:
    credential_id = issuer.issue(out, "verify-url@example.org")
    handler = partial(SimpleHTTPRequestHandler, directory=str(out))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        url = f"http://127.0.0.1:{server.server_port}/{credential_id}.json"
        refused = verify(issuer, url)  # this machine's addresses: development only
        assert refused.exit_code == 2
        assert "--allow-loopback" in refused.stderr
        result = verify(issuer, url, "--allow-loopback")
        assert result.exit_code == 0, result.output
        absent = f"http://127.0.0.1:{server.server_port}/absent.json"
        assert verify(issuer, absent, "--allow-loopback").exit_code == 2
    finally:
        server.shutdown()
        server.server_close()


def test_verify_works_where_init_never_ran(tmp_path: Path, out: Path) -> None:
    """An employer checking a badge needs no keys of their own."""
    city = Issuer(tmp_path / "city")
    city.ok("init", "--did-method", "key")
    credential_id = city.issue(out, "elsewhere@example.org")
    employer = Issuer(tmp_path / "employer")
    result = employer("verify", out / f"{credential_id}.json", "--json")
    assert result.exit_code in (0, 1), result.output
    report = json.loads(result.stdout)
    assert report["unreadable"] is False
    outcomes = {check["name"]: check["outcome"] for check in report["checks"]}
    assert (outcomes["proof"], outcomes["issuer_key"]) == ("passed", "passed")
    assert not (tmp_path / "employer" / "keys").exists()


# -- revoke, suspend, unsuspend ------------------------------------------------------------------------
def test_revoke_requires_a_reason(issuer: Issuer, out: Path) -> None:
    credential_id = issuer.issue(out, "revoke-reason@example.org")
    result = issuer("revoke", credential_id)
    assert result.exit_code == 2
    assert "--reason" in result.stderr


def test_revoking_twice_is_refused(issuer: Issuer, out: Path) -> None:
    credential_id = issuer.issue(out, "revoke-twice@example.org")
    assert "Révoqué" in issuer.ok("revoke", credential_id, "--reason", "Erreur").stdout
    result = issuer("revoke", credential_id, "--reason", "Erreur")
    assert result.exit_code == 1
    assert "[revoke.already_revoked]" in result.stderr


def test_revoking_an_unknown_badge_is_refused(issuer: Issuer) -> None:
    result = issuer("revoke", "00000000-0000-4000-8000-000000000000", "--reason", "Erreur")
    assert result.exit_code == 1
    assert "[credential.not_found]" in result.stderr


def test_unsuspending_a_badge_that_is_not_suspended_is_refused(issuer: Issuer, out: Path) -> None:
    credential_id = issuer.issue(out, "not-suspended@example.org")
    result = issuer("unsuspend", credential_id)
    assert result.exit_code == 1
    assert "[unsuspend.not_suspended]" in result.stderr


# -- publish ------------------------------------------------------------------------------------------
def test_publish_writes_the_documents_a_web_server_hosts(issuer: Issuer, tmp_path: Path,
                                                         out: Path) -> None:
    issuer.issue(out, "publish@example.org")
    site = tmp_path / "site"
    result = issuer.ok("publish", "--out", site)
    assert str(site) in result.stdout

    did_document = json.loads((site / ".well-known" / "did.json").read_text("utf-8"))
    assert did_document["id"] == DEFAULT_DID
    # Each document at the path of its URL, without an extension (issue 14 item 4)
    profile = json.loads((site / "issuer").read_text("utf-8"))
    assert profile["id"] == DEFAULT_DID and profile["name"] == "Ville de Roubaix"
    # The Profile's image is the logo, published beside it (issuer.issuance.logo).
    assert profile["image"]["id"] == "http://127.0.0.1:8000/logo.png"
    assert (site / "logo.png").read_bytes().startswith(b"\x89PNG")
    assert (site / "logo.svg").is_file() and (site / "favicon.ico").is_file()

    achievements = {p.relative_to(site / "achievements").as_posix()
                    for p in (site / "achievements").rglob("*") if p.is_file()}
    assert achievements == {"membre-cln", "ancien-membre-cln", "mediateur-numerique",
                            *(f"{BREAKFAST}/{n}" for n in range(1, 11))}
    edition = json.loads((site / "achievements" / BREAKFAST / "7").read_text("utf-8"))
    assert edition["id"] == f"http://127.0.0.1:8000/achievements/{BREAKFAST}/7"

    resolver = DidResolver(local_documents={DEFAULT_DID: did_document})
    for purpose in ("revocation", "suspension"):
        status_list = json.loads((site / "status" / "1" / purpose).read_text("utf-8"))
        assert status_list["id"] == f"http://127.0.0.1:8000/status/1/{purpose}"
        assert status_list["credentialSubject"]["statusPurpose"] == purpose
        (proof,) = status_list["proof"]
        assert proof["type"] == "DataIntegrityProof"
        # signed with a key the published DID document lists
        key = resolver.resolve_key(proof["verificationMethod"], controller=DEFAULT_DID)
        assert verify_proof_signature(status_list, proof, key.public_key)


def test_publish_with_did_key_writes_no_did_json(fresh: Issuer, tmp_path: Path,
                                                 out: Path) -> None:
    fresh.ok("init", "--did-method", "key")
    fresh.ok("issue", "--badge", "mediateur-numerique", "--email", "a@example.org",
             "--name", "A", "--out", out)
    site = tmp_path / "site"
    fresh.ok("publish", "--out", site)
    assert not (site / ".well-known" / "did.json").exists()
    assert json.loads((site / "issuer").read_text("utf-8"))["id"].startswith("did:key:")
    assert (site / "status" / "1" / "revocation").is_file()


# -- keys ---------------------------------------------------------------------------------------------
def test_keys_rotate_keeps_earlier_badges_verifiable(fresh: Issuer, out: Path) -> None:
    fresh.ok("init")
    before = fresh.issue(out, "before-rotation@example.org")
    rotated = fresh.ok("keys", "rotate")
    assert rotated.stdout.count("Clé créée") == 2
    listing = fresh.ok("keys", "list").stdout.strip().splitlines()
    assert len(listing) == 4
    assert sum(line.endswith("actuelle") for line in listing) == 2
    assert sum(" retirée le " in line for line in listing) == 2

    after = fresh.issue(out, "after-rotation@example.org")
    for credential_id in (before, after):
        for suffix in (".json", ".jwt", ".png"):
            assert verify(fresh, out / f"{credential_id}{suffix}").exit_code == 0, (credential_id,
                                                                                  suffix)


# -- languages ------------------------------------------------------------------------------------------
def subprocess_environment(home: Path, **extra: str) -> dict[str, str]:
    environment = {name: value for name, value in os.environ.items()
                   if not name.startswith(("ISSUER_", "LC_")) and name not in ("LANG",
                                                                             "DATABASE_URL")}
    environment.update({"ISSUER_HOME": str(home), "PYTHONIOENCODING": "utf-8", **extra})
    return environment


def command_paths(group: click.Group, prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    paths: list[tuple[str, ...]] = [prefix]
    for name, command in sorted(group.commands.items()):
        if isinstance(command, click.Group):
            paths.extend(command_paths(command, (*prefix, name)))
        else:
            paths.append((*prefix, name))
    return paths


COMMANDS = command_paths(cli_main)


def issuer_executable() -> list[str]:
    found = shutil.which("issuer", path=str(Path(sys.executable).parent))
    return [found] if found else [sys.executable, "-m", "issuer.cli"]


@pytest.fixture(scope="module")
def help_texts(tmp_path_factory: pytest.TempPathFactory) -> Mapping[tuple[str, tuple[str, ...]], str]:
    """`issuer ... --help` of every command in both languages, run side by side."""
    home = tmp_path_factory.mktemp("help-home")
    running = {
        (language, path): subprocess.Popen(
            [*issuer_executable(), *path, "--help"], stdout=subprocess.PIPE,
            stderr=subprocess.PIPE, env=subprocess_environment(home, **language_env))
        for language, language_env in (("fr", {}), ("en", {"ISSUER_LANG": "en"}))
        for path in COMMANDS}
    texts = {}
    for key, process in running.items():
        stdout, stderr = process.communicate(timeout=120)
        assert process.returncode == 0, stderr.decode()
        texts[key] = stdout.decode("utf-8")
    return texts


def test_every_command_is_covered_by_the_help_tests() -> None:
    names = {" ".join(path) for path in COMMANDS}
    assert {"init", "badges", "issue", "issue-batch", "verify", "revoke", "suspend", "unsuspend",
            "publish", "keys rotate"} <= names


@pytest.mark.parametrize("path", COMMANDS, ids=lambda path: " ".join(path) or "issuer")
def test_help_is_in_french_by_default(help_texts: Mapping[Any, str], path: tuple[str, ...]) -> None:
    text = help_texts[("fr", path)]
    assert text.startswith("Utilisation :")
    assert "Afficher cette aide et quitter." in text
    assert "Show this message" not in text and "Usage:" not in text


@pytest.mark.parametrize("path", COMMANDS, ids=lambda path: " ".join(path) or "issuer")
def test_help_is_in_english_with_issuer_lang_en(help_texts: Mapping[Any, str],
                                                path: tuple[str, ...]) -> None:
    text = help_texts[("en", path)]
    assert text.startswith("Usage:")
    assert "Show this message and exit." in text
    assert "Utilisation" not in text and "Afficher" not in text


@pytest.mark.parametrize("path", COMMANDS, ids=lambda path: " ".join(path) or "issuer")
def test_each_command_describes_itself_in_both_languages(help_texts: Mapping[Any, str],
                                                         path: tuple[str, ...]) -> None:
    def description(text: str) -> str:
        return text.split("\n\n")[1].strip()

    assert description(help_texts[("fr", path)]) != description(help_texts[("en", path)])


def test_french_help_has_no_english_option_markers(help_texts: Mapping[Any, str]) -> None:
    untranslated = {" ".join(path): marker for (language, path), text in help_texts.items()
                    for marker in ("[required]", "[default:") if language == "fr" and marker in text}
    assert untranslated == {}


def test_distinctive_phrases_of_each_language(help_texts: Mapping[Any, str]) -> None:
    assert "Délivrer un badge" in help_texts[("fr", ("issue",))]
    assert "Issue one badge" in help_texts[("en", ("issue",))]
    assert "Dossier de sortie." in help_texts[("fr", ("issue-batch",))]
    assert "Output folder." in help_texts[("en", ("issue-batch",))]
    assert "--issue-valid-lines" in help_texts[("fr", ("issue-batch",))]
    assert "Délivrer aussi les lignes correctes" in help_texts[("fr", ("issue-batch",))]
    assert "Issue the correct lines even when" in help_texts[("en", ("issue-batch",))]
    def flat(language: str, *path: str) -> str:
        return " ".join(help_texts[(language, path)].split())

    assert "Clore chaque mandat" in flat("fr", "council", "close-ended-mandates")
    assert "Close every mandate" in flat("en", "council", "close-ended-mandates")
    assert "la personne déclare avoir 16 ans ou plus" in flat("fr", "issue")
    assert "the person declares being 16 or over" in flat("en", "issue")


def run_subprocess(home: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*issuer_executable(), *args], capture_output=True, text=True,
                          encoding="utf-8", env=subprocess_environment(home, **env), timeout=60,
                          check=False)


def test_lang_variable_chooses_english_when_issuer_lang_is_unset(tmp_path: Path) -> None:
    assert run_subprocess(tmp_path, "--help", LANG="en_GB.UTF-8").stdout.startswith("Usage:")


def test_issuer_lang_wins_over_lang(tmp_path: Path) -> None:
    result = run_subprocess(tmp_path, "--help", LANG="en_GB.UTF-8", ISSUER_LANG="fr")
    assert result.stdout.startswith("Utilisation :")


def test_error_messages_follow_the_language(tmp_path: Path) -> None:
    arguments = ("revoke", "00000000-0000-4000-8000-000000000000", "--reason", "Erreur")
    english = run_subprocess(tmp_path, *arguments, ISSUER_LANG="en")
    assert english.returncode == 1
    assert english.stderr.startswith("Error [keys.missing]: ")
    assert "run `issuer init`" in english.stderr
    french = run_subprocess(tmp_path, *arguments, ISSUER_LANG="fr")
    assert french.returncode == 1
    assert french.stderr.startswith("Erreur [keys.missing]")
    assert "lancez d'abord « issuer init »" in french.stderr


def test_usage_errors_follow_the_language(tmp_path: Path) -> None:
    english = run_subprocess(tmp_path, "issue", "--email", "a@example.org", ISSUER_LANG="en")
    assert english.returncode == 2 and "Missing option '--badge'" in english.stderr
    french = run_subprocess(tmp_path, "issue", "--email", "a@example.org", ISSUER_LANG="fr")
    assert french.returncode == 2 and "--badge" in french.stderr
    assert "Missing option" not in french.stderr


def test_python_dash_m_runs_the_same_command(tmp_path: Path) -> None:
    result = subprocess.run([sys.executable, "-m", "issuer.cli", "badges", "--json"],
                            capture_output=True, text=True, encoding="utf-8", timeout=60,
                            env=subprocess_environment(tmp_path), check=False)
    assert result.returncode == 0, result.stderr
    assert {badge["slug"] for badge in json.loads(result.stdout)} == BADGE_SLUGS
