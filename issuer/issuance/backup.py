"""`issuer backup` and `issuer restore`: one archive holds everything an installation needs to
come back after a lost disk (issue #14, item 5; docs/DEPLOYMENT.md, "Backup and restore").

The archive is a plain tar file, mode 0600, holding:
- `manifest.json`: format and version, date, application version, database kind and schema
  revision, the SHA-256 of every other member, the key-derivation parameters, a passphrase
  check and an HMAC of all of it;
- the database snapshot (`storage.snapshots`: SQLite backup API or `pg_dump`);
- `keys.tar.gz.aes-gcm`: the `keys/` folder (private keys, keys.json, the identity secret)
  encrypted with AES-256-GCM under a key derived from the backup passphrase by scrypt
  (`cryptography`; N = 2^17, r = 8, p = 1, the OWASP recommendation);
- `files.tar.gz`: `issuer.toml` and the uploaded evidence files (`var/evidence/`), when present.

The passphrase derives 64 bytes: an encryption key and an HMAC key. The HMAC of a fixed text
tells a wrong passphrase apart from a modified archive; the HMAC of the manifest, whose
checksums cover every member, makes any change to any byte of the archive detected before
anything is restored. The database snapshot itself is not encrypted (a `pg_dump` of a large
database is streamed, not held in memory): the archive is 0600 and its off-site copy must be
encrypted (docs/DEPLOYMENT.md).

Order when backing up: the database first, then the keys. A key rotated in between is then in
the archive without being used by it; the other order could save a credential signed by a key
the archive lacks.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import io
import json
import os
import secrets
import shutil
import tarfile
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import IO, Any, cast

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

from issuer.errors import IssuerError
from issuer.settings import Settings
from issuer.storage.snapshots import (
    SNAPSHOT_NAMES,
    DatabaseKind,
    database_is_empty,
    restore_snapshot,
    take_snapshot,
)

FORMAT = "roubaix-badges-backup"
VERSION = 1
MANIFEST = "manifest.json"
KEYS_MEMBER = "keys.tar.gz.aes-gcm"
FILES_MEMBER = "files.tar.gz"
#: Files of the home kept besides the keys and the database: the settings file, and the
#: evidence files mediators upload (issuer.network.evidence.EVIDENCE_FOLDER, under var/).
HOME_FILES = ("issuer.toml", "var/evidence")
MIN_PASSPHRASE_LENGTH = 12
SCRYPT_N, SCRYPT_R, SCRYPT_P = 2 ** 17, 8, 1
# The largest parameters a manifest may ask for: a forged manifest must not make `restore`
# allocate gigabytes before it finds the archive is not ours.
_MAX_SCRYPT_N, _MAX_SCRYPT_R, _MAX_SCRYPT_P = 2 ** 20, 16, 4
_MAX_MANIFEST_BYTES = 1_000_000
_PASSPHRASE_CHECK = b"roubaix-badges-backup: passphrase check"
_KEYS_AAD = b"roubaix-badges-backup: keys v1"


class BackupError(IssuerError):
    code = "backup.error"


class WrongPassphrase(BackupError):
    code = "backup.wrong_passphrase"


class DamagedArchive(BackupError):
    code = "backup.damaged"


class RestoreTargetNotEmpty(BackupError):
    code = "backup.target_not_empty"


@dataclass(frozen=True)
class BackupSummary:
    path: Path
    database_kind: DatabaseKind
    created: str
    key_files: int
    home_files: int


# -- helpers ----------------------------------------------------------------------------------------
def _sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _derive(passphrase: str, salt: bytes, n: int, r: int, p: int) -> tuple[bytes, bytes]:
    material = Scrypt(salt=salt, length=64, n=n, r=r, p=p).derive(passphrase.encode("utf-8"))
    return material[:32], material[32:]


def _manifest_mac(mac_key: bytes, manifest: dict[str, Any]) -> str:
    body = {name: value for name, value in manifest.items() if name != "hmac"}
    text = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
    return hmac.new(mac_key, text.encode("ascii"), hashlib.sha256).hexdigest()


def _regular_files(root: Path) -> list[Path]:
    return sorted(path for path in root.rglob("*") if path.is_file() and not path.is_symlink())


def _tar_gz(entries: list[tuple[str, Path]], destination: IO[bytes]) -> None:
    """A gzip tar of (name in the archive, file) pairs, owners and modes normalised."""
    with tarfile.open(fileobj=destination, mode="w:gz") as archive:
        for name, path in entries:
            archive.add(path, arcname=name, recursive=False, filter=_owned_by_nobody)


def _home_entries(settings: Settings) -> list[tuple[str, Path]]:
    entries: list[tuple[str, Path]] = []
    for relative in HOME_FILES:
        path = settings.home / relative
        if path.is_file():
            entries.append((relative, path))
        elif path.is_dir():
            entries += [(f"{relative}/{file.relative_to(path).as_posix()}", file)
                        for file in _regular_files(path)]
    return entries


def _check_passphrase(passphrase: str) -> None:
    if len(passphrase) < MIN_PASSPHRASE_LENGTH:
        raise BackupError(
            f"La phrase de passe de la sauvegarde doit compter au moins {MIN_PASSPHRASE_LENGTH} "
            "caractères.",
            f"The backup passphrase must be at least {MIN_PASSPHRASE_LENGTH} characters long.",
            code="backup.weak_passphrase")


# -- backup -----------------------------------------------------------------------------------------
def create_backup(settings: Settings, destination: Path, passphrase: str, *,
                  schema_revision: tuple[str, ...], now: datetime | None = None) -> BackupSummary:
    """Write the archive of this installation to `destination` (replaced atomically, 0600)."""
    _check_passphrase(passphrase)
    destination = destination.absolute()
    if not destination.parent.is_dir():
        raise BackupError(f"Dossier introuvable : {destination.parent}",
                          f"No such folder: {destination.parent}", code="backup.no_folder")
    keys_dir = settings.keys_dir
    key_files = _regular_files(keys_dir) if keys_dir.is_dir() else []
    if not key_files:
        raise BackupError("Aucune clé dans keys/ : rien à sauvegarder (lancez « issuer init »).",
                          "No keys in keys/: nothing to back up (run `issuer init`).",
                          code="backup.no_keys")
    created = (now or datetime.now(UTC)).isoformat(timespec="seconds").replace("+00:00", "Z")
    salt = secrets.token_bytes(16)
    encryption_key, mac_key = _derive(passphrase, salt, SCRYPT_N, SCRYPT_R, SCRYPT_P)
    with tempfile.TemporaryDirectory(prefix="issuer-backup-") as work:
        folder = Path(work)
        # The database first, then the keys (module docstring).
        kind = take_snapshot(settings.sqlalchemy_url, folder / "database",
                             bin_dir=settings.postgres_bin_dir)
        keys_tar = io.BytesIO()
        _tar_gz([(f"keys/{path.relative_to(keys_dir).as_posix()}", path) for path in key_files],
                keys_tar)
        nonce = secrets.token_bytes(12)
        (folder / "keys").write_bytes(
            AESGCM(encryption_key).encrypt(nonce, keys_tar.getvalue(), _KEYS_AAD))
        home_entries = _home_entries(settings)
        with (folder / "files").open("wb") as files:
            _tar_gz(home_entries, files)
        members = {SNAPSHOT_NAMES[kind]: folder / "database", KEYS_MEMBER: folder / "keys",
                   FILES_MEMBER: folder / "files"}
        manifest: dict[str, Any] = {
            "format": FORMAT, "version": VERSION, "created": created,
            "application": {"name": "roubaix-badges-issuer", "version": _app_version()},
            "database": {"kind": kind, "member": SNAPSHOT_NAMES[kind],
                         "schema_revision": list(schema_revision)},
            "keys": {"member": KEYS_MEMBER, "cipher": "AES-256-GCM",
                     "nonce": base64.b64encode(nonce).decode("ascii"), "files": len(key_files)},
            "files": {"member": FILES_MEMBER, "paths": [name for name, _path in home_entries]},
            "kdf": {"name": "scrypt", "n": SCRYPT_N, "r": SCRYPT_R, "p": SCRYPT_P,
                    "salt": base64.b64encode(salt).decode("ascii")},
            "checksums": {name: {"sha256": _sha256_of(path), "size": path.stat().st_size}
                          for name, path in members.items()},
            "passphrase_check": hmac.new(mac_key, _PASSPHRASE_CHECK, hashlib.sha256).hexdigest(),
        }
        manifest["hmac"] = _manifest_mac(mac_key, manifest)
        staged = destination.with_name(f".{destination.name}.{secrets.token_hex(4)}.partial")
        descriptor = os.open(staged, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            with os.fdopen(descriptor, "wb") as handle, \
                    tarfile.open(fileobj=handle, mode="w") as archive:
                text = json.dumps(manifest, indent=2, sort_keys=True).encode("utf-8")
                info = tarfile.TarInfo(MANIFEST)
                info.size, info.mode = len(text), 0o600
                archive.addfile(info, io.BytesIO(text))
                for name, path in members.items():
                    archive.add(path, arcname=name, recursive=False, filter=_owned_by_nobody)
            os.replace(staged, destination)
        except BaseException:
            staged.unlink(missing_ok=True)
            raise
    return BackupSummary(destination, kind, created, len(key_files), len(home_entries))


def _owned_by_nobody(info: tarfile.TarInfo) -> tarfile.TarInfo:
    info.uid = info.gid = 0
    info.uname = info.gname = ""
    info.mode = 0o600
    return info


def _app_version() -> str:
    try:
        return metadata.version("roubaix-badges-issuer")
    except metadata.PackageNotFoundError:
        return "unknown"


# -- reading an archive -----------------------------------------------------------------------------
def _damaged(detail_fr: str, detail_en: str) -> DamagedArchive:
    return DamagedArchive(
        f"Archive refusée : {detail_fr}. Elle a été modifiée ou abîmée, ou ce n'est pas une "
        "sauvegarde de cette application ; rien n'a été restauré.",
        f"Archive refused: {detail_en}. It was modified or damaged, or it is not a backup of "
        "this application; nothing was restored.")


@dataclass
class _OpenedArchive:
    manifest: dict[str, Any]
    folder: Path            # members extracted and checked
    keys_tar: bytes         # decrypted

    @property
    def kind(self) -> DatabaseKind:
        return cast(DatabaseKind, self.manifest["database"]["kind"])


def _read_manifest(archive: tarfile.TarFile) -> dict[str, Any]:
    try:
        info = archive.getmember(MANIFEST)
    except KeyError:
        raise _damaged("pas de manifeste", "no manifest") from None
    handle = archive.extractfile(info) if info.isfile() else None
    if handle is None or info.size > _MAX_MANIFEST_BYTES:
        raise _damaged("manifeste illisible", "unreadable manifest")
    try:
        manifest = json.loads(handle.read())
    except (ValueError, UnicodeDecodeError):
        raise _damaged("manifeste illisible", "unreadable manifest") from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise _damaged("format inconnu", "unknown format")
    if manifest.get("version") != VERSION:
        raise BackupError(
            f"Version d'archive non prise en charge : {manifest.get('version')!r} (cette "
            f"application lit la version {VERSION}).",
            f"Unsupported archive version: {manifest.get('version')!r} (this application reads "
            f"version {VERSION}).", code="backup.unsupported_version")
    return manifest


def _keys_from(manifest: dict[str, Any], passphrase: str) -> tuple[bytes, bytes]:
    try:
        kdf = manifest["kdf"]
        n, r, p = int(kdf["n"]), int(kdf["r"]), int(kdf["p"])
        salt = base64.b64decode(kdf["salt"], validate=True)
        check = bytes.fromhex(manifest["passphrase_check"])
    except (KeyError, TypeError, ValueError):
        raise _damaged("manifeste incomplet", "incomplete manifest") from None
    if kdf.get("name") != "scrypt" or not (2 <= n <= _MAX_SCRYPT_N and n & (n - 1) == 0
                                           and 1 <= r <= _MAX_SCRYPT_R and 1 <= p <= _MAX_SCRYPT_P
                                           and 8 <= len(salt) <= 64):
        raise _damaged("paramètres de dérivation inattendus", "unexpected derivation parameters")
    encryption_key, mac_key = _derive(passphrase, salt, n, r, p)
    expected = hmac.new(mac_key, _PASSPHRASE_CHECK, hashlib.sha256).digest()
    if not hmac.compare_digest(expected, check):
        raise WrongPassphrase(
            "Phrase de passe incorrecte pour cette sauvegarde (ISSUER_BACKUP_PASSPHRASE) ; rien "
            "n'a été restauré.",
            "Wrong passphrase for this backup (ISSUER_BACKUP_PASSPHRASE); nothing was restored.")
    if not hmac.compare_digest(_manifest_mac(mac_key, manifest), str(manifest.get("hmac"))):
        raise _damaged("manifeste modifié", "manifest modified")
    return encryption_key, mac_key


@contextmanager
def open_archive(path: Path, passphrase: str) -> Iterator[_OpenedArchive]:
    """The archive at `path`, checked member by member (checksums, decryption) into a private
    temporary folder, removed when the block ends. Raises before the block on any problem."""
    try:
        archive = tarfile.open(path, mode="r:")  # noqa: SIM115 - closed by the `with` below
    except (OSError, tarfile.TarError):
        raise _damaged("fichier illisible", "unreadable file") from None
    with archive, tempfile.TemporaryDirectory(prefix="issuer-restore-") as work:
        manifest = _read_manifest(archive)
        encryption_key, _mac_key = _keys_from(manifest, passphrase)
        checksums = manifest.get("checksums")
        kind = manifest.get("database", {}).get("kind")
        if not isinstance(checksums, dict) or kind not in SNAPSHOT_NAMES \
                or set(checksums) != {SNAPSHOT_NAMES[kind], KEYS_MEMBER, FILES_MEMBER}:
            raise _damaged("manifeste incomplet", "incomplete manifest")
        folder = Path(work)
        for name, expected in checksums.items():
            try:
                info = archive.getmember(name)
                source = archive.extractfile(info) if info.isfile() else None
                if source is None:
                    raise KeyError(name)
                with source, (folder / name).open("wb") as target:
                    shutil.copyfileobj(source, target)
            except (KeyError, OSError, tarfile.TarError):
                raise _damaged(f"élément manquant ou illisible : {name}",
                               f"missing or unreadable member: {name}") from None
            if _sha256_of(folder / name) != expected.get("sha256"):
                raise _damaged(f"somme de contrôle différente : {name}",
                               f"checksum mismatch: {name}")
        try:
            nonce = base64.b64decode(manifest["keys"]["nonce"], validate=True)
            keys_tar = AESGCM(encryption_key).decrypt(
                nonce, (folder / KEYS_MEMBER).read_bytes(), _KEYS_AAD)
        except (InvalidTag, KeyError, TypeError, ValueError):
            raise _damaged("clés indéchiffrables", "keys cannot be decrypted") from None
        yield _OpenedArchive(manifest, folder, keys_tar)


# -- restore ----------------------------------------------------------------------------------------
def _differs(settings: Settings, opened: _OpenedArchive) -> list[str]:
    """What of this installation a restore would overwrite."""
    found: list[str] = []
    keys_dir = settings.keys_dir
    if keys_dir.is_dir() and any(keys_dir.iterdir()):
        found.append("keys/")
    if not database_is_empty(settings.sqlalchemy_url):
        found.append("database")
    with tarfile.open(opened.folder / FILES_MEMBER, mode="r:gz") as files:
        for info in files.getmembers():
            existing = settings.home / info.name
            if existing.exists():
                handle = files.extractfile(info)
                if handle is None or existing.read_bytes() != handle.read():
                    found.append(info.name)
    return found


def _extract(tar: tarfile.TarFile, destination: Path, prefix: str) -> int:
    """Regular files under `prefix` only (the `data` filter also refuses absolute names, `..`
    and links out of the folder)."""
    members = [info for info in tar.getmembers()
               if info.isfile() and info.name.startswith(prefix)]
    tar.extractall(destination, members=members, filter="data")
    for info in members:
        os.chmod(destination / info.name, 0o600)
    return len(members)


def restore_backup(settings: Settings, path: Path, passphrase: str, *,
                   force: bool = False) -> dict[str, Any]:
    """Restore the archive at `path` into this installation (ISSUER_HOME, DATABASE_URL), which
    must be empty unless `force`. Returns the archive's manifest."""
    with open_archive(path, passphrase) as opened:
        in_the_way = _differs(settings, opened)
        if in_the_way and not force:
            listed = ", ".join(in_the_way)
            raise RestoreTargetNotEmpty(
                f"Cette installation n'est pas vide ({listed}) : la restauration l'écraserait. "
                "Restaurez dans un dossier ISSUER_HOME et une base vides, ou ajoutez --force "
                "pour tout remplacer.",
                f"This installation is not empty ({listed}): restoring would overwrite it. "
                "Restore into an empty ISSUER_HOME and database, or add --force to replace "
                "everything.")
        restore_snapshot(settings.sqlalchemy_url, opened.folder / SNAPSHOT_NAMES[opened.kind],
                         opened.kind, bin_dir=settings.postgres_bin_dir, replace=force)
        _restore_keys(settings, opened.keys_tar)
        settings.home.mkdir(parents=True, exist_ok=True)
        with tarfile.open(opened.folder / FILES_MEMBER, mode="r:gz") as files:
            _extract(files, settings.home, "")
        return opened.manifest


def _restore_keys(settings: Settings, keys_tar: bytes) -> None:
    """The keys folder replaced as a whole: staged next to it, then renamed into place."""
    home = settings.home
    home.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".keys-restoring-", dir=home))
    try:
        with tarfile.open(fileobj=io.BytesIO(keys_tar), mode="r:gz") as tar:
            _extract(tar, staging, "keys/")
        restored = staging / "keys"
        restored.mkdir(mode=0o700, exist_ok=True)
        os.chmod(restored, 0o700)
        if settings.keys_dir.exists():
            shutil.rmtree(settings.keys_dir)
        os.replace(restored, settings.keys_dir)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
