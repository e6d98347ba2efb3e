"""Never fetch what a stranger names (issue 9, item 4; VERIFICATION.md R17).

A logging HTTP server on loopback records every request. Loopback is allowed for these tests
only (`allow_loopback=True`, `issuer verify --allow-loopback`), through the same context the
service builds (`verification_context_for`). A hostile credential naming documents on that
server (status list, schema, issuer profile, images, a verification method) must cause no
request at all, except the issuer's own DID document when the issuer is a did:web there; a
genuine credential causes the DID document, then the status list.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import quote

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import ed25519

from issuer.issuance.catalogue import load_catalogue
from issuer.issuance.service import IssuerService
from issuer.issuance.verification_context import verification_context_for
from issuer.openbadges.credential import (
    CITY_TIMEZONE,
    Award,
    IssuerProfile,
    Recipient,
    build_credential,
)
from issuer.openbadges.did import build_did_document, did_key_for_ed25519
from issuer.openbadges.dids.key_encodings import ed25519_multibase
from issuer.openbadges.proofs.data_integrity import sign_document
from issuer.openbadges.proofs.vc_jwt import jwt_claims
from issuer.openbadges.status_list import (
    StatusBitstring,
    build_status_list_credential,
    status_list_entry,
)
from issuer.openbadges.verification import VerificationReport, verify
from issuer.settings import Settings
from tests.test_cli import Issuer

NOW = datetime(2026, 1, 15, 10, 0, tzinfo=UTC)
DID_PATH = "/.well-known/did.json"
STATUS_PATH = "/status/1/revocation"


@dataclass
class LoggingServer:
    """Serves `documents` (path -> JSON) and records the path of every request it gets."""

    server: ThreadingHTTPServer
    documents: dict[str, Any] = field(default_factory=dict)
    requests: list[str] = field(default_factory=list)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_port}"

    @property
    def did(self) -> str:
        return f"did:web:127.0.0.1{quote(f':{self.server.server_port}', safe='')}"


@pytest.fixture
def server() -> Iterator[LoggingServer]:
    logging_server: LoggingServer

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            logging_server.requests.append(self.path)
            document = logging_server.documents.get(self.path)
            if document is None:
                self.send_error(404)
                return
            body = document if isinstance(document, bytes) else json.dumps(document).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: Any) -> None:
            pass

    http_server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    logging_server = LoggingServer(http_server)
    thread = threading.Thread(target=http_server.serve_forever, daemon=True)
    thread.start()
    try:
        yield logging_server
    finally:
        http_server.shutdown()
        http_server.server_close()


@pytest.fixture
def service(tmp_path: Path) -> IssuerService:
    """An employer's service: no keys of its own, so nothing is known locally."""
    return IssuerService(Settings(home=tmp_path / "employer",
                                  base_url="https://badges.employer.example"))


def _context(service: IssuerService) -> Any:
    context = verification_context_for(service, allow_loopback=True)
    context.now = NOW
    return context


KEY = ed25519.Ed25519PrivateKey.generate()
OTHER_KEY = ed25519.Ed25519PrivateKey.generate()


def _badge(server: LoggingServer, issuer_id: str) -> dict[str, Any]:
    """An unsigned badge whose every address points at the logging server."""
    badge = load_catalogue().badge("membre-cln")
    award = Award(valid_from=datetime(2025, 6, 13, tzinfo=CITY_TIMEZONE),
                  valid_until=datetime(2027, 6, 12, 23, 59, tzinfo=CITY_TIMEZONE),
                  role=badge.role("conseiller"), sector="Nord",
                  activity_start=date(2025, 6, 13), activity_end=date(2027, 6, 12))
    recipient = Recipient(subject_id="urn:uuid:4f5b0c1e-3c57-4a53-9d7e-0c8f1b6a2d11",
                          email="camille.durand@example.org", salt="5f1c0e9a2b7d4c3e",
                          display_name="Camille Durand", show_name=True)
    profile = IssuerProfile(id=issuer_id, name="Ville de Roubaix", url=f"{server.base_url}/home",
                            email="contact@example.org", description="Profil",
                            street_address="1 rue", postal_code="59100", locality="Roubaix",
                            image_url=f"{server.base_url}/logo.png")
    credential = build_credential(
        credential_id="0b7e4c2a-51f3-4d8e-9a6b-3f2d1c0e9b8a", base_url=server.base_url,
        issuer=profile, badge=badge, recipient=recipient, award=award,
        status=status_list_entry(f"{server.base_url}{STATUS_PATH}", 7, "revocation"))
    for schema in credential.get("credentialSchema", []):
        schema["id"] = f"{server.base_url}/schema.json"
    return credential


def _signed(document: dict[str, Any], key: ed25519.Ed25519PrivateKey,
            method: str) -> dict[str, Any]:
    return sign_document(document, key, method, created=datetime(2025, 6, 13, tzinfo=UTC))


def _publish_issuer(server: LoggingServer) -> None:
    """The issuer did:web document and its signed status list, on the logging server."""
    public = KEY.public_key().public_bytes_raw()
    server.documents[DID_PATH] = build_did_document(server.did, ed25519_keys=[("key-1", public)],
                                                    rsa_keys=[])
    status_url = f"{server.base_url}{STATUS_PATH}"
    status_list = build_status_list_credential(
        url=status_url, issuer=server.did, purpose="revocation", bitstring=StatusBitstring(),
        valid_from=datetime(2025, 1, 1, tzinfo=UTC))
    server.documents[STATUS_PATH] = _signed(status_list, KEY, f"{server.did}#key-1")
    for path in ("/schema.json", "/home", "/logo.png", "/issuer", "/key"):
        server.documents[path] = {"id": f"{server.base_url}{path}"}


