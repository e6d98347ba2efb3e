"""The two pieces an issuance exchange needs from other parts of issue #12, wired for
`issuer.wallet.exchanges.finish_exchange`: the DIDAuth check of the wallet's presentation
(`issuer.verification.presentation.verify_did_auth`) and the holder-bound copy
(`issuer.wallet.copies.issue_holder_copy`), both refusing with a `WalletError`."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy.orm import Session

from issuer.wallet import errors

if TYPE_CHECKING:
    from issuer.service import IssuerService


def check_did_auth(presentation: dict[str, Any], challenge: str, domain: str,
                   now: datetime) -> str:
    """The DID the presentation proves control of, for this challenge and domain."""
    raise errors.WalletError("La vérification des présentations n'est pas encore installée.",
                             "Presentation checking is not installed yet.",
                             code="wallet.unavailable", status=503)


def issue_ldp_copy(service: IssuerService, session: Session, original_id: str,
                   holder_did: str) -> tuple[str, dict[str, Any]]:
    """The badge issued again to `holder_did` (ldp_vc, eddsa-rdfc-2022): (copy id, copy)."""
    raise errors.WalletError("La délivrance aux portefeuilles n'est pas encore installée.",
                             "Delivery to wallets is not installed yet.",
                             code="wallet.unavailable", status=503)
