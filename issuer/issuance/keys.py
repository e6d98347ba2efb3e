"""The issuer's signing keys: an Ed25519 key (Data Integrity `eddsa-rdfc-2022`, EdDSA JWT) and
an RSA-2048 key (RS256 VC-JWT, the OB 3.0 baseline, §8.2).

Keys live as PKCS#8 PEM files under `keys/` (mode 0600, folder 0700), encrypted when a
passphrase is given (`ISSUER_KEY_PASSPHRASE`), or come from the environment
(`ISSUER_ED25519_PRIVATE_KEY`, `ISSUER_RSA_PRIVATE_KEY`, PEM text). `keys/keys.json` records when
each key was created and retired: a rotated key stops signing but its public half stays published,
so every credential issued before still verifies.

Each key is in one of three states (issue #14, item 3; docs/DEPLOYMENT.md, "Incident de clé"):
*current* (it signs), *retired* (`retire`, `rotate`: it no longer signs, its public half stays in
the DID document, so what it signed still verifies) and *revoked* (`revoke`: compromised; its
private file is deleted and its public half leaves the DID document, so nothing it signed
verifies any more, but `keys.json` remembers it, with the date and the reason, so that our own
verifier can say "this key was revoked" rather than "key not found"). A key is revoked once:
the state is final. Every change of the key files holds an exclusive lock on `keys/.keys.lock`
(`_exclusive`), so commands run at once, or hosts sharing `keys/`, never lose one another's
change.

Reading is cached (issue #10, item 3): parsing the RSA private key costs tens of milliseconds,
and verifying a badge needs public keys only. `keys.json` records each key's public half
(`public_key`, SubjectPublicKeyInfo PEM), so `public_keys()` never opens a private key file
(entries written before it existed fall back to the private file, once). Both views are kept in
memory and re-read only when `generation()` changes: a `stat` of the folder and of `keys.json`
(inode, size, modification time), which a rotation by another process (`issuer keys rotate`)
always changes, because `keys.json` is replaced by a new file.
"""

from __future__ import annotations

import fcntl
import json
import os
import stat
import threading
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519, rsa
from jwt import PyJWK

from issuer.errors import IssuerError
from issuer.openbadges import jwk

Algorithm = Literal["Ed25519", "RSA"]
ALGORITHMS: tuple[Algorithm, ...] = ("Ed25519", "RSA")
RSA_KEY_SIZE = 2048
METADATA_FILE = "keys.json"
LOCK_FILE = ".keys.lock"
KeyRevocationReason = Literal["compromise", "superseded"]
KEY_REVOCATION_REASONS: dict[str, tuple[str, str]] = {
    # What a holder's e-mail and a verifier's report say of the reason, French then English.
    "compromise": ("la clé de signature a pu être compromise (copiée par un tiers)",
                   "the signing key may have been compromised (copied by someone else)"),
    "superseded": ("la clé de signature n'est plus jugée sûre et a été remplacée",
                   "the signing key is no longer considered safe and was replaced"),
}


class KeyStoreError(IssuerError):
    code = "keys.error"


@dataclass(frozen=True)
class IssuerKey:
    """One key pair. `kid` is the fragment of its DID URL (`did:web:...#<kid>`)."""

    kid: str
    algorithm: Algorithm
    private_key: ed25519.Ed25519PrivateKey | rsa.RSAPrivateKey | None
    public_key: ed25519.Ed25519PublicKey | rsa.RSAPublicKey
    created: datetime
    retired: datetime | None = None
    source: str = "file"
    revoked: datetime | None = None
    revocation_reason: str | None = None

    @property
    def active(self) -> bool:
        return self.current and self.private_key is not None

    @property
    def current(self) -> bool:
        """Neither retired nor revoked: the key that signs (or, read from public material,
        would sign)."""
        return self.retired is None and self.revoked is None

    @property
    def state(self) -> Literal["current", "retired", "revoked"]:
        if self.revoked is not None:
            return "revoked"
        return "current" if self.retired is None else "retired"

    def public_bytes(self) -> bytes:
        """Raw 32 bytes of an Ed25519 public key."""
        if not isinstance(self.public_key, ed25519.Ed25519PublicKey):
            raise TypeError("raw public bytes exist only for Ed25519 keys")
        return self.public_key.public_bytes(serialization.Encoding.Raw,
                                            serialization.PublicFormat.Raw)

    def public_jwk(self) -> dict[str, Any]:
        return jwk.public_jwk(self.public_key)

    def signing_jwk(self) -> PyJWK:
        if self.private_key is None:
            raise KeyStoreError("Clé privée absente.", "Private key missing.", code="keys.no_private_key")
        return PyJWK(jwk.private_jwk(self.private_key))


