"""Keys change under a running service, from another process (issue 14 item 3).

`issuer serve` runs as its own process (uvicorn on a loopback port); `issuer keys rotate`,
`issuer issue` and `issuer keys revoke` run as other processes on the same ISSUER_HOME, as an
operator would run them. Without a restart, the service then serves the new DID document at
`/.well-known/did.json` (where did:web resolves), its status lists signed with the current key,
and its verification API (`POST /api/v1/verify`) verifies a badge signed after the change and
names a revoked key for a badge signed before (`proof.key_revoked`, VERIFICATION.md R21).
Every request is made once before the change too, so that each cache between the key files
and the answers (DID document, own-verification cache, page cache, status list cache) holds
the old state when the keys change.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from issuer.issuance.service import IssuerService
from issuer.settings import Settings

BADGE = "mediateur-numerique"


def issuer_command() -> list[str]:
    found = shutil.which("issuer", path=str(Path(sys.executable).parent))
    return [found] if found else [sys.executable, "-m", "issuer.cli"]


def environment(home: Path, base_url: str) -> dict[str, str]:
    kept = {name: value for name, value in os.environ.items()
            if not name.startswith(("ISSUER_", "LC_")) and name not in ("LANG", "DATABASE_URL")}
    return {**kept, "ISSUER_HOME": str(home), "ISSUER_BASE_URL": base_url,
            "ISSUER_LANG": "en", "PYTHONIOENCODING": "utf-8"}


@dataclass
class Installation:
    home: Path
    base_url: str
    http: httpx.Client

    def run(self, *args: str) -> str:
        """`issuer ARGS` in its own process; its standard output."""
        done = subprocess.run([*issuer_command(), *args], capture_output=True, text=True,
                              encoding="utf-8", env=environment(self.home, self.base_url),
                              timeout=120, check=False)
        assert done.returncode == 0, done.stderr
        return done.stdout

    def issue(self, email: str) -> str:
        out = self.home / "out"
        printed = self.run("issue", "--badge", BADGE, "--email", email, "--name", "Camille Test",
                           "--out", str(out))
        return printed.strip().rsplit("/", 1)[-1]

    def did_document(self) -> dict[str, Any]:
        response = self.http.get("/.well-known/did.json")
        assert response.status_code == 200
        document: dict[str, Any] = response.json()
        return document

    def key_ids(self) -> set[str]:
        return {method["id"].rsplit("#", 1)[1]
                for method in self.did_document()["verificationMethod"]}

    def credential(self, credential_id: str) -> str:
        response = self.http.get(f"/credentials/{credential_id}/credential.json")
        assert response.status_code == 200
        return response.text

    def verify(self, credential_id: str) -> dict[str, Any]:
        response = self.http.post("/api/v1/verify", content=self.credential(credential_id),
                                  headers={"content-type": "application/json"})
        assert response.status_code == 200, response.text
        report: dict[str, Any] = response.json()
        return report

    def status_list_method(self) -> str:
        response = self.http.get("/status/1/revocation")
        assert response.status_code == 200
        method: str = response.json()["proof"][0]["verificationMethod"]
        return method

    def service(self) -> IssuerService:
        """The installation read from this test's process (a third process)."""
        return IssuerService(Settings.load(home=self.home, base_url=self.base_url))


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@pytest.fixture
def installation(tmp_path: Path) -> Iterator[Installation]:
    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    home = tmp_path / "home"
    with httpx.Client(base_url=base_url, timeout=30, trust_env=False) as http:
        setup = Installation(home, base_url, http)
        setup.run("init")
        server = subprocess.Popen(
            [*issuer_command(), "serve", "--host", "127.0.0.1", "--port", str(port)],
            env=environment(home, base_url), stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE)
        try:
            deadline = time.monotonic() + 60
            while True:
                try:
                    if http.get("/").status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                if server.poll() is not None or time.monotonic() > deadline:
                    raise AssertionError(f"issuer serve did not start: {server.stderr!r}")
                time.sleep(0.1)
            yield setup
        finally:
            server.terminate()
            try:
                server.wait(timeout=20)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()


def check(report: dict[str, Any], name: str) -> dict[str, Any]:
    found: dict[str, Any] = next(c for c in report["checks"] if c["name"] == name)
    return found


def proof_kid(credential_text: str) -> str:
    method: str = json.loads(credential_text)["proof"][0]["verificationMethod"]
    return method.rsplit("#", 1)[1]


def test_a_rotation_and_a_revocation_by_other_processes_are_served_at_once(
        installation: Installation) -> None:
    site = installation
    before = site.issue("avant.rotation@example.org")
    first_keys = site.key_ids()
    old_kid = proof_kid(site.credential(before))
    assert old_kid in first_keys
    # Every cache holds the state before the rotation.
    assert site.verify(before)["verdict"] == "valid"
    page_before = site.http.get(f"/credentials/{before}").text
    assert site.status_list_method().endswith(f"#{old_kid}")

    site.run("keys", "rotate")  # another process

    rotated_keys = site.key_ids()
    assert first_keys < rotated_keys and len(rotated_keys) == 4  # retired keys stay published
    after = site.issue("apres.rotation@example.org")
    new_kid = proof_kid(site.credential(after))
    assert new_kid in rotated_keys - first_keys
    assert site.verify(after)["verdict"] == "valid"
    assert site.verify(before)["verdict"] == "valid"  # signed by a retired key: still valid
    assert site.status_list_method().endswith(f"#{new_kid}")  # signed again at once

    printed = site.run("keys", "revoke", old_kid, "--reason", "compromise")
    assert "Badges issued again: 1" in printed

    assert old_kid not in site.key_ids()
    old_report = site.verify(before)
    assert old_report["verdict"] == "invalid"
    assert check(old_report, "proof")["code"] == "proof.key_revoked"
    assert check(old_report, "issuer_key")["code"] == "issuer_key.revoked"
    # The badge page (page cache, own-verification cache) says it at once, in French first.
    page = site.http.get(f"/credentials/{before}").text
    assert page != page_before
    assert "a été révoquée par l'émetteur" in page.replace("&#39;", "'")
    with site.service().database.session(read_only=True) as session:
        from issuer.storage.models import IssuedCredential

        successor = session.get(IssuedCredential, before)
        assert successor is not None and successor.superseded_by is not None
        reissued = successor.superseded_by
    assert proof_kid(site.credential(reissued)) == new_kid
    assert site.verify(reissued)["verdict"] == "valid"
    assert site.verify(after)["verdict"] == "valid"
    assert site.status_list_method().endswith(f"#{new_kid}")
