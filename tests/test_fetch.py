"""Bounded fetching against real servers on 127.0.0.1 (plain and TLS). Every refusal of a
non-loopback target is checked with a transport that fails the test if it is ever used:
no test sends traffic outside loopback, and none asks the system resolver about a name."""

from __future__ import annotations

import contextlib
import datetime
import ipaddress
import json
import ssl
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from issuer.openbadges.did import DidResolver, build_did_document, did_web_from_url
from issuer.openbadges.dids.errors import DidError
from issuer.openbadges.dids.key_encodings import ed25519_from_multibase
from issuer.openbadges.fetch import Fetcher, FetchError, address_allowed, is_loopback

VECTORS = Path(__file__).parent / "fixtures" / "test-vectors" / "w3c-vc-di-eddsa"
PUBLIC_KEY = ed25519_from_multibase(json.loads((VECTORS / "keyPair.json").read_text())
                                    ["publicKeyMultibase"])
FIVE_MB = 5 * 1024 * 1024


def _did_document(did: str) -> dict:
    return build_did_document(did, ed25519_keys=[("key-1", PUBLIC_KEY)], rsa_keys=[])


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def log_message(self, *args: Any) -> None:
        pass

    def _send(self, status: int, body: bytes, headers: dict[str, str] | None = None) -> None:
        self.send_response(status)
        for name, value in {"Content-Length": str(len(body)), **(headers or {})}.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:
        self.server.requests.append({"path": self.path, "headers": dict(self.headers)})
        path, _, query = self.path.partition("?")
        # The fetcher hangs up on purpose (too large, too slow).
        with contextlib.suppress(BrokenPipeError, ConnectionResetError, ssl.SSLError):
            self._route(path, query)

    def _route(self, path: str, query: str) -> None:
        if path == "/.well-known/did.json":
            self._send(200, json.dumps(_did_document(self.server.did)).encode(),
                       {"Content-Type": "application/did+json"})
        elif path == "/echo":
            self._send(200, json.dumps(dict(self.headers)).encode(),
                       {"Content-Type": "application/json"})
        elif path == "/redirect":
            self._send(302, b"", {"Location": query})
        elif path == "/set-cookie":
            self._send(302, b"", {"Location": "/echo", "Set-Cookie": "session=secret; Path=/"})
        elif path == "/loop":
            self._send(302, b"", {"Location": "/loop"})
        elif path == "/cached":  # two Cache-Control lines, as a host may send
            self.send_response(200)
            for name, value in (("Content-Length", "2"), ("Content-Type", "application/json"),
                                ("Cache-Control", "public"), ("Cache-Control", "max-age=60")):
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(b"{}")
        elif path == "/not-json":
            self._send(200, b"<html>hello</html>", {"Content-Type": "text/html"})
        elif path == "/gzip":
            self._send(200, b"\x1f\x8b not really", {"Content-Encoding": "gzip"})
        elif path == "/huge-declared":
            self.send_response(200)
            self.send_header("Content-Length", str(FIVE_MB))
            self.end_headers()
            self.wfile.write(b" " * FIVE_MB)
        elif path == "/huge-streamed":
            # HTTP/1.0 style: no Content-Length, the body ends when the connection closes.
            self.send_response(200)
            self.send_header("Connection", "close")
            self.end_headers()
            for _ in range(FIVE_MB // 65536):
                self.wfile.write(b" " * 65536)
        elif path == "/slow":
            time.sleep(2.0)
            self._send(200, b"{}")
        elif path == "/trickle":
            self.send_response(200)
            self.send_header("Content-Length", "1000")
            self.end_headers()
            for _ in range(1000):
                self.wfile.write(b" ")
                self.wfile.flush()
                time.sleep(0.05)
        else:
            self._send(404, b"not found")


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    did: str
    requests: list[dict]


@dataclass
class LoopbackServer:
    server: _Server
    base_url: str
    requests: list[dict] = field(default_factory=list)

    @property
    def port(self) -> int:
        return self.server.server_address[1]


def _serve(tls: ssl.SSLContext | None = None,
           did_host: str | None = None) -> Iterator[LoopbackServer]:
    server = _Server(("127.0.0.1", 0), _Handler)
    port = server.server_address[1]
    if tls is not None:
        server.socket = tls.wrap_socket(server.socket, server_side=True)
    scheme = "https" if tls else "http"
    host = did_host or "127.0.0.1"
    server.did = did_web_from_url(f"{scheme}://{host}:{port}")
    server.requests = []
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield LoopbackServer(server, f"{scheme}://127.0.0.1:{port}", server.requests)
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture(scope="module")
def loopback() -> Iterator[LoopbackServer]:
    yield from _serve()


def _never_connect(request: httpx.Request) -> httpx.Response:
    pytest.fail(f"the fetcher connected to {request.url}")


def _never_resolve(host: str, port: int) -> list[str]:
    pytest.fail(f"the fetcher resolved {host}")


def _offline_fetcher(**options: Any) -> Fetcher:
    return Fetcher(transport=httpx.MockTransport(_never_connect), resolver=_never_resolve,
                   **options)


def _refusal(fetcher: Fetcher, url: str) -> FetchError:
    with pytest.raises(FetchError) as refused:
        fetcher.get_bytes(url)
    return refused.value


# -- the happy path ----------------------------------------------------------------------

def test_did_web_resolves_from_a_loopback_server(loopback: LoopbackServer) -> None:
    did = loopback.server.did
    assert did == f"did:web:127.0.0.1%3A{loopback.port}"
    resolver = DidResolver(Fetcher(allow_loopback=True))
    key = resolver.resolve_key(f"{did}#key-1", controller=did)
    assert key.key_type == "Ed25519"
    assert key.public_key.public_bytes_raw() == PUBLIC_KEY
    assert loopback.requests[-1]["headers"]["Accept"].startswith("application/did+json")


def test_missing_did_document_is_not_found(loopback: LoopbackServer) -> None:
    resolver = DidResolver(Fetcher(allow_loopback=True))
    with pytest.raises(DidError) as refused:
        resolver.resolve(f"did:web:127.0.0.1%3A{loopback.port}:nobody")
    assert refused.value.code == "did.not_found"


def test_relative_redirect_within_loopback_is_followed(loopback: LoopbackServer) -> None:
    body = Fetcher(allow_loopback=True).get_json(f"{loopback.base_url}/redirect?/echo")
    assert body["Host"] == f"127.0.0.1:{loopback.port}"


def test_cookies_and_credentials_are_never_sent(loopback: LoopbackServer) -> None:
    echoed = Fetcher(allow_loopback=True).get_json(f"{loopback.base_url}/set-cookie")
    assert "Cookie" not in echoed and "Authorization" not in echoed
    assert echoed["Accept-Encoding"] == "identity"


def test_connection_goes_to_the_checked_address_under_the_asked_name(
        loopback: LoopbackServer) -> None:
    fetcher = Fetcher(allow_loopback=True, resolver=lambda host, port: ["127.0.0.1"])
    echoed = fetcher.get_json(f"http://badges.test:{loopback.port}/echo")
    assert echoed["Host"] == f"badges.test:{loopback.port}"


# -- TLS: the certificate is checked against the name, the connection uses the address ----

def _self_signed(tmp_path: Path, name: str) -> tuple[Path, Path]:
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = datetime.datetime.now(datetime.UTC)
    certificate = (
        x509.CertificateBuilder().subject_name(subject).issuer_name(subject)
        .public_key(key.public_key()).serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(name)]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = tmp_path / "cert.pem", tmp_path / "key.pem"
    cert_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                           serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert_path, key_path


@pytest.fixture(scope="module")
def tls_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[LoopbackServer, Path]]:
    cert_path, key_path = _self_signed(tmp_path_factory.mktemp("tls"), "badges.test")
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert_path, key_path)
    for server in _serve(tls=context, did_host="badges.test"):
        yield server, cert_path


