"""Issuer identity and key resolution: did:web, did:key, did:jwk.

- did:web (W3C CCG did-method-web): `did:web:<host>[%3A<port>][:<path segment>]*`. Without a
  path the document lives at `https://<host>[:<port>]/.well-known/did.json`, with one at
  `https://<host>[:<port>]/<path>/did.json`. The spec forbids IP addresses; we accept loopback
  ones only (development), and fetch those over plain http.
- did:key (W3C CCG did-method-key): Ed25519 keys are `z` + base58btc(0xed 0x01 + 32 bytes),
  i.e. `z6Mk…`; the document has one Multikey verification method `did:key:z6Mk…#z6Mk…`.
  P-256 (`zDn…`, multicodec 0x1200) is read as well.
- did:jwk (did-jwk spec): base64url of the JWK's JSON; one JsonWebKey2020 method `#0`.

Resolving a key checks what VERIFICATION.md R11 asks: the key must be listed by the DID's own
document, under the proof purpose asked for, and controlled by that DID.
"""

from __future__ import annotations

import base64
import binascii
import copy
import json
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlsplit

import base58

from issuer.openbadges.contexts import DID_V1, JWS_2020_V1, MULTIKEY_V1
from issuer.openbadges.dids.errors import DidError, bad_key, did_error, malformed_did
from issuer.openbadges.dids.key_encodings import (
    KeyType,
    PublicKey,
    ed25519_key,
    ed25519_multibase,
    key_from_multikey,
    public_key_from_jwk_member,
)
from issuer.openbadges.dids.syntax import (
    checked_web_host,
    did_method,
    did_segment,
    did_web_document_url,
    split_did_url,
)
from issuer.openbadges.fetch import Fetcher, FetchError, is_loopback
from issuer.openbadges.json_cost import first_excess
from issuer.openbadges.jwk import PRIVATE_JWK_MEMBERS

# JsonWebKey / publicKeyJwk context. Candidates: Controlled Identifiers 1.0 (W3C Rec., 2025)
# defines both terms in its single context https://www.w3.org/ns/cid/v1 (§4.2); VC Data
# Integrity 1.0 §2.4 names https://w3id.org/security/jwk/v1, beside multikey/v1 and
# data-integrity/v2, among the contexts a verifier MUST treat as already resolved (pinned by
# hash), so JSON-LD verifiers hold it locally. We use jwk/v1: it is the one the VC specs ask
# verifiers to pin, it sits beside did/v1 + multikey/v1 the way the wallet stack expects
# (their did:web driver gives a Multikey method the multikey/v1 context and any other method
# the document's own @context), and the wallets bundle cid/v1 no more than they do jwk/v1.
# Each context is listed only when a key of its kind is present.
JWK_V1 = "https://w3id.org/security/jwk/v1"

# DID Core §5.3 verification relationships.
VERIFICATION_RELATIONSHIPS = ("authentication", "assertionMethod", "keyAgreement",
                              "capabilityInvocation", "capabilityDelegation")
# Larger DID documents are cut off by the wallets' did:web driver (digitalcredentials
# did-method-web, fetch size 8192 bytes): keep ours well below.
WALLET_DID_DOCUMENT_MAX_BYTES = 8192

_SAFE_FRAGMENT = re.compile(r"[A-Za-z0-9._~-]+")
_BASE64URL = re.compile(r"[A-Za-z0-9_-]+")
_DID_DOCUMENT_ACCEPT = "application/did+json, application/did+ld+json;q=0.9, application/json;q=0.8"


def did_key_for_ed25519(public_key: bytes) -> str:
    return f"did:key:{ed25519_multibase(public_key)}"


def did_web_from_url(base_url: str) -> str:
    """https://badges.example.org -> did:web:badges.example.org;
    http://127.0.0.1:8000 -> did:web:127.0.0.1%3A8000; https://x.org/a/b -> did:web:x.org:a:b.
    Plain http only for loopback hosts."""
    parts = urlsplit(base_url)
    try:
        port = parts.port
    except ValueError as exc:
        raise malformed_did(base_url, "port invalide", "invalid port") from exc
    if parts.query or parts.fragment or parts.username or parts.password or not parts.hostname:
        raise malformed_did(base_url, "URL de base attendue (sans requête, fragment ni identifiants)",
                         "a base URL is expected (no query, fragment or credentials)")
    host = checked_web_host(parts.hostname, base_url)
    if parts.scheme != "https" and not (parts.scheme == "http" and is_loopback(host)):
        raise malformed_did(base_url, "https attendu (http seulement en boucle locale)",
                         "https expected (http only on loopback)")
    default_port = 443 if parts.scheme == "https" else 80
    netloc = f"[{host}]" if ":" in host else host
    if port is not None and port != default_port:
        netloc += f":{port}"
    segments = [did_segment(s) for s in parts.path.split("/") if s]
    return ":".join(["did:web", quote(netloc, safe=""), *segments])


