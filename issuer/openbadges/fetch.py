"""Bounded HTTP(S) fetching for verification: DID documents, issuer profiles, status lists.

Whatever we fetch is named by a stranger (a credential someone uploads), so every fetch is
bounded (VERIFICATION.md R16, R17):

- **Targets.** `https` only; plain `http` only to a loopback address and only when the
  fetcher was built with `allow_loopback=True` (development, tests). The host name is
  resolved first and *every* address it resolves to must be public: private, loopback
  (unless allowed), link-local, multicast, reserved, shared (100.64/10) and unspecified
  addresses are refused (`ipaddress`), so a name resolving to a mix of public and private
  addresses is refused too.
- **No DNS-rebinding gap.** We then connect to the address we checked, not to the name: the
  request URL carries the IP literal, while the `Host` header and the TLS SNI / certificate
  check keep the original name (httpcore's `sni_hostname` request extension). A second,
  different DNS answer can therefore never be used. The alternative (a custom network
  backend that re-resolves inside the connection pool) hides the check inside httpcore
  internals; rewriting the URL keeps it visible here.
- **Redirects** are followed by hand, at most `MAX_REDIRECTS`, and each new target goes
  through the same checks before any connection.
- **Size.** The body is streamed and reading stops past `max_bytes` (a declared
  Content-Length beyond it is refused before reading). We ask for `identity` encoding and
  refuse compressed answers: no inflating of unbounded data (VERIFICATION.md R15).
- **Time.** One deadline per fetch, `timeout` seconds after it starts, for everything: DNS,
  connect, TLS handshake, sending, the response headers and the body, over every redirect.
  A per-read timeout is not enough: a server sending its headers one byte every half second
  never lets a read time out (one such fetch lived 113 s with a 5 s timeout). So the
  connection runs on `_DeadlineBackend`, httpcore's own socket backend wrapped so that each
  blocking socket call gets the time left until the deadline as its timeout, and fails at
  once when none is left: the fetch ends within the deadline plus one scheduling delay,
  whatever the server does, in the calling thread, with no extra thread and nothing left
  running. (Rejected: a worker thread abandoned at the deadline keeps its socket and its
  thread until the server stops; an async client under `anyio.fail_after` would mean an event
  loop per fetch inside the threadpool workers that call us.) DNS resolution, which has no
  timeout of its own, runs in a worker with the time left as its limit. A `transport` given
  by the caller (tests, mocks) is only checked between steps.
- **Concurrency.** At most `MAX_CONCURRENT_FETCHES` fetches at once in the process; one more
  is refused at once (`fetch.busy`), never queued, so strangers' documents can hold only a
  bounded share of the threads that also serve the pages.
- **No ambient authority.** No cookies, no credentials (a URL with user:password is
  refused), no proxies or .netrc from the environment: requests go straight to the
  transport, never through an `httpx.Client`, which would keep a cookie jar across redirect
  hops.
"""

from __future__ import annotations

import ipaddress
import json
import socket
import ssl
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass
from typing import Any

import httpcore
import httpx

from issuer.errors import IssuerError

MAX_REDIRECTS = 3
_REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
USER_AGENT = "roubaix-badges-issuer/0.1 (verification)"

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
# host, port -> addresses as strings; the default asks the system resolver.
HostResolver = Callable[[str, int], Sequence[str]]

# getaddrinfo() has no timeout of its own: it runs here so the caller can stop waiting.
_DNS_WORKERS = ThreadPoolExecutor(max_workers=4, thread_name_prefix="fetch-dns")

MAX_CONCURRENT_FETCHES = 16
"""Outbound fetches at once in this process (`OUTBOUND`); beyond, a fetch is refused."""


class FetchSlots:
    """A process-wide cap on fetches in progress: `take()` never waits."""

    def __init__(self, limit: int) -> None:
        if limit < 0:
            raise ValueError("limit must not be negative")
        self.limit = limit
        self._in_use = 0
        self._lock = threading.Lock()

    def take(self) -> bool:
        with self._lock:
            if self._in_use >= self.limit:
                return False
            self._in_use += 1
            return True

    def give_back(self) -> None:
        with self._lock:
            self._in_use = max(0, self._in_use - 1)

    @property
    def in_use(self) -> int:
        with self._lock:
            return self._in_use


