"""The backup drill (issue #14, item 5; docs/DEPLOYMENT.md, "Backup and restore"), on SQLite and
on a real PostgreSQL server: issue badges (one revoked, one suspended), `issuer backup`, wipe
the database, the keys and the evidence files, `issuer restore`; every credential still
verifies with our verifier with its status unchanged, and the audit trail holds the same rows.
Then the refusals: a non-empty installation without --force, a wrong passphrase, a modified
archive, each in French with its exit code, and nothing written."""

from __future__ import annotations

import io
import json
import os
import shutil
import stat
import tarfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest
from click.testing import CliRunner, Result
from sqlalchemy import select
from sqlalchemy.engine import make_url

from issuer.cli import context as cli_context
from issuer.cli.main import main as cli_main
from issuer.issuance.backup import DATABASE_MEMBERS, FILES_MEMBER, KEYS_MEMBER, MANIFEST
from issuer.issuance.service import IssueRequest, IssuerService, verification_context_for
from issuer.openbadges import verification
from issuer.settings import Settings
from issuer.storage import models as rows
from issuer.storage.db import sqlite_file
from tests.plugins.factory import IssuerHomes

BREAKFAST = "petit-dejeuner-inclusion-numerique"
PASSPHRASE = "Roubaix, Grand'Place, sauvegarde 2026"


@pytest.fixture(autouse=True)
def french_messages() -> Iterator[None]:
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(cli_context, "LOCALE", "fr")
        yield


def issuer(home: Path, database_url: str, *args: str, **extra: str) -> Result:
    environment: dict[str, str | None] = {
        name: None for name in os.environ if name.startswith("ISSUER_") or name == "DATABASE_URL"}
    environment.update({"ISSUER_HOME": str(home), "DATABASE_URL": database_url,
                        "ISSUER_BACKUP_PASSPHRASE": PASSPHRASE, **extra})
    return CliRunner().invoke(cli_main, list(args), env=environment, catch_exceptions=False)


def issue_some(service: IssuerService) -> list[str]:
    ids = [service.issue(IssueRequest(badge_slug=BREAKFAST, email=f"personne{n}@example.org",
                                      name=f"Personne {n}", event_number=7)).credential_id
           for n in range(4)]
    service.revoke(ids[1], "Délivré par erreur")
    service.suspend(ids[2], "Vérification en cours")
    return ids


def verdicts(service: IssuerService, ids: list[str]) -> dict[str, tuple[Any, ...]]:
    """Per credential, per form (embedded proof, VC-JWT): verdict, revoked, suspended, and
    the outcome and code of every check."""
    context = verification_context_for(service)
    found: dict[str, tuple[Any, ...]] = {}
    for credential_id in ids:
        issued = service.credential(credential_id)
        for form in (issued.credential_json, issued.credential_jwt):
            report = verification.verify(form.encode("utf-8"), context)
            found[f"{credential_id} {form[:1]}"] = (
                report.verdict, report.revoked, report.suspended,
                tuple((check.name, check.outcome, check.code) for check in report.checks))
    return found


def audit_rows(service: IssuerService) -> list[tuple[Any, ...]]:
    with service.database.session(read_only=True) as session:
        return [(entry.id, entry.at, entry.actor, entry.action, entry.subject,
                 entry.details_json, entry.origin)
                for entry in session.scalars(select(rows.AuditEntry).order_by(rows.AuditEntry.id))]


def wipe(service: IssuerService, postgres: Any) -> None:
    """The disk is lost: the keys and the database are gone (PostgreSQL: an empty database of
    the same name, as a new server would have)."""
    url = service.database.url
    service.database.dispose()
    shutil.rmtree(service.settings.keys_dir)
    database_file = sqlite_file(url)
    if database_file is not None:
        for companion in ("", "-wal", "-shm"):
            database_file.with_name(database_file.name + companion).unlink(missing_ok=True)
        return
    name = make_url(url).database
    with psycopg.connect(host="127.0.0.1", port=postgres.port, user="postgres",
                         dbname="postgres", autocommit=True) as admin:
        admin.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
        admin.execute(f'CREATE DATABASE "{name}" TEMPLATE template0')