def _tls_fetcher(cert_path: Path) -> Fetcher:
    trust = ssl.create_default_context(cafile=str(cert_path))
    # `tls`, not a transport: the TLS handshake goes through the fetcher's own deadline transport.
    return Fetcher(allow_loopback=True, tls=trust, resolver=lambda host, port: ["127.0.0.1"])


def test_did_web_over_tls_checks_the_certificate_of_the_name(
        tls_server: tuple[LoopbackServer, Path]) -> None:
    server, cert_path = tls_server
    did = f"did:web:badges.test%3A{server.port}"
    key = DidResolver(_tls_fetcher(cert_path)).resolve_key(f"{did}#key-1")
    assert key.public_key.public_bytes_raw() == PUBLIC_KEY
    assert server.requests[-1]["headers"]["Host"] == f"badges.test:{server.port}"


def test_certificate_for_another_name_is_refused(tls_server: tuple[LoopbackServer, Path]) -> None:
    server, cert_path = tls_server
    refused = _refusal(_tls_fetcher(cert_path), f"https://other.test:{server.port}/echo")
    assert refused.code == "fetch.failed"


# -- targets refused before any connection (VERIFICATION.md R17) ---------------------------------

@pytest.mark.parametrize("url", [
    "https://10.0.0.1/.well-known/did.json",
    "https://192.168.1.1/.well-known/did.json",
    "https://169.254.169.254/latest/meta-data/",
    "https://[::1]/.well-known/did.json",
    "https://127.0.0.1/.well-known/did.json",
    "https://[fe80::1]/did.json",
    "https://[::ffff:10.0.0.1]/did.json",
    "https://100.64.0.1/did.json",
    "https://0.0.0.0/did.json",
    "http://example.org/.well-known/did.json",
    "https://user:secret@example.org/did.json",
    "ftp://example.org/did.json",
    "file:///etc/passwd",
    "not a url",
])
def test_forbidden_target_is_refused_before_connecting(url: str) -> None:
    assert _refusal(_offline_fetcher(), url).code == "fetch.forbidden_target"


