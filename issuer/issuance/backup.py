"""`issuer backup` and `issuer restore`: one archive holds everything an installation needs to
come back after a lost disk (issue #14, item 5; docs/DEPLOYMENT.md, "Backup and restore").

The archive is a plain tar file, mode 0600, holding a manifest and three encrypted parts:
- `manifest.json` (in clear, no personal data): format and version, date, application
  version, database kind and schema revision, the SHA-256 of every other member, the
  key-derivation and encryption parameters, a passphrase check and an HMAC of all of it;
- `database.sqlite3.aes-gcm` or `database.pgdump.aes-gcm`: the database snapshot
  (`storage.snapshots`: SQLite backup API or `pg_dump`), which holds people's names and
  e-mail addresses;
- `keys.tar.gz.aes-gcm`: the `keys/` folder (private keys, keys.json, the identity secret);
- `files.tar.gz.aes-gcm`: `issuer.toml` and the uploaded evidence files (`var/evidence/`).

Each part is encrypted with AES-256-GCM in 1 MiB chunks (the STREAM construction,
issuance.stream_encryption), under a key derived from the backup passphrase by scrypt
(`cryptography`; N = 2^17, r = 8, p = 1, the OWASP recommendation): a `pg_dump` flows from
the tool through the encryption into the archive, and back through the decryption into
`pg_restore`, never held in memory nor written in clear. A copied archive shows no name, no
address and no key to whoever lacks the passphrase.

The passphrase derives 64 bytes: an encryption key and an HMAC key. The HMAC of a fixed text
tells a wrong passphrase apart from a modified archive; the HMAC of the manifest, whose
checksums cover every encrypted part, makes any change to any byte of the archive detected
before anything is restored; each chunk's own tag then guards the decryption itself.

Archives of version 1 (database and files in clear, keys encrypted in one piece) are still
read: restoring one needs nothing more than the passphrase.

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
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any, BinaryIO, cast

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

from issuer.errors import IssuerError
from issuer.issuance.stream_encryption import (
    CHUNK_SIZE,
    StreamDamaged,
    opening,
    read_to_end,
    sealing,
)
from issuer.settings import Settings
from issuer.storage.snapshots import (
    SNAPSHOT_NAMES,
    DatabaseKind,
    database_is_empty,
    restore_snapshot,
    snapshot_stream,
)

FORMAT = "roubaix-badges-backup"
VERSION = 2
#: Versions `restore` reads: 1 had the database and the files in clear.
READABLE_VERSIONS = (1, 2)
MANIFEST = "manifest.json"
KEYS_MEMBER = "keys.tar.gz.aes-gcm"
FILES_MEMBER = "files.tar.gz.aes-gcm"
#: The database part's name, per kind (version 2: encrypted).
DATABASE_MEMBERS: dict[DatabaseKind, str] = {
    kind: f"{name}.aes-gcm" for kind, name in SNAPSHOT_NAMES.items()}
_V1_FILES_MEMBER = "files.tar.gz"
#: Files of the home kept besides the keys and the database: the settings file, and the
#: evidence files mediators upload (issuer.network.evidence.EVIDENCE_FOLDER, under var/).
HOME_FILES = ("issuer.toml", "var/evidence")
MIN_PASSPHRASE_LENGTH = 12
SCRYPT_N, SCRYPT_R, SCRYPT_P = 2 ** 17, 8, 1
# The largest parameters a manifest may ask for: a forged manifest must not make `restore`
# allocate gigabytes before it finds the archive is not ours.
_MAX_SCRYPT_N, _MAX_SCRYPT_R, _MAX_SCRYPT_P = 2 ** 20, 16, 4
_MIN_CHUNK, _MAX_CHUNK = 1 << 10, 1 << 24
_MAX_MANIFEST_BYTES = 1_000_000
_PASSPHRASE_CHECK = b"roubaix-badges-backup: passphrase check"
_V1_KEYS_AAD = b"roubaix-badges-backup: keys v1"


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


def _tar_gz(entries: list[tuple[str, Path]], destination: BinaryIO) -> None:
    """A gzip tar of (name in the archive, file) pairs, owners and modes normalised, written
    as a stream (the destination is the encryption, which cannot seek)."""
    with tarfile.open(fileobj=destination, mode="w|gz") as archive:
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


@contextmanager
def _sealed_member(path: Path, key: bytes, member: str) -> Iterator[BinaryIO]:
    """A file to write a part's plaintext into; `path` receives it encrypted (labelled with
    the member's name, so that one part's chunks cannot pass for another's)."""
    with path.open("xb") as sink, \
            sealing(key, sink, member, chunk_size=CHUNK_SIZE) as plaintext:
        yield plaintext


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
    # The encrypted parts are staged beside the destination (its disk will hold them anyway;
    # a large dump must not fill /tmp), in a private folder.
    with tempfile.TemporaryDirectory(prefix=".issuer-backup-", dir=destination.parent) as work:
        folder = Path(work)
        # The database first, then the keys (module docstring).
        with snapshot_stream(settings.sqlalchemy_url, bin_dir=settings.postgres_bin_dir) \
                as (kind, snapshot), \
                _sealed_member(folder / "database", encryption_key,
                               DATABASE_MEMBERS[kind]) as plaintext:
            shutil.copyfileobj(snapshot, plaintext)
        with _sealed_member(folder / "keys", encryption_key, KEYS_MEMBER) as plaintext:
            _tar_gz([(f"keys/{path.relative_to(keys_dir).as_posix()}", path)
                     for path in key_files], plaintext)
        home_entries = _home_entries(settings)
        with _sealed_member(folder / "files", encryption_key, FILES_MEMBER) as plaintext:
            _tar_gz(home_entries, plaintext)
        members = {DATABASE_MEMBERS[kind]: folder / "database", KEYS_MEMBER: folder / "keys",
                   FILES_MEMBER: folder / "files"}
        manifest: dict[str, Any] = {
            "format": FORMAT, "version": VERSION, "created": created,
            "application": {"name": "roubaix-badges-issuer", "version": _app_version()},
            "database": {"kind": kind, "member": DATABASE_MEMBERS[kind],
                         "schema_revision": list(schema_revision)},
            "keys": {"member": KEYS_MEMBER, "files": len(key_files)},
            "files": {"member": FILES_MEMBER, "paths": [name for name, _path in home_entries]},
            "encryption": {"cipher": "AES-256-GCM", "construction": "STREAM",
                           "chunk_size": CHUNK_SIZE, "members": sorted(members)},
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
        f"Archive refusée : {detail_fr}. Elle a été modifiée, abîmée ou tronquée, ou ce n'est "
        "pas une sauvegarde de cette application ; rien n'a été restauré.",
        f"Archive refused: {detail_en}. It was modified, damaged or cut short, or it is not a "
        "backup of this application; nothing was restored.")