OUTBOUND = FetchSlots(MAX_CONCURRENT_FETCHES)


class FetchError(IssuerError):
    """A fetch that was refused or failed. `code` says why:

    - ``fetch.forbidden_target``: not https, a private / loopback / link-local... address,
      credentials in the URL (VERIFICATION.md R17);
    - ``fetch.too_large``: the body is larger than allowed;
    - ``fetch.timeout``: the overall deadline passed;
    - ``fetch.http_status``: the server answered with an error status (`status` holds it);
    - ``fetch.bad_json``: the body is not JSON;
    - ``fetch.busy``: `MAX_CONCURRENT_FETCHES` fetches already in progress (try again later);
    - ``fetch.failed``: anything else (name not found, TLS failure, too many redirects...).
    """

    code = "fetch.failed"

    def __init__(self, message_fr: str, message_en: str, *, code: str | None = None,
                 status: int | None = None) -> None:
        super().__init__(message_fr, message_en, code=code)
        self.status = status


def _error(code: str, message_fr: str, message_en: str, *, status: int | None = None) -> FetchError:
    return FetchError(message_fr, message_en, code=code, status=status)


def _forbidden(url: str, why_fr: str, why_en: str) -> FetchError:
    return _error(
        "fetch.forbidden_target",
        f"Adresse refusée ({why_fr}) : {url}",
        f"Target refused ({why_en}): {url}",
    )


def is_loopback(host: str | IPAddress) -> bool:
    """True for this machine: `localhost`, 127.0.0.0/8, ::1, and an IPv4-mapped IPv6 address
    carrying a loopback IPv4 one (::ffff:127.0.0.1 reaches 127.0.0.1). The one test the
    project uses (fetching, did:web, SMTP without TLS); a name other than `localhost` is not
    judged here: the fetcher resolves it and judges every address it gets."""
    if isinstance(host, str):
        if host.lower() == "localhost":
            return True
        try:
            host = ipaddress.ip_address(host.removeprefix("[").removesuffix("]"))
        except ValueError:
            return False
    if isinstance(host, ipaddress.IPv6Address) and host.ipv4_mapped is not None:
        host = host.ipv4_mapped
    return host.is_loopback