# -- DID documents ---------------------------------------------------------------------------------

def _public_rsa_jwk(fragment: str, jwk: Mapping[str, Any]) -> dict[str, Any]:
    """The members of an RSA public JWK we publish; a private JWK is refused rather than
    silently trimmed (it means the caller handed over the wrong key)."""
    key_type, _ = public_key_from_jwk_member(dict(jwk))
    if key_type != "RSA":
        raise bad_key(f"la clé « {fragment} » n'est pas une clé RSA",
                       f"key '{fragment}' is not an RSA key")
    return {name: jwk[name] for name in ("kty", "n", "e", "alg", "kid", "use") if name in jwk}


def build_did_document(did: str, *, ed25519_keys: Sequence[tuple[str, bytes]],
                       rsa_keys: Sequence[tuple[str, dict[str, Any]]]) -> dict[str, Any]:
    """The DID document listing our keys, each under assertionMethod and authentication.

    Ed25519 keys are written as Multikey + publicKeyMultibase, RSA keys as JsonWebKey +
    publicKeyJwk: the two forms the wallet verifiers accept, never Multikey with
    publicKeyJwk (VERIFICATION.md R5). Keys are (fragment, public key bytes) and (fragment, public
    JWK); the first Ed25519 key comes first.
    """
    did_method(did)
    fragments = [f for f, _ in ed25519_keys] + [f for f, _ in rsa_keys]
    if not fragments:
        raise ValueError("a DID document needs at least one key")
    for fragment in fragments:
        if not isinstance(fragment, str) or _SAFE_FRAGMENT.fullmatch(fragment) is None:
            raise ValueError(f"fragment {fragment!r}: use letters, digits, '.', '_', '-', '~'")
    if len(set(fragments)) != len(fragments):
        raise ValueError("each key needs its own fragment")

    methods: list[dict[str, Any]] = [
        {"id": f"{did}#{fragment}", "type": "Multikey", "controller": did,
         "publicKeyMultibase": ed25519_multibase(public_key)}
        for fragment, public_key in ed25519_keys
    ] + [
        {"id": f"{did}#{fragment}", "type": "JsonWebKey", "controller": did,
         "publicKeyJwk": _public_rsa_jwk(fragment, jwk)}
        for fragment, jwk in rsa_keys
    ]
    contexts = [DID_V1] + ([MULTIKEY_V1] if ed25519_keys else []) + ([JWK_V1] if rsa_keys else [])
    ids = [method["id"] for method in methods]
    return {
        "@context": contexts,
        "id": did,
        "verificationMethod": methods,
        "assertionMethod": list(ids),
        "authentication": list(ids),
    }


def did_key_document(did: str) -> dict[str, Any]:
    """did:key document creation (did-method-key §"Document Creation Algorithm"), Multikey
    form, without the derived X25519 key agreement key (we never encrypt)."""
    if did_method(did) != "key":
        raise malformed_did(did, "did:key attendu", "did:key expected")
    multibase = did[len("did:key:"):]
    key_from_multikey(multibase)  # refuses what is not a key we can read
    method_id = f"{did}#{multibase}"
    return {
        "@context": [DID_V1, MULTIKEY_V1],
        "id": did,
        "verificationMethod": [{"id": method_id, "type": "Multikey", "controller": did,
                                "publicKeyMultibase": multibase}],
        "authentication": [method_id],
        "assertionMethod": [method_id],
        "capabilityInvocation": [method_id],
        "capabilityDelegation": [method_id],
    }


