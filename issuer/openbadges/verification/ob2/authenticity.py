"""What the `proof` and `issuer_key` checks of an OB 2.0 assertion found, hosted or signed."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from issuer.openbadges.verification.ob2.documents import Fetched
from issuer.openbadges.verification.ob2.resolve import Resolved
from issuer.openbadges.verification.report import Check, make_check


@dataclass(frozen=True)
class Authenticity:
    proof: Check
    issuer_key: Check
    assertion: dict[str, Any] | None
    """The assertion as its issuer vouches for it (served at its id, or the signed payload);
    None when nothing vouches for it."""
    resolved: Resolved | None = None
    gone: bool = False
    """The issuer answered 410 Gone at the assertion's address: withdrawn."""


def not_examined() -> Check:
    return make_check("issuer_key", "skipped", "issuer_key.not_checked")


def unreachable(fetched: Fetched, what_fr: str, what_en: str) -> Check:
    return make_check("proof", "unknown", "proof.ob2_unreachable", what_fr=what_fr,
                      what_en=what_en, url=fetched.url[:200], detail_fr=fetched.detail_fr,
                      detail_en=fetched.detail_en)