def _damaged_part(member: str, error: StreamDamaged) -> DamagedArchive:
    return _damaged(f"{member} : {error.detail_fr}", f"{member}: {error.detail_en}")


@dataclass
class _OpenedArchive:
    """An archive whose manifest, passphrase, checksums and keys have been checked."""

    manifest: dict[str, Any]
    archive: tarfile.TarFile
    encryption_key: bytes
    chunk_size: int
    members: dict[str, str]  # "database", "keys", "files" -> member name
    keys_tar: bytes          # decrypted

    @property
    def kind(self) -> DatabaseKind:
        return cast(DatabaseKind, self.manifest["database"]["kind"])

    @property
    def version(self) -> int:
        return int(self.manifest["version"])

    @contextmanager
    def plaintext(self, part: str) -> Iterator[BinaryIO]:
        """The clear content of `part` ("database" or "files"), decrypted as it is read
        (version 1: stored in clear). A chunk that fails raises DamagedArchive."""
        member = self.members[part]
        source = self.archive.extractfile(member)
        if source is None:
            raise _damaged(f"élément illisible : {member}", f"unreadable member: {member}")
        try:
            with source:
                if self.version == 1:
                    yield cast(BinaryIO, source)
                else:
                    yield opening(self.encryption_key, source, member,
                                  chunk_size=self.chunk_size)
        except StreamDamaged as error:
            raise _damaged_part(member, error) from None
        except (EOFError, tarfile.ReadError):  # the archive itself changed since its check
            raise _damaged(f"élément tronqué : {member}", f"member cut short: {member}"
                           ) from None