def _outcomes(report: VerificationReport) -> dict[str, tuple[str, str]]:
    return {check.name: (check.outcome, check.code) for check in report.checks}


# --- the service's context --------------------------------------------------------------------

def test_genuine_credential_fetches_the_did_document_then_the_status_list(server, service):
    _publish_issuer(server)
    credential = _signed(_badge(server, server.did), KEY, f"{server.did}#key-1")
    report = verify(credential, _context(service))
    assert report.verdict == "valid", _outcomes(report)
    assert server.requests[:2] == [DID_PATH, STATUS_PATH]
    assert set(server.requests) == {DID_PATH, STATUS_PATH}  # the list's key: the same document


def test_forged_did_web_credential_fetches_only_the_issuers_did_document(server, service):
    _publish_issuer(server)
    forged = _signed(_badge(server, server.did), OTHER_KEY, f"{server.did}#key-1")
    report = verify(forged, _context(service))
    assert _outcomes(report)["proof"] == ("failed", "proof.signature_mismatch")
    assert server.requests == [DID_PATH]


def test_key_named_by_a_web_address_under_the_issuer_fetches_nothing(server, service):
    # The signature verifies with the key in the fragment, but nothing ties that key to the
    # issuer ("unknown"): the status list is not fetched, and the report says so.
    _publish_issuer(server)
    issuer_id = f"{server.base_url}/issuer"
    multikey = ed25519_multibase(OTHER_KEY.public_key().public_bytes_raw())
    credential = _signed(_badge(server, issuer_id), OTHER_KEY, f"{issuer_id}#{multikey}")
    report = verify(credential, _context(service))
    assert _outcomes(report)["proof"] == ("passed", "proof.ok")
    assert _outcomes(report)["issuer_key"] == ("unknown", "issuer_key.unverifiable")
    assert _outcomes(report)["status"] == ("unknown", "status.not_fetched")
    assert report.verdict == "indeterminate"
    assert server.requests == []


@pytest.mark.parametrize("method", ["did_web_elsewhere", "did_web_same_host", "web_address"])
def test_key_of_another_owner_on_the_server_is_never_fetched(server, service, method):
    _publish_issuer(server)
    issuer_did = did_key_for_ed25519(KEY.public_key().public_bytes_raw())
    methods = {"did_web_elsewhere": f"{server.did}#key-1",
               "did_web_same_host": f"{server.did}:people:mallory#key-1",
               "web_address": f"{server.base_url}/key#key-1"}
    forged = _signed(_badge(server, issuer_did), KEY, methods[method])
    report = verify(forged, _context(service))
    assert report.verdict == "invalid"
    assert _outcomes(report)["issuer_key"][0] == "failed"
    assert _outcomes(report)["status"] == ("skipped", "status.not_checked")
    assert server.requests == []


def test_jwt_naming_keys_on_the_server_fetches_nothing(server, service):
    _publish_issuer(server)
    issuer_did = did_key_for_ed25519(KEY.public_key().public_bytes_raw())
    claims = jwt_claims(_badge(server, issuer_did))
    for header in ({"kid": f"{server.did}#key-1"},
                   {"kid": f"{issuer_did}#{issuer_did[8:]}", "jku": f"{server.base_url}/key",
                    "x5u": f"{server.base_url}/key"}):
        token = jwt.PyJWS().encode(json.dumps(claims).encode(), OTHER_KEY, algorithm="EdDSA",
                                   headers={"typ": "JWT", **header})
        report = verify(token, _context(service))
        assert report.verdict == "invalid", _outcomes(report)
    assert server.requests == []


# --- the command line -------------------------------------------------------------------------

def test_cli_refuses_a_loopback_address_without_the_option(server, tmp_path):
    _publish_issuer(server)
    server.documents["/badge.json"] = _signed(_badge(server, server.did), KEY,
                                              f"{server.did}#key-1")
    employer = Issuer(tmp_path / "employer")
    refused = employer("verify", f"{server.base_url}/badge.json")
    assert refused.exit_code == 2
    assert "Adresse refusée" in refused.stderr
    assert "--allow-loopback" in refused.stderr
    assert server.requests == []


def test_cli_with_the_option_fetches_the_badge_then_what_its_issuer_publishes(server, tmp_path):
    _publish_issuer(server)
    server.documents["/badge.json"] = _signed(_badge(server, server.did), KEY,
                                              f"{server.did}#key-1")
    employer = Issuer(tmp_path / "employer")
    result = employer("verify", "--allow-loopback", "--json", f"{server.base_url}/badge.json")
    report = json.loads(result.stdout)
    checks = {check["name"]: check["code"] for check in report["checks"]}
    assert (checks["proof"], checks["issuer_key"], checks["status"]) == (
        "proof.ok", "issuer_key.ok", "status.ok")
    assert server.requests[:3] == ["/badge.json", DID_PATH, STATUS_PATH]


def test_cli_with_the_option_still_fetches_nothing_a_forged_badge_names(server, tmp_path):
    _publish_issuer(server)
    issuer_did = did_key_for_ed25519(KEY.public_key().public_bytes_raw())
    server.documents["/forged.json"] = _signed(_badge(server, issuer_did), KEY,
                                               f"{server.did}:people:mallory#key-1")
    employer = Issuer(tmp_path / "employer")
    result = employer("verify", "--allow-loopback", f"{server.base_url}/forged.json")
    assert result.exit_code == 1
    assert server.requests == ["/forged.json"]