def address_allowed(address: IPAddress, *, allow_loopback: bool = False) -> bool:
    """True when `address` may be connected to: a public unicast address, or a loopback
    address when `allow_loopback`. `is_global` alone is not enough: Python counts multicast
    (224/4) as global, so multicast and reserved ranges are excluded explicitly."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        # ::ffff:10.0.0.1 reaches 10.0.0.1: judge the IPv4 address it carries.
        address = address.ipv4_mapped
    if is_loopback(address):
        return allow_loopback
    return address.is_global and not (address.is_multicast or address.is_reserved
                                      or address.is_unspecified or address.is_link_local)


def _system_resolver(host: str, port: int) -> list[str]:
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, proto=socket.IPPROTO_TCP)
    return [str(info[4][0]) for info in infos]


@dataclass(frozen=True)
class _CheckedTarget:
    """A URL whose host resolved only to allowed addresses, and the address to use."""

    url: httpx.URL
    address: IPAddress

    @property
    def host_is_name(self) -> bool:
        return not _is_ip_literal(self.url.host)

    def request(self, accept: str, remaining: float) -> httpx.Request:
        extensions: dict[str, Any] = {
            "timeout": {"connect": remaining, "read": remaining, "write": remaining,
                        "pool": remaining},
        }
        if self.host_is_name:
            # The TLS handshake names (and the certificate must match) the host we were
            # asked for, although the TCP connection goes to the checked address.
            extensions["sni_hostname"] = self.url.raw_host.decode("ascii")
        headers = {
            "Host": self.url.netloc.decode("ascii"),
            "Accept": accept,
            "Accept-Encoding": "identity",
            "User-Agent": USER_AGENT,
        }
        return httpx.Request("GET", self.url.copy_with(host=str(self.address)),
                             headers=headers, extensions=extensions)


def _is_ip_literal(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


@dataclass(frozen=True)
class FetchedDocument:
    """A document fetched: its body and its response headers (lower-case names)."""

    body: bytes
    headers: dict[str, str]

    @property
    def content_type(self) -> str:
        """Its Content-Type (empty string when the server sent none)."""
        return self.headers.get("content-type", "")


class Fetcher:
    """GETs JSON or bytes from a URL someone else named, within the bounds described in the
    module docstring. One instance can be shared; it keeps no state between fetches.

    `transport` replaces the default `httpx.HTTPTransport` (for instance one trusting a
    private CA); `resolver` replaces the system resolver (for tests, or a deployment that
    must use its own DNS). Neither loosens the checks: addresses still go through
    `address_allowed`.
    """

    def __init__(self, *, max_bytes: int = 1_000_000, timeout: float = 5.0,
                 allow_loopback: bool = False, transport: httpx.BaseTransport | None = None,
                 resolver: HostResolver | None = None, tls: ssl.SSLContext | None = None,
                 slots: FetchSlots | None = None) -> None:
        if max_bytes <= 0 or timeout <= 0:
            raise ValueError("max_bytes and timeout must be positive")
        self.max_bytes = max_bytes
        self.timeout = timeout
        self.allow_loopback = allow_loopback
        self._transport = transport
        self._resolver = resolver or _system_resolver
        self._tls = tls  # None: the default trust store (certifi, as httpx)
        self._slots = slots or OUTBOUND

    # -- public API -------------------------------------------------------------------------

    def get_json(self, url: str, *, accept: str = "application/json") -> Any:
        body, _ = self.get_bytes(url, accept=accept)
        try:
            return json.loads(body)
        except (ValueError, RecursionError) as exc:
            raise _error(
                "fetch.bad_json",
                f"La réponse de {url} n'est pas du JSON valide.",
                f"The response from {url} is not valid JSON.",
            ) from exc

    def get_bytes(self, url: str, *, accept: str = "*/*") -> tuple[bytes, str]:
        """The body and its Content-Type (empty string when the server sent none)."""
        fetched = self.get_document(url, accept=accept)
        return fetched.body, fetched.content_type

    def get_document(self, url: str, *, accept: str = "*/*") -> FetchedDocument:
        """The body and the response headers (those of the last hop after redirects), within
        the same bounds: the headers are limited by the HTTP parser (h11 refuses a header
        block past 16 KiB) and by the one deadline."""
        deadline = time.monotonic() + self.timeout
        if not self._slots.take():
            raise _error(
                "fetch.busy",
                f"Trop de documents sont déjà demandés à d'autres sites ; {url} n'a pas été "
                "demandé. Réessayez dans un instant.",
                f"Too many documents are being fetched from other sites already; {url} was not "
                "fetched. Try again in a moment.")
        try:
            if self._transport is not None:
                return self._follow(url, accept, deadline, self._transport)
            # A fresh transport without keep-alive: a pooled TLS connection, verified for one
            # host name, is never reused for another name that resolves to the same address.
            with _DeadlineTransport(deadline, self._tls or _default_tls()) as transport:
                return self._follow(url, accept, deadline, transport)
        finally:
            self._slots.give_back()

    # -- steps ------------------------------------------------------------------------------

    def _follow(self, url: str, accept: str, deadline: float,
                transport: httpx.BaseTransport) -> FetchedDocument:
        current = url
        for _hop in range(MAX_REDIRECTS + 1):
            target = self._check(current, deadline)
            response = self._send(transport, target, accept, deadline)
            try:
                if response.status_code in _REDIRECT_STATUSES:
                    location = response.headers.get("location")
                    if not location:
                        raise _error(
                            "fetch.http_status",
                            f"Redirection sans destination depuis {current}.",
                            f"Redirect without a Location from {current}.",
                            status=response.status_code,
                        )
                    # Relative locations resolve against the URL we asked for, not the IP.
                    current = str(target.url.join(location))
                    continue
                if not 200 <= response.status_code < 300:
                    raise _error(
                        "fetch.http_status",
                        f"{current} a répondu {response.status_code}.",
                        f"{current} answered {response.status_code}.",
                        status=response.status_code,
                    )
                body = self._read_body(response, current, deadline)
                # Repeated header lines are joined with ", " (httpx), as RFC 9110 §5.3 allows.
                return FetchedDocument(body, {name: response.headers[name]
                                              for name in response.headers.keys()})
            finally:
                response.close()
        raise _error(
            "fetch.failed",
            f"Trop de redirections (plus de {MAX_REDIRECTS}) à partir de {url}.",
            f"Too many redirects (more than {MAX_REDIRECTS}) starting from {url}.",
        )

    def _check(self, url: str, deadline: float) -> _CheckedTarget:
        """Everything that can be refused without a connection: scheme, credentials, and
        the addresses the host resolves to."""
        try:
            parsed = httpx.URL(url)
        except (httpx.InvalidURL, TypeError) as exc:
            raise _forbidden(str(url), "URL illisible", "unreadable URL") from exc
        if parsed.scheme not in ("https", "http") or not parsed.host:
            raise _forbidden(url, "seul https est accepté", "only https is accepted")
        if parsed.scheme == "http" and not self.allow_loopback:
            raise _forbidden(url, "http non chiffré", "plain http")
        if parsed.userinfo:
            raise _forbidden(url, "identifiants dans l'URL", "credentials in the URL")
        port = parsed.port or (443 if parsed.scheme == "https" else 80)
        addresses = self._resolve(parsed.raw_host.decode("ascii"), port, url, deadline)
        for address in addresses:
            if not address_allowed(address, allow_loopback=self.allow_loopback):
                raise _forbidden(url, f"adresse non publique {address}",
                                 f"non-public address {address}")
        if parsed.scheme == "http" and not all(is_loopback(a) for a in addresses):
            raise _forbidden(url, "http non chiffré hors boucle locale",
                             "plain http outside loopback")
        return _CheckedTarget(parsed, addresses[0])

    def _resolve(self, host: str, port: int, url: str, deadline: float) -> list[IPAddress]:
        if _is_ip_literal(host):
            return [ipaddress.ip_address(host)]
        future = _DNS_WORKERS.submit(self._resolver, host, port)
        try:
            found = future.result(timeout=max(deadline - time.monotonic(), 0.0))
        except FutureTimeout as exc:
            raise _timeout(url) from exc
        except (OSError, UnicodeError) as exc:
            raise _error(
                "fetch.failed",
                f"Le nom {host} est introuvable.",
                f"The name {host} could not be resolved.",
            ) from exc
        try:
            # A scope suffix ("fe80::1%eth0") only ever comes with link-local addresses.
            addresses = [ipaddress.ip_address(a.split("%", 1)[0]) for a in found]
        except ValueError as exc:
            raise _error("fetch.failed", f"Adresse invalide pour {host}.",
                         f"Invalid address for {host}.") from exc
        if not addresses:
            raise _error("fetch.failed", f"Le nom {host} est introuvable.",
                         f"The name {host} could not be resolved.")
        return addresses

    def _send(self, transport: httpx.BaseTransport, target: _CheckedTarget, accept: str,
              deadline: float) -> httpx.Response:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise _timeout(str(target.url))
        try:
            response = transport.handle_request(target.request(accept, remaining))
        except httpx.TimeoutException as exc:
            raise _timeout(str(target.url)) from exc
        except httpx.HTTPError as exc:
            raise _error(
                "fetch.failed",
                f"Connexion impossible à {target.url} : {exc}",
                f"Could not connect to {target.url}: {exc}",
            ) from exc
        if time.monotonic() > deadline:
            response.close()
            raise _timeout(str(target.url))
        return response

    def _read_body(self, response: httpx.Response, url: str, deadline: float) -> bytes:
        declared = response.headers.get("content-length")
        if declared is not None and declared.strip().isdigit() and int(declared) > self.max_bytes:
            raise _too_large(url, self.max_bytes)
        encoding = response.headers.get("content-encoding", "identity").strip().lower()
        if encoding not in ("", "identity"):
            raise _error(
                "fetch.failed",
                f"{url} a envoyé une réponse compressée ({encoding}) malgré la demande.",
                f"{url} sent a compressed response ({encoding}) although asked not to.",
            )
        chunks: list[bytes] = []
        received = 0
        try:
            for chunk in response.iter_raw():
                received += len(chunk)
                if received > self.max_bytes:
                    raise _too_large(url, self.max_bytes)
                if time.monotonic() > deadline:
                    raise _timeout(url)
                chunks.append(chunk)
        except httpx.TimeoutException as exc:
            raise _timeout(url) from exc
        except httpx.HTTPError as exc:
            raise _error("fetch.failed", f"Lecture interrompue depuis {url} : {exc}",
                         f"Reading from {url} failed: {exc}") from exc
        return b"".join(chunks)


# -- one deadline at the socket -----------------------------------------------------------------

_TLS_LOCK = threading.Lock()
_TLS: ssl.SSLContext | None = None


def _default_tls() -> ssl.SSLContext:
    """httpx's default verifying context (certifi), built once: loading the CA bundle costs
    milliseconds, and an SSLContext may be shared by threads."""
    global _TLS
    with _TLS_LOCK:
        if _TLS is None:
            _TLS = httpx.create_ssl_context()
        return _TLS


def _time_left(deadline: float, timeout: float | None,
               error: type[httpcore.TimeoutException]) -> float:
    left = deadline - time.monotonic()
    if left <= 0:
        raise error("the fetch deadline has passed")
    return left if timeout is None else min(timeout, left)


class _DeadlineStream(httpcore.NetworkStream):
    """A socket stream whose every blocking call ends by the fetch's deadline."""

    def __init__(self, inner: httpcore.NetworkStream, deadline: float) -> None:
        self._inner = inner
        self._deadline = deadline

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self._inner.read(max_bytes, _time_left(self._deadline, timeout,
                                                      httpcore.ReadTimeout))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._inner.write(buffer, _time_left(self._deadline, timeout, httpcore.WriteTimeout))

    def close(self) -> None:
        self._inner.close()

    def start_tls(self, ssl_context: ssl.SSLContext, server_hostname: str | None = None,
                  timeout: float | None = None) -> httpcore.NetworkStream:
        # The handshake is one blocking call: CPython bounds it as a whole by this timeout.
        inner = self._inner.start_tls(ssl_context, server_hostname,
                                      _time_left(self._deadline, timeout,
                                                 httpcore.ConnectTimeout))
        return _DeadlineStream(inner, self._deadline)

    def get_extra_info(self, info: str) -> Any:
        return self._inner.get_extra_info(info)


