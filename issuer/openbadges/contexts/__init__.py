"""The JSON-LD context documents this issuer ships, pinned by SHA-256.

Nothing is ever fetched over the network (VERIFICATION.md R4, R17): a context URL that is not
listed here is refused. Each file is a byte-exact copy of the document published at its URL
(`PINNED` below: URL, file, SHA-256); the hash check at load time catches an accidental edit.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

VC_V2 = "https://www.w3.org/ns/credentials/v2"
VC_V1 = "https://www.w3.org/2018/credentials/v1"
OB_V3P0 = "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"
OB_EXTENSIONS = "https://purl.imsglobal.org/spec/ob/v3p0/extensions.json"
DATA_INTEGRITY_V2 = "https://w3id.org/security/data-integrity/v2"
MULTIKEY_V1 = "https://w3id.org/security/multikey/v1"
DID_V1 = "https://www.w3.org/ns/did/v1"
JWS_2020_V1 = "https://w3id.org/security/suites/jws-2020/v1"
SKILLS_CATALOGUE_V1 = "urn:roubaix-badges:context:competences-v1"


@dataclass(frozen=True)
class PinnedContext:
    url: str
    filename: str
    sha256: str


# The 2026 revision of context-3.0.3 (a superset of the 2024 one, VERIFICATION.md R4) is what the
# URL serves today; the 2024 copy is kept under its own key so signing can check that a document
# canonicalises identically under both (wallets ship the 2024 copy).
OB_V3P0_2024_KEY = "urn:roubaix-badges:context:ob-v3p0-context-3.0.3-2024"

PINNED: dict[str, PinnedContext] = {
    p.url: p
    for p in (
        PinnedContext(VC_V2, "credentials-v2.jsonld",
                      "59955ced6697d61e03f2b2556febe5308ab16842846f5b586d7f1f7adec92734"),
        PinnedContext(VC_V1, "credentials-v1.jsonld",
                      "ab4ddd9a531758807a79a5b450510d61ae8d147eab966cc9a200c07095b0cdcc"),
        PinnedContext("https://www.w3.org/ns/credentials/examples/v2",
                      "credentials-examples-v2.jsonld",
                      "57393fbc69d6efb9b9b5dc9cb6b9880b0944360abfe2eaf459c9e58cf2279d7c"),
        PinnedContext("https://www.w3.org/ns/credentials/status/v1",
                      "credentials-status-v1.jsonld",
                      "fda5add353231e6a6884a46b12e6c75464281900cb348284d9c360f62381d9f7"),
        PinnedContext("https://w3id.org/vc/status-list/2021/v1",
                      "vc-status-list-2021-v1.jsonld",
                      "6dd06a52bedb771e059c1083ba8ba7848dce22f6b4a8cfa0b98ba3fc188870e4"),
        PinnedContext("https://w3id.org/security/data-integrity/v1",
                      "data-integrity-v1.jsonld",
                      "b5d829bd09aa7c42abc6efa0c8ed7635313b5487f37ccfce3ecd149ca9418554"),
        PinnedContext(DATA_INTEGRITY_V2, "data-integrity-v2.jsonld",
                      "0f77743daf5b4e8fc067fc5ba5b21044283053aa717fc6b0219843bed3b00363"),
        PinnedContext(MULTIKEY_V1, "multikey-v1.jsonld",
                      "c5f3806f8286920573221938917988a18a4cc5a09e968d29649613c7a1c2b1f6"),
        PinnedContext("https://w3id.org/security/suites/ed25519-2020/v1",
                      "ed25519-signature-2020-v1.jsonld",
                      "b9e1ab971fd8bf2c7553e0c4a9438e0b9450afde1ea1ca5b2492368b9f549588"),
        PinnedContext(DID_V1, "did-v1.jsonld",
                      "adefa50311393eb1bd788a38ac9fe2696c65367928f6996812cd54577394f4da"),
        PinnedContext(OB_V3P0, "ob-v3p0-context-3.0.3.current-2026.json",
                      "3d34f4d4ef1bce691106e63798beb5e7b862ba841423f5ee1e53ab7ddf3bca84"),
        PinnedContext(OB_V3P0_2024_KEY, "ob-v3p0-context-3.0.3.json",
                      "ef2fa9c7846dce233cc166b43639027278be4ee44f00bb1d45c75de2dd0cd761"),
        PinnedContext("https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.2.json",
                      "ob-v3p0-context-3.0.2.json",
                      "00666ad080ba407687ed1846b7f5e7495f5019042b202a727de47c48a1755c53"),
        PinnedContext("https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.1.json",
                      "ob-v3p0-context-3.0.1.json",
                      "d582f3564282fb3b709136d28412e78e70b678b4dbc2f0221f67d84932748355"),
        PinnedContext("https://purl.imsglobal.org/spec/ob/v3p0/context.json",
                      "ob-v3p0-context-3.0.0.json",
                      "b077fa134d909d92c1dcd1c153f2af1b244aeb415967fdc1467d7fc5dd48ac10"),
        # Alias the official validator also maps to the first final context.
        PinnedContext("https://purl.imsglobal.org/spec/ob/v3p0/context/ob_v3p0.jsonld",
                      "ob-v3p0-context-3.0.0.json",
                      "b077fa134d909d92c1dcd1c153f2af1b244aeb415967fdc1467d7fc5dd48ac10"),
        PinnedContext(OB_EXTENSIONS, "ob-v3p0-extensions.json",
                      "146f85aa16effd7ca1da8056eb443f53ce1eca8a34186cb062832c0a97d889c3"),
        # The skills catalogue's own context (schema.org + SKOS terms), served at
        # {base_url}/contexts/competences-v1.jsonld; keyed by URN as the address depends on
        # the deployment (issuer/network/skills/jsonld.py maps it).
        PinnedContext(SKILLS_CATALOGUE_V1, "competences-v1.jsonld",
                      "508b98f92efabb530946d51e4f1611f339e562b9b19305fca9c6e7df0b20269c"),
    )
}

# Terms whose definitions differ between the 2024 and 2026 copies of context-3.0.3
# (VERIFICATION.md R4): a credential signed with an embedded proof must not use them.
OB_TERMS_DIFFERING_BETWEEN_REVISIONS = frozenset({"awardedDate", "inLanguage", "jti", "endorsementJwt"})


class UnknownContext(Exception):
    """A document names a JSON-LD context this issuer does not ship (never fetched)."""

    def __init__(self, url: str) -> None:
        super().__init__(url)
        self.url = url


class ContextIntegrityError(RuntimeError):
    """A shipped context file no longer matches its pinned SHA-256."""


@cache
def context_bytes(url: str) -> bytes:
    pinned = PINNED.get(url)
    if pinned is None:
        raise UnknownContext(url)
    data = resources.files(__package__).joinpath(pinned.filename).read_bytes()
    digest = hashlib.sha256(data).hexdigest()
    if digest != pinned.sha256:
        raise ContextIntegrityError(f"{pinned.filename}: sha256 {digest} != pinned {pinned.sha256}")
    return data


@cache
def _context_document(url: str) -> dict[str, Any]:
    document: dict[str, Any] = json.loads(context_bytes(url))
    return document


def context_document(url: str) -> dict[str, Any]:
    """The parsed context document for `url` (a fresh copy callers may not mutate safely)."""
    return _context_document(url)


def is_known(url: str) -> bool:
    return url in PINNED


def document_loader(url: str, options: dict[str, Any] | None = None) -> dict[str, Any]:
    """A pyld document loader that answers only from the pinned local copies."""
    return {
        "contentType": "application/ld+json",
        "contextUrl": None,
        "documentUrl": url,
        "document": context_document(url),
    }
