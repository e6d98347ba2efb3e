"""`VerificationContext`: what a verification may consult (resolver, status lists, known
issuers, clock) and the limits it works within."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from issuer.openbadges.did import DidResolver
from issuer.openbadges.json_cost import LIMITS, CostLimits

MAX_INPUT_BYTES = 2_000_000
"""The default cap on one input to verify, images included (see `read_input`)."""


@dataclass(frozen=True)
class RevokedKey:
    """A signing key its issuer revoked (VERIFICATION.md R21): when, and why, in French and
    English. Only an issuer's own verifier knows it (the key is gone from the DID document)."""

    revoked_on: date
    reason_fr: str
    reason_en: str


@dataclass
class VerificationContext:
    """What a verification may consult. `fetch_status_list` maps a status list URL to the list
    credential (JSON), raising on any failure; the caller builds it from a `Fetcher` or from
    local data. `known_issuers` maps issuer ids (DIDs) to the label shown, e.g.
    {"did:web:badges.example.org": "Ville de Roubaix"}.

    `fetch_document` maps a URL to the JSON document published there, raising on any failure
    (the caller builds it from the bounded `Fetcher`): Open Badges 2.0 assertions, badge
    classes, issuer profiles, keys and revocation lists live at their own addresses. None
    (the default) fetches nothing: such a badge is then "unknown", never "valid"."""

    resolver: DidResolver
    fetch_status_list: Callable[[str], dict[str, Any]]
    known_issuers: Mapping[str, str]
    now: datetime | None = None
    untrusted: bool = True
    max_input_bytes: int = MAX_INPUT_BYTES
    max_blank_nodes: int = 200
    canonicalization_timeout: float = 5.0
    fetch_document: Callable[[str], Any] | None = None
    cost_limits: CostLimits = LIMITS
    """What a document may hold before any JSON-LD work (`issuer.openbadges.json_cost`): the input,
    and every status list fetched."""
    revoked_keys: Mapping[str, RevokedKey] = field(default_factory=dict)
    """Verification methods (DID URLs) the issuer revoked: a proof naming one of the issuer's
    own keys listed here fails with `proof.key_revoked` (VERIFICATION.md R21) instead of "key
    not found". Empty by default: a stranger's verifier does not know them."""