def _read_manifest(archive: tarfile.TarFile) -> dict[str, Any]:
    try:
        info = archive.getmember(MANIFEST)  # reads every member's header: a cut shows here
    except KeyError:
        raise _damaged("pas de manifeste", "no manifest") from None
    except (OSError, EOFError, tarfile.TarError):
        raise _damaged("archive tronquée ou illisible", "archive cut short or unreadable"
                       ) from None
    handle = archive.extractfile(info) if info.isfile() else None
    if handle is None or info.size > _MAX_MANIFEST_BYTES:
        raise _damaged("manifeste illisible", "unreadable manifest")
    try:
        manifest = json.loads(handle.read())
    except (ValueError, UnicodeDecodeError):
        raise _damaged("manifeste illisible", "unreadable manifest") from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise _damaged("format inconnu", "unknown format")
    if manifest.get("version") not in READABLE_VERSIONS:
        readable = ", ".join(str(version) for version in READABLE_VERSIONS)
        raise BackupError(
            f"Version d'archive non prise en charge : {manifest.get('version')!r} (cette "
            f"application lit les versions {readable}).",
            f"Unsupported archive version: {manifest.get('version')!r} (this application reads "
            f"versions {readable}).", code="backup.unsupported_version")
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


def _layout(manifest: dict[str, Any]) -> tuple[dict[str, str], int]:
    """The member name of each part, and the chunk size, checked against the manifest's own
    checksums (whose HMAC has been checked)."""
    kind = manifest.get("database", {}).get("kind")
    if kind not in SNAPSHOT_NAMES:
        raise _damaged("manifeste incomplet", "incomplete manifest")
    if manifest["version"] == 1:
        members = {"database": SNAPSHOT_NAMES[kind], "keys": KEYS_MEMBER,
                   "files": _V1_FILES_MEMBER}
        chunk_size = 0
    else:
        members = {"database": DATABASE_MEMBERS[kind], "keys": KEYS_MEMBER,
                   "files": FILES_MEMBER}
        encryption = manifest.get("encryption")
        size = encryption.get("chunk_size") if isinstance(encryption, dict) else None
        if not isinstance(encryption, dict) or not isinstance(size, int) \
                or not _MIN_CHUNK <= size <= _MAX_CHUNK \
                or encryption.get("construction") != "STREAM" \
                or encryption.get("cipher") != "AES-256-GCM":
            raise _damaged("paramètres de chiffrement inattendus",
                           "unexpected encryption parameters")
        chunk_size = size
    checksums = manifest.get("checksums")
    if not isinstance(checksums, dict) or set(checksums) != set(members.values()) \
            or not all(isinstance(value, dict) for value in checksums.values()):
        raise _damaged("manifeste incomplet", "incomplete manifest")
    return members, chunk_size


def _check_member(archive: tarfile.TarFile, name: str, expected: dict[str, Any]) -> None:
    """The member's SHA-256, computed as it is read from the archive (no copy)."""
    digest = hashlib.sha256()
    try:
        info = archive.getmember(name)
        source = archive.extractfile(info) if info.isfile() else None
        if source is None:
            raise KeyError(name)
        with source:
            for block in iter(lambda: source.read(1 << 20), b""):
                digest.update(block)
    except (KeyError, OSError, EOFError, tarfile.TarError):
        raise _damaged(f"élément manquant, illisible ou tronqué : {name}",
                       f"missing, unreadable or cut member: {name}") from None
    if not hmac.compare_digest(digest.hexdigest(), str(expected.get("sha256"))):
        raise _damaged(f"somme de contrôle différente : {name}", f"checksum mismatch: {name}")


def _decrypt_keys(opened_members: dict[str, str], archive: tarfile.TarFile,
                  manifest: dict[str, Any], encryption_key: bytes, chunk_size: int) -> bytes:
    member = opened_members["keys"]
    source = archive.extractfile(member)
    if source is None:
        raise _damaged(f"élément illisible : {member}", f"unreadable member: {member}")
    with source:
        if manifest["version"] == 1:  # one AES-GCM message, its nonce in the manifest
            try:
                nonce = base64.b64decode(manifest["keys"]["nonce"], validate=True)
                return AESGCM(encryption_key).decrypt(nonce, source.read(), _V1_KEYS_AAD)
            except (InvalidTag, KeyError, TypeError, ValueError):
                raise _damaged("clés indéchiffrables", "keys cannot be decrypted") from None
        try:
            with opening(encryption_key, source, member, chunk_size=chunk_size) as keys:
                return keys.read()
        except StreamDamaged as error:
            raise _damaged_part(member, error) from None