def did_jwk_document(did: str) -> dict[str, Any]:
    """did:jwk Read operation: decode the JWK, refuse a private one, build the document with
    the single method `#0`; `use` "sig" drops keyAgreement, "enc" keeps only keyAgreement."""
    if did_method(did) != "jwk":
        raise malformed_did(did, "did:jwk attendu", "did:jwk expected")
    encoded = did[len("did:jwk:"):]
    if _BASE64URL.fullmatch(encoded) is None:
        raise malformed_did(did, "base64url attendu", "base64url expected")
    try:
        jwk = json.loads(base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4)))
    except (binascii.Error, ValueError, RecursionError) as exc:
        raise malformed_did(did, "JWK illisible", "unreadable JWK") from exc
    if not isinstance(jwk, dict) or not isinstance(jwk.get("kty"), str):
        raise malformed_did(did, "JWK illisible", "unreadable JWK")
    if PRIVATE_JWK_MEMBERS & jwk.keys():
        raise bad_key("la JWK contient des éléments privés", "the JWK contains private members")
    method_id = f"{did}#0"
    use = jwk.get("use")
    if use == "enc":
        relationships: tuple[str, ...] = ("keyAgreement",)
    elif use == "sig":
        relationships = ("assertionMethod", "authentication", "capabilityInvocation",
                         "capabilityDelegation")
    else:
        relationships = VERIFICATION_RELATIONSHIPS
    document: dict[str, Any] = {
        "@context": [DID_V1, JWS_2020_V1],
        "id": did,
        "verificationMethod": [{"id": method_id, "type": "JsonWebKey2020", "controller": did,
                                "publicKeyJwk": jwk}],
    }
    document.update({relationship: [method_id] for relationship in relationships})
    return document


# -- resolution ------------------------------------------------------------------------------------

@dataclass(frozen=True)
class ResolvedKey:
    verification_method_id: str
    controller: str  # the DID whose own document lists the key (and that the key names)
    key_type: KeyType
    public_key: Any  # Ed25519PublicKey / RSAPublicKey / EllipticCurvePublicKey
    purposes: frozenset[str]  # verification relationships listing it, e.g. {"assertionMethod"}


class DidResolver:
    """Resolves DIDs to documents and verification methods to public keys.

    did:key and did:jwk are computed locally; did:web is fetched through `fetcher`, and only
    if one was given: without it, did:web resolves only from `local_documents` (DID -> DID
    document known without fetching, e.g. our own did:web, served by us). A fetch failure
    surfaces as FetchError, except a 404 / 410, which is DidError("did.not_found").
    Documents are not cached: a rotated or withdrawn key takes effect at the next resolution.
    """

    def __init__(self, fetcher: Fetcher | None = None, *,
                 local_documents: Mapping[str, dict[str, Any]] | None = None) -> None:
        self._fetcher = fetcher
        self._local_documents = dict(local_documents or {})

    def resolve(self, did: str) -> dict[str, Any]:
        return self._resolve(did, private_copy=True)

    def _resolve(self, did: str, *, private_copy: bool) -> dict[str, Any]:
        """`resolve`; a local document is copied only with `private_copy` (for a caller that
        may keep or change it; `resolve_key` only reads it)."""
        method = did_method(did)
        if did in self._local_documents:
            local = self._local_documents[did]
            document = copy.deepcopy(local) if private_copy else local
        elif method == "key":
            document = did_key_document(did)
        elif method == "jwk":
            document = did_jwk_document(did)
        elif method == "web":
            document = self._fetch_did_web(did)
        else:
            raise did_error(
                "did.unsupported_method",
                f"La méthode DID « {method} » n'est pas prise en charge (web, key, jwk).",
                f"DID method '{method}' is not supported (web, key, jwk).",
            )
        if not isinstance(document, dict) or document.get("id") != did:
            # did-method-web Read: the document's id must be the DID that was resolved.
            raise did_error("did.bad_document",
                         f"Le document obtenu n'est pas celui de {did}.",
                         f"The document obtained is not the one of {did}.")
        return document

    def would_fetch(self, did: str) -> bool:
        """True when resolving `did` would fetch its document (a did:web not known locally):
        callers use it to fetch only the documents they mean to (VERIFICATION.md R17)."""
        try:
            method = did_method(did)
        except DidError:
            return False  # resolve() refuses it without fetching
        return method == "web" and did not in self._local_documents

    def resolve_key(self, verification_method: str, *, purpose: str = "assertionMethod",
                    controller: str | None = None) -> ResolvedKey:
        """The public key of `verification_method` (a DID URL `did:…#fragment`).

        The DID's own document must define the method (absolute or relative `#fragment` id,
        in `verificationMethod` or embedded in a relationship), reference it under `purpose`,
        and name that DID as its controller. `controller`, when given (the credential's
        issuer), must be that DID: a key of any other DID is refused (VERIFICATION.md R11).
        """
        did, fragment = split_did_url(verification_method)
        method_id = f"{did}#{fragment}"
        if controller is not None and did != controller:
            raise _not_listed(method_id, f"elle appartient à {did}, pas à {controller}",
                              f"it belongs to {did}, not to {controller}")
        document = self._resolve(did, private_copy=False)  # read, never kept nor changed
        method, purposes = _find_verification_method(document, method_id)
        if method is None:
            raise _not_listed(method_id, f"absente du document de {did}",
                              f"not in the document of {did}")
        if purpose not in purposes:
            raise _not_listed(method_id, f"non listée sous « {purpose} »",
                              f"not listed under '{purpose}'")
        if method.get("controller") != did:
            raise _not_listed(method_id, "son contrôleur n'est pas le DID du document",
                              "its controller is not the document's DID")
        key_type, public_key = _public_key_of(method)
        return ResolvedKey(method_id, did, key_type, public_key, frozenset(purposes))

    def _fetch_did_web(self, did: str) -> Any:
        if self._fetcher is None:
            raise did_error(
                "did.not_found",
                f"{did} n'est pas connu localement et la résolution en ligne est désactivée.",
                f"{did} is not known locally and online resolution is disabled.",
            )
        url = did_web_document_url(did)
        try:
            document = self._fetcher.get_json(url, accept=_DID_DOCUMENT_ACCEPT)
        except FetchError as exc:
            if exc.code == "fetch.http_status" and exc.status in (404, 410):
                raise did_error("did.not_found", f"Aucun document DID à {url} pour {did}.",
                             f"No DID document at {url} for {did}.") from exc
            raise
        excess = first_excess(document)  # a stranger's server wrote it (VERIFICATION.md R9, R16)
        if excess is not None:
            raise did_error("did.bad_document",
                         f"Le document DID de {did} est trop complexe pour être lu ({excess}).",
                         f"The DID document of {did} is too complex to read ({excess}).")
        return document