def thumbprint_kid(algorithm: Algorithm, public_key: Any) -> str:
    """A stable key id from the RFC 7638 thumbprint: the same key always gets the same id."""
    return f"key-{algorithm.lower()}-{jwk.thumbprint(public_key)[:16]}"


def generate_key(algorithm: Algorithm, *, now: datetime | None = None) -> IssuerKey:
    private: ed25519.Ed25519PrivateKey | rsa.RSAPrivateKey
    if algorithm == "Ed25519":
        private = ed25519.Ed25519PrivateKey.generate()
    else:
        private = rsa.generate_private_key(public_exponent=65537, key_size=RSA_KEY_SIZE)
    public = private.public_key()
    return IssuerKey(thumbprint_kid(algorithm, public), algorithm, private, public,
                     (now or datetime.now(UTC)).replace(microsecond=0))


Generation = tuple[tuple[int, int] | None, tuple[int, int, int] | None]


@dataclass
class KeyStore:
    """Keys under one folder, plus keys given by the environment. Thread-safe."""

    directory: Path
    passphrase: bytes | None = None
    environment: Mapping[str, str] = field(default_factory=lambda: dict(os.environ))
    _lock: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False,
                                  compare=False)
    _private: tuple[Generation, list[IssuerKey]] | None = field(
        default=None, init=False, repr=False, compare=False)
    _public: tuple[Generation, list[IssuerKey]] | None = field(
        default=None, init=False, repr=False, compare=False)
    _revoked: tuple[Generation, list[IssuerKey]] | None = field(
        default=None, init=False, repr=False, compare=False)
    _environment_cache: list[IssuerKey] | None = field(
        default=None, init=False, repr=False, compare=False)

    # -- reading --------------------------------------------------------------------------------
    def generation(self) -> Generation:
        """Changes whenever the key files may have: cheap (two `stat` calls), so callers can
        ask on every request and keep whatever they derived from the keys until it changes."""
        return (_stat_of(self.directory, with_size=False),
                _stat_of(self.directory / METADATA_FILE))  # type: ignore[return-value]

    def keys(self) -> list[IssuerKey]:
        """Every known key with its private half, active and retired, oldest first (for
        signing; verification needs only `public_keys()`)."""
        generation = self.generation()
        cached = self._private
        if cached is not None and cached[0] == generation:
            return list(cached[1])
        with self._lock:
            ordered = self._load(self._read_key_file, self._environment_keys())
            self._private = (generation, ordered)
        return list(ordered)

    def _load(self, read: Callable[[Path, dict[str, Any]], IssuerKey],
              extra: list[IssuerKey]) -> list[IssuerKey]:
        """Every key listed in keys.json whose file exists, read by `read`, plus `extra`,
        oldest first."""
        found = [read(self.directory / entry["file"], entry)
                 for entry in self._metadata().get("keys", [])
                 if not entry.get("revoked") and (self.directory / entry["file"]).exists()]
        return sorted([*found, *extra], key=lambda k: k.created)

    def public_keys(self) -> list[IssuerKey]:
        """Every published key (current and retired, not revoked) without its private half,
        oldest first: what DID documents and verification use. Opens no private key file for
        keys whose public half is recorded in `keys.json` (every key created since it is;
        older ones are read once)."""
        generation = self.generation()
        cached = self._public
        if cached is not None and cached[0] == generation:
            return list(cached[1])
        with self._lock:
            ordered = self._load(self._public_key_of,
                                 [without_private(key) for key in self._environment_keys()])
            self._public = (generation, ordered)
        return list(ordered)

    def revoked_keys(self) -> list[IssuerKey]:
        """The revoked keys, public halves only (their private files are gone), oldest first:
        what our own verifier needs to name a revoked key (`proof.key_revoked`)."""
        generation = self.generation()
        cached = self._revoked
        if cached is not None and cached[0] == generation:
            return list(cached[1])
        revoked = sorted((self._public_key_of(self.directory / entry["file"], entry)
                          for entry in self._metadata().get("keys", []) if entry.get("revoked")),
                         key=lambda k: k.created)
        self._revoked = (generation, revoked)
        return list(revoked)

    def all_keys(self) -> list[IssuerKey]:
        """Every key ever known, in every state, public halves only, oldest first (`issuer
        keys list`)."""
        return sorted([*self.public_keys(), *self.revoked_keys()], key=lambda k: k.created)

    def active_key(self, algorithm: Algorithm) -> IssuerKey:
        candidates = [k for k in self.keys() if k.algorithm == algorithm and k.active]
        # A key from the environment wins over files: it is how a deployment injects its secret.
        candidates.sort(key=lambda k: (k.source == "environment", k.created))
        if not candidates:
            raise KeyStoreError(
                f"Aucune clé {algorithm} active : lancez « issuer init ».",
                f"No active {algorithm} key: run `issuer init`.", code="keys.missing")
        return candidates[-1]

    def has_keys(self) -> bool:
        """Whether a current (not retired) key exists; reads public material only."""
        return any(k.current for k in self.public_keys())

    # -- writing --------------------------------------------------------------------------------
    @contextmanager
    def _exclusive(self) -> Iterator[None]:
        """Held while keys.json is read, changed and written: two commands (or two hosts
        sharing `keys/`) changing keys at once would each write their own version, and one
        change would be lost (a key revoked twice over, two replacements)."""
        self._ensure_directory()
        fd = os.open(self.directory / LOCK_FILE, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            os.close(fd)  # releases the lock

    def ensure_keys(self) -> list[IssuerKey]:
        """Create the missing active keys (idempotent). Returns the keys created. Nothing is
        written (not even the folder) when none is missing, e.g. keys from the environment."""

        def missing() -> list[Algorithm]:
            existing = self.keys()
            return [algorithm for algorithm in ALGORITHMS
                    if not any(k.algorithm == algorithm and k.active for k in existing)]

        if not missing():
            return []
        with self._exclusive():
            return [self._add(generate_key(algorithm)) for algorithm in missing()]

    def rotate(self, algorithms: tuple[Algorithm, ...] = ALGORITHMS) -> list[IssuerKey]:
        """Retire the active file keys of these algorithms and create new ones."""
        with self._exclusive():
            now = datetime.now(UTC).replace(microsecond=0)
            metadata = self._metadata()
            for entry in metadata.get("keys", []):
                if entry["algorithm"] in algorithms and not entry.get("retired"):
                    entry["retired"] = now.isoformat()
            self._write_metadata(metadata)
            return [self._add(generate_key(algorithm, now=now)) for algorithm in algorithms]

    def retire(self, kid: str) -> list[IssuerKey]:
        """Stop signing with `kid`, keeping its public half published (what it signed still
        verifies). When it was the current key of its algorithm, a new one is created, so the
        issuer can still sign. Returns the keys created. Retiring a retired key does nothing."""
        with self._exclusive():
            metadata = self._metadata()
            entry = self._entry(metadata, kid)
            if entry.get("revoked"):
                raise KeyStoreError(f"La clé {kid} est révoquée : elle ne signe déjà plus.",
                                    f"Key {kid} is revoked: it already no longer signs.",
                                    code="keys.already_revoked")
            if entry.get("retired"):
                return []
            entry["retired"] = _now().isoformat()
            self._write_metadata(metadata)
            return self._replace_if_needed(entry["algorithm"])

    def revoke(self, kid: str, reason: KeyRevocationReason) -> KeyRevocation:
        """Revoke `kid` (final): it leaves the DID document, its private file is deleted (a
        compromised key must never sign again), and `keys.json` keeps its public half, the
        date and the reason. When no current key of its algorithm remains, a new one is
        created (the issuer must be able to re-issue what `kid` signed).

        Idempotent: revoking a revoked key changes nothing but still creates a missing
        replacement (a run interrupted between the two steps finishes)."""
        if reason not in KEY_REVOCATION_REASONS:
            known = ", ".join(KEY_REVOCATION_REASONS)
            raise KeyStoreError(f"Motif inconnu : « {reason} » (motifs : {known}).",
                                f"Unknown reason: '{reason}' (reasons: {known}).",
                                code="keys.bad_reason")
        with self._exclusive():
            metadata = self._metadata()
            entry = self._entry(metadata, kid)
            already = bool(entry.get("revoked"))
            if not already:
                now = _now().isoformat()
                entry["retired"] = entry.get("retired") or now
                entry["revoked"] = now
                entry["revocation_reason"] = reason
                if not isinstance(entry.get("public_key"), str):
                    # Remembered without its file: record the public half before deleting it.
                    entry["public_key"] = _public_pem(
                        self._read_key_file(self.directory / entry["file"], entry).public_key)
                self._write_metadata(metadata)
            (self.directory / entry["file"]).unlink(missing_ok=True)
            created = self._replace_if_needed(entry["algorithm"])
        revoked = next(k for k in self.revoked_keys() if k.kid == kid)
        return KeyRevocation(revoked, tuple(created), already)

    def _entry(self, metadata: dict[str, Any], kid: str) -> dict[str, Any]:
        for entry in metadata.get("keys", []):
            if entry.get("kid") == kid:
                found: dict[str, Any] = entry
                return found
        if any(key.kid == kid for key in self._environment_keys()):
            raise KeyStoreError(
                f"La clé {kid} vient de l'environnement (ISSUER_*_PRIVATE_KEY) : retirez-la de "
                "l'environnement et redémarrez ; « issuer keys rotate » crée alors une clé.",
                f"Key {kid} comes from the environment (ISSUER_*_PRIVATE_KEY): remove it from "
                "the environment and restart; `issuer keys rotate` then creates a key.",
                code="keys.from_environment")
        raise KeyStoreError(f"Aucune clé « {kid} » : voyez « issuer keys list ».",
                            f"No key '{kid}': see `issuer keys list`.", code="keys.unknown")

    def _replace_if_needed(self, algorithm: Algorithm) -> list[IssuerKey]:
        if any(k.algorithm == algorithm and k.current for k in self.public_keys()):
            return []
        return [self._add(generate_key(algorithm))]

    def _add(self, key: IssuerKey) -> IssuerKey:
        self._ensure_directory()
        file_name = f"{key.kid}.pem"
        path = self.directory / file_name
        encryption: serialization.KeySerializationEncryption = (
            serialization.BestAvailableEncryption(self.passphrase) if self.passphrase
            else serialization.NoEncryption())
        assert key.private_key is not None
        pem = key.private_key.private_bytes(serialization.Encoding.PEM,
                                            serialization.PrivateFormat.PKCS8, encryption)
        # Create with 0600 from the start: the key is never readable by others, even briefly.
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as handle:
            handle.write(pem)
        metadata = self._metadata()
        metadata.setdefault("keys", []).append({
            "kid": key.kid, "algorithm": key.algorithm, "file": file_name,
            "created": key.created.isoformat(), "retired": None,
            "encrypted": bool(self.passphrase), "public_key": _public_pem(key.public_key)})
        self._write_metadata(metadata)
        return key

    # -- files ----------------------------------------------------------------------------------
    def _ensure_directory(self) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        os.chmod(self.directory, 0o700)

    def _metadata(self) -> dict[str, Any]:
        path = self.directory / METADATA_FILE
        if not path.exists():
            return {"keys": []}
        try:
            data: dict[str, Any] = json.loads(path.read_text("utf-8"))
        except (OSError, ValueError) as error:
            raise KeyStoreError(f"Fichier {path} illisible : {error}",
                            f"Cannot read {path}: {error}", code="keys.bad_metadata") from error
        return data

    def _write_metadata(self, metadata: dict[str, Any]) -> None:
        self._ensure_directory()
        path = self.directory / METADATA_FILE
        temporary = path.with_suffix(".tmp")
        temporary.write_text(json.dumps(metadata, indent=2) + "\n", "utf-8")
        os.chmod(temporary, 0o600)
        temporary.replace(path)

    def _read_key_file(self, path: Path, entry: dict[str, Any]) -> IssuerKey:
        mode = stat.S_IMODE(path.stat().st_mode)
        if mode & 0o077:
            raise KeyStoreError(
                f"La clé {path} est lisible par d'autres utilisateurs (mode {mode:o}) : "
                f"faites « chmod 600 {path} ».",
                f"Key file {path} is readable by others (mode {mode:o}): run `chmod 600 {path}`.",
                code="keys.unsafe_permissions")
        key = self._load_pem(path.read_bytes(), str(path))
        recorded = entry.get("public_key")
        if recorded is not None and recorded != _public_pem(key.public_key()):
            # Publishing one key and signing with another would make every new badge fail.
            raise KeyStoreError(
                f"La clé {path} ne correspond pas à la clé publique inscrite dans "
                f"{METADATA_FILE}.",
                f"Key {path} does not match the public key recorded in {METADATA_FILE}.",
                code="keys.mismatch")
        created = datetime.fromisoformat(entry["created"])
        retired = datetime.fromisoformat(entry["retired"]) if entry.get("retired") else None
        algorithm: Algorithm = entry["algorithm"]
        return IssuerKey(entry["kid"], algorithm, key, key.public_key(), created, retired)

    def _public_key_of(self, path: Path, entry: dict[str, Any]) -> IssuerKey:
        recorded = entry.get("public_key")
        if not isinstance(recorded, str):
            # An entry written before public halves were recorded: read its file, once.
            return without_private(self._read_key_file(path, entry))
        try:
            public = serialization.load_pem_public_key(recorded.encode("ascii"))
        except (ValueError, UnicodeError) as error:
            raise KeyStoreError(f"Clé publique de {entry.get('kid')} illisible dans {METADATA_FILE}.",
                                f"Unreadable public key of {entry.get('kid')} in {METADATA_FILE}.",
                                code="keys.bad_metadata") from error
        if not isinstance(public, ed25519.Ed25519PublicKey | rsa.RSAPublicKey):
            raise KeyStoreError(f"Type de clé non pris en charge pour {entry.get('kid')}.",
                                f"Unsupported key type for {entry.get('kid')}.",
                                code="keys.unsupported")
        created = datetime.fromisoformat(entry["created"])
        retired = datetime.fromisoformat(entry["retired"]) if entry.get("retired") else None
        revoked = datetime.fromisoformat(entry["revoked"]) if entry.get("revoked") else None
        algorithm: Algorithm = entry["algorithm"]
        return IssuerKey(entry["kid"], algorithm, None, public, created, retired,
                         revoked=revoked, revocation_reason=entry.get("revocation_reason"))

    def _load_pem(self, pem: bytes, origin: str) -> ed25519.Ed25519PrivateKey | rsa.RSAPrivateKey:
        try:
            key = serialization.load_pem_private_key(pem, password=self.passphrase)
        except TypeError as error:  # encrypted without a passphrase, or the reverse
            if self.passphrase is None:
                raise KeyStoreError(
                    f"La clé {origin} est chiffrée : définissez ISSUER_KEY_PASSPHRASE.",
                    f"Key {origin} is encrypted: set ISSUER_KEY_PASSPHRASE.",
                    code="keys.passphrase_required") from error
            # A passphrase that protects nothing would give a false sense of safety: say so.
            raise KeyStoreError(
                f"La clé {origin} n'est pas chiffrée alors que ISSUER_KEY_PASSPHRASE est défini : "
                "retirez la phrase secrète ou chiffrez la clé.",
                f"Key {origin} is not encrypted although ISSUER_KEY_PASSPHRASE is set: unset the "
                "passphrase or encrypt the key.", code="keys.not_encrypted") from error
        except ValueError as error:
            raise KeyStoreError(f"Clé {origin} illisible (phrase secrète erronée ?).",
                            f"Cannot read key {origin} (wrong passphrase?).",
                            code="keys.unreadable") from error
        if not isinstance(key, ed25519.Ed25519PrivateKey | rsa.RSAPrivateKey):
            raise KeyStoreError(f"Type de clé non pris en charge dans {origin}.",
                            f"Unsupported key type in {origin}.", code="keys.unsupported")
        return key

    def _environment_keys(self) -> list[IssuerKey]:
        # The environment does not change under a running process: parsed once.
        if self._environment_cache is None:
            self._environment_cache = self._read_environment_keys()
        return list(self._environment_cache)

    def _read_environment_keys(self) -> list[IssuerKey]:
        keys = []
        for variable, algorithm in (("ISSUER_ED25519_PRIVATE_KEY", "Ed25519"),
                                    ("ISSUER_RSA_PRIVATE_KEY", "RSA")):
            pem = self.environment.get(variable)
            if not pem:
                continue
            private = self._load_pem(pem.encode("utf-8"), variable)
            public = private.public_key()
            keys.append(IssuerKey(thumbprint_kid(algorithm, public), algorithm,  # type: ignore[arg-type]
                                  private, public, datetime.now(UTC).replace(microsecond=0),
                                  source="environment"))
        return keys


@dataclass(frozen=True)
class KeyRevocation:
    """What `KeyStore.revoke` did: the key as now remembered, the keys created to replace
    it, and whether it had been revoked before (a re-run)."""

    key: IssuerKey
    created: tuple[IssuerKey, ...]
    already_revoked: bool


def _now() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


def without_private(key: IssuerKey) -> IssuerKey:
    return replace(key, private_key=None)


def _public_pem(public_key: Any) -> str:
    pem: bytes = public_key.public_bytes(serialization.Encoding.PEM,
                                         serialization.PublicFormat.SubjectPublicKeyInfo)
    return pem.decode("ascii")


def _stat_of(path: Path, *, with_size: bool = True) -> tuple[int, ...] | None:
    try:
        found = path.stat()
    except OSError:
        return None
    if with_size:
        return (found.st_ino, found.st_size, found.st_mtime_ns)
    return (found.st_ino, found.st_mtime_ns)