@pytest.mark.parametrize("url", [
    "http://10.0.0.1/did.json", "http://169.254.169.254/latest/meta-data/",
    "http://[fe80::1]/did.json",
])
def test_allowing_loopback_allows_nothing_else(url: str) -> None:
    assert _refusal(_offline_fetcher(allow_loopback=True), url).code == "fetch.forbidden_target"


def test_loopback_server_is_refused_unless_allowed(loopback: LoopbackServer) -> None:
    seen = len(loopback.requests)
    assert _refusal(Fetcher(), f"{loopback.base_url}/echo").code == "fetch.forbidden_target"
    https = f"https://127.0.0.1:{loopback.port}/echo"
    assert _refusal(Fetcher(), https).code == "fetch.forbidden_target"
    assert len(loopback.requests) == seen


def test_name_resolving_to_a_private_address_among_public_ones_is_refused() -> None:
    fetcher = Fetcher(transport=httpx.MockTransport(_never_connect),
                      resolver=lambda host, port: ["93.184.216.34", "10.0.0.1"])
    assert _refusal(fetcher, "https://rebind.test/did.json").code == "fetch.forbidden_target"


def test_plain_http_name_resolving_to_loopback_and_public_is_refused() -> None:
    fetcher = Fetcher(allow_loopback=True, transport=httpx.MockTransport(_never_connect),
                      resolver=lambda host, port: ["127.0.0.1", "93.184.216.34"])
    assert _refusal(fetcher, "http://mixed.test/did.json").code == "fetch.forbidden_target"


@pytest.mark.parametrize("target", [
    "https://10.0.0.1/.well-known/did.json",
    "http://169.254.169.254/latest/meta-data/",
    "https://[fd00::1]/did.json",
])
def test_redirect_to_a_private_address_is_refused(loopback: LoopbackServer, target: str) -> None:
    refused = _refusal(Fetcher(allow_loopback=True), f"{loopback.base_url}/redirect?{target}")
    assert refused.code == "fetch.forbidden_target"


def test_redirects_stop_after_three(loopback: LoopbackServer) -> None:
    seen = len(loopback.requests)
    refused = _refusal(Fetcher(allow_loopback=True), f"{loopback.base_url}/loop")
    assert refused.code == "fetch.failed"
    assert len(loopback.requests) - seen == 4  # the first request and three redirects


# -- size, time, content ---------------------------------------------------------------------

def test_declared_oversized_body_is_refused(loopback: LoopbackServer) -> None:
    refused = _refusal(Fetcher(allow_loopback=True), f"{loopback.base_url}/huge-declared")
    assert refused.code == "fetch.too_large"


def test_streamed_body_is_cut_off_past_the_limit(loopback: LoopbackServer) -> None:
    refused = _refusal(Fetcher(allow_loopback=True, max_bytes=1_000_000),
                       f"{loopback.base_url}/huge-streamed")
    assert refused.code == "fetch.too_large"


def test_slow_server_times_out(loopback: LoopbackServer) -> None:
    # The server answers after 2 s: only the 0.5 s deadline can make this a timeout.
    refused = _refusal(Fetcher(allow_loopback=True, timeout=0.5), f"{loopback.base_url}/slow")
    assert refused.code == "fetch.timeout"


def test_trickling_server_hits_the_overall_deadline(loopback: LoopbackServer) -> None:
    # Each byte arrives well within any per-read timeout; only the overall deadline stops it
    # (read to its end, 50 s later, the body would be refused as not JSON instead).
    refused = _refusal(Fetcher(allow_loopback=True, timeout=0.5), f"{loopback.base_url}/trickle")
    assert refused.code == "fetch.timeout"


def test_error_status_is_reported(loopback: LoopbackServer) -> None:
    refused = _refusal(Fetcher(allow_loopback=True), f"{loopback.base_url}/nothing-here")
    assert (refused.code, refused.status) == ("fetch.http_status", 404)