@pytest.fixture
def installation(tmp_path: Path, database_url: str, issuer_homes: IssuerHomes,
                 request: pytest.FixtureRequest) -> Iterator[tuple[IssuerService, Any]]:
    settings = Settings.load(home=tmp_path / "home", database_url=database_url)
    service = issuer_homes.service(settings)
    postgres = (request.getfixturevalue("postgres_server")
                if database_url.startswith("postgresql") else None)
    yield service, postgres
    service.database.dispose()


def test_the_drill_backup_wipe_restore_keeps_every_badge_and_the_audit_trail(
        installation: tuple[IssuerService, Any], tmp_path: Path) -> None:
    service, postgres = installation
    ids = issue_some(service)
    before, trail = verdicts(service, ids), audit_rows(service)
    assert {value[:3] for value in before.values()} == {
        ("valid", False, False), ("invalid", True, False), ("invalid", False, True)}
    actions = {row[3] for row in trail}
    assert "credential.revoked" in actions
    assert any(action.startswith("credential.suspend") for action in actions)
    home, url = service.settings.home, service.database.url
    evidence = home / "var" / "evidence" / "3f" / "preuve.pdf"  # a mediator's uploaded evidence
    evidence.parent.mkdir(parents=True)
    evidence.write_bytes(b"%PDF-1.7 atelier FALC")
    archive = tmp_path / "sauvegarde.tar"

    made = issuer(home, url, "backup", str(archive))
    assert made.exit_code == 0, made.output
    assert stat.S_IMODE(archive.stat().st_mode) == 0o600
    with tarfile.open(archive) as tar:
        manifest = json.loads(tar.extractfile(MANIFEST).read())  # type: ignore[union-attr]
        keys_member = tar.extractfile(KEYS_MEMBER).read()  # type: ignore[union-attr]
    assert manifest["database"]["kind"] == ("postgresql" if postgres else "sqlite")
    assert manifest["version"] == 2 and manifest["created"].endswith("Z")
    private_key = next(service.settings.keys_dir.glob("key-ed25519-*.pem")).read_bytes()
    assert b"PRIVATE KEY" not in keys_member and private_key not in keys_member  # encrypted

    wipe(service, postgres)
    shutil.rmtree(home / "var" / "evidence")
    restored = issuer(home, url, "restore", str(archive))
    assert restored.exit_code == 0, restored.output
    assert "restaurée" in restored.output
    assert evidence.read_bytes() == b"%PDF-1.7 atelier FALC"

    again = IssuerService(Settings.load(home=home, database_url=url))
    try:
        assert verdicts(again, ids) == before
        assert audit_rows(again) == trail
        assert stat.S_IMODE(again.settings.keys_dir.stat().st_mode) == 0o700
        assert all(stat.S_IMODE(path.stat().st_mode) == 0o600
                   for path in again.settings.keys_dir.iterdir())
        # The installation is whole: it issues again, after the restored status indices.
        new = again.issue(IssueRequest(badge_slug=BREAKFAST, email="apres@example.org",
                                       name="Après Restauration", event_number=7))
        assert verdicts(again, [new.credential_id])[f"{new.credential_id} {{"][0] == "valid"
    finally:
        again.database.dispose()

    # Restoring over it now is refused (French, exit 1), unless --force.
    refused = issuer(home, url, "restore", str(archive))
    assert refused.exit_code == 1
    assert "backup.target_not_empty" in refused.output and "n'est pas vide" in refused.output
    forced = issuer(home, url, "restore", "--force", str(archive))
    assert forced.exit_code == 0, forced.output
    again = IssuerService(Settings.load(home=home, database_url=url))
    try:
        assert verdicts(again, ids) == before and audit_rows(again) == trail
    finally:
        again.database.dispose()