class _DeadlineBackend(httpcore.NetworkBackend):
    """httpcore's synchronous socket backend, every call bounded by one deadline."""

    def __init__(self, deadline: float) -> None:
        self._inner = httpcore.SyncBackend()
        self._deadline = deadline

    def connect_tcp(self, host: str, port: int, timeout: float | None = None,
                    local_address: str | None = None,
                    socket_options: Any = None) -> httpcore.NetworkStream:
        stream = self._inner.connect_tcp(
            host, port, _time_left(self._deadline, timeout, httpcore.ConnectTimeout),
            local_address, socket_options)
        return _DeadlineStream(stream, self._deadline)

    def sleep(self, seconds: float) -> None:
        time.sleep(max(0.0, min(seconds, self._deadline - time.monotonic())))


class _DeadlineTransport(httpx.HTTPTransport):
    """httpx's transport on `_DeadlineBackend`, without keep-alive or retries. httpx has no
    parameter for the network backend, so the connection pool it builds is replaced by the
    same pool on ours (tests/test_fetch.py's trickling servers fail if that ever stops
    working)."""

    def __init__(self, deadline: float, tls: ssl.SSLContext) -> None:
        super().__init__(verify=tls, retries=0,
                         limits=httpx.Limits(max_keepalive_connections=0))
        self._pool = httpcore.ConnectionPool(
            ssl_context=tls, max_keepalive_connections=0, retries=0, http1=True, http2=False,
            network_backend=_DeadlineBackend(deadline))


def _timeout(url: str) -> FetchError:
    return _error("fetch.timeout", f"Délai dépassé en interrogeant {url}.",
                  f"Timed out while fetching {url}.")


def _too_large(url: str, max_bytes: int) -> FetchError:
    return _error(
        "fetch.too_large",
        f"La réponse de {url} dépasse la taille permise ({max_bytes} octets).",
        f"The response from {url} exceeds the allowed size ({max_bytes} bytes).",
    )
