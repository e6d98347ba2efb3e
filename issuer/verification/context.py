"""`VerificationContext`: what a verification may consult (resolver, status lists, known
issuers, clock) and the limits it works within."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from issuer.did import DidResolver
from issuer.json_cost import LIMITS, CostLimits

MAX_INPUT_BYTES = 2_000_000
"""The default cap on one input to verify, images included (see `read_input`)."""


@dataclass
class VerificationContext:
    """What a verification may consult. `fetch_status_list` maps a status list URL to the list
    credential (JSON), raising on any failure; the caller builds it from a `Fetcher` or from
    local data. `known_issuers` maps issuer ids (DIDs) to the label shown, e.g.
    {"did:web:badges.example.org": "Ville de Roubaix"}."""

    resolver: DidResolver
    fetch_status_list: Callable[[str], dict[str, Any]]
    known_issuers: Mapping[str, str]
    now: datetime | None = None
    untrusted: bool = True
    max_input_bytes: int = MAX_INPUT_BYTES
    max_blank_nodes: int = 200
    canonicalization_timeout: float = 5.0
    cost_limits: CostLimits = LIMITS
    """What a document may hold before any JSON-LD work (`issuer.json_cost`): the input,
    and every status list fetched."""