def test_body_that_is_not_json_is_refused(loopback: LoopbackServer) -> None:
    with pytest.raises(FetchError) as refused:
        Fetcher(allow_loopback=True).get_json(f"{loopback.base_url}/not-json")
    assert refused.value.code == "fetch.bad_json"


def test_compressed_body_is_not_inflated(loopback: LoopbackServer) -> None:
    refused = _refusal(Fetcher(allow_loopback=True), f"{loopback.base_url}/gzip")
    assert refused.code == "fetch.failed"


def test_get_bytes_returns_the_content_type(loopback: LoopbackServer) -> None:
    body, content_type = Fetcher(allow_loopback=True).get_bytes(
        f"{loopback.base_url}/.well-known/did.json")
    assert content_type == "application/did+json"
    assert json.loads(body)["id"] == loopback.server.did


def test_get_document_returns_the_last_hops_headers(loopback: LoopbackServer) -> None:
    fetched = Fetcher(allow_loopback=True).get_document(
        f"{loopback.base_url}/redirect?{loopback.base_url}/cached")
    assert fetched.body == b"{}"
    assert fetched.content_type == "application/json"
    assert fetched.headers["cache-control"] == "public, max-age=60"
    assert "location" not in fetched.headers  # the redirect's own headers are not kept


# -- the address rule ------------------------------------------------------------------------

@pytest.mark.parametrize(("address", "allowed"), [
    ("93.184.216.34", True), ("2606:4700:4700::1111", True),
    ("10.0.0.1", False), ("172.16.0.1", False), ("192.168.1.1", False),
    ("169.254.169.254", False), ("100.64.0.1", False), ("0.0.0.0", False),
    ("224.0.0.1", False), ("255.255.255.255", False), ("240.0.0.1", False),
    ("192.0.2.1", False), ("127.0.0.1", False), ("::1", False), ("::", False),
    ("fe80::1", False), ("fd00::1", False), ("ff02::1", False), ("::ffff:10.0.0.1", False),
    ("64:ff9b::a00:1", False),
])
def test_only_public_unicast_addresses_are_allowed(address: str, allowed: bool) -> None:
    assert address_allowed(ipaddress.ip_address(address)) is allowed


def test_loopback_is_allowed_only_on_request() -> None:
    assert address_allowed(ipaddress.ip_address("127.0.0.1"), allow_loopback=True)
    assert address_allowed(ipaddress.ip_address("::1"), allow_loopback=True)
    assert not address_allowed(ipaddress.ip_address("10.0.0.1"), allow_loopback=True)


# -- the one loopback test (fetching, did:web, SMTP without TLS) ---------------------------------

@pytest.mark.parametrize(("host", "loopback"), [
    ("localhost", True), ("LocalHost", True), ("127.0.0.1", True), ("127.8.9.10", True),
    ("::1", True), ("[::1]", True), ("::ffff:127.0.0.1", True),
    ("10.0.0.1", False), ("::ffff:10.0.0.1", False), ("0.0.0.0", False), ("::", False),
    ("localhost.example.org", False), ("badges.ville-roubaix.fr", False), ("", False),
])
def test_loopback_means_this_machine_whatever_the_spelling(host: str, loopback: bool) -> None:
    assert is_loopback(host) is loopback
    if host.strip("[]") and (host[0].isdigit() or ":" in host):
        assert is_loopback(ipaddress.ip_address(host.strip("[]"))) is loopback


def test_plain_http_to_an_ipv4_mapped_loopback_address_is_loopback() -> None:
    # ::ffff:127.0.0.1 reaches 127.0.0.1: allowed as loopback, so plain http is too (it was
    # once allowed as an address and then refused as "plain http outside loopback").
    def answer(request: httpx.Request) -> httpx.Response:
        assert ipaddress.ip_address(request.url.host).ipv4_mapped == ipaddress.ip_address("127.0.0.1")
        return httpx.Response(200, stream=httpx.ByteStream(b'{"id": "did:web:mapped.test"}'),
                              headers={"Content-Type": "application/json"})
    fetcher = Fetcher(allow_loopback=True, transport=httpx.MockTransport(answer),
                      resolver=lambda host, port: ["::ffff:127.0.0.1"])
    assert fetcher.get_json("http://mapped.test/did.json") == {"id": "did:web:mapped.test"}
    refused = Fetcher(transport=httpx.MockTransport(_never_connect),
                      resolver=lambda host, port: ["::ffff:127.0.0.1"])
    assert _refusal(refused, "https://mapped.test/did.json").code == "fetch.forbidden_target"
