"""The backup drill (issue #14, item 5; docs/DEPLOYMENT.md, "Backup and restore"), on SQLite and
on a real PostgreSQL server: issue badges (one revoked, one suspended), `issuer backup`, wipe
the database, the keys and the evidence files, `issuer restore`; every credential still
verifies with our verifier with its status unchanged, and the audit trail holds the same rows;
the archive's bytes hold no personal data in clear. Then the refusals: a non-empty
installation without --force, a wrong passphrase, a modified, cut or reordered archive, each
in French with its exit code, and the installation left as it was (on both databases, even
when the damage only shows while the database is being restored). An archive of version 1
(database in clear) is still restored."""

from __future__ import annotations

import base64
import hashlib
import hmac
import io
import json
import os
import shutil
import sqlite3
import stat
import tarfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest
from click.testing import CliRunner, Result
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from sqlalchemy import select
from sqlalchemy.engine import make_url

from issuer.cli import context as cli_context
from issuer.cli.main import main as cli_main
from issuer.issuance import backup
from issuer.issuance.backup import DATABASE_MEMBERS, FILES_MEMBER, KEYS_MEMBER, MANIFEST
from issuer.issuance.issue_requests import IssueRequest
from issuer.issuance.service import IssuerService
from issuer.issuance.stream_encryption import PREFIX_SIZE, TAG_SIZE
from issuer.issuance.verification_context import verification_context_for
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
    # The whole archive is encrypted: no recipient's address or name, no database file or dump
    # (their magic numbers), no evidence file, no key, anywhere in its bytes.
    raw = archive.read_bytes()
    for clear in (b"personne0@example.org", b"Personne 0", b"SQLite format 3",
                  b"PGDMP", b"%PDF-1.7 atelier FALC", b"PRIVATE KEY", b"issuer.toml\0"):
        assert clear not in raw, clear
    assert set(manifest["encryption"]["members"]) == set(manifest["checksums"])

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


# -- damage on a running installation (restore --force), on both databases ----------------------
SMALL_CHUNK = 4096  # a small database still spans many chunks


def sealed_chunk(index: int) -> slice:
    start = PREFIX_SIZE + index * (SMALL_CHUNK + TAG_SIZE)
    return slice(start, start + SMALL_CHUNK + TAG_SIZE)


def without_chunk(index: int) -> Any:
    def change(data: bytes) -> bytes:
        chunk = sealed_chunk(index)
        assert len(data) > chunk.stop, "the database part must span several chunks"
        return data[:chunk.start] + data[chunk.stop:]
    return change


def without_last_chunk(data: bytes) -> bytes:
    last = (len(data) - PREFIX_SIZE - 1) // (SMALL_CHUNK + TAG_SIZE)
    return data[:sealed_chunk(last).start]


def flip_middle_byte(data: bytes) -> bytes:
    middle = len(data) // 2
    return data[:middle] + bytes([data[middle] ^ 0x40]) + data[middle + 1:]


def resealed(archive: Path) -> Path:
    """`archive` with the checksums and the HMAC of its manifest recomputed under the
    passphrase: what a forger who knows it could do, or a part changed on disk between the
    check and the restore. Only each chunk's own tag can catch the damage then, while the
    database is being restored."""
    with tarfile.open(archive) as tar:
        contents = {info.name: tar.extractfile(info).read()  # type: ignore[union-attr]
                    for info in tar.getmembers()}
    manifest = json.loads(contents[MANIFEST])
    _key, mac_key = backup._derive(PASSPHRASE, base64.b64decode(manifest["kdf"]["salt"]),
                                   manifest["kdf"]["n"], manifest["kdf"]["r"],
                                   manifest["kdf"]["p"])
    for name in manifest["checksums"]:
        manifest["checksums"][name] = {"sha256": hashlib.sha256(contents[name]).hexdigest(),
                                       "size": len(contents[name])}
    manifest["hmac"] = backup._manifest_mac(mac_key, manifest)
    contents[MANIFEST] = json.dumps(manifest).encode()
    forged = archive.with_name("resealed.tar")
    with tarfile.open(forged, "w") as tar:
        for name, data in contents.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return forged


