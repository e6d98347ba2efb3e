"""DID and DID URL syntax (DID Core §3.1), and did:web's addresses (W3C CCG did-method-web):
from a DID to the URL of its document, host names and path segments checked."""

from __future__ import annotations

import ipaddress
import re
from urllib.parse import quote, unquote, urlsplit

from issuer.openbadges.dids.errors import malformed_did
from issuer.openbadges.fetch import is_loopback

# DID Core §3.1 syntax.
_IDCHAR = r"(?:[A-Za-z0-9._-]|%[0-9A-Fa-f]{2})"
_DID_SYNTAX = re.compile(rf"did:([a-z0-9]+):((?:{_IDCHAR}*:)*{_IDCHAR}+)")
_PATH_SEGMENT = re.compile(rf"{_IDCHAR}+")
_FRAGMENT = re.compile(r"(?:[A-Za-z0-9._~!$&'()*+,;=:@/?-]|%[0-9A-Fa-f]{2})+")  # RFC 3986
_SAFE_FRAGMENT = re.compile(r"[A-Za-z0-9._~-]+")
_DNS_NAME = re.compile(r"(?=.{1,253}$)[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?"
                       r"(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*")


def did_method(did: object) -> str:
    if not isinstance(did, str) or _DID_SYNTAX.fullmatch(did) is None:
        raise malformed_did(did, "syntaxe DID Core §3.1", "DID Core §3.1 syntax")
    return did.split(":", 2)[1]


def split_did_url(did_url: object) -> tuple[str, str]:
    """`did:…#fragment` -> (DID, fragment). Queries and paths are not used by our methods."""
    if not isinstance(did_url, str) or "#" not in did_url:
        raise malformed_did(did_url, "une méthode de vérification est un DID suivi de #fragment",
                         "a verification method is a DID followed by #fragment")
    did, fragment = did_url.split("#", 1)
    did_method(did)
    if _FRAGMENT.fullmatch(fragment) is None:
        raise malformed_did(did_url, "fragment invalide", "invalid fragment")
    return did, fragment


def checked_web_host(host: str, value: str) -> str:
    """A lower-case DNS name, or a loopback IP address (did:web forbids IP addresses; we
    accept loopback ones for development)."""
    host = host.lower()
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        if _DNS_NAME.fullmatch(host) is None:
            raise malformed_did(value, "nom d'hôte invalide", "invalid host name") from None
        return host
    if not is_loopback(address):
        raise malformed_did(value, "did:web n'admet pas d'adresse IP", "did:web allows no IP address")
    return host


def did_segment(url_segment: str) -> str:
    """A URL path segment as a DID idchar string: everything but A-Z a-z 0-9 . - _ is
    percent-encoded (DID Core §3.1)."""
    return quote(unquote(url_segment), safe="").replace("~", "%7E")


def did_web_document_url(did: str) -> str:
    """did:web:host[%3Aport] -> https://host[:port]/.well-known/did.json;
    did:web:host:a:b -> https://host/a/b/did.json. Loopback hosts (127.0.0.0/8, localhost,
    ::1) give http:// instead: development only, and the Fetcher still refuses them unless
    built with allow_loopback=True."""
    if did_method(did) != "web":
        raise malformed_did(did, "did:web attendu", "did:web expected")
    host_part, *segments = did.split(":")[2:]
    netloc = unquote(host_part)
    if re.fullmatch(r"[A-Za-z0-9.\-]+(?::[0-9]+)?|\[[0-9A-Fa-f:.]+\](?::[0-9]+)?", netloc) is None:
        raise malformed_did(did, "hôte invalide", "invalid host")
    parts = urlsplit(f"//{netloc}")
    try:
        port = parts.port
    except ValueError as exc:
        raise malformed_did(did, "port invalide", "invalid port") from exc
    host = checked_web_host(parts.hostname or "", did)
    for segment in segments:
        decoded = unquote(segment)
        if (_PATH_SEGMENT.fullmatch(segment) is None or decoded in (".", "..")
                or any(c in decoded for c in "/\\?#")):
            raise malformed_did(did, f"segment de chemin invalide {segment!r}",
                             f"invalid path segment {segment!r}")
    scheme = "http" if is_loopback(host) else "https"
    authority = (f"[{host}]" if ":" in host else host) + (f":{port}" if port is not None else "")
    path = "/".join(segments) + "/did.json" if segments else ".well-known/did.json"
    return f"{scheme}://{authority}/{path}"