@contextmanager
def open_archive(path: Path, passphrase: str) -> Iterator[_OpenedArchive]:
    """The archive at `path` with its manifest, passphrase, every member's checksum and the
    keys checked; its parts are then decrypted as they are read. Raises before the block on
    any problem found so far."""
    try:
        archive = tarfile.open(path, mode="r:")  # noqa: SIM115 - closed by the `with` below
    except (OSError, EOFError, tarfile.TarError):
        raise _damaged("fichier illisible", "unreadable file") from None
    with archive:
        manifest = _read_manifest(archive)
        encryption_key, _mac_key = _keys_from(manifest, passphrase)
        members, chunk_size = _layout(manifest)
        for name in members.values():
            _check_member(archive, name, manifest["checksums"][name])
        keys_tar = _decrypt_keys(members, archive, manifest, encryption_key, chunk_size)
        yield _OpenedArchive(manifest, archive, encryption_key, chunk_size, members, keys_tar)


# -- restore ----------------------------------------------------------------------------------------
def _unreadable_files() -> DamagedArchive:
    return _damaged("fichiers illisibles", "unreadable files")


def _differs(settings: Settings, opened: _OpenedArchive) -> list[str]:
    """What of this installation a restore would overwrite. Reads the files part whole, so
    every one of its chunks is authenticated before anything is written."""
    found: list[str] = []
    keys_dir = settings.keys_dir
    if keys_dir.is_dir() and any(keys_dir.iterdir()):
        found.append("keys/")
    if not database_is_empty(settings.sqlalchemy_url):
        found.append("database")
    with opened.plaintext("files") as stream:
        try:
            with tarfile.open(fileobj=stream, mode="r|gz") as files:
                for info in files:
                    existing = settings.home / info.name
                    if info.isfile() and existing.exists():
                        handle = files.extractfile(info)
                        if handle is None or existing.read_bytes() != handle.read():
                            found.append(info.name)
        except (EOFError, zlib.error, tarfile.TarError):
            raise _unreadable_files() from None
        read_to_end(stream)
    return found


def _extract(tar: tarfile.TarFile, destination: Path, prefix: str) -> int:
    """Regular files under `prefix` only, from a tar read as a stream (the `data` filter also
    refuses absolute names, `..` and links out of the folder)."""
    count = 0
    for info in tar:
        if info.isfile() and info.name.startswith(prefix):
            tar.extract(info, destination, filter="data")
            os.chmod(destination / info.name, 0o600)
            count += 1
    return count


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
        # The database streams from the archive through the decryption into its place; a
        # chunk that fails leaves the database as it was (storage.snapshots.restore_snapshot).
        with opened.plaintext("database") as snapshot:
            restore_snapshot(settings.sqlalchemy_url, snapshot, opened.kind,
                             bin_dir=settings.postgres_bin_dir, replace=force)
        _restore_keys(settings, opened.keys_tar)
        settings.home.mkdir(parents=True, exist_ok=True)
        with opened.plaintext("files") as stream:
            try:
                with tarfile.open(fileobj=stream, mode="r|gz") as files:
                    _extract(files, settings.home, "")
            except (EOFError, zlib.error, tarfile.TarError):
                raise _unreadable_files() from None
        return opened.manifest


def _restore_keys(settings: Settings, keys_tar: bytes) -> None:
    """The keys folder replaced as a whole: staged next to it, then renamed into place."""
    home = settings.home
    home.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".keys-restoring-", dir=home))
    try:
        with tarfile.open(fileobj=io.BytesIO(keys_tar), mode="r|gz") as tar:
            _extract(tar, staging, "keys/")
        restored = staging / "keys"
        restored.mkdir(mode=0o700, exist_ok=True)
        os.chmod(restored, 0o700)
        if settings.keys_dir.exists():
            shutil.rmtree(settings.keys_dir)
        os.replace(restored, settings.keys_dir)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