def _not_listed(method_id: str, why_fr: str, why_en: str) -> DidError:
    return did_error("did.key_not_listed", f"Clé {method_id} refusée : {why_fr}.",
                  f"Key {method_id} refused: {why_en}.")


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def _method_definitions(document: dict[str, Any]) -> Iterator[tuple[str | None, Any]]:
    """(relationship or None for `verificationMethod`, entry) for every entry."""
    for entry in _as_list(document.get("verificationMethod")):
        yield None, entry
    for relationship in VERIFICATION_RELATIONSHIPS:
        for entry in _as_list(document.get(relationship)):
            yield relationship, entry


def _find_verification_method(document: dict[str, Any],
                              method_id: str) -> tuple[dict[str, Any] | None, set[str]]:
    """The method whose absolute id is `method_id`, and the relationships referencing it (by
    id or embedded). Two different definitions of one id make the document ambiguous."""
    document_id = document["id"]

    def absolute(reference: Any) -> Any:
        # CID 1.0 §2.2: ids may be relative to the document ("#key-1").
        if isinstance(reference, str) and reference.startswith("#"):
            return document_id + reference
        return reference

    definitions: list[dict[str, Any]] = []
    purposes: set[str] = set()
    for relationship, entry in _method_definitions(document):
        if isinstance(entry, dict):
            if absolute(entry.get("id")) != method_id:
                continue
            definition = {**entry, "id": method_id}
            if definition not in definitions:
                definitions.append(definition)
        elif absolute(entry) != method_id:
            continue
        if relationship is not None:
            purposes.add(relationship)
    if len(definitions) > 1:
        raise did_error("did.bad_document",
                     f"Le document définit {method_id} plusieurs fois, différemment.",
                     f"The document defines {method_id} more than once, differently.")
    return (definitions[0] if definitions else None), purposes


def _public_key_of(method: dict[str, Any]) -> tuple[KeyType, PublicKey]:
    """Key material of a verification method, as the wallet verifiers read it
    (VERIFICATION.md R5)."""
    method_type = method.get("type")
    materials = [m for m in ("publicKeyMultibase", "publicKeyJwk", "publicKeyBase58")
                 if m in method]
    if len(materials) != 1:
        raise bad_key("une seule propriété de clé publique est attendue",
                       "exactly one public key property is expected")
    material = materials[0]
    if method_type == "Multikey" and material == "publicKeyMultibase":
        return key_from_multikey(method[material])
    if method_type == "Ed25519VerificationKey2020" and material == "publicKeyMultibase":
        return key_from_multikey(method[material], allow_p256=False)
    if method_type == "Ed25519VerificationKey2018" and material == "publicKeyBase58":
        value = method[material]
        try:
            raw = base58.b58decode(value) if isinstance(value, str) else b""
        except ValueError:
            raw = b""
        if len(raw) != 32:
            raise bad_key("publicKeyBase58 Ed25519 invalide", "invalid Ed25519 publicKeyBase58")
        return "Ed25519", ed25519_key(raw)
    if method_type in ("JsonWebKey", "JsonWebKey2020") and material == "publicKeyJwk":
        return public_key_from_jwk_member(method[material])
    raise bad_key(f"{method_type} avec {material} n'est pas une forme acceptée",
                   f"{method_type} with {material} is not an accepted form")