@pytest.fixture
def sqlite_backup(tmp_path: Path, issuer_homes: IssuerHomes) -> tuple[Path, Path]:
    """(a SQLite installation's archive, an empty home to restore into)."""
    service = issuer_homes.service(Settings.load(home=tmp_path / "home"))
    issue_some(service)
    archive = tmp_path / "sauvegarde.tar"
    assert issuer(service.settings.home, service.database.url, "backup",
                  str(archive)).exit_code == 0
    service.database.dispose()
    return archive, tmp_path / "empty"


def restore_into(home: Path, archive: Path, **extra: str) -> Result:
    return issuer(home, f"sqlite:///{home / 'var' / 'issuer.sqlite3'}", "restore", str(archive),
                  **extra)


def test_a_wrong_passphrase_is_refused_in_french_and_nothing_is_written(
        sqlite_backup: tuple[Path, Path]) -> None:
    archive, empty = sqlite_backup
    result = restore_into(empty, archive, ISSUER_BACKUP_PASSPHRASE="pas la bonne phrase")
    assert result.exit_code == 3
    assert "Phrase de passe incorrecte" in result.output
    assert not empty.exists()


def rewrite_member(archive: Path, name: str, change: Any) -> Path:
    """A copy of `archive` with the member `name` passed through `change` (bytes -> bytes)."""
    tampered = archive.with_name("modifiee.tar")
    with tarfile.open(archive) as source, tarfile.open(tampered, "w") as target:
        for info in source.getmembers():
            data = source.extractfile(info).read()  # type: ignore[union-attr]
            if info.name == name:
                data = change(data)
                info.size = len(data)
            target.addfile(info, io.BytesIO(data))
    return tampered


def flip_last_byte(data: bytes) -> bytes:
    return data[:-1] + bytes([data[-1] ^ 1])


def forge_checksum(archive: Path) -> Any:
    """A forger who changes the database and its checksum in the manifest (not the HMAC)."""
    def change(data: bytes) -> bytes:
        manifest = json.loads(data)
        manifest["checksums"][DATABASE_MEMBERS["sqlite"]]["sha256"] = "0" * 64
        return json.dumps(manifest).encode()
    return change


@pytest.mark.parametrize(("member", "change"), [
    (DATABASE_MEMBERS["sqlite"], flip_last_byte), (KEYS_MEMBER, flip_last_byte),
    (FILES_MEMBER, flip_last_byte), (MANIFEST, forge_checksum)],
    ids=["database", "keys", "files", "manifest"])
def test_a_modified_archive_is_refused_in_french_and_nothing_is_written(
        sqlite_backup: tuple[Path, Path], member: str, change: Any) -> None:
    archive, empty = sqlite_backup
    if member == MANIFEST:
        change = change(archive)
    result = restore_into(empty, rewrite_member(archive, member, change))
    assert result.exit_code == 4, result.output
    assert "Archive refusée" in result.output and "rien n'a été restauré" in result.output
    assert not empty.exists()


def test_a_file_that_is_not_a_backup_is_refused(sqlite_backup: tuple[Path, Path],
                                                tmp_path: Path) -> None:
    _archive, empty = sqlite_backup
    other = tmp_path / "photo.tar"
    other.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\0" * 2048)
    result = restore_into(empty, other)
    assert result.exit_code == 4 and "Archive refusée" in result.output


def test_a_short_backup_passphrase_is_refused(sqlite_backup: tuple[Path, Path],
                                              tmp_path: Path) -> None:
    archive, _empty = sqlite_backup
    home = archive.parent / "home"
    result = issuer(home, f"sqlite:///{home / 'var' / 'issuer.sqlite3'}", "backup",
                    str(tmp_path / "b.tar"), ISSUER_BACKUP_PASSPHRASE="court")
    assert result.exit_code == 1 and "au moins 12 caractères" in result.output
    assert not (tmp_path / "b.tar").exists()