def cut_in_half(archive: Path) -> Path:
    cut = archive.with_name("coupee.tar")
    cut.write_bytes(archive.read_bytes()[:archive.stat().st_size // 2])
    return cut


def home_files(settings: Settings) -> dict[str, bytes]:
    """Every file of the home but the database's (compared through the service instead)."""
    return {path.relative_to(settings.home).as_posix(): path.read_bytes()
            for path in sorted(settings.home.rglob("*"))
            if path.is_file() and "sqlite3" not in path.name}


# (damage, exit code, what the French message says)
DAMAGES: dict[str, tuple[Any, int, str]] = {
    "flipped-byte": (lambda archive, member: rewrite_member(archive, member, flip_middle_byte),
                     4, "somme de contrôle différente"),
    "archive-cut": (lambda archive, member: cut_in_half(archive), 4, "tronqué"),
    "chunk-removed": (lambda archive, member: rewrite_member(archive, member,
                                                             without_chunk(1)),
                      4, "somme de contrôle différente"),
    "chunk-removed-resealed": (
        lambda archive, member: resealed(rewrite_member(archive, member, without_chunk(1))),
        4, "bloc 1 non authentifié"),
    "last-chunk-dropped-resealed": (
        lambda archive, member: resealed(rewrite_member(archive, member, without_last_chunk)),
        4, "non authentifié (modifié, déplacé, ou flux tronqué)"),
    "wrong-passphrase": (lambda archive, member: archive, 3, "Phrase de passe incorrecte"),
}


@pytest.mark.parametrize("damage", list(DAMAGES))
def test_a_damaged_archive_or_wrong_passphrase_leaves_the_installation_as_it_was(
        installation: tuple[IssuerService, Any], tmp_path: Path, damage: str) -> None:
    service, postgres = installation
    ids = issue_some(service)
    home, url = service.settings.home, service.database.url
    archive = tmp_path / "sauvegarde.tar"
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(backup, "CHUNK_SIZE", SMALL_CHUNK)
        assert issuer(home, url, "backup", str(archive)).exit_code == 0
    # The installation lives on after the backup: a restore would lose this badge.
    later = service.issue(IssueRequest(badge_slug=BREAKFAST, email="apres@example.org",
                                       name="Après Sauvegarde", event_number=7)).credential_id
    before, trail = verdicts(service, [*ids, later]), audit_rows(service)
    files = home_files(service.settings)
    service.database.dispose()

    make, exit_code, said = DAMAGES[damage]
    member = DATABASE_MEMBERS["postgresql" if postgres else "sqlite"]
    damaged = make(archive, member)
    result = issuer(home, url, "restore", "--force", str(damaged),
                    **({"ISSUER_BACKUP_PASSPHRASE": "pas la bonne phrase"}
                       if damage == "wrong-passphrase" else {}))

    assert result.exit_code == exit_code, result.output
    assert said in result.output and "Traceback" not in result.output
    if exit_code == 4:
        assert "Archive refusée" in result.output and "rien n'a été restauré" in result.output
    again = IssuerService(Settings.load(home=home, database_url=url))
    try:
        assert verdicts(again, [*ids, later]) == before
        assert audit_rows(again) == trail
    finally:
        again.database.dispose()
    assert home_files(again.settings) == files
    if not postgres:
        database = sqlite_file(url)
        assert database is not None
        assert not database.with_name(database.name + ".restoring").exists()


# -- archives of version 1 ------------------------------------------------------------------------
def write_version_1_archive(service: IssuerService, destination: Path) -> None:
    """An archive as version 1 wrote it (SQLite): the database and the files in clear, the
    keys' tar.gz one AES-GCM message whose nonce is in the manifest."""
    settings = service.settings
    salt, nonce = os.urandom(16), os.urandom(12)
    n, r, p = 2 ** 14, 8, 1
    key, mac_key = backup._derive(PASSPHRASE, salt, n, r, p)
    database = sqlite_file(service.database.url)
    assert database is not None
    snapshot = destination.with_name("snapshot.sqlite3")
    with sqlite3.connect(database) as source, sqlite3.connect(snapshot) as target:
        source.backup(target)
    keys_tar, files_tar = io.BytesIO(), io.BytesIO()
    with tarfile.open(fileobj=keys_tar, mode="w:gz") as tar:
        for path in sorted(settings.keys_dir.iterdir()):
            tar.add(path, arcname=f"keys/{path.name}")
    with tarfile.open(fileobj=files_tar, mode="w:gz") as tar:
        if (settings.home / "issuer.toml").is_file():
            tar.add(settings.home / "issuer.toml", arcname="issuer.toml")
    members = {"database.sqlite3": snapshot.read_bytes(),
               KEYS_MEMBER: AESGCM(key).encrypt(nonce, keys_tar.getvalue(),
                                                b"roubaix-badges-backup: keys v1"),
               "files.tar.gz": files_tar.getvalue()}
    manifest: dict[str, Any] = {
        "format": "roubaix-badges-backup", "version": 1, "created": "2026-12-01T02:30:00Z",
        "application": {"name": "roubaix-badges-issuer", "version": "0"},
        "database": {"kind": "sqlite", "member": "database.sqlite3", "schema_revision": []},
        "keys": {"member": KEYS_MEMBER, "cipher": "AES-256-GCM",
                 "nonce": base64.b64encode(nonce).decode(), "files": 3},
        "files": {"member": "files.tar.gz", "paths": []},
        "kdf": {"name": "scrypt", "n": n, "r": r, "p": p, "salt": base64.b64encode(salt).decode()},
        "checksums": {name: {"sha256": hashlib.sha256(data).hexdigest(), "size": len(data)}
                      for name, data in members.items()},
        "passphrase_check": hmac.new(mac_key, b"roubaix-badges-backup: passphrase check",
                                     hashlib.sha256).hexdigest(),
    }
    manifest["hmac"] = backup._manifest_mac(mac_key, manifest)
    with tarfile.open(destination, "w") as tar:
        for name, data in {MANIFEST: json.dumps(manifest).encode(), **members}.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))


def test_an_archive_of_version_1_is_still_restored(tmp_path: Path,
                                                   issuer_homes: IssuerHomes) -> None:
    service = issuer_homes.service(Settings.load(home=tmp_path / "home"))
    ids = issue_some(service)
    before, trail = verdicts(service, ids), audit_rows(service)
    archive = tmp_path / "version-1.tar"
    write_version_1_archive(service, archive)
    wipe(service, None)

    restored = issuer(service.settings.home, service.database.url, "restore", str(archive))
    assert restored.exit_code == 0, restored.output
    again = IssuerService(Settings.load(home=service.settings.home,
                                        database_url=service.database.url))
    try:
        assert verdicts(again, ids) == before and audit_rows(again) == trail
    finally:
        again.database.dispose()
